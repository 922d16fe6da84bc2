"""I6 (pen test, informational): the approval mail named a coordinator without a name as
"Ihre Ansprechperson: coord@…, coord@…" — the address twice."""

from collections.abc import Callable

from flask import Flask
from sqlalchemy import select

from matcher.extensions import db
from matcher.models import Newcomer, OutboxMessage, User, Volunteer
from tests.conftest import inside, login
from tests.matching.conftest import Office


def _approve_and_read_mail(app: Flask, coordinator: User, match_id: int, address: str) -> str:
    client = app.test_client()
    login(client, coordinator)
    response = client.post(f"/matching/proposals/{match_id}/approve", data={"version": 1})
    assert response.status_code == 302
    with inside(app):
        mail = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.to_address == address)
        ).one()
        return mail.body


def test_I6_a_coordinator_without_a_name_is_named_once_by_address_in_the_approval_mail(
    app: Flask,
    office: Office,
    make_user: Callable[..., User],
    make_volunteer: Callable[..., Volunteer],
    make_newcomer: Callable[..., Newcomer],
    propose: Callable[..., int],
) -> None:
    nameless = make_user("coordinator", office.agency, name="", email="team@agentur.example")
    volunteer = make_volunteer(office.agency, email="vera@example.org")
    body = _approve_and_read_mail(
        app, nameless, propose(volunteer, make_newcomer(office.agency)), "vera@example.org"
    )
    assert "Ihre Ansprechperson: team@agentur.example\n" in body
    assert body.count("team@agentur.example") == 1

    # A coordinator with a name: the name, then the address.
    named = make_volunteer(office.agency, email="paul@example.org")
    body = _approve_and_read_mail(
        app, office.coordinator, propose(named, make_newcomer(office.agency)), "paul@example.org"
    )
    assert f"Ihre Ansprechperson: Kim Koordination, {office.coordinator.email}" in body
