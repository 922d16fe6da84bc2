"""Notes and the contact log: the rules of a timeline entry, written once (no Flask).

A timeline entry belongs to one volunteer, one newcomer or one Patenschaft. A *note* is
just text; a *contact* records who of the staff talked with whom, when, by which channel,
and a short text. The database's CHECKs take their values from here, the form its choices,
and the service checks every entry with `check` before it writes one.
"""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Final
from zoneinfo import ZoneInfo

from matcher.domain.errors import Invalid

#: A note is just text; a contact is a conversation or message with someone.
KINDS: Final = ("contact", "note")
#: How the contact took place. Newcomers are reached by phone, SMS or WhatsApp, in person
#: or by letter, and often through an interpreter or their social worker.
CHANNELS: Final = (
    "phone",
    "sms",
    "whatsapp",
    "email",
    "in_person",
    "video",
    "letter",
    "interpreter",
    "social_worker",
    "other",
)
#: With whom the staff member was in contact.
PARTIES: Final = ("volunteer", "newcomer", "both", "other")
#: What a timeline entry is about: a table's rows by the name of their column.
SUBJECTS: Final = ("volunteer", "newcomer", "match")
#: The longest text of one entry: a short record, not a file.
TEXT_MAX: Final = 4000
#: Agencies are in Germany: a coordinator types the local date and time of a contact, and
#: "today" is the German today (after 23:00 UTC it is tomorrow in Köln).
TIMEZONE: Final = ZoneInfo("Europe/Berlin")


@dataclass(frozen=True)
class Entry:
    """What a coordinator wrote: a note, or a contact with its staff member, party,
    channel and moment (`at`, timezone-aware)."""

    kind: str
    text: str
    at: datetime
    channel: str | None = None
    party: str | None = None
    staff_id: int | None = None


def clean_text(text: str) -> str:
    """The text as kept: line ends unified, surrounding blanks gone."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def local_day(moment: datetime) -> date:
    """The German calendar day of a moment."""
    return moment.astimezone(TIMEZONE).date()


def check(entry: Entry, now: datetime) -> Entry:
    """The entry as it may be stored, or the first rule it breaks.

    :raises Invalid: "note_unknown_kind", "note_text_empty", "note_text_too_long" (with
        `limit`), "note_unknown_channel", "note_unknown_party", "note_in_future".
    """
    if entry.kind not in KINDS:
        raise Invalid("note_unknown_kind")
    text = clean_text(entry.text)
    if not text:
        raise Invalid("note_text_empty")
    if len(text) > TEXT_MAX:
        raise Invalid("note_text_too_long", limit=TEXT_MAX)
    if entry.at.tzinfo is None:
        raise ValueError("naive datetime given for a timeline entry")
    if entry.kind == "note":
        # A note has no channel and no party; its moment is when it was written.
        return Entry("note", text, entry.at, None, None, entry.staff_id)
    if entry.channel not in CHANNELS:
        raise Invalid("note_unknown_channel")
    if entry.party not in PARTIES:
        raise Invalid("note_unknown_party")
    # A contact is recorded after it took place: today at any hour is fine (a call at 18:00
    # written down at 17:55 is no lie worth refusing), tomorrow is not.
    if local_day(entry.at) > local_day(now):
        raise Invalid("note_in_future")
    return Entry("contact", text, entry.at, entry.channel, entry.party, entry.staff_id)
