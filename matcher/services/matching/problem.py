"""Building the engine's `matcher.problem/1` document for one agency from the database.

Ids in the document are strings: `v<id>` for volunteers, `n<id>` for newcomers. The
engine sees plain data only; this module is the one place that knows which people the
agency may match (status, confirmation, consent, free capacity) and which pairs are
already decided (pinned) or ruled out for good (forbidden).
"""

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import selectinload

from matcher.extensions import db
from matcher.models import DEFAULT_WEIGHTS, Agency, ConsentRecord, Match, Newcomer, Volunteer
from matcher.models.vocab import mask_to_slots

#: Statuses of a Patenschaft a person decided on: they pin the pair and use up capacity.
DECIDED_STATUSES = ("approved", "active", "paused")
#: The engine accepts at most this capacity per volunteer.
ENGINE_MAX_CAPACITY = 10


def volunteer_key(volunteer_id: int) -> str:
    """The engine id of a volunteer."""
    return f"v{volunteer_id}"


def newcomer_key(newcomer_id: int) -> str:
    """The engine id of a newcomer."""
    return f"n{newcomer_id}"


def parse_key(key: str) -> int:
    """The database id behind an engine id such as "v12"."""
    return int(key[1:])


@dataclass
class BuiltProblem:
    """The engine document and the people it was built from, by database id."""

    document: dict[str, Any]
    volunteers: dict[int, Volunteer] = field(default_factory=dict)
    newcomers: dict[int, Newcomer] = field(default_factory=dict)
    pinned: set[tuple[int, int]] = field(default_factory=set)


def settings(agency: Agency) -> dict[str, Any]:
    """The engine settings of an agency: weights and distance limit."""
    weights = agency.weights or {}
    return {
        "weights": {
            key: float(weights.get(key, default)) for key, default in DEFAULT_WEIGHTS.items()
        },
        "max_distance_km": agency.max_distance_km,
        "min_shared_slots": 1,
    }


def volunteer_entry(volunteer: Volunteer, capacity: int) -> dict[str, Any]:
    """One volunteer as the engine reads them."""
    entry: dict[str, Any] = {
        "id": volunteer_key(volunteer.id),
        "languages": {lang.code: lang.level for lang in volunteer.languages},
        "postcode": volunteer.postcode,
        "slots": mask_to_slots(volunteer.slots),
        "capacity": capacity,
        "gender": volunteer.gender,
        "police_certificate": volunteer.has_valid_certificate,
        "topics": list(volunteer.topics or []),
    }
    if volunteer.lat is not None and volunteer.lon is not None:
        entry["location"] = {"lat": volunteer.lat, "lon": volunteer.lon}
    return entry


def newcomer_entry(newcomer: Newcomer) -> dict[str, Any]:
    """One newcomer as the engine reads them."""
    entry: dict[str, Any] = {
        "id": newcomer_key(newcomer.id),
        "languages": {lang.code: lang.level for lang in newcomer.languages},
        "postcode": newcomer.postcode,
        "slots": mask_to_slots(newcomer.slots),
        "mentor_gender": newcomer.mentor_gender,
        "minors": newcomer.minors,
        "topics": list(newcomer.topics or []),
        "waiting_since": newcomer.waiting_since.isoformat(),
    }
    if newcomer.lat is not None and newcomer.lon is not None:
        entry["location"] = {"lat": newcomer.lat, "lon": newcomer.lon}
    return entry


def consenting_volunteer_ids(agency_id: int) -> set[int]:
    """Volunteers of the agency with an active consent to matching."""
    return set(
        db.session.scalars(
            select(ConsentRecord.volunteer_id).where(
                ConsentRecord.agency_id == agency_id,
                ConsentRecord.purpose == "matching",
                ConsentRecord.withdrawn_at.is_(None),
                ConsentRecord.volunteer_id.is_not(None),
            )
        )
    )


