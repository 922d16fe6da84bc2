"""The history of a person's details: one row per changed field, whoever changed it.

A change is recorded by comparing two snapshots of the person's details (`snapshot`)
taken before and after it: a coordinator's edit, the volunteer's own profile, a merge.
Values are stored in a plain canonical form (languages as "ar:fluent, de:native", times
and topics as their codes); the page words them. Each recorded change is audited as the
fact only ("volunteer.profile_change"), never the values.
"""

from typing import Literal

from sqlalchemy import select

from matcher.domain import audit
from matcher.domain.vocab import mask_to_slots
from matcher.extensions import db
from matcher.models import Newcomer, ProfileChange, User, Volunteer, utcnow

Source = Literal["coordinator", "self", "merge"]

#: The fields of a volunteer's details that are recorded, in the order they are shown.
VOLUNTEER_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "postcode",
    "gender",
    "languages",
    "slots",
    "capacity",
    "topics",
)
NEWCOMER_FIELDS = (
    "first_name",
    "contact_note",
    "phone",
    "contact_channel",
    "social_worker_contact",
    "interpreter_needed",
    "interpreter_language",
    "correspondence_language",
    "postcode",
    "age_band",
    "languages",
    "slots",
    "topics",
    "minors",
    "mentor_gender",
)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def snapshot(person: Volunteer | Newcomer) -> dict[str, str]:
    """The person's recorded details as plain strings, field by field."""
    fields = VOLUNTEER_FIELDS if isinstance(person, Volunteer) else NEWCOMER_FIELDS
    out: dict[str, str] = {}
    for name in fields:
        if name == "languages":
            held = {lang.code: lang.level for lang in person.languages}
            out[name] = ", ".join(f"{code}:{held[code]}" for code in sorted(held))
        elif name == "slots":
            out[name] = ", ".join(mask_to_slots(person.slots))
        elif name == "topics":
            out[name] = ", ".join(sorted(person.topics or []))
        else:
            out[name] = _text(getattr(person, name))
    return out


def _side(person: Volunteer | Newcomer) -> dict[str, int]:
    if isinstance(person, Volunteer):
        return {"volunteer_id": person.id}
    return {"newcomer_id": person.id}


def record(
    person: Volunteer | Newcomer,
    before: dict[str, str],
    after: dict[str, str],
    actor: User | None,
    source: Source,
) -> list[ProfileChange]:
    """Record each field that differs between two snapshots; audit the change once."""
    now = utcnow()
    rows = [
        ProfileChange(
            agency_id=person.agency_id,
            field=name,
            old_value=before.get(name, ""),
            new_value=after.get(name, ""),
            source=source,
            actor_id=actor.id if actor is not None else None,
            at=now,
            **_side(person),
        )
        for name in after
        if before.get(name, "") != after[name]
    ]
    if rows:
        db.session.add_all(rows)
        kind = "volunteer" if isinstance(person, Volunteer) else "newcomer"
        audit.about(f"{kind}.profile_change", person, actor)
    return rows


def note(
    person: Volunteer | Newcomer,
    field: str,
    old: str,
    new: str,
    actor: User | None,
    source: Source,
) -> ProfileChange:
    """Record one event in the history that is not a field edit (e.g. a merge)."""
    row = ProfileChange(
        agency_id=person.agency_id,
        field=field,
        old_value=old,
        new_value=new,
        source=source,
        actor_id=actor.id if actor is not None else None,
        **_side(person),
    )
    db.session.add(row)
    return row


def history(person: Volunteer | Newcomer) -> list[ProfileChange]:
    """The person's recorded changes, newest first."""
    side = (
        ProfileChange.volunteer_id == person.id
        if isinstance(person, Volunteer)
        else ProfileChange.newcomer_id == person.id
    )
    return list(
        db.session.scalars(
            select(ProfileChange)
            .where(side)
            .order_by(ProfileChange.at.desc(), ProfileChange.id.desc())
        )
    )


def since(person: Volunteer | Newcomer, moment: object) -> list[ProfileChange]:
    """Changes recorded after `moment` (what someone else saved while a form was open)."""
    return [c for c in history(person) if moment is not None and c.at > moment]  # type: ignore[operator]
