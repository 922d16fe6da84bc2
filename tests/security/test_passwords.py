"""Passwords: Argon2id at OWASP's minimum on every real path; old scrypt hashes still log in
and are replaced at the next login; an unknown email costs what a known one costs.

This module runs the app with the shipped Argon2 parameters, not the cheap ones the other
tests use (tests/conftest.py `TEST_ARGON2`).
"""

import statistics
import time
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.security import generate_password_hash

from matcher import config, passwords
from matcher.extensions import db
from matcher.models import User
from matcher.services.platform import accounts
from tests.conftest import PASSWORD, PASSWORD_HASH, TEST_ARGON2, inside, login

NEW_PASSWORD = "a brand new passphrase"
OWASP_PREFIX = "$argon2id$v=19$m=19456,t=2,p=1$"


@pytest.fixture
def app_config() -> dict[str, Any]:
    """The shipped hashing parameters, whatever the other tests use."""
    shipped = config.defaults("/nonexistent")
    return {key: shipped[key] for key in shipped if key.startswith("ARGON2_")}


def test_the_shipped_parameters_are_owasps_minimum_for_argon2id() -> None:
    shipped = config.defaults("/nonexistent")
    # OWASP Password Storage Cheat Sheet: Argon2id with m=19 MiB, t=2, p=1 at least.
    assert shipped["ARGON2_MEMORY_KIB"] >= 19 * 1024 and shipped["ARGON2_TIME_COST"] >= 2
    assert shipped["ARGON2_PARALLELISM"] == 1
    assert passwords.Argon2Params(19456, 2, 1) == passwords.OWASP_MINIMUM
    assert passwords.hash_password(PASSWORD).startswith(OWASP_PREFIX)


def test_accounts_are_created_and_changed_with_argon2id_and_log_in_with_it(
    app: Flask, client: FlaskClient, make_agency: Callable[..., Any]
) -> None:
    agency = make_agency()
    with inside(app):
        user = accounts.create_user("Neu@Example.org", "first passphrase", "coordinator", agency)
        assert user.password_hash.startswith(OWASP_PREFIX)
        user_id = user.id
        db.session.commit()  # the command's or request's boundary commits, not the service
    assert login(client, "neu@example.org", "wrong passphrase").status_code == 401
    assert login(client, "neu@example.org", "first passphrase").status_code == 302

    with inside(app):
        user = db.session.get(User, user_id)
        assert user is not None
        accounts.change_password(user, "first passphrase", NEW_PASSWORD)
        assert user.password_hash.startswith(OWASP_PREFIX)
        assert user.check_password(NEW_PASSWORD) and not user.check_password("first passphrase")


@pytest.mark.parametrize(
    "legacy",
    [
        pytest.param(generate_password_hash(PASSWORD, method="scrypt"), id="scrypt"),
        pytest.param(generate_password_hash(PASSWORD, "pbkdf2:sha256:1000"), id="pbkdf2"),
        pytest.param(PASSWORD_HASH, id="argon2id-weaker"),
    ],
)
def test_an_older_hash_logs_in_and_is_replaced_at_the_next_successful_login(
    app: Flask, make_user: Callable[..., User], legacy: str
) -> None:
    user = make_user("admin", password_hash=legacy)
    # A wrong password neither logs in nor touches the stored hash.
    assert login(app.test_client(), user.email, "not the password").status_code == 401
    with inside(app):
        stored = db.session.get(User, user.id)
        assert stored is not None and stored.password_hash == legacy

    assert login(app.test_client(), user.email, PASSWORD).status_code == 302
    with inside(app):
        stored = db.session.get(User, user.id)
        assert stored is not None
        assert stored.password_hash.startswith(OWASP_PREFIX)
        assert not passwords.needs_rehash(stored.password_hash)
        rehashed = stored.password_hash
    # The new hash logs in and stays as it is.
    assert login(app.test_client(), user.email, PASSWORD).status_code == 302
    with inside(app):
        stored = db.session.get(User, user.id)
        assert stored is not None and stored.password_hash == rehashed


def test_an_inactive_account_keeps_its_old_hash(app: Flask, make_user: Callable[..., User]) -> None:
    legacy = generate_password_hash(PASSWORD, "pbkdf2:sha256:1000")
    user = make_user("admin", password_hash=legacy, active=False)
    assert login(app.test_client(), user.email, PASSWORD).status_code == 401
    with inside(app):
        stored = db.session.get(User, user.id)
        assert stored is not None and stored.password_hash == legacy


def test_an_unknown_email_costs_as_much_cpu_as_a_wrong_password(
    app: Flask, make_user: Callable[..., User]
) -> None:
    """CPU time of this thread (not wall time), so other load on the machine does not count.
    Without the dummy check an unknown email costs well under a tenth; a dummy made with
    the old scrypt costs about five times as much."""
    user = make_user("admin", password_hash=passwords.hash_password(PASSWORD))

    def cpu_ms(email: str) -> float:
        with inside(app):
            start = time.thread_time()
            assert accounts.authenticate(email, "not the password") is None
            spent = time.thread_time() - start
            db.session.rollback()
        return spent * 1000

    cpu_ms("nobody@example.org")  # the dummy hash is made once per process
    known = statistics.median(cpu_ms(user.email) for _ in range(7))
    unknown = statistics.median(cpu_ms("nobody@example.org") for _ in range(7))
    assert known > 5  # a real Argon2id check, not the tests' cheap one
    assert 0.6 < unknown / known < 1.6, (unknown, known)


def test_the_tests_cheap_hash_is_argon2id_with_the_test_parameters() -> None:
    assert PASSWORD_HASH.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert not passwords.needs_rehash(PASSWORD_HASH, TEST_ARGON2)
    assert passwords.needs_rehash(PASSWORD_HASH)  # weaker than what deployments get
    assert passwords.verify_password(PASSWORD_HASH, PASSWORD)
    assert not passwords.verify_password(PASSWORD_HASH, "wrong")
    assert not passwords.verify_password("not a hash", PASSWORD)