def consenting_newcomer_ids(agency_id: int, purpose: str = "matching") -> set[int]:
    """Newcomers of the agency with an active consent to a purpose."""
    return set(
        db.session.scalars(
            select(ConsentRecord.newcomer_id).where(
                ConsentRecord.agency_id == agency_id,
                ConsentRecord.purpose == purpose,
                ConsentRecord.withdrawn_at.is_(None),
                ConsentRecord.newcomer_id.is_not(None),
            )
        )
    )


def has_consent(*, volunteer_id: int | None = None, newcomer_id: int | None = None,
                purpose: str = "matching") -> bool:  # fmt: skip
    """Whether one person has an active consent to a purpose."""
    person = (
        ConsentRecord.volunteer_id == volunteer_id
        if volunteer_id is not None
        else ConsentRecord.newcomer_id == newcomer_id
    )
    found = db.session.scalar(
        select(ConsentRecord.id)
        .where(person, ConsentRecord.purpose == purpose, ConsentRecord.withdrawn_at.is_(None))
        .limit(1)
    )
    return found is not None


def volunteer_is_eligible(volunteer: Volunteer, consenting: Collection[int]) -> bool:
    """Active, confirmed, consenting, not anonymised, and with at least one language."""
    return (
        volunteer.status == "active"
        and volunteer.email_confirmed_at is not None
        and volunteer.anonymised_at is None
        and volunteer.id in consenting
        and bool(volunteer.languages)
    )


def newcomer_is_eligible(newcomer: Newcomer, consenting: Collection[int]) -> bool:
    """Waiting, consenting, not anonymised, and with at least one language."""
    return (
        newcomer.status == "waiting"
        and newcomer.anonymised_at is None
        and newcomer.id in consenting
        and bool(newcomer.languages)
    )


def decided_pairs(agency_id: int) -> list[tuple[int, int]]:
    """(volunteer id, newcomer id) of the agency's approved, active and paused matches."""
    rows = db.session.execute(
        select(Match.volunteer_id, Match.newcomer_id).where(
            Match.agency_id == agency_id, Match.status.in_(DECIDED_STATUSES)
        )
    ).all()
    return [(v, n) for v, n in rows]


def open_counts(agency_id: int) -> dict[int, int]:
    """How many decided (approved, active, paused) matches each volunteer has."""
    rows = db.session.execute(
        select(Match.volunteer_id, func.count())
        .where(Match.agency_id == agency_id, Match.status.in_(DECIDED_STATUSES))
        .group_by(Match.volunteer_id)
    ).all()
    return {v: int(c) for v, c in rows}


_RULED_OUT = or_(
    Match.status == "rejected",
    and_(Match.status == "ended", Match.end_reason == "conflict"),
)


def forbidden_pairs(agency_id: int) -> set[tuple[int, int]]:
    """Pairs rejected before or ended in conflict: never proposed again."""
    rows = db.session.execute(
        select(Match.volunteer_id, Match.newcomer_id).where(
            Match.agency_id == agency_id, _RULED_OUT
        )
    ).all()
    return {(v, n) for v, n in rows}


def is_forbidden(volunteer_id: int, newcomer_id: int) -> bool:
    """Whether this one pair was rejected before or ended in conflict."""
    found = db.session.scalar(
        select(Match.id)
        .where(Match.volunteer_id == volunteer_id, Match.newcomer_id == newcomer_id, _RULED_OUT)
        .limit(1)
    )
    return found is not None


def _volunteers(agency_id: int, ids: Iterable[int] | None = None) -> list[Volunteer]:
    stmt = (
        select(Volunteer)
        .where(Volunteer.agency_id == agency_id)
        .options(selectinload(Volunteer.languages))
    )
    if ids is not None:
        stmt = stmt.where(Volunteer.id.in_(list(ids)))
    return list(db.session.scalars(stmt))


