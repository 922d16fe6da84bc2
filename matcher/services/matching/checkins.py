"""Check-ins: scheduled at the end of the trial, then every `agency.checkin_interval_weeks`.

A check-in is recorded once, with a traffic light and a short note; recording it
schedules the next one while the Patenschaft runs. Reminders go to the volunteer once
per check-in, through the outbox.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from matcher.extensions import db
from matcher.models import Agency, CheckIn, Match, User, Volunteer, utcnow
from matcher.models.vocab import CHECKIN_LIGHTS
from matcher.services.matching import mails as match_mail
from matcher.services.matching.lifecycle import LifecycleError, StaleError
from matcher.services.platform import audit

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


def record(checkin_id: int, light: str, note: str, actor: User | None,
           on: date | None = None) -> CheckIn:  # fmt: skip
    """Record a check-in once; schedule the next while the Patenschaft runs."""
    if light not in CHECKIN_LIGHTS:
        raise LifecycleError("bad_light")
    checkin = db.get_or_404(CheckIn, checkin_id)
    match = db.get_or_404(Match, checkin.match_id)
    if match.status not in RUNNING:
        raise StaleError("wrong_status", match.id, status=match.status)
    on = on or utcnow().date()
    # A conditional UPDATE: of two coordinators recording the same check-in, one wins.
    done = db.session.execute(
        update(CheckIn)
        .where(CheckIn.id == checkin.id, CheckIn.done_at.is_(None))
        .values(
            done_at=utcnow(),
            done_by_id=actor.id if actor else None,
            light=light,
            note=note.strip()[:2000],
        )  # fmt: skip
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        raise StaleError("checkin_done", match.id)
    agency = db.session.get(Agency, match.agency_id)
    assert agency is not None
    db.session.add(
        CheckIn(
            agency_id=match.agency_id,
            match_id=match.id,
            due_on=on + timedelta(weeks=agency.checkin_interval_weeks),
        )
    )
    audit.record(
        "checkin.record", object_type="checkin", object_id=checkin.id,
        agency_id=match.agency_id, actor=actor,
    )  # fmt: skip
    db.session.commit()
    db.session.refresh(checkin)
    return checkin


def pending(until: date | None = None) -> list[DueCheckIn]:
    """Pending check-ins of running Patenschaften, due by `until` (all when None), oldest first."""
    today = utcnow().date()
    stmt = (
        select(CheckIn, Match)
        .join(Match, CheckIn.match_id == Match.id)
        .where(CheckIn.done_at.is_(None), Match.status.in_(RUNNING))
        .options(joinedload(Match.volunteer), joinedload(Match.newcomer))
        .order_by(CheckIn.due_on, CheckIn.id)
    )
    if until is not None:
        stmt = stmt.where(CheckIn.due_on <= until)
    return [DueCheckIn(c, m, (today - c.due_on).days) for c, m in db.session.execute(stmt).unique()]


def overdue() -> list[DueCheckIn]:
    """Check-ins whose date has passed without being recorded."""
    yesterday = utcnow().date() - timedelta(days=1)
    return pending(until=yesterday)


def for_match(match_id: int) -> list[CheckIn]:
    """A match's check-ins, latest due first."""
    return list(
        db.session.scalars(
            select(CheckIn)
            .where(CheckIn.match_id == match_id)
            .order_by(CheckIn.due_on.desc(), CheckIn.id.desc())
        )
    )


def view(checkin_id: int) -> tuple[CheckIn, Match]:
    """A check-in and its match, or 404."""
    checkin = db.get_or_404(CheckIn, checkin_id)
    return checkin, db.get_or_404(Match, checkin.match_id)


def remind(on: date | None = None) -> int:
    """Queue one reminder per check-in due soon or overdue; return how many were queued."""
    on = on or utcnow().date()
    stmt = (
        select(CheckIn.id, Match.id, Volunteer.id)
        .join(Match, CheckIn.match_id == Match.id)
        .join(Volunteer, Match.volunteer_id == Volunteer.id)
        .where(
            CheckIn.done_at.is_(None),
            CheckIn.reminded_at.is_(None),
            CheckIn.due_on <= on + timedelta(days=REMIND_DAYS_AHEAD),
            Match.status.in_(RUNNING),
            Volunteer.anonymised_at.is_(None),
        )
        .order_by(CheckIn.id)
    )
    queued = 0
    for checkin_id, match_id, _ in db.session.execute(stmt).all():
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
        match_mail.checkin_reminder(match, checkin)
        audit.record(
            "checkin.remind", object_type="checkin", object_id=checkin_id,
            agency_id=match.agency_id,
        )  # fmt: skip
        queued += 1
    db.session.commit()
    return queued
