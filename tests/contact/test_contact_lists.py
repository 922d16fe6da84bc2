"""Contact in the lists: imported from "Telefon", "Kontaktweg" and "Dolmetschen", in the
exports and the Art. 15 export, and gone after erasure and the retention purge."""

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from matcher.extensions import db
from matcher.models import Newcomer, utcnow
from matcher.services.lists import imports
from matcher.services.people import gdpr
from tests.conftest import inside, login
from tests.imports.test_imports import _selected_mapping, _upload

HEADER = "Nr;Vorname;PLZ;Alter;Sprachen;Telefon;Kontaktweg;Dolmetschen\n"
GOOD = HEADER + (
    "A1;Mehret;50825;26_35;Tigrinya (Muttersprache), Arabisch (gut);0176 1234-5678;WhatsApp;"
    "Tigrinya\n"
    "A2;Samir;50825;18_25;fa, de:basic;+963 11 223 4567;SMS;nein\n"
    "A3;Olena;50825;36_50;uk;;Sozialarbeit: Frau Yilmaz, Caritas, 0221 123456;\n"
    "A4;Amal;50825;36_50;Tamil;;über Sozialarbeiterin: Herr B.;ja: Arabisch\n"
    "A5;Rojin;50825;36_50;ckb;;persönlich;\n"
)


@pytest.fixture
def app_config(tmp_path: Any) -> dict[str, Any]:
    return {"IMPORT_STASH_DIR": str(tmp_path / "imports")}


@pytest.fixture
def admin(
    client: FlaskClient, make_user: Callable[..., Any], make_agency: Callable[..., Any]
) -> Any:
    agency = make_agency(slug="awo", name="AWO")
    login(client, make_user("admin"))
    return client, agency


def _import(client: FlaskClient, agency: Any, csv: str, run: bool = True) -> Any:
    url = _upload(client, agency.id, "newcomers", "liste.csv", csv.encode())
    mapping = _selected_mapping(client, url)
    assert mapping["map_phone"] and mapping["map_contact_channel"] and mapping["map_interpreter"]
    return client.post(url, data={**mapping, "run" if run else "check": "1"})


def test_contact_columns_are_imported_and_a_second_import_adds_nobody(
    app: Flask, admin: Any
) -> None:
    client, agency = admin
    for _ in range(2):
        response = _import(client, agency, GOOD)
        assert response.status_code == 302, response.get_data(as_text=True)
    with inside(app):
        found = {
            n.first_name: (n.phone, n.contact_channel, n.social_worker_contact,
                           n.interpreter_needed, n.interpreter_language,
                           n.correspondence_language)
            for n in db.session.scalars(select(Newcomer))
        }  # fmt: skip
    assert found == {
        "Mehret": ("+4917612345678", "whatsapp", "", True, "ti", "ti"),
        "Samir": ("+963112234567", "sms", "", False, None, "fa"),
        "Olena": ("", "social_worker", "Frau Yilmaz, Caritas, 0221 123456", False, None, "uk"),
        "Amal": ("", "social_worker", "Herr B.", True, "ar", "de"),
        "Rojin": ("", "in_person", "", False, None, "ckb"),
    }


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("B1;X;50825;26_35;ar;;WhatsApp;", "braucht eine Telefonnummer in der Spalte Telefon"),
        ("B1;X;50825;26_35;ar;0221;Telefon;", "keine Telefonnummer"),
        ("B1;X;50825;26_35;ar;;Brieftaube;", "unbekannter Kontaktweg"),
        ("B1;X;50825;26_35;ar;;Sozialarbeit;", "braucht den Kontakt der Sozialarbeit"),
        ("B1;X;50825;26_35;ar;;;ja", "Sprache angeben"),
        ("B1;X;50825;26_35;ar;;;Elbisch", "unbekannte Sprache"),
    ],
)
def test_bad_contact_cells_are_listed_and_nothing_is_imported(
    app: Flask, admin: Any, row: str, message: str
) -> None:
    client, agency = admin
    response = _import(client, agency, HEADER + row + "\n", run=False)
    assert response.status_code in (200, 400)
    assert message in response.get_data(as_text=True)
    with inside(app):
        assert db.session.scalars(select(Newcomer)).all() == []


