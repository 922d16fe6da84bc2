"""Headers, cookies, request limits, error pages and debug mode."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from matcher import create_app
from tests.conftest import PASSWORD, login


def test_every_response_has_the_security_headers(app: Flask, two_agencies: dict[str, Any]) -> None:
    client = app.test_client()
    anonymous = [client.get(p) for p in ("/", "/login", "/no-such-page", "/static/css/app.css")]
    login(client, two_agencies["a"]["coordinator"])
    personal = client.get(f"/volunteers/{two_agencies['a']['volunteer'].id}")
    for response in [*anonymous, personal]:
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["X-Frame-Options"] == "DENY"
        response.close()
    assert personal.headers["Cache-Control"] == "no-store"
    assert "no-store" not in anonymous[3].headers.get("Cache-Control", "")


def test_session_cookie_flags(
    make_app: Callable[..., Flask], make_agency: Callable[..., Any], make_user: Callable[..., Any]
) -> None:
    user = make_user("coordinator", make_agency())
    plain = login(make_app().test_client(), user).headers["Set-Cookie"]
    assert "HttpOnly" in plain and "SameSite=Lax" in plain and "Secure" not in plain
    https_app = make_app(PUBLIC_BASE_URL="https://paten.example.org")
    assert https_app.config["SESSION_COOKIE_SECURE"] is True
    secure = login(https_app.test_client(), user).headers["Set-Cookie"]
    assert "Secure" in secure and "HttpOnly" in secure and "SameSite=Lax" in secure


def test_forwarded_address_counts_only_behind_a_trusted_proxy(
    make_app: Callable[..., Flask], make_agency: Callable[..., Any], make_user: Callable[..., Any]
) -> None:
    user = make_user("coordinator", make_agency())
    limits = {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
              "LOGIN_LIMIT_PER_ADDRESS": "2 per minute", "LOGIN_LIMIT_PER_ACCOUNT": "50 per minute"}  # fmt: skip
    for trusted, expected in ((0, [401, 401, 429]), (1, [401, 401, 302])):
        client = make_app(TRUST_PROXY=trusted, **limits).test_client()
        codes = []
        for i, password in enumerate(["x", "y", PASSWORD]):
            headers = {"X-Forwarded-For": f"203.0.113.{i}"}
            data = {"email": user.email, "password": password}
            codes.append(client.post("/login", data=data, headers=headers).status_code)
        assert codes == expected, trusted


def test_a_request_too_large_gets_a_readable_413(client: Any) -> None:
    response = client.post("/login", data={"email": "a@b.de", "password": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 413
    assert "zu groß" in response.get_data(as_text=True)


def test_error_pages_are_german_and_never_show_a_traceback(
    make_app: Callable[..., Flask], app: Flask, two_agencies: dict[str, Any]
) -> None:
    client = app.test_client()
    assert "Diese Seite gibt es nicht." in client.get("/nope").get_data(as_text=True)
    assert "nicht möglich" in client.get("/logout").get_data(as_text=True)  # 405
    login(client, two_agencies["a"]["coordinator"])
    forbidden = client.get("/admin/users")
    assert forbidden.status_code == 403 and "nicht sehen" in forbidden.get_data(as_text=True)

    broken = make_app(PROPAGATE_EXCEPTIONS=False)

    @broken.route("/boom")
    def boom() -> str:
        raise RuntimeError("secret internals")

    response = broken.test_client().get("/boom")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "schiefgegangen" in body and "secret internals" not in body and "Traceback" not in body


def test_debug_is_never_on_from_configuration(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite'}")
    monkeypatch.setenv("MATCHER_DEBUG", "true")
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    app = create_app()
    assert app.debug is False and app.config["DEBUG"] is False
