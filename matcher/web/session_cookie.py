"""The session cookie, encrypted (pen test finding I3).

Flask's cookie is signed but readable: base64 of the JSON showed a newcomer's first name in
a flashed message, the user id and the session version to anyone who saw the cookie (a
proxy's log, a shared computer). Here the signed value is also encrypted with Fernet
(AES-128-CBC with HMAC-SHA-256) under a key derived from SECRET_KEY for this one purpose;
a cookie that does not decrypt counts as no session, as a badly signed one always did.
"""

from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature, URLSafeTimedSerializer

from matcher import secret_keys


def _fernet(app: Flask) -> Fernet:
    return secret_keys.fernet(app.config["SECRET_KEY"], "session-cookie")


class _Encrypting:
    """Flask's signing serializer, with the signed text encrypted on the way out."""

    def __init__(self, signer: URLSafeTimedSerializer, fernet: Fernet) -> None:
        self._signer = signer
        self._fernet = fernet

    def dumps(self, value: Any) -> str:
        signed = self._signer.dumps(value)
        text = signed if isinstance(signed, str) else signed.decode()
        return self._fernet.encrypt(text.encode()).decode("ascii")

    def loads(self, value: str | bytes, max_age: int | None = None) -> Any:
        token = value if isinstance(value, bytes) else value.encode("ascii", "replace")
        try:
            signed = self._fernet.decrypt(token)
        except InvalidToken:
            raise BadSignature("the session cookie does not decrypt") from None
        return self._signer.loads(signed.decode(), max_age=max_age)


class EncryptedCookieSessionInterface(SecureCookieSessionInterface):
    """Flask's cookie session, unreadable outside the app."""

    def get_signing_serializer(self, app: Flask) -> Any:
        signer = super().get_signing_serializer(app)
        if signer is None:  # no secret key: Flask refuses to keep a session
            return None
        return _Encrypting(signer, _fernet(app))


def install(app: Flask) -> None:
    app.session_interface = EncryptedCookieSessionInterface()
