"""Short messages a coordinator copies for a newcomer (SMS, WhatsApp, to read out), in the
newcomer's language with the German beside it.

The texts are data shipped with the package (`matcher/message_templates/<code>.toml`, one
file per language of `locales.DOCUMENT_LANGUAGES`), not gettext: they are written for the
newcomer, not for the person using the app. German and English are checked; every other
language is a draft until someone at the agency has reviewed it (`locales.is_checked`), and
the page says so.

A placeholder such as `{volunteer}` is filled by plain substitution in one pass over the
shipped text: what a coordinator types is inserted as text, never read as a template, and
the page escapes it like any other text. A message is plain text. Of the volunteer it holds
the first name only, and their phone number only when they consented to passing on their
contact details (`consents_to("contact_sharing")`).
"""

import datetime as dt
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date, format_time
from sqlalchemy import select

from matcher.domain import locales, phones
from matcher.domain.errors import Invalid
from matcher.domain.vocab import DECIDED_MATCH_STATUSES, PARTS
from matcher.extensions import db
from matcher.models import Agency, Match, Newcomer, Volunteer

TEXTS = Path(__file__).resolve().parents[2] / "message_templates"
_PLACEHOLDER = re.compile(r"\{([A-Za-z_]+)\}")
#: The longest place a coordinator may type ("Stadtbibliothek Köln, Josef-Haubrich-Hof 1").
PLACE_MAX = 120


@dataclass(frozen=True)
class Template:
    """A kind of message: what it needs filled in, and whether it needs a volunteer."""

    name: str
    fields: tuple[str, ...]
    needs_volunteer: bool


#: The messages, in the order the page offers them.
TEMPLATES: dict[str, Template] = {
    t.name: t
    for t in (
        Template("first_call", ("date", "daypart"), needs_volunteer=True),
        Template("first_meeting", ("date", "time", "place"), needs_volunteer=True),
        Template("appointment_reminder", ("date", "time", "place"), needs_volunteer=False),
        Template("check_in", (), needs_volunteer=True),
    )
}
#: Every placeholder a shipped text may use.
PLACEHOLDERS = frozenset(
    {
        "newcomer",
        "volunteer",
        "mentor",
        "Mentor",
        "agency",
        "date",
        "daypart",
        "time",
        "place",
        "phone",
    }
)


@dataclass(frozen=True)
class Details:
    """What the coordinator typed (only the template's fields are used)."""

    date: dt.date | None = None
    daypart: str | None = None
    time: dt.time | None = None
    place: str = ""


@dataclass(frozen=True)
class Message:
    """One filled message in one language."""

    language: str
    text: str
    direction: str
    checked: bool


@dataclass(frozen=True)
class Prepared:
    """A message in the newcomer's language and in German (the same when she reads German)."""

    template: str
    own: Message
    german: Message
    shares_phone: bool = False


def babel_locale(code: str) -> Locale:
    """The Babel locale that writes dates in this language (Dari is Afghan Persian)."""
    return Locale.parse({"prs": "fa_AF"}.get(code, code))


@cache
def texts(code: str) -> dict[str, Any]:
    """The shipped texts of one language."""
    if code not in locales.DOCUMENT_LANGUAGES:
        raise Invalid("bad_details", field="correspondence_language")
    with (TEXTS / f"{code}.toml").open("rb") as f:
        return tomllib.load(f)


def current_match(newcomer: Newcomer) -> Match | None:
    """The newcomer's Patenschaft decided on (approved, active or paused), newest first."""
    return db.session.scalars(
        select(Match)
        .where(Match.newcomer_id == newcomer.id, Match.status.in_(DECIDED_MATCH_STATUSES))
        .order_by(Match.id.desc())
        .limit(1)
    ).first()


def volunteer_of(match: Match | None) -> Volunteer | None:
    """The volunteer a message may name: of a Patenschaft decided on, and not erased."""
    if match is None or match.status not in DECIDED_MATCH_STATUSES:
        return None
    volunteer = match.volunteer
    return volunteer if volunteer.anonymised_at is None else None


def _gendered(value: Any, gender: str | None) -> str:
    """A text that may differ by the volunteer's gender: {female, male, other} or one text."""
    if isinstance(value, str):
        return value
    return str(value.get(gender if gender in ("female", "male") else "other", value["other"]))


def fill(text: str, values: dict[str, str]) -> str:
    """Put the values into the placeholders, in one pass: a value is never read again.

    :raises KeyError: for a placeholder without a value (a shipped text is wrong).
    """
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def _values(
    code: str, newcomer: Newcomer, volunteer: Volunteer | None, agency: Agency, details: Details
) -> dict[str, str]:
    words = texts(code)
    where = babel_locale(code)
    gender = volunteer.gender if volunteer is not None else None
    mentor = _gendered(words["mentor"], gender)
    return {
        "newcomer": newcomer.first_name,
        "volunteer": volunteer.first_name if volunteer is not None else "",
        "mentor": mentor,
        # At the start of a sentence (a no-op in scripts without capitals).
        "Mentor": mentor[:1].upper() + mentor[1:],
        "agency": agency.name,
        "date": format_date(details.date, "full", locale=where) if details.date else "",
        "daypart": str(words["daypart"][details.daypart]) if details.daypart else "",
        "time": format_time(details.time, "short", locale=where) if details.time else "",
        "place": details.place,
        "phone": "",
    }


def compose(
    code: str,
    template: str,
    newcomer: Newcomer,
    volunteer: Volunteer | None,
    agency: Agency,
    details: Details,
) -> Message:
    """One template filled in one language."""
    words = texts(code)
    gender = volunteer.gender if volunteer is not None else None
    values = _values(code, newcomer, volunteer, agency, details)
    text = fill(_gendered(words["templates"][template], gender), values)
    if volunteer is not None and TEMPLATES[template].needs_volunteer and _shares(volunteer):
        values["phone"] = phones.display(volunteer.phone)
        text += "\n" + fill(_gendered(words["phone_line"], gender), values)
    return Message(code, text.strip(), locales.direction(code), locales.is_checked(code))


def _shares(volunteer: Volunteer) -> bool:
    """The volunteer's phone goes into a message only with their consent to sharing it."""
    return bool(volunteer.phone) and bool(volunteer.consents_to("contact_sharing"))


def check(template: str, volunteer: Volunteer | None, details: Details) -> None:
    """What the template needs is there.

    :raises Invalid: "message_unknown"; "message_needs_patenschaft"; "bad_details" with the
        field that is missing or wrong.
    """
    known = TEMPLATES.get(template)
    if known is None:
        raise Invalid("message_unknown")
    if known.needs_volunteer and volunteer is None:
        raise Invalid("message_needs_patenschaft")
    for name in known.fields:
        value = getattr(details, name)
        if value in (None, "") or (name == "daypart" and value not in PARTS):
            raise Invalid("bad_details", field=name)
    if len(details.place) > PLACE_MAX:
        raise Invalid("bad_details", field="place")


def prepare(
    template: str, newcomer: Newcomer, volunteer: Volunteer | None, details: Details
) -> Prepared:
    """The message in the newcomer's correspondence language and in German."""
    check(template, volunteer, details)
    agency = db.session.get(Agency, newcomer.agency_id)
    assert agency is not None
    own = compose(newcomer.correspondence_language, template, newcomer, volunteer, agency, details)
    german = compose("de", template, newcomer, volunteer, agency, details)
    return Prepared(
        template,
        own,
        german,
        shares_phone=volunteer is not None
        and TEMPLATES[template].needs_volunteer
        and _shares(volunteer),
    )
