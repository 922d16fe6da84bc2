"""The one way a staff sign-in completes, and the log of every attempt (issue 14).

Whatever the way in — a password alone, a password and an authenticator code, or a
recovery code — `complete` starts a fresh session, records it on the server (so it can be
listed and ended), logs the successful sign-in, and remembers the browser (L3).
"""

import contextlib

from flask import redirect, request, session, url_for
from flask_login import login_user
from werkzeug.wrappers import Response

from matcher.models import User
from matcher.services.platform import accounts, second_factor, staff_sessions
from matcher.web import common, guards
from matcher.web.auth import known_device
from matcher.web.safety import safe_next


def address() -> str:
    """The client's address as the app sees it (behind `TRUST_PROXY` proxies: theirs)."""
    return request.remote_addr or ""


def agent() -> str:
    """The browser's own description of itself, shortened (WSGI hands headers over as
    Latin-1: a browser that sent UTF-8 gets its own letters back)."""
    raw = request.user_agent.string or ""
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        raw = raw.encode("latin-1").decode("utf-8")
    return raw[:200]


def record(user: User | None, outcome: str) -> None:
    """Log one sign-in attempt of this request."""
    staff_sessions.record(user, outcome, address(), agent())


def complete(user: User, outcome: str, next_url: str | None, home: str) -> Response:
    """Sign `user` in: a new session (no fixation), on the server's list, logged."""
    common.fresh_session()
    login_user(user)
    session[guards.STAFF_SESSION] = staff_sessions.start(user, address(), agent())
    accounts.signed_in(user)
    record(user, outcome)
    if second_factor.required_for(user) and not second_factor.has_factor(user.id):
        target = url_for("auth.enrol")
    else:
        target = safe_next(next_url) or home
    response = redirect(target)
    return known_device.remember(response, user.email)
