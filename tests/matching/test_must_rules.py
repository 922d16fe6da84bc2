"""An agency's must-rules: saved from its page, previewed live, read by the problem builder."""

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from matcher.extensions import db
from matcher.models import Agency, AuditEvent, Newcomer, Volunteer
from matcher.services.matching import problem
from tests.conftest import inside, login
from tests.forms import newcomer_form
from tests.matching.conftest import Office, today

BASE = {
    "min_score": "0",
    "min_language_level": "",
    "min_shared_slots": "1",
    "tandem_gender": "",
    "interests": "",
}


@pytest.fixture
def people(
    office: Office,
    make_volunteer: Callable[..., Volunteer],
    make_newcomer: Callable[..., Newcomer],
) -> dict[str, Any]:
    """Two volunteers and two newcomers, so that every rule takes something different."""
    return {
        "v1": make_volunteer(office.agency, gender="female", interests=["Kochen"]),
        "v2": make_volunteer(
            office.agency, gender="male", languages={"de": "basic"}, slots=["sat-morning"]
        ),  # fmt: skip
        "n1": make_newcomer(office.agency, gender="female", interests=["Kochen"]),
        "n2": make_newcomer(office.agency, gender="male", languages={"de": "good"}),
    }


def _client(app: Flask, office: Office) -> FlaskClient:
    client = app.test_client()
    login(client, office.coordinator)
    return client


def _preview(client: FlaskClient, **changes: str) -> dict[str, Any]:
    response = client.get("/agency/rules/preview", query_string={**BASE, **changes})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def _pairs(counts: dict[str, Any], stage: str) -> int:
    return int(counts["steps"][stage]["pairs"])


def _some_threshold_differs(client: FlaskClient, one: dict[str, str], two: dict[str, str]) -> bool:
    """Whether, at some minimum score, the two settings leave a different number of pairs."""
    return any(
        _preview(client, **one, min_score=str(s))["feasible"]
        != _preview(client, **two, min_score=str(s))["feasible"]
        for s in range(40, 100, 4)
    )


def test_the_live_preview_reacts_to_every_must_rule(
    app: Flask, office: Office, people: dict[str, Any]
) -> None:
    client = _client(app, office)
    base = _preview(client)
    assert base["all_pairs"] == 4 and base["feasible"] == 4
    assert base["newcomers_with_options"] == 2
    level = _preview(client, min_language_level="fluent")
    assert _pairs(level, "level") == 1 and level["steps"]["level"]["pairs_removed"] == 3
    slots = _preview(client, min_shared_slots="2")
    assert _pairs(slots, "slots") == 0
    assert (
        slots["steps"]["slots"]["newcomers_removed"] == 2 and slots["newcomers_with_options"] == 0
    )
    women = _preview(client, tandem_gender="women_only")
    assert _pairs(women, "tandem") == 1 and women["newcomers_with_options"] == 1
    same = _preview(client, tandem_gender="same")
    assert _pairs(same, "tandem") == 2
    score = _preview(client, min_score="99")
    assert score["steps"]["score"]["pairs_removed"] == 4
    # Soft preferences change scores, so they show where a minimum score is set.
    assert _some_threshold_differs(client, {}, {"age_band_preference": "y"})
    # Interests count only when on the agency's list.
    assert _some_threshold_differs(client, {}, {"interests": "Kochen"})
    # Bad values: 400 with a message, never a 500.
    bad = client.get("/agency/rules/preview", query_string={**BASE, "min_score": "150"})
    assert bad.status_code == 400 and bad.get_json()["message"]
    bad = client.get("/agency/rules/preview", query_string={**BASE, "tandem_gender": "men"})
    assert bad.status_code == 400


