"""The languages matcher writes in, once: for newcomers' documents, for volunteers' pages and
mails, and for staff. Which are right to left, in which script, and which of them we ship
as checked text (the others are drafts until someone at the agency has reviewed them).

Codes are those of the spoken-language vocabulary (`services.platform.vocabulary`): ISO
639-1 where there is one, else ISO 639-3 (`prs` Dari, `kmr` Kurmanji, `ckb` Sorani). Each
is also a valid BCP 47 tag for `<html lang>`.
"""

from typing import Final, Literal

#: Documents for newcomers (privacy notice, consent form, introduction letter, "what is a
#: Patenschaft"), each printed in the newcomer's language with German alongside.
DOCUMENT_LANGUAGES: Final = (
    "de", "en", "ar", "fa", "prs", "ps", "uk", "ru", "tr", "kmr", "ckb", "ti", "so", "fr",
)  # fmt: skip
#: Pages and mails for volunteers: sign-up, self-service, their mails.
VOLUNTEER_LANGUAGES: Final = ("de", "en", "uk", "ar", "ru", "tr", "fa")
#: The staff UI: German first, with English.
STAFF_LANGUAGES: Final = ("de", "en")
#: Written right to left.
RTL_LANGUAGES: Final = frozenset({"ar", "fa", "prs", "ps", "ckb"})
#: Languages whose shipped text one of us reads natively and has checked. Shipped text in
#: any other language is a draft (machine-made or unchecked) and says so until someone at
#: the agency confirms a review.
CHECKED_LANGUAGES: Final = frozenset({"de", "en"})

#: ISO 15924 script of each language's text, for fonts.
SCRIPTS: Final = {
    "de": "Latn", "en": "Latn", "tr": "Latn", "kmr": "Latn", "so": "Latn", "fr": "Latn",
    "ar": "Arab", "fa": "Arab", "prs": "Arab", "ps": "Arab", "ckb": "Arab",
    "uk": "Cyrl", "ru": "Cyrl", "ti": "Ethi",
}  # fmt: skip

#: Each language's own name for itself (a language menu shows these, not translated ones).
ENDONYMS: Final = {
    "de": "Deutsch", "en": "English", "ar": "العربية", "fa": "فارسی", "prs": "دری",
    "ps": "پښتو", "uk": "Українська", "ru": "Русский", "tr": "Türkçe", "kmr": "Kurmancî",
    "ckb": "کوردی", "ti": "ትግርኛ", "so": "Soomaali", "fr": "Français",
}  # fmt: skip


def direction(code: str) -> Literal["ltr", "rtl"]:
    """`dir` for text in this language: "rtl" for Arabic script languages, else "ltr"."""
    return "rtl" if base(code) in RTL_LANGUAGES else "ltr"


def base(code: str) -> str:
    """The language of a locale or tag: "fa_AF" and "fa-AF" → "fa"."""
    return code.replace("-", "_").split("_", 1)[0].lower()


def is_checked(code: str) -> bool:
    """Whether shipped text in this language counts as checked rather than a draft."""
    return base(code) in CHECKED_LANGUAGES


#: The language of the msgids, the code's own words: its catalogue is the code itself.
SOURCE_LANGUAGE: Final = "en"
