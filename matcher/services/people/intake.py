"""Newcomer intake by coordinators: register with paper or in-person consent, edit, pause, close.

Newcomers usually have no account: the coordinator explains the privacy notice, in a
language the newcomer understands, and records who took the consent, on which channel.
"""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import exists, select, update

from matcher.extensions import db
from matcher.models import ConsentRecord, Match, Newcomer, NewcomerLanguage, User, utcnow
from matcher.models.vocab import (
    AGE_BANDS,
    CONSENT_CHANNELS,
    CONSENT_PURPOSES,
    GENDERS,
    OPEN_MATCH_STATUSES,
    TOPICS,
    slots_to_mask,
)
from matcher.services.people import erasure
from matcher.services.platform import audit, vocabulary


class IntakeError(ValueError):
    """An intake request that breaks a rule."""


class Conflict(IntakeError):
    """Someone else changed the newcomer since the form was loaded."""


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


@dataclass
class StaffConsent:
    """Consent a staff member took on paper or in person."""

    purposes: set[str]
    language: str
    channel: str


def _check(details: NewcomerDetails) -> tuple[float, float]:
    try:
        vocabulary.check_profile(details.languages, details.slots, None)
    except vocabulary.InvalidProfile as e:
        raise IntakeError(str(e)) from None
    if not details.first_name.strip() or len(details.first_name) > 100:
        raise IntakeError("a first name is required")
    if details.age_band not in AGE_BANDS:
        raise IntakeError("unknown age band")
    if details.mentor_gender is not None and details.mentor_gender not in GENDERS:
        raise IntakeError("unknown gender")
    if not set(details.topics) <= set(TOPICS):
        raise IntakeError("unknown topic")
    position = vocabulary.postcode_position(details.postcode)
    if position is None:
        raise IntakeError("unknown postcode")
    return position


def register(details: NewcomerDetails, consent: StaffConsent, actor: User) -> Newcomer:
    """Register a newcomer of the coordinator's agency, waiting from today."""
    if actor.agency_id is None:
        raise IntakeError("only a coordinator of an agency registers newcomers")
    lat, lon = _check(details)
    if "matching" not in consent.purposes or not consent.purposes <= set(CONSENT_PURPOSES):
        raise IntakeError("consent to matching is required")
    if consent.channel not in CONSENT_CHANNELS or consent.channel == "online":
        raise IntakeError("intake consent is taken on paper or in person")
    if not vocabulary.is_language(consent.language):
        raise IntakeError("unknown consent language")
    agency = actor.agency
    assert agency is not None
    newcomer = Newcomer(agency_id=agency.id, created_by_id=actor.id, waiting_since=utcnow().date())
    _apply(newcomer, details, lat, lon)
    db.session.add(newcomer)
    db.session.flush()
    for purpose in sorted(consent.purposes):
        db.session.add(
            ConsentRecord(
                agency_id=agency.id,
                newcomer_id=newcomer.id,
                purpose=purpose,
                notice_version=agency.privacy_notice_version,
                language=consent.language,
                channel=consent.channel,
                taken_by_id=actor.id,
            )
        )
    _audit("newcomer.create", newcomer, actor)
    db.session.commit()
    return newcomer


def _apply(newcomer: Newcomer, details: NewcomerDetails, lat: float, lon: float) -> None:
    newcomer.first_name = details.first_name.strip()
    newcomer.contact_note = details.contact_note.strip()
    newcomer.postcode = details.postcode
    newcomer.lat, newcomer.lon = lat, lon
    newcomer.age_band = details.age_band
    newcomer.slots = slots_to_mask(details.slots)
    newcomer.topics = sorted(set(details.topics))
    newcomer.minors = details.minors
    newcomer.mentor_gender = details.mentor_gender
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
        db.session.rollback()
        raise Conflict("changed by someone else")


def update_details(
    newcomer: Newcomer, details: NewcomerDetails, actor: User, loaded_at: datetime | None
) -> None:
    """Change a newcomer's details; refuses if someone else saved since `loaded_at`."""
    lat, lon = _check(details)
    _claim(newcomer, loaded_at)
    db.session.refresh(newcomer)
    _apply(newcomer, details, lat, lon)
    _audit("newcomer.update", newcomer, actor)
    db.session.commit()


def has_open_match(newcomer: Newcomer) -> bool:
    """Whether the newcomer has a proposed, approved, active or paused Patenschaft."""
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    Match.newcomer_id == newcomer.id, Match.status.in_(OPEN_MATCH_STATUSES)
                )
            )
        )
    )


# status change -> (statuses it may start from, the new status)
TRANSITIONS = {
    "pause": (("waiting",), "paused"),
    "resume": (("paused",), "waiting"),
    "close": (("waiting", "paused", "matched"), "closed"),
    "reopen": (("closed",), "waiting"),
}


def change_status(newcomer: Newcomer, change: str, actor: User) -> None:
    """Pause, resume, close or reopen a newcomer."""
    if change not in TRANSITIONS or newcomer.anonymised_at is not None:
        raise IntakeError("unknown change")
    starts, target = TRANSITIONS[change]
    if newcomer.status not in starts:
        raise Conflict(f"cannot {change} a newcomer who is {newcomer.status}")
    if change == "close" and has_open_match(newcomer):
        raise Conflict("end the Patenschaft first")
    # Conditional on the status read, so two coordinators' clicks cannot cross.
    result = db.session.execute(
        update(Newcomer)
        .where(Newcomer.id == newcomer.id, Newcomer.status == newcomer.status)
        .values(status=target, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        raise Conflict("changed by someone else")
    if change == "reopen":
        db.session.execute(
            update(Newcomer).where(Newcomer.id == newcomer.id).values(waiting_since=utcnow().date())
        )
    _audit(f"newcomer.{change}", newcomer, actor)
    db.session.commit()
    db.session.refresh(newcomer)


def erase(newcomer: Newcomer, actor: User) -> None:
    """Erase a newcomer's personal data; the anonymous counts stay."""
    erasure.erase_newcomer(newcomer, actor)


def consents(newcomer: Newcomer) -> list[ConsentRecord]:
    """Every consent record of a newcomer, newest first."""
    return list(
        db.session.scalars(
            select(ConsentRecord)
            .where(ConsentRecord.newcomer_id == newcomer.id)
            .order_by(ConsentRecord.given_at.desc())
        )
    )


def _audit(action: str, newcomer: Newcomer, actor: User) -> None:
    audit.record(
        action,
        object_type="newcomer",
        object_id=newcomer.id,
        agency_id=newcomer.agency_id,
        actor=actor,
    )
