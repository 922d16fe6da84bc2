"""The Patenschaft lifecycle: proposed → approved → active ⇄ paused → ended (or rejected).

Every step is one transaction that re-reads the match, compares the version the
coordinator saw (optimistic locking: a stale form gets `StaleError`, never a lost
update), writes a `MatchEvent` and an audit entry, and commits.

Approval also re-checks the hard rules and the volunteer's capacity against the current
data, with the volunteer and newcomer rows locked (`SELECT … FOR UPDATE` on PostgreSQL,
the single write lock on SQLite): of two coordinators approving conflicting proposals at
once, the second waits, then sees the first one's approval and gets a conflict.

The newcomer's status follows the Patenschaft: waiting → matched on approval. When a
Patenschaft ends, a newcomer whose goal was reached, or who moved away, is closed; for
every other reason (it ended before the newcomer got what they came for) they wait again
and keep their original `waiting_since`, so they do not lose their place in the queue.
"""

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from matcher.extensions import db
from matcher.models import Agency, CheckIn, Match, MatchEvent, Newcomer, User, Volunteer, utcnow
from matcher.models.vocab import END_REASONS
from matcher.services.matching import mails as match_mail
from matcher.services.matching import problem as match_problem
from matcher.services.matching import run as matching
from matcher.services.platform import audit

#: End reasons after which the newcomer does not wait for another volunteer.
CLOSING_END_REASONS = ("goal_reached", "moved_away")


