"""A coordinator's rules about single pairs: pin a pair, or forbid it for good (issue 13).

A rule is a `PairRule` row; every later run keeps it (`problem.build` reads the rules):

- **pin**: the pair is the newcomer's proposal at once (a proposal picked by hand, so
  later runs keep it) and goes to the engine as pinned from then on — whatever the hard
  rules say, a person decided it. Pinning respects the volunteer's free places and the
  one open match per newcomer: a newcomer approved with someone else is a conflict.
- **forbid**: the pair's open proposal goes, and the engine never proposes it again.

Undoing a rule deletes it (audited, like setting it); an undone pin leaves its proposal as
an ordinary one that the next run may replace.
"""

from datetime import date

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import selectinload

from matcher.domain import audit
from matcher.domain.errors import Conflict, Invalid, Refused
from matcher.domain.vocab import DECIDED_MATCH_STATUSES
from matcher.engine import solve
from matcher.extensions import db
from matcher.models import Agency, Match, MatchEvent, Newcomer, PairRule, User, Volunteer, utcnow
from matcher.services.matching import lifecycle, problem

#: Longest reason a coordinator may give.
REASON_MAX_LENGTH = 500


def rules(agency_id: int) -> list[PairRule]:
    """Every pair rule of the agency, newest first, with both people loaded."""
    return list(
        db.session.scalars(
            select(PairRule)
            .where(PairRule.agency_id == agency_id)
            .options(selectinload(PairRule.volunteer), selectinload(PairRule.newcomer))
            .order_by(PairRule.created_at.desc(), PairRule.id.desc())
        )
    )


def of_newcomer(newcomer: Newcomer) -> list[PairRule]:
    """The rules about one newcomer's pairs, newest first."""
    return list(
        db.session.scalars(
            select(PairRule)
            .where(PairRule.agency_id == newcomer.agency_id, PairRule.newcomer_id == newcomer.id)
            .options(selectinload(PairRule.volunteer))
            .order_by(PairRule.id.desc())
        )
    )


def open_proposal(newcomer: Newcomer) -> Match | None:
    """The newcomer's open proposal, if she has one."""
    return db.session.scalar(
        select(Match).where(
            Match.agency_id == newcomer.agency_id,
            Match.newcomer_id == newcomer.id,
            Match.status == "proposed",
        )
    )


def rule_of(volunteer_id: int, newcomer_id: int) -> PairRule | None:
    """The rule about this pair, if any."""
    return db.session.scalar(
        select(PairRule).where(
            PairRule.volunteer_id == volunteer_id, PairRule.newcomer_id == newcomer_id
        )
    )


def _reason(reason: str, required: bool) -> str:
    text = (reason or "").strip()
    if required and not text:
        raise Invalid("pair_rule_reason_missing")
    if len(text) > REASON_MAX_LENGTH:
        raise Invalid("pair_rule_reason_too_long", limit=REASON_MAX_LENGTH)
    return text


def _open_matches(newcomer_id: int) -> list[Match]:
    return list(
        db.session.scalars(
            select(Match).where(
                Match.newcomer_id == newcomer_id,
                Match.status.in_((*DECIDED_MATCH_STATUSES, "proposed")),
            )
        )
    )


def _places_held(volunteer: Volunteer, newcomer_id: int) -> int:
    """The volunteer's places taken by decided Patenschaften, by proposals picked by hand and
    by pins of other newcomers."""
    picked = db.session.scalar(
        select(func.count(Match.id)).where(
            Match.volunteer_id == volunteer.id,
            Match.status == "proposed",
            Match.picked_by_id.is_not(None),
            Match.newcomer_id != newcomer_id,
        )
    )
    # Pins whose proposal is gone (a run recreates it) hold a place too.
    pins = db.session.scalar(
        select(func.count(PairRule.id)).where(
            PairRule.volunteer_id == volunteer.id,
            PairRule.kind == "pin",
            PairRule.newcomer_id != newcomer_id,
            ~select(Match.id)
            .where(
                Match.volunteer_id == PairRule.volunteer_id,
                Match.newcomer_id == PairRule.newcomer_id,
                Match.status.in_((*DECIDED_MATCH_STATUSES, "proposed")),
            )
            .exists(),
        )
    )
    return int(volunteer.places_taken) + int(picked or 0) + int(pins or 0)


def _pinned_pair(volunteer: Volunteer, newcomer: Newcomer, on: date) -> dict[str, object]:
    """The engine's view of the pair, pinned: its score, components and reasons."""
    agency = db.session.get(Agency, newcomer.agency_id)
    assert agency is not None
    document = problem.pair_document(agency, volunteer, newcomer, on, pinned=True)
    (pair,) = solve(document, with_codes=True)["pairs"]
    return {
        "score": float(pair["score"]),
        "components": dict(pair.get("components", {})),
        "reasons": list(pair.get("reason_codes", [])),
    }


