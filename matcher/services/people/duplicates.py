"""Likely duplicates: records of one agency that look like the same person.

Flagged as likely the same person (within one agency, erased people aside):
- volunteers with the same e-mail address (folded as search folds: case, ß = ss, NFKC),
  the same phone number (E.164), or the same name and postcode;
- newcomers with the same phone number, or the same first name and postcode.
Names are folded with the search key's normalisation (`models.search.fold`). A pair a
coordinator marked "not a duplicate" is not flagged again.

Merging two records of one person: `services.people.merging`.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from sqlalchemy import func, select

from matcher.domain import audit, phones
from matcher.domain.errors import NotFound, Refused
from matcher.extensions import db
from matcher.models import (
    DuplicateDismissal,
    Newcomer,
    User,
    Volunteer,
)
from matcher.models.search import fold

Person = Volunteer | Newcomer

#: Why two records look like one person.
REASONS = ("email", "phone", "name_postcode")
#: A key shared by more people than this is not a person (e.g. the shelter's phone).
MAX_GROUP = 12


@dataclass
class DuplicatePair:
    """Two records that look like the same person, and why."""

    kind: str
    first: Any
    second: Any
    reasons: list[str] = field(default_factory=list)


def kind_of(person: Person) -> str:
    """ "volunteer" or "newcomer"."""
    return "volunteer" if isinstance(person, Volunteer) else "newcomer"


def _model(kind: str) -> type[Volunteer] | type[Newcomer]:
    if kind == "volunteer":
        return Volunteer
    if kind == "newcomer":
        return Newcomer
    raise NotFound("not_found")


def _phone_key(stored: str) -> str:
    """A number in E.164; one stored before the phone rules is read again if it can be."""
    if not stored or (stored.startswith("+") and stored[1:].isdigit()):
        return stored  # already E.164 (the many): no need to parse it again
    try:
        return phones.normalise(stored)
    except Exception:  # noqa: BLE001 - an unreadable old number is compared as stored
        return stored.strip()


@dataclass(frozen=True)
class _Row:
    """What people are compared by: a few columns, not the whole record."""

    id: int
    first_name: str
    last_name: str
    email: str
    phone: str
    postcode: str


def _fold(text: str) -> str:
    """`models.search.fold`, quicker for plain ASCII text (most names and addresses), where
    it only lower-cases and collapses spaces."""
    if text.isascii():
        return " ".join(text.lower().split())
    return fold(text)


def _name_key(person: Person | _Row) -> str:
    name = _fold(f"{person.first_name} {getattr(person, 'last_name', '')}")
    return f"{name}|{person.postcode}" if name and person.postcode else ""


def keys(person: Person | _Row) -> dict[str, str]:
    """The keys a person is compared by (an empty key matches nothing)."""
    return {
        "email": _fold(getattr(person, "email", "") or ""),
        "phone": _phone_key(person.phone),
        "name_postcode": _name_key(person),
    }


def _rows(kind: str) -> list[_Row]:
    """The agency's people of one kind (erased ones aside), as the columns compared."""
    if kind == "volunteer":
        volunteers = select(
            Volunteer.id, Volunteer.first_name, Volunteer.last_name, Volunteer.email,
            Volunteer.phone, Volunteer.postcode,
        ).where(Volunteer.anonymised_at.is_(None))  # fmt: skip
        return [_Row(*row) for row in db.session.execute(volunteers)]
    if kind == "newcomer":
        newcomers = select(Newcomer.id, Newcomer.first_name, Newcomer.phone, Newcomer.postcode)
        return [
            _Row(i, first, "", "", phone, postcode)
            for i, first, phone, postcode in db.session.execute(
                newcomers.where(Newcomer.anonymised_at.is_(None))
            )
        ]
    raise NotFound("not_found")


def _dismissed(kind: str) -> set[tuple[int, int]]:
    rows = db.session.execute(
        select(DuplicateDismissal.first_id, DuplicateDismissal.second_id).where(
            DuplicateDismissal.kind == kind
        )
    ).all()
    return {(a, b) for a, b in rows}


