"""The pen test's informational findings (../shared/findings/sec.md), one test each, named
after its number. Each fails on commit 8ed074e, before the fix."""

import os
import runpy
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import login
from tests.security.routes import Route, build_url

ROOT = Path(__file__).resolve().parents[2]


def test_I1_hsts_is_sent_when_served_over_https_and_can_be_turned_off(
    make_app: Callable[..., Flask], make_agency: Callable[..., Any], make_user: Callable[..., Any]
) -> None:
    user = make_user("coordinator", make_agency())
    https = make_app(PUBLIC_BASE_URL="https://paten.example.org").test_client()
    for response in (https.get("/login"), https.get("/no-such-page"), login(https, user)):
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    shorter = make_app(PUBLIC_BASE_URL="https://paten.example.org", HSTS_SECONDS=600)
    assert shorter.test_client().get("/login").headers["Strict-Transport-Security"] == (
        "max-age=600"
    )
    # Plain HTTP (a laptop, the demo) and an operator whose proxy sets it: no header.
    for app in (make_app(), make_app(PUBLIC_BASE_URL="https://p.example", HSTS_SECONDS=0)):
        assert "Strict-Transport-Security" not in app.test_client().get("/login").headers


def test_I2_options_is_refused_on_every_route_with_the_methods_it_has(
    app: Flask, make_user: Callable[..., Any]
) -> None:
    """wapiti flagged OPTIONS answering 200 on every page: Flask answers it by itself, and
    nothing here needs it (no CORS). Now it is a 405 naming the route's methods, signed in
    or not; an unknown path stays a 404. (gunicorn's `Server: gunicorn`, without a version,
    stays: gunicorn has no setting to drop it; see gunicorn.conf.py.)"""
    admin = app.test_client()
    login(admin, make_user("admin"))
    seen = 0
    rules = list(app.url_map.iter_rules())
    for rule in rules:
        url = build_url(app, Route(rule, "GET"), None)
        # Some addresses have two rules (a page and its form's POST): the methods of both.
        methods = {m for r in rules if r.rule == rule.rule for m in r.methods or ()}
        allowed = ", ".join(sorted(methods - {"OPTIONS"}))
        for client in (app.test_client(), admin):
            response = client.open(url, method="OPTIONS")
            assert response.status_code == 405, (url, response.status_code)
            assert response.headers["Allow"] == allowed, url
            assert "OPTIONS" not in response.headers["Allow"]
        seen += 1
    assert seen > 50  # the whole URL map, static files included
    assert app.test_client().open("/no-such-page", method="OPTIONS").status_code == 404
    # The methods a page has still work.
    anonymous = app.test_client()
    assert anonymous.get("/login").status_code == 200
    assert anonymous.head("/login").status_code == 200


def _gunicorn_forwarded_allow_ips(tmp_path: Path, **env: str) -> str:
    environment = {k: v for k, v in os.environ.items() if "TRUST_PROXY" not in k}
    environment.pop("FORWARDED_ALLOW_IPS", None)
    # The app is loaded to print the settings: its metrics need an existing folder.
    (tmp_path / "metrics").mkdir(exist_ok=True)
    environment["PROMETHEUS_MULTIPROC_DIR"] = str(tmp_path / "metrics")
    environment["GUNICORN_CONTROL_SOCKET"] = str(tmp_path / "gunicorn.ctl")
    environment.update(env)
    printed = subprocess.run(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py",
         "--print-config", "wsgi:app"],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    line = next(x for x in printed.splitlines() if x.startswith("forwarded_allow_ips"))
    return line.split("=", 1)[1].strip()


def _conf_forwarded_allow_ips(monkeypatch: pytest.MonkeyPatch, **env: str) -> str:
    for name in ("TRUST_PROXY", "MATCHER_TRUST_PROXY", "FORWARDED_ALLOW_IPS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", os.environ.get("TMPDIR", "/tmp"))
    return str(runpy.run_path(str(ROOT / "gunicorn.conf.py"))["forwarded_allow_ips"])


def test_I5_gunicorn_believes_forwarded_headers_only_when_the_app_trusts_a_proxy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without a trusted proxy, gunicorn took X-Forwarded-Proto from 127.0.0.1 anyway.
    # gunicorn itself, as it reads the file:
    assert _gunicorn_forwarded_allow_ips(tmp_path) == "[]"
    assert _gunicorn_forwarded_allow_ips(tmp_path, TRUST_PROXY="1") == "['127.0.0.1', '::1']"
    # The file's other ways to be told:
    assert _conf_forwarded_allow_ips(monkeypatch, TRUST_PROXY="0") == ""
    assert _conf_forwarded_allow_ips(monkeypatch, MATCHER_TRUST_PROXY="2") == "127.0.0.1,::1"
    assert (
        _conf_forwarded_allow_ips(monkeypatch, TRUST_PROXY="1", FORWARDED_ALLOW_IPS="10.0.0.0/8")
        == "10.0.0.0/8"
    )


def test_I6_a_csv_export_names_its_charset_once(
    logged_in: Callable[..., FlaskClient], make_agency: Callable[..., Any]
) -> None:
    agency = make_agency()
    response = logged_in("admin").post(
        "/admin/exports",
        data={"agency": str(agency.id), "kind": "volunteers", "fmt": "csv", "delimiter": ";",
              "status": ""},
    )  # fmt: skip
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"


def test_I8_a_404_page_is_never_cached(app: Flask) -> None:
    for path in ("/no-such-page", "/static/no-such-file.css", "/me/no-such-page"):
        response = app.test_client().get(path)
        assert response.status_code == 404
        assert response.headers["Cache-Control"] == "no-store", path
