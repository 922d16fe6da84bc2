"""Tenancy, enforced in one place: every ORM query on an agency's rows is scoped.

A listener on the session adds `agency_id = <the user's agency>` to every SELECT of a
`TenantScoped` model (also in joins and relationship loads). The scope is set once per
request from the logged-in user; views and services never filter by agency themselves.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import g, has_app_context
from sqlalchemy import event, false
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from matcher.models.tenant import TenantScoped

UNSCOPED: Any = object()
NOBODY: Any = object()


def set_scope(agency_id: int | None) -> None:
    """Scope this request to one agency (an id), or to every agency (None, for admins)."""
    g.tenant_scope = UNSCOPED if agency_id is None else agency_id


def deny_all() -> None:
    """Scope this request to no agency at all: anonymous requests see nobody's rows."""
    g.tenant_scope = NOBODY


def current_scope() -> Any:
    """The agency id this request is scoped to, NOBODY, or UNSCOPED."""
    if not has_app_context():
        return UNSCOPED
    return g.get("tenant_scope", UNSCOPED)


@contextmanager
def unscoped() -> Iterator[None]:
    """Lift the scope for a block, e.g. to resolve a signed link to its agency first."""
    saved = current_scope()
    g.tenant_scope = UNSCOPED
    try:
        yield
    finally:
        g.tenant_scope = saved


@event.listens_for(Session, "do_orm_execute")
def _scope_tenant_rows(state: ORMExecuteState) -> None:
    if not state.is_select or state.is_column_load:
        return
    scope = current_scope()
    if scope is UNSCOPED:
        return
    if scope is NOBODY:
        criteria = with_loader_criteria(TenantScoped, lambda cls: false(), include_aliases=True)
    else:
        agency_id = int(scope)
        criteria = with_loader_criteria(
            TenantScoped, lambda cls: cls.agency_id == agency_id, include_aliases=True
        )
    state.statement = state.statement.options(criteria)
