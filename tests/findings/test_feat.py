"""Regression tests for the feature audit's bugs (shared/findings/feat.md, B1–B21).

Each test is named after its finding and goes through the pages, links in real mails and
the command line as people do; each failed on commit 8ed074e.
"""

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from matcher.extensions import db
from matcher.models import (
    AuditEvent,
    CheckIn,
    Match,
    MatchEvent,
    Newcomer,
    OutboxMessage,
    User,
    Volunteer,
    utcnow,
)
from matcher.services.platform import outbox
from tests.conftest import inside, login, mail_config
from tests.forms import link_in
from tests.mailserver import body_of
from tests.matching.conftest import Office, load_match

TODAY = utcnow().date()
#: Inspected in 2020: "renewal due 01.01.2025" — the certificate no longer counts.
EXPIRED = {
    "certificate_inspected_on": date(2020, 1, 15),
    "certificate_issued_on": date(2020, 1, 1),
    "certificate_result": "clear",
}
VALID = {
    "certificate_inspected_on": TODAY - timedelta(days=10),
    "certificate_issued_on": TODAY - timedelta(days=40),
    "certificate_result": "clear",
}


def _proposals(app: Flask) -> list[tuple[int, int]]:
    with inside(app):
        rows = db.session.execute(
            select(Match.volunteer_id, Match.newcomer_id).where(Match.status == "proposed")
        ).all()
        return [(v, n) for v, n in rows]


def _status(app: Flask, match_id: int) -> str:
    return load_match(app, match_id).status


def _coordinator(app: Flask, office: Office) -> FlaskClient:
    client = app.test_client()
    login(client, office.coordinator)
    return client


# --------------------------------------------------------------------------- child protection


@pytest.mark.parametrize("why", ["children", "under_18"])
def test_feat_b1_b2_an_invalid_certificate_never_gives_a_proposal_approval_or_alternative(
    app: Flask,
    office: Office,
    make_volunteer: Callable[..., Volunteer],
    make_newcomer: Callable[..., Newcomer],
    propose: Callable[..., int],
    why: str,
    run_jobs: Callable[[], int],
) -> None:
    """B1: a certificate that expired in 2025 counted; B2: an under-18 newcomer needed none.

    Whether proposed by the engine, approved, or chosen as an alternative, a newcomer who
    needs a certificate never gets a volunteer without a valid one.
    """
    expired = make_volunteer(office.agency, first_name="Carla", **EXPIRED)
    missing = make_volunteer(office.agency, first_name="Gisela")
    certified = make_volunteer(office.agency, first_name="Vera", capacity=1, **VALID)
    child = (
        {"minors": True, "age_band": "26_35"}
        if why == "children"
        else {"minors": False, "age_band": "under_18"}
    )
    mina = make_newcomer(office.agency, first_name="Mina", **child)
    client = _coordinator(app, office)

    # The engine: only the volunteer with a valid certificate is proposed.
    assert client.post("/matching/run").status_code == 302
    run_jobs()
    assert _proposals(app) == [(certified.id, mina.id)]

    # An alternative: neither uncertified volunteer is offered, nor accepted by hand.
    with inside(app):
        match_id = db.session.scalars(select(Match.id).where(Match.status == "proposed")).one()
    page = client.get(f"/matching/proposals/{match_id}/alternatives").get_data(as_text=True)
    assert "Carla" not in page and "Gisela" not in page
    for volunteer in (expired, missing):
        picked = client.post(
            f"/matching/proposals/{match_id}/alternatives",
            data={"version": 1, "volunteer_id": volunteer.id},
        )
        assert picked.status_code == 409
        assert "Führungszeugnis" in picked.get_data(as_text=True)
        assert load_match(app, match_id).volunteer_id == certified.id

    # Approval: a proposal with an uncertified volunteer (e.g. from before) is refused.
    for volunteer in (expired, missing):
        other = make_newcomer(office.agency, **child)
        stale = propose(volunteer, other)
        refused = client.post(f"/matching/proposals/{stale}/approve", data={"version": 1})
        assert refused.status_code == 409, volunteer.first_name
        assert _status(app, stale) == "proposed"


def test_feat_b1_the_certificate_list_and_page_say_an_expired_one_no_longer_counts(
    app: Flask, office: Office, make_volunteer: Callable[..., Volunteer]
) -> None:
    carla = make_volunteer(office.agency, first_name="Carla", **EXPIRED)
    client = _coordinator(app, office)
    page = client.get(f"/volunteers/{carla.id}").get_data(as_text=True)
    assert "gilt nicht mehr" in page and "01.01.2025" in page
    assert "Carla" in client.get("/volunteers/certificates").get_data(as_text=True)