class LifecycleError(Exception):
    """A step the current data does not allow; `code` and `params` say why."""

    status_code = 400

    def __init__(self, code: str, match_id: int | None = None, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.match_id = match_id
        self.params = params


class StaleError(LifecycleError):
    """Someone else changed the match since the form was loaded: reload and try again."""

    status_code = 409


class ConflictError(LifecycleError):
    """A concurrent change took what this step needed (capacity, the newcomer)."""

    status_code = 409


def _get(match_id: int) -> Match:
    return db.get_or_404(Match, match_id)


def _reload(match: Match) -> Match:
    """Re-read a match after the locks are held: the identity map may hold older values."""
    fresh = db.session.scalars(
        select(Match).where(Match.id == match.id).execution_options(populate_existing=True)
    ).one()
    return fresh


def lock_people(volunteer_ids: Sequence[int], newcomer_ids: Sequence[int]) -> None:
    """Lock volunteer and newcomer rows until commit, always in id order (no deadlocks)."""
    v_ids, n_ids = sorted(set(volunteer_ids)), sorted(set(newcomer_ids))
    if db.session.get_bind().dialect.name == "sqlite":
        # SQLite has no row locks: the first write takes the database's one write lock, and
        # every later read of this transaction sees what the previous writer committed.
        db.session.execute(
            text("UPDATE volunteers SET capacity = capacity WHERE id = :id"),
            [{"id": i} for i in v_ids],
        )
        return
    db.session.execute(
        select(Volunteer.id).where(Volunteer.id.in_(v_ids)).order_by(Volunteer.id).with_for_update()
    )
    db.session.execute(
        select(Newcomer.id).where(Newcomer.id.in_(n_ids)).order_by(Newcomer.id).with_for_update()
    )


def _refresh_people(match: Match) -> tuple[Volunteer, Newcomer]:
    volunteer = db.session.scalars(
        select(Volunteer)
        .where(Volunteer.id == match.volunteer_id)
        .execution_options(populate_existing=True)
    ).one()
    newcomer = db.session.scalars(
        select(Newcomer)
        .where(Newcomer.id == match.newcomer_id)
        .execution_options(populate_existing=True)
    ).one()
    return volunteer, newcomer


def _check_version(match: Match, version: int) -> None:
    if match.version != version:
        raise StaleError("stale", match.id)


def _check_status(match: Match, *allowed: str) -> None:
    if match.status not in allowed:
        raise StaleError("wrong_status", match.id, status=match.status)


def _event(match: Match, before: str | None, actor: User | None, note: str = "") -> None:
    db.session.add(
        MatchEvent(
            match_id=match.id,
            from_status=before,
            to_status=match.status,
            actor_id=_actor_id(actor),
            note=note,
        )
    )


def _audit(action: str, match: Match, actor: User | None) -> None:
    audit.record(
        action, object_type="match", object_id=match.id, agency_id=match.agency_id, actor=actor
    )


def _commit() -> None:
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise StaleError("stale") from None
    except IntegrityError:
        db.session.rollback()
        raise ConflictError("conflict") from None


def _volunteer_problem(volunteer: Volunteer) -> str | None:
    if volunteer.anonymised_at is not None or volunteer.status != "active":
        return "volunteer_not_active"
    if volunteer.email_confirmed_at is None:
        return "volunteer_not_confirmed"
    if not match_problem.has_consent(volunteer_id=volunteer.id):
        return "volunteer_no_consent"
    return None


def _newcomer_problem(newcomer: Newcomer) -> str | None:
    if newcomer.anonymised_at is not None or newcomer.status != "waiting":
        return "newcomer_not_waiting"
    if not match_problem.has_consent(newcomer_id=newcomer.id):
        return "newcomer_no_consent"
    return None


def _actor_id(actor: User | None) -> int | None:
    """The actor's id, read before any change: reading it later may reload the user and
    autoflush half a change (two UPDATEs, two versions)."""
    return actor.id if actor is not None else None


def _approve_locked(match: Match, version: int, actor: User | None, agency: Agency) -> None:
    actor_id = _actor_id(actor)
    match = _reload(match)
    _check_version(match, version)
    _check_status(match, "proposed")
    volunteer, newcomer = _refresh_people(match)
    for problem in (_volunteer_problem(volunteer), _newcomer_problem(newcomer)):
        if problem:
            raise LifecycleError(problem, match.id)
    decided = db.session.scalar(
        select(func.count()).where(
            Match.volunteer_id == volunteer.id,
            Match.status.in_(match_problem.DECIDED_STATUSES),
        )
    )
    if (decided or 0) >= volunteer.capacity:
        raise ConflictError("capacity", match.id, capacity=volunteer.capacity)
    pair, unmatched = matching.check_pair(agency, volunteer, newcomer.id)
    if pair is None:
        raise LifecycleError("infeasible", match.id, unmatched=unmatched or {})
    before = match.status
    match.status = "approved"
    match.approved_at = utcnow()
    match.approved_by_id = actor_id
    match.score = float(pair["score"])
    match.components = dict(pair.get("components", {}))
    match.reasons = matching.structured_reasons(pair)
    newcomer.status = "matched"
    _event(match, before, actor)
    _audit("match.approve", match, actor)
    match_mail.approved(match, volunteer, newcomer, actor)
    db.session.flush()


def approve(match_id: int, version: int, actor: User | None) -> Match:
    """Approve one proposal after re-checking the hard rules and capacity."""
    return approve_many([(match_id, version)], actor)[0]


def approve_many(items: Sequence[tuple[int, int]], actor: User | None) -> list[Match]:
    """Approve several proposals in one transaction: all of them, or none."""
    matches = [_get(match_id) for match_id, _ in items]
    if not matches:
        return []
    agency = db.session.get(Agency, matches[0].agency_id)
    assert agency is not None
    try:
        lock_people([m.volunteer_id for m in matches], [m.newcomer_id for m in matches])
        for match, (_, version) in zip(matches, items):
            if match.agency_id != agency.id:
                raise LifecycleError("wrong_status", match.id, status="other agency")
            _approve_locked(match, version, actor, agency)
    except StaleDataError:
        # An autoflush found the row changed under us (the version check in the UPDATE).
        db.session.rollback()
        raise StaleError("stale") from None
    except Exception:
        db.session.rollback()
        raise
    _commit()
    return matches


def reject(match_id: int, version: int, reason: str, actor: User | None) -> Match:
    """Reject a proposal with a reason; the pair is never proposed again."""
    actor_id = _actor_id(actor)
    match = _get(match_id)
    _check_version(match, version)
    _check_status(match, "proposed")
    match.status = "rejected"
    match.rejected_at = utcnow()
    match.rejected_by_id = actor_id
    match.reject_reason = reason.strip()[:500]
    _event(match, "proposed", actor, match.reject_reason)
    _audit("match.reject", match, actor)
    _commit()
    return match


def pick_alternative(match_id: int, version: int, volunteer_id: int, actor: User | None) -> Match:
    """Give a proposal's newcomer another volunteer from the candidates (still a proposal)."""
    match = _get(match_id)
    _check_version(match, version)
    _check_status(match, "proposed")
    volunteer = db.get_or_404(Volunteer, volunteer_id)
    agency = db.session.get(Agency, match.agency_id)
    assert agency is not None
    problem = _volunteer_problem(volunteer)
    if problem:
        raise LifecycleError(problem, match.id)
    decided = match_problem.open_counts(agency.id).get(volunteer.id, 0)
    if decided >= volunteer.capacity:
        raise ConflictError("capacity", match.id, capacity=volunteer.capacity)
    pair, unmatched = matching.check_pair(agency, volunteer, match.newcomer_id)
    if pair is None:
        raise LifecycleError("infeasible", match.id, unmatched=unmatched or {})
    previous = match.volunteer_id
    match.volunteer_id = volunteer.id
    match.score = float(pair["score"])
    match.components = dict(pair.get("components", {}))
    match.reasons = matching.structured_reasons(pair)
    _event(match, "proposed", actor, f"volunteer {previous} → {volunteer.id}")
    _audit("match.alternative", match, actor)
    _commit()
    return match


def activate(match_id: int, version: int, actor: User | None, on: date | None = None) -> Match:
    """The introduction took place: the Patenschaft starts its trial phase."""
    match = _get(match_id)
    _check_version(match, version)
    _check_status(match, "approved")
    agency = db.session.get(Agency, match.agency_id)
    assert agency is not None
    on = on or matching.today()
    actor_id = _actor_id(actor)
    match.status = "active"
    match.started_at = utcnow()
    match.started_by_id = actor_id
    match.trial_until = on + timedelta(weeks=agency.trial_weeks)
    # The first check-in is at the end of the trial; each recorded one schedules the next.
    db.session.add(CheckIn(agency_id=match.agency_id, match_id=match.id, due_on=match.trial_until))
    _event(match, "approved", actor)
    _audit("match.activate", match, actor)
    _commit()
    return match


def pause(match_id: int, version: int, actor: User | None, note: str = "") -> Match:
    """Pause an active Patenschaft (holiday, illness)."""
    return _move(match_id, version, actor, ("active",), "paused", "match.pause", note)


def resume(match_id: int, version: int, actor: User | None, note: str = "") -> Match:
    """Resume a paused Patenschaft."""
    return _move(match_id, version, actor, ("paused",), "active", "match.resume", note)


def _move(
    match_id: int,
    version: int,
    actor: User | None,
    allowed: tuple[str, ...],
    to: str,
    action: str,
    note: str,
) -> Match:
    match = _get(match_id)
    _check_version(match, version)
    _check_status(match, *allowed)
    before = match.status
    match.status = to
    _event(match, before, actor, note.strip()[:1000])
    _audit(action, match, actor)
    _commit()
    return match


def end(match_id: int, version: int, reason: str, actor: User | None, note: str = "") -> Match:
    """End an approved, active or paused Patenschaft with a reason."""
    if reason not in END_REASONS:
        raise LifecycleError("bad_reason", match_id)
    match = _get(match_id)
    _check_version(match, version)
    _check_status(match, "approved", "active", "paused")
    before = match.status
    actor_id = _actor_id(actor)
    match.status = "ended"
    match.end_reason = reason
    match.ended_at = utcnow()
    match.ended_by_id = actor_id
    # Check-ins that were still to come will not happen.
    for checkin in db.session.scalars(
        select(CheckIn).where(CheckIn.match_id == match.id, CheckIn.done_at.is_(None))
    ):
        db.session.delete(checkin)
    newcomer = db.session.get(Newcomer, match.newcomer_id)
    if newcomer is not None and newcomer.status == "matched":
        newcomer.status = "closed" if reason in CLOSING_END_REASONS else "waiting"
    _event(match, before, actor, note.strip()[:1000])
    _audit("match.end", match, actor)
    _commit()
    return match
