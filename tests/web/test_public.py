"""Public pages: health check, language switch, headers, no third-party requests."""

import re
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from matcher import create_app
from tests.conftest import app_test_config


def test_healthz_ok(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_healthz_503_when_the_database_does_not_answer(tmp_path) -> None:
    missing = tmp_path / "no-such-dir" / "db.sqlite"
    app = create_app(app_test_config(f"sqlite:///{missing}"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable"}


def test_language_switch_to_english_and_back(client: FlaskClient) -> None:
    assert "Anmelden" in client.get("/login").get_data(as_text=True)
    response = client.post("/language", data={"lang": "en", "next": "/login"})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    html = client.get("/login").get_data(as_text=True)
    assert "Log in" in html and 'lang="en"' in html
    client.post("/language", data={"lang": "de"})
    assert "Anmelden" in client.get("/login").get_data(as_text=True)


def test_language_switch_rejects_unknown_language_and_foreign_next(client: FlaskClient) -> None:
    assert client.post("/language", data={"lang": "xx"}).status_code == 400
    response = client.post("/language", data={"lang": "en", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_pages_load_nothing_from_other_hosts(client: FlaskClient) -> None:
    for path in ("/", "/login"):
        response = client.get(path)
        html = response.get_data(as_text=True)
        for url in re.findall(r'(?:src|href|action)="([^"]+)"', html):
            assert url.startswith(("/", "#")) and not url.startswith("//"), url
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "http" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"


def test_static_css_is_served_and_has_no_external_imports(client: FlaskClient) -> None:
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    css = response.get_data(as_text=True)
    assert "@import" not in css and "url(http" not in css and "@font-face" not in css
    response.close()


def test_csrf_is_enforced_when_enabled(make_app: Callable[..., Flask]) -> None:
    strict = make_app(WTF_CSRF_ENABLED=True)
    c = strict.test_client()
    assert c.post("/login", data={"email": "a@b.de", "password": "x"}).status_code == 400
    assert c.post("/language", data={"lang": "en"}).status_code == 400


def test_session_cookie_flags(app: Flask) -> None:
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
