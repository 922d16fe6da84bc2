"""Building the engine's `matcher.problem/1` document for one agency from the database.

Ids in the document are strings: `v<id>` for volunteers, `n<id>` for newcomers. Who may be
matched is asked of the domain rules (`matcher.domain.eligibility`), never restated here:
volunteers who are `available`, newcomers who `waits_for_match`, a certificate
`certificate_valid_on` the run's day, newcomers who `needs_certificate`, pairs that
`rules_out_pair`. Pairs a person decided on (approved, active, paused), and proposals a
coordinator picked by hand, go to the engine as pinned, so a re-run never undoes them.
"""

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from matcher.domain.vocab import DECIDED_MATCH_STATUSES, DEFAULT_WEIGHTS, mask_to_slots
from matcher.engine import NewcomerEntry, PairRef, ProblemDocument, ProblemSettings, VolunteerEntry
from matcher.engine.vocab import MAX_CAPACITY
from matcher.extensions import db
from matcher.models import Agency, Match, Newcomer, PairRule, Volunteer
from matcher.services.matching.must_rules import MustRules


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

    document: ProblemDocument
    #: Volunteers in the document, by id: those with a free place and those holding pinned pairs.
    volunteers: dict[int, Volunteer] = field(default_factory=dict)
    newcomers: dict[int, Newcomer] = field(default_factory=dict)
    pinned: set[tuple[int, int]] = field(default_factory=set)
    #: Pairs pinned by a coordinator's rule with no open match behind them yet (the run
    #: proposes them), and who set the rule.
    rule_pinned: dict[tuple[int, int], int | None] = field(default_factory=dict)

    @property
    def open_newcomers(self) -> int:
        """Newcomers still waiting for a volunteer (not held by a pinned pair)."""
        return len(self.newcomers) - len({n for _, n in self.pinned})

    @property
    def free_volunteers(self) -> int:
        """Volunteers with a place still free after their pinned pairs."""
        held: dict[int, int] = {}
        for v, _ in self.pinned:
            held[v] = held.get(v, 0) + 1
        return sum(
            1 for entry in self.document["volunteers"]
            if entry["capacity"] > held.get(parse_key(entry["id"]), 0)
        )  # fmt: skip


#: The weight of the children's age-band preference where an agency switches it on.
FAMILY_WEIGHT = 1.0


def settings(agency: Agency, rules: MustRules | None = None) -> ProblemSettings:
    """The engine settings of an agency: weights, distance limit and must-rules.

    :param rules: must-rules to try instead of the agency's (the settings preview).
    """
    rules = rules or MustRules.of(agency)
    weights = agency.weights or {}
    result: ProblemSettings = {
        "weights": {
            "language": float(weights.get("language", DEFAULT_WEIGHTS["language"])),
            "distance": float(weights.get("distance", DEFAULT_WEIGHTS["distance"])),
            "availability": float(weights.get("availability", DEFAULT_WEIGHTS["availability"])),
            "topics": float(weights.get("topics", DEFAULT_WEIGHTS["topics"])),
            "waiting": float(weights.get("waiting", DEFAULT_WEIGHTS["waiting"])),
        },
        "max_distance_km": agency.max_distance_km,
        "min_shared_slots": rules.min_shared_slots,
    }
    # The must-rules go in only where set, so an agency without them sends today's problem.
    if rules.min_score:
        result["min_score"] = rules.min_score
    if rules.min_language_level:
        result["min_language_level"] = rules.min_language_level
    if rules.tandem_gender:
        result["tandem_gender"] = rules.tandem_gender
    if rules.age_band_preference:
        result["weights"]["family"] = FAMILY_WEIGHT
    return result


# -- household fields (issue 13): the newcomer's family and the volunteer's offer ----------


def _household_fields(newcomer: Newcomer) -> dict[str, Any]:
    """A newcomer's household as the engine reads it (a single person: nothing)."""
    fields: dict[str, Any] = {}
    if newcomer.household_size != 1:
        fields["household_size"] = int(newcomer.household_size)
    if newcomer.child_age_bands:
        fields["child_age_bands"] = list(newcomer.child_age_bands)
    return fields


