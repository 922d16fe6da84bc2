"""Households: the newcomer's family and the volunteer's family offer, stored, checked,
shown, imported, exported and in the Art. 15 export — on both databases."""

import json
import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from matcher import tenancy
from matcher.domain.errors import Invalid
from matcher.extensions import db
from matcher.models import Agency, AuditEvent, Newcomer, User, Volunteer
from matcher.services.lists import exports, import_fields, imports
from matcher.services.lists.spreadsheet import Table
from matcher.services.people import erasure, gdpr, households, selfservice
from tests.conftest import inside, login
from tests.forms import newcomer_form, signup_form


@pytest.fixture
def agency(make_agency: Callable[..., Any]) -> Any:
    return make_agency(slug="awo-koeln", name="AWO Köln")


@pytest.fixture
def staff(app: Flask, agency: Any, make_user: Callable[..., Any]) -> Any:
    client = app.test_client()
    login(client, make_user("coordinator", agency, email="coord@example.org"))
    return client


def _checked(html: str, name: str) -> set[str]:
    """The values of the ticked checkboxes called `name`."""
    found = set()
    for tag in re.findall(r"<input[^>]*>", html):
        if f'name="{name}"' in tag and "checked" in tag:
            found.add(re.search(r'value="([^"]*)"', tag).group(1))  # type: ignore[union-attr]
    return found


def test_intake_and_edit_round_trip_the_household_and_children_set_minors(
    app: Flask, staff: Any, agency: Any
) -> None:
    family = newcomer_form(
        minors=None, household_size="4", child_age_bands=["6-11", "0-2"],
        household_needs=["school", "childcare"],
    )  # fmt: skip
    assert staff.post("/newcomers/new", data=family).status_code == 302
    with inside(app):
        n = db.session.scalars(select(Newcomer)).one()
        assert (n.household_size, n.child_age_bands, n.household_needs) == (
            4, ["0-2", "6-11"], ["childcare", "school"],
        )  # fmt: skip
        # The box "children under 18" was not ticked: the age bands set it (certificate rule).
        assert n.minors is True and n.needs_certificate
        newcomer_id = n.id
    page = staff.get(f"/newcomers/{newcomer_id}").get_data(as_text=True)
    assert "Personen im Haushalt" in page and "0–2 Jahre, 6–11 Jahre" in page
    assert "Kinderbetreuung, Schule" in page
    edit = staff.get(f"/newcomers/{newcomer_id}/edit").get_data(as_text=True)
    assert re.search(r'<input[^>]*name="household_size"[^>]*value="4"', edit)
    assert _checked(edit, "child_age_bands") == {"0-2", "6-11"}
    assert _checked(edit, "household_needs") == {"childcare", "school"}
    # Back to one person without children: stored as such.
    alone = newcomer_form(minors=None, household_size="1")
    assert staff.post(f"/newcomers/{newcomer_id}/edit", data=alone).status_code == 302
    with inside(app):
        n = db.session.get(Newcomer, newcomer_id)
        assert (n.household_size, n.child_age_bands, n.household_needs, n.minors) == (
            1, [], [], False,
        )  # fmt: skip


def test_bad_household_input_is_refused_with_a_message(app: Flask, staff: Any) -> None:
    for change, message in (
        ({"household_size": "1", "child_age_bands": ["3-5"]}, "mindestens zwei Personen"),
        ({"household_size": "16"}, "Zahl von 1 bis 15"),
        ({"household_size": "0"}, "Zahl von 1 bis 15"),
        ({"household_size": "zwei"}, "household_size-error"),
        ({"child_age_bands": ["18-25"], "household_size": "3"}, "child_age_bands"),
        ({"household_needs": ["pony"]}, "household_needs"),
    ):
        response = staff.post("/newcomers/new", data=newcomer_form(**change))
        assert response.status_code == 400, change
        page = response.get_data(as_text=True)
        assert 'class="error"' in page and message in page, change
    with inside(app):
        assert db.session.scalars(select(Newcomer)).first() is None


def test_the_database_refuses_inconsistent_households(
    app: Flask, agency: Any, make_newcomer: Callable[..., Any], make_volunteer: Callable[..., Any]
) -> None:
    n = make_newcomer(agency, minors=False)
    v = make_volunteer(agency)
    refused = [
        (Newcomer, n.id, {"household_size": 0}),
        (Newcomer, n.id, {"household_size": 16}),
        (Newcomer, n.id, {"child_age_bands": ["0-2"], "minors": False}),
        (Volunteer, v.id, {"max_household": 4}),  # without families welcome
        (Volunteer, v.id, {"families_welcome": True, "max_household": 1}),
        (Volunteer, v.id, {"child_age_bands": ["3-5"]}),  # without families welcome
    ]
    with inside(app):
        for model, row_id, values in refused:
            with pytest.raises(IntegrityError):
                db.session.execute(update(model).where(model.id == row_id).values(**values))
                db.session.flush()
            db.session.rollback()
        # The consistent versions are accepted.
        db.session.execute(
            update(Newcomer).where(Newcomer.id == n.id)
            .values(household_size=3, child_age_bands=["0-2"], minors=True)
        )  # fmt: skip
        db.session.execute(
            update(Volunteer).where(Volunteer.id == v.id)
            .values(families_welcome=True, max_household=5, child_age_bands=["3-5"])
        )  # fmt: skip
        db.session.commit()


