"""The certificate of good conduct (§72a SGB VIII): only the fact of its inspection.

Never a copy, never an upload: the date it was inspected, its issue date, the result and
who inspected it. The record goes when the volunteer leaves.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select

from matcher.extensions import db
from matcher.models import Newcomer, User, Volunteer, utcnow
from matcher.models.vocab import CERTIFICATE_RESULTS
from matcher.services.platform import audit

# An agency asks for a fresh certificate after five years (common practice under §72a).
VALID_YEARS = 5


class CertificateError(ValueError):
    """An inspection record that cannot be right."""


def expires_on(issued_on: date) -> date:
    """The day a certificate issued on `issued_on` needs renewing."""
    try:
        return issued_on.replace(year=issued_on.year + VALID_YEARS)
    except ValueError:  # 29 February
        return issued_on.replace(year=issued_on.year + VALID_YEARS, day=28)


def record_inspection(
    volunteer: Volunteer, inspected_on: date, issued_on: date, result: str, actor: User
) -> None:
    """Record that a coordinator has seen the volunteer's certificate."""
    today = utcnow().date()
    if result not in CERTIFICATE_RESULTS:
        raise CertificateError("unknown result")
    if inspected_on > today:
        raise CertificateError("inspected in the future")
    if issued_on > inspected_on:
        raise CertificateError("issued after it was inspected")
    if expires_on(issued_on) <= today:
        raise CertificateError("too old")
    if volunteer.anonymised_at is not None:
        raise CertificateError("erased")
    volunteer.certificate_inspected_on = inspected_on
    volunteer.certificate_issued_on = issued_on
    volunteer.certificate_result = result
    volunteer.certificate_inspected_by_id = actor.id
    audit.record(
        "volunteer.certificate_inspected",
        object_type="volunteer",
        object_id=volunteer.id,
        agency_id=volunteer.agency_id,
        actor=actor,
    )
    db.session.commit()


def delete_record(volunteer: Volunteer, actor: User | None) -> None:
    """Remove the inspection record; the caller commits."""
    volunteer.certificate_inspected_on = None
    volunteer.certificate_issued_on = None
    volunteer.certificate_result = None
    volunteer.certificate_inspected_by_id = None
    audit.record(
        "volunteer.certificate_deleted",
        object_type="volunteer",
        object_id=volunteer.id,
        agency_id=volunteer.agency_id,
        actor=actor,
    )


@dataclass
class Need:
    """Who needs a certificate: volunteers without a valid one, while children are waiting."""

    waiting_with_minors: int
    volunteers: list[Volunteer]


def needed() -> Need:
    """Volunteers taking part without a valid certificate, those who offered one first."""
    today = utcnow().date()
    renew_before = today.replace(year=today.year - VALID_YEARS, day=min(today.day, 28))
    waiting = db.session.scalar(
        select(func.count()).where(
            Newcomer.minors.is_(True),
            Newcomer.status == "waiting",
            Newcomer.anonymised_at.is_(None),
        )
    )
    volunteers = db.session.scalars(
        select(Volunteer)
        .where(
            Volunteer.status.in_(("applied", "active")),
            Volunteer.email_confirmed_at.is_not(None),
            Volunteer.anonymised_at.is_(None),
            or_(
                Volunteer.certificate_inspected_on.is_(None),
                Volunteer.certificate_result != "clear",
                Volunteer.certificate_issued_on <= renew_before,
            ),
        )
        .order_by(Volunteer.can_show_certificate.desc(), Volunteer.last_name, Volunteer.first_name)
    ).all()
    return Need(waiting_with_minors=int(waiting or 0), volunteers=list(volunteers))
