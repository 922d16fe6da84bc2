"""Passwords are stored with scrypt on every real path (the test factories use a cheap hash)."""

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from matcher.extensions import db
from matcher.models import User
from matcher.services.platform import accounts
from tests.conftest import PASSWORD_HASH, inside, login

NEW_PASSWORD = "a brand new passphrase"


def test_accounts_are_created_and_changed_with_scrypt_and_log_in_with_it(
    app: Flask, client: FlaskClient, make_agency: Callable[..., Any]
) -> None:
    agency = make_agency()
    with inside(app):
        user = accounts.create_user("Neu@Example.org", "first passphrase", "coordinator", agency)
        assert user.password_hash.startswith("scrypt:")
        user_id = user.id
        db.session.commit()  # the command's or request's boundary commits, not the service
    assert login(client, "neu@example.org", "wrong passphrase").status_code == 401
    assert login(client, "neu@example.org", "first passphrase").status_code == 302

    with inside(app):
        user = db.session.get(User, user_id)
        assert user is not None
        accounts.change_password(user, "first passphrase", NEW_PASSWORD)
        assert user.password_hash.startswith("scrypt:")
        assert user.check_password(NEW_PASSWORD) and not user.check_password("first passphrase")


def test_the_model_hashes_with_scrypt_not_the_factories_cheap_method() -> None:
    assert PASSWORD_HASH.startswith("pbkdf2:sha256:1$")
    user = User()
    user.set_password(NEW_PASSWORD)
    assert user.password_hash.startswith("scrypt:") and user.check_password(NEW_PASSWORD)
