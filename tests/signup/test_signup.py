"""Sign-up with double opt-in, through a real SMTP server on 127.0.0.1."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from itsdangerous import TimestampSigner
from sqlalchemy import delete, func, select

from matcher.extensions import db
from matcher.models import AuditEvent, ConsentRecord, OutboxMessage, Volunteer, utcnow
from matcher.services.people import signup
from matcher.services.platform import outbox
from tests.conftest import inside, mail_config
from tests.forms import link_in, path_of, row_counts, signup_form
from tests.mailserver import body_of


@pytest.fixture
def app_config(smtp_server: Any) -> dict[str, Any]:
    return mail_config(smtp_server.port)


@pytest.fixture
def agency(make_agency: Callable[..., Any]) -> Any:
    return make_agency(slug="awo-koeln", name="AWO Köln", privacy_notice_version="2026-03")


def deliver(app: Flask, **kwargs: Any) -> outbox.Report:
    with inside(app):
        return outbox.send_due(**kwargs)


def confirm_via(client: Any, link: str) -> Any:
    """Open the link from the mail, then press its button."""
    page = client.get(path_of(link))
    assert page.status_code == 200 and "Adresse bestätigen" in page.get_data(as_text=True)
    token = link.rpartition("token=")[2]
    return client.post("/signup/confirm", data={"token": token})


def test_signup_sends_exactly_one_confirmation_mail_whose_link_confirms_once(
    app: Flask, client: Any, agency: Any, smtp_server: Any
) -> None:
    response = client.post("/signup/awo-koeln", data=signup_form())
    assert response.status_code == 302 and response.location.endswith("/signup/awo-koeln/sent")
    assert "Postfach" in client.get(response.location).get_data(as_text=True)

    with inside(app):
        v = db.session.scalars(select(Volunteer)).one()
        assert (v.first_name, v.last_name, v.email) == ("Seán", "O'Brien", "sean@example.org")
        assert v.status == "applied" and v.email_confirmed_at is None
        assert v.lat == pytest.approx(50.951, abs=0.01) and v.capacity == 2
        assert {(lang.code, lang.level) for lang in v.languages} == {
            ("de", "native"), ("ar", "basic")
        }  # fmt: skip
        consents = db.session.scalars(select(ConsentRecord)).all()
        assert {c.purpose for c in consents} == {"matching", "contact_sharing"}
        assert all(
            (c.notice_version, c.language, c.channel, c.taken_by_id)
            == ("2026-03", "de", "online", None)
            for c in consents
        )
        # The mail waits in the outbox, written in the same transaction.
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1

    assert smtp_server.messages == []
    assert deliver(app).sent == 1
    assert deliver(app, now=utcnow() + timedelta(days=1)).claimed == 0  # never twice
    mails = smtp_server.wait_for(1)
    assert len(mails) == 1
    mail = mails[0]
    assert mail["To"] == "sean@example.org"
    assert "AWO Köln" in mail["Subject"] and "Bitte bestätigen" in mail["Subject"]
    body = body_of(mail)
    assert "Hallo Seán" in body
    link = link_in(body)
    assert link.startswith("http://matcher.test/signup/confirm?token=")
    assert "sean@example.org" not in link

    first = confirm_via(client, link)
    assert first.status_code == 200 and "bestätigt" in first.get_data(as_text=True)
    with inside(app):
        confirmed_at = db.session.scalars(select(Volunteer)).one().email_confirmed_at
        assert confirmed_at is not None
    # A second visit says so at once; pressing a stale button again changes nothing either.
    again = client.get(path_of(link))
    assert again.status_code == 200 and "bereits bestätigt" in again.get_data(as_text=True)
    pressed = client.post("/signup/confirm", data={"token": link.rpartition("token=")[2]})
    assert pressed.status_code == 200 and "bereits bestätigt" in pressed.get_data(as_text=True)
    with inside(app):
        assert db.session.scalars(select(Volunteer)).one().email_confirmed_at == confirmed_at
        confirmations = select(func.count()).where(AuditEvent.action == "volunteer.confirm")
        assert db.session.scalar(confirmations) == 1
    assert len(smtp_server.messages) == 1


def test_the_confirmation_link_expires(
    app: Flask, client: Any, agency: Any, smtp_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    client.post("/signup/awo-koeln", data=signup_form())
    deliver(app)
    link = link_in(body_of(smtp_server.wait_for(1)[0]))
    hours = app.config["SIGNUP_CONFIRM_HOURS"]
    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(
        TimestampSigner, "get_timestamp", lambda self: real(self) + hours * 3600 + 60
    )
    # The link's page says so at once, and its button (pressed from an open page) too.
    page = client.get(path_of(link))
    assert page.status_code == 400 and "abgelaufen" in page.get_data(as_text=True)
    response = client.post("/signup/confirm", data={"token": link.rpartition("token=")[2]})
    assert response.status_code == 400 and "abgelaufen" in response.get_data(as_text=True)
    with inside(app):
        assert db.session.scalars(select(Volunteer)).one().email_confirmed_at is None


def test_a_forged_or_mangled_link_confirms_nothing(app: Flask, client: Any, agency: Any) -> None:
    client.post("/signup/awo-koeln", data=signup_form())
    with inside(app):
        body = db.session.scalars(select(OutboxMessage)).one().body
    token = link_in(body).rpartition("token=")[2]
    for bad in (token[:-2] + "xx", "", "a" * 600, token.replace(".", "", 1)):
        response = client.post("/signup/confirm", data={"token": bad})
        assert response.status_code == 400
    with inside(app):
        assert db.session.scalars(select(Volunteer)).one().email_confirmed_at is None


def test_a_repeated_signup_gets_the_same_answer_and_a_mail(
    app: Flask, client: Any, agency: Any, smtp_server: Any
) -> None:
    first = client.post("/signup/awo-koeln", data=signup_form())
    second = client.post(
        "/signup/awo-koeln",
        data=signup_form(first_name="Mallory", email=" SEAN@example.org ", postcode="10115"),
    )
    fresh = client.post("/signup/awo-koeln", data=signup_form(email="new@example.org"))
    # Known or unknown address: the page says exactly the same.
    assert (first.status_code, first.location) == (second.status_code, second.location)
    assert (fresh.status_code, fresh.location) == (second.status_code, second.location)
    with inside(app):
        sean = db.session.scalar(select(Volunteer).where(Volunteer.email == "sean@example.org"))
        # Unconfirmed, the latest sign-up counts (L9, see below).
        assert sean.first_name == "Mallory" and sean.postcode == "10115"
        assert db.session.scalar(select(func.count()).select_from(Volunteer)) == 2
    deliver(app)
    to_sean = [m for m in smtp_server.wait_for(2) if m["To"] == "sean@example.org"]
    # The first confirmation mail was still queued: it went with its sign-up.
    assert len(to_sean) == 1
    assert all("bestätigen" in m["Subject"] for m in to_sean)

    # Once confirmed, a repeat brings a link to the profile instead.
    confirm_via(client, link_in(body_of(to_sean[0])))
    again = client.post("/signup/awo-koeln", data=signup_form(first_name="Mallory"))
    assert (again.status_code, again.location) == (first.status_code, first.location)
    deliver(app)
    last = smtp_server.wait_for(3)[-1]
    assert last["To"] == "sean@example.org" and "bereits angemeldet" in last["Subject"]
    assert "/me/open?token=" in link_in(body_of(last))


def test_the_same_address_may_sign_up_with_another_agency(
    app: Flask, client: Any, agency: Any, make_agency: Callable[..., Any]
) -> None:
    make_agency(slug="caritas-bonn", name="Caritas Bonn")
    client.post("/signup/awo-koeln", data=signup_form())
    client.post("/signup/caritas-bonn", data=signup_form())
    with inside(app):
        agencies = db.session.scalars(select(Volunteer.agency_id)).all()
        assert len(set(agencies)) == 2


def test_the_honeypot_gets_the_same_answer_and_stores_nothing(
    app: Flask, client: Any, agency: Any
) -> None:
    before = row_counts(app)
    response = client.post("/signup/awo-koeln", data=signup_form(website="http://spam.example"))
    assert response.status_code == 302 and response.location.endswith("/signup/awo-koeln/sent")
    assert row_counts(app) == before


def test_unconfirmed_signups_never_reach_matching(
    app: Flask, client: Any, agency: Any, make_user: Callable[..., Any]
) -> None:
    from tests.conftest import login

    client.post("/signup/awo-koeln", data=signup_form())
    with inside(app):
        volunteer_id = db.session.scalars(select(Volunteer.id)).one()
    staff = app.test_client()
    login(staff, make_user("coordinator", agency))
    response = staff.post(f"/volunteers/{volunteer_id}/status", data={"change": "activate"})
    assert response.status_code == 409
    assert "nicht bestätigt" in response.get_data(as_text=True)
    with inside(app):
        assert db.session.get(Volunteer, volunteer_id).status == "applied"


def test_purge_unconfirmed_deletes_only_old_unconfirmed_signups(
    app: Flask, agency: Any, make_volunteer: Callable[..., Any]
) -> None:
    old = utcnow() - timedelta(days=20)
    stale = make_volunteer(agency, email_confirmed_at=None, status="applied", created_at=old)
    recent = make_volunteer(agency, email_confirmed_at=None, status="applied")
    confirmed = make_volunteer(agency, created_at=old)
    with inside(app):
        outbox.enqueue("signup_confirm", stale.email, "s", "b")
        db.session.commit()
        assert signup.purge_unconfirmed(14) == 1
        remaining = set(db.session.scalars(select(Volunteer.id)))
        assert remaining == {recent.id, confirmed.id}
        assert (
            db.session.scalar(select(func.count()).where(ConsentRecord.volunteer_id == stale.id))
            == 0
        )
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        assert signup.purge_unconfirmed(14) == 0  # idempotent


def test_consent_to_matching_is_required(app: Flask, client: Any, agency: Any) -> None:
    before = row_counts(app)
    response = client.post("/signup/awo-koeln", data=signup_form(consent_matching=None))
    assert response.status_code == 400
    assert "Ohne diese Einwilligung" in response.get_data(as_text=True)
    assert row_counts(app) == before


def test_the_signup_rate_limit_answers_429(
    make_app: Callable[..., Flask], make_agency: Callable[..., Any]
) -> None:
    app = make_app(RATELIMIT_ENABLED=True, SIGNUP_RATE_LIMIT="2 per minute")
    make_agency(slug="awo-koeln")
    client = app.test_client()
    codes = [
        client.post("/signup/awo-koeln", data=signup_form(email=f"p{i}@example.org")).status_code
        for i in range(3)
    ]
    assert codes == [302, 302, 429]
    assert client.get("/signup/awo-koeln").status_code == 200  # reading the form is not limited


def test_choosing_the_agency_and_reading_its_privacy_notice(
    client: Any, agency: Any, make_agency: Callable[..., Any]
) -> None:
    assert client.get("/signup").location.endswith("/signup/awo-koeln")  # the only one
    make_agency(
        slug="caritas-bonn",
        name="Caritas Bonn",
        privacy_notice_text="Wir speichern wenig.\n\nMehr nicht.",
    )
    page = client.get("/signup").get_data(as_text=True)
    assert "AWO Köln" in page and "Caritas Bonn" in page
    notice = client.get("/signup/caritas-bonn/privacy").get_data(as_text=True)
    assert "Wir speichern wenig." in notice and "Mehr nicht." in notice and "Version 1" in notice
    form = client.get("/signup/awo-koeln").get_data(as_text=True)
    assert 'href="/signup/awo-koeln/privacy"' in form and "Version 2026-03" in form
    assert client.get("/signup/no-such-agency").status_code == 404


def test_a_language_row_is_added_without_javascript_keeping_what_was_typed(
    app: Flask, client: Any, agency: Any
) -> None:
    before = row_counts(app)
    response = client.post(
        "/signup/awo-koeln", data=signup_form(add_language="x", first_name="Zoë")
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="languages-2-code"' in html and 'value="Zoë"' in html
    assert row_counts(app) == before


def test_signup_and_confirmation_work_with_csrf_protection_on(
    make_app: Callable[..., Flask], make_agency: Callable[..., Any]
) -> None:
    from tests.conftest import csrf_token

    app = make_app(WTF_CSRF_ENABLED=True)
    make_agency(slug="awo-koeln")
    client = app.test_client()
    token = csrf_token(client, "/signup/awo-koeln")
    assert client.post("/signup/awo-koeln", data=signup_form()).status_code == 400  # no token
    response = client.post("/signup/awo-koeln", data={**signup_form(), "csrf_token": token})
    assert response.status_code == 302
    with inside(app):
        link = link_in(db.session.scalars(select(OutboxMessage)).one().body)
    visitor = app.test_client()  # the mail is opened in another browser
    form_token = csrf_token(visitor, path_of(link))
    confirmed = visitor.post(
        "/signup/confirm",
        data={"token": link.rpartition("token=")[2], "csrf_token": form_token},
    )
    assert confirmed.status_code == 200 and "bestätigt" in confirmed.get_data(as_text=True)


def test_the_mail_is_written_in_the_language_the_volunteer_used(
    app: Flask, client: Any, agency: Any, smtp_server: Any
) -> None:
    client.post("/language", data={"lang": "en", "next": "/signup/awo-koeln"})
    page = client.get("/signup/awo-koeln").get_data(as_text=True)
    assert "Become a mentor" in page
    client.post("/signup/awo-koeln", data=signup_form())
    deliver(app)
    mail = smtp_server.wait_for(1)[0]
    assert mail["Subject"] == "Please confirm your sign-up with AWO Köln"
    assert body_of(mail).startswith("Hello Seán,")
    with inside(app):
        assert {c.language for c in db.session.scalars(select(ConsentRecord))} == {"en"}


def test_L9_the_latest_unconfirmed_signup_replaces_a_squatted_one_and_the_link_shows_it(
    app: Flask, client: Any, agency: Any, smtp_server: Any
) -> None:
    """L9 (pen test): Mallory signed up with Vicky's address; Vicky's own sign-up was
    dropped, and confirming Mallory's link made his data hers."""
    client.post("/signup/awo-koeln", data=signup_form(
        email="vicky@example.org", first_name="Mallory", last_name="Squatter",
        phone="0170 6666666", motivation="written by attacker"))  # fmt: skip
    deliver(app)
    squatted = link_in(body_of(smtp_server.wait_for(1)[-1]))
    # The page of Mallory's link shows exactly what it would confirm.
    page = client.get(path_of(squatted)).get_data(as_text=True)
    assert "Mallory" in page and "written by attacker" in page and "0170 6666666" in page

    client.post("/signup/awo-koeln", data=signup_form(
        email="vicky@example.org", first_name="Vicky", last_name="Real",
        phone="0221 111111", motivation="real person"))  # fmt: skip
    deliver(app)
    mail = smtp_server.wait_for(2)[-1]
    assert mail["To"] == "vicky@example.org" and "Hallo Vicky" in body_of(mail)
    with inside(app):
        people = db.session.scalars(select(Volunteer)).all()
        assert [(v.first_name, v.motivation) for v in people] == [("Vicky", "real person")]
    # Mallory's link is dead; Vicky's shows her own details and confirms them.
    dead = client.get(path_of(squatted))
    assert dead.status_code == 400 and "Mallory" not in dead.get_data(as_text=True)
    token = squatted.rpartition("token=")[2]
    assert client.post("/signup/confirm", data={"token": token}).status_code == 400
    own = link_in(body_of(mail))
    page = client.get(path_of(own)).get_data(as_text=True)
    assert "Vicky" in page and "Real" in page and "real person" in page and "0221 111111" in page
    assert confirm_via(client, own).status_code == 200
    with inside(app):
        vicky = db.session.scalars(select(Volunteer)).one()
        assert vicky.email_confirmed_at is not None and vicky.last_name == "Real"


def test_L9_an_imported_or_confirmed_volunteer_is_never_replaced_by_a_signup(
    app: Flask, client: Any, agency: Any, make_volunteer: Callable[..., Any]
) -> None:
    ida = make_volunteer(agency, email="imported@example.org", email_confirmed_at=None,
                         status="applied", first_name="Ida")  # fmt: skip
    with inside(app):  # imported without a consent: no online sign-up of hers exists
        db.session.execute(delete(ConsentRecord).where(ConsentRecord.volunteer_id == ida.id))
        db.session.commit()
    make_volunteer(agency, email="known@example.org", first_name="Konrad")
    for email in ("imported@example.org", "known@example.org"):
        client.post("/signup/awo-koeln", data=signup_form(email=email, first_name="Mallory"))
    with inside(app):
        names = sorted(v.first_name for v in db.session.scalars(select(Volunteer)))
    assert names == ["Ida", "Konrad"]
