"""Signed, expiring links: one salt per purpose, signed with the app's secret key."""

from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

CONFIRM = "signup-confirm"
MAGIC_LINK = "volunteer-magic-link"


class TokenExpired(Exception):
    """The link was genuine but is too old."""


class TokenInvalid(Exception):
    """The link was not made by this app for this purpose (or was mangled on the way)."""


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=purpose)


def make(purpose: str, payload: dict[str, Any]) -> str:
    """Sign a payload for one purpose."""
    return str(_serializer(purpose).dumps(payload))


def read(purpose: str, token: str, max_age_seconds: int) -> dict[str, Any]:
    """The payload of a token made for `purpose` no longer than `max_age_seconds` ago."""
    if not token or len(token) > 500:
        raise TokenInvalid
    try:
        payload = _serializer(purpose).loads(token, max_age=max_age_seconds)
    except SignatureExpired:
        raise TokenExpired from None
    except BadSignature:
        raise TokenInvalid from None
    if not isinstance(payload, dict):
        raise TokenInvalid
    return payload
