"""Merging two records of one person without losing history.

A merge keeps one record and moves everything that points at the other to it: every row
of every table with a foreign key to the person's table (found in the models' metadata,
so a table added later moves too), the audit log's references, and the profile history.
Details the kept record lacks are filled from the other one (languages, times and topics
are joined). The merge is written into the history of both (the other's history moves to
the kept record) and into the audit log; the other record is then deleted. Which records
look like one person: `services.people.duplicates`.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from matcher.domain import audit
from matcher.domain.errors import Conflict
from matcher.domain.vocab import OPEN_MATCH_STATUSES, slots_to_mask
from matcher.extensions import db
from matcher.models import (
    AuditEvent,
    Base,
    ConsentRecord,
    DuplicateDismissal,
    Match,
    Newcomer,
    NewcomerLanguage,
    User,
    Volunteer,
    VolunteerLanguage,
    utcnow,
)
from matcher.models.search import fold
from matcher.services.people import duplicates, profile_history

Person = Volunteer | Newcomer

_LANGUAGE_TABLES = ("volunteer_languages", "newcomer_languages")


@dataclass
class MergePlan:
    """What a merge would do: the details kept, and how many rows move to the kept record."""

    kind: str
    kept: Any
    other: Any
    #: (field, kept value, other's value, value after the merge), canonical as in the history
    fields: list[tuple[str, str, str, str]]
    #: table name → rows that move
    moves: dict[str, int]
    #: why the merge is not possible (a `ServiceError` code), or None
    blocked: str | None = None


def referencing_columns(table_name: str) -> list[Column[Any]]:
    """Every column of every table that is a foreign key to `table_name`.id."""
    out = []
    for table in Base.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name == table_name and fk.column.name == "id":
                out.append(fk.parent)
    return out


def _open_matches(person: Person) -> int:
    side = Match.volunteer_id if isinstance(person, Volunteer) else Match.newcomer_id
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(Match)
            .where(side == person.id, Match.status.in_(OPEN_MATCH_STATUSES))
        )
        or 0
    )


def _blocked(kept: Person, other: Person) -> str | None:
    open_kept, open_other = _open_matches(kept), _open_matches(other)
    if isinstance(kept, Newcomer) and open_kept and open_other:
        return "merge_open_matches"
    if isinstance(kept, Volunteer) and open_kept + open_other > 3:
        return "merge_capacity"
    return None


def _joined(a: str, b: str) -> str:
    items = [x for x in a.split(", ") if x] + [x for x in b.split(", ") if x]
    return ", ".join(sorted(set(items)))


def _languages(kept: str, other: str) -> str:
    held = dict(item.split(":") for item in kept.split(", ") if item)
    for item in other.split(", "):
        if item:
            code, level = item.split(":")
            held.setdefault(code, level)
    return ", ".join(f"{c}:{lv}" for c, lv in sorted(held.items()))


def _merged_details(kept: Person, other: Person) -> dict[str, str]:
    """The details after the merge: the kept record's, gaps filled from the other, lists
    joined (a language both speak keeps the kept record's level)."""
    a, b = profile_history.snapshot(kept), profile_history.snapshot(other)
    out = dict(a)
    for name in a:
        if name == "languages":
            out[name] = _languages(a[name], b[name])
        elif name in ("slots", "topics"):
            out[name] = _joined(a[name], b[name])
        elif name == "capacity":
            out[name] = str(max(int(a[name] or 0), int(b[name] or 0)))
        elif name == "minors":
            out[name] = "yes" if "yes" in (a[name], b[name]) else "no"
        elif name == "interpreter_needed":
            out[name] = a[name] if a["interpreter_language"] else b[name]
        elif not a[name]:
            out[name] = b[name]
    if isinstance(kept, Newcomer) and not a["contact_channel"] and b["contact_channel"]:
        # A channel comes with what it needs (a number, the social worker's contact).
        for name in ("phone", "contact_channel", "social_worker_contact"):
            out[name] = b[name] or a[name]
    return out


def plan(kept: Person, other: Person) -> MergePlan:
    """What merging `other` into `kept` would do (nothing is changed)."""
    duplicates.check_pair(kept, other)
    table = kept.__tablename__
    moves: dict[str, int] = {}
    for column in referencing_columns(table):
        if column.table.name in _LANGUAGE_TABLES:  # joined into the details, not moved
            continue
        count = int(
            db.session.scalar(
                select(func.count()).select_from(column.table).where(column == other.id)
            )
            or 0
        )
        if count:
            moves[column.table.name] = moves.get(column.table.name, 0) + count
    audits = int(
        db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.object_type == duplicates.kind_of(kept), AuditEvent.object_id == other.id
            )
        )
        or 0
    )
    if audits:
        moves[AuditEvent.__tablename__] = audits
    a, b = profile_history.snapshot(kept), profile_history.snapshot(other)
    after = _merged_details(kept, other)
    fields = [(name, a[name], b[name], after[name]) for name in a]
    return MergePlan(duplicates.kind_of(kept), kept, other, fields, moves, _blocked(kept, other))