def _volunteer_household_fields(volunteer: Volunteer) -> dict[str, Any]:
    """A volunteer's household rule as the engine reads it: without "families welcome"
    they meet single people only; with it, households up to `max_household` (None: any)."""
    fields: dict[str, Any] = {
        "families_welcome": bool(volunteer.families_welcome),
        "max_household": volunteer.max_household,
    }
    if volunteer.child_age_bands:
        fields["child_age_bands"] = list(volunteer.child_age_bands)
    return fields


def _interests(chosen: list[str] | None, offered: Collection[str] | None) -> list[str]:
    """A person's interests that are on the agency's list (None: any)."""
    if offered is None:
        return list(chosen or [])
    return [name for name in chosen or [] if name in offered]


def volunteer_entry(
    volunteer: Volunteer, capacity: int, on: date, interests: Collection[str] | None = None
) -> VolunteerEntry:
    """One volunteer as the engine reads them, on the run's day."""
    entry: VolunteerEntry = {
        "id": volunteer_key(volunteer.id),
        "languages": {lang.code: lang.level for lang in volunteer.languages},
        "postcode": volunteer.postcode,
        "slots": mask_to_slots(volunteer.slots),
        "capacity": capacity,
        "gender": volunteer.gender,
        "police_certificate": volunteer.certificate_valid_on(on),
        "topics": list(volunteer.topics or []),
    }
    if volunteer.lat is not None and volunteer.lon is not None:
        entry["location"] = {"lat": volunteer.lat, "lon": volunteer.lon}
    chosen = _interests(volunteer.interests, interests)
    if chosen:
        entry["interests"] = chosen
    entry.update(_volunteer_household_fields(volunteer))  # type: ignore[typeddict-item]
    return entry


def newcomer_entry(newcomer: Newcomer, interests: Collection[str] | None = None) -> NewcomerEntry:
    """One newcomer as the engine reads them."""
    entry: NewcomerEntry = {
        "id": newcomer_key(newcomer.id),
        "languages": {lang.code: lang.level for lang in newcomer.languages},
        "postcode": newcomer.postcode,
        "slots": mask_to_slots(newcomer.slots),
        "mentor_gender": newcomer.mentor_gender,
        "minors": newcomer.needs_certificate,
        "topics": list(newcomer.topics or []),
        "waiting_since": newcomer.waiting_since.isoformat(),
    }
    if newcomer.lat is not None and newcomer.lon is not None:
        entry["location"] = {"lat": newcomer.lat, "lon": newcomer.lon}
    if newcomer.max_distance_km is not None:
        entry["max_distance_km"] = newcomer.max_distance_km
    if newcomer.gender is not None:
        entry["gender"] = newcomer.gender
    chosen = _interests(newcomer.interests, interests)
    if chosen:
        entry["interests"] = chosen
    entry.update(_household_fields(newcomer))  # type: ignore[typeddict-item]
    return entry


def pinned_pairs(agency: Agency) -> list[tuple[int, int, bool]]:
    """(volunteer id, newcomer id, picked) of the agency's decided Patenschaften and of the
    proposals a coordinator picked by hand (picked=True)."""
    rows = db.session.execute(
        select(Match.volunteer_id, Match.newcomer_id, Match.status).where(
            Match.agency_id == agency.id,
            Match.status.in_(DECIDED_MATCH_STATUSES)
            | ((Match.status == "proposed") & Match.picked_by_id.is_not(None)),
        )
    ).all()
    return sorted((v, n, status == "proposed") for v, n, status in rows)


def places_taken(agency: Agency) -> dict[int, int]:
    """How many decided Patenschaften each volunteer of the agency holds."""
    rows = db.session.execute(
        select(Volunteer.id, Volunteer.places_taken).where(Volunteer.agency_id == agency.id)
    ).all()
    return {v: int(n) for v, n in rows if n}


def ruled_out_pairs(agency: Agency) -> set[tuple[int, int]]:
    """Pairs rejected before, or whose Patenschaft ended: never proposed again."""
    rows = db.session.execute(
        select(Match.volunteer_id, Match.newcomer_id).where(
            Match.agency_id == agency.id, Match.rules_out_pair
        )
    ).all()
    return {(v, n) for v, n in rows}


