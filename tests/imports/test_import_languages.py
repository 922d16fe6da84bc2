"""Reading the languages cell of an import (feat.md B6: "Dari" could not be imported at all)."""

import pytest
from flask import Flask

from matcher.services.lists.import_fields import CellError, languages
from matcher.services.platform import vocabulary
from matcher.web import messages


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("Dari (Muttersprache), Deutsch (A2)", {"prs": "native", "de": "basic"}),
        ("prs (Muttersprache)", {"prs": "native"}),
        ("PRS: fluent", {"prs": "fluent"}),
        ("dari", {"prs": "good"}),
        ("Farsi (B1)", {"fa": "good"}),
        ("Persian/Farsi", {"fa": "good"}),
        ("Sorani (Muttersprache)", {"ckb": "native"}),
        ("Kurdisch-Sorani", {"ckb": "good"}),
        ("Kurmandschi (Muttersprache)", {"kmr": "native"}),
        ("KURMANJI", {"kmr": "good"}),
        ("Kurmancî", {"kmr": "good"}),
        ("ckb, kmr:native, ku=basic", {"ckb": "good", "kmr": "native", "ku": "basic"}),
    ],
)
def test_feat_b6_dari_farsi_sorani_and_kurmanji_are_read_by_name_and_code(
    cell: str, expected: dict[str, str]
) -> None:
    assert languages(cell) == expected


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("Persisch; Englisch (C1)", {"fa": "good", "en": "fluent"}),
        ("Zentralkurdisch", {"ckb": "good"}),
        ("Kurdisch (A1)", {"ku": "basic"}),
        ("Paschtu, Tigrinya (Muttersprache)", {"ps": "good", "ti": "native"}),
        ("de:native, ar:fluent", {"de": "native", "ar": "fluent"}),
    ],
)
def test_names_read_before_are_still_read(cell: str, expected: dict[str, str]) -> None:
    assert languages(cell) == expected


def test_feat_b6_every_listed_language_is_read_by_code_german_and_english_name() -> None:
    for code in vocabulary.language_codes():
        names = {code, vocabulary.language_name(code, "de"), vocabulary.language_name(code, "en")}
        # Persian's own names hold a slash, which separates languages in a cell.
        names = {part for name in names for part in name.split("/")}
        for name in names:
            for written in (name, name.upper(), name.lower()):
                assert languages(f"{written} (Muttersprache)") == {code: "native"}, written


def test_feat_b6_languages_off_the_list_are_refused(app: Flask) -> None:
    with app.test_request_context():
        for cell in ("Klingonisch", "Latein", "tlh", "Elbisch", "xx"):
            with pytest.raises(CellError) as refused:
                languages(cell)
            assert refused.value.code == "unknown_language"
            # The page words it in German.
            text = messages.cell_text(refused.value.code, refused.value.params)
            assert text.startswith("unbekannte Sprache „"), text
