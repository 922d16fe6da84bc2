"""Volunteer self-service without a password: a magic link by mail opens the profile.

A link carries the volunteer's `token_version`. Opening it bumps the version, so a link
works once (a second click finds it used) and every older link stops working; the session
it opens carries the new version. Logging out and erasure bump it too.

Pausing, resuming, withdrawing consent and deleting one's data go through the domain's
transitions like a coordinator's buttons do, with their side effects; the coordinators
are told by mail.
"""

import enum
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from matcher import i18n
from matcher.domain import audit, locales, transitions
from matcher.domain.errors import Invalid, Refused
from matcher.domain.vocab import CONSENT_PURPOSES, TOPICS, slots_to_mask
from matcher.extensions import db
from matcher.models import (
    Agency,
    ConsentRecord,
    OutboxMessage,
    Volunteer,
    VolunteerLanguage,
    utcnow,
)
from matcher.services.people import erasure, households, profile_history
from matcher.services.platform import notices, outbox, tokens, vocabulary


class LinkState(enum.Enum):
    """What a magic link turned out to be."""

    VALID = "valid"
    EXPIRED = "expired"
    USED = "used"
    INVALID = "invalid"


def link_lifetime() -> timedelta:
    """How long a magic link (and the session it opens) lasts."""
    return timedelta(minutes=int(current_app.config["MAGIC_LINK_MINUTES"]))


def magic_token(volunteer: Volunteer) -> str:
    """A token that opens this volunteer's profile once, for a limited time."""
    return tokens.make(tokens.MAGIC_LINK, {"v": volunteer.id, "t": volunteer.token_version})


def ask_for_link(email: str) -> None:
    """A volunteer asks for a profile link: noted for the outbox worker, which mails one to
    each confirmed registration of the address (`request_link`). The request does the same
    work for every address, known or not (L4)."""
    outbox.enqueue(outbox.LINK_REQUEST, email.strip().lower(), "", "")


def request_link(email: str) -> list[OutboxMessage]:
    """Mail a profile link to every confirmed registration of this address; silent otherwise.

    Each mail is written in the language that registration keeps (`Volunteer.locale`), not
    in the one the request happened to come in.
    """
    address = email.strip().lower()
    volunteers = db.session.scalars(
        select(Volunteer).where(
            Volunteer.email == address,
            Volunteer.email_confirmed_at.is_not(None),
            Volunteer.anonymised_at.is_(None),
        )
    ).all()
    minutes = current_app.config["MAGIC_LINK_MINUTES"]
    mails: list[OutboxMessage] = []
    for volunteer in volunteers:
        subject, body = i18n.render_mail(
            "magic_link",
            volunteer.locale,
            volunteer=volunteer,
            token=magic_token(volunteer),
            minutes=minutes,
        )
        mails.append(outbox.enqueue("magic_link", volunteer.email, subject, body))
        audit.about("volunteer.magic_link", volunteer, None)
    return mails


def resolve(token: str) -> tuple[LinkState, Volunteer | None]:
    """The volunteer a magic link was made for, if it is genuine, recent and not used."""
    try:
        payload = tokens.read(tokens.MAGIC_LINK, token, int(link_lifetime().total_seconds()))
    except tokens.TokenExpired:
        return LinkState.EXPIRED, None
    except tokens.TokenInvalid:
        return LinkState.INVALID, None
    volunteer_id, version = payload.get("v"), payload.get("t")
    volunteer = current(volunteer_id, version)
    if volunteer is not None:
        return LinkState.VALID, volunteer
    if isinstance(volunteer_id, int) and isinstance(version, int):
        found = db.session.get(Volunteer, volunteer_id)
        if found is not None and found.anonymised_at is None and found.token_version > version:
            return LinkState.USED, None
    return LinkState.INVALID, None


def open_session(volunteer: Volunteer) -> int:
    """Open the profile from a link: the link (and every older one) is used up; return the
    token version the new session carries."""
    volunteer.token_version += 1
    audit.about("volunteer.link_open", volunteer, None)
    db.session.flush()
    return volunteer.token_version


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


def agency_of(volunteer: Volunteer) -> Agency:
    """The agency a volunteer signed up with."""
    agency = db.session.get(Agency, volunteer.agency_id)
    assert agency is not None
    return agency


