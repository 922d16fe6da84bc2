"""Browsers that signed in recently (pen test L3: no lockout of the real owner).

The login limits count guesses per account, so a stranger who knows a coordinator's address
could keep her out by guessing wrong. After a complete sign-in the browser gets a signed,
HttpOnly cookie (only sent to the sign-in pages) with a keyed digest of the account's
address; for `KNOWN_DEVICE_DAYS` that browser is let through the per-account limits for
that account. The password (and the second factor) are still needed: the cookie only
spares its owner the slowdown that strangers' guesses cause.
"""

import hashlib
import hmac

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

from matcher import secret_keys
from matcher.services.platform import accounts

COOKIE = "matcher_device"
#: The accounts one browser remembers (a shared office computer).
MAX_ACCOUNTS = 5


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="matcher:known-device")


def _mark(email: str) -> str:
    key = secret_keys.derived_key(current_app.config["SECRET_KEY"], "known-device")
    message = accounts.normalise_email(email).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def _max_age() -> int:
    return int(current_app.config["KNOWN_DEVICE_DAYS"]) * 24 * 3600


def _marks() -> list[str]:
    raw = request.cookies.get(COOKIE)
    if not raw:
        return []
    try:
        value = _serializer().loads(raw, max_age=_max_age())
    except BadSignature:  # also an expired cookie (SignatureExpired)
        return []
    if not isinstance(value, list):
        return []
    return [m for m in value if isinstance(m, str)][:MAX_ACCOUNTS]


def is_known(email: str) -> bool:
    """This browser signed in to the account `email` names within the last days."""
    marks = _marks()
    return bool(marks) and _mark(email) in marks


def remember(response: Response, email: str) -> Response:
    """Let this browser through the per-account limits of this account from now on."""
    mark = _mark(email)
    marks = [mark] + [m for m in _marks() if m != mark]
    response.set_cookie(
        COOKIE,
        _serializer().dumps(marks[:MAX_ACCOUNTS]),
        max_age=_max_age(),
        path="/login",
        secure=bool(current_app.config["SESSION_COOKIE_SECURE"]),
        httponly=True,
        samesite="Lax",
    )
    return response
