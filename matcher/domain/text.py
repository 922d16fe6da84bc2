"""Which characters a typed text may hold, once (no Flask here); pen test finding I4.

Some characters are invisible yet change what a person reads: bidi overrides turn
"exe.FDP" into "PDF.exe", a zero-width space makes two names that look the same differ,
and a Cyrillic "а" in "example.org" is another address that looks identical.

- **Free text** (a motivation, a note, a contact): no bidi embeddings, overrides or
  isolates and no zero-width spaces. Marks (LRM, RLM, ALM) stay allowed: people who write
  Arabic or Farsi use them to order mixed text.
- **Names, e-mail addresses and phone numbers**: none of the above and no direction marks.
  The zero-width (non-)joiners stay allowed in names: Farsi and Indic names need them.
- **E-mail addresses**: at most 64 characters before the @ (RFC 5321), and no part (the
  local part, each label of the domain) that mixes letters of two alphabets, the look-alike
  trick of "Аnna@example.org" (a Cyrillic А). An address wholly in one alphabet is fine.
"""

from __future__ import annotations

import unicodedata

#: Embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
#: Zero-width space, word joiner, zero-width no-break space (BOM), Mongolian vowel separator.
ZERO_WIDTH = frozenset("\u200b\u2060\ufeff\u180e")
#: Left-to-right, right-to-left and Arabic letter marks.
DIRECTION_MARKS = frozenset("\u200e\u200f\u061c")

_NOT_IN_TEXT = BIDI_CONTROLS | ZERO_WIDTH
_NOT_IN_IDENTIFIERS = _NOT_IN_TEXT | DIRECTION_MARKS

#: RFC 5321: the local part (before the @) has at most 64 octets.
MAX_LOCAL_PART = 64


def hidden_in_text(text: str) -> bool:
    """Whether free text holds a character that hides or reorders what is shown."""
    return any(c in _NOT_IN_TEXT for c in text)


def hidden_in_identifier(text: str) -> bool:
    """Whether a name, e-mail address or phone number holds an invisible character."""
    return any(c in _NOT_IN_IDENTIFIERS for c in text)


def _alphabet(c: str) -> str | None:
    """The alphabet of a letter ("LATIN", "CYRILLIC", …); None for anything else."""
    if not c.isalpha():
        return None
    name = unicodedata.name(c, "")
    return name.split(" ", 1)[0] if name else None


def mixes_alphabets(part: str) -> bool:
    """Whether a word holds letters of more than one alphabet ("Аnna" with a Cyrillic А)."""
    return len({a for a in map(_alphabet, part) if a}) > 1


def email_problem(address: str) -> str | None:
    """Why an e-mail address cannot be taken (an error code of `matcher.domain.errors`), or
    None. Only what `email_validator` does not check: it checks the syntax."""
    if hidden_in_identifier(address):
        return "hidden_characters"
    local, _, domain = address.rpartition("@")
    if len(local.encode("utf-8")) > MAX_LOCAL_PART:
        return "email_local_part_too_long"
    if mixes_alphabets(local) or any(mixes_alphabets(label) for label in domain.split(".")):
        return "email_mixed_alphabets"
    return None
