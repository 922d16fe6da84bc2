"""The work queue ("Heute zu tun"): what a coordinator should act on, kind by kind.

Each kind is one query: the dashboard asks it for a count and the first few items, the
"see all" page for a page of it, and the weekly digest for counts alone. So the three
never disagree, and none of them loads every person: a COUNT and a LIMIT per kind,
however large the agency. The rules behind a kind are asked where they are written
(`Volunteer.certificate_valid_on`, `Newcomer.needs_certificate`, the engine's
`no_feasible_volunteer` reason of the latest finished run); none is written again here.

Results are plain data (`Item`, `Kind`); the web layer turns them into links.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import aliased, joinedload

from matcher.domain.eligibility import certificate_expires_on
from matcher.domain.vocab import OPEN_MATCH_STATUSES
from matcher.extensions import db
from matcher.models import CheckIn, Match, MatchRun, Newcomer, Volunteer
from matcher.services.matching import checkins
from matcher.services.people.certificates import RENEWAL_WARNING

#: The kinds of "Heute zu tun", in the order the dashboard shows them.
KINDS = ("signups", "certificates", "checkins", "attention", "proposals", "no_volunteer")
#: Items each kind shows on the dashboard (the rest behind "see all").
DASHBOARD_ITEMS = 5
#: Items per page of the "see all" page.
PAGE_ITEMS = 50
#: Default of `PROPOSAL_STALE_DAYS`: a proposal undecided for longer is listed.
PROPOSAL_STALE_DAYS = 7
#: Check-in lights that put a running Patenschaft on the list.
WORRYING_LIGHTS = ("yellow", "red")


@dataclass(frozen=True)
class Item:
    """One thing to do. `id` is the volunteer's (signups, certificates), the newcomer's
    (no_volunteer) or the Patenschaft's (checkins, attention, proposals). Names are None
    for an erased person."""

    id: int
    volunteer: str | None = None
    newcomer: str | None = None
    #: The day that makes it due: signed up, certificate expires, check-in due, flagged
    #: since, proposed, waiting since.
    on: date | None = None
    #: Days it has waited (or is overdue); for certificates, days left (negative: expired).
    days: int | None = None
    #: What kind of case: "expiring"/"expired"/"missing" (certificates), "overdue"/"yellow"/
    #: "red" (checkins, the light wins), the attention code (attention).
    state: str = ""
    #: The pending check-in to record (checkins).
    checkin_id: int | None = None


@dataclass(frozen=True)
class Kind:
    """One kind of the work queue: how many there are, and the first of them."""

    kind: str
    count: int
    items: list[Item] = field(default_factory=list)
    #: The latest finished run the figure comes from (no_volunteer); None without a run.
    run_at: datetime | None = None


def _name(person: Volunteer | Newcomer) -> str | None:
    if person.anonymised_at is not None:
        return None
    return person.full_name if isinstance(person, Volunteer) else person.first_name


def _count(stmt: Select[Any]) -> int:
    return int(db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)


# --------------------------------------------------------------------------- the kinds


def _signups(agency_id: int, on: date, stale_days: int, run: MatchRun | None) -> Select[Any]:
    """Confirmed sign-ups not yet activated: they wait for their interview, oldest first."""
    return (
        select(Volunteer)
        .where(
            Volunteer.agency_id == agency_id,
            Volunteer.status == "applied",
            Volunteer.email_confirmed_at.is_not(None),
            Volunteer.anonymised_at.is_(None),
        )
        .order_by(Volunteer.created_at, Volunteer.id)
    )


def _signup_items(rows: list[Any], on: date) -> list[Item]:
    out = []
    for (v,) in rows:
        since = v.created_at.date()
        out.append(Item(v.id, volunteer=_name(v), on=since, days=(on - since).days))
    return out


def _in_patenschaft_with_minors() -> Any:
    """Volunteers with an open proposal or Patenschaft whose newcomer needs a certificate."""
    return (
        select(Match.volunteer_id)
        .join(Newcomer, Match.newcomer_id == Newcomer.id)
        .where(Match.status.in_(OPEN_MATCH_STATUSES), Newcomer.needs_certificate)
    )


def _certificates(agency_id: int, on: date, stale_days: int, run: MatchRun | None) -> Select[Any]:
    """Certificates that run out within eight weeks (volunteers in the pool), and those no
    longer valid of volunteers in a proposal or Patenschaft with minors; soonest first."""
    # NOT IN rather than NOT (…): a NULL in a half-filled record must not hide anyone.
    valid_now = select(Volunteer.id).where(Volunteer.certificate_valid_on(on))
    expiring = and_(
        Volunteer.in_pool,
        Volunteer.certificate_valid_on(on),
        ~Volunteer.certificate_valid_on(on + RENEWAL_WARNING),
    )
    invalid_with_minors = and_(
        Volunteer.anonymised_at.is_(None),
        Volunteer.id.not_in(valid_now),
        Volunteer.id.in_(_in_patenschaft_with_minors()),
    )
    return (
        select(Volunteer)
        .where(Volunteer.agency_id == agency_id, or_(expiring, invalid_with_minors))
        .order_by(
            Volunteer.certificate_issued_on.is_not(None),  # none at all first
            Volunteer.certificate_issued_on,
            Volunteer.id,
        )
    )


def _certificate_items(rows: list[Any], on: date) -> list[Item]:
    out = []
    for (v,) in rows:
        if v.certificate_issued_on is None or v.certificate_result != "clear":
            out.append(Item(v.id, volunteer=_name(v), state="missing"))
            continue
        expires = certificate_expires_on(v.certificate_issued_on)
        state = "expired" if expires <= on else "expiring"
        out.append(Item(v.id, volunteer=_name(v), on=expires, days=(expires - on).days,
                        state=state))  # fmt: skip
    return out


def _latest_light() -> Any:
    """The light of a Patenschaft's latest recorded check-in (correlated to `Match`)."""
    done = aliased(CheckIn)
    return (
        select(done.light)
        .where(done.match_id == Match.id, done.done_at.is_not(None))
        .order_by(done.done_at.desc(), done.id.desc())
        .limit(1)
        .correlate(Match)
        .scalar_subquery()
    )


