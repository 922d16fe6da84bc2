"""Bugs a new user hit on a first walk through the demo, kept fixed.

B1: the volunteer's profile was sent as text/plain, so browsers showed its HTML source.
B2: `make demo PORT=…` mailed links to port 5000.
"""

import os
import re
import shlex
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from matcher import create_app
from matcher.extensions import db
from matcher.models import Agency, Base, Volunteer
from matcher.services.platform import outbox
from tests.conftest import app_test_config, inside, mail_config
from tests.forms import link_in, path_of, profile_form, signup_form
from tests.mailserver import body_of, free_port

ROOT = Path(__file__).resolve().parent.parent
FLASK = [str(Path(sys.executable).parent / "flask"), "--app", "wsgi"]


@pytest.fixture
def app_config(smtp_server: Any) -> dict[str, Any]:
    return mail_config(smtp_server.port)


def _mailed_link(app: Flask, smtp_server: Any, count: int) -> str:
    """Deliver the outbox to the SMTP server and return the link in the `count`-th mail."""
    with inside(app):
        outbox.send_due()
    mails = smtp_server.wait_for(count)
    assert len(mails) == count
    return link_in(body_of(mails[-1]))


def _html(response: Any, status: int = 200) -> str:
    """The response is an HTML page (not text/plain) with this status; return its text."""
    assert response.status_code == status, response.status_code
    assert response.mimetype == "text/html", f"{response.request.path}: {response.content_type}"
    assert response.mimetype_params.get("charset") == "utf-8"
    return str(response.get_data(as_text=True))


def test_walk_b1_every_self_service_page_is_html_from_sign_up_to_deletion(
    app: Flask, client: FlaskClient, smtp_server: Any, make_agency: Callable[..., Any]
) -> None:
    make_agency(slug="awo-koeln", name="AWO Köln")
    sent = client.post("/signup/awo-koeln", data=signup_form(), follow_redirects=True)
    assert "Postfach" in _html(sent)
    confirm = path_of(_mailed_link(app, smtp_server, 1))
    _html(client.get(confirm))
    token = confirm.rpartition("token=")[2]
    assert "bestätigt" in _html(client.post("/signup/confirm", data={"token": token}))
    with inside(app):  # the coordinator's interview: now the volunteer can take a break
        db.session.scalars(select(Volunteer)).one().status = "active"
        db.session.commit()

    _html(client.post("/me/link", data={"email": "sean@example.org"}, follow_redirects=True))
    link = path_of(_mailed_link(app, smtp_server, 2))
    assert "Mein Profil öffnen" in _html(client.get(link))
    opened = client.post("/me/open", data={"token": link.rpartition("token=")[2]})
    assert opened.status_code == 302 and opened.location.endswith("/me/")
    assert "Hallo Seán" in _html(client.get("/me/"))

    # Every form on the profile answers with the profile again, as HTML: after a redirect,
    # as a re-render (another language row) and as a 400 with the messages at the fields.
    saved = client.post("/me/profile", data=profile_form(), follow_redirects=True)
    assert "Ihre Änderungen sind gespeichert." in _html(saved)
    _html(client.post("/me/profile", data=profile_form(add_language="y")))
    assert "mindestens eine Zeit" in _html(
        client.post("/me/profile", data=profile_form(slots=[])), 400
    )
    for action in ("/me/pause", "/me/resume"):
        _html(client.post(action, follow_redirects=True))
    withdrawn = client.post(
        "/me/consent/withdraw", data={"purpose": "contact_sharing"}, follow_redirects=True
    )
    assert "widerrufen" in _html(withdrawn)
    assert "Häkchen" in _html(client.post("/me/delete", data={}), 400)
    deleted = client.post("/me/delete", data={"confirm": "y"}, follow_redirects=True)
    assert deleted.request.path == "/me/deleted" and "gelöscht" in _html(deleted)
    with inside(app):  # anonymised: the row stays for the counts, the person is gone
        assert db.session.scalars(select(Volunteer)).one().first_name != "Seán"


def _demo_environment(port: int, **variables: str) -> dict[str, str]:
    """The variables `make demo PORT=…` exports to the server and the outbox worker."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS"))}
    env.pop("PUBLIC_BASE_URL", None)
    dry_run = subprocess.run(
        ["make", "-n", "demo", f"PORT={port}", *(f"{k}={v}" for k, v in variables.items())],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    line = next(line for line in dry_run.stdout.splitlines() if line.startswith("export "))
    words = shlex.split(line.partition(";")[0])[1:]
    return dict(word.split("=", 1) for word in words)


def test_walk_b2_demo_mails_link_to_the_port_the_demo_serves_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    exported = _demo_environment(port)
    assert exported["PUBLIC_BASE_URL"] == f"http://127.0.0.1:{port}"
    # A public address the user chose is kept.
    chosen = _demo_environment(port, PUBLIC_BASE_URL="https://paten.example")
    assert chosen["PUBLIC_BASE_URL"] == "https://paten.example"

    # The real server with the demo's environment: a sign-up's mail links back to it.
    url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    setup = create_app(app_test_config(url))
    with setup.app_context():
        Base.metadata.create_all(db.engine)
        db.session.add(Agency(slug="koeln", name="Demo Köln", city="Köln"))
        db.session.commit()
        db.engine.dispose()
    env = {**os.environ, **exported, "DATABASE_URL": url, "SECRET_KEY": "demo-port-test"}
    server = subprocess.Popen(
        [*FLASK, "run", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        form = _open_when_up(browser, base + "/signup/koeln")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)
        assert token
        data = urllib.parse.urlencode({**signup_form(), "csrf_token": token[1]}, doseq=True)
        sent = browser.open(base + "/signup/koeln", data=data.encode(), timeout=10)
        assert sent.url.endswith("/signup/koeln/sent")

        # The demo's outbox worker prints the mail; deliver it with the app's own outbox code.
        for name, value in {**exported, "DATABASE_URL": url, "SECRET_KEY": "x"}.items():
            monkeypatch.setenv(name, value)
        worker = create_app()
        with worker.app_context():
            assert outbox.send_due().sent == 1
            db.engine.dispose()
        link = link_in(capsys.readouterr().out)
        assert link.startswith(f"{base}/signup/confirm?token=")
        page = browser.open(link, timeout=10).read().decode()
        assert "Meine E-Mail-Adresse bestätigen" in page
    finally:
        server.terminate()
        server.wait(timeout=10)


def _open_when_up(opener: urllib.request.OpenerDirector, url: str) -> str:
    """GET a page of a server that is still starting; wait at most 20 s for it."""
    deadline = time.monotonic() + 20
    while True:
        try:
            return str(opener.open(url, timeout=5).read().decode())
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
