"""The certificate of good conduct (§72a SGB VIII): only the fact of its inspection.

Never a copy, never an upload: the date it was inspected, its issue date, the result and
who inspected it. The record goes when the volunteer leaves.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from matcher.domain import audit
from matcher.domain.eligibility import certificate_expires_on
from matcher.domain.errors import Invalid, Refused
from matcher.domain.vocab import CERTIFICATE_RESULTS
from matcher.extensions import db
from matcher.models import Newcomer, User, Volunteer

#: Volunteers whose certificate runs out within this time are asked for a new one now.
RENEWAL_WARNING = timedelta(weeks=8)


def record_inspection(
    volunteer: Volunteer,
    inspected_on: date,
    issued_on: date,
    result: str,
    actor: User,
    *,
    on: date,
) -> None:
    """Record that a coordinator has seen the volunteer's certificate."""
    if result not in CERTIFICATE_RESULTS:
        raise Invalid("certificate_unknown_result")
    if inspected_on > on:
        raise Invalid("certificate_in_future")
    if issued_on > inspected_on:
        raise Invalid("certificate_issued_after_inspection")
    if certificate_expires_on(issued_on) <= on:
        raise Invalid("certificate_too_old")
    if volunteer.anonymised_at is not None:
        raise Refused("erased")
    volunteer.certificate_inspected_on = inspected_on
    volunteer.certificate_issued_on = issued_on
    volunteer.certificate_result = result
    volunteer.certificate_inspected_by_id = actor.id
    audit.about("volunteer.certificate_inspected", volunteer, actor)


@dataclass
class Need:
    """Who needs a certificate while children are waiting: volunteers without a valid one,
    and those whose certificate runs out soon."""

    waiting_with_minors: int
    volunteers: list[Volunteer]
    expiring: list[Volunteer]


def needed(on: date) -> Need:
    """Volunteers taking part without a valid certificate (those who offered one first), and
    those whose certificate expires within `RENEWAL_WARNING`."""
    waiting = len(
        db.session.scalars(
            select(Newcomer.id).where(Newcomer.waits_for_match, Newcomer.needs_certificate)
        ).all()
    )
    # NOT IN rather than NOT (…): a NULL in a half-filled record must not hide anyone.
    valid = select(Volunteer.id).where(Volunteer.certificate_valid_on(on))
    volunteers = db.session.scalars(
        select(Volunteer)
        .where(Volunteer.in_pool, Volunteer.id.not_in(valid))
        .order_by(Volunteer.can_show_certificate.desc(), Volunteer.last_name, Volunteer.first_name)
    ).all()
    expiring = db.session.scalars(
        select(Volunteer)
        .where(
            Volunteer.in_pool,
            Volunteer.certificate_valid_on(on),
            ~Volunteer.certificate_valid_on(on + RENEWAL_WARNING),
        )
        .order_by(Volunteer.certificate_issued_on, Volunteer.last_name)
    ).all()
    return Need(waiting_with_minors=waiting, volunteers=list(volunteers), expiring=list(expiring))
