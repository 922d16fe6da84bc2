"""Every code the lists services raise, and every row problem of an import, has its words."""

import re
from pathlib import Path

from flask import Flask

from matcher.services.lists import imports
from matcher.web import messages

LISTS = Path(__file__).resolve().parents[2] / "matcher/services/lists"


def _codes(pattern: str) -> set[str]:
    return {code for path in LISTS.glob("*.py") for code in re.findall(pattern, path.read_text())}


def test_every_refusal_of_the_lists_services_is_in_the_message_table() -> None:
    raised = _codes(r'\b(?:Invalid|NotFound|Conflict|Refused)\(\s*"(\w+)"')
    assert len(raised) >= 15 and "file_bad_xlsx" in raised
    assert raised <= messages.known_codes(), raised - messages.known_codes()


def test_every_row_problem_of_an_import_has_words(app: Flask) -> None:
    cells = _codes(r'CellError\(\s*"(\w+)"')
    rows = _codes(r'RowError\((?:[^()]|\([^()]*\))*?"(\w+)"') | set(
        imports._CONSENT_DETAILS.values()
    )
    assert len(cells) >= 15 and {"empty", "same_person", "consent_without_date"} <= rows
    assert cells | rows <= messages.cell_codes(), (cells | rows) - messages.cell_codes()
    with app.test_request_context():
        # German by default, with the parameters in place.
        assert messages.cell_text("same_person", {"row": 7}) == "dieselbe Person wie in Zeile 7"
        assert messages.cell_text("too_long", {"n": 40}) == "länger als 40 Zeichen"