def test_feat_b9_a_certificate_expiring_today_is_listed_on_any_day_of_the_month(
    app: Flask, office: Office, make_volunteer: Callable[..., Volunteer]
) -> None:
    """B9: on the 29th–31st the list clamped its cutoff to the 28th and missed expiries."""
    five_years_ago = TODAY.replace(year=TODAY.year - 5)
    bodo = make_volunteer(
        office.agency,
        first_name="Bodo",
        certificate_inspected_on=five_years_ago,
        certificate_issued_on=five_years_ago,
        certificate_result="clear",
    )
    client = _coordinator(app, office)
    assert "Bodo" in client.get("/volunteers/certificates").get_data(as_text=True)
    with inside(app):
        volunteer = db.session.get(Volunteer, bodo.id)
        assert volunteer is not None and not volunteer.certificate_valid_on(TODAY)
        assert volunteer.certificate_valid_on(TODAY - timedelta(days=1))


# --------------------------------------------------------------------------- lifecycle


@pytest.fixture
def app_config(smtp_server: Any) -> dict[str, Any]:
    return mail_config(smtp_server.port)


def _profile(app: Flask, smtp_server: Any, email: str) -> FlaskClient:
    """The volunteer's own browser with the profile open from the link in a real mail."""
    client = app.test_client()
    before = len(smtp_server.messages)
    assert client.post("/me/link", data={"email": email}).status_code == 302
    with inside(app):
        outbox.send_all_due()
    link = link_in(body_of(smtp_server.wait_for(before + 1)[-1]))
    token = link.rpartition("token=")[2]
    assert client.post("/me/open", data={"token": token}).status_code == 302
    return client


def _running(app: Flask, client: FlaskClient, match_id: int) -> None:
    assert (
        client.post(f"/matching/proposals/{match_id}/approve", data={"version": 1}).status_code
        == 302
    )
    assert (
        client.post(f"/patenschaften/{match_id}/activate", data={"version": 2}).status_code == 302
    )


def test_feat_b3_a_newcomer_waits_again_after_her_volunteer_deletes_their_data(
    app: Flask,
    office: Office,
    make_volunteer: Callable[..., Volunteer],
    make_newcomer: Callable[..., Newcomer],
    propose: Callable[..., int],
    smtp_server: Any,
    run_jobs: Callable[[], int],
) -> None:
    greta = make_volunteer(office.agency, first_name="Greta", email="greta@example.org")
    hodan = make_newcomer(office.agency, first_name="Hodan")
    coordinator = _coordinator(app, office)
    match_id = propose(greta, hodan)
    _running(app, coordinator, match_id)

    me = _profile(app, smtp_server, "greta@example.org")
    assert me.post("/me/delete", data={"confirm": "y"}).status_code == 302

    assert _status(app, match_id) == "ended"
    with inside(app):
        assert db.session.get(Newcomer, hodan.id).status == "waiting"  # type: ignore[union-attr]
    assert "Hodan" in coordinator.get("/newcomers?status=waiting").get_data(as_text=True)
    # The next run sees her: proposed to someone new, or listed with a reason.
    make_volunteer(office.agency, first_name="Neu")
    assert coordinator.post("/matching/run").status_code == 302
    run_jobs()
    assert any(n == hodan.id for _, n in _proposals(app))
    # The coordinators are told by mail, without names.
    with inside(app):
        outbox.send_all_due()
    told = [m for m in smtp_server.messages if m["To"] == office.coordinator.email]
    assert told and "Daten gelöscht" in told[-1]["Subject"]
    assert "Greta" not in body_of(told[-1])


