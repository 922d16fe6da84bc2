"""Tenancy, enforced in one place, failing closed: every ORM query on an agency's rows is scoped.

A listener on the session adds `agency_id = <the scope's agency>` to every SELECT of a
`TenantScoped` model (also in joins and relationship loads). Code states its scope by
name, and nothing else:

- `for_agency(agency_id)`: one agency's rows (a coordinator's request, a command for one
  agency, a volunteer's own profile);
- `all_agencies()`: every agency's rows, asked for explicitly (the admin area, the daily
  retention job, reminders);
- `nobody()`: no agency's rows (anonymous visitors).

A query on an agency's rows with no scope set raises `TenancyError`: a new command, job or
shell that forgot to say whose data it works on finds out at once instead of seeing
everybody's people.
"""

import enum
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from flask import g, has_app_context
from sqlalchemy import event, false
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from matcher.models.tenant import TenantScoped


class Everyone(enum.Enum):
    """The two scopes that are not one agency."""

    ALL_AGENCIES = "all agencies"
    NOBODY = "nobody"


Scope = int | Everyone


class TenancyError(RuntimeError):
    """A query on an agency's rows ran outside any scope: a bug in the calling code."""


def current_scope() -> Scope | None:
    """The scope in force, or None when none was set."""
    if not has_app_context():
        return None
    scope: Scope | None = g.get("tenant_scope")
    return scope


def enter(scope: Scope) -> None:
    """Set the scope for the rest of this request (the request's end forgets it)."""
    g.tenant_scope = scope


@contextmanager
def _scoped(scope: Scope) -> Iterator[None]:
    saved = current_scope()
    g.tenant_scope = scope
    try:
        yield
    finally:
        if saved is None:
            g.pop("tenant_scope", None)
        else:
            g.tenant_scope = saved


def for_agency(agency_id: int) -> AbstractContextManager[None]:
    """A block that sees one agency's rows."""
    return _scoped(int(agency_id))


def all_agencies() -> AbstractContextManager[None]:
    """A block that sees every agency's rows — say so only where that is the point."""
    return _scoped(Everyone.ALL_AGENCIES)


def nobody() -> AbstractContextManager[None]:
    """A block that sees no agency's rows."""
    return _scoped(Everyone.NOBODY)


@event.listens_for(Session, "do_orm_execute")
def _scope_tenant_rows(state: ORMExecuteState) -> None:
    if not state.is_select or state.is_column_load:
        return
    scope = current_scope()
    if scope is Everyone.ALL_AGENCIES:
        return
    if scope is None:
        touched = [
            m.class_.__name__ for m in state.all_mappers if issubclass(m.class_, TenantScoped)
        ]
        if touched:
            raise TenancyError(f"a query on {', '.join(touched)} outside any agency scope")
    if scope is None or scope is Everyone.NOBODY:
        criteria = with_loader_criteria(TenantScoped, lambda cls: false(), include_aliases=True)
    else:
        agency_id = int(scope)
        criteria = with_loader_criteria(
            TenantScoped, lambda cls: cls.agency_id == agency_id, include_aliases=True
        )
    state.statement = state.statement.options(criteria)
