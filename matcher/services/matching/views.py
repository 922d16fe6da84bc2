"""Reading the matching state of an agency: the dashboard, proposals, Patenschaften, gaps.

Queries are scoped by `matcher.tenancy`; functions that take the agency filter by it as
well, so they also hold in the all-agencies scope of the admin area and the commands.
Who is available or waiting is asked of the same functions the problem builder uses, so
the dashboard, the shortage page, the figures and a run count the same people.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from matcher.domain import audit
from matcher.domain.vocab import OPEN_MATCH_STATUSES, mask_to_slots
from matcher.engine.scoring import haversine_km
from matcher.extensions import db
from matcher.models import (
    Agency,
    CheckIn,
    Match,
    MatchEvent,
    MatchRun,
    Newcomer,
    User,
    Volunteer,
)
from matcher.services.matching import checkins, problem, runs

PER_PAGE = 20
DUE_SOON_DAYS = 7


def _with_people() -> list[Any]:
    return [
        selectinload(Match.volunteer).selectinload(Volunteer.languages),
        selectinload(Match.newcomer).selectinload(Newcomer.languages),
    ]


def latest_run(agency_id: int) -> MatchRun | None:
    """The agency's last finished run."""
    return db.session.scalar(
        select(MatchRun)
        .where(MatchRun.agency_id == agency_id, MatchRun.status == "finished")
        .order_by(MatchRun.id.desc())
        .limit(1)
    )