def test_feat_b4_withdrawing_consent_ends_what_had_not_started_and_flags_what_runs(
    app: Flask,
    office: Office,
    make_volunteer: Callable[..., Volunteer],
    make_newcomer: Callable[..., Newcomer],
    propose: Callable[..., int],
    runner: Any,
    smtp_server: Any,
) -> None:
    greta = make_volunteer(office.agency, first_name="Greta", email="greta@example.org",
                           capacity=3)  # fmt: skip
    hodan, amal, bilal = (
        make_newcomer(office.agency, first_name=n) for n in ("Hodan", "Amal", "Bilal")
    )
    coordinator = _coordinator(app, office)
    running = propose(greta, hodan)
    _running(app, coordinator, running)
    approved = propose(greta, amal)
    assert (
        coordinator.post(f"/matching/proposals/{approved}/approve", data={"version": 1}).status_code
        == 302
    )
    proposed = propose(greta, bilal)
    # A check-in of the running one is due in two days.
    with inside(app):
        checkin = db.session.scalars(select(CheckIn).where(CheckIn.match_id == running)).one()
        checkin.due_on = TODAY + timedelta(days=2)
        db.session.commit()

    me = _profile(app, smtp_server, "greta@example.org")
    assert me.post("/me/consent/withdraw", data={"purpose": "matching"}).status_code == 302

    # Not yet started: ended, its newcomer waits again; the open proposal is gone.
    assert _status(app, approved) == "ended"
    with inside(app):
        assert db.session.get(Newcomer, amal.id).status == "waiting"  # type: ignore[union-attr]
        assert db.session.get(Match, proposed) is None
    # Running: flagged for the coordinator, on the list and the page.
    flagged = load_match(app, running)
    assert flagged.status == "active" and flagged.attention == "volunteer_withdrew_consent"
    page = coordinator.get(f"/patenschaften/{running}").get_data(as_text=True)
    assert "Einwilligung" in page and "widerrufen" in page
    # Activating the ended one is refused; no reminder mail goes to Greta.
    refused = coordinator.post(f"/patenschaften/{approved}/activate", data={"version": 3})
    assert refused.status_code == 409
    with inside(app):
        outbox.send_all_due()
    before = len(smtp_server.messages)
    assert runner.invoke(args=["match", "remind"]).output.startswith("Queued 0")
    # The coordinators were told by mail.
    told = [m for m in smtp_server.messages[:before] if m["To"] == office.coordinator.email]
    assert told and "Einwilligung" in told[-1]["Subject"]
    # Seen: the coordinator clears the flag.
    assert coordinator.post(f"/patenschaften/{running}/acknowledge").status_code == 302
    assert load_match(app, running).attention is None


def test_feat_b8_an_ended_patenschaft_shows_no_open_check_in(
    app: Flask,
    office: Office,
    make_volunteer: Callable[..., Volunteer],
    make_newcomer: Callable[..., Newcomer],
    propose: Callable[..., int],
) -> None:
    client = _coordinator(app, office)
    match_id = propose(make_volunteer(office.agency), make_newcomer(office.agency))
    _running(app, client, match_id)
    ended = client.post(f"/patenschaften/{match_id}/end",
                        data={"version": 3, "reason": "drifted_apart"})  # fmt: skip
    assert ended.status_code == 302
    page = client.get(f"/patenschaften/{match_id}").get_data(as_text=True)
    assert "eintragen" not in page
    assert "sobald die Probezeit beginnt" not in page
    with inside(app):
        assert not db.session.scalars(
            select(CheckIn).where(CheckIn.match_id == match_id, CheckIn.done_at.is_(None))
        ).all()


# --------------------------------------------------------------------------- mail


def test_feat_b10_match_mails_are_written_in_the_volunteers_language(
    app: Flask,
    office: Office,
    make_newcomer: Callable[..., Newcomer],
    smtp_server: Any,
    run_jobs: Callable[[], int],
) -> None:
    from tests.forms import signup_form

    visitor = app.test_client()
    visitor.post("/language", data={"lang": "en", "next": "/"})
    form = signup_form(email="greta@example.org", first_name="Greta")
    assert visitor.post(f"/signup/{office.agency.slug}", data=form).status_code == 302
    with inside(app):
        volunteer = db.session.scalars(select(Volunteer)).one()
        assert volunteer.locale == "en"
        volunteer.email_confirmed_at = utcnow()
        volunteer.status = "active"
        db.session.commit()
        volunteer_id = volunteer.id
    make_newcomer(office.agency, languages={"de": "native"}, slots=["mon-evening"])
    client = _coordinator(app, office)
    assert client.post("/matching/run").status_code == 302
    run_jobs()
    with inside(app):
        match_id = db.session.scalars(
            select(Match.id).where(Match.volunteer_id == volunteer_id)
        ).one()
    assert (
        client.post(f"/matching/proposals/{match_id}/approve", data={"version": 1}).status_code
        == 302
    )
    with inside(app):
        approved = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "match_approved")
        ).one()
        assert approved.subject == "Your Patenschaft has been approved"


