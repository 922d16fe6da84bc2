"""I7 (pen test): the sign-up form stores data and mails an address before its owner has
proven it is theirs. Anyone could type a stranger's address again and again, and every
attempt mailed a confirmation link to it (limited only to 5 a minute per client).

Now an address gets at most `SIGNUP_MAILS_PER_ADDRESS_PER_DAY` sign-up mails in 24 hours,
counted in the outbox, and the page answers alike whether a mail went out or not. Through
a real SMTP server on 127.0.0.1, on both databases.
"""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from matcher.extensions import db
from matcher.models import AuditEvent, OutboxMessage, Volunteer, utcnow
from matcher.services.matching import workqueue
from matcher.services.platform import outbox
from tests.conftest import inside, login, mail_config
from tests.forms import signup_form

VICTIM = "victim@example.org"
NAMES = ("Mallory", "Mara", "Milan", "Mona", "Mats")


@pytest.fixture
def app_config(smtp_server: Any) -> dict[str, Any]:
    return mail_config(smtp_server.port)


@pytest.fixture
def agency(make_agency: Callable[..., Any]) -> Any:
    return make_agency(slug="awo-koeln", name="AWO Köln")


def _sign_up(app: Flask, client: Any, email: str, first_name: str) -> str:
    """Fill in the form as a stranger would, let the outbox send, return where it led."""
    response = client.post(
        "/signup/awo-koeln", data=signup_form(email=email, first_name=first_name)
    )
    assert response.status_code == 302
    with inside(app):
        outbox.send_due()
    return str(response.location)


def _mails_to(smtp_server: Any, address: str) -> int:
    return sum(1 for mail in smtp_server.messages if mail["To"] == address)


def _withheld(app: Flask) -> int:
    with inside(app):
        return int(
            db.session.scalar(
                select(func.count(AuditEvent.id)).where(
                    AuditEvent.action == "volunteer.signup_mail_withheld"
                )
            )
            or 0
        )


def test_I7_the_signup_form_mails_an_address_at_most_three_times_a_day_and_never_tells(
    app: Flask, client: Any, agency: Any, smtp_server: Any, make_volunteer: Callable[..., Any]
) -> None:
    # Five sign-ups with the victim's address: three mails reach her, then none; the page
    # is the same each time (a stranger cannot tell whether a mail went out).
    answers = {_sign_up(app, client, VICTIM, name) for name in NAMES}
    assert answers == {"/signup/awo-koeln/sent"}
    assert client.get("/signup/awo-koeln/sent").status_code == 200
    assert _mails_to(smtp_server, VICTIM) == 3
    assert _withheld(app) == 2  # the admins can see the attempts
    with inside(app):
        # The latest sign-up still counts (L9), unconfirmed, until she confirms one.
        people = db.session.scalars(select(Volunteer).where(Volunteer.email == VICTIM)).all()
        assert [(v.first_name, v.email_confirmed_at) for v in people] == [("Mats", None)]

    # Other addresses are not held up by hers.
    _sign_up(app, client, "someone.else@example.org", "Sabine")
    assert _mails_to(smtp_server, "someone.else@example.org") == 1

    # Someone registered and confirmed already gets "you are registered" mails: those count
    # the same way.
    known = make_volunteer(agency, email="known@example.org")
    for name in NAMES[:4]:
        _sign_up(app, client, known.email, name)
    assert _mails_to(smtp_server, known.email) == 3

    # A day later the address may be mailed again (the outbox is the count).
    with inside(app):
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.to_address == VICTIM)
            .values(created_at=utcnow() - timedelta(hours=25))
        )
        db.session.commit()
    _sign_up(app, client, VICTIM, "Vicky")
    assert _mails_to(smtp_server, VICTIM) == 4
    assert app.config["SIGNUP_MAILS_PER_ADDRESS_PER_DAY"] == 3  # the setting, by default


def test_I7_an_unconfirmed_signup_is_marked_and_offered_for_neither_matching_nor_contact(
    app: Flask,
    client: Any,
    agency: Any,
    make_user: Callable[..., Any],
    make_volunteer: Callable[..., Any],
) -> None:
    """The pen test saw such records "as nicht bestätigt" on the coordinators' pages: that
    stays, but nothing offers them to be matched or called (the domain's rules)."""
    client.post("/signup/awo-koeln", data=signup_form(email=VICTIM, first_name="Mallory"))
    confirmed = make_volunteer(agency, status="applied", first_name="Conny")
    staff = app.test_client()
    login(staff, make_user("coordinator", agency))
    listing = staff.get("/volunteers").get_data(as_text=True)
    assert "Mallory" in listing and "nicht bestätigt" in listing
    with inside(app):
        stranger = db.session.scalars(select(Volunteer).where(Volunteer.email == VICTIM)).one()
        # Not on the coordinators' list of sign-ups to call for an interview.
        (signups,) = [k for k in workqueue.today_list(agency.id, utcnow().date())
                      if k.kind == "signups"]  # fmt: skip
        assert [item.id for item in signups.items] == [confirmed.id]
    # Activation is refused as long as the address is unconfirmed...
    response = staff.post(f"/volunteers/{stranger.id}/status", data={"change": "activate"})
    assert response.status_code == 409 and "nicht bestätigt" in response.get_data(as_text=True)
    with inside(app):
        # ... and even active (set by hand) the matching leaves them out, in SQL and Python.
        db.session.execute(
            update(Volunteer).where(Volunteer.id.in_([stranger.id, confirmed.id]))
            .values(status="active")
        )  # fmt: skip
        db.session.commit()
        available = set(db.session.scalars(select(Volunteer.id).where(Volunteer.available)))
        assert available == {confirmed.id}
        person = db.session.get(Volunteer, stranger.id)
        assert person is not None and person.refusal() == "volunteer_not_confirmed"
