"""Access guards, installed once per blueprint so no route can forget them."""

import time
from collections.abc import Iterable
from typing import cast

from flask import Blueprint, Flask, abort, flash, g, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, logout_user

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


#: What a half-signed-in session (the password given, not the code) reaches: the way in.
HALF_SIGNED_IN_OPEN = frozenset({"static", "auth.login", "auth.logout", "auth.second_step"})
#: What a signed-in staff member who must enrol reaches before enrolling: out, and enrolment.
SECOND_FACTOR_OPEN = HALF_SIGNED_IN_OPEN | {"auth.enrol"}


def require_second_factor(app: Flask) -> None:
    """Before every request, in one place: a signed-in user who must have a second factor
    but has none is sent to enrolment, and reaches nothing else until enrolled; a session
    that passed only the password (half signed in, not logged in) is sent to the second
    step from every page that needs a login."""
    from matcher.services.platform import second_factor
    from matcher.web.auth import two_factor

    def guard() -> ResponseReturnValue | None:
        endpoint = request.endpoint
        if endpoint is None or endpoint in HALF_SIGNED_IN_OPEN:
            return None
        if not current_user.is_authenticated:
            bp = app.blueprints.get(request.blueprint or "")
            if two_factor.pending() is not None and getattr(bp, "guarded_roles", ...) is not None:
                return redirect(url_for("auth.second_step"))
            return None
        if endpoint in SECOND_FACTOR_OPEN:
            return None
        if session.get(two_factor.PASSED):
            return None
        if second_factor.has_factor(current_user.id):
            # Logged in without the second step (cannot happen: enrolling ends every other
            # session); fail closed all the same.
            logout_user()
            session.clear()
            return redirect(url_for("auth.login"))
        if second_factor.required_for(current_user):
            return redirect(url_for("auth.enrol"))
        return None

    app.before_request(guard)


#: Session keys of a staff sign-in: when it began and when it was last used (UTC seconds).
SIGNED_IN_AT, LAST_SEEN_AT = "signed_in_at", "last_seen_at"
#: Session key naming the session's row on the server (`services.platform.staff_sessions`).
STAFF_SESSION = "staff_session"


def end_idle_and_old_sessions(app: Flask) -> None:
    """Before every request, in one place: a staff session unused for `SESSION_IDLE_MINUTES`
    or older than `SESSION_MAX_HOURS` ends, and the next page asks for the sign-in again
    (pen test L7: a session lasted up to 31 days). Every request of a live session notes
    that it was used."""

    def guard() -> ResponseReturnValue | None:
        if request.endpoint is None or request.endpoint == "static":
            return None
        if not current_user.is_authenticated:
            return None
        now = time.time()
        began = session.get(SIGNED_IN_AT)
        seen = session.get(LAST_SEEN_AT)
        if not isinstance(began, int | float) or not isinstance(seen, int | float):
            session[SIGNED_IN_AT] = session[LAST_SEEN_AT] = int(now)  # a sign-in just now
            return None
        idle = now - seen > 60 * float(app.config["SESSION_IDLE_MINUTES"])
        old = now - began > 3600 * float(app.config["SESSION_MAX_HOURS"])
        if idle or old:
            from matcher.services.platform import staff_sessions

            reason = "idle" if idle else "expired"
            staff_sessions.end_current(current_user, session.get(STAFF_SESSION), reason)
            logout_user()
            session.clear()
            flash(_("Your session has ended. Please sign in again."), "info")
            back = request.path if request.method == "GET" else None
            return redirect(url_for("auth.login", next=back))
        if now - seen >= 30:  # the cookie is written again at most every 30 s
            session[LAST_SEEN_AT] = int(now)
        row = g.get("staff_session")
        if row is not None:
            from matcher.services.platform import staff_sessions

            staff_sessions.touch(row)
        return None

    app.before_request(guard)