def pin(
    volunteer: Volunteer, newcomer: Newcomer, reason: str, actor: User, *, on: date
) -> PairRule:
    """Pin the pair: it becomes the newcomer's proposal now and in every later run.

    :raises Conflict: the newcomer is approved with someone else, pinned to someone else,
        or the pair is forbidden; or the volunteer has no free place.
    :raises Refused: either person cannot be matched now, or the newcomer needs a
        certificate of good conduct that the volunteer does not have.
    """
    text = _reason(reason, required=False)
    lifecycle.lock_people([volunteer.id], [newcomer.id])
    db.session.expire(volunteer)
    db.session.expire(newcomer)
    existing = rule_of(volunteer.id, newcomer.id)
    if existing is not None and existing.kind == "pin":
        return existing
    if existing is not None:
        raise Conflict("pair_forbidden")
    other = db.session.scalar(
        select(PairRule).where(PairRule.newcomer_id == newcomer.id, PairRule.kind == "pin")
    )
    if other is not None:
        raise Conflict("pinned_elsewhere", name=other.volunteer.full_name)
    matches = _open_matches(newcomer.id)
    decided = [m for m in matches if m.status in DECIDED_MATCH_STATUSES]
    if decided:
        raise Conflict("newcomer_matched", name=decided[0].volunteer.full_name)
    if problem.is_ruled_out(volunteer, newcomer):
        raise Refused("pair_ruled_out")
    lifecycle.check_newcomer(newcomer)
    refusal = volunteer.refusal()
    if refusal is not None:
        raise Refused(refusal)
    if _places_held(volunteer, newcomer.id) >= volunteer.capacity:
        raise Conflict("capacity", capacity=volunteer.capacity)
    if newcomer.needs_certificate and not volunteer.certificate_valid_on(on):
        raise Refused("pin_needs_certificate")
    values = _pinned_pair(volunteer, newcomer, on)
    proposal = next((m for m in matches if m.status == "proposed"), None)
    now = utcnow()
    if proposal is None:
        proposal = Match(
            agency_id=newcomer.agency_id,
            volunteer_id=volunteer.id,
            newcomer_id=newcomer.id,
            status="proposed",
            picked_by_id=actor.id,
            proposed_at=now,
            **values,
        )
        db.session.add(proposal)
        db.session.flush()
        note = "pinned"
    else:
        previous = proposal.volunteer_id
        db.session.execute(
            update(Match)
            .where(Match.id == proposal.id)
            .values(
                volunteer_id=volunteer.id,
                picked_by_id=actor.id,
                version=Match.version + 1,
                **values,
            )
            .execution_options(synchronize_session=False)
        )
        db.session.refresh(proposal)
        note = f"pinned: volunteer {previous} → {volunteer.id}"
    db.session.add(
        MatchEvent(
            match_id=proposal.id,
            from_status=None if note == "pinned" else "proposed",
            to_status="proposed",
            actor_id=actor.id,
            note=note,
        )
    )
    rule = PairRule(
        agency_id=newcomer.agency_id,
        volunteer_id=volunteer.id,
        newcomer_id=newcomer.id,
        kind="pin",
        reason=text,
        created_by_id=actor.id,
    )
    db.session.add(rule)
    db.session.flush()
    audit.about("pair.pin", rule, actor)
    return rule


def forbid(volunteer: Volunteer, newcomer: Newcomer, reason: str, actor: User) -> PairRule:
    """Forbid the pair for good: its open proposal goes, and no run proposes it again.

    :raises Invalid: no reason given.
    :raises Conflict: the pair is pinned, or approved, active or paused (end it instead).
    """
    text = _reason(reason, required=True)
    lifecycle.lock_people([volunteer.id], [newcomer.id])
    existing = rule_of(volunteer.id, newcomer.id)
    if existing is not None and existing.kind == "forbid":
        return existing
    if existing is not None:
        raise Conflict("pair_pinned")
    for match in _open_matches(newcomer.id):
        if match.volunteer_id != volunteer.id:
            continue
        if match.status in DECIDED_MATCH_STATUSES:
            raise Conflict("pair_matched")
        audit.about("match.forbidden", match, actor)
        db.session.execute(
            delete(Match)
            .where(Match.id == match.id, Match.status == "proposed")
            .execution_options(synchronize_session="fetch")
        )
    rule = PairRule(
        agency_id=newcomer.agency_id,
        volunteer_id=volunteer.id,
        newcomer_id=newcomer.id,
        kind="forbid",
        reason=text,
        created_by_id=actor.id,
    )
    db.session.add(rule)
    db.session.flush()
    audit.about("pair.forbid", rule, actor)
    return rule


def undo(rule: PairRule, actor: User) -> None:
    """Delete a rule (audited). An undone pin's proposal stays, no longer kept by runs."""
    audit.about("pair.unpin" if rule.kind == "pin" else "pair.unforbid", rule, actor)
    if rule.kind == "pin":
        db.session.execute(
            update(Match)
            .where(
                Match.volunteer_id == rule.volunteer_id,
                Match.newcomer_id == rule.newcomer_id,
                Match.status == "proposed",
            )
            .values(picked_by_id=None, version=Match.version + 1)
            .execution_options(synchronize_session=False)
        )
    db.session.delete(rule)
    db.session.flush()
