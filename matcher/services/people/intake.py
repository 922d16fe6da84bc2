"""Newcomer intake by coordinators: register with consent taken by staff, edit, pause, close.

Newcomers usually have no account: the coordinator explains the privacy notice, in a
language the newcomer understands (often through an interpreter), and records who took
the consent, on which channel; later changes to consent are `services.people.consents`.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import update

from matcher.domain import audit, contact, transitions
from matcher.domain.contact import Contact
from matcher.domain.errors import Conflict, Invalid
from matcher.domain.vocab import (
    AGE_BANDS,
    CONSENT_PURPOSES,
    GENDERS,
    INTEREST_MAX_LENGTH,
    MAX_INTERESTS,
    TOPICS,
    slots_to_mask,
)
from matcher.extensions import db
from matcher.models import Agency, Newcomer, NewcomerLanguage, User, utcnow
from matcher.services.people import consents, households, profile_history
from matcher.services.platform import vocabulary


@dataclass
class NewcomerDetails:
    """What the coordinator records about a newcomer: the minimum the matching needs."""

    first_name: str
    postcode: str
    age_band: str
    languages: dict[str, str]
    slots: list[str]
    topics: list[str] = field(default_factory=list)
    minors: bool = False
    mentor_gender: str | None = None
    contact_note: str = ""
    #: How to reach her: phone, channel, social worker, interpreter (`domain.contact`).
    contact: Contact = field(default_factory=Contact)
    #: The language of her letters; None: the first she speaks that letters are written in.
    correspondence_language: str | None = None
    # -- issue 13, control over the matching (engine helper) -------------------------------
    #: How far she can travel (km); None: the agency's limit.
    max_distance_km: float | None = None
    #: Her own gender, for same-gender or women-only tandems; None: not given.
    gender: str | None = None
    #: Interests from the agency's list.
    interests: list[str] = field(default_factory=list)
    #: Her household: size, children's age bands, needs (`services.people.households`).
    household: households.Household = field(default_factory=households.Household)


@dataclass
class StaffConsent:
    """Consent a staff member took on paper, in person or through an interpreter."""

    purposes: set[str]
    language: str
    channel: str
    interpreter_role: str | None = None


def _check(details: NewcomerDetails) -> tuple[float, float]:
    vocabulary.check_profile(details.languages, details.slots, None)
    details.contact = contact.checked(details.contact)
    language = details.contact.interpreter_language
    if language is not None and not vocabulary.is_language(language):
        raise Invalid("bad_details", field="interpreter_language")
    details.correspondence_language = contact.correspondence_language(
        details.correspondence_language, details.languages
    )
    if not details.first_name.strip() or len(details.first_name) > 100:
        raise Invalid("bad_details", field="first_name")
    if details.age_band not in AGE_BANDS:
        raise Invalid("bad_details", field="age_band")
    if details.mentor_gender is not None and details.mentor_gender not in GENDERS:
        raise Invalid("bad_details", field="mentor_gender")
    if not set(details.topics) <= set(TOPICS):
        raise Invalid("bad_details", field="topics")
    # Issue 13 (engine helper): mobility, own gender, interests.
    if details.max_distance_km is not None and not 0 < details.max_distance_km <= 500:
        raise Invalid("bad_details", field="max_distance_km")
    if details.gender is not None and details.gender not in GENDERS:
        raise Invalid("bad_details", field="gender")
    if len(details.interests) > MAX_INTERESTS or any(
        not isinstance(i, str) or not i or len(i) > INTEREST_MAX_LENGTH for i in details.interests
    ):
        raise Invalid("bad_details", field="interests")
    details.household = households.checked_household(details.household)
    position = vocabulary.postcode_position(details.postcode)
    if position is None:
        raise Invalid("bad_details", field="postcode")
    return position


def register(
    agency: Agency, details: NewcomerDetails, consent: StaffConsent, actor: User, *, on: date
) -> Newcomer:
    """Register a newcomer of the agency, waiting from `on`."""
    lat, lon = _check(details)
    if "matching" not in consent.purposes or not consent.purposes <= set(CONSENT_PURPOSES):
        raise Invalid("bad_details", field="consents")
    taking = consents.Taking(consent.language, consent.channel, consent.interpreter_role)
    consents.check_taking(taking, vocabulary.is_language)
    newcomer = Newcomer(agency_id=agency.id, created_by_id=actor.id, waiting_since=on)
    _apply(newcomer, details, lat, lon)
    db.session.add(newcomer)
    db.session.flush()
    for purpose in sorted(consent.purposes):
        consents.record(agency, newcomer, purpose, taking, actor)
    audit.about("newcomer.create", newcomer, actor)
    return newcomer


def _apply(newcomer: Newcomer, details: NewcomerDetails, lat: float, lon: float) -> None:
    newcomer.first_name = details.first_name.strip()
    newcomer.contact_note = details.contact_note.strip()
    newcomer.postcode = details.postcode
    newcomer.lat, newcomer.lon = lat, lon
    newcomer.age_band = details.age_band
    newcomer.slots = slots_to_mask(details.slots)
    newcomer.topics = sorted(set(details.topics))
    households.apply_household(newcomer, details.household, details.minors)
    newcomer.mentor_gender = details.mentor_gender
    newcomer.phone = details.contact.phone
    newcomer.contact_channel = details.contact.channel
    newcomer.social_worker_contact = details.contact.social_worker_contact
    newcomer.interpreter_needed = details.contact.interpreter_needed
    newcomer.interpreter_language = details.contact.interpreter_language
    newcomer.correspondence_language = details.correspondence_language or "de"
    # Issue 13 (engine helper).
    newcomer.max_distance_km = details.max_distance_km
    newcomer.gender = details.gender
    newcomer.interests = sorted(set(details.interests)) or None
    held = {lang.code: lang for lang in newcomer.languages}
    for code in set(held) - set(details.languages):
        newcomer.languages.remove(held[code])
    for code, level in details.languages.items():
        if code in held:
            held[code].level = level
        else:
            newcomer.languages.append(NewcomerLanguage(code=code, level=level))


def _claim(newcomer: Newcomer, loaded_at: datetime | None) -> None:
    """Take the row for this change, unless someone changed it after `loaded_at`.

    The conditional UPDATE also locks the row until commit, so of two coordinators saving
    at once the second sees the first one's change and gets a conflict, not a lost update.
    """
    condition = [Newcomer.id == newcomer.id, Newcomer.anonymised_at.is_(None)]
    if loaded_at is not None:
        condition.append(Newcomer.updated_at == loaded_at)
    result = db.session.execute(
        update(Newcomer)
        .where(*condition)
        .values(updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("changed_meanwhile", entity="newcomer")


def update_details(
    newcomer: Newcomer, details: NewcomerDetails, actor: User, loaded_at: datetime | None
) -> None:
    """Change a newcomer's details; refuses if someone else saved since `loaded_at`."""
    lat, lon = _check(details)
    _claim(newcomer, loaded_at)
    db.session.refresh(newcomer)
    before = profile_history.snapshot(newcomer)
    _apply(newcomer, details, lat, lon)
    audit.about("newcomer.update", newcomer, actor)
    profile_history.record(
        newcomer, before, profile_history.snapshot(newcomer), actor, "coordinator"
    )


def change_status(newcomer: Newcomer, change: str, actor: User, *, on: date) -> None:
    """Pause, resume, close or reopen a newcomer (the domain's transitions)."""
    transitions.NEWCOMER.check_button(change)
    transitions.apply(newcomer, change, actor=actor, on=on)


def view(newcomer: Newcomer, actor: User) -> None:
    """Record that a coordinator opened the newcomer's page."""
    audit.about("newcomer.view", newcomer, actor)
