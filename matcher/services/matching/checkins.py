"""Check-ins: scheduled at the end of the trial, then every `agency.checkin_interval_weeks`.

A check-in is recorded once, with the day the conversation took place, a traffic light
and a short note; recording it schedules the next one, counted from that day, while the
Patenschaft runs. Reminders go to the volunteer once per check-in, through the outbox —
never to a volunteer who withdrew their consent to matching.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from matcher.domain import audit
from matcher.domain.errors import Conflict, Invalid, Refused
from matcher.domain.vocab import CHECKIN_LIGHTS
from matcher.extensions import db
from matcher.models import Agency, CheckIn, Match, User, Volunteer, utcnow
from matcher.services.matching import mails

#: Statuses in which a Patenschaft gets check-ins.
RUNNING = ("active", "paused")
#: Reminders go out this many days before a check-in is due (and for overdue ones).
REMIND_DAYS_AHEAD = 3


@dataclass(frozen=True)
class DueCheckIn:
    """A pending check-in with its match, for lists."""

    checkin: CheckIn
    match: Match
    days_overdue: int


def match_of(checkin: CheckIn) -> Match:
    """The Patenschaft a check-in belongs to."""
    match = db.session.get(Match, checkin.match_id)
    assert match is not None
    return match


def view(checkin: CheckIn, actor: User) -> None:
    """Record that a coordinator opened a check-in (it shows both people)."""
    audit.about("checkin.view", checkin, actor)


def record(
    checkin: CheckIn, light: str, note: str, held_on: date, actor: User, *, on: date
) -> None:
    """Record a check-in once; schedule the next, from the day it was held, while the
    Patenschaft runs."""
    if light not in CHECKIN_LIGHTS:
        raise Invalid("bad_light")
    if held_on > on:
        raise Invalid("checkin_in_future")
    match = match_of(checkin)
    if match.status not in RUNNING:
        raise Refused("wrong_status", entity="match", status=match.status)
    # A conditional UPDATE: of two coordinators recording the same check-in, one wins.
    done = db.session.execute(
        update(CheckIn)
        .where(CheckIn.id == checkin.id, CheckIn.done_at.is_(None))
        .values(
            done_at=utcnow(),
            done_by_id=actor.id,
            held_on=held_on,
            light=light,
            note=note.strip()[:2000],
        )
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("checkin_done")
    db.session.refresh(checkin)
    agency = db.session.get(Agency, match.agency_id)
    assert agency is not None
    db.session.add(
        CheckIn(
            agency_id=match.agency_id,
            match_id=match.id,
            due_on=held_on + timedelta(weeks=agency.checkin_interval_weeks),
        )
    )
    audit.about("checkin.record", checkin, actor)


def pending(on: date, until: date | None = None) -> list[DueCheckIn]:
    """Pending check-ins of running Patenschaften, due by `until` (all when None), oldest first."""
    stmt = (
        select(CheckIn, Match)
        .join(Match, CheckIn.match_id == Match.id)
        .where(CheckIn.done_at.is_(None), Match.status.in_(RUNNING))
        .options(joinedload(Match.volunteer), joinedload(Match.newcomer))
        .order_by(CheckIn.due_on, CheckIn.id)
    )
    if until is not None:
        stmt = stmt.where(CheckIn.due_on <= until)
    return [DueCheckIn(c, m, (on - c.due_on).days) for c, m in db.session.execute(stmt).unique()]


def overdue(on: date) -> list[DueCheckIn]:
    """Check-ins whose date has passed without being recorded."""
    return pending(on, until=on - timedelta(days=1))


def for_match(match: Match) -> list[CheckIn]:
    """A match's check-ins, latest due first."""
    return list(
        db.session.scalars(
            select(CheckIn)
            .where(CheckIn.match_id == match.id)
            .order_by(CheckIn.due_on.desc(), CheckIn.id.desc())
        )
    )


def remind(on: date) -> int:
    """Queue one reminder per check-in due soon or overdue; return how many were queued."""
    stmt = (
        select(CheckIn.id, Match.id)
        .join(Match, CheckIn.match_id == Match.id)
        .join(Volunteer, Match.volunteer_id == Volunteer.id)
        .where(
            CheckIn.done_at.is_(None),
            CheckIn.reminded_at.is_(None),
            CheckIn.due_on <= on + timedelta(days=REMIND_DAYS_AHEAD),
            Match.status.in_(RUNNING),
            Volunteer.anonymised_at.is_(None),
            Volunteer.consents_to("matching"),
        )
        .order_by(CheckIn.id)
    )
    queued = 0
    for checkin_id, match_id in db.session.execute(stmt).all():
        claimed = db.session.execute(
            update(CheckIn)
            .where(CheckIn.id == checkin_id, CheckIn.reminded_at.is_(None))
            .values(reminded_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue  # another worker reminded it just now
        checkin = db.session.get(CheckIn, checkin_id)
        match = db.session.get(Match, match_id)
        assert checkin is not None and match is not None
        mails.checkin_reminder(match, checkin)
        audit.about("checkin.remind", checkin, None)
        queued += 1
    return queued
