"""A newcomer's consent managed per purpose by staff: withdrawn, given later or again, with
the notice's language and version, the channel and an interpreter's role kept; the history
on the newcomer's page; a withdrawn consent to matching takes her out of the matching."""

import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from matcher.extensions import db
from matcher.models import AuditEvent, ConsentRecord, Match, Newcomer, User, Volunteer, utcnow
from matcher.services.matching import problem as match_problem
from matcher.services.platform import document_texts
from tests.conftest import inside, login, persist
from tests.forms import errors, newcomer_form, row_counts
from tests.matching.conftest import Office, today


def _records(app: Flask, newcomer_id: int, purpose: str | None = None) -> list[ConsentRecord]:
    with inside(app):
        stmt = select(ConsentRecord).where(ConsentRecord.newcomer_id == newcomer_id)
        if purpose:
            stmt = stmt.where(ConsentRecord.purpose == purpose)
        rows = list(db.session.scalars(stmt.order_by(ConsentRecord.id)))
        db.session.expunge_all()
        return rows


def _in_force(app: Flask, newcomer_id: int, purpose: str) -> ConsentRecord:
    (record,) = [r for r in _records(app, newcomer_id, purpose) if r.withdrawn_at is None]
    return record


def _history(html: str) -> list[str]:
    """The consent history's entries on the newcomer's page, as text, newest first."""
    items = re.findall(r'<li class="consent-record[^"]*">(.*?)</li>', html, re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", item)).strip() for item in items]


def _in_problem(app: Flask, office: Office) -> list[str]:
    """The newcomers in the engine's problem, built by the real service."""
    with inside(app):
        agency = db.session.get(type(office.agency), office.agency.id)
        return [n["id"] for n in match_problem.build(agency, today()).document["newcomers"]]


def _withdraw(client: FlaskClient, newcomer_id: int, consent_id: int) -> Any:
    return client.post(
        f"/newcomers/{newcomer_id}/consents/withdraw", data={"consent_id": str(consent_id)}
    )


def _give(client: FlaskClient, newcomer_id: int, **fields: str) -> Any:
    data = {"purpose": "matching", "consent_language": "ar", "consent_channel": "paper"}
    data.update(fields)
    return client.post(f"/newcomers/{newcomer_id}/consents", data=data)


def _actions(app: Flask, newcomer_id: int) -> list[str]:
    with inside(app):
        return list(
            db.session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.object_type == "newcomer", AuditEvent.object_id == newcomer_id)
                .order_by(AuditEvent.id)
            )
        )


