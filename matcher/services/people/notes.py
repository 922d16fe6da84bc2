"""Notes and the contact log: a timeline per volunteer, newcomer and Patenschaft.

Each use case checks its rules (`matcher.domain.notes`), writes, audits — the fact, never
the text — and flushes; the request or command commits.

- `add`: a note or a contact. A form carries a submission key, so a form sent twice
  saves one entry and the second answers "saved already" (409).
- `edit`: the form carries the version it showed; a stale one is refused (409) and the
  earlier version is kept as a `NoteVersion` row.
- `delete`: soft. Who deleted it and when stay, with its kind, channel and moment; its
  text goes, from the entry and from its earlier versions alike.
- `timeline`, `page_of`, `history`: what the pages show, newest first.
- `export_about` (Art. 15) and `erase_about` (Art. 17; the retention purge comes through
  erasure as well): for `matcher.services.people.gdpr` and `erasure`.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import ColumnElement, delete, func, or_, select, update
from sqlalchemy.orm.exc import StaleDataError

from matcher.domain import audit
from matcher.domain.errors import Conflict, Invalid, Refused
from matcher.domain.notes import Entry, check
from matcher.extensions import db
from matcher.models import (
    AuditEvent,
    Match,
    Newcomer,
    Note,
    NoteVersion,
    User,
    Volunteer,
    utcnow,
)

Subject = Volunteer | Newcomer | Match

#: Entries a person's or Patenschaft's page shows; "show all" opens the whole timeline.
SHOWN_ON_PAGE = 5
#: Entries per page of the whole timeline.
PER_PAGE = 50


def _about(subject: Subject) -> ColumnElement[bool]:
    if isinstance(subject, Volunteer):
        return Note.volunteer_id == subject.id
    if isinstance(subject, Newcomer):
        return Note.newcomer_id == subject.id
    return Note.match_id == subject.id


def is_erased(subject: Subject) -> bool:
    """A person whose data was erased, or a Patenschaft of one, gets no new entries."""
    if isinstance(subject, Match):
        return subject.volunteer.anonymised_at is not None or (
            subject.newcomer.anonymised_at is not None
        )
    return subject.anonymised_at is not None


def staff(agency_id: int, actor: User | None = None, keep: int | None = None) -> list[User]:
    """Who can be named as the staff member of a contact: the agency's active staff, the
    one recording it (an admin acting for the agency), and `keep` (the one an entry names,
    who may have left since)."""
    wanted = User.agency_id == agency_id
    people = list(
        db.session.scalars(
            select(User)
            .where((wanted & User.active.is_(True)) | (User.id == (keep or 0)))
            .order_by(User.name, User.email)
        )
    )
    if actor is not None and all(u.id != actor.id for u in people):
        people.insert(0, actor)
    return people


def _check_staff(entry: Entry, agency_id: int, actor: User, keep: int | None = None) -> None:
    if entry.kind != "contact" or entry.staff_id is None or entry.staff_id == keep:
        return
    if entry.staff_id not in {u.id for u in staff(agency_id, actor, keep)}:
        raise Invalid("note_unknown_staff")


def add(
    subject: Subject,
    entry: Entry,
    actor: User,
    *,
    now: datetime | None = None,
    submission_key: str | None = None,
) -> Note:
    """Write a note or a contact on the subject's timeline.

    :raises Refused: "erased" for an erased person or their Patenschaft.
    :raises Invalid: a rule of `matcher.domain.notes.check`; "note_unknown_staff".
    :raises Conflict: "note_saved_already" when this form was saved before.
    """
    now = now or utcnow()
    if is_erased(subject):
        raise Refused("erased")
    entry = check(entry, now)
    _check_staff(entry, subject.agency_id, actor)
    if submission_key and is_saved(subject.agency_id, submission_key):
        raise Conflict("note_saved_already")
    note = Note(
        agency_id=subject.agency_id,
        kind=entry.kind,
        text=entry.text,
        channel=entry.channel,
        party=entry.party,
        at=entry.at if entry.kind == "contact" else now,
        staff_id=(entry.staff_id or actor.id) if entry.kind == "contact" else None,
        submission_key=submission_key or None,
        created_at=now,
        created_by_id=actor.id,
    )
    if isinstance(subject, Volunteer):
        note.volunteer_id = subject.id
    elif isinstance(subject, Newcomer):
        note.newcomer_id = subject.id
    else:
        note.match_id = subject.id
    db.session.add(note)
    db.session.flush()
    audit.about("note.created", note, actor)
    return note


def is_saved(agency_id: int, submission_key: str) -> bool:
    """Whether the form with this key was saved already (sent twice)."""
    return bool(submission_key) and (
        db.session.scalar(
            select(Note.id).where(
                Note.agency_id == agency_id, Note.submission_key == submission_key
            )
        )
        is not None
    )


def _keep_version(note: Note, actor: User, now: datetime) -> NoteVersion:
    kept = NoteVersion(
        agency_id=note.agency_id,
        note_id=note.id,
        version=note.version,
        kind=note.kind,
        text=note.text,
        channel=note.channel,
        party=note.party,
        at=note.at,
        staff_id=note.staff_id,
        saved_at=note.updated_at or note.created_at,
        saved_by_id=note.updated_by_id if note.updated_at else note.created_by_id,
        replaced_at=now,
        replaced_by_id=actor.id,
    )
    db.session.add(kept)
    return kept


def _flush_changed(note: Note) -> None:
    """Write the change: its UPDATE names the version read, so an edit saved by someone else
    since then makes it match no row — a conflict, not an error."""
    try:
        db.session.flush()
    except StaleDataError as e:
        raise Conflict("note_changed_meanwhile") from e


def _check_current(note: Note, version: int) -> None:
    if note.deleted_at is not None:
        raise Refused("note_deleted")
    if note.version != version:
        raise Conflict("note_changed_meanwhile")


def edit(
    note: Note, version: int, entry: Entry, actor: User, *, now: datetime | None = None
) -> bool:
    """Change an entry, keeping the version it replaces; False when nothing changed.

    :raises Refused: "note_deleted".
    :raises Conflict: "note_changed_meanwhile" when the form showed an older version.
    :raises Invalid: a rule of `matcher.domain.notes.check`; "note_unknown_staff".
    """
    now = now or utcnow()
    _check_current(note, version)
    if entry.kind == "note":
        # A note's moment is when it was written: an edit does not move it.
        entry = Entry("note", entry.text, note.at)
    entry = check(entry, now)
    _check_staff(entry, note.agency_id, actor, keep=note.staff_id)
    staff_id = (entry.staff_id or note.staff_id or actor.id) if entry.kind == "contact" else None
    new = (entry.kind, entry.text, entry.channel, entry.party, entry.at, staff_id)
    if new == (note.kind, note.text, note.channel, note.party, note.at, note.staff_id):
        return False
    _keep_version(note, actor, now)
    note.kind, note.text, note.channel, note.party, note.at, note.staff_id = new
    note.updated_at = now
    note.updated_by_id = actor.id
    _flush_changed(note)
    audit.about("note.edited", note, actor)
    return True


def delete_entry(note: Note, version: int, actor: User, *, now: datetime | None = None) -> None:
    """Delete an entry softly: who and when stay, its text goes (from earlier versions too).

    :raises Refused: "note_deleted" when it is deleted already.
    :raises Conflict: "note_changed_meanwhile" when the form showed an older version.
    """
    now = now or utcnow()
    _check_current(note, version)
    _keep_version(note, actor, now)
    db.session.flush()
    db.session.execute(
        update(NoteVersion)
        .where(NoteVersion.note_id == note.id)
        .values(text="")
        .execution_options(synchronize_session="fetch")
    )
    note.text = ""
    note.deleted_at = now
    note.deleted_by_id = actor.id
    _flush_changed(note)
    audit.about("note.deleted", note, actor)


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Line:
    """One entry as a timeline shows it, with the names of the staff it mentions."""

    note: Note
    staff: User | None
    created_by: User | None
    updated_by: User | None
    deleted_by: User | None
    earlier_versions: int


@dataclass(frozen=True)
class Timeline:
    """The newest entries of a subject, and how many there are in all."""

    lines: list[Line]
    total: int
    deleted: int
    people: dict[int, User] = field(default_factory=dict)

    @property
    def more(self) -> bool:
        """Whether the whole timeline has entries this one does not show."""
        return len(self.lines) < self.total


def _lines(notes: list[Note]) -> list[Line]:
    ids = {
        i
        for n in notes
        for i in (n.staff_id, n.created_by_id, n.updated_by_id, n.deleted_by_id)
        if i is not None
    }
    people = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}
    counts: dict[int, int] = dict(
        db.session.execute(
            select(NoteVersion.note_id, func.count(NoteVersion.id))
            .where(NoteVersion.note_id.in_([n.id for n in notes]))
            .group_by(NoteVersion.note_id)
        ).all()
    )

    def who(user_id: int | None) -> User | None:
        return people.get(user_id) if user_id is not None else None

    return [
        Line(
            n,
            who(n.staff_id),
            who(n.created_by_id),
            who(n.updated_by_id),
            who(n.deleted_by_id),
            counts.get(n.id, 0),
        )
        for n in notes
    ]


def _newest_first(subject: Subject) -> Any:
    return select(Note).where(_about(subject)).order_by(Note.at.desc(), Note.id.desc())


def timeline(subject: Subject, limit: int = SHOWN_ON_PAGE) -> Timeline:
    """The newest entries not deleted (for the subject's page), with the counts."""
    notes = list(
        db.session.scalars(_newest_first(subject).where(Note.deleted_at.is_(None)).limit(limit))
    )
    total, deleted = db.session.execute(
        select(
            func.count(Note.id),
            func.count(Note.deleted_at),
        ).where(_about(subject))
    ).one()
    return Timeline(_lines(notes), int(total) - int(deleted), int(deleted))


def page_of(subject: Subject, page: int, actor: User) -> tuple[Pagination, list[Line]]:
    """A page of the whole timeline, deleted entries included as such (the view is audited)."""
    result = db.paginate(_newest_first(subject), page=page, per_page=PER_PAGE, error_out=False)
    audit.about(f"{audit.OBJECT_TYPES[subject.__tablename__]}.timeline_view", subject, actor)
    return result, _lines(list(result.items))


def subject_of(note: Note) -> Subject:
    """The volunteer, newcomer or Patenschaft an entry is about (in the request's scope)."""
    kind, subject_id = note.subject
    found: Subject | None
    if kind == "volunteer":
        found = db.session.get(Volunteer, subject_id)
    elif kind == "newcomer":
        found = db.session.get(Newcomer, subject_id)
    else:
        found = db.session.get(Match, subject_id)
    assert found is not None, "an entry's subject is in the entry's agency"
    return found


def history(note: Note, actor: User) -> tuple[Line, list[tuple[NoteVersion, User | None]]]:
    """An entry and its earlier versions, newest first, with who saved each (audited)."""
    versions = list(
        db.session.scalars(
            select(NoteVersion)
            .where(NoteVersion.note_id == note.id)
            .order_by(NoteVersion.version.desc(), NoteVersion.id.desc())
        )
    )
    ids = {v.saved_by_id for v in versions if v.saved_by_id is not None}
    people = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}
    audit.about("note.view", note, actor)
    line = _lines([note])[0]
    return line, [(v, people.get(v.saved_by_id) if v.saved_by_id else None) for v in versions]


