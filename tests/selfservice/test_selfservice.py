"""Volunteer self-service by magic link: profile, break, consent, erasure of everything."""

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from flask import Flask
from itsdangerous import TimestampSigner
from sqlalchemy import func, select

from matcher.domain.vocab import mask_to_slots
from matcher.extensions import db
from matcher.models import (
    AuditEvent,
    CheckIn,
    ConsentRecord,
    Match,
    MatchEvent,
    OutboxMessage,
    Volunteer,
)
from matcher.services.platform import outbox
from tests.conftest import inside, mail_config
from tests.forms import errors, link_in, profile_form, row_counts
from tests.mailserver import body_of
from tests.services.test_erasure import _all_text


@pytest.fixture
def app_config(smtp_server: Any) -> dict[str, Any]:
    return mail_config(smtp_server.port)


@pytest.fixture
def agency(make_agency: Callable[..., Any]) -> Any:
    return make_agency(slug="awo-koeln", name="AWO Köln")


@pytest.fixture
def volunteer(agency: Any, make_volunteer: Callable[..., Any]) -> Any:
    return make_volunteer(
        agency, first_name="Quirin", last_name="Zwölfer", email="quirin@example.org",
        phone="+49 221 555 0199", motivation="Ich war selbst neu hier.", postcode="50999",
        can_show_certificate=True, certificate_inspected_on=date(2026, 1, 5),
        certificate_issued_on=date(2025, 12, 1), certificate_result="clear",
    )  # fmt: skip


def magic_link(app: Flask, client: Any, smtp_server: Any, email: str = "quirin@example.org") -> str:
    """Ask for a link through the form and take it from the mail the SMTP server received."""
    before = len(smtp_server.messages)
    response = client.post("/me/link", data={"email": email})
    assert response.status_code == 302 and response.location.endswith("/me/link/sent")
    with inside(app):
        outbox.send_due()
    mails = smtp_server.wait_for(before + 1)
    assert len(mails) == before + 1
    return link_in(body_of(mails[-1]))


def open_profile(client: Any, link: str) -> Any:
    token = link.rpartition("token=")[2]
    page = client.get(link.replace("http://matcher.test", ""))
    assert page.status_code == 200 and "Mein Profil öffnen" in page.get_data(as_text=True)
    return client.post("/me/open", data={"token": token})


@pytest.fixture
def me(app: Flask, client: Any, volunteer: Any, smtp_server: Any) -> Any:
    """A client with the volunteer's profile open."""
    response = open_profile(client, magic_link(app, client, smtp_server))
    assert response.status_code == 302 and response.location.endswith("/me/")
    return client


def test_a_magic_link_opens_the_profile(me: Any) -> None:
    html = me.get("/me/").get_data(as_text=True)
    assert "Hallo Quirin" in html and "AWO Köln" in html


def test_unknown_or_unconfirmed_addresses_get_the_same_answer_and_no_mail(
    app: Flask, client: Any, agency: Any, make_volunteer: Callable[..., Any], smtp_server: Any
) -> None:
    make_volunteer(agency, email="pending@example.org", email_confirmed_at=None, status="applied")
    for email in ("nobody@example.org", "pending@example.org"):
        response = client.post("/me/link", data={"email": email})
        assert response.status_code == 302 and response.location.endswith("/me/link/sent")
    with inside(app):
        # The worker looks them up: no mail, and the requests are gone.
        assert outbox.send_due().sent == 0
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert smtp_server.messages == []


def test_without_a_session_the_profile_is_closed(client: Any, volunteer: Any) -> None:
    assert client.get("/me/").location.endswith("/me/link")
    response = client.post("/me/pause")
    assert response.status_code == 302 and response.location.endswith("/me/link")
    assert client.post("/me/open", data={"token": "forged"}).status_code == 400