def _change_notice(staff: FlaskClient, language: str, based_on: int) -> None:
    """Save the agency's own newcomer notice in `language` (its next version)."""
    words = document_texts.shipped_text("privacy_notice", language) + f"\nFassung {based_on + 1}\n"
    response = staff.post(
        f"/documents/text?kind=privacy_notice&language={language}",
        data={"body": words, "based_on": str(based_on)},
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def test_history_keeps_version_1_after_the_notice_changed_and_consent_was_given_again(
    app: Flask, office: Office, staff: FlaskClient
) -> None:
    _change_notice(staff, "ar", 0)  # the agency's own Arabic notice: version 1
    registered = staff.post(
        "/newcomers/new",
        data=newcomer_form(
            consent_contact_sharing="y",
            consent_channel="interpreter",
            interpreter_role="language_mediator",
        ),
    )
    assert registered.status_code == 302
    newcomer_id = int(registered.location.rsplit("/", 1)[1])
    first = _in_force(app, newcomer_id, "contact_sharing")
    assert (first.notice_version, first.language, first.channel, first.interpreter_role) == (
        "1", "ar", "interpreter", "language_mediator",
    )  # fmt: skip

    assert _withdraw(staff, newcomer_id, first.id).status_code == 302
    _change_notice(staff, "ar", 1)  # the Arabic notice changes: version 2
    again = _give(staff, newcomer_id, purpose="contact_sharing", consent_language="ar")
    assert again.status_code == 302

    old, new = _records(app, newcomer_id, "contact_sharing")
    assert (old.id, old.notice_version, old.withdrawn_at is not None) == (first.id, "1", True)
    assert (new.notice_version, new.language, new.channel, new.withdrawn_at) == (
        "2", "ar", "paper", None,
    )  # fmt: skip
    page = staff.get(f"/newcomers/{newcomer_id}").get_data(as_text=True)
    history = _history(page)
    assert len(history) == 3  # contact sharing again, then (same moment) both first ones
    shared = [h for h in history if h.startswith("Weitergabe der Kontaktdaten")]
    assert len(shared) == 2
    newest, oldest = shared
    assert "Arabisch, Version 2" in newest and "gültig" in newest and "auf Papier" in newest
    assert "Arabisch, Version 1" in oldest and "widerrufen" in oldest
    assert "mit Dolmetschung (Sprachmittler:in)" in oldest
    assert "Widerruf erfasst von Kim Koordination" in oldest
    assert "Aufgenommen von Kim Koordination" in oldest
    actions = _actions(app, newcomer_id)
    assert "newcomer.consent_withdraw.contact_sharing" in actions
    assert "newcomer.consent_give.contact_sharing" in actions


def test_a_notice_in_a_language_without_documents_counts_as_the_german_one(
    app: Flask, office: Office, staff: FlaskClient
) -> None:
    """Explained in Amharic from the German notice: the consent names the German version,
    and the shipped text shows as such."""
    registered = staff.post("/newcomers/new", data=newcomer_form(consent_language="am"))
    assert registered.status_code == 302, errors(registered)
    newcomer_id = int(registered.location.rsplit("/", 1)[1])
    consent = _in_force(app, newcomer_id, "matching")
    with inside(app):
        german = document_texts.current_version(office.agency.id, "privacy_notice", "de")
    assert (consent.language, consent.notice_version) == ("am", german.reference)
    assert german.reference.startswith("0:")  # nothing of the agency's own yet
    page = staff.get(f"/newcomers/{newcomer_id}").get_data(as_text=True)
    assert "Amharisch, Version 0 (mitgelieferter Text)" in " ".join(_history(page))


def test_withdrawn_matching_consent_takes_the_newcomer_out_of_matching(
    app: Flask,
    office: Office,
    staff: FlaskClient,
    make_volunteer: Callable[..., Volunteer],
    make_newcomer: Callable[..., Newcomer],
    propose: Callable[..., int],
) -> None:
    nadia = make_newcomer(office.agency, consents=("matching", "contact_sharing"))
    proposal = propose(make_volunteer(office.agency), nadia)
    assert f"n{nadia.id}" in _in_problem(app, office)

    consent = _in_force(app, nadia.id, "matching")
    response = _withdraw(staff, nadia.id, consent.id)
    assert response.status_code == 302

    assert f"n{nadia.id}" not in _in_problem(app, office)
    with inside(app):
        assert db.session.get(Match, proposal) is None  # her open proposal is gone
        fresh = db.session.get(Newcomer, nadia.id)
        assert fresh.status == "waiting" and not fresh.waits_for_match
        assert fresh.consents_to("contact_sharing")  # the other purpose stays
    (withdrawn,) = _records(app, nadia.id, "matching")
    assert withdrawn.withdrawn_at is not None and withdrawn.withdrawn_by_id == office.coordinator.id
    assert {"newcomer.consent_withdraw.matching", "newcomer.withdraw_consent"} <= set(
        _actions(app, nadia.id)
    )
    page = staff.get(f"/newcomers/{nadia.id}").get_data(as_text=True)
    assert "Nicht im Matching" in page
    (matching,) = [h for h in _history(page) if h.startswith("Vermittlung")]
    assert "widerrufen" in matching and "Widerruf erfasst von Kim Koordination" in matching

    # Consent given again puts her back in the pool: her status allows it.
    assert _give(staff, nadia.id, consent_channel="in_person").status_code == 302
    assert f"n{nadia.id}" in _in_problem(app, office)
    assert len(_records(app, nadia.id, "matching")) == 2


def _pair(app: Flask, office: Office, volunteer: Volunteer, newcomer: Newcomer, status: str) -> int:
    now = utcnow()
    match = Match(
        agency_id=office.agency.id, volunteer_id=volunteer.id, newcomer_id=newcomer.id,
        status=status, score=0.8, components={"language": 1.0}, reasons=[], approved_at=now,
        started_at=now if status == "active" else None,
        trial_until=date(2026, 12, 24) if status == "active" else None,
    )  # fmt: skip
    persist(app, match)
    with inside(app):
        db.session.get(Newcomer, newcomer.id).status = "matched"
        db.session.commit()
    return match.id


def test_an_approved_patenschaft_ends_and_a_running_one_is_flagged_as_for_a_volunteer(
    app: Flask,
    office: Office,
    staff: FlaskClient,
    make_volunteer: Callable[..., Volunteer],
    make_newcomer: Callable[..., Newcomer],
) -> None:
    approved_one, running_one = make_newcomer(office.agency), make_newcomer(office.agency)
    approved = _pair(app, office, make_volunteer(office.agency), approved_one, "approved")
    running = _pair(app, office, make_volunteer(office.agency), running_one, "active")

    for person in (approved_one, running_one):
        consent = _in_force(app, person.id, "matching")
        assert _withdraw(staff, person.id, consent.id).status_code == 302

    with inside(app):
        ended = db.session.get(Match, approved)
        assert (ended.status, ended.end_reason, ended.attention) == ("ended", "other", None)
        assert db.session.get(Newcomer, approved_one.id).status == "waiting"  # but not matchable
        kept = db.session.get(Match, running)
        assert (kept.status, kept.attention) == ("active", "newcomer_withdrew_consent")
        assert db.session.get(Newcomer, running_one.id).status == "matched"
    # She waits again but without consent is in no run; the running pair stays pinned until
    # the coordinator decides.
    assert f"n{approved_one.id}" not in _in_problem(app, office)
    page = staff.get(f"/patenschaften/{running}").get_data(as_text=True)
    assert "hat ihre Einwilligung zum Matching widerrufen" in page


def test_withdrawing_contact_sharing_leaves_matching_untouched(
    app: Flask,
    office: Office,
    staff: FlaskClient,
    make_volunteer: Callable[..., Volunteer],
    make_newcomer: Callable[..., Newcomer],
    propose: Callable[..., int],
) -> None:
    nadia = make_newcomer(office.agency, consents=("matching", "contact_sharing"))
    running_one = make_newcomer(office.agency, consents=("matching", "contact_sharing"))
    proposal = propose(make_volunteer(office.agency), nadia)
    running = _pair(app, office, make_volunteer(office.agency), running_one, "active")

    for person in (nadia, running_one):
        consent = _in_force(app, person.id, "contact_sharing")
        assert _withdraw(staff, person.id, consent.id).status_code == 302

    assert f"n{nadia.id}" in _in_problem(app, office)
    with inside(app):
        assert db.session.get(Match, proposal).status == "proposed"
        assert db.session.get(Match, running).attention is None
        fresh = db.session.get(Newcomer, nadia.id)
        assert fresh.waits_for_match and not fresh.consents_to("contact_sharing")
    assert "newcomer.withdraw_consent" not in _actions(app, nadia.id)


def test_an_interpreted_consent_needs_the_interpreters_role_and_shows_it(
    app: Flask, office: Office, staff: FlaskClient, make_newcomer: Callable[..., Newcomer]
) -> None:
    nadia = make_newcomer(office.agency, consents=("matching",))
    before = row_counts(app)
    missing = _give(staff, nadia.id, purpose="contact_sharing", consent_channel="interpreter")
    assert missing.status_code == 400
    assert "Bitte wählen Sie, wer gedolmetscht hat." in errors(missing.get_data(as_text=True))
    needless = _give(staff, nadia.id, purpose="contact_sharing", interpreter_role="professional")
    assert needless.status_code == 400
    assert "Nur bei Einwilligung mit Dolmetschung." in errors(needless.get_data(as_text=True))
    bogus = _give(staff, nadia.id, purpose="contact_sharing", consent_channel="interpreter",
                  interpreter_role="cousin_anna")  # fmt: skip
    assert bogus.status_code == 400
    assert row_counts(app) == before

    given = _give(staff, nadia.id, purpose="contact_sharing", consent_channel="interpreter",
                  interpreter_role="family_or_friend")  # fmt: skip
    assert given.status_code == 302
    record = _in_force(app, nadia.id, "contact_sharing")
    assert (record.channel, record.interpreter_role) == ("interpreter", "family_or_friend")
    page = staff.get(f"/newcomers/{nadia.id}").get_data(as_text=True)
    assert "mit Dolmetschung (Angehörige:r oder Freund:in)" in page

    # The intake form asks the same.
    intake = staff.post("/newcomers/new", data=newcomer_form(consent_channel="interpreter"))
    assert intake.status_code == 400
    assert "Bitte wählen Sie, wer gedolmetscht hat." in errors(intake.get_data(as_text=True))


@pytest.mark.parametrize(
    "values",
    [
        {"channel": "interpreter", "interpreter_role": None},
        {"channel": "paper", "interpreter_role": "professional"},
        {"channel": "interpreter", "interpreter_role": "cousin"},
        {"channel": "fax", "interpreter_role": None},
        {"withdrawn_by": True},
        {"second_in_force": True},
    ],
)
def test_the_database_refuses_inconsistent_consents(
    app: Flask, office: Office, make_newcomer: Callable[..., Newcomer], values: dict[str, Any]
) -> None:
    from sqlalchemy.exc import IntegrityError

    values = dict(values)  # the parameter is shared by both backends' runs
    nadia = make_newcomer(office.agency, consents=("matching",))
    row: dict[str, Any] = {
        "agency_id": office.agency.id, "newcomer_id": nadia.id, "purpose": "contact_sharing",
        "notice_version": "1", "language": "ar", "channel": "paper",
        "taken_by_id": office.coordinator.id,
    }  # fmt: skip
    if values.pop("withdrawn_by", False):
        row["withdrawn_by_id"] = office.coordinator.id  # but not withdrawn
    if values.pop("second_in_force", False):
        row["purpose"] = "matching"  # one is in force already
    row.update(values)
    with inside(app):
        db.session.add(ConsentRecord(**row))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_double_submits_answer_409_and_never_make_two_consents_in_force(
    app: Flask, office: Office, staff: FlaskClient, make_newcomer: Callable[..., Newcomer]
) -> None:
    nadia = make_newcomer(office.agency, consents=("matching",))
    assert _give(staff, nadia.id, purpose="contact_sharing").status_code == 302
    twice = _give(staff, nadia.id, purpose="contact_sharing")
    assert twice.status_code == 409
    assert "schon eine gültige Einwilligung" in twice.get_data(as_text=True)
    assert len(_records(app, nadia.id, "contact_sharing")) == 1

    consent = _in_force(app, nadia.id, "matching")
    assert _withdraw(staff, nadia.id, consent.id).status_code == 302
    again = _withdraw(staff, nadia.id, consent.id)
    assert again.status_code == 409
    assert "keine gültige Einwilligung" in again.get_data(as_text=True)


def test_bad_input_is_a_clear_4xx(
    app: Flask,
    office: Office,
    other_office: Office,
    staff: FlaskClient,
    make_newcomer: Callable[..., Newcomer],
) -> None:
    nadia = make_newcomer(office.agency, consents=("matching",))
    foreign = make_newcomer(other_office.agency, consents=("matching",))
    foreign_consent = _in_force(app, foreign.id, "matching")
    other_of_ours = make_newcomer(office.agency, consents=("matching",))
    before = row_counts(app)
    # Another agency's consent, or another newcomer's, is not found; nothing changes.
    assert _withdraw(staff, nadia.id, foreign_consent.id).status_code == 404
    other_consent = _in_force(app, other_of_ours.id, "matching")
    assert _withdraw(staff, nadia.id, other_consent.id).status_code == 404
    assert _withdraw(staff, foreign.id, foreign_consent.id).status_code == 404
    assert _give(staff, foreign.id, purpose="contact_sharing").status_code == 404
    for bad in ("", "abc", "-1", "0", "99999999999999999999", "1e3"):
        assert _withdraw(staff, nadia.id, bad).status_code in (400, 404), bad  # type: ignore[arg-type]
    for fields in ({"purpose": "marketing"}, {"consent_language": "xx"},
                   {"consent_language": "ku"}, {"consent_channel": "online"},
                   {"consent_channel": ""}, {"purpose": ""}):  # fmt: skip
        response = _give(staff, nadia.id, **{"purpose": "contact_sharing", **fields})
        assert response.status_code == 400, fields
    assert row_counts(app) == before
    assert _records(app, foreign.id)[0].withdrawn_at is None


def test_an_erased_newcomers_consents_cannot_be_changed(
    app: Flask, office: Office, staff: FlaskClient, make_newcomer: Callable[..., Newcomer]
) -> None:
    nadia = make_newcomer(office.agency, consents=("matching", "contact_sharing"))
    consent = _in_force(app, nadia.id, "contact_sharing")
    assert _withdraw(staff, nadia.id, consent.id).status_code == 302
    erased = staff.post(f"/newcomers/{nadia.id}/erase", data={"confirm": "y"})
    assert erased.status_code == 302
    assert _records(app, nadia.id) == []  # given and withdrawn ones, with their new fields
    assert _give(staff, nadia.id, purpose="contact_sharing").status_code == 404
    assert _withdraw(staff, nadia.id, consent.id).status_code == 404


def test_the_art_15_export_holds_the_whole_consent_history(
    app: Flask,
    office: Office,
    staff: FlaskClient,
    make_user: Callable[..., User],
    make_newcomer: Callable[..., Newcomer],
) -> None:
    nadia = make_newcomer(office.agency, consents=("matching",))
    consent = _in_force(app, nadia.id, "matching")
    assert _withdraw(staff, nadia.id, consent.id).status_code == 302
    given = _give(staff, nadia.id, consent_channel="interpreter", interpreter_role="professional")
    assert given.status_code == 302
    admin = app.test_client()
    login(admin, make_user("admin"))
    data = admin.post(f"/admin/privacy/newcomer/{nadia.id}/data.json").get_json()
    first, second = data["consents"]
    assert first["withdrawn_at"] and first["withdrawn_by_id"] == office.coordinator.id
    assert (second["channel"], second["interpreter_role"], second["withdrawn_at"]) == (
        "interpreter", "professional", None,
    )  # fmt: skip


def test_two_coordinators_giving_one_purpose_at_once_make_one_consent_and_one_conflict(
    app: Flask,
    office: Office,
    make_user: Callable[..., User],
    make_newcomer: Callable[..., Newcomer],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Both have seen no consent in force when the barrier opens; the database keeps one."""
    import threading

    from matcher.domain.errors import Conflict, ServiceError
    from matcher.models import Agency
    from matcher.services.people import consents

    nadia = make_newcomer(office.agency, consents=())
    colleague = make_user("coordinator", office.agency)
    barrier = threading.Barrier(2, timeout=20)
    real_in_force = consents.in_force

    def in_force_then_wait(newcomer: Newcomer) -> dict[str, ConsentRecord]:
        seen = real_in_force(newcomer)
        barrier.wait()
        return seen

    monkeypatch.setattr(consents, "in_force", in_force_then_wait)
    results: list[Any] = [None, None]

    def give(i: int, actor_id: int) -> None:
        with inside(app):
            try:  # one unit of work, as a request is
                consents.give(
                    db.session.get(Agency, office.agency.id),
                    db.session.get(Newcomer, nadia.id),
                    "matching",
                    consents.Taking("ar", "in_person"),
                    db.session.get(User, actor_id),
                )
                db.session.commit()
                results[i] = "given"
            except ServiceError as e:
                db.session.rollback()
                results[i] = e
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=give, args=(i, actor.id))
        for i, actor in enumerate((office.coordinator, colleague))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert results.count("given") == 1, results
    (loser,) = [r for r in results if r != "given"]
    assert isinstance(loser, Conflict) and loser.code == "consent_in_force"  # a 409
    assert len(_records(app, nadia.id, "matching")) == 1


def test_a_volunteers_double_click_on_give_keeps_one_consent_and_no_error(
    app: Flask,
    office: Office,
    make_volunteer: Callable[..., Volunteer],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Self-service, two requests at once: the database refuses the second consent in force,
    and the service takes that as given (no 500)."""
    import threading

    from matcher.services.people import selfservice

    vera = make_volunteer(office.agency)
    barrier = threading.Barrier(2, timeout=20)
    real_consents = selfservice.consents

    def consents_then_wait(volunteer: Volunteer) -> dict[str, ConsentRecord]:
        seen = real_consents(volunteer)
        barrier.wait()
        return seen

    monkeypatch.setattr(selfservice, "consents", consents_then_wait)
    errors: list[BaseException] = []

    def give() -> None:
        with inside(app):
            try:
                selfservice.give_consent(
                    db.session.get(Volunteer, vera.id), "contact_sharing", "de"
                )
                db.session.commit()
            except BaseException as e:  # noqa: BLE001 - any error is the failure shown
                errors.append(e)
                db.session.rollback()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=give) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    with inside(app):
        given = db.session.scalars(
            select(ConsentRecord).where(
                ConsentRecord.volunteer_id == vera.id, ConsentRecord.purpose == "contact_sharing"
            )
        ).all()
        assert len(given) == 1