def update_profile(
    volunteer: Volunteer,
    languages: dict[str, str],
    slots: list[str],
    capacity: int,
    topics: list[str],
    family: households.FamilyOffer | None = None,
) -> None:
    """Change languages, weekly times, topics, how many Patenschaften at once and (when
    given) the family offer."""
    vocabulary.check_profile(languages, slots, capacity)
    if not set(topics) <= set(TOPICS):
        raise Invalid("bad_details", field="topics")
    before = profile_history.snapshot(volunteer)
    if family is not None:
        households.apply_offer(volunteer, households.checked_offer(family))
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
    audit.about("volunteer.self_update", volunteer, None)
    profile_history.record(volunteer, before, profile_history.snapshot(volunteer), None, "self")


def set_language(volunteer: Volunteer, code: str) -> None:
    """Choose the language of the volunteer's mails (and of their profile when it opens)."""
    if code not in locales.VOLUNTEER_LANGUAGES:
        raise Invalid("bad_details", field="locale")
    if volunteer.locale != code:
        volunteer.locale = code
        audit.about("volunteer.self_update", volunteer, None)


def pause(volunteer: Volunteer, *, on: date) -> None:
    """Take a break: no new proposals until resumed; open proposals are withdrawn."""
    notices.send(transitions.apply(volunteer, "pause", actor=None, on=on).notices)


def resume(volunteer: Volunteer, *, on: date) -> None:
    """End a break (only with consent to matching in force)."""
    notices.send(transitions.apply(volunteer, "resume", actor=None, on=on).notices)


def consents(volunteer: Volunteer) -> dict[str, ConsentRecord]:
    """The volunteer's consents that are in force, by purpose."""
    return {c.purpose: c for c in volunteer.consents if c.withdrawn_at is None}


def withdraw_consent(volunteer: Volunteer, purpose: str, *, on: date) -> None:
    """Withdraw one consent. Without consent to matching the volunteer leaves the matching:
    proposals go, Patenschaften not yet started end, running ones are flagged."""
    if purpose not in CONSENT_PURPOSES:
        raise Invalid("bad_details", field="purpose")
    record = consents(volunteer).get(purpose)
    if record is None:
        raise Refused("no_consent_in_force")
    record.withdrawn_at = utcnow()
    audit.about(f"volunteer.consent_withdraw.{purpose}", volunteer, None)
    db.session.flush()
    db.session.expire(volunteer, ["consents"])
    if purpose == "matching":
        outcome = transitions.apply(volunteer, "withdraw_consent", actor=None, on=on)
        notices.send(outcome.notices)


def give_consent(volunteer: Volunteer, purpose: str, language: str) -> None:
    """Give a consent (again) online, on the agency's current privacy notice."""
    if purpose not in CONSENT_PURPOSES:
        raise Invalid("bad_details", field="purpose")
    if purpose in consents(volunteer):
        return
    # Read before the savepoint: on SQLite a read inside it would pin a snapshot, and a
    # double click's other request committing meanwhile would make the insert "locked".
    version = agency_of(volunteer).privacy_notice_version
    try:
        with db.session.begin_nested():
            db.session.add(
                ConsentRecord(
                    agency_id=volunteer.agency_id,
                    volunteer_id=volunteer.id,
                    purpose=purpose,
                    notice_version=version,
                    language=language,
                    channel="online",
                )
            )
            db.session.flush()
    except IntegrityError:  # given meanwhile (a double click): one consent in force is kept
        db.session.expire(volunteer, ["consents"])
        return
    audit.about(f"volunteer.consent_give.{purpose}", volunteer, None)
    db.session.flush()
    db.session.expire(volunteer, ["consents"])


def end_session(volunteer: Volunteer) -> None:
    """Log out everywhere: every magic link sent so far stops working."""
    volunteer.token_version += 1
    audit.about("volunteer.self_logout", volunteer, None)


def erase(volunteer: Volunteer, *, on: date) -> None:
    """Delete everything about the volunteer (their mails too), leaving only anonymous counts;
    their Patenschaften end and their newcomers wait again."""
    notices.send(erasure.erase_volunteer(volunteer, None, on=on).notices)