def test_saving_the_rules_feeds_the_engine(
    app: Flask, office: Office, people: dict[str, Any]
) -> None:
    client = _client(app, office)
    page = client.get("/agency").get_data(as_text=True)
    assert "Regeln für das Matching" in page and "must-rules-preview.js" in page
    invalid = client.post("/agency/rules", data={**BASE, "min_score": "-1"})
    assert invalid.status_code == 400 and 'class="error"' in invalid.get_data(as_text=True)
    saved = client.post(
        "/agency/rules",
        data={**BASE, "min_score": "20", "min_language_level": "good", "min_shared_slots": "1",
              "tandem_gender": "same", "age_band_preference": "y",
              "interests": "Kochen\nFußball\n\nKochen"},
    )  # fmt: skip
    assert saved.status_code == 302
    with inside(app):
        agency = db.session.get(Agency, office.agency.id)
        assert agency is not None
        assert agency.interests == ["Kochen", "Fußball"]
        assert "agency.must_rules" in set(db.session.scalars(select(AuditEvent.action)))
        n1 = db.session.get(Newcomer, people["n1"].id)
        assert n1 is not None
        n1.max_distance_km = 4.5
        n1.interests = ["Kochen", "Nicht mehr auf der Liste"]
        db.session.commit()
        document = problem.build(agency, today()).document
    settings = document["settings"]
    assert settings["min_score"] == 0.2 and settings["min_language_level"] == "good"
    assert settings["tandem_gender"] == "same" and settings["weights"]["family"] == 1.0
    entry = next(n for n in document["newcomers"] if n["id"] == f"n{people['n1'].id}")
    assert entry["max_distance_km"] == 4.5 and entry["gender"] == "female"
    assert entry["interests"] == ["Kochen"]  # only what is on the agency's list


def test_an_agency_without_rules_sends_todays_problem(app: Flask, office: Office) -> None:
    with inside(app):
        agency = db.session.get(Agency, office.agency.id)
        assert agency is not None
        settings = problem.settings(agency)
    assert set(settings) == {"weights", "max_distance_km", "min_shared_slots"}
    assert "family" not in settings["weights"] and settings["min_shared_slots"] == 1


def test_household_fields_go_to_the_engine_as_the_contract_names_them() -> None:
    single = Newcomer(household_size=1, child_age_bands=[])
    assert problem._household_fields(single) == {}  # absent: the engine's default
    family = Newcomer(household_size=4, child_age_bands=["3-5"])
    assert problem._household_fields(family) == {
        "household_size": 4,
        "child_age_bands": ["3-5"],
    }
    # A volunteer who did not say "families welcome" meets single people only.
    assert problem._volunteer_household_fields(
        Volunteer(families_welcome=False, max_household=None, child_age_bands=[])
    ) == {"families_welcome": False, "max_household": None}
    welcoming = Volunteer(families_welcome=True, max_household=5, child_age_bands=["6-11"])
    assert problem._volunteer_household_fields(welcoming) == {
        "families_welcome": True,
        "max_household": 5,
        "child_age_bands": ["6-11"],
    }


def test_the_newcomer_form_records_mobility_gender_and_interests(
    app: Flask, office: Office, make_newcomer: Callable[..., Newcomer]
) -> None:
    with inside(app):
        agency = db.session.get(Agency, office.agency.id)
        assert agency is not None
        agency.interests = ["Kochen", "Fußball"]
        db.session.commit()
    newcomer = make_newcomer(office.agency)
    client = _client(app, office)
    form = client.get(f"/newcomers/{newcomer.id}/edit").get_data(as_text=True)
    assert "Fußball" in form and "max_distance_km" in form
    data = newcomer_form(max_distance_km="7,5", gender="female", interests=["Fußball"])
    response = client.post(f"/newcomers/{newcomer.id}/edit", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    with inside(app):
        saved = db.session.get(Newcomer, newcomer.id)
        assert saved is not None
        assert (saved.max_distance_km, saved.gender, saved.interests) == (
            7.5,
            "female",
            ["Fußball"],
        )
    bad = client.post(f"/newcomers/{newcomer.id}/edit", data={**data, "interests": ["Reiten"]})
    assert bad.status_code == 400
