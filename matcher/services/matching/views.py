"""Reading the matching state of an agency: the dashboard, proposals, Patenschaften, gaps.

Queries are scoped to the user's agency by `matcher.tenancy`; agency-level figures take
the agency explicitly as well, so they also hold for the command line.
"""

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from matcher.extensions import db
from matcher.models import Agency, Match, MatchEvent, MatchRun, Newcomer, User, Volunteer, utcnow
from matcher.models.vocab import mask_to_slots
from matcher.services.matching import checkins
from matcher.services.matching import problem as match_problem
from matcher.services.platform import audit

PER_PAGE = 20
DUE_SOON_DAYS = 7


def _with_people() -> list[Any]:
    return [
        selectinload(Match.volunteer).selectinload(Volunteer.languages),
        selectinload(Match.newcomer).selectinload(Newcomer.languages),
    ]


def available_volunteer_ids(agency_id: int) -> set[int]:
    """Volunteers the next run can propose: eligible and with free capacity."""
    consenting = match_problem.consenting_volunteer_ids(agency_id)
    counts = match_problem.open_counts(agency_id)
    rows = db.session.execute(
        select(Volunteer.id, Volunteer.capacity).where(
            Volunteer.agency_id == agency_id,
            Volunteer.status == "active",
            Volunteer.email_confirmed_at.is_not(None),
            Volunteer.anonymised_at.is_(None),
        )
    ).all()
    return {v for v, cap in rows if v in consenting and cap > counts.get(v, 0)}


def latest_run(agency_id: int) -> MatchRun | None:
    """The agency's last finished run."""
    return db.session.scalar(
        select(MatchRun)
        .where(MatchRun.agency_id == agency_id, MatchRun.status == "finished")
        .order_by(MatchRun.id.desc())
        .limit(1)
    )


def overview(agency: Agency) -> dict[str, Any]:
    """What the dashboard shows about matching."""
    today = utcnow().date()
    waiting = db.session.execute(
        select(Newcomer.id, Newcomer.waiting_since).where(
            Newcomer.agency_id == agency.id, Newcomer.status == "waiting"
        )
    ).all()
    days = sorted((today - since).days for _, since in waiting)
    by_status = dict(
        db.session.execute(
            select(Match.status, func.count())
            .where(Match.agency_id == agency.id)
            .group_by(Match.status)
        ).all()
    )
    longest = db.session.scalars(
        select(Newcomer)
        .where(Newcomer.agency_id == agency.id, Newcomer.status == "waiting")
        .order_by(Newcomer.waiting_since, Newcomer.id)
        .limit(5)
    ).all()
    due = checkins.pending(until=today + timedelta(days=DUE_SOON_DAYS))
    return {
        "waiting": len(waiting),
        "waiting_longest_days": days[-1] if days else 0,
        "waiting_median_days": days[len(days) // 2] if days else 0,
        "longest_waiting": [(n, (today - n.waiting_since).days) for n in longest],
        "volunteers_available": len(available_volunteer_ids(agency.id)),
        "by_status": by_status,
        "proposals": by_status.get("proposed", 0),
        "checkins_due": due,
        "checkins_overdue": sum(1 for d in due if d.days_overdue > 0),
        "last_run": latest_run(agency.id),
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


@dataclass(frozen=True)
class Pair:
    """What a volunteer and a newcomer have in common, for the side-by-side view."""

    languages: list[tuple[str, str, str]]
    slots: list[str]
    km: float | None
    topics: list[str]
    topics_missing: list[str]


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in km between two (lat, lon) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(math.sqrt(min(h, 1.0)))


def pair(volunteer: Volunteer, newcomer: Newcomer) -> Pair:
    """Shared languages (code, volunteer level, newcomer level), slots, distance and topics."""
    v_levels = {lang.code: lang.level for lang in volunteer.languages}
    languages = [(lang.code, v_levels[lang.code], lang.level) for lang in newcomer.languages
                 if lang.code in v_levels]  # fmt: skip
    km = None
    if None not in (volunteer.lat, volunteer.lon, newcomer.lat, newcomer.lon):
        km = haversine_km((volunteer.lat, volunteer.lon), (newcomer.lat, newcomer.lon))  # type: ignore[arg-type]
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
    events: list[tuple[MatchEvent, User | None]]
    checkins: list[Any]
    run: MatchRun | None
    people: dict[int, User] = field(default_factory=dict)


def detail(match_id: int) -> Detail:
    """One Patenschaft of the agency, or 404; the view is audited (it shows the newcomer)."""
    match = db.get_or_404(Match, match_id)
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
    audit.record("match.view", object_type="match", object_id=match.id, agency_id=match.agency_id)
    db.session.commit()
    return Detail(
        match=db.get_or_404(Match, match_id),
        events=[(e, u) for e, u in events],
        checkins=checkins.for_match(match_id),
        run=run,
        people=users,
    )


def run_detail(run_id: int) -> tuple[MatchRun, User | None]:
    """One run of the agency and who started it, or 404."""
    matching_run = db.get_or_404(MatchRun, run_id)
    who = db.session.get(User, matching_run.started_by_id) if matching_run.started_by_id else None
    return matching_run, who


@dataclass(frozen=True)
class Unmatched:
    """A newcomer the last run found no volunteer for, and why."""

    newcomer: Newcomer
    entry: dict[str, Any]
    days_waiting: int


def unmatched(agency: Agency) -> tuple[MatchRun | None, list[Unmatched]]:
    """The newcomers of the last run still without a volunteer, with the engine's reason."""
    matching_run = latest_run(agency.id)
    if matching_run is None:
        return None, []
    entries = {int(e["newcomer"]): e for e in matching_run.unmatched}
    open_ids = set(
        db.session.scalars(
            select(Match.newcomer_id).where(
                Match.agency_id == agency.id,
                Match.status.in_(("proposed", *match_problem.DECIDED_STATUSES)),
            )
        )
    )
    people = db.session.scalars(
        select(Newcomer)
        .where(Newcomer.id.in_(list(entries)), Newcomer.status == "waiting")
        .options(selectinload(Newcomer.languages))
        .order_by(Newcomer.waiting_since, Newcomer.id)
    ).all()
    today = utcnow().date()
    return matching_run, [
        Unmatched(n, entries[n.id], (today - n.waiting_since).days)
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


def shortage(agency: Agency) -> Shortage:
    """Where volunteers are missing: unmatched newcomers against available volunteers."""
    _, waiting = unmatched(agency)
    newcomers = [u.newcomer for u in waiting]
    available = db.session.scalars(
        select(Volunteer)
        .where(Volunteer.id.in_(list(available_volunteer_ids(agency.id))))
        .options(selectinload(Volunteer.languages))
    ).all()
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


def _most(item: tuple[str, int]) -> tuple[int, str]:
    return -item[1], item[0]


def days_since(day: date) -> int:
    """Whole days from `day` to today."""
    return (utcnow().date() - day).days
