"""Erasure (Art. 17 DSGVO): a person's data goes, the anonymous counts stay.

The person's row stays as an anonymous husk, so that Patenschaften started, active and
ended, and volunteers active, still add up in the funders' figures. Everything that
could identify the person — names, contact, postcode, coordinates, languages, topics,
consents, the certificate record, free-text notes on their matches — is removed.

The status change goes through the domain's transitions ("erase"), so erasure ends the
person's Patenschaften exactly as a coordinator would: the newcomer of an erased
volunteer waits again for someone new, and the coordinators are told. Self-deletion, an
admin's or coordinator's erasure and the retention purge all come here.
"""

from datetime import date

from sqlalchemy import ColumnElement, delete, select, update

from matcher import database
from matcher.domain import transitions
from matcher.domain.errors import Refused
from matcher.extensions import db
from matcher.models import (
    CheckIn,
    ConsentRecord,
    FirstMeeting,
    Match,
    MatchEvent,
    Newcomer,
    NewcomerLanguage,
    PairRule,
    ProfileChange,
    User,
    Volunteer,
    VolunteerLanguage,
    utcnow,
)
from matcher.services.people import households, notes, onboarding
from matcher.services.platform import outbox


def erase_volunteer(volunteer: Volunteer, actor: User | None, *, on: date) -> transitions.Outcome:
    """Anonymise a volunteer and everything about them; end their Patenschaften."""
    # After the commit, SQLite's WAL is written back and emptied (matcher.database).
    db.session.info[database.ERASED] = True
    if volunteer.anonymised_at is not None:
        raise Refused("erased")
    outcome = transitions.apply(volunteer, "erase", actor=actor, on=on)
    _wipe_match_text(Match.volunteer_id == volunteer.id)
    # Notes and contacts about them and their Patenschaften, with every earlier version.
    notes.erase_about(volunteer)
    db.session.execute(
        delete(VolunteerLanguage).where(VolunteerLanguage.volunteer_id == volunteer.id)
    )
    db.session.execute(delete(ConsentRecord).where(ConsentRecord.volunteer_id == volunteer.id))
    _forget_profile_history(ProfileChange.volunteer_id == volunteer.id)
    # Mails to them (sent or queued) carry their name and address too.
    outbox.forget_address(volunteer.email)
    db.session.expire(volunteer, ["languages", "consents"])
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
    volunteer.token_version += 1
    # -- issue 13 (engine helper): interests, and the pin/forbid rules with their reasons.
    volunteer.interests = None
    db.session.execute(delete(PairRule).where(PairRule.volunteer_id == volunteer.id))
    # -- end issue 13
    # Households and onboarding (issue 13): the family offer, and the steps they did.
    households.apply_offer(volunteer, households.FamilyOffer())
    onboarding.forget(volunteer)
    volunteer.anonymised_at = utcnow()
    db.session.flush()
    return outcome


def erase_newcomer(newcomer: Newcomer, actor: User | None, *, on: date) -> transitions.Outcome:
    """Anonymise a newcomer and everything about them; end their Patenschaften."""
    # After the commit, SQLite's WAL is written back and emptied (matcher.database).
    db.session.info[database.ERASED] = True
    if newcomer.anonymised_at is not None:
        raise Refused("erased")
    outcome = transitions.apply(newcomer, "erase", actor=actor, on=on)
    _wipe_match_text(Match.newcomer_id == newcomer.id)
    # Notes and contacts about them and their Patenschaften, with every earlier version.
    notes.erase_about(newcomer)
    db.session.execute(delete(NewcomerLanguage).where(NewcomerLanguage.newcomer_id == newcomer.id))
    db.session.execute(delete(ConsentRecord).where(ConsentRecord.newcomer_id == newcomer.id))
    _forget_profile_history(ProfileChange.newcomer_id == newcomer.id)
    db.session.expire(newcomer, ["languages", "consents"])
    newcomer.first_name = ""
    newcomer.contact_note = ""
    newcomer.phone = ""
    newcomer.contact_channel = None
    newcomer.social_worker_contact = ""
    newcomer.interpreter_needed = False
    newcomer.interpreter_language = None
    # The language of her letters says much about her origin: back to the default.
    newcomer.correspondence_language = "de"
    newcomer.postcode = ""
    newcomer.lat = newcomer.lon = None
    newcomer.slots = 0
    newcomer.topics = []
    # Households (issue 13): no children's ages, needs or size stay (nor `minors`).
    households.apply_household(newcomer, households.Household(), minors=False)
    newcomer.mentor_gender = None
    # -- issue 13 (engine helper): mobility, own gender, interests, pin/forbid rules.
    newcomer.max_distance_km = None
    newcomer.gender = None
    newcomer.interests = None
    db.session.execute(delete(PairRule).where(PairRule.newcomer_id == newcomer.id))
    # -- end issue 13
    newcomer.anonymised_at = utcnow()
    db.session.flush()
    return outcome


def _wipe_match_text(side: ColumnElement[bool]) -> None:
    """Free text on every match of the person: reasons, rejection reasons, notes, and the
    first meeting of the introduction letter."""
    ids = list(db.session.scalars(select(Match.id).where(side)))
    if not ids:
        return
    db.session.execute(
        update(Match)
        .where(Match.id.in_(ids))
        .values(reasons=[], reject_reason="")
        .execution_options(synchronize_session="fetch")
    )
    db.session.execute(update(CheckIn).where(CheckIn.match_id.in_(ids)).values(note=""))
    # The first meeting of the introduction letter: date and a place that may be her home.
    db.session.execute(
        delete(FirstMeeting)
        .where(FirstMeeting.match_id.in_(ids))
        .execution_options(synchronize_session="fetch")
    )
    db.session.execute(update(MatchEvent).where(MatchEvent.match_id.in_(ids)).values(note=""))


# --------------------------------------------------------------------------- data quality


def _forget_profile_history(side: ColumnElement[bool]) -> None:
    """The history of the person's details (`services.people.profile_history`): its old and
    new values are the person's data too (names, addresses, numbers), so it goes."""
    db.session.execute(delete(ProfileChange).where(side))


def erase_person(
    person: Volunteer | Newcomer, actor: User | None, *, on: date
) -> transitions.Outcome:
    """Erase a volunteer or a newcomer (the admin's data-protection page asks for either)."""
    if isinstance(person, Volunteer):
        return erase_volunteer(person, actor, on=on)
    return erase_newcomer(person, actor, on=on)
