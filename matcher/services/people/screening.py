"""Coordinators screen volunteers: activate after the interview, pause, let them go."""

from sqlalchemy import select, update

from matcher.extensions import db
from matcher.models import ConsentRecord, User, Volunteer, utcnow
from matcher.services.people import certificates
from matcher.services.platform import audit


class ScreeningError(ValueError):
    """A status change the volunteer's state does not allow."""


# status change -> (statuses it may start from, the new status)
TRANSITIONS = {
    "activate": (("applied", "paused", "inactive"), "active"),
    "pause": (("active",), "paused"),
    "deactivate": (("applied", "active", "paused"), "inactive"),
}


def change_status(volunteer: Volunteer, change: str, actor: User) -> None:
    """Activate (only confirmed and consenting volunteers), pause or deactivate a volunteer."""
    if change not in TRANSITIONS or volunteer.anonymised_at is not None:
        raise ScreeningError("unknown change")
    starts, target = TRANSITIONS[change]
    if volunteer.status not in starts:
        raise ScreeningError(f"cannot {change} a volunteer who is {volunteer.status}")
    if target == "active":
        # Unconfirmed sign-ups never reach the matching.
        if volunteer.email_confirmed_at is None:
            raise ScreeningError("the email address is not confirmed")
        if not _consents_to_matching(volunteer):
            raise ScreeningError("no consent to matching")
    result = db.session.execute(
        update(Volunteer)
        .where(Volunteer.id == volunteer.id, Volunteer.status == volunteer.status)
        .values(status=target, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        raise ScreeningError("changed by someone else")
    db.session.refresh(volunteer)
    if target == "inactive" and volunteer.certificate_inspected_on is not None:
        # §72a: the inspection record goes when the volunteer leaves.
        certificates.delete_record(volunteer, actor)
    audit.record(
        f"volunteer.{change}",
        object_type="volunteer",
        object_id=volunteer.id,
        agency_id=volunteer.agency_id,
        actor=actor,
    )
    db.session.commit()


def _consents_to_matching(volunteer: Volunteer) -> bool:
    return (
        db.session.scalar(
            select(ConsentRecord.id).where(
                ConsentRecord.volunteer_id == volunteer.id,
                ConsentRecord.purpose == "matching",
                ConsentRecord.withdrawn_at.is_(None),
            )
        )
        is not None
    )


def consents(volunteer: Volunteer) -> list[ConsentRecord]:
    """Every consent record of a volunteer, newest first."""
    return list(
        db.session.scalars(
            select(ConsentRecord)
            .where(ConsentRecord.volunteer_id == volunteer.id)
            .order_by(ConsentRecord.given_at.desc())
        )
    )
