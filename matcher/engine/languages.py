"""English names of common language codes, for the plain-English reason texts.

The web app renders reasons from their codes in its own language; this table
only serves the English ``text`` and the command line.
"""

from __future__ import annotations

_NAMES: dict[str, str] = {
    "am": "Amharic",
    "ar": "Arabic",
    "ara": "Arabic",
    "bg": "Bulgarian",
    "bs": "Bosnian",
    "ckb": "Sorani Kurdish",
    "de": "German",
    "deu": "German",
    "en": "English",
    "eng": "English",
    "es": "Spanish",
    "fa": "Persian",
    "fas": "Persian",
    "fr": "French",
    "hr": "Croatian",
    "hu": "Hungarian",
    "it": "Italian",
    "kmr": "Kurmanji Kurdish",
    "ku": "Kurdish",
    "kur": "Kurdish",
    "nl": "Dutch",
    "pl": "Polish",
    "prs": "Dari",
    "ps": "Pashto",
    "pt": "Portuguese",
    "ro": "Romanian",
    "ru": "Russian",
    "rus": "Russian",
    "so": "Somali",
    "sq": "Albanian",
    "sr": "Serbian",
    "sw": "Swahili",
    "ti": "Tigrinya",
    "tir": "Tigrinya",
    "tr": "Turkish",
    "tur": "Turkish",
    "uk": "Ukrainian",
    "ukr": "Ukrainian",
    "ur": "Urdu",
    "vi": "Vietnamese",
    "zh": "Chinese",
}


def language_name(code: str) -> str:
    """Return the English name of a language code, or the code itself when unknown."""
    return _NAMES.get(code, code)


def join_names(codes: list[str]) -> str:
    """Join language names as English prose: ``"Arabic"``, ``"Arabic or Kurdish"``."""
    names = [language_name(code) for code in codes]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " or " + names[-1]
