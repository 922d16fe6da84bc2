"""Volunteer sign-up with double opt-in: register, confirm by mail, purge what was never confirmed.

A sign-up with an address already registered at the agency changes nothing and gets the
same answer on the page; the mail goes to that address only, so the page never tells a
stranger whether someone is registered.

Anyone can type someone else's address (I7). Until its owner confirms, the record is not
offered for matching or contact (`matcher.domain.eligibility`: only confirmed volunteers
take part), the latest sign-up replaces it (L9), and the form sends the address at most
`SIGNUP_MAILS_PER_ADDRESS_PER_DAY` mails in 24 hours, counted in the outbox; beyond that
the sign-up is stored (or replaces) as before but no mail goes out, and the page says the
same as ever.
"""

import enum
import hashlib
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, exists, select, update
from sqlalchemy.exc import IntegrityError

from matcher import i18n
from matcher.domain import audit, phones
from matcher.domain.errors import Invalid
from matcher.domain.vocab import (
    AGE_BANDS,
    CONSENT_PURPOSES,
    GENDERS,
    TOPICS,
    slots_to_mask,
)
from matcher.extensions import db
from matcher.models import Agency, ConsentRecord, Match, Volunteer, VolunteerLanguage, utcnow
from matcher.services.people import households, selfservice
from matcher.services.platform import outbox, tokens, vocabulary
from matcher.services.platform.accounts import normalise_email


@dataclass
class VolunteerDetails:
    """What a volunteer tells about themselves when signing up."""

    first_name: str
    last_name: str
    email: str
    postcode: str
    age_band: str
    languages: dict[str, str]
    slots: list[str]
    capacity: int = 1
    topics: list[str] = field(default_factory=list)
    phone: str = ""
    gender: str | None = None
    motivation: str = ""
    can_show_certificate: bool = False
    #: Families welcome, how many people, children's ages (`services.people.households`).
    family: households.FamilyOffer = field(default_factory=households.FamilyOffer)


class Confirmation(enum.Enum):
    """What opening a confirmation link did."""

    CONFIRMED = "confirmed"
    ALREADY = "already"
    EXPIRED = "expired"
    INVALID = "invalid"


def agencies() -> list[Agency]:
    """The agencies one can sign up with, by name."""
    return list(db.session.scalars(select(Agency).order_by(Agency.name)))


def _check(details: VolunteerDetails) -> tuple[float, float]:
    vocabulary.check_profile(details.languages, details.slots, details.capacity)
    for name in (details.first_name, details.last_name):
        if not name.strip() or len(name) > 100:
            raise Invalid("bad_details", field="name")
    if details.age_band not in AGE_BANDS or details.age_band == "under_18":
        raise Invalid("bad_details", field="age_band")
    if details.gender is not None and details.gender not in GENDERS:
        raise Invalid("bad_details", field="gender")
    if not set(details.topics) <= set(TOPICS):
        raise Invalid("bad_details", field="topics")
    details.family = households.checked_offer(details.family)
    position = vocabulary.postcode_position(details.postcode)
    if position is None:
        raise Invalid("bad_details", field="postcode")
    return position


def sign_up(agency: Agency, details: VolunteerDetails, consents: set[str], language: str) -> None:
    """Register a volunteer (unconfirmed) and queue the confirmation mail, in one transaction.

    `language` is the one the volunteer signed up in: their mails are written in it.
    """
    lat, lon = _check(details)
    if "matching" not in consents or not consents <= set(CONSENT_PURPOSES):
        raise Invalid("bad_details", field="consents")
    email = normalise_email(details.email)
    existing = _registered(agency, email)
    if existing is not None and _replaceable(existing):
        # Until an address is confirmed, the latest sign-up with it counts (L9): an earlier
        # one may have been typed by someone else. Its links stop working with it.
        _remove_unconfirmed([(existing.id, existing.email, existing.agency_id)],
                            "volunteer.signup_replaced", keep_sent=True)  # fmt: skip
        db.session.flush()
        db.session.expunge(existing)
        existing = None
    if existing is not None:
        _answer_repeat(agency, existing)
        return
    volunteer = Volunteer(
        agency_id=agency.id,
        first_name=details.first_name.strip(),
        last_name=details.last_name.strip(),
        email=email,
        phone=phones.normalise(details.phone),
        postcode=details.postcode,
        lat=lat,
        lon=lon,
        age_band=details.age_band,
        gender=details.gender,
        slots=slots_to_mask(details.slots),
        topics=sorted(set(details.topics)),
        capacity=details.capacity,
        motivation=details.motivation.strip(),
        can_show_certificate=details.can_show_certificate,
        status="applied",
        locale=language,
        languages=[VolunteerLanguage(code=c, level=lv) for c, lv in details.languages.items()],
    )
    households.apply_offer(volunteer, details.family)
    db.session.add(volunteer)
    try:
        db.session.flush()
    except IntegrityError:  # the same address signed up in a parallel request just now
        db.session.rollback()
        existing = _registered(agency, email)
        if existing is None:
            raise
        _answer_repeat(agency, existing)
        return
    for purpose in sorted(consents):
        db.session.add(
            ConsentRecord(
                agency_id=agency.id,
                volunteer_id=volunteer.id,
                purpose=purpose,
                notice_version=agency.privacy_notice_version,
                language=language,
                channel="online",
            )
        )
    _queue_confirmation(agency, volunteer)
    audit.about("volunteer.signup", volunteer, None)


