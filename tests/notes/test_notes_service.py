"""Notes and the contact log, as the services keep them: history, audit without text,
conflicts, the rules of an entry, Art. 15 export, erasure and the retention purge."""

import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from matcher.domain.errors import Conflict, Invalid, Refused
from matcher.domain.notes import TEXT_MAX, TIMEZONE, Entry
from matcher.extensions import db
from matcher.models import AuditEvent, Match, Newcomer, Note, NoteVersion, User, Volunteer, utcnow
from matcher.services.people import erasure, gdpr, notes
from tests.conftest import inside, persist

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=TIMEZONE)


def contact(text: str, **values: Any) -> Entry:
    """A phone call with the newcomer, yesterday afternoon (German time)."""
    fields: dict[str, Any] = {
        "kind": "contact",
        "text": text,
        "at": datetime(2026, 11, 19, 15, 30, tzinfo=TIMEZONE),
        "channel": "phone",
        "party": "newcomer",
    } | values
    return Entry(**fields)


@pytest.fixture
def people(
    app: Flask, make_agency: Callable[..., Any], make_user: Callable[..., Any],
    make_volunteer: Callable[..., Any], make_newcomer: Callable[..., Any],
) -> dict[str, Any]:  # fmt: skip
    """An agency with a coordinator, a volunteer and a newcomer in a running Patenschaft,
    and a second newcomer."""
    agency = make_agency(retention_months=12)
    volunteer = make_volunteer(agency, first_name="Vera", last_name="Vogelsang",
                               phone="+4922112345678")  # fmt: skip
    newcomer = make_newcomer(agency, first_name="Nadia")
    match = Match(agency_id=agency.id, volunteer_id=volunteer.id, newcomer_id=newcomer.id,
                  status="active")  # fmt: skip
    persist(app, match)
    return {
        "agency": agency,
        "coordinator": make_user("coordinator", agency, name="Kim Koordination"),
        "volunteer": volunteer,
        "newcomer": newcomer,
        "other": make_newcomer(agency, first_name="Olga"),
        "match": match,
    }


@pytest.fixture
def session(app: Flask) -> Iterator[Any]:
    """The test's unit of work in an all-agencies scope, as a command has it."""
    with inside(app):
        yield db.session


def load(people: dict[str, Any], *names: str) -> list[Any]:
    models = {"volunteer": Volunteer, "newcomer": Newcomer, "other": Newcomer, "match": Match,
              "coordinator": User}  # fmt: skip
    return [db.session.get(models[n], people[n].id) for n in names]


def audit_rows() -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def test_edit_keeps_each_version_delete_keeps_who_and_when_and_the_audit_never_the_text(
    people: dict[str, Any], session: Any
) -> None:
    newcomer, actor = load(people, "newcomer", "coordinator")
    note = notes.add(newcomer, contact("Termin Jobcenter am Montag"), actor, now=NOW)
    assert (note.version, note.staff_id, note.created_by_id) == (1, actor.id, actor.id)
    assert notes.edit(note, 1, contact("Termin Jobcenter am Dienstag"), actor, now=NOW)
    assert notes.edit(note, 2, contact("Termin Jobcenter am Dienstag, 9 Uhr", channel="sms"),
                      actor, now=NOW)  # fmt: skip
    # Saving the same again is no new version.
    assert not notes.edit(
        note, 3, contact("Termin Jobcenter am Dienstag, 9 Uhr", channel="sms"), actor, now=NOW
    )
    session.commit()
    line, versions = notes.history(note, actor)
    assert note.version == 3 and line.earlier_versions == 2
    assert [(v.version, v.text, v.channel) for v, _ in versions] == [
        (2, "Termin Jobcenter am Dienstag", "phone"),
        (1, "Termin Jobcenter am Montag", "phone"),
    ]
    assert all(who is not None and who.id == actor.id for _, who in versions)

    notes.delete_entry(note, 3, actor, now=NOW + timedelta(hours=1))
    session.commit()
    assert note.deleted_at == NOW + timedelta(hours=1) and note.deleted_by_id == actor.id
    # The text is gone from the entry and from every kept version; the facts stay.
    assert note.text == "" and note.kind == "contact" and note.channel == "sms"
    kept = session.scalars(select(NoteVersion).where(NoteVersion.note_id == note.id)).all()
    assert len(kept) == 3 and {v.text for v in kept} == {""}
    # The page's timeline leaves it out; the whole timeline shows it as deleted.
    assert notes.timeline(newcomer).lines == [] and notes.timeline(newcomer).deleted == 1
    _, lines = notes.page_of(newcomer, 1, actor)
    assert [ln.note.id for ln in lines] == [note.id] and lines[0].deleted_by is not None
    with pytest.raises(Refused, match="note_deleted"):
        notes.edit(note, 4, contact("wieder da"), actor, now=NOW)
    with pytest.raises(Refused, match="note_deleted"):
        notes.delete_entry(note, 4, actor, now=NOW)

    session.commit()
    events = audit_rows()
    assert [e.action for e in events if e.object_type == "note"] == [
        "note.created", "note.edited", "note.edited", "note.view", "note.deleted",
    ]  # fmt: skip
    for event in events:
        row = " ".join(repr(getattr(event, c.key)) for c in AuditEvent.__table__.columns)
        assert "Jobcenter" not in row and "Termin" not in row
    assert {e.agency_id for e in events} == {people["agency"].id}


