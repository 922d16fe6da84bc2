"""A coordinator changes a volunteer's details, with history and optimistic locking.

The same checks as the sign-up and the volunteer's own profile (`vocabulary.check_profile`,
`domain.phones`); every changed field goes into the profile history
(`services.people.profile_history`).

A new e-mail address: the address is where the volunteer's profile links go, so the change
revokes every link sent so far (`token_version`), mails a fresh profile link to the new
address and tells the old address that it is no longer used (without naming the new one).
The history keeps the old and the new address.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, update

from matcher import i18n
from matcher.domain import audit, phones
from matcher.domain.errors import Conflict, Invalid
from matcher.domain.vocab import GENDERS, TOPICS, slots_to_mask
from matcher.extensions import db
from matcher.models import User, Volunteer, VolunteerLanguage, utcnow
from matcher.services.people import profile_history, selfservice
from matcher.services.platform import outbox, vocabulary


@dataclass
class VolunteerDetails:
    """What a coordinator may change about a volunteer."""

    first_name: str
    last_name: str
    email: str
    postcode: str
    languages: dict[str, str]
    slots: list[str]
    capacity: int
    topics: list[str] = field(default_factory=list)
    phone: str = ""
    gender: str | None = None


def _check(details: VolunteerDetails) -> tuple[float, float]:
    vocabulary.check_profile(details.languages, details.slots, details.capacity)
    for name in ("first_name", "last_name"):
        value = getattr(details, name).strip()
        if not value or len(value) > 100:
            raise Invalid("bad_details", field=name)
    email = details.email.strip().lower()
    if not email or "@" not in email or len(email) > 254:
        raise Invalid("bad_details", field="email")
    details.email = email
    details.phone = phones.normalise(details.phone)
    if details.gender is not None and details.gender not in GENDERS:
        raise Invalid("bad_details", field="gender")
    if not set(details.topics) <= set(TOPICS):
        raise Invalid("bad_details", field="topics")
    position = vocabulary.postcode_position(details.postcode)
    if position is None:
        raise Invalid("bad_details", field="postcode")
    return position


def fingerprint(volunteer: Volunteer) -> str:
    """The recorded details as one string: a form knows what it was loaded with."""
    joined = "\x1f".join(profile_history.snapshot(volunteer).values())
    return hashlib.sha256(joined.encode()).hexdigest()


def _claim(volunteer: Volunteer, loaded_at: datetime | None, loaded: str | None) -> None:
    """Take the row for this change, unless someone changed the details after `loaded_at`.

    The conditional UPDATE locks the row until commit, so of two coordinators saving at
    once the second gets a conflict, not a lost update. A row touched for another reason
    only (the volunteer opened a link, the status changed) is not a conflict when the
    details the form was loaded with (`loaded`) are still the same.
    """

    def take(stamp: datetime | None) -> bool:
        condition = [Volunteer.id == volunteer.id, Volunteer.anonymised_at.is_(None)]
        if stamp is not None:
            condition.append(Volunteer.updated_at == stamp)
        result = db.session.execute(
            update(Volunteer)
            .where(*condition)
            .values(updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    if take(loaded_at):
        return
    db.session.refresh(volunteer)
    if (
        volunteer.anonymised_at is None
        and loaded is not None
        and loaded == fingerprint(volunteer)
        and take(volunteer.updated_at)
    ):
        return
    raise Conflict("changed_meanwhile", entity="volunteer")


def update_volunteer(
    volunteer: Volunteer,
    details: VolunteerDetails,
    actor: User,
    loaded_at: datetime | None,
    loaded: str | None = None,
) -> list[str]:
    """Change a volunteer's details; refuses if someone else saved them since the form was
    loaded. Returns the names of the fields that changed."""
    lat, lon = _check(details)
    taken = db.session.scalar(
        select(func.count())
        .select_from(Volunteer)
        .where(Volunteer.email == details.email, Volunteer.id != volunteer.id)
    )
    if taken:
        raise Invalid("volunteer_email_taken")
    _claim(volunteer, loaded_at, loaded)
    db.session.refresh(volunteer)
    before = profile_history.snapshot(volunteer)
    old_email = volunteer.email
    volunteer.first_name = details.first_name.strip()
    volunteer.last_name = details.last_name.strip()
    volunteer.email = details.email
    volunteer.phone = details.phone
    if volunteer.postcode != details.postcode:
        volunteer.postcode = details.postcode
        volunteer.lat, volunteer.lon = lat, lon
    volunteer.gender = details.gender
    held = {lang.code: lang for lang in volunteer.languages}
    for code in set(held) - set(details.languages):
        volunteer.languages.remove(held[code])
    for code, level in details.languages.items():
        if code in held:
            held[code].level = level
        else:
            volunteer.languages.append(VolunteerLanguage(code=code, level=level))
    volunteer.slots = slots_to_mask(details.slots)
    volunteer.capacity = details.capacity
    volunteer.topics = sorted(set(details.topics))
    audit.about("volunteer.update", volunteer, actor)
    changes = profile_history.record(
        volunteer, before, profile_history.snapshot(volunteer), actor, "coordinator"
    )
    if volunteer.email != old_email:
        _address_changed(volunteer, old_email, actor)
    db.session.flush()
    return [c.field for c in changes]


def _address_changed(volunteer: Volunteer, old_email: str, actor: User) -> None:
    """Links go to the new address only: old ones stop working, the new one gets a link."""
    volunteer.token_version += 1
    audit.about("volunteer.email_change", volunteer, actor)
    subject, body = i18n.render_mail("email_changed", volunteer.locale, volunteer=volunteer)
    outbox.enqueue("email_changed", old_email, subject, body)
    if volunteer.email_confirmed_at is not None:
        db.session.flush()
        subject, body = i18n.render_mail(
            "magic_link",
            volunteer.locale,
            volunteer=volunteer,
            token=selfservice.magic_token(volunteer),
            minutes=int(selfservice.link_lifetime().total_seconds()) // 60,
        )
        outbox.enqueue("magic_link", volunteer.email, subject, body)