def test_feat_b11_send_once_delivers_every_mail_that_is_due(
    app: Flask, runner: Any, smtp_server: Any
) -> None:
    with inside(app):
        for i in range(45):  # more than the old batch of 20 per pass
            outbox.enqueue("test", f"person{i}@example.org", "Hallo", "Text")
        db.session.commit()
    result = runner.invoke(args=["outbox", "send-once"])
    assert result.exit_code == 0 and result.output.startswith("sent 45")
    assert len(smtp_server.wait_for(45)) == 45


# --------------------------------------------------------------------------- errors


def test_feat_b14_a_refused_step_says_one_thing_on_the_page_it_came_from(
    app: Flask,
    office: Office,
    make_volunteer: Callable[..., Volunteer],
    make_newcomer: Callable[..., Newcomer],
    propose: Callable[..., int],
) -> None:
    client = _coordinator(app, office)
    # Resuming an ended Patenschaft: only "it is ended now", not also "someone changed it".
    match_id = propose(make_volunteer(office.agency), make_newcomer(office.agency))
    _running(app, client, match_id)
    client.post(f"/patenschaften/{match_id}/end", data={"version": 3, "reason": "other"})
    version = load_match(app, match_id).version
    resumed = client.post(f"/patenschaften/{match_id}/resume", data={"version": version})
    html = resumed.get_data(as_text=True)
    assert resumed.status_code == 409
    assert "jetzt „beendet“" in html and "inzwischen geändert" not in html
    assert "Patenschaft:" in html  # shown on the Patenschaft's own page

    # Bulk approval over capacity: the reason, on the review queue, and nothing approved.
    vera = make_volunteer(office.agency, capacity=1)
    first = propose(vera, make_newcomer(office.agency))
    second = propose(vera, make_newcomer(office.agency))
    bulk = client.post("/matching/proposals/approve",
                       data={"selected": [f"{first}:1", f"{second}:1"]})  # fmt: skip
    html = bulk.get_data(as_text=True)
    assert bulk.status_code == 409
    assert "keinen freien Platz" in html and "inzwischen geändert" not in html
    assert "Vorschläge zu prüfen" in html  # the queue itself
    assert _status(app, first) == _status(app, second) == "proposed"


# --------------------------------------------------------------------------- data protection


def test_feat_b17_an_art_15_export_holds_no_one_elses_words_or_ids(
    app: Flask, two_agencies: dict[str, Any]
) -> None:
    a = two_agencies["a"]
    with inside(app):
        match = db.session.get(Match, a["match"].id)
        assert match is not None
        match.reject_reason = "Carla zieht bald um"
        db.session.add(MatchEvent(match_id=match.id, to_status="active",
                                  note="Carla zieht bald um", actor_id=two_agencies["admin"].id))  # fmt: skip
        db.session.commit()
    client = app.test_client()
    login(client, two_agencies["admin"])
    export = client.post(f"/admin/privacy/newcomer/{a['newcomer'].id}/data.json")
    text = export.get_data(as_text=True)
    assert export.status_code == 200 and "Carla" not in text
    data = export.get_json()
    (patenschaft,) = data["patenschaften"]
    assert "volunteer_id" not in patenschaft and "approved_by_id" not in patenschaft
    assert all("actor_id" not in event for event in patenschaft["history"])
    assert data["notes_left_out"] >= 1


def test_L8_feat_b18_who_opened_a_volunteer_alternatives_or_a_check_in_is_audited(
    app: Flask,
    office: Office,
    make_volunteer: Callable[..., Volunteer],
    make_newcomer: Callable[..., Newcomer],
    propose: Callable[..., int],
) -> None:
    """L8 (pen test) and B18: a volunteer's page, a proposal's alternatives and a check-in
    left no trace in the audit log; on 8ed074e only `newcomer.view` and `match.view` were
    written."""
    volunteer = make_volunteer(office.agency)
    client = _coordinator(app, office)
    match_id = propose(volunteer, make_newcomer(office.agency))
    assert client.get(f"/volunteers/{volunteer.id}").status_code == 200
    assert client.get(f"/matching/proposals/{match_id}/alternatives").status_code == 200
    _running(app, client, match_id)
    with inside(app):
        checkin_id = db.session.scalars(
            select(CheckIn.id).where(CheckIn.match_id == match_id)
        ).one()
    assert client.get(f"/checkins/{checkin_id}").status_code == 200
    with inside(app):
        seen = {
            (e.action, e.object_id, e.actor_id)
            for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("%view")))
        }
    actor = office.coordinator.id
    assert ("volunteer.view", volunteer.id, actor) in seen
    assert ("match.alternatives_view", match_id, actor) in seen
    assert ("checkin.view", checkin_id, actor) in seen