def _pairs(kind: str, rows: list[_Row], only: int | None = None) -> list[DuplicatePair]:
    """The pairs among `rows` that share a key (with `only`: the pairs of that id), with the
    records loaded."""
    groups: dict[tuple[str, str], list[_Row]] = defaultdict(list)
    for row in rows:
        for reason, key in keys(row).items():
            if key:
                groups[(reason, key)].append(row)
    found: dict[tuple[int, int], list[str]] = {}
    for (reason, _key), members in groups.items():
        if not 2 <= len(members) <= MAX_GROUP:
            continue
        for a, b in combinations(sorted(m.id for m in members), 2):
            if only is None or only in (a, b):
                found.setdefault((a, b), []).append(reason)
    dismissed = _dismissed(kind) if found else set()
    found = {ids: reasons for ids, reasons in found.items() if ids not in dismissed}
    if not found:
        return []
    model = _model(kind)
    wanted = {i for ids in found for i in ids}
    people: list[Person] = list(db.session.scalars(select(model).where(model.id.in_(wanted))))
    loaded = {p.id: p for p in people}
    return [
        DuplicatePair(kind, loaded[a], loaded[b], sorted(reasons, key=REASONS.index))
        for (a, b), reasons in sorted(found.items())
    ]


def find(kind: str) -> list[DuplicatePair]:
    """Every likely duplicate pair of the agency in scope, of one kind."""
    return _pairs(kind, _rows(kind))


def find_all() -> dict[str, list[DuplicatePair]]:
    """Likely duplicates of volunteers and of newcomers."""
    return {"volunteer": find("volunteer"), "newcomer": find("newcomer")}


def of(person: Person) -> list[DuplicatePair]:
    """The likely duplicates of one person (for their page): the same pairs `find` flags,
    found by comparing the others with this one only (cheap keys first)."""
    if person.anonymised_at is not None:
        return []
    kind, mine = kind_of(person), keys(person)
    sharing: list[_Row] = []
    for row in _rows(kind):
        if row.id == person.id:
            continue
        if (
            (row.postcode == person.postcode and mine["name_postcode"] == _name_key(row))
            or (mine["phone"] and row.phone and mine["phone"] == _phone_key(row.phone))
            or (mine["email"] and row.email and mine["email"] == _fold(row.email))
        ):
            sharing.append(row)
    if not sharing:
        return []
    me = _Row(person.id, person.first_name, "", "", person.phone, person.postcode)
    if isinstance(person, Volunteer):
        me = _Row(person.id, person.first_name, person.last_name, person.email, person.phone,
                  person.postcode)  # fmt: skip
    return _pairs(kind, [me, *sharing], only=person.id)


def other_in(pair: DuplicatePair, person: Person) -> Any:
    """The other one of a pair."""
    return pair.second if pair.first.id == person.id else pair.first


def dismiss(first: Person, second: Person, actor: User) -> None:
    """Mark two records as two different people: they are no longer flagged."""
    check_pair(first, second)
    low, high = sorted((first.id, second.id))
    kind = kind_of(first)
    exists = db.session.scalar(
        select(func.count())
        .select_from(DuplicateDismissal)
        .where(
            DuplicateDismissal.kind == kind,
            DuplicateDismissal.first_id == low,
            DuplicateDismissal.second_id == high,
        )
    )
    if exists:
        return
    db.session.add(
        DuplicateDismissal(
            agency_id=first.agency_id, kind=kind, first_id=low, second_id=high, by_id=actor.id
        )
    )
    audit.about(f"{kind}.not_duplicate", first, actor)
    audit.about(f"{kind}.not_duplicate", second, actor)
    db.session.flush()


def check_pair(kept: Person, other: Person) -> None:
    if type(kept) is not type(other) or kept.agency_id != other.agency_id:
        raise NotFound("not_found")
    if kept.id == other.id:
        raise Refused("merge_same")
    if kept.anonymised_at is not None or other.anonymised_at is not None:
        raise Refused("erased")
