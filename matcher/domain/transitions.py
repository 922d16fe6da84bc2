"""Status changes, written once: one transition table per entity and one `apply()`.

Each table says which changes exist, from which statuses, to which status, what must hold
first (guards) and what follows (side effects). `apply()` is the only code that changes a
volunteer's, newcomer's or Patenschaft's status. It

1. checks the change is allowed from the status the caller saw, and its guards;
2. makes a conditional UPDATE — on the status read (and, for a Patenschaft, the version
   the coordinator's form carried), so of two people acting at once exactly one wins and
   the other gets a `Conflict`, never a lost update;
3. records the event (a Patenschaft's history) and the audit entry;
4. runs the declared side effects, which may apply further changes: a Patenschaft that
   ends releases its newcomer; a volunteer who leaves ends their Patenschaften;
5. returns the notices a coordinator must get (the services decide how to send them).

Self-service, the coordinator's buttons, erasure, the retention purge and the templates
(which buttons a status shows: `changes_from`) all go through here. `apply()` flushes;
the request or command commits once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, object_session

from matcher.domain import audit
from matcher.domain.errors import Conflict, Invalid, Refused
from matcher.domain.vocab import (
    CLOSING_END_REASONS,
    DECIDED_MATCH_STATUSES,
    END_REASONS,
    NEWCOMER_STATUSES,
    VOLUNTEER_STATUSES,
)
from matcher.models import CheckIn, Match, MatchEvent, Newcomer, Volunteer, utcnow

if TYPE_CHECKING:
    from matcher.models import User

Subject = Volunteer | Newcomer | Match


@dataclass(frozen=True)
class Transition:
    """One status change: from which statuses, to which, what must hold, what follows."""

    sources: tuple[str, ...]
    #: The status after the change; None: the status stays (a change with side effects
    #: only, still made as a conditional UPDATE on the status read).
    target: str | None
    guards: tuple[str, ...] = ()
    effects: tuple[str, ...] = ()
    #: Stamps `<stamp>_at` and `<stamp>_by_id` on a Patenschaft (e.g. "approved").
    stamp: str | None = None
    #: A coordinator's button on the page (False: self-service, system or its own page).
    button: bool = True


@dataclass(frozen=True)
class Machine:
    """The transition table of one entity."""

    entity: str
    transitions: Mapping[str, Transition]

    def changes_from(self, status: str) -> list[str]:
        """The changes a coordinator may offer for this status, in table order."""
        return [name for name, t in self.transitions.items() if t.button and status in t.sources]

    def check_button(self, change: str) -> None:
        """Refuse a change that is no coordinator's button (erasure, consent, the system's).

        :raises Invalid: "unknown_change".
        """
        transition = self.transitions.get(change)
        if transition is None or not transition.button:
            raise Invalid("unknown_change", entity=self.entity, change=change)


VOLUNTEER = Machine(
    "volunteer",
    {
        # After the interview; also brings back a paused or former volunteer.
        "activate": Transition(("applied", "paused", "inactive"), "active", ("ready",)),
        "pause": Transition(
            ("active",), "paused", (), ("drop_proposals", "flag_when_self_service", "tell")
        ),
        "resume": Transition(("paused",), "active", ("ready",), ("tell",), button=False),
        "deactivate": Transition(
            ("applied", "active", "paused"),
            "inactive",
            (),
            ("drop_proposals", "end_matches", "remove_certificate", "tell"),
        ),
        # Consent to matching withdrawn: what it covered goes; a running Patenschaft is
        # flagged for the coordinator rather than ended behind the newcomer's back.
        "withdraw_consent": Transition(
            VOLUNTEER_STATUSES,
            "inactive",
            (),
            (
                "drop_proposals",
                "end_unstarted_matches",
                "flag_running_matches",
                "remove_certificate",
                "tell",
            ),
            button=False,
        ),  # fmt: skip
        "erase": Transition(
            VOLUNTEER_STATUSES,
            "inactive",
            (),
            ("drop_proposals", "end_matches", "flag_when_self_service", "tell"),
            button=False,
        ),
    },
)

NEWCOMER = Machine(
    "newcomer",
    {
        "pause": Transition(("waiting",), "paused", (), ("drop_proposals",)),
        "resume": Transition(("paused",), "waiting"),
        "close": Transition(
            ("waiting", "paused", "matched"), "closed", ("no_decided_match",), ("drop_proposals",)
        ),
        "reopen": Transition(("closed",), "waiting", (), ("restart_waiting",)),
        # Followed from the Patenschaft, never a button of its own.
        "match": Transition(("waiting",), "matched", button=False),
        "unmatch": Transition(("matched",), "waiting", button=False),
        "finish": Transition(("matched",), "closed", button=False),
        # Consent to matching withdrawn (recorded by staff): as for a volunteer, proposals go,
        # a Patenschaft not yet started ends (she waits again, but without consent she is in
        # no run: `eligibility.waits_for_match`), a running one is flagged for the
        # coordinator. Her status stays, so consent given again puts her back in the pool.
        "withdraw_consent": Transition(
            NEWCOMER_STATUSES,
            None,
            (),
            ("drop_proposals", "end_unstarted_matches", "flag_running_matches"),
            button=False,
        ),
        "erase": Transition(
            NEWCOMER_STATUSES, "closed", (), ("drop_proposals", "end_matches"), button=False
        ),
    },
)

MATCH = Machine(
    "match",
    {
        "approve": Transition(
            ("proposed",), "approved", (), ("newcomer_matched",), "approved", button=False
        ),
        "reject": Transition(("proposed",), "rejected", (), (), "rejected", button=False),
        "activate": Transition(("approved",), "active", (), ("first_checkin",), "started"),
        "pause": Transition(("active",), "paused"),
        "resume": Transition(("paused",), "active"),
        "end": Transition(
            DECIDED_MATCH_STATUSES,
            "ended",
            (),
            ("cancel_checkins", "release_newcomer", "pause_volunteer_without_time"),
            "ended",
        ),
    },
)


def machine_of(subject: Subject) -> Machine:
    """The transition table for a volunteer, newcomer or Patenschaft."""
    if isinstance(subject, Volunteer):
        return VOLUNTEER
    if isinstance(subject, Newcomer):
        return NEWCOMER
    return MATCH


def changes_from(subject: Subject) -> list[str]:
    """The buttons a coordinator sees for this subject now (none once a person is erased)."""
    if getattr(subject, "anonymised_at", None) is not None:
        return []
    return machine_of(subject).changes_from(subject.status)


@dataclass(frozen=True)
class Notice:
    """Something the agency's coordinators must be told, e.g. a volunteer paused on their own."""

    kind: str
    agency_id: int
    volunteer_id: int | None = None
    newcomer_id: int | None = None
    match_ids: tuple[int, ...] = ()