def _apply_details(kept: Person, other: Person, after: dict[str, str]) -> None:
    """Write the merged details onto the kept record."""
    for name, value in after.items():
        if name == "languages":
            continue
        if name == "slots":
            kept.slots = slots_to_mask([s for s in value.split(", ") if s])
        elif name == "topics":
            kept.topics = [t for t in value.split(", ") if t]
        elif name == "capacity":
            kept.capacity = int(value)  # type: ignore[union-attr]
        elif name in ("minors", "interpreter_needed"):
            setattr(kept, name, value == "yes")
        elif name in ("gender", "mentor_gender", "contact_channel", "interpreter_language"):
            setattr(kept, name, value or None)
        else:
            setattr(kept, name, value)
    if kept.lat is None and other.lat is not None and kept.postcode == other.postcode:
        kept.lat, kept.lon = other.lat, other.lon
    held = {lang.code for lang in kept.languages}
    language = VolunteerLanguage if isinstance(kept, Volunteer) else NewcomerLanguage
    for item in after["languages"].split(", "):
        code, level = item.split(":")
        if code not in held:
            kept.languages.append(language(code=code, level=level))  # type: ignore[arg-type]
    if isinstance(kept, Volunteer) and isinstance(other, Volunteer):
        if kept.email_confirmed_at is None and fold(kept.email) == fold(other.email):
            kept.email_confirmed_at = other.email_confirmed_at
        if other.certificate_issued_on is not None and (
            kept.certificate_issued_on is None
            or other.certificate_issued_on > kept.certificate_issued_on
        ):
            kept.certificate_inspected_on = other.certificate_inspected_on
            kept.certificate_issued_on = other.certificate_issued_on
            kept.certificate_result = other.certificate_result
            kept.certificate_inspected_by_id = other.certificate_inspected_by_id
        kept.can_show_certificate = kept.can_show_certificate or other.can_show_certificate
        if not kept.motivation:
            kept.motivation = other.motivation
        kept.capacity = max(kept.capacity, _open_matches(kept) + _open_matches(other))
    if isinstance(kept, Newcomer) and isinstance(other, Newcomer):
        kept.waiting_since = min(kept.waiting_since, other.waiting_since)
        if _open_matches(other) and not _open_matches(kept):
            kept.status = other.status


def _close_double_consents(kept: Person, other: Person, actor: User) -> None:
    """One consent in force per purpose: where both hold one, the kept record's stays and
    the other's is closed at the merge (it stays in the history)."""
    side = ConsentRecord.volunteer_id if isinstance(kept, Volunteer) else ConsentRecord.newcomer_id
    in_force = ConsentRecord.withdrawn_at.is_(None)
    held = set(db.session.scalars(select(ConsentRecord.purpose).where(side == kept.id, in_force)))
    if held:
        db.session.execute(
            update(ConsentRecord)
            .where(side == other.id, in_force, ConsentRecord.purpose.in_(held))
            .values(withdrawn_at=utcnow(), withdrawn_by_id=actor.id)
            .execution_options(synchronize_session=False)
        )


