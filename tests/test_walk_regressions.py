"""Bugs a new user hit on a first walk through the demo, kept fixed.

B1: the volunteer's profile was sent as text/plain, so browsers showed its HTML source.
B2: `make demo PORT=…` mailed links to port 5000.
"""

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from matcher.extensions import db
from matcher.models import Volunteer
from matcher.services import outbox
from tests.conftest import mail_config
from tests.forms import link_in, path_of, profile_form, signup_form
from tests.mailserver import body_of


@pytest.fixture
def app_config(smtp_server: Any) -> dict[str, Any]:
    return mail_config(smtp_server.port)


def _mailed_link(app: Flask, smtp_server: Any, count: int) -> str:
    """Deliver the outbox to the SMTP server and return the link in the `count`-th mail."""
    with app.app_context():
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
    with app.app_context():  # the coordinator's interview: now the volunteer can take a break
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
    with app.app_context():  # anonymised: the row stays for the counts, the person is gone
        assert db.session.scalars(select(Volunteer)).one().first_name != "Seán"
