"""The one list of the languages matcher writes in agrees with itself and the vocabulary."""

from matcher.domain import locales
from matcher.services.platform.vocabulary import LANGUAGES


def test_every_written_language_is_a_known_spoken_language_with_script_and_name() -> None:
    written = set(locales.DOCUMENT_LANGUAGES)
    assert written <= LANGUAGES
    assert set(locales.SCRIPTS) == written == set(locales.ENDONYMS)
    assert set(locales.VOLUNTEER_LANGUAGES) <= written
    assert set(locales.STAFF_LANGUAGES) <= set(locales.VOLUNTEER_LANGUAGES)
    assert written >= locales.RTL_LANGUAGES
    assert {code for code, script in locales.SCRIPTS.items() if script == "Arab"} == set(
        locales.RTL_LANGUAGES
    )


def test_direction_and_draft_follow_the_language_of_a_locale() -> None:
    assert [locales.direction(c) for c in ("ar", "fa_AF", "prs", "ckb", "uk", "ti", "de")] == [
        "rtl", "rtl", "rtl", "rtl", "ltr", "ltr", "ltr",
    ]  # fmt: skip
    assert locales.is_checked("de_DE") and locales.is_checked("en")
    assert not locales.is_checked("ar") and not locales.is_checked("uk")
