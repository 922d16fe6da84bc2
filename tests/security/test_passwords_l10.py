"""L10 (pen test): a chosen password needed 10 characters and nothing else ("aaaaaaaaaa"
was taken), and the current password on /password could be guessed without limit."""

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from matcher.domain.errors import Invalid
from matcher.services.platform import accounts
from tests.conftest import PASSWORD, login


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("aaaaaaaaaaaa", "password_too_common"),
        ("Passwort12345", "password_too_common"),
        ("qwertzuiop123", "password_too_common"),
        ("kimberger2026", "password_too_common"),  # the person's own name
        ("kurz genug", "password_too_short"),
    ],
)
def test_L10_short_common_and_personal_passwords_are_refused(password: str, code: str) -> None:
    with pytest.raises(Invalid) as refused:
        accounts.check_new_password(password, "kim.kimberger@agentur.example", "Kim Kimberger")
    assert refused.value.code == code


def test_L10_a_long_unusual_passphrase_is_taken() -> None:
    accounts.check_new_password("Tigerente im Sommerwind", "kim@agentur.example", "Kim")


def _change(client: Any, current: str, new: str) -> Any:
    return client.post("/password", data={"current": current, "new": new, "confirm": new})


def test_L10_the_password_page_refuses_a_common_password_with_a_message(
    app: Flask, make_user: Callable[..., Any], make_agency: Callable[..., Any]
) -> None:
    client = app.test_client()
    login(client, make_user("coordinator", make_agency()))
    response = _change(client, PASSWORD, "Passwort12345")
    assert response.status_code == 400
    assert "zu leicht zu erraten" in response.get_data(as_text=True)
    assert _change(client, PASSWORD, "Tigerente im Sommerwind").status_code == 302


def test_L10_guessing_the_current_password_is_limited_per_account(
    make_app: Callable[..., Flask], make_user: Callable[..., Any], make_agency: Callable[..., Any]
) -> None:
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_LIMIT_PER_ACCOUNT="3 per minute")
    user = make_user("coordinator", make_agency())
    stolen, other = app.test_client(), app.test_client()
    login(stolen, user)
    for guess in ("guess one!", "guess two!", "guess three"):
        assert _change(stolen, guess, "Tigerente im Sommerwind").status_code == 400
    assert _change(stolen, "guess four!", "Tigerente im Sommerwind").status_code == 429
    # A second session of the same account shares the limit; the pages still open.
    login(other, user)
    assert _change(other, PASSWORD, "Tigerente im Sommerwind").status_code == 429
    assert stolen.get("/password").status_code == 200