def rule_pins(agency: Agency) -> list[tuple[int, int, int | None]]:
    """(volunteer id, newcomer id, set by) of the pairs a coordinator pinned (`PairRule`)."""
    rows = db.session.execute(
        select(PairRule.volunteer_id, PairRule.newcomer_id, PairRule.created_by_id).where(
            PairRule.agency_id == agency.id, PairRule.kind == "pin"
        )
    ).all()
    return sorted((v, n, by) for v, n, by in rows)


def forbidden_by_rule(agency: Agency) -> set[tuple[int, int]]:
    """(volunteer id, newcomer id) of the pairs a coordinator forbade for good (`PairRule`)."""
    rows = db.session.execute(
        select(PairRule.volunteer_id, PairRule.newcomer_id).where(
            PairRule.agency_id == agency.id, PairRule.kind == "forbid"
        )
    ).all()
    return {(v, n) for v, n in rows}


def is_ruled_out(volunteer: Volunteer, newcomer: Newcomer) -> bool:
    """Whether this one pair was rejected before or ended."""
    found = db.session.scalar(
        select(Match.id)
        .where(
            Match.volunteer_id == volunteer.id,
            Match.newcomer_id == newcomer.id,
            Match.rules_out_pair,
        )
        .limit(1)
    )
    return found is not None


def available_volunteers(agency: Agency) -> list[Volunteer]:
    """The agency's volunteers the next run can propose (taking part, with a free place)."""
    return list(
        db.session.scalars(
            select(Volunteer)
            .where(Volunteer.agency_id == agency.id, Volunteer.available)
            .options(selectinload(Volunteer.languages))
            .order_by(Volunteer.id)
        )
    )


def waiting_newcomers(agency: Agency, ids: Collection[int] | None = None) -> list[Newcomer]:
    """The agency's newcomers waiting for a match (optionally only some of them)."""
    stmt = (
        select(Newcomer)
        .where(Newcomer.agency_id == agency.id, Newcomer.waits_for_match)
        .options(selectinload(Newcomer.languages))
        .order_by(Newcomer.id)
    )
    if ids is not None:
        stmt = stmt.where(Newcomer.id.in_(list(ids)))
    return list(db.session.scalars(stmt))


def _load(model: Any, ids: Collection[int]) -> list[Any]:
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(model).where(model.id.in_(list(ids))).options(selectinload(model.languages))
        )
    )