def test_updating_languages_times_and_capacity(app: Flask, me: Any, volunteer: Any) -> None:
    response = me.post("/me/profile", data=profile_form())
    assert response.status_code == 302
    with inside(app):
        v = db.session.get(Volunteer, volunteer.id)
        assert {(lang.code, lang.level) for lang in v.languages} == {
            ("de", "native"), ("uk", "good")
        }  # fmt: skip
        assert mask_to_slots(v.slots) == ["tue-morning"]
        assert (v.capacity, v.topics) == (3, ["homework"])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"languages-0-code": "xx"}, "Unbekannte Sprache."),
        ({"languages-0-level": "expert"}, "Unbekanntes Niveau."),
        ({"languages-0-level": ""}, "Bitte wählen Sie ein Niveau."),
        ({"languages-1-code": "de"}, "Bitte jede Sprache nur einmal angeben."),
        ({"slots": []}, "Bitte kreuzen Sie mindestens eine Zeit an."),
        ({"slots": ["mon-night"]}, "valid choice"),
        ({"capacity": "4"}, "gültige Auswahl"),
        ({"languages-0-code": "", "languages-1-code": ""}, "mindestens eine Sprache"),
    ],
)
def test_bad_profile_input_is_refused_and_changes_nothing(
    app: Flask, me: Any, change: dict[str, Any], message: str
) -> None:
    before = _all_text(app)
    response = me.post("/me/profile", data=profile_form(**change))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert any(message in e for e in errors(html)) or message in html, errors(html)
    assert _all_text(app) == before


def test_pause_and_resume(app: Flask, me: Any, volunteer: Any) -> None:
    assert me.post("/me/pause").status_code == 302
    with inside(app):
        assert db.session.get(Volunteer, volunteer.id).status == "paused"
    assert me.post("/me/pause").status_code == 409  # not twice
    assert me.post("/me/resume").status_code == 302
    with inside(app):
        assert db.session.get(Volunteer, volunteer.id).status == "active"


def test_withdrawing_consent(
    app: Flask, make_volunteer: Callable[..., Any], me: Any, volunteer: Any
) -> None:
    with inside(app):
        db.session.add(
            ConsentRecord(agency_id=volunteer.agency_id, volunteer_id=volunteer.id,
                          purpose="contact_sharing", notice_version="1", language="de", channel="online")
        )  # fmt: skip
        db.session.commit()
    assert me.post("/me/consent/withdraw", data={"purpose": "contact_sharing"}).status_code == 302
    with inside(app):
        v = db.session.get(Volunteer, volunteer.id)
        assert v.status == "active"
        records = {c.purpose: c for c in db.session.scalars(select(ConsentRecord))}
        assert records["contact_sharing"].withdrawn_at is not None
        assert records["matching"].withdrawn_at is None
    assert me.post("/me/consent/withdraw", data={"purpose": "contact_sharing"}).status_code == 409
    assert me.post("/me/consent/withdraw", data={"purpose": "bogus"}).status_code == 400
    assert me.post("/me/consent/withdraw", data={"purpose": "matching"}).status_code == 302
    with inside(app):
        v = db.session.get(Volunteer, volunteer.id)
        # Without consent to matching they leave the matching, and the certificate record goes.
        assert v.status == "inactive" and v.certificate_inspected_on is None


def test_logging_out_revokes_every_link_sent_so_far(
    app: Flask, client: Any, volunteer: Any, smtp_server: Any
) -> None:
    link = magic_link(app, client, smtp_server)
    assert open_profile(client, link).status_code == 302
    assert client.post("/me/logout").status_code == 302
    assert client.get("/me/").location.endswith("/me/link")
    again = open_profile(app.test_client(), link)
    # Used once already (and revoked by the logout): it opens nothing.
    assert again.status_code == 400 and "bereits benutzt" in again.get_data(as_text=True)


