"""Volunteer onboarding: an agency's checklist, and ticking steps off for a volunteer.

Each agency keeps its own checklist (interview, training, signed agreement, §72a
declaration, …) and chooses which steps must be done before a volunteer can be matched.
The eligibility rule (`matcher.domain.eligibility.VolunteerRules.takes_part`) enforces
that; this module keeps the checklist and the ticks, each change audited.

A step someone has done is archived, never deleted (the tick stays on record); a step
nobody has done yet is deleted when removed.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select

from matcher.domain import audit
from matcher.domain.errors import Conflict, Invalid, NotFound
from matcher.extensions import db
from matcher.models import Agency, OnboardingDone, OnboardingStep, User, Volunteer, utcnow
from matcher.models.onboarding import STEP_NAME_MAX, STEP_NOTE_MAX

#: The checklist a new agency starts with: name, required before matching. Nothing is
#: required until the agency chooses (an agency's volunteers keep taking part meanwhile).
DEFAULT_STEPS: tuple[tuple[str, bool], ...] = (
    ("Erstgespräch", False),
    ("Schulung", False),
    ("Unterschriebene Ehrenamtsvereinbarung", False),
    ("§72a-Verpflichtungserklärung", False),
)
#: The longest checklist an agency keeps (archived steps not counted).
MAX_STEPS = 30


@dataclass(frozen=True)
class Item:
    """One line of a volunteer's checklist: the step, and its tick if done."""

    step: OnboardingStep
    done: OnboardingDone | None

    @property
    def missing(self) -> bool:
        """Required before matching, not archived, and not done."""
        return (
            self.done is None and self.step.required_for_matching and self.step.archived_at is None
        )


def seed_defaults(agency: Agency, required: tuple[str, ...] = ()) -> list[OnboardingStep]:
    """Give a new agency the default checklist; the steps named in `required` are required."""
    steps = [
        OnboardingStep(
            agency_id=agency.id,
            name=name,
            required_for_matching=is_required or name in required,
            position=position,
        )
        for position, (name, is_required) in enumerate(DEFAULT_STEPS)
    ]
    db.session.add_all(steps)
    db.session.flush()
    return steps


def steps(agency: Agency, *, archived: bool = False) -> list[OnboardingStep]:
    """The agency's checklist in its order; with `archived`, the archived steps too."""
    query = select(OnboardingStep).where(OnboardingStep.agency_id == agency.id)
    if not archived:
        query = query.where(OnboardingStep.archived_at.is_(None))
    return list(db.session.scalars(query.order_by(OnboardingStep.position, OnboardingStep.id)))


def step(agency: Agency, step_id: int) -> OnboardingStep:
    """One step of the agency's checklist; `NotFound` for another agency's."""
    found = db.session.get(OnboardingStep, step_id)
    if found is None or found.agency_id != agency.id:
        raise NotFound("not_found")
    return found


def _name(agency: Agency, name: str, keep: OnboardingStep | None = None) -> str:
    clean = " ".join((name or "").split())
    if not clean or len(clean) > STEP_NAME_MAX:
        raise Invalid("onboarding_step_name", max=STEP_NAME_MAX)
    for other in steps(agency):
        if other is not keep and other.name.casefold() == clean.casefold():
            raise Conflict("onboarding_step_exists", name=clean)
    return clean


def add_step(agency: Agency, name: str, required: bool, actor: User) -> OnboardingStep:
    """Add a step at the end of the checklist."""
    clean = _name(agency, name)
    current = steps(agency)
    if len(current) >= MAX_STEPS:
        raise Invalid("onboarding_too_many_steps", max=MAX_STEPS)
    last = db.session.scalar(
        select(func.max(OnboardingStep.position)).where(OnboardingStep.agency_id == agency.id)
    )
    new = OnboardingStep(
        agency_id=agency.id,
        name=clean,
        required_for_matching=bool(required),
        position=(last + 1) if last is not None else 0,
    )
    db.session.add(new)
    db.session.flush()
    audit.about("onboarding.step_add", new, actor)
    return new


def change_step(step: OnboardingStep, name: str, required: bool, actor: User) -> None:
    """Rename a step, or change whether it is required before matching."""
    if step.archived_at is not None:
        raise Conflict("onboarding_step_archived")
    agency = db.session.get(Agency, step.agency_id)
    assert agency is not None
    step.name = _name(agency, name, keep=step)
    step.required_for_matching = bool(required)
    audit.about("onboarding.step_change", step, actor)


