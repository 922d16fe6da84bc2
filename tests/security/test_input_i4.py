"""I4 (pen test, informational): invisible, direction-changing and look-alike characters.

Sign-up took U+202E and U+200B in the motivation, imports took them in names and contact
fields, "Аnna@example.org" (a Cyrillic А) and a 101-character local part were stored. The
rule has one home, `matcher.domain.text`; these tests drive it through the sign-up form,
the staff's user form and the import's cell readers. Each fails on commit 8ed074e."""

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from matcher.domain import text
from matcher.services.lists import import_fields
from matcher.services.lists.import_fields import CellError
from tests.forms import errors, row_counts, signup_form

RLO, ZWSP, ZWNJ, RLM = "\u202e", "\u200b", "\u200c", "\u200f"


def test_I4_the_rule_tells_hidden_and_look_alike_characters_from_real_writing() -> None:
    assert text.hidden_in_text(f"invoice{RLO}fdp.exe") and text.hidden_in_text(f"An{ZWSP}na")
    # Direction marks order mixed Arabic and Latin text: fine in free text, not in names.
    assert not text.hidden_in_text(f"مرحبا{RLM} Köln")
    assert text.hidden_in_identifier(f"مرحبا{RLM}")
    # The zero-width non-joiner belongs to Farsi spelling ("می‌خواهم").
    assert not text.hidden_in_identifier(f"می{ZWNJ}خواهم")
    assert text.email_problem("a" * 64 + "@example.org") is None
    assert text.email_problem("a" * 65 + "@example.org") == "email_local_part_too_long"
    assert text.email_problem("\u0410nna@example.org") == "email_mixed_alphabets"
    assert text.email_problem("a@ex\u0430mple.org") == "email_mixed_alphabets"
    # Wholly one alphabet is a real address, whatever the alphabet.
    assert text.email_problem("олена@пошта.укр") is None
    assert text.email_problem("jürgen.müller@straße.de") is None
    assert text.email_problem(f"anna{RLM}@example.org") == "hidden_characters"


@pytest.fixture
def agency(make_agency: Callable[..., Any]) -> Any:
    return make_agency(slug="awo-koeln", name="AWO Köln")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"email": "a" * 101 + "@example.org"}, "höchstens 64 Zeichen"),
        ({"email": "\u0410nna@example.org"}, "verschiedener Alphabete"),
        ({"email": "anna@ex\u0430mple.org"}, "verschiedener Alphabete"),
        ({"motivation": f"Hallo{RLO}exe.fdp"}, "unzulässige Zeichen"),
        ({"motivation": f"Hal{ZWSP}lo"}, "unzulässige Zeichen"),
        ({"first_name": f"An{ZWSP}na"}, "nur Buchstaben"),
        ({"last_name": f"Mül{RLO}ler"}, "nur Buchstaben"),
        ({"phone": f"0221 123{ZWSP}456"}, "Telefonnummer"),
    ],
)
def test_I4_signup_refuses_hidden_and_look_alike_characters_with_a_message(
    app: Flask, client: FlaskClient, agency: Any, change: dict[str, Any], message: str
) -> None:
    before = row_counts(app)
    response = client.post("/signup/awo-koeln", data=signup_form(**change))
    assert response.status_code == 400
    assert any(message in e for e in errors(response.get_data(as_text=True)))
    assert row_counts(app) == before


def test_I4_a_farsi_motivation_with_its_marks_is_taken(
    app: Flask, client: FlaskClient, agency: Any
) -> None:
    motivation = f"می{ZWNJ}خواهم کمک کنم{RLM} (Köln)"
    response = client.post("/signup/awo-koeln", data=signup_form(motivation=motivation))
    assert response.status_code in (200, 302)


def test_I4_staff_accounts_refuse_look_alike_addresses(
    logged_in: Callable[..., FlaskClient],
) -> None:
    response = logged_in("admin").post(
        "/admin/users",
        data={"email": "\u0430dmin@example.org", "name": "", "role": "admin", "agency": ""},
    )
    assert response.status_code == 400
    assert "verschiedener Alphabete" in response.get_data(as_text=True)


def test_I4_imports_refuse_hidden_characters_in_names_and_look_alike_addresses() -> None:
    def code(read: Callable[[str], Any], value: str) -> str:
        with pytest.raises(CellError) as caught:
            read(value)
        return caught.value.code

    name = import_fields._NAME
    assert code(name, f"Anna{RLO}") == "hidden_characters"
    assert code(name, f"An{ZWSP}na") == "hidden_characters"
    assert code(name, f"Anna{RLM}") == "hidden_characters"
    assert name(f"Mehr{ZWNJ}angiz") == f"Mehr{ZWNJ}angiz"
    contact = import_fields.text(300)
    assert code(contact, f"über die Unterkunft{RLO}") == "hidden_characters"
    assert contact(f"عبر الأخصائية{RLM} Frau Yilmaz") == f"عبر الأخصائية{RLM} Frau Yilmaz"
    assert code(import_fields.email, "a" * 65 + "@example.org") == "email_local_part_too_long"
    assert code(import_fields.email, "\u0410nna@example.org") == "email_mixed_alphabets"
    assert import_fields.email("Anna@Example.org") == "anna@example.org"
