"""Bad input on the sign-up form: a clear message, a 4xx, nothing stored — never a 500."""

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from matcher.extensions import db
from matcher.models import Volunteer
from tests.conftest import inside, login
from tests.forms import errors, row_counts, signup_form

TEN_MB = "x" * (10 * 1024 * 1024)


@pytest.fixture
def agency(make_agency: Callable[..., Any]) -> Any:
    return make_agency(slug="awo-koeln", name="AWO Köln")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"first_name": ""}, "Bitte füllen Sie dieses Feld aus."),
        ({"email": "", "postcode": ""}, "Bitte füllen Sie dieses Feld aus."),
        ({"last_name": "M" * 101}, "länger als 100 Zeichen"),
        ({"postcode": "00000"}, "gültige deutsche Postleitzahl"),
        ({"postcode": "5082"}, "gültige deutsche Postleitzahl"),
        ({"postcode": "abcde"}, "gültige deutsche Postleitzahl"),
        ({"email": "not-an-address"}, "gültige E-Mail-Adresse"),
        ({"languages-0-code": "xx"}, "Unbekannte Sprache."),
        ({"languages-0-code": "klingon"}, "Unbekannte Sprache."),
        ({"languages-1-level": "expert"}, "Unbekanntes Niveau."),
        ({"languages-0-code": "", "languages-1-code": ""}, "mindestens eine Sprache"),
        ({"first_name": "<script>alert(1)</script>"}, "nur Buchstaben"),
        ({"motivation": "Hallo <script>alert(1)</script>"}, "ohne HTML-Tags"),
        ({"last_name": "Robert'); DROP TABLE volunteers;--"}, "nur Buchstaben"),
        ({"phone": "call me maybe"}, "Telefonnummer"),
        ({"slots": []}, "mindestens eine Zeit"),
        ({"capacity": "5"}, "gültige Auswahl"),
        ({"age_band": "under_18"}, "gültige Auswahl"),
        ({"gender": "robot"}, "gültige Auswahl"),
        ({"motivation": "x" * 1001}, "länger als 1000 Zeichen"),
    ],
)
def test_bad_input_gets_a_clear_message_and_stores_nothing(
    app: Flask, client: Any, agency: Any, change: dict[str, Any], message: str
) -> None:
    before = row_counts(app)
    response = client.post("/signup/awo-koeln", data=signup_form(**change))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert any(message in e for e in errors(html)), errors(html)
    assert "Bitte prüfen Sie die markierten Felder." in html
    # What was typed stays in the form.
    assert 'value="sean@example.org"' in html or "email" in change
    assert "<script>alert" not in html
    assert row_counts(app) == before


def test_an_empty_post_is_a_400_with_messages(app: Flask, client: Any, agency: Any) -> None:
    before = row_counts(app)
    response = client.post("/signup/awo-koeln", data={})
    assert response.status_code == 400
    assert len(errors(response.get_data(as_text=True))) >= 6
    assert row_counts(app) == before


def test_a_nul_byte_is_a_400_and_stores_nothing(app: Flask, client: Any, agency: Any) -> None:
    before = row_counts(app)
    response = client.post("/signup/awo-koeln", data=signup_form(first_name="Se\x00án"))
    assert response.status_code == 400
    assert row_counts(app) == before


def test_a_10_mb_field_is_a_413_and_stores_nothing(app: Flask, client: Any, agency: Any) -> None:
    before = row_counts(app)
    response = client.post("/signup/awo-koeln", data=signup_form(motivation=TEN_MB))
    assert response.status_code == 413
    assert "zu groß" in response.get_data(as_text=True)
    assert row_counts(app) == before


def test_too_many_language_rows_are_cut_not_a_crash(app: Flask, client: Any, agency: Any) -> None:
    rows = {f"languages-{i}-code": "de" for i in range(500)}
    response = client.post("/signup/awo-koeln", data=signup_form(**rows))
    assert response.status_code == 400  # "each language only once"
    assert "nur einmal" in response.get_data(as_text=True)


def test_obrien_is_stored_and_shown_correctly(
    app: Flask, client: Any, agency: Any, make_user: Callable[..., Any]
) -> None:
    response = client.post(
        "/signup/awo-koeln",
        data=signup_form(
            first_name="Anne-Marie", last_name="O'Brien-D’Souza", email="ob@example.org"
        ),
    )
    assert response.status_code == 302
    with inside(app):
        v = db.session.scalars(select(Volunteer)).one()
        assert (v.first_name, v.last_name) == ("Anne-Marie", "O'Brien-D’Souza")
    staff = app.test_client()
    login(staff, make_user("coordinator", agency))
    listing = staff.get("/volunteers?q=O'Brien").get_data(as_text=True)
    assert "Anne-Marie O&#39;Brien-D’Souza" in listing
    assert staff.get("/volunteers?q=%27%3B--").status_code == 200
    detail = staff.get(f"/volunteers/{v.id}").get_data(as_text=True)
    assert "<h1>Anne-Marie O&#39;Brien-D’Souza</h1>" in detail