def _next_pending() -> Any:
    """The due date of a Patenschaft's pending check-in (correlated to `Match`)."""
    pending = aliased(CheckIn)
    return (
        select(func.min(pending.due_on))
        .where(pending.match_id == Match.id, pending.done_at.is_(None))
        .correlate(Match)
        .scalar_subquery()
    )


def _checkins(agency_id: int, on: date, stale_days: int, run: MatchRun | None) -> Select[Any]:
    """Running Patenschaften with an overdue check-in or whose last check-in was yellow or
    red; red first, then the longest overdue."""
    light = _latest_light()
    due = _next_pending()
    return (
        select(Match, light.label("light"), due.label("due"))
        .where(
            Match.agency_id == agency_id,
            Match.status.in_(checkins.RUNNING),
            or_(light.in_(WORRYING_LIGHTS), due < on),
        )
        .order_by(case((light == "red", 0), (light == "yellow", 1), else_=2), due, Match.id)
    )


def _pair_items(rows: list[Any], on: date) -> list[Item]:
    """Names of both people of each Patenschaft on the page (one query for the page)."""
    ids = [row[0].id for row in rows]
    if not ids:
        return []
    loaded = {
        m.id: m
        for m in db.session.scalars(
            select(Match)
            .where(Match.id.in_(ids))
            .options(joinedload(Match.volunteer), joinedload(Match.newcomer))
        ).unique()
    }
    return [Item(i, volunteer=_name(loaded[i].volunteer), newcomer=_name(loaded[i].newcomer))
            for i in ids]  # fmt: skip


def _checkin_items(rows: list[Any], on: date) -> list[Item]:
    names = {item.id: item for item in _pair_items(rows, on)}
    pending = _pending_ids([row[0].id for row in rows])
    out = []
    for match, light, due in rows:
        overdue = due is not None and due < on
        state = light if light in WORRYING_LIGHTS else "overdue"
        out.append(
            Item(
                match.id,
                volunteer=names[match.id].volunteer,
                newcomer=names[match.id].newcomer,
                on=due,
                days=(on - due).days if overdue else None,
                state=state,
                checkin_id=pending.get(match.id),
            )
        )
    return out


def _pending_ids(match_ids: list[int]) -> dict[int, int]:
    """The pending check-in of each of these Patenschaften (the earliest due)."""
    if not match_ids:
        return {}
    rows = db.session.execute(
        select(CheckIn.match_id, CheckIn.id)
        .where(CheckIn.match_id.in_(match_ids), CheckIn.done_at.is_(None))
        .order_by(CheckIn.due_on.desc(), CheckIn.id.desc())
    ).all()
    return {int(m): int(c) for m, c in rows}


def _attention(agency_id: int, on: date, stale_days: int, run: MatchRun | None) -> Select[Any]:
    """Patenschaften flagged because a person withdrew consent, paused or left while it was
    open (`transitions`); the oldest flag first. They stay until the coordinator marks the
    flag as seen."""
    return (
        select(Match)
        .where(Match.agency_id == agency_id, Match.attention.is_not(None))
        .order_by(Match.attention_since, Match.id)
    )


def _attention_items(rows: list[Any], on: date) -> list[Item]:
    names = {item.id: item for item in _pair_items(rows, on)}
    out = []
    for (m,) in rows:
        since = m.attention_since.date() if m.attention_since else None
        out.append(
            Item(
                m.id,
                volunteer=names[m.id].volunteer,
                newcomer=names[m.id].newcomer,
                on=since,
                days=(on - since).days if since else None,
                state=m.attention or "",
            )
        )
    return out


