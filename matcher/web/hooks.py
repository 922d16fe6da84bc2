"""Per-request hooks: load the user, scope the request, commit once at its end, set headers.

The request is the unit of work: services only flush, and `_finish_transaction` commits
once when the answer is a success (below 400) and rolls everything back otherwise. A
commit that loses a race (a stale version, a unique index) answers 409.
"""

from flask import Flask, Response, abort, current_app, g, request, session
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import MethodNotAllowed

from matcher import tenancy
from matcher.extensions import db, login_manager
from matcher.models import User
from matcher.web import guards, unavailable

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; object-src 'none'"
)


def register(app: Flask) -> None:
    """Install the user loader, the tenancy scope and the response headers."""
    login_manager.login_view = "auth.login"
    login_manager.login_message = None  # the login page explains itself
    login_manager.session_protection = "strong"
    app.before_request(_refuse_options)
    app.before_request(_reject_nul_bytes)
    app.before_request(_scope_request)
    guards.end_idle_and_old_sessions(app)
    guards.require_second_factor(app)
    app.after_request(_security_headers)
    app.after_request(_finish_transaction)


@login_manager.user_loader
def _load_user(session_id: str) -> User | None:
    """Load the user of a session, unless the session predates a logout or password change."""
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    # The session must still be on the server's list: the owner or an admin may have ended
    # it (issue 14), or it ended by time.
    from matcher.services.platform import staff_sessions

    row = staff_sessions.live(user, session.get(guards.STAFF_SESSION))
    if row is None:
        return None
    g.staff_session = row
    return user


def _refuse_options() -> None:
    """OPTIONS is no method of ours (I2): Flask answers it 200 on every route by itself, but
    the app serves no cross-origin requests (no CORS), so nothing needs it. 405 with the
    methods of every route at its address; an unknown path stays a 404."""
    if request.method == "OPTIONS" and request.url_rule is not None:
        adapter = current_app.create_url_adapter(request)
        methods = set(adapter.allowed_methods() if adapter is not None else ()) - {"OPTIONS"}
        raise MethodNotAllowed(valid_methods=sorted(methods))


def _reject_nul_bytes() -> None:
    """No text field holds a NUL byte; PostgreSQL would refuse it deep inside a transaction."""
    for values in (request.args, request.form):
        if any("\x00" in v for _, v in values.items(multi=True)):
            abort(400)
    if "\x00" in request.path:
        abort(400)


def _scope_request() -> None:
    """A coordinator sees their agency; everyone else nobody's rows until a blueprint says
    otherwise by name (the admin area: all agencies; an admin acting as one agency)."""
    from flask_login import current_user

    if current_user.is_authenticated and current_user.agency_id is not None:
        tenancy.enter(current_user.agency_id)
    else:
        tenancy.enter(tenancy.Everyone.NOBODY)


#: Set on `g` by a view whose refusal (4xx) records something that must stay, e.g. the audit
#: entry of a wrong second-factor code: its work is committed like a success's.
KEEP_REFUSAL = "keep_refusal"


def _finish_transaction(response: Response) -> Response:
    """Commit the request's work once if it succeeded; otherwise undo all of it."""
    if response.status_code >= 400 and not g.get(KEEP_REFUSAL):
        unavailable.safe_rollback()
        return response
    try:
        db.session.commit()
    except (StaleDataError, IntegrityError):
        db.session.rollback()
        from matcher.web.errors import conflict_on_commit

        return conflict_on_commit()  # type: ignore[return-value]
    except SQLAlchemyError as e:  # the database went away or refused the write: all undone
        if not unavailable.is_unavailable(e):
            raise
        return unavailable.response(e)
    return response


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    hsts = int(current_app.config["HSTS_SECONDS"])
    if hsts > 0 and str(current_app.config["PUBLIC_BASE_URL"]).startswith("https://"):
        # Served over HTTPS: the browser must never fall back to plain HTTP (I1).
        response.headers.setdefault("Strict-Transport-Security", f"max-age={hsts}")
    if request.endpoint and not request.endpoint.startswith(("static", "public.healthz")):
        # Pages may carry personal data: never keep them in a shared cache or the history.
        response.headers.setdefault("Cache-Control", "no-store")
    return response