def merge(kept: Person, other: Person, actor: User) -> dict[str, int]:
    """Merge `other` into `kept`: details, Patenschaften, consents, check-ins, notes, history
    and audit references go to `kept`, and `other` is deleted. Returns the rows moved by
    table.

    :raises Conflict: "merge_open_matches" when both newcomers have an open match (one
        newcomer has at most one), "merge_capacity" when a volunteer would have more
        than three; "merge_conflict" when moving a row would break another rule.
    """
    merge_plan = plan(kept, other)
    if merge_plan.blocked:
        raise Conflict(merge_plan.blocked)
    kind = duplicates.kind_of(kept)
    other_id = other.id
    # The other's own details, for the kept record's history (they are not all kept).
    gone = profile_history.snapshot(other)
    summary = " · ".join(
        v
        for k, v in gone.items()
        if k in ("first_name", "last_name", "email", "phone", "postcode") and v
    )
    before = profile_history.snapshot(kept)
    after = _merged_details(kept, other)
    if (
        isinstance(kept, Newcomer)
        and isinstance(other, Newcomer)
        and kept.external_ref is None
        and other.external_ref is not None
    ):
        # The other's import key goes to the kept one (the key is unique: freed first).
        ref, other.external_ref = other.external_ref, None
        db.session.flush()
        kept.external_ref = ref
    if isinstance(kept, Volunteer) and isinstance(other, Volunteer):
        # The address is unique in the agency: the other's is freed before anything moves.
        other.email = f"merged-{other.id}@invalid"
        db.session.flush()
    _apply_details(kept, other, after)
    profile_history.note(other, "merged_into", f"#{other_id}", f"#{kept.id}", actor, "merge")
    db.session.flush()
    profile_history.record(kept, before, profile_history.snapshot(kept), actor, "merge")
    profile_history.note(
        kept, "merged_from", f"#{other_id} {summary}", f"#{kept.id}", actor, "merge"
    )
    language = VolunteerLanguage if isinstance(kept, Volunteer) else NewcomerLanguage
    language_side = (
        VolunteerLanguage.volunteer_id
        if isinstance(kept, Volunteer)
        else NewcomerLanguage.newcomer_id
    )
    db.session.execute(delete(language).where(language_side == other_id))
    _close_double_consents(kept, other, actor)
    moved: dict[str, int] = {}
    try:
        with db.session.begin_nested():
            for column in referencing_columns(kept.__tablename__):
                result = db.session.execute(
                    update(column.table)
                    .where(column == other_id)
                    .values({column.name: kept.id})
                    .execution_options(synchronize_session=False)
                )
                count = int(result.rowcount or 0)  # type: ignore[attr-defined]
                if count:
                    moved[column.table.name] = moved.get(column.table.name, 0) + count
            result = db.session.execute(
                update(AuditEvent)
                .where(AuditEvent.object_type == kind, AuditEvent.object_id == other_id)
                .values(object_id=kept.id)
            )
            if result.rowcount:  # type: ignore[attr-defined]
                moved[AuditEvent.__tablename__] = int(result.rowcount)  # type: ignore[attr-defined]
    except IntegrityError as e:
        raise Conflict("merge_conflict") from e
    db.session.execute(
        delete(DuplicateDismissal).where(
            DuplicateDismissal.kind == kind,
            or_(DuplicateDismissal.first_id == other_id, DuplicateDismissal.second_id == other_id),
        )
    )
    model = type(kept)
    db.session.expunge(other)
    db.session.execute(
        delete(model).where(model.id == other_id).execution_options(synchronize_session=False)
    )
    audit.about(f"{kind}.merge", kept, actor)
    audit.record(
        db.session,
        f"{kind}.merged_away",
        actor=actor,
        object_type=kind,
        object_id=other_id,
        agency_id=kept.agency_id,
    )
    db.session.flush()
    db.session.expire_all()
    return moved
