"""Staff users: create with a password shown once, deactivate (sessions end), reset a password."""

import re
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from matcher.extensions import db
from matcher.models import AuditEvent, User
from tests.conftest import inside, login


def _shown_password(html: str) -> str:
    match = re.search(r'class="secret"><code>([^<]+)</code>', html)
    assert match, "no password shown"
    return match.group(1)


def test_create_a_coordinator_who_can_log_in_with_the_shown_password(
    app: Flask, client: FlaskClient, make_user: Callable[..., Any], make_agency: Callable[..., Any]
) -> None:
    agency = make_agency()
    login(client, make_user("admin"))
    response = client.post("/admin/users", data={"email": "Neu@Example.org", "name": "Neu",
                                                  "role": "coordinator", "agency": str(agency.id)})  # fmt: skip
    assert response.status_code == 200
    password = _shown_password(response.get_data(as_text=True))
    assert login(app.test_client(), "neu@example.org", password).status_code == 302
    # Shown once: the user list does not show it.
    assert password not in client.get("/admin/users").get_data(as_text=True)
    # A coordinator without an agency, and a duplicate, are refused with a message.
    no_agency = client.post("/admin/users", data={"email": "x@example.org", "role": "coordinator",
                                                   "agency": "0"})  # fmt: skip
    assert no_agency.status_code == 400
    duplicate = client.post("/admin/users", data={"email": "neu@example.org", "role": "admin",
                                                   "agency": "0"})  # fmt: skip
    assert duplicate.status_code == 400
    with inside(app):
        assert db.session.scalar(select(User).where(User.email == "x@example.org")) is None


def test_deactivating_ends_the_sessions_and_reset_gives_a_new_password(
    app: Flask, client: FlaskClient, two_agencies: dict[str, Any]
) -> None:
    coordinator = two_agencies["a"]["coordinator"]
    theirs = app.test_client()
    login(theirs, coordinator)
    assert theirs.get("/dashboard").status_code == 200
    admin = two_agencies["admin"]
    login(client, admin)
    assert client.post(f"/admin/users/{coordinator.id}/deactivate").status_code == 302
    assert theirs.get("/dashboard").status_code == 302  # logged out
    assert login(app.test_client(), coordinator).status_code != 302  # cannot log in
    assert client.post(f"/admin/users/{coordinator.id}/activate").status_code == 302
    login(theirs, coordinator)
    reset = client.post(f"/admin/users/{coordinator.id}/password")
    new_password = _shown_password(reset.get_data(as_text=True))
    assert theirs.get("/dashboard").status_code == 302  # the reset ended the session too
    assert login(app.test_client(), coordinator).status_code != 302  # old password gone
    assert login(app.test_client(), coordinator, new_password).status_code == 302
    # An admin cannot lock themselves out.
    client.post(f"/admin/users/{admin.id}/deactivate")
    with inside(app):
        assert db.session.get(User, admin.id).active
        actions = db.session.scalars(select(AuditEvent.action)).all()
        for action in ("user.deactivate", "user.activate", "user.password_reset"):
            assert action in actions
    assert client.post("/admin/users/999999/deactivate").status_code == 404


def test_the_audit_log_lists_and_filters_events(
    app: Flask, client: FlaskClient, two_agencies: dict[str, Any]
) -> None:
    login(client, two_agencies["admin"])
    client.post("/admin/exports", data={"agency": str(two_agencies["a"]["agency"].id),
                                        "kind": "matches", "fmt": "csv", "delimiter": ";",
                                        "status": ""})  # fmt: skip
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "export.matches" in page and "user.login" in page
    filtered = client.get("/admin/audit?action=export").get_data(as_text=True)
    assert "export.matches" in filtered and "user.login" not in filtered
    by_actor = client.get("/admin/audit?actor=coord-a@example.org").get_data(as_text=True)
    assert "export.matches" not in by_actor
    b = two_agencies["b"]["agency"].id
    assert "export.matches" not in client.get(f"/admin/audit?agency={b}").get_data(as_text=True)
    assert client.get("/admin/audit?date_from=gestern").status_code == 400
    assert client.get("/admin/audit?page=0").status_code == 400