def _newcomers(agency_id: int, ids: Iterable[int] | None = None) -> list[Newcomer]:
    stmt = (
        select(Newcomer)
        .where(Newcomer.agency_id == agency_id)
        .options(selectinload(Newcomer.languages))
    )
    if ids is not None:
        stmt = stmt.where(Newcomer.id.in_(list(ids)))
    return list(db.session.scalars(stmt))


def build(
    agency: Agency,
    today: date,
    *,
    newcomer_ids: Collection[int] | None = None,
    with_pinned: bool = True,
) -> BuiltProblem:
    """The agency's matching problem; optionally for some newcomers only (alternatives).

    Pinned pairs consume capacity inside the engine, so a volunteer's capacity in the
    document is their pinned pairs plus what is still free.
    """
    agency_id = agency.id
    decided = decided_pairs(agency_id)
    counts = open_counts(agency_id)
    v_consent = consenting_volunteer_ids(agency_id)
    n_consent = consenting_newcomer_ids(agency_id)
    decided_newcomers = {n for _, n in decided}

    newcomers = {
        n.id: n
        for n in _newcomers(agency_id, newcomer_ids)
        if newcomer_is_eligible(n, n_consent) and n.id not in decided_newcomers
    }
    pinned: set[tuple[int, int]] = set()
    pinned_people = {}
    if with_pinned:
        pinned_newcomer_ids = decided_newcomers
        pinned_people = {n.id: n for n in _newcomers(agency_id, pinned_newcomer_ids)}
    volunteers = {v.id: v for v in _volunteers(agency_id)}
    for v_id, n_id in decided if with_pinned else ():
        v, n = volunteers.get(v_id), pinned_people.get(n_id)
        if v is not None and n is not None and v.languages and n.languages:
            pinned.add((v_id, n_id))
            newcomers[n_id] = n

    pinned_per_volunteer: dict[int, int] = {}
    for v_id, _ in pinned:
        pinned_per_volunteer[v_id] = pinned_per_volunteer.get(v_id, 0) + 1
    entries = []
    chosen: dict[int, Volunteer] = {}
    for v in volunteers.values():
        free = (
            max(0, v.capacity - counts.get(v.id, 0)) if volunteer_is_eligible(v, v_consent) else 0
        )
        held = pinned_per_volunteer.get(v.id, 0)
        if free == 0 and held == 0:
            continue
        capacity = min(ENGINE_MAX_CAPACITY, held + free)
        entries.append(volunteer_entry(v, max(capacity, held)))
        chosen[v.id] = v

    forbidden = [
        {"volunteer": volunteer_key(v), "newcomer": newcomer_key(n)}
        for v, n in sorted(forbidden_pairs(agency_id))
        if v in chosen and n in newcomers
    ]
    document = {
        "format": "matcher.problem/1",
        "today": today.isoformat(),
        "settings": settings(agency),
        "volunteers": entries,
        "newcomers": [newcomer_entry(n) for n in newcomers.values()],
        "pinned": [
            {"volunteer": volunteer_key(v), "newcomer": newcomer_key(n)} for v, n in sorted(pinned)
        ],
        "forbidden": forbidden,
    }
    return BuiltProblem(document, chosen, newcomers, pinned)


def pair_document(
    agency: Agency, volunteer: Volunteer, newcomer: Newcomer, today: date, *, forbidden: bool
) -> dict[str, Any]:
    """A problem of one volunteer and one newcomer: does this pair meet the hard rules now?"""
    return {
        "format": "matcher.problem/1",
        "today": today.isoformat(),
        "settings": settings(agency),
        "volunteers": [volunteer_entry(volunteer, 1)],
        "newcomers": [newcomer_entry(newcomer)],
        "pinned": [],
        "forbidden": [
            {"volunteer": volunteer_key(volunteer.id), "newcomer": newcomer_key(newcomer.id)}
        ]
        if forbidden
        else [],
    }