def _registered(agency: Agency, email: str) -> Volunteer | None:
    return db.session.scalar(
        select(Volunteer).where(Volunteer.agency_id == agency.id, Volunteer.email == email)
    )


def _replaceable(volunteer: Volunteer) -> bool:
    """An online sign-up whose address nobody has confirmed yet, with no Patenschaft: the
    latest sign-up with its address replaces it. Imported people are never replaced."""
    if volunteer.email_confirmed_at is not None or volunteer.anonymised_at is not None:
        return False
    online = db.session.scalar(
        select(
            exists().where(
                ConsentRecord.volunteer_id == volunteer.id, ConsentRecord.channel == "online"
            )
        )
    )
    matched = db.session.scalar(select(exists().where(Match.volunteer_id == volunteer.id)))
    return bool(online) and not matched


def _answer_repeat(agency: Agency, volunteer: Volunteer) -> None:
    """Mail the address that is registered already: a new confirmation link or a profile link,
    in the language that registration keeps (a repeat changes nothing, its language neither)."""
    if volunteer.email_confirmed_at is None:
        _queue_confirmation(agency, volunteer)
    elif _may_mail(volunteer):
        subject, body = i18n.render_mail(
            "signup_again",
            volunteer.locale,
            agency=agency,
            volunteer=volunteer,
            token=selfservice.magic_token(volunteer),
            minutes=current_app.config["MAGIC_LINK_MINUTES"],
        )
        outbox.enqueue("signup_again", volunteer.email, subject, body)
    audit.about("volunteer.signup_repeat", volunteer, None)


#: The mails the sign-up form sends an address; they count against its daily limit (I7).
SIGNUP_MAIL_KINDS = ("signup_confirm", "signup_again")


def _may_mail(volunteer: Volunteer) -> bool:
    """Whether the form may mail this address once more: fewer than
    `SIGNUP_MAILS_PER_ADDRESS_PER_DAY` sign-up mails to it in the last 24 hours (at every
    agency; mails taken back before they went out do not count). A withheld mail is audited."""
    limit = int(current_app.config["SIGNUP_MAILS_PER_ADDRESS_PER_DAY"])
    since = utcnow() - timedelta(days=1)
    if outbox.count_to(volunteer.email, SIGNUP_MAIL_KINDS, since) < limit:
        return True
    audit.about("volunteer.signup_mail_withheld", volunteer, None)
    return False


def _queue_confirmation(agency: Agency, volunteer: Volunteer) -> None:
    if not _may_mail(volunteer):
        return
    token = tokens.make(tokens.CONFIRM, {"v": volunteer.id, "e": _fingerprint(volunteer.email)})
    subject, body = i18n.render_mail(
        "signup_confirm",
        volunteer.locale,
        agency=agency,
        volunteer=volunteer,
        token=token,
        hours=current_app.config["SIGNUP_CONFIRM_HOURS"],
    )
    outbox.enqueue("signup_confirm", volunteer.email, subject, body)


def _fingerprint(email: str) -> str:
    """Binds a link to the address without putting the address into the link."""
    return hashlib.sha256(email.encode()).hexdigest()[:20]


