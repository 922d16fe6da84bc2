"""How a newcomer is reached without e-mail, written once (no Flask here).

- A channel by phone (call, SMS, WhatsApp) needs her phone number.
- "Through a social worker" needs whom to call: a short contact of the social worker or
  the organisation.
- An interpreter is needed for one language of the spoken-language vocabulary, or not.
- Her letters and messages are written in one of `locales.DOCUMENT_LANGUAGES`; unless the
  coordinator chooses, in the first language she speaks that is one of them, else German.

The database holds the same rules as CHECKs (`matcher.models.newcomer`).
"""

from collections.abc import Mapping
from dataclasses import dataclass, replace

from matcher.domain import phones
from matcher.domain.documents import document_language
from matcher.domain.errors import Invalid
from matcher.domain.locales import DOCUMENT_LANGUAGES
from matcher.domain.vocab import CONTACT_CHANNELS, CONTACT_CHANNELS_BY_PHONE

#: The longest social worker's contact ("Frau Yilmaz, Caritas Kalk, 0221 123456").
SOCIAL_WORKER_CONTACT_MAX = 120
#: Letters go out in German when she speaks none of the languages matcher writes in.
FALLBACK_LANGUAGE = "de"


@dataclass(frozen=True)
class Contact:
    """How to reach a newcomer; `phone` as typed, or already E.164."""

    phone: str = ""
    channel: str | None = None
    social_worker_contact: str = ""
    interpreter_needed: bool = False
    interpreter_language: str | None = None


def checked(contact: Contact) -> Contact:
    """The contact with its phone in E.164 and the social worker's contact trimmed.

    :raises Invalid: "bad_phone"; "channel_needs_phone" (with `channel`);
        "channel_needs_social_worker"; "interpreter_without_language"; "bad_details"
        (with `field`) for an unknown channel or a too long contact.
    """
    phone = phones.normalise(contact.phone)
    channel = contact.channel or None
    if channel is not None and channel not in CONTACT_CHANNELS:
        raise Invalid("bad_details", field="contact_channel")
    if channel in CONTACT_CHANNELS_BY_PHONE and not phone:
        raise Invalid("channel_needs_phone", channel=channel)
    worker = contact.social_worker_contact.strip()
    if len(worker) > SOCIAL_WORKER_CONTACT_MAX:
        raise Invalid("bad_details", field="social_worker_contact")
    if channel == "social_worker" and not worker:
        raise Invalid("channel_needs_social_worker")
    language = contact.interpreter_language or None
    if contact.interpreter_needed and language is None:
        raise Invalid("interpreter_without_language")
    return replace(
        contact,
        phone=phone,
        channel=channel,
        social_worker_contact=worker,
        # A language without the need is dropped: the box "needed" is what counts.
        interpreter_language=language if contact.interpreter_needed else None,
    )


def default_correspondence_language(languages: Mapping[str, str]) -> str:
    """Of the languages she speaks ({code: level}), the best-spoken that letters are
    written in, else German (`documents.document_language`: one rule for both)."""
    return document_language(languages.items())


def correspondence_language(chosen: str | None, languages: Mapping[str, str]) -> str:
    """The language chosen for her letters, or the default from the languages she speaks.

    :raises Invalid: "bad_details" (field "correspondence_language") for a language letters
        are not written in.
    """
    if not chosen:
        return default_correspondence_language(languages)
    if chosen not in DOCUMENT_LANGUAGES:
        raise Invalid("bad_details", field="correspondence_language")
    return chosen