# --------------------------------------------------------------------------- wording


def test_feat_b19_shared_languages_name_whose_level_is_whose_in_one_order(
    app: Flask,
    office: Office,
    make_volunteer: Callable[..., Volunteer],
    make_newcomer: Callable[..., Newcomer],
    run_jobs: Callable[[], int],
) -> None:
    make_volunteer(office.agency, languages={"ar": "basic", "de": "native"})
    make_newcomer(office.agency, languages={"ar": "native"})
    client = _coordinator(app, office)
    client.post("/matching/run")
    run_jobs()
    page = client.get("/matching/proposals").get_data(as_text=True)
    assert "Gemeinsame Sprachen (neuzugewandert / ehrenamtlich)" in page
    assert "Arabisch (Muttersprache / Grundkenntnisse)" in page
    assert "spricht Arabisch (neuzugewandert: Muttersprache, ehrenamtlich: Grundkenntnisse)" in page


def test_feat_b21_words_fit_every_gender_and_erased_people_are_named_so(
    app: Flask,
    office: Office,
    make_volunteer: Callable[..., Volunteer],
    make_newcomer: Callable[..., Newcomer],
    propose: Callable[..., int],
    run_jobs: Callable[[], int],
) -> None:
    felix = make_volunteer(office.agency, first_name="Felix", gender="male")
    make_newcomer(office.agency, first_name="Olena", languages={"ti": "native"})
    client = _coordinator(app, office)
    match_id = propose(felix, make_newcomer(office.agency, first_name="Emre"))
    approved = client.post(f"/matching/proposals/{match_id}/approve", data={"version": 1},
                           follow_redirects=True).get_data(as_text=True)  # fmt: skip
    assert "Die ehrenamtliche Person ist per E-Mail benachrichtigt" in approved
    assert "Die Ehrenamtliche ist" not in approved
    client.post("/matching/run")
    run_jobs()
    unmatched = client.get("/matching/unmatched").get_data(as_text=True)
    assert "Keine verfügbare ehrenamtliche Person" in unmatched
    assert "Keine verfügbare Ehrenamtliche " not in unmatched
    # The flash and the mail say the same word for the same event.
    with inside(app):
        mail = db.session.scalars(select(OutboxMessage)).one()
        assert "angenommen" in mail.subject
    # An erased volunteer is named as such, not as an empty name.
    with inside(app):
        user = db.session.get(User, office.coordinator.id)
        from matcher.services.people import erasure

        erasure.erase_volunteer(db.session.get(Volunteer, felix.id), user, on=TODAY)  # type: ignore[arg-type]
        db.session.commit()
    page = client.get(f"/patenschaften/{match_id}").get_data(as_text=True)
    assert "gelöschte Person" in page and "+ Emre" in page


def test_feat_b21_demo_volunteers_have_first_names_that_fit_their_gender() -> None:
    from matcher.demo import cologne, generate

    people = generate.volunteers(300, 1, date(2026, 11, 29))
    for person in people:
        if person.gender == "female":
            assert person.first_name in cologne.VOLUNTEER_FIRST_FEMALE
        elif person.gender == "male":
            assert person.first_name in cologne.VOLUNTEER_FIRST_MALE
        assert person.email.isascii()


def test_feat_b21_a_profile_link_opens_once(
    app: Flask, office: Office, make_volunteer: Callable[..., Volunteer], smtp_server: Any
) -> None:
    make_volunteer(office.agency, email="greta@example.org")
    client = app.test_client()
    client.post("/me/link", data={"email": "greta@example.org"})
    with inside(app):
        outbox.send_all_due()
    token = link_in(body_of(smtp_server.wait_for(1)[-1])).rpartition("token=")[2]
    assert client.post("/me/open", data={"token": token}).status_code == 302
    again = app.test_client().post("/me/open", data={"token": token})
    assert again.status_code == 400 and "bereits benutzt" in again.get_data(as_text=True)
    # The first session goes on.
    assert client.get("/me/").status_code == 200