def pending(token: str) -> tuple[Confirmation | None, Volunteer | None]:
    """The sign-up a confirmation link is for, to show before it is confirmed (L9: the
    person sees exactly what they confirm). (None, volunteer) while it waits; a state
    otherwise."""
    state, volunteer = _read_link(token)
    if state is not None:
        return state, None
    assert volunteer is not None
    if volunteer.email_confirmed_at is not None:
        return Confirmation.ALREADY, volunteer
    return None, volunteer


def _read_link(token: str) -> tuple[Confirmation | None, Volunteer | None]:
    max_age = int(current_app.config["SIGNUP_CONFIRM_HOURS"]) * 3600
    try:
        payload = tokens.read(tokens.CONFIRM, token, max_age)
    except tokens.TokenExpired:
        return Confirmation.EXPIRED, None
    except tokens.TokenInvalid:
        return Confirmation.INVALID, None
    volunteer_id, email = payload.get("v"), payload.get("e")
    if not isinstance(volunteer_id, int) or not isinstance(email, str):
        return Confirmation.INVALID, None
    volunteer = db.session.get(Volunteer, volunteer_id)
    if (
        volunteer is None
        or _fingerprint(volunteer.email) != email
        or volunteer.anonymised_at is not None
    ):
        return Confirmation.INVALID, None
    return None, volunteer


def confirm(token: str) -> tuple[Confirmation, Volunteer | None]:
    """Confirm the address of the sign-up a link was made for; a link confirms only once."""
    state, volunteer = _read_link(token)
    if state is not None:
        return state, None
    assert volunteer is not None
    # Conditional, so that two clicks at once still confirm (and audit) only once.
    result = db.session.execute(
        update(Volunteer)
        .where(Volunteer.id == volunteer.id, Volunteer.email_confirmed_at.is_(None))
        .values(email_confirmed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return Confirmation.ALREADY, volunteer
    audit.about("volunteer.confirm", volunteer, None)
    return Confirmation.CONFIRMED, volunteer


def purge_unconfirmed(older_than_days: int | None = None) -> int:
    """Delete sign-ups never confirmed within `older_than_days` (default: the configured days).

    They never became volunteers, so nothing of them is kept — not even an anonymous row.
    Returns how many were deleted.
    """
    days = older_than_days
    if days is None:
        days = int(current_app.config["UNCONFIRMED_PURGE_DAYS"])
    cutoff = utcnow() - timedelta(days=days)
    stale = db.session.execute(
        select(Volunteer.id, Volunteer.email, Volunteer.agency_id).where(
            Volunteer.email_confirmed_at.is_(None),
            Volunteer.anonymised_at.is_(None),
            Volunteer.created_at < cutoff,
            ~exists().where(Match.volunteer_id == Volunteer.id),
            # Only online sign-ups, which record their consent as they are made: imported
            # people have no online consent and wait for their interview instead.
            exists().where(
                ConsentRecord.volunteer_id == Volunteer.id, ConsentRecord.channel == "online"
            ),
        )
    ).all()
    _remove_unconfirmed([(row[0], row[1], row[2]) for row in stale], "volunteer.purge_unconfirmed")
    return len(stale)


def _remove_unconfirmed(
    rows: list[tuple[int, str, int]], action: str, *, keep_sent: bool = False
) -> None:
    """Delete unconfirmed sign-ups (id, email, agency id) with their languages, consents and
    queued confirmation mails; the audit log keeps the fact under `action`. `keep_sent`
    (a sign-up replaced by the next one) keeps the mails that went out already: they count
    against the address's daily limit, and go with the other sent mails after
    `SENT_MAIL_RETENTION_DAYS`."""
    for volunteer_id, email, agency_id in rows:
        outbox.forget_address(email, ("signup_confirm",), unsent_only=keep_sent)
        audit.record(
            db.session,
            action,
            actor=None,
            object_type="volunteer",
            object_id=volunteer_id,
            agency_id=agency_id,
        )
    if rows:
        ids = [row[0] for row in rows]
        db.session.execute(delete(ConsentRecord).where(ConsentRecord.volunteer_id.in_(ids)))
        db.session.execute(delete(VolunteerLanguage).where(VolunteerLanguage.volunteer_id.in_(ids)))
        db.session.execute(
            delete(Volunteer)
            .where(Volunteer.id.in_(ids))
            .execution_options(synchronize_session=False)
        )