def _proposals(agency_id: int, on: date, stale_days: int, run: MatchRun | None) -> Select[Any]:
    """Proposals undecided for more than `stale_days` days, the oldest first."""
    cutoff = datetime.combine(on - timedelta(days=stale_days), time.min, tzinfo=UTC)
    return (
        select(Match)
        .where(
            Match.agency_id == agency_id,
            Match.status == "proposed",
            Match.proposed_at < cutoff,
        )
        .order_by(Match.proposed_at, Match.id)
    )


def _proposal_items(rows: list[Any], on: date) -> list[Item]:
    names = {item.id: item for item in _pair_items(rows, on)}
    out = []
    for (m,) in rows:
        since = m.proposed_at.date()
        out.append(Item(m.id, volunteer=names[m.id].volunteer, newcomer=names[m.id].newcomer,
                        on=since, days=(on - since).days))  # fmt: skip
    return out


def latest_run(agency_id: int) -> MatchRun | None:
    """The agency's latest finished run (its unmatched newcomers and their reasons)."""
    return db.session.scalar(
        select(MatchRun)
        .where(MatchRun.agency_id == agency_id, MatchRun.status == "finished")
        .order_by(MatchRun.id.desc())
        .limit(1)
    )


def _no_volunteer_ids(run: MatchRun | None) -> list[int]:
    if run is None:
        return []
    return [
        int(entry["newcomer"])
        for entry in run.unmatched or []
        if entry.get("reason") == "no_feasible_volunteer"
    ]


def _no_volunteer(agency_id: int, on: date, stale_days: int, run: MatchRun | None) -> Select[Any]:
    """Newcomers for whom the latest finished run found no possible volunteer at all (the
    engine's own `no_feasible_volunteer`), still waiting and without an open match;
    the longest waiting first. Computing feasibility anew is a run's work, not a page's."""
    ids = _no_volunteer_ids(run)
    open_matches = select(Match.newcomer_id).where(Match.status.in_(OPEN_MATCH_STATUSES))
    return (
        select(Newcomer)
        .where(
            Newcomer.agency_id == agency_id,
            Newcomer.id.in_(ids),
            Newcomer.status == "waiting",
            Newcomer.anonymised_at.is_(None),
            Newcomer.id.not_in(open_matches),
        )
        .order_by(Newcomer.waiting_since, Newcomer.id)
    )


def _no_volunteer_items(rows: list[Any], on: date) -> list[Item]:
    return [Item(n.id, newcomer=_name(n), on=n.waiting_since, days=(on - n.waiting_since).days)
            for (n,) in rows]  # fmt: skip


_QUERIES: dict[str, tuple[Callable[..., Select[Any]], Callable[[list[Any], date], list[Item]]]] = {
    "signups": (_signups, _signup_items),
    "certificates": (_certificates, _certificate_items),
    "checkins": (_checkins, _checkin_items),
    "attention": (_attention, _attention_items),
    "proposals": (_proposals, _proposal_items),
    "no_volunteer": (_no_volunteer, _no_volunteer_items),
}


# --------------------------------------------------------------------------- the API


def kind(
    agency_id: int,
    name: str,
    on: date,
    *,
    stale_days: int = PROPOSAL_STALE_DAYS,
    limit: int = DASHBOARD_ITEMS,
    offset: int = 0,
    with_items: bool = True,
) -> Kind:
    """One kind of the work queue for one agency: its count and `limit` items from `offset`.

    :raises KeyError: an unknown kind (the caller checks names against `KINDS`).
    """
    build, items = _QUERIES[name]
    run = latest_run(agency_id) if name == "no_volunteer" else None
    stmt = build(agency_id, on, stale_days, run)
    count = _count(stmt)
    found: list[Item] = []
    if with_items and count > offset:
        found = items(list(db.session.execute(stmt.limit(limit).offset(offset)).unique().all()), on)
    return Kind(name, count, found, run.finished_at if run is not None else None)


def today_list(agency_id: int, on: date, *, stale_days: int = PROPOSAL_STALE_DAYS) -> list[Kind]:
    """Every kind for the dashboard: counts and the first `DASHBOARD_ITEMS` of each."""
    return [kind(agency_id, name, on, stale_days=stale_days) for name in KINDS]


def counts(agency_id: int, on: date, *, stale_days: int = PROPOSAL_STALE_DAYS) -> dict[str, int]:
    """How many items of each kind (the weekly digest): counts only, no names."""
    return {
        name: kind(agency_id, name, on, stale_days=stale_days, with_items=False).count
        for name in KINDS
    }


def checkin_states(match_ids: list[int], on: date) -> dict[int, str]:
    """For the Patenschaften list: "overdue" for those of these with an overdue check-in
    (the lights themselves come from `views.latest_lights`)."""
    if not match_ids:
        return {}
    rows = db.session.scalars(
        select(CheckIn.match_id)
        .join(Match, CheckIn.match_id == Match.id)
        .where(
            CheckIn.match_id.in_(match_ids),
            CheckIn.done_at.is_(None),
            CheckIn.due_on < on,
            Match.status.in_(checkins.RUNNING),
        )
    ).all()
    return dict.fromkeys(rows, "overdue")