def test_a_stale_form_and_a_lost_race_are_conflicts_that_change_nothing(
    app: Flask, people: dict[str, Any], session: Any
) -> None:
    newcomer, actor = load(people, "newcomer", "coordinator")
    note = notes.add(newcomer, contact("erste Fassung"), actor, now=NOW)
    notes.edit(note, 1, contact("zweite Fassung"), actor, now=NOW)
    session.commit()
    # A form built from version 1, sent after version 2 was saved.
    with pytest.raises(Conflict, match="note_changed_meanwhile"):
        notes.edit(note, 1, contact("dritte Fassung"), actor, now=NOW)
    with pytest.raises(Conflict, match="note_changed_meanwhile"):
        notes.delete_entry(note, 1, actor, now=NOW)
    # Two coordinators read version 2; the other one saves first, in its own transaction.
    with app.app_context(), inside(app):
        theirs = db.session.get(Note, note.id)
        assert theirs is not None
        notes.edit(theirs, 2, contact("Fassung der Kollegin"), load(people, "coordinator")[0],
                   now=NOW)  # fmt: skip
        db.session.commit()
    with pytest.raises(Conflict, match="note_changed_meanwhile"):
        notes.edit(note, 2, contact("meine Fassung"), actor, now=NOW)
    session.rollback()
    session.refresh(note)
    assert (note.text, note.version) == ("Fassung der Kollegin", 3)
    texts = session.scalars(select(NoteVersion.text).order_by(NoteVersion.id)).all()
    assert texts == ["erste Fassung", "zweite Fassung"]

    # A form sent twice (the same submission key) saves one entry.
    key = "0123456789abcdef0123456789abcdef"
    notes.add(newcomer, contact("einmal"), actor, now=NOW, submission_key=key)
    session.commit()
    with pytest.raises(Conflict, match="note_saved_already"):
        notes.add(newcomer, contact("einmal"), actor, now=NOW, submission_key=key)
    assert session.scalar(select(func.count(Note.id)).where(Note.text == "einmal")) == 1


BAD_INPUT = [
    (contact(""), "note_text_empty"),
    (contact(" \r\n\t "), "note_text_empty"),
    (contact("x" * (TEXT_MAX + 1)), "note_text_too_long"),
    (contact("Anruf", at=datetime(2026, 11, 21, 0, 5, tzinfo=TIMEZONE)), "note_in_future"),
    (contact("Anruf", channel="telegram"), "note_unknown_channel"),
    (contact("Anruf", channel=None), "note_unknown_channel"),
    (contact("Anruf", party="neighbour"), "note_unknown_party"),
    (contact("Anruf", kind="memo"), "note_unknown_kind"),
    (contact("Anruf", staff_id=999_999), "note_unknown_staff"),
]


def test_bad_input_is_refused_with_its_rule_and_the_limits_themselves_are_allowed(
    people: dict[str, Any], session: Any
) -> None:
    newcomer, actor = load(people, "newcomer", "coordinator")
    for entry, code in BAD_INPUT:
        with pytest.raises(Invalid) as refused:
            notes.add(newcomer, entry, actor, now=NOW)
        assert refused.value.code == code, entry
    assert session.scalar(select(func.count(Note.id))) == 0
    # 4,000 characters; later today (German time, while it is still the 20th in Köln).
    late = datetime(2026, 11, 20, 23, 50, tzinfo=TIMEZONE)
    assert notes.add(newcomer, contact("x" * TEXT_MAX, at=late), actor, now=NOW).text
    # A note has no channel, party or staff member, whatever the form sent.
    note = notes.add(newcomer, contact("  nur eine Notiz  ", kind="note"), actor, now=NOW)
    assert (note.kind, note.text, note.channel, note.party, note.staff_id, note.at) == (
        "note", "nur eine Notiz", None, None, None, NOW,
    )  # fmt: skip
    # Edits follow the same rules.
    with pytest.raises(Invalid, match="note_in_future"):
        notes.edit(note, 1, contact("Anruf", at=late + timedelta(hours=1)), actor, now=NOW)


