"""Phone numbers, once: how a typed number is read, stored and shown (no Flask here).

A number is read as German unless it starts with + or 00 (then as international), checked
with Google's libphonenumber (`phonenumbers`) and stored in E.164 ("+49221123456"). It is
shown the way people dial it: nationally for German numbers ("0221 123456"), with the
country code for all others ("+963 11 223 4567"), and linked as `tel:+49221123456`.

Volunteers' numbers stored before these rules ("0221/123 456") are shown as the rules would
show them when they can be read, and as they were typed when not: nothing stored is lost.
"""

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber, PhoneNumberFormat

from matcher.domain.errors import Invalid

#: Numbers without a country code are read as numbers of this country.
DEFAULT_REGION = "DE"
#: The longest text a person may type for a number (spaces, dashes and brackets included).
MAX_TYPED = 40
#: E.164 has at most 15 digits, after a "+".
MAX_STORED = 16
# Digits and what people write between them. No letters: libphonenumber would read
# "0800 FLOWERS" as digits, and a typo such as "0221 12345a" would become a number.
_TYPED = re.compile(r"^[0-9+()\-./\s]+$")


def _parse(text: str) -> PhoneNumber | None:
    """The number a text means, or None when it is none (or not a valid number)."""
    text = text.strip()
    if not text or len(text) > MAX_TYPED or not _TYPED.match(text):
        return None
    try:
        number = phonenumbers.parse(text, DEFAULT_REGION)
    except NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def normalise(text: str) -> str:
    """A typed number in E.164 ("0221 123456" → "+49221123456"); "" for an empty text.

    :raises Invalid: "bad_phone" when the text is not a valid phone number.
    """
    if not text.strip():
        return ""
    number = _parse(text)
    if number is None:
        raise Invalid("bad_phone")
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def is_valid(text: str) -> bool:
    """Whether a typed text is a valid phone number (an empty text is not)."""
    return _parse(text) is not None


def display(stored: str) -> str:
    """How a stored number is shown: national for German numbers, else international.

    A value that cannot be read (typed before these rules) is shown as it was stored.
    """
    number = _parse(stored)
    if number is None:
        return stored.strip()
    german = phonenumbers.region_code_for_number(number) == DEFAULT_REGION
    return phonenumbers.format_number(
        number, PhoneNumberFormat.NATIONAL if german else PhoneNumberFormat.INTERNATIONAL
    )


def international(stored: str) -> str:
    """A stored number with its country code ("+49 221 123456"), for files that leave the
    agency; a value that cannot be read as it was stored."""
    number = _parse(stored)
    if number is None:
        return stored.strip()
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


def tel_uri(stored: str) -> str | None:
    """A `tel:` link for a stored number (RFC 3966), or None when it cannot be read."""
    number = _parse(stored)
    if number is None:
        return None
    return "tel:" + phonenumbers.format_number(number, PhoneNumberFormat.E164)
