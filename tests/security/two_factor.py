"""Helpers for tests of two-factor sign-in: enrol a user, make codes, sign in with a code."""

import re
from datetime import datetime, timedelta
from typing import Any

import pyotp
from flask import Flask
from flask.testing import FlaskClient

from matcher.extensions import db
from matcher.models import User, utcnow
from matcher.services.platform import second_factor
from tests.conftest import inside, login

# Enrolled ten minutes ago: every code of "now" is of a later time step than the first one.
ENROLLED_AGO = timedelta(minutes=10)


def enrol(app: Flask, user: User, when: datetime | None = None) -> tuple[str, list[str]]:
    """Give `user` an authenticator (through the service); return its secret and the
    recovery codes."""
    when = when or utcnow() - ENROLLED_AGO
    secret = pyotp.random_base32()
    with inside(app):
        row = db.session.get(User, user.id)
        assert row is not None
        codes = second_factor.enrol(row, secret, pyotp.TOTP(secret).at(when), when=when)
        db.session.commit()
    return secret, codes


def code_now(secret: str) -> str:
    """The code an authenticator shows now."""
    return pyotp.TOTP(secret).now()


def wrong_code(secret: str) -> str:
    """Six digits that are no code of this secret within two steps of now."""
    totp, now = pyotp.TOTP(secret), utcnow()
    near = {totp.at(now + timedelta(seconds=30 * k)) for k in range(-2, 3)}
    return next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in near)


def password_step(client: FlaskClient, user: User) -> Any:
    """The first step: the password. Asserts it led to the second step."""
    response = login(client, user)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login/code"), response.headers["Location"]
    return response


def sign_in(client: FlaskClient, user: User, code: str) -> Any:
    """Both steps: the password, then `code`; returns the second step's answer."""
    password_step(client, user)
    return client.post("/login/code", data={"code": code})


def shown_secret(html: str) -> str:
    """The key the enrolment page shows for typing by hand, without its spaces."""
    match = re.search(r'id="totp-secret">([A-Z2-7 ]+)</code>', html)
    assert match, "no secret on the enrolment page"
    return match.group(1).replace(" ", "")


def shown_recovery_codes(html: str) -> list[str]:
    """The recovery codes on the page shown once after enrolment."""
    return re.findall(r"<li><code>([a-z2-9-]+)</code></li>", html)