def overview(agency: Agency, on: date) -> dict[str, Any]:
    """What the dashboard shows about matching."""
    today = on
    # The same rules a run asks (`Newcomer.waits_for_match`, `Volunteer.available`), as
    # SQL: dates, a count and five rows, never every person (10,000 took seconds).
    waits = (Newcomer.agency_id == agency.id, Newcomer.waits_for_match)
    days = sorted((today - since).days for since in db.session.scalars(
        select(Newcomer.waiting_since).where(*waits)))  # fmt: skip
    longest = list(
        db.session.scalars(
            select(Newcomer).where(*waits).order_by(Newcomer.waiting_since, Newcomer.id).limit(5)
        )
    )
    available = db.session.scalar(
        select(func.count(Volunteer.id)).where(
            Volunteer.agency_id == agency.id, Volunteer.available
        )
    )
    by_status = dict(
        db.session.execute(
            select(Match.status, func.count())
            .where(Match.agency_id == agency.id)
            .group_by(Match.status)
        ).all()
    )
    due = checkins.pending(today, until=today + timedelta(days=DUE_SOON_DAYS))
    attention = db.session.scalar(
        select(func.count(Match.id)).where(
            Match.agency_id == agency.id,
            Match.attention.is_not(None),
            Match.status.in_(OPEN_MATCH_STATUSES),
        )
    )
    return {
        "waiting": len(days),
        "waiting_longest_days": days[-1] if days else 0,
        "waiting_median_days": days[len(days) // 2] if days else 0,
        "longest_waiting": [(n, (today - n.waiting_since).days) for n in longest],
        "volunteers_available": int(available or 0),
        "by_status": by_status,
        "proposals": by_status.get("proposed", 0),
        "checkins_due": due,
        "checkins_overdue": sum(1 for d in due if d.days_overdue > 0),
        "last_run": latest_run(agency.id),
        # The latest run whatever its status: one under way, or one that failed.
        "current_run": runs.current(agency.id),
        "attention": int(attention or 0),
    }


def proposals(page: int) -> Pagination:
    """A page of open proposals, the longest-waiting newcomer first."""
    stmt = (
        select(Match)
        .join(Newcomer, Match.newcomer_id == Newcomer.id)
        .where(Match.status == "proposed")
        .order_by(Newcomer.waiting_since, Match.id)
        .options(*_with_people())
    )
    return db.paginate(stmt, page=page, per_page=PER_PAGE, error_out=False)


def matches(status: str, page: int) -> Pagination:
    """A page of Patenschaften (not proposals or rejections unless asked), newest first."""
    stmt = select(Match).order_by(Match.id.desc()).options(*_with_people())
    if status:
        stmt = stmt.where(Match.status == status)
    else:
        stmt = stmt.where(Match.status.in_(("approved", "active", "paused", "ended")))
    return db.paginate(stmt, page=page, per_page=PER_PAGE, error_out=False)


def latest_lights(match_ids: list[int]) -> dict[int, str]:
    """The traffic light of each Patenschaft's latest recorded check-in."""
    if not match_ids:
        return {}
    rows = db.session.execute(
        select(CheckIn.match_id, CheckIn.light)
        .where(CheckIn.match_id.in_(match_ids), CheckIn.done_at.is_not(None))
        .order_by(CheckIn.done_at, CheckIn.id)
    ).all()
    return {match_id: light for match_id, light in rows if light}


def person_matches(person: Volunteer | Newcomer) -> list[Match]:
    """A person's proposals and Patenschaften, newest first, for their page."""
    side = Match.volunteer_id if isinstance(person, Volunteer) else Match.newcomer_id
    return list(
        db.session.scalars(
            select(Match)
            .where(side == person.id, Match.status != "rejected")
            .order_by(Match.id.desc())
            .options(*_with_people())
        )
    )


@dataclass(frozen=True)
class Pair:
    """What a volunteer and a newcomer have in common, for the side-by-side view."""

    languages: list[tuple[str, str, str]]
    slots: list[str]
    km: float | None
    topics: list[str]
    topics_missing: list[str]


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in km between two (lat, lon) points, as the engine measures it."""
    lat1, lon1, lat2, lon2 = (np.radians(np.array([x], dtype=np.float64)) for x in (*a, *b))
    return float(haversine_km(lat1, lon1, np.cos(lat1), lat2, lon2, np.cos(lat2))[0])


def pair(volunteer: Volunteer, newcomer: Newcomer) -> Pair:
    """Shared languages (code, volunteer level, newcomer level), slots, distance and topics."""
    v_levels = {lang.code: lang.level for lang in volunteer.languages}
    languages = [(lang.code, v_levels[lang.code], lang.level) for lang in newcomer.languages
                 if lang.code in v_levels]  # fmt: skip
    km = None
    if None not in (volunteer.lat, volunteer.lon, newcomer.lat, newcomer.lon):
        km = distance_km((volunteer.lat, volunteer.lon), (newcomer.lat, newcomer.lon))  # type: ignore[arg-type]
    offered = set(volunteer.topics or [])
    return Pair(
        languages=languages,
        slots=mask_to_slots(volunteer.slots & newcomer.slots),
        km=km,
        topics=[t for t in newcomer.topics or [] if t in offered],
        topics_missing=[t for t in newcomer.topics or [] if t not in offered],
    )


@dataclass
class Detail:
    """A Patenschaft with its history and check-ins."""

    match: Match
    pair: Pair
    events: list[tuple[MatchEvent, User | None]]
    checkins: list[Any]
    run: MatchRun | None
    people: dict[int, User] = field(default_factory=dict)


def detail(match: Match, actor: User) -> Detail:
    """One Patenschaft with its history and check-ins; the view is audited."""
    events = db.session.execute(
        select(MatchEvent, User)
        .outerjoin(User, MatchEvent.actor_id == User.id)
        .where(MatchEvent.match_id == match.id)
        .order_by(MatchEvent.at, MatchEvent.id)
    ).all()
    user_ids = {match.approved_by_id, match.started_by_id, match.ended_by_id, match.rejected_by_id}
    users = {
        u.id: u for u in db.session.scalars(select(User).where(User.id.in_(user_ids - {None})))
    }
    run = db.session.get(MatchRun, match.run_id) if match.run_id else None
    audit.about("match.view", match, actor)
    return Detail(
        match=match,
        pair=pair(match.volunteer, match.newcomer),
        events=[(e, u) for e, u in events],
        checkins=checkins.for_match(match),
        run=run,
        people=users,
    )


def started_by(matching_run: MatchRun) -> User | None:
    """Who started a run (None for the command line)."""
    return db.session.get(User, matching_run.started_by_id) if matching_run.started_by_id else None


@dataclass(frozen=True)
class Unmatched:
    """A newcomer the last run found no volunteer for, and why."""

    newcomer: Newcomer
    entry: dict[str, Any]
    days_waiting: int


def unmatched(agency: Agency, on: date) -> tuple[MatchRun | None, list[Unmatched]]:
    """The newcomers of the last run still without a volunteer, with the engine's reason."""
    matching_run = latest_run(agency.id)
    if matching_run is None:
        return None, []
    entries = {int(e["newcomer"]): e for e in matching_run.unmatched}
    open_ids = set(
        db.session.scalars(
            select(Match.newcomer_id).where(
                Match.agency_id == agency.id,
                Match.status.in_(OPEN_MATCH_STATUSES),
            )
        )
    )
    people = db.session.scalars(
        select(Newcomer)
        .where(Newcomer.id.in_(list(entries)), Newcomer.status == "waiting")
        .options(selectinload(Newcomer.languages))
        .order_by(Newcomer.waiting_since, Newcomer.id)
    ).all()
    return matching_run, [
        Unmatched(n, entries[n.id], (on - n.waiting_since).days)
        for n in people
        if n.id not in open_ids
    ]


@dataclass
class Shortage:
    """Unmet demand: who waits without a volunteer, by language and postcode area."""

    languages: list[tuple[str, int, int]]
    areas: list[tuple[str, int, int]]
    recruit: list[tuple[str, str, int]]
    total: int


def area(postcode: str) -> str:
    """A postcode area: the first three digits ("507" for 50733)."""
    return postcode[:3] if len(postcode) >= 3 else postcode


def main_language(newcomer: Newcomer) -> str | None:
    """The language a volunteer would best share: the strongest one other than German."""
    order = {"native": 0, "fluent": 1, "good": 2, "basic": 3}
    others = sorted(
        (lang for lang in newcomer.languages if lang.code != "de"),
        key=lambda lang: (order.get(lang.level, 9), lang.code),
    )
    return others[0].code if others else None


def shortage(agency: Agency, on: date) -> Shortage:
    """Where volunteers are missing: unmatched newcomers against available volunteers."""
    _, waiting = unmatched(agency, on)
    newcomers = [u.newcomer for u in waiting]
    available = problem.available_volunteers(agency)
    need_lang: Counter[str] = Counter()
    need_area: Counter[str] = Counter()
    combos: Counter[tuple[str, str]] = Counter()
    for n in newcomers:
        for lang in n.languages:
            need_lang[lang.code] += 1
        need_area[area(n.postcode)] += 1
        if (main := main_language(n)) is not None:
            combos[(main, area(n.postcode))] += 1
    have_lang: Counter[str] = Counter()
    have_area: Counter[str] = Counter()
    for v in available:
        for spoken in v.languages:
            have_lang[spoken.code] += 1
        have_area[area(v.postcode)] += 1
    return Shortage(
        languages=[(c, k, have_lang[c]) for c, k in need_lang.most_common()],
        areas=[
            (a, k, have_area[a]) for a, k in sorted(need_area.items(), key=lambda i: (-i[1], i[0]))
        ],
        recruit=[(c, a, k) for (c, a), k in combos.most_common(8)],
        total=len(newcomers),
    )