# --------------------------------------------------------------------------- data protection


def _of_person(person: Volunteer | Newcomer) -> ColumnElement[bool]:
    """Entries about the person and about their Patenschaften."""
    side = Match.volunteer_id if isinstance(person, Volunteer) else Match.newcomer_id
    own = Note.volunteer_id if isinstance(person, Volunteer) else Note.newcomer_id
    return or_(own == person.id, Note.match_id.in_(select(Match.id).where(side == person.id)))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def export_about(person: Volunteer | Newcomer) -> list[dict[str, Any]]:
    """Art. 15: the entries about a person and about their Patenschaften, with earlier
    versions and their processing log. Staff and partners are other people: their ids
    and names are not in it; an entry on a Patenschaft names it by its number only."""
    notes = list(db.session.scalars(select(Note).where(_of_person(person)).order_by(Note.id)))
    ids = [n.id for n in notes]
    versions: dict[int, list[NoteVersion]] = {}
    for v in db.session.scalars(
        select(NoteVersion).where(NoteVersion.note_id.in_(ids)).order_by(NoteVersion.id)
    ):
        versions.setdefault(v.note_id, []).append(v)
    logs: dict[int, list[dict[str, Any]]] = {}
    for e in db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == "note", AuditEvent.object_id.in_(ids))
        .order_by(AuditEvent.id)
    ):
        logs.setdefault(int(e.object_id or 0), []).append({"at": _iso(e.at), "action": e.action})
    out = []
    for n in notes:
        out.append(
            {
                "about": "patenschaft" if n.match_id is not None else "person",
                "patenschaft_id": n.match_id,
                "kind": n.kind,
                "text": n.text,
                "channel": n.channel,
                "with": n.party,
                "at": _iso(n.at),
                "created_at": _iso(n.created_at),
                "updated_at": _iso(n.updated_at),
                "deleted_at": _iso(n.deleted_at),
                "earlier_versions": [
                    {
                        "version": v.version,
                        "kind": v.kind,
                        "text": v.text,
                        "channel": v.channel,
                        "with": v.party,
                        "at": _iso(v.at),
                        "saved_at": _iso(v.saved_at),
                        "replaced_at": _iso(v.replaced_at),
                    }
                    for v in versions.get(n.id, [])
                ],
                "log": logs.get(n.id, []),
            }
        )
    return out


def erase_about(person: Volunteer | Newcomer) -> int:
    """Art. 17: delete the entries about a person and their Patenschaften, with every
    earlier version (an entry on a Patenschaft speaks of both). The audit log keeps that
    they existed: the fact, never the text. Returns how many entries went."""
    ids = list(db.session.scalars(select(Note.id).where(_of_person(person))))
    if not ids:
        return 0
    db.session.execute(
        delete(NoteVersion)
        .where(NoteVersion.note_id.in_(ids))
        .execution_options(synchronize_session="fetch")
    )
    db.session.execute(
        delete(Note).where(Note.id.in_(ids)).execution_options(synchronize_session="fetch")
    )
    return len(ids)
