"""Access guards, installed once per blueprint so no route can forget them."""

from collections.abc import Iterable
from typing import cast

from flask import Blueprint, abort
from flask.typing import ResponseReturnValue
from flask_login import current_user

from matcher.extensions import login_manager


def require_role(bp: Blueprint, roles: Iterable[str]) -> None:
    """Every route of `bp` needs a logged-in user with one of `roles` (else login or 403)."""
    allowed = frozenset(roles)

    def guard() -> ResponseReturnValue | None:
        if not current_user.is_authenticated:
            return cast(ResponseReturnValue, login_manager.unauthorized())
        if current_user.role not in allowed:
            abort(403)
        return None

    bp.before_request(guard)
    bp.guarded_roles = allowed  # type: ignore[attr-defined]  # read by the route-coverage tests


def public(bp: Blueprint) -> Blueprint:
    """Mark a blueprint as deliberately open to everyone."""
    bp.guarded_roles = None  # type: ignore[attr-defined]
    return bp