def move_step(step: OnboardingStep, direction: str, actor: User) -> None:
    """Move a step one place up or down the checklist."""
    if direction not in ("up", "down"):
        raise Invalid("bad_details", field="direction")
    if step.archived_at is not None:
        raise Conflict("onboarding_step_archived")
    agency = db.session.get(Agency, step.agency_id)
    assert agency is not None
    order = steps(agency)
    i = order.index(step)
    j = i - 1 if direction == "up" else i + 1
    if not 0 <= j < len(order):
        return  # already first (or last): nothing to move
    order[i], order[j] = order[j], order[i]
    for position, each in enumerate(order):  # renumber: positions stay distinct
        each.position = position
    audit.about("onboarding.step_move", step, actor)


def remove_step(step: OnboardingStep, actor: User) -> str:
    """Take a step off the checklist: archived if someone has done it, else deleted.

    Answers "archived" or "deleted".
    """
    if step.archived_at is not None:
        raise Conflict("onboarding_step_archived")
    used = db.session.scalar(
        select(func.count(OnboardingDone.id)).where(OnboardingDone.step_id == step.id)
    )
    if used:
        step.archived_at = utcnow()
        audit.about("onboarding.step_archive", step, actor)
        return "archived"
    audit.about("onboarding.step_delete", step, actor)
    db.session.delete(step)
    db.session.flush()
    return "deleted"


def restore_step(step: OnboardingStep, actor: User) -> None:
    """Put an archived step back at the end of the checklist."""
    if step.archived_at is None:
        return
    agency = db.session.get(Agency, step.agency_id)
    assert agency is not None
    _name(agency, step.name, keep=step)  # no active step has its name meanwhile
    last = db.session.scalar(
        select(func.max(OnboardingStep.position)).where(
            OnboardingStep.agency_id == agency.id, OnboardingStep.archived_at.is_(None)
        )
    )
    step.archived_at = None
    step.position = (last + 1) if last is not None else 0
    audit.about("onboarding.step_restore", step, actor)


def checklist(volunteer: Volunteer) -> list[Item]:
    """A volunteer's checklist: the agency's steps, and archived steps they have done."""
    done = {d.step_id: d for d in volunteer.onboarding_done}
    return [
        Item(step=s, done=done.get(s.id))
        for s in volunteer.onboarding_steps
        if s.archived_at is None or s.id in done
    ]


def _done(volunteer: Volunteer, step: OnboardingStep) -> OnboardingDone | None:
    return db.session.scalar(
        select(OnboardingDone).where(
            OnboardingDone.volunteer_id == volunteer.id, OnboardingDone.step_id == step.id
        )
    )


def tick(
    volunteer: Volunteer,
    step: OnboardingStep,
    actor: User,
    note: str = "",
    *,
    at: datetime | None = None,
) -> OnboardingDone:
    """Record that the volunteer has done a step (once; a second tick keeps the first)."""
    if step.agency_id != volunteer.agency_id:
        raise NotFound("not_found")
    if volunteer.anonymised_at is not None:
        raise Conflict("erased")
    if step.archived_at is not None:
        raise Conflict("onboarding_step_archived")
    clean = " ".join((note or "").split())
    if len(clean) > STEP_NOTE_MAX:
        raise Invalid("onboarding_note_too_long", max=STEP_NOTE_MAX)
    existing = _done(volunteer, step)
    if existing is not None:
        return existing
    done = OnboardingDone(
        agency_id=volunteer.agency_id,
        volunteer_id=volunteer.id,
        step_id=step.id,
        done_at=at or utcnow(),
        done_by_id=actor.id,
        note=clean,
    )
    db.session.add(done)
    db.session.flush()
    db.session.expire(volunteer, ["onboarding_done"])
    audit.about("volunteer.onboarding_done", volunteer, actor)
    return done


def undo(volunteer: Volunteer, step: OnboardingStep, actor: User) -> None:
    """Take back a tick (a step ticked by mistake); nothing to take back changes nothing."""
    if step.agency_id != volunteer.agency_id:
        raise NotFound("not_found")
    if volunteer.anonymised_at is not None:
        raise Conflict("erased")
    existing = _done(volunteer, step)
    if existing is None:
        return
    db.session.delete(existing)
    db.session.flush()
    db.session.expire(volunteer, ["onboarding_done"])
    audit.about("volunteer.onboarding_undone", volunteer, actor)


def forget(volunteer: Volunteer) -> None:
    """Remove the steps an erased volunteer had done (their notes with them)."""
    db.session.execute(delete(OnboardingDone).where(OnboardingDone.volunteer_id == volunteer.id))
    db.session.expire(volunteer, ["onboarding_done"])


def export(volunteer: Volunteer) -> list[dict[str, object]]:
    """The steps a volunteer has done, for the Art. 15 export (no staff names)."""
    names = {s.id: s.name for s in volunteer.onboarding_steps}
    return [
        {
            "step": names.get(d.step_id, ""),
            "done_at": d.done_at.isoformat(),
            "note": d.note,
        }
        for d in volunteer.onboarding_done
    ]
