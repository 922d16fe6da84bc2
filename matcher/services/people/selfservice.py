"""Volunteer self-service without a password: a magic link by mail opens the profile.

A link carries the volunteer's `token_version`; bumping it (logging out, erasure) revokes
every link sent so far.
"""

import enum
from datetime import datetime, timedelta

from flask import current_app, url_for
from sqlalchemy import select

from matcher.extensions import db
from matcher.models import ConsentRecord, Volunteer, VolunteerLanguage, utcnow
from matcher.models.vocab import CONSENT_PURPOSES, TOPICS, slots_to_mask
from matcher.services.people import certificates, erasure
from matcher.services.platform import audit, mail, outbox, tokens, vocabulary


class SelfServiceError(ValueError):
    """A self-service request that the volunteer's state does not allow."""


class LinkState(enum.Enum):
    """What a magic link turned out to be."""

    VALID = "valid"
    EXPIRED = "expired"
    INVALID = "invalid"


def link_lifetime() -> timedelta:
    """How long a magic link (and the session it opens) lasts."""
    return timedelta(minutes=int(current_app.config["MAGIC_LINK_MINUTES"]))


def magic_link(volunteer: Volunteer) -> str:
    """A link that opens this volunteer's profile for a limited time."""
    token = tokens.make(tokens.MAGIC_LINK, {"v": volunteer.id, "t": volunteer.token_version})
    return tokens.link(url_for("volunteer.open_link"), token)


def request_link(email: str, language: str) -> None:
    """Mail a profile link to every confirmed registration of this address; silent otherwise."""
    address = email.strip().lower()
    volunteers = db.session.scalars(
        select(Volunteer).where(
            Volunteer.email == address,
            Volunteer.email_confirmed_at.is_not(None),
            Volunteer.anonymised_at.is_(None),
        )
    ).all()
    minutes = current_app.config["MAGIC_LINK_MINUTES"]
    for volunteer in volunteers:
        subject, body = mail.render(
            "magic_link", language, volunteer=volunteer, link=magic_link(volunteer), minutes=minutes
        )
        outbox.enqueue("magic_link", volunteer.email, subject, body)
        audit.record(
            "volunteer.magic_link",
            object_type="volunteer",
            object_id=volunteer.id,
            agency_id=volunteer.agency_id,
        )
    db.session.commit()


def resolve(token: str) -> tuple[LinkState, Volunteer | None]:
    """The volunteer a magic link was made for, if it is genuine, recent and not revoked."""
    try:
        payload = tokens.read(tokens.MAGIC_LINK, token, int(link_lifetime().total_seconds()))
    except tokens.TokenExpired:
        return LinkState.EXPIRED, None
    except tokens.TokenInvalid:
        return LinkState.INVALID, None
    volunteer = current(payload.get("v"), payload.get("t"))
    return (LinkState.VALID, volunteer) if volunteer else (LinkState.INVALID, None)


def current(volunteer_id: object, token_version: object) -> Volunteer | None:
    """The volunteer of a self-service session, unless it was revoked or they were erased."""
    if not isinstance(volunteer_id, int) or not isinstance(token_version, int):
        return None
    volunteer = db.session.get(Volunteer, volunteer_id)
    if (
        volunteer is None
        or volunteer.token_version != token_version
        or volunteer.anonymised_at is not None
        or volunteer.email_confirmed_at is None
    ):
        return None
    return volunteer


def session_expiry() -> datetime:
    """When a self-service session opened now ends."""
    return utcnow() + link_lifetime()


def update_profile(
    volunteer: Volunteer,
    languages: dict[str, str],
    slots: list[str],
    capacity: int,
    topics: list[str],
) -> None:
    """Change languages, weekly times, topics and how many Patenschaften at once."""
    try:
        vocabulary.check_profile(languages, slots, capacity)
    except vocabulary.InvalidProfile as e:
        raise SelfServiceError(str(e)) from None
    if not set(topics) <= set(TOPICS):
        raise SelfServiceError("unknown topic")
    current_codes = {lang.code: lang for lang in volunteer.languages}
    for code in set(current_codes) - set(languages):
        volunteer.languages.remove(current_codes[code])
    for code, level in languages.items():
        if code in current_codes:
            current_codes[code].level = level
        else:
            volunteer.languages.append(VolunteerLanguage(code=code, level=level))
    volunteer.slots = slots_to_mask(slots)
    volunteer.capacity = capacity
    volunteer.topics = sorted(set(topics))
    _audit("volunteer.self_update", volunteer)
    db.session.commit()


def pause(volunteer: Volunteer) -> None:
    """Take a break: no new proposals until resumed."""
    if volunteer.status != "active":
        raise SelfServiceError("only an active volunteer can pause")
    volunteer.status = "paused"
    _audit("volunteer.self_pause", volunteer)
    db.session.commit()


def resume(volunteer: Volunteer) -> None:
    """End a break."""
    if volunteer.status != "paused":
        raise SelfServiceError("only a paused volunteer can resume")
    if not _consented(volunteer, "matching"):
        raise SelfServiceError("consent to matching was withdrawn")
    volunteer.status = "active"
    _audit("volunteer.self_resume", volunteer)
    db.session.commit()


def consents(volunteer: Volunteer) -> dict[str, ConsentRecord]:
    """The volunteer's consents that are in force, by purpose."""
    records = db.session.scalars(
        select(ConsentRecord).where(
            ConsentRecord.volunteer_id == volunteer.id, ConsentRecord.withdrawn_at.is_(None)
        )
    )
    return {r.purpose: r for r in records}


def _consented(volunteer: Volunteer, purpose: str) -> bool:
    return purpose in consents(volunteer)


def withdraw_consent(volunteer: Volunteer, purpose: str) -> None:
    """Withdraw one consent; without consent to matching the volunteer leaves the matching."""
    if purpose not in CONSENT_PURPOSES:
        raise SelfServiceError("unknown purpose")
    record = consents(volunteer).get(purpose)
    if record is None:
        raise SelfServiceError("no consent in force for this purpose")
    record.withdrawn_at = utcnow()
    if purpose == "matching":
        volunteer.status = "inactive"
        if volunteer.certificate_inspected_on is not None:
            certificates.delete_record(volunteer, None)
    _audit(f"volunteer.consent_withdraw.{purpose}", volunteer)
    db.session.commit()


def end_session(volunteer: Volunteer) -> None:
    """Log out everywhere: every magic link sent so far stops working."""
    volunteer.token_version += 1
    _audit("volunteer.self_logout", volunteer)
    db.session.commit()


def erase(volunteer: Volunteer) -> None:
    """Delete everything about the volunteer (their mails too), leaving only anonymous counts."""
    erasure.erase_volunteer(volunteer, actor=None, commit=False)
    db.session.commit()


def _audit(action: str, volunteer: Volunteer) -> None:
    audit.record(
        action, object_type="volunteer", object_id=volunteer.id, agency_id=volunteer.agency_id
    )