def build(
    agency: Agency,
    today: date,
    *,
    newcomer_ids: Collection[int] | None = None,
    with_pinned: bool = True,
    rules: MustRules | None = None,
) -> BuiltProblem:
    """The agency's matching problem; optionally for some newcomers only (alternatives).

    Pinned pairs consume capacity inside the engine, so a volunteer's capacity in the
    document is their pinned pairs plus what is still free.
    """
    rules = rules or MustRules.of(agency)
    # Only interests on the agency's list count (none defined: nobody shares any).
    offered = frozenset(rules.interests)
    pinned_rows = pinned_pairs(agency) if with_pinned else []
    taken = places_taken(agency)
    newcomers = {n.id: n for n in waiting_newcomers(agency, newcomer_ids)}
    available = {v.id: v for v in available_volunteers(agency)}
    holders = {v.id: v for v in _load(Volunteer, {v for v, _, _ in pinned_rows} - set(available))}
    pinned_newcomers = {n.id: n for n in _load(Newcomer, {n for _, n, _ in pinned_rows})}

    pinned: set[tuple[int, int]] = set()
    held: dict[int, int] = {}
    picked: dict[int, int] = {}
    for v_id, n_id, by_hand in pinned_rows:
        volunteer = available.get(v_id) or holders.get(v_id)
        newcomer = pinned_newcomers.get(n_id)
        # An erased person has no languages left, and so no place in the engine's problem.
        if volunteer is None or newcomer is None:
            continue
        if not volunteer.languages or not newcomer.languages:
            continue
        pinned.add((v_id, n_id))
        newcomers[n_id] = newcomer
        held[v_id] = held.get(v_id, 0) + 1
        picked[v_id] = picked.get(v_id, 0) + int(by_hand)

    ruled_out = ruled_out_pairs(agency) | forbidden_by_rule(agency)
    rule_pinned: dict[tuple[int, int], int | None] = {}
    if with_pinned:
        held_newcomers = {n for _, n in pinned}
        for v_id, n_id, by in rule_pins(agency):
            # A pin without an open match (its proposal was replaced or removed): the
            # engine gets it pinned, and the run proposes it again.
            volunteer = available.get(v_id)
            newcomer = newcomers.get(n_id)
            if volunteer is None or newcomer is None or n_id in held_newcomers:
                continue
            if (v_id, n_id) in ruled_out or not volunteer.languages or not newcomer.languages:
                continue
            # A pin never overrides the certificate of good conduct (§72a SGB VIII).
            if newcomer.needs_certificate and not volunteer.certificate_valid_on(today):
                continue
            pinned.add((v_id, n_id))
            held_newcomers.add(n_id)
            held[v_id] = held.get(v_id, 0) + 1
            picked[v_id] = picked.get(v_id, 0) + 1
            rule_pinned[(v_id, n_id)] = by

    chosen: dict[int, Volunteer] = {}
    entries = []
    for v_id, volunteer in sorted({**holders, **available}.items()):
        # Places still free after the decided Patenschaften; a hand-picked proposal takes
        # one of them, and is pinned like the decided ones.
        free = max(0, volunteer.capacity - taken.get(v_id, 0)) if v_id in available else 0
        capacity = held.get(v_id, 0) + max(0, free - picked.get(v_id, 0))
        if capacity == 0:
            continue
        entries.append(volunteer_entry(volunteer, min(MAX_CAPACITY, capacity), today, offered))
        chosen[v_id] = volunteer

    forbidden: list[PairRef] = [
        {"volunteer": volunteer_key(v), "newcomer": newcomer_key(n)}
        for v, n in sorted(ruled_out)
        if v in chosen and n in newcomers and (v, n) not in pinned
    ]
    document: ProblemDocument = {
        "format": "matcher.problem/1",
        "today": today.isoformat(),
        "settings": settings(agency, rules),
        "volunteers": entries,
        "newcomers": [newcomer_entry(n, offered) for _, n in sorted(newcomers.items())],
        "pinned": [
            {"volunteer": volunteer_key(v), "newcomer": newcomer_key(n)} for v, n in sorted(pinned)
        ],
        "forbidden": forbidden,
    }
    return BuiltProblem(document, chosen, newcomers, pinned, rule_pinned)


def _rule_kind(volunteer: Volunteer, newcomer: Newcomer) -> str | None:
    return db.session.scalar(
        select(PairRule.kind).where(
            PairRule.volunteer_id == volunteer.id, PairRule.newcomer_id == newcomer.id
        )
    )


def pair_document(
    agency: Agency,
    volunteer: Volunteer,
    newcomer: Newcomer,
    today: date,
    *,
    pinned: bool = False,
) -> ProblemDocument:
    """A problem of one volunteer and one newcomer: does this pair meet the hard rules now?

    A pair a coordinator pinned (or ``pinned``) goes in pinned: a person decided it.
    """
    offered = frozenset(agency.interests or ())
    kind = _rule_kind(volunteer, newcomer)
    # A pin never overrides the certificate of good conduct (§72a SGB VIII).
    certified = not newcomer.needs_certificate or volunteer.certificate_valid_on(today)
    forbidden = kind == "forbid" or is_ruled_out(volunteer, newcomer)
    pair: PairRef = {
        "volunteer": volunteer_key(volunteer.id),
        "newcomer": newcomer_key(newcomer.id),
    }
    return {
        "format": "matcher.problem/1",
        "today": today.isoformat(),
        "settings": settings(agency),
        "volunteers": [volunteer_entry(volunteer, 1, today, offered)],
        "newcomers": [newcomer_entry(newcomer, offered)],
        "pinned": [pair] if (pinned or kind == "pin") and not forbidden and certified else [],
        "forbidden": [pair] if forbidden else [],
    }
