"""The engine's problem is built from exactly the people the agency may match."""

from collections.abc import Callable
from datetime import timedelta

from flask import Flask

from matcher.extensions import db
from matcher.models import Agency, Match, Newcomer, Volunteer, utcnow
from matcher.services.matching import problem as match_problem
from tests.conftest import inside
from tests.matching.conftest import Office, set_values, today


def _build(app: Flask, agency: Agency) -> dict:
    with inside(app):
        fresh = db.session.get(Agency, agency.id)
        assert fresh is not None
        return match_problem.build(fresh, today()).document


def test_only_eligible_people_with_free_capacity(
    app: Flask,
    office: Office,
    make_agency: Callable[..., Agency],
    make_volunteer: Callable[..., Volunteer],
    make_newcomer: Callable[..., Newcomer],
) -> None:
    agency = office.agency
    ok = make_volunteer(agency, capacity=2, certificate_inspected_on=today(),
                        certificate_issued_on=today() - timedelta(days=30),
                        certificate_result="clear")  # fmt: skip
    make_volunteer(agency, status="paused")
    make_volunteer(agency, email_confirmed_at=None)
    make_volunteer(agency, anonymised_at=utcnow())
    make_volunteer(make_agency(), first_name="Fremd")
    waiting = make_newcomer(agency, minors=True, mentor_gender="female")
    make_newcomer(agency, status="paused")
    make_newcomer(agency, consents=())  # no consent to matching
    doc = _build(app, agency)
    assert [v["id"] for v in doc["volunteers"]] == [f"v{ok.id}"]
    (v,) = doc["volunteers"]
    assert v["capacity"] == 2 and v["police_certificate"] is True
    assert v["slots"] == ["mon-evening", "sat-morning"] and v["languages"] == {
        "ar": "fluent",
        "de": "native",
    }
    assert [n["id"] for n in doc["newcomers"]] == [f"n{waiting.id}"]
    (n,) = doc["newcomers"]
    assert n["minors"] is True and n["mentor_gender"] == "female"
    assert n["waiting_since"] == "2026-08-01" and n["location"] == {"lat": 50.954, "lon": 6.910}
    assert doc["settings"]["max_distance_km"] == 15.0
    assert doc["pinned"] == [] and doc["forbidden"] == []


def test_decided_pairs_are_pinned_and_use_capacity_rejected_are_forbidden(
    app: Flask,
    office: Office,
    make_volunteer: Callable[..., Volunteer],
    make_newcomer: Callable[..., Newcomer],
) -> None:
    agency = office.agency
    busy = make_volunteer(agency, capacity=2)
    full = make_volunteer(agency, capacity=1)
    paired, other, rejected, conflict = (make_newcomer(agency) for _ in range(4))
    with inside(app):
        db.session.add_all([
            Match(agency_id=agency.id, volunteer_id=busy.id, newcomer_id=paired.id, status="active"),
            Match(agency_id=agency.id, volunteer_id=full.id, newcomer_id=other.id, status="approved"),
            Match(agency_id=agency.id, volunteer_id=busy.id, newcomer_id=rejected.id, status="rejected"),
            Match(agency_id=agency.id, volunteer_id=busy.id, newcomer_id=conflict.id, status="ended",
                  end_reason="conflict"),
        ])  # fmt: skip
        db.session.commit()
    for n in (paired, other):
        set_values(app, Newcomer, n.id, status="matched")
    doc = _build(app, agency)
    capacity = {v["id"]: v["capacity"] for v in doc["volunteers"]}
    # Pinned pairs consume capacity inside the engine: one held plus one free.
    assert capacity == {f"v{busy.id}": 2, f"v{full.id}": 1}
    assert {(p["volunteer"], p["newcomer"]) for p in doc["pinned"]} == {
        (f"v{busy.id}", f"n{paired.id}"),
        (f"v{full.id}", f"n{other.id}"),
    }
    assert {(p["volunteer"], p["newcomer"]) for p in doc["forbidden"]} == {
        (f"v{busy.id}", f"n{rejected.id}"),
        (f"v{busy.id}", f"n{conflict.id}"),
    }
    assert {n["id"] for n in doc["newcomers"]} == {
        f"n{paired.id}",
        f"n{other.id}",
        f"n{rejected.id}",
        f"n{conflict.id}",
    }