def test_the_row_key_of_a_list_without_contact_columns_did_not_change() -> None:
    """Lists imported before these columns existed are recognised when imported again."""
    cells = ["", "Nadia", "50825", "30", "ar", "0176 12345678"]
    before = {"external_ref": 0, "first_name": 1, "postcode": 2, "age_band": 3, "languages": 4}
    now = {**before, "phone": 5, "contact_channel": None, "interpreter": None}
    with Flask(__name__).app_context() as ctx:
        ctx.app.config["SECRET_KEY"] = "k"
        assert imports._row_key("newcomers", {}, cells, now) == imports._row_key(
            "newcomers", {}, cells, before
        )


# --------------------------------------------------------------------------- out and gone


@pytest.fixture
def newcomer(app: Flask, two_agencies: dict[str, Any]) -> Any:
    n = two_agencies["a"]["newcomer"]
    with inside(app):
        db.session.execute(
            update(Newcomer)
            .where(Newcomer.id == n.id)
            .values(phone="+4917612345678", contact_channel="whatsapp", interpreter_needed=True,
                    interpreter_language="ti", correspondence_language="ar")
        )  # fmt: skip
        db.session.commit()
    return n


def test_exports_and_the_art_15_export_hold_the_contact(
    client: FlaskClient, two_agencies: dict[str, Any], newcomer: Any
) -> None:
    login(client, two_agencies["admin"])
    response = client.post(f"/admin/privacy/newcomer/{newcomer.id}/data.json")
    profile = json.loads(response.data)["profile"]
    assert (profile["phone"], profile["contact_channel"], profile["interpreter_needed"],
            profile["interpreter_language"], profile["correspondence_language"]) == (
        "+4917612345678", "whatsapp", True, "ti", "ar")  # fmt: skip
    data = {"agency": str(two_agencies["a"]["agency"].id), "kind": "newcomers", "fmt": "csv",
            "delimiter": ";", "status": ""}  # fmt: skip
    response = client.post("/admin/exports", data=data)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    header, row = response.get_data().decode("utf-8-sig").splitlines()[:2]
    columns = dict(zip(header.split(";"), row.split(";"), strict=True))
    assert columns["Telefon"] == "+49 176 12345678"
    assert columns["Kontaktweg"] == "WhatsApp"
    assert columns["Dolmetschung für"] == "Tigrinya"
    assert columns["Briefe auf"] == "Arabisch"


def test_erasure_and_the_retention_purge_remove_the_contact(
    app: Flask, client: FlaskClient, two_agencies: dict[str, Any], newcomer: Any,
    make_newcomer: Callable[..., Any],
) -> None:  # fmt: skip
    login(client, two_agencies["a"]["coordinator"])
    assert client.post(f"/newcomers/{newcomer.id}/erase", data={"confirm": "y"}).status_code == 302
    long_ago = utcnow() - timedelta(days=3 * 365)
    old = make_newcomer(two_agencies["b"]["agency"], status="closed", phone="+963112234567",
                        contact_channel="sms", social_worker_contact="Frau Y",
                        interpreter_needed=True, interpreter_language="ar",
                        correspondence_language="ar", created_at=long_ago,
                        updated_at=long_ago)  # fmt: skip
    with inside(app):
        assert gdpr.purge().newcomers_anonymised == 1
        db.session.commit()
        for person_id in (newcomer.id, old.id):
            n = db.session.get(Newcomer, person_id)
            assert n is not None and n.anonymised_at is not None
            assert (n.phone, n.contact_channel, n.social_worker_contact, n.interpreter_needed,
                    n.interpreter_language, n.correspondence_language) == (
                "", None, "", False, None, "de")  # fmt: skip