def test_art_15_gives_her_entries_and_her_patenschaft_entries_but_no_one_else_s(
    people: dict[str, Any], session: Any
) -> None:
    newcomer, volunteer, match, other, actor = load(
        people, "newcomer", "volunteer", "match", "other", "coordinator"
    )
    own = notes.add(newcomer, contact("Nadia braucht Hilfe beim Antrag"), actor, now=NOW)
    notes.edit(own, 1, contact("Nadia braucht Hilfe beim Wohngeldantrag"), actor, now=NOW)
    notes.add(match, contact("Erstes Treffen im Café", party="both", channel="in_person"),
              actor, now=NOW)  # fmt: skip
    notes.add(volunteer, contact("Vera hat wenig Zeit im Dezember", party="volunteer"),
              actor, now=NOW)  # fmt: skip
    notes.add(other, contact("Olga ruft zurück"), actor, now=NOW)
    session.commit()

    data = gdpr.person_data(newcomer, actor)
    text = json.dumps(data, ensure_ascii=False)
    entries = data["notes_and_contacts"]
    assert [(e["about"], e["text"]) for e in entries] == [
        ("person", "Nadia braucht Hilfe beim Wohngeldantrag"),
        ("patenschaft", "Erstes Treffen im Café"),
    ]
    assert entries[0]["earlier_versions"][0]["text"] == "Nadia braucht Hilfe beim Antrag"
    assert [e["action"] for e in entries[0]["log"]] == ["note.created", "note.edited"]
    assert entries[1]["patenschaft_id"] == match.id and entries[1]["with"] == "both"
    # Nothing about the volunteer or the other newcomer, and no staff member.
    for absent in ("Vera hat", "Olga", volunteer.last_name, volunteer.email, volunteer.phone,
                   "Kim Koordination", people["coordinator"].email):  # fmt: skip
        assert absent not in text
    assert not {"staff_id", "created_by_id", "volunteer_id"} & set(entries[0])
    # The volunteer's export has his entry and the Patenschaft's, not hers.
    theirs = [e["text"] for e in gdpr.person_data(volunteer, actor)["notes_and_contacts"]]
    assert theirs == ["Erstes Treffen im Café", "Vera hat wenig Zeit im Dezember"]


def test_erasure_removes_her_entries_their_history_and_her_patenschaft_s(
    people: dict[str, Any], session: Any
) -> None:
    newcomer, volunteer, match, other, actor = load(
        people, "newcomer", "volunteer", "match", "other", "coordinator"
    )
    own = notes.add(newcomer, contact("Nadia: Antrag"), actor, now=NOW)
    notes.edit(own, 1, contact("Nadia: Antrag abgegeben"), actor, now=NOW)
    notes.add(match, contact("Treffen", party="both"), actor, now=NOW)
    kept = notes.add(volunteer, contact("Vera: Urlaub", party="volunteer"), actor, now=NOW)
    notes.add(other, contact("Olga: Rückruf"), actor, now=NOW)
    session.commit()
    own_id = own.id

    erasure.erase_newcomer(newcomer, actor, on=NOW.date())
    session.commit()
    left = session.scalars(select(Note.text).order_by(Note.id)).all()
    assert left == [kept.text, "Olga: Rückruf"]
    assert session.scalar(select(func.count(NoteVersion.id))) == 0
    # The audit log still says the entries existed — the fact, never the text.
    assert (
        session.scalar(
            select(func.count(AuditEvent.id)).where(
                AuditEvent.object_id == own_id, AuditEvent.object_type == "note"
            )  # fmt: skip
        )
        == 2
    )
    # An erased person's page takes no new entries.
    with pytest.raises(Refused, match="erased"):
        notes.add(newcomer, contact("noch etwas"), actor, now=NOW)


def test_the_retention_purge_takes_the_entries_with_the_person(
    people: dict[str, Any], session: Any, make_newcomer: Callable[..., Any]
) -> None:
    long_ago = utcnow() - timedelta(days=800)
    closed = make_newcomer(people["agency"], first_name="Alt", status="closed",
                           created_at=long_ago, updated_at=long_ago)  # fmt: skip
    newcomer, actor = load(people, "newcomer", "coordinator")
    gone = db.session.get(Newcomer, closed.id)
    notes.add(gone, contact("Alt: Abschlussgespräch"), actor, now=NOW)
    notes.add(newcomer, contact("Nadia: bleibt"), actor, now=NOW)
    session.commit()
    report = gdpr.purge()
    session.commit()
    assert report.newcomers_anonymised == 1
    assert session.scalars(select(Note.text)).all() == ["Nadia: bleibt"]