@dataclass
class Outcome:
    """What one `apply()` did beyond the change itself."""

    notices: list[Notice] = field(default_factory=list)
    ended: list[int] = field(default_factory=list)


@dataclass
class _Step:
    session: Session
    subject: Subject
    change: str
    before: str
    actor: User | None
    on: date
    note: str
    reason: str | None
    outcome: Outcome


def apply(
    subject: Subject,
    change: str,
    *,
    actor: User | None,
    on: date,
    note: str = "",
    reason: str | None = None,
    version: int | None = None,
    values: Mapping[str, Any] | None = None,
    outcome: Outcome | None = None,
) -> Outcome:
    """Make one status change with its history, audit entry and side effects; flush.

    :param actor: the staff member acting; None for the volunteer themselves or the system.
    :param on: the day it happens (check-in dates, trial end, waiting since).
    :param reason: the end reason of a Patenschaft.
    :param version: the Patenschaft version the coordinator's form was built from.
    :param values: further columns to set in the same UPDATE (e.g. an approval's score).
    :raises Invalid: an unknown change or end reason.
    :raises Refused: the status or a guard does not allow it.
    :raises Conflict: someone else changed the subject meanwhile.
    """
    machine = machine_of(subject)
    transition = machine.transitions.get(change)
    if transition is None:
        raise Invalid("unknown_change", entity=machine.entity, change=change)
    session = object_session(subject)
    if session is None:
        raise ValueError(f"{subject!r} is not in a session")
    actor_id = actor.id if actor is not None else None  # read before any flush
    if version is not None and isinstance(subject, Match) and subject.version != version:
        raise Conflict("stale", entity=machine.entity)
    before = subject.status
    if before not in transition.sources:
        raise Refused("wrong_status", entity=machine.entity, status=before, change=change)
    if machine is MATCH and change == "end" and reason not in END_REASONS:
        raise Invalid("bad_reason")
    for guard in transition.guards:
        GUARDS[guard](subject)

    model = type(subject)
    target = before if transition.target is None else transition.target
    row: dict[str, Any] = {"status": target, **(values or {})}
    where = [model.id == subject.id, model.status == before]
    if isinstance(subject, Match):
        if version is not None:
            where.append(Match.version == version)
        row["version"] = Match.version + 1
        if transition.stamp:
            row[f"{transition.stamp}_at"] = utcnow()
            row[f"{transition.stamp}_by_id"] = actor_id
        if change == "end":
            row["end_reason"] = reason
        if change == "reject":
            row["reject_reason"] = note.strip()[:500]
    else:
        row["updated_at"] = utcnow()
    result = session.execute(
        update(model).where(*where).values(**row).execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("changed_meanwhile", entity=machine.entity)
    session.refresh(subject)

    if isinstance(subject, Match):
        session.add(
            MatchEvent(
                match_id=subject.id,
                from_status=before,
                to_status=target,
                actor_id=actor_id,
                note=note.strip()[:1000],
            )
        )
    audit.about(f"{machine.entity}.{change}", subject, actor)
    step = _Step(session, subject, change, before, actor, on, note, reason, outcome or Outcome())
    for effect in transition.effects:
        EFFECTS[effect](step)
    session.flush()
    return step.outcome


# --------------------------------------------------------------------------- guards


def _ready(volunteer: Subject) -> None:
    assert isinstance(volunteer, Volunteer)
    if volunteer.email_confirmed_at is None:
        raise Refused("volunteer_not_confirmed")
    if not volunteer.consents_to("matching"):
        raise Refused("volunteer_no_consent")


def _no_decided_match(newcomer: Subject) -> None:
    session = object_session(newcomer)
    assert session is not None
    found = session.scalar(
        select(Match.id)
        .where(Match.newcomer_id == newcomer.id, Match.status.in_(DECIDED_MATCH_STATUSES))
        .limit(1)
    )
    if found is not None:
        raise Refused("end_match_first")


GUARDS: dict[str, Callable[[Subject], None]] = {
    "ready": _ready,
    "no_decided_match": _no_decided_match,
}


# --------------------------------------------------------------------------- side effects


def _side(step: _Step) -> Any:
    return Match.volunteer_id if isinstance(step.subject, Volunteer) else Match.newcomer_id


def _drop_proposals(step: _Step) -> None:
    """Open proposals of the person go: they were the machine's, not a person's decision."""
    step.session.execute(
        delete(Match)
        .where(_side(step) == step.subject.id, Match.status == "proposed")
        .execution_options(synchronize_session="fetch")
    )


def _person_matches(step: _Step, statuses: tuple[str, ...]) -> list[Match]:
    return list(
        step.session.scalars(
            select(Match)
            .where(_side(step) == step.subject.id, Match.status.in_(statuses))
            .order_by(Match.id)
        )
    )


def _end_matches(step: _Step, statuses: tuple[str, ...] = DECIDED_MATCH_STATUSES) -> None:
    """The person's Patenschaften end (reason: other); their partners wait again."""
    for match in _person_matches(step, statuses):
        apply(match, "end", actor=step.actor, on=step.on, reason="other",
              note=step.note, outcome=step.outcome)  # fmt: skip
        step.outcome.ended.append(match.id)


def _end_unstarted_matches(step: _Step) -> None:
    _end_matches(step, ("approved",))


def _flag_running_matches(step: _Step) -> None:
    """Running Patenschaften stay, flagged: the coordinator decides with both."""
    who = "volunteer" if isinstance(step.subject, Volunteer) else "newcomer"
    for match in _person_matches(step, ("active", "paused")):
        match.attention = f"{who}_withdrew_consent"
        match.attention_since = utcnow()


def _flag_when_self_service(step: _Step) -> None:
    """A volunteer paused or left on their own: their Patenschaften are flagged for the
    coordinator's work queue (running ones that go on, and those that just ended). A
    coordinator who made the change knows of it already."""
    if step.actor is not None:
        return
    if step.change == "pause":
        flagged, code = _person_matches(step, DECIDED_MATCH_STATUSES), "volunteer_paused"
    else:
        flagged = [m for m in _person_matches(step, ("ended",)) if m.id in step.outcome.ended]
        code = "volunteer_left"
    for match in flagged:
        match.attention = code
        match.attention_since = utcnow()


def _remove_certificate(step: _Step) -> None:
    """§72a: the inspection record goes when the volunteer leaves."""
    volunteer = step.subject
    assert isinstance(volunteer, Volunteer)
    if volunteer.certificate_inspected_on is None and volunteer.certificate_result is None:
        return
    volunteer.certificate_inspected_on = None
    volunteer.certificate_issued_on = None
    volunteer.certificate_result = None
    volunteer.certificate_inspected_by_id = None
    audit.about("volunteer.certificate_deleted", volunteer, step.actor)


def _tell(step: _Step) -> None:
    """Coordinators hear of what a volunteer did on their own (or the system did)."""
    if step.actor is not None:
        return
    volunteer = step.subject
    assert isinstance(volunteer, Volunteer)
    affected = [m.id for m in _person_matches(step, DECIDED_MATCH_STATUSES)]
    affected += [i for i in step.outcome.ended if i not in affected]
    open_ids = tuple(sorted(affected))
    step.outcome.notices.append(
        Notice(f"volunteer_{step.change}", volunteer.agency_id, volunteer.id, None, open_ids)
    )


def _restart_waiting(step: _Step) -> None:
    newcomer = step.subject
    assert isinstance(newcomer, Newcomer)
    newcomer.waiting_since = step.on


def _newcomer_matched(step: _Step) -> None:
    match = step.subject
    assert isinstance(match, Match)
    apply(match.newcomer, "match", actor=step.actor, on=step.on, outcome=step.outcome)


def _first_checkin(step: _Step) -> None:
    """The first check-in is at the end of the trial; each recorded one schedules the next."""
    match = step.subject
    assert isinstance(match, Match) and match.trial_until is not None
    step.session.add(
        CheckIn(agency_id=match.agency_id, match_id=match.id, due_on=match.trial_until)
    )


def _cancel_checkins(step: _Step) -> None:
    """Check-ins still to come will not happen."""
    step.session.execute(
        delete(CheckIn)
        .where(CheckIn.match_id == step.subject.id, CheckIn.done_at.is_(None))
        .execution_options(synchronize_session="fetch")
    )


def _release_newcomer(step: _Step) -> None:
    """Goal reached or moved away: the newcomer is done; otherwise she waits again, keeping
    her place in the queue (her `waiting_since` stays)."""
    match = step.subject
    assert isinstance(match, Match)
    newcomer = match.newcomer
    if newcomer.status != "matched":
        return
    change = "finish" if step.reason in CLOSING_END_REASONS else "unmatch"
    apply(newcomer, change, actor=step.actor, on=step.on, outcome=step.outcome)


def _pause_volunteer_without_time(step: _Step) -> None:
    """Ended for lack of time: the volunteer gets no new proposals until they say so."""
    match = step.subject
    assert isinstance(match, Match)
    if step.reason == "no_time" and match.volunteer.status == "active":
        apply(match.volunteer, "pause", actor=step.actor, on=step.on, outcome=step.outcome)


EFFECTS: dict[str, Callable[[_Step], None]] = {
    "drop_proposals": _drop_proposals,
    "end_matches": _end_matches,
    "end_unstarted_matches": _end_unstarted_matches,
    "flag_running_matches": _flag_running_matches,
    "remove_certificate": _remove_certificate,
    "flag_when_self_service": _flag_when_self_service,
    "tell": _tell,
    "restart_waiting": _restart_waiting,
    "newcomer_matched": _newcomer_matched,
    "first_checkin": _first_checkin,
    "cancel_checkins": _cancel_checkins,
    "release_newcomer": _release_newcomer,
    "pause_volunteer_without_time": _pause_volunteer_without_time,
}