def test_sign_up_and_profile_keep_the_family_offer(
    app: Flask, agency: Any, make_volunteer: Callable[..., Any]
) -> None:
    client = app.test_client()
    form = signup_form(families_welcome="y", max_household="5", child_age_bands=["3-5", "0-2"])
    assert client.post("/signup/awo-koeln", data=form).status_code == 302
    with inside(app):
        v = db.session.scalars(select(Volunteer)).one()
        assert (v.families_welcome, v.max_household, v.child_age_bands) == (
            True, 5, ["0-2", "3-5"],
        )  # fmt: skip
    # Ages without "families welcome": a clear message in the volunteer's language.
    other = signup_form(email="b@example.org", child_age_bands=["3-5"])
    refused = client.post(
        "/signup/awo-koeln?lang=uk", data=other, headers={"Accept-Language": "uk"}
    )
    assert refused.status_code == 400
    with inside(app):
        assert (
            db.session.scalars(select(Volunteer)).all() == [v]
            or len(db.session.scalars(select(Volunteer)).all()) == 1
        )


def test_the_profile_changes_the_family_offer(
    app: Flask, agency: Any, make_volunteer: Callable[..., Any]
) -> None:
    v = make_volunteer(agency, email="v@example.org")
    with inside(app):
        me = db.session.get(Volunteer, v.id)
        offer = households.FamilyOffer(True, 3, ["12-17"])
        selfservice.update_profile(me, {"de": "native"}, ["tue-morning"], 1, [], offer)
        db.session.commit()
        assert (me.families_welcome, me.max_household, me.child_age_bands) == (True, 3, ["12-17"])
        # Families no longer welcome: size and ages go with it.
        off = households.FamilyOffer(False, 3, ["12-17"])
        selfservice.update_profile(me, {"de": "native"}, ["tue-morning"], 1, [], off)
        db.session.commit()
        assert (me.families_welcome, me.max_household, me.child_age_bands) == (False, None, [])
        with pytest.raises(Invalid):
            selfservice.update_profile(
                me, {"de": "native"}, ["tue-morning"], 1, [], households.FamilyOffer(True, 1)
            )
        db.session.rollback()


def test_imports_read_the_household_columns(
    app: Flask, agency: Any, make_user: Callable[..., Any]
) -> None:
    user = make_user("coordinator", agency)
    newcomers = Table(
        ["Vorname", "PLZ", "Alter", "Sprachen", "Haushaltsgröße", "Kinder (Altersgruppen)",
         "Bedarf der Familie"],
        [(2, ["Amal", "50825", "30", "Arabisch", "4", "0-2, 6-11", "Kinderbetreuung"]),
         (3, ["Olena", "50667", "40", "Ukrainisch", "", "", ""]),
         (4, ["Rana", "50667", "40", "Arabisch", "1", "3-5", ""])],
    )  # fmt: skip
    volunteers = Table(
        ["Vorname", "Nachname", "E-Mail", "PLZ", "Alter", "Sprachen", "Familien willkommen",
         "Haushalt bis zu (Personen)", "Kinder (Altersgruppen)"],
        [(2, ["Jan", "Weber", "jan@example.org", "50667", "40", "Deutsch", "ja", "5", "3-5"]),
         (3, ["Eva", "Koch", "eva@example.org", "50667", "40", "Deutsch", "nein", "4", ""])],
    )  # fmt: skip
    with app.test_request_context(), tenancy.all_agencies():
        here = db.session.get(Agency, agency.id)
        mapping = imports.suggest_mapping("newcomers", newcomers.headers)
        plan = imports.check("newcomers", here, newcomers, mapping)
        # Children in a one-person household: refused with the row and column named.
        assert [(e.row, e.column, e.code) for e in plan.errors] == [
            (4, "Haushaltsgröße", "children_need_household")
        ]
        newcomers.rows.pop()
        imports.run("newcomers", here, newcomers, mapping, db.session.get(User, user.id))
        vmap = imports.suggest_mapping("volunteers", volunteers.headers)
        plan = imports.check("volunteers", here, volunteers, vmap)
        assert [(e.row, e.code) for e in plan.errors] == [(3, "family_details_without_welcome")]
        volunteers.rows.pop()
        imports.run("volunteers", here, volunteers, vmap, db.session.get(User, user.id))
        db.session.commit()
        got = {
            n.first_name: (n.household_size, n.child_age_bands, n.household_needs, n.minors)
            for n in db.session.scalars(select(Newcomer))
        }
        assert got == {
            "Amal": (4, ["0-2", "6-11"], ["childcare"], True),
            "Olena": (1, [], [], False),
        }
        jan = db.session.scalars(select(Volunteer)).one()
        assert (jan.families_welcome, jan.max_household, jan.child_age_bands) == (True, 5, ["3-5"])