def test_a_magic_link_expires(
    app: Flask, client: Any, volunteer: Any, smtp_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    link = magic_link(app, client, smtp_server)
    minutes = app.config["MAGIC_LINK_MINUTES"]
    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(
        TimestampSigner, "get_timestamp", lambda self: real(self) + minutes * 60 + 5
    )
    response = open_profile(client, link)
    assert response.status_code == 400 and "abgelaufen" in response.get_data(as_text=True)


def test_the_profile_session_ends_with_the_link_lifetime(me: Any) -> None:
    with me.session_transaction() as s:
        s["volunteer"] = {**s["volunteer"], "until": "2020-01-01T00:00:00+00:00"}
    assert me.get("/me/").location.endswith("/me/link")


def test_delete_everything_removes_their_data_from_every_table_and_keeps_counts(
    app: Flask, me: Any, volunteer: Any, make_newcomer: Callable[..., Any]
) -> None:
    newcomer = make_newcomer(_agency_of(volunteer), first_name="Zilpha")
    with inside(app):
        match = Match(agency_id=volunteer.agency_id, volunteer_id=volunteer.id,
                      newcomer_id=newcomer.id, status="active", reasons=["shares Arabic"])  # fmt: skip
        db.session.add(match)
        db.session.flush()
        db.session.add(CheckIn(agency_id=volunteer.agency_id, match_id=match.id,
                               due_on=date(2026, 12, 1), note="Quirin kommt gut an"))  # fmt: skip
        db.session.add(MatchEvent(match_id=match.id, to_status="active", note="Quirin traf Zilpha"))
        db.session.commit()
    before = _all_text(app)
    assert "quirin@example.org" in before and "Quirin" in before  # also in the outbox
    counts = row_counts(app)

    refused = me.post("/me/delete", data={})
    assert refused.status_code == 400 and "Häkchen" in refused.get_data(as_text=True)
    assert _all_text(app) == before

    response = me.post("/me/delete", data={"confirm": "y"})
    assert response.status_code == 302 and response.location.endswith("/me/deleted")
    after = _all_text(app)
    for trace in ("Quirin", "Zwölfer", "quirin@example.org", "555 0199", "selbst neu",
                  "50999", "kommt gut an", "traf Zilpha"):  # fmt: skip
        assert trace not in after, trace
    with inside(app):
        v = db.session.get(Volunteer, volunteer.id)
        assert v.anonymised_at is not None and v.certificate_inspected_on is None
        assert db.session.scalar(select(func.count()).select_from(Volunteer)) == 1
        assert db.session.scalar(select(func.count()).select_from(Match)) == 1
        assert db.session.scalars(select(Match)).one().status == "ended"
        assert db.session.scalar(select(func.count()).select_from(ConsentRecord)) == 1  # Zilpha's
        erased = select(func.count()).where(AuditEvent.action == "volunteer.erase")
        assert db.session.scalar(erased) == 1
    after_counts = row_counts(app)
    assert after_counts["volunteers"] == counts["volunteers"]
    assert after_counts["matches"] == counts["matches"]
    assert after_counts["newcomers"] == counts["newcomers"]
    # The session is over and the profile cannot be opened again.
    assert me.get("/me/").location.endswith("/me/link")


def _agency_of(volunteer: Any) -> Any:
    class _A:
        id = volunteer.agency_id

    return _A()


def test_L1_a_magic_link_opens_the_profile_once_and_then_says_it_was_used(
    app: Flask, client: Any, volunteer: Any, smtp_server: Any
) -> None:
    """L1 (pen test): the same link opened the profile for anyone who held it, for an hour."""
    link = magic_link(app, client, smtp_server)
    assert open_profile(client, link).location.endswith("/me/")
    # Someone else with the same link (a forwarded mail, a shared browser's history):
    other = app.test_client()
    response = open_profile(other, link)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Dieser Link wurde bereits benutzt" in html and "/me/link" in html
    assert other.get("/me/").location.endswith("/me/link")
    # The first visitor's session goes on.
    assert "Hallo Quirin" in client.get("/me/").get_data(as_text=True)


def test_L4_a_known_and_an_unknown_address_do_the_same_work_in_the_request(
    app: Flask, client: Any, volunteer: Any, smtp_server: Any
) -> None:
    """L4 (pen test): a known address took 11 ms longer (a mail rendered, queued, audited).
    Now the request writes one row either way; the outbox worker does the rest."""
    from sqlalchemy import event

    def statements_for(email: str) -> list[str]:
        seen: list[str] = []

        def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            seen.append(statement)  # parameters apart: the same text for every address

        with inside(app):
            engine = db.engine
        event.listen(engine, "before_cursor_execute", note)
        try:
            response = client.post("/me/link", data={"email": email})
        finally:
            event.remove(engine, "before_cursor_execute", note)
        assert response.status_code == 302 and response.location.endswith("/me/link/sent")
        return seen

    known, unknown = statements_for("quirin@example.org"), statements_for("nobody@example.org")
    assert known == unknown
    assert not any("volunteers" in s for s in known)  # nobody is looked up in the request
    with inside(app):
        assert outbox.send_due().sent == 1
    mails = smtp_server.wait_for(1)
    assert [m["To"] for m in mails] == ["quirin@example.org"]
    assert "/me/open?token=" in link_in(body_of(mails[0]))
    with inside(app):
        kinds = db.session.scalars(select(OutboxMessage.kind)).all()
        audited = db.session.scalar(
            select(func.count()).where(AuditEvent.action == "volunteer.magic_link")
        )
    assert kinds == ["magic_link"] and audited == 1
