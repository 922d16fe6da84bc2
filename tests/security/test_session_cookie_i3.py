"""I3 (pen test): the session cookie was signed but readable — base64 of its JSON showed a
newcomer's first name in a flashed message, the user id and the session version."""

import base64
from collections.abc import Callable
from typing import Any

from flask import Flask

from tests.conftest import login
from tests.forms import newcomer_form


def _cookie(response: Any) -> str:
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    return header.split(";", 1)[0].removeprefix("session=")


def _readable(value: str) -> bytes:
    """Everything a reader of the cookie gets by decoding it the way the tester did."""
    out = b""
    for part in value.lstrip(".").split("."):
        padded = part + "=" * (-len(part) % 4)
        try:
            out += base64.urlsafe_b64decode(padded)
        except ValueError:
            continue
    return out


def test_I3_the_session_cookie_shows_neither_a_flashed_name_nor_the_user(
    app: Flask, make_agency: Callable[..., Any], make_user: Callable[..., Any]
) -> None:
    user = make_user("coordinator", make_agency())
    client = app.test_client()
    login(client, user)
    response = client.post("/newcomers/new", data=newcomer_form(first_name="Samira"))
    assert response.status_code == 302
    cookie = _cookie(response)
    readable = _readable(cookie)
    for secret in (
        b"Samira",
        b"_user_id",
        b"_flashes",
        b"csrf_token",
        str(user.id).encode() + b":",
    ):
        assert secret not in readable, secret
    # The app itself reads it: the message is shown on the next page, once.
    page = client.get(response.location).get_data(as_text=True)
    assert "Samira ist registriert" in page
    assert "Samira ist registriert" not in client.get(response.location).get_data(as_text=True)


def test_I3_a_tampered_or_foreign_cookie_is_no_session(
    app: Flask, make_app: Callable[..., Flask], make_agency: Callable[..., Any],
    make_user: Callable[..., Any],
) -> None:  # fmt: skip
    user = make_user("coordinator", make_agency())
    client = app.test_client()
    cookie = _cookie(login(client, user))
    assert client.get("/dashboard").status_code == 200
    for forged in (cookie[:-4] + "AAAA", "eyJfdXNlcl9pZCI6IjE6MSJ9.x.y"):
        other = app.test_client()
        other.set_cookie("session", forged)
        assert other.get("/dashboard").status_code == 302  # to the login
    # Another secret key (another installation) cannot read it either.
    foreign = make_app(SECRET_KEY="another installation's key").test_client()
    foreign.set_cookie("session", cookie)
    assert foreign.get("/dashboard").status_code == 302