def test_exports_and_the_art_15_export_carry_the_household(
    app: Flask, agency: Any, make_volunteer: Callable[..., Any], make_newcomer: Callable[..., Any]
) -> None:
    n = make_newcomer(agency, household_size=3, child_age_bands=["0-2"], minors=True,
                      household_needs=["school"])  # fmt: skip
    v = make_volunteer(agency, families_welcome=True, max_household=4, child_age_bands=["6-11"])
    with inside(app):
        data = gdpr.person_data(db.session.get(Newcomer, n.id), None)
        assert data["household"] == {
            "household_size": 3, "child_age_bands": ["0-2"], "household_needs": ["school"],
        }  # fmt: skip
        data = gdpr.person_data(db.session.get(Volunteer, v.id), None)
        assert data["household"] == {
            "families_welcome": True, "max_household": 4, "child_age_bands": ["6-11"],
        }  # fmt: skip
        assert data["onboarding"] == []
        json.dumps(data)
        # Erasure leaves no household behind (and keeps the CHECKs satisfied).
        erasure.erase_newcomer(db.session.get(Newcomer, n.id), None, on=date.today())
        erasure.erase_volunteer(db.session.get(Volunteer, v.id), None, on=date.today())
        db.session.commit()
        gone = db.session.get(Newcomer, n.id)
        assert (gone.household_size, gone.child_age_bands, gone.household_needs) == (1, [], [])
        assert db.session.get(Volunteer, v.id).families_welcome is False


def test_the_people_lists_export_household_columns(
    app: Flask, agency: Any, make_volunteer: Callable[..., Any], make_newcomer: Callable[..., Any]
) -> None:
    make_newcomer(agency, household_size=3, child_age_bands=["0-2"], minors=True)
    make_volunteer(agency, families_welcome=True, max_household=4)
    with app.test_request_context(), tenancy.all_agencies():
        here = db.session.get(Agency, agency.id)
        for kind, column, value in (("newcomers", "household_size", 3),
                                    ("volunteers", "max_household", 4)):  # fmt: skip
            request = exports.ExportRequest(kind=kind, agency=here, locale="de")
            columns, rows = exports._BUILDERS[(kind, False)](request)
            assert rows[0][columns.index(column)] == value


def test_cell_readers_for_household_columns() -> None:
    assert import_fields.household_size("") == 1
    assert import_fields.household_size("4") == 4
    assert import_fields.child_age_bands("0–2 J.; 12 bis 17, 6-11") == ["0-2", "6-11", "12-17"]
    assert import_fields.household_needs("Kinderbetreuung, school") == ["childcare", "school"]
    assert import_fields.max_household("") is None
    for reader, bad in (
        (import_fields.household_size, "16"),
        (import_fields.max_household, "1"),
        (import_fields.child_age_bands, "18-25"),
        (import_fields.household_needs, "Pony"),
    ):
        with pytest.raises(import_fields.CellError):
            reader(bad)
    mapping = import_fields.suggest_mapping(
        "newcomers", ["Vorname", "Kinder", "Haushaltsgröße", "Kinder (Altersgruppen)"]
    )
    assert (mapping["minors"], mapping["household_size"], mapping["child_age_bands"]) == (1, 2, 3)
    mapping = import_fields.suggest_mapping("volunteers", ["Familien willkommen"])
    assert mapping["families_welcome"] == 0


def test_a_coordinator_records_the_family_offer_on_the_volunteer_page(
    app: Flask, staff: Any, agency: Any, make_volunteer: Callable[..., Any],
    make_agency: Callable[..., Any],
) -> None:  # fmt: skip
    v = make_volunteer(agency)
    page = staff.get(f"/volunteers/{v.id}").get_data(as_text=True)
    assert "Familien willkommen" in page
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    ok = staff.post(f"/volunteers/{v.id}/household", data={
        "csrf_token": token, "families_welcome": "y", "max_household": "6",
        "child_age_bands": ["12-17"],
    })  # fmt: skip
    assert ok.status_code == 302
    with inside(app):
        got = db.session.get(Volunteer, v.id)
        assert (got.families_welcome, got.max_household, got.child_age_bands) == (
            True, 6, ["12-17"],
        )  # fmt: skip
        assert "volunteer.household_update" in set(db.session.scalars(select(AuditEvent.action)))
    bad = staff.post(f"/volunteers/{v.id}/household",
                     data={"csrf_token": token, "max_household": "4"})  # fmt: skip
    assert bad.status_code == 400 and "Familie" in bad.get_data(as_text=True)
    other = make_volunteer(make_agency(slug="other"))
    assert staff.post(f"/volunteers/{other.id}/household",
                      data={"csrf_token": token}).status_code == 404  # fmt: skip
