"""Erasure (Art. 17 DSGVO): a person's data goes, the anonymous counts stay.

The person's row stays as an anonymous husk, so that Patenschaften started, active and
ended, and volunteers active, still add up in the funders' figures. Everything that
could identify the person — names, contact, postcode, coordinates, languages, topics,
consents, the certificate record, free-text notes on their matches — is removed.
"""

from sqlalchemy import ColumnElement, delete, select, update

from matcher.extensions import db
from matcher.models import (
    CheckIn,
    ConsentRecord,
    Match,
    MatchEvent,
    Newcomer,
    NewcomerLanguage,
    User,
    Volunteer,
    VolunteerLanguage,
    utcnow,
)
from matcher.models.vocab import OPEN_MATCH_STATUSES
from matcher.services.platform import audit, outbox


def erase_volunteer(volunteer: Volunteer, actor: User | None, *, commit: bool = True) -> None:
    """Anonymise a volunteer and everything about them; close their open matches."""
    if volunteer.anonymised_at is not None:
        return
    _close_matches(Match.volunteer_id == volunteer.id, actor)
    db.session.execute(
        delete(VolunteerLanguage).where(VolunteerLanguage.volunteer_id == volunteer.id)
    )
    db.session.execute(delete(ConsentRecord).where(ConsentRecord.volunteer_id == volunteer.id))
    # Mails to them (sent or queued) carry their name and address too.
    outbox.forget_address(volunteer.email)
    volunteer.first_name = ""
    volunteer.last_name = ""
    volunteer.email = f"erased-{volunteer.id}@invalid"
    volunteer.email_confirmed_at = None
    volunteer.phone = ""
    volunteer.postcode = ""
    volunteer.lat = volunteer.lon = None
    volunteer.gender = None
    volunteer.slots = 0
    volunteer.topics = []
    volunteer.capacity = 0
    volunteer.motivation = ""
    volunteer.can_show_certificate = False
    volunteer.certificate_inspected_on = None
    volunteer.certificate_issued_on = None
    volunteer.certificate_result = None
    volunteer.certificate_inspected_by_id = None
    volunteer.status = "inactive"
    volunteer.token_version += 1
    volunteer.anonymised_at = utcnow()
    audit.record(
        "volunteer.erase",
        object_type="volunteer",
        object_id=volunteer.id,
        agency_id=volunteer.agency_id,
        actor=actor,
    )
    if commit:
        db.session.commit()


def erase_newcomer(newcomer: Newcomer, actor: User | None, *, commit: bool = True) -> None:
    """Anonymise a newcomer and everything about them; close their open matches."""
    if newcomer.anonymised_at is not None:
        return
    _close_matches(Match.newcomer_id == newcomer.id, actor)
    db.session.execute(delete(NewcomerLanguage).where(NewcomerLanguage.newcomer_id == newcomer.id))
    db.session.execute(delete(ConsentRecord).where(ConsentRecord.newcomer_id == newcomer.id))
    newcomer.first_name = ""
    newcomer.contact_note = ""
    newcomer.postcode = ""
    newcomer.lat = newcomer.lon = None
    newcomer.slots = 0
    newcomer.topics = []
    newcomer.minors = False
    newcomer.mentor_gender = None
    newcomer.status = "closed"
    newcomer.anonymised_at = utcnow()
    audit.record(
        "newcomer.erase",
        object_type="newcomer",
        object_id=newcomer.id,
        agency_id=newcomer.agency_id,
        actor=actor,
    )
    if commit:
        db.session.commit()


def _close_matches(condition: ColumnElement[bool], actor: User | None) -> None:
    """End or reject the person's open matches and wipe the free text on all of them."""
    now = utcnow()
    matches = db.session.scalars(select(Match).where(condition)).all()
    for match in matches:
        if match.status in OPEN_MATCH_STATUSES:
            before = match.status
            if match.status == "proposed":
                match.status = "rejected"
                match.rejected_at = now
            else:
                match.status = "ended"
                match.end_reason = "other"
                match.ended_at = now
                match.ended_by_id = actor.id if actor else None
            db.session.add(
                MatchEvent(
                    match_id=match.id,
                    from_status=before,
                    to_status=match.status,
                    actor_id=actor.id if actor else None,
                )
            )
        match.reasons = []
        match.reject_reason = ""
    ids = [m.id for m in matches]
    if ids:
        db.session.execute(update(CheckIn).where(CheckIn.match_id.in_(ids)).values(note=""))
        db.session.execute(update(MatchEvent).where(MatchEvent.match_id.in_(ids)).values(note=""))
