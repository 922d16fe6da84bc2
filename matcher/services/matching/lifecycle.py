"""The Patenschaft lifecycle: proposed → approved → active ⇄ paused → ended (or rejected).

Each step goes through `matcher.domain.transitions.apply`, which compares the version the
coordinator's form carried (a stale form gets a `Conflict`, never a lost update), writes
the history and the audit entry and runs the side effects (a newcomer waits again when a
Patenschaft ends before she got what she came for).

Approval first re-checks, against the current data, that both people can be matched
(`matcher.domain.eligibility`), that the volunteer has a free place, and that the pair
meets every hard rule (the engine, on the pair alone) — with the volunteer and newcomer
rows locked (`SELECT … FOR UPDATE` on PostgreSQL, the single write lock on SQLite): of
two coordinators approving conflicting proposals at once, the second waits, then sees the
first one's approval and gets a conflict.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select, text, update
from sqlalchemy.orm.exc import ObjectDeletedError

from matcher.domain import audit, transitions
from matcher.domain.errors import Conflict, NotFound, Refused
from matcher.extensions import db
from matcher.models import Agency, Match, MatchEvent, Newcomer, User, Volunteer
from matcher.services.matching import mails, run
from matcher.services.platform import notices


@dataclass(frozen=True)
class Approval:
    """A proposal to approve, and the version of it the coordinator saw."""

    match_id: int
    version: int


def get(match_id: int) -> Match:
    """A Patenschaft (or proposal) of the agency in scope.

    :raises NotFound: when there is none with this id in scope.
    """
    match = db.session.get(Match, match_id)
    if match is None:
        raise NotFound("not_found")
    return match


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


def _fresh(obj: Volunteer | Newcomer | Match) -> None:
    """Forget what the session holds of a row, so the next read sees what is committed."""
    db.session.expire(obj)


def check_volunteer(volunteer: Volunteer) -> None:
    """Refuse when the volunteer cannot take a Patenschaft (the domain's rule, with why)."""
    refusal = volunteer.refusal()
    if refusal is not None:
        raise Refused(refusal, **volunteer.refusal_params())
    if volunteer.places_taken >= volunteer.capacity:
        raise Conflict("capacity", capacity=volunteer.capacity)


def check_newcomer(newcomer: Newcomer) -> None:
    """Refuse when the newcomer is not waiting for a match (the domain's rule, with why)."""
    refusal = newcomer.refusal()
    if refusal is not None:
        raise Refused(refusal)


def approve(items: Sequence[Approval], actor: User, *, on: date) -> list[Match]:
    """Approve one or several proposals in one transaction: all of them, or none."""
    matches = [get(item.match_id) for item in items]
    if not matches:
        return []
    agency = db.session.get(Agency, matches[0].agency_id)
    assert agency is not None
    lock_people([m.volunteer_id for m in matches], [m.newcomer_id for m in matches])
    approved = []
    for match, item in zip(matches, items):
        _fresh(match)
        if match.agency_id != agency.id:
            raise NotFound("not_found")
        if match.version != item.version:
            raise Conflict("stale", entity="match")
        if match.status != "proposed":
            raise Refused("wrong_status", entity="match", status=match.status)
        _approve_one(match, item, agency, actor, on)
        approved.append(match)
    return approved


@dataclass(frozen=True)
class BulkOutcome:
    """What a bulk approval did: the approved proposals, and the ids of those it skipped
    because someone changed them after the coordinator loaded the page."""

    approved: list[Match]
    changed: list[int]


def approve_bulk(items: Sequence[Approval], actor: User, *, on: date) -> BulkOutcome:
    """Approve the proposals a coordinator ticked on a page, skipping those changed since.

    A proposal another coordinator approved, rejected, gave another volunteer or a re-run
    replaced (its version or status differs, or it is gone) is skipped and reported, so a
    second click on the same page, or two coordinators on the same page, approve each
    proposal once. Any other refusal (a volunteer paused meanwhile, no place left, a rule
    the pair breaks now) refuses the whole batch, as `approve` does: nothing half-done.
    """
    found: list[tuple[Match, Approval]] = []
    changed: list[int] = []
    for item in items:
        # Another agency's id is "gone" too: the scope finds nothing, and says nothing.
        match = db.session.get(Match, item.match_id)
        if match is None or match.version != item.version or match.status != "proposed":
            changed.append(item.match_id)
        else:
            found.append((match, item))
    if not found:
        return BulkOutcome([], changed)
    agency = db.session.get(Agency, found[0][0].agency_id)
    assert agency is not None
    lock_people([m.volunteer_id for m, _ in found], [m.newcomer_id for m, _ in found])
    approved = []
    for match, item in found:
        # Read again under the lock: a coordinator who approved it a moment ago has
        # committed by now (the lock waited for them).
        _fresh(match)
        try:
            gone = match.version != item.version or match.status != "proposed"
        except ObjectDeletedError:  # a re-run replaced it while we waited for the lock
            gone = True
        if gone:
            changed.append(item.match_id)
            continue
        _approve_one(match, item, agency, actor, on)
        approved.append(match)
    return BulkOutcome(approved, changed)


def _approve_one(match: Match, item: Approval, agency: Agency, actor: User, on: date) -> None:
    """Re-check both people and the pair against today's data, then approve (and mail)."""
    volunteer, newcomer = match.volunteer, match.newcomer
    _fresh(volunteer)
    _fresh(newcomer)
    check_volunteer(volunteer)
    check_newcomer(newcomer)
    pair = run.check_pair(agency, volunteer, newcomer, on)
    transitions.apply(
        match,
        "approve",
        actor=actor,
        on=on,
        version=item.version,
        values={
            "score": float(pair["score"]),
            "components": dict(pair.get("components", {})),
            "reasons": list(pair.get("reason_codes", [])),
        },
    )
    mails.approved(match, volunteer, newcomer, actor)


def reject(match: Match, version: int, reason: str, actor: User, *, on: date) -> None:
    """Reject a proposal with a reason; the pair is never proposed again."""
    transitions.apply(match, "reject", actor=actor, on=on, version=version, note=reason)


def pick_alternative(
    match: Match, version: int, volunteer: Volunteer, actor: User, *, on: date
) -> None:
    """Give a proposal's newcomer another volunteer (still a proposal, kept by later runs)."""
    if match.status != "proposed":
        raise Refused("wrong_status", entity="match", status=match.status)
    if match.version != version:
        raise Conflict("stale", entity="match")
    lock_people([volunteer.id, match.volunteer_id], [match.newcomer_id])
    _fresh(volunteer)
    check_volunteer(volunteer)
    agency = db.session.get(Agency, match.agency_id)
    assert agency is not None
    pair = run.check_pair(agency, volunteer, match.newcomer, on)
    previous = match.volunteer_id
    changed = db.session.execute(
        update(Match)
        .where(Match.id == match.id, Match.version == version, Match.status == "proposed")
        .values(
            volunteer_id=volunteer.id,
            picked_by_id=actor.id,
            score=float(pair["score"]),
            components=dict(pair.get("components", {})),
            reasons=list(pair.get("reason_codes", [])),
            version=Match.version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("stale", entity="match")
    db.session.refresh(match)
    db.session.add(
        MatchEvent(
            match_id=match.id,
            from_status="proposed",
            to_status="proposed",
            actor_id=actor.id,
            note=f"volunteer {previous} → {volunteer.id}",
        )
    )
    audit.about("match.alternative", match, actor)


def activate(match: Match, version: int, actor: User, *, on: date) -> None:
    """The introduction took place: the Patenschaft starts its trial phase."""
    agency = db.session.get(Agency, match.agency_id)
    assert agency is not None
    trial_until = on + timedelta(weeks=agency.trial_weeks)
    transitions.apply(
        match, "activate", actor=actor, on=on, version=version, values={"trial_until": trial_until}
    )


def pause(match: Match, version: int, actor: User, *, on: date, note: str = "") -> None:
    """Pause an active Patenschaft (holiday, illness)."""
    transitions.apply(match, "pause", actor=actor, on=on, version=version, note=note)


def resume(match: Match, version: int, actor: User, *, on: date, note: str = "") -> None:
    """Resume a paused Patenschaft."""
    transitions.apply(match, "resume", actor=actor, on=on, version=version, note=note)


def end(
    match: Match, version: int, reason: str, actor: User, *, on: date, note: str = ""
) -> transitions.Outcome:
    """End an approved, active or paused Patenschaft with a reason."""
    outcome = transitions.apply(
        match, "end", actor=actor, on=on, version=version, reason=reason, note=note
    )
    notices.send(outcome.notices)
    return outcome


def acknowledge(match: Match, actor: User) -> None:
    """The coordinator has seen what the Patenschaft's flag said: clear it (audited)."""
    match.attention = None
    match.attention_since = None
    audit.about("match.acknowledge", match, actor)
