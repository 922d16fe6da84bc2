"""Art. 15/20: everything stored about a person as JSON; Art. 17: erasure from the admin pages."""

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from matcher.extensions import db
from matcher.models import AuditEvent, CheckIn, FirstMeeting, Match, Volunteer
from tests.conftest import inside, login


def test_person_data_holds_profile_consents_matches_and_log(
    app: Flask, client: FlaskClient, make_agency: Callable[..., Any], make_user: Callable[..., Any],
    make_volunteer: Callable[..., Any], make_newcomer: Callable[..., Any],
) -> None:  # fmt: skip
    a = {"agency": make_agency()}
    a["volunteer"] = make_volunteer(a["agency"], first_name="VolA")
    a["newcomer"] = make_newcomer(a["agency"], first_name="NewA")
    other = make_volunteer(make_agency(), first_name="VolB")
    with inside(app):
        match = Match(agency_id=a["agency"].id, volunteer_id=a["volunteer"].id,
                      newcomer_id=a["newcomer"].id, status="active")  # fmt: skip
        db.session.add(match)
        db.session.flush()
        db.session.add(CheckIn(agency_id=a["agency"].id, match_id=match.id,
                               due_on=date(2026, 12, 1), note="Treffen läuft gut"))  # fmt: skip
        db.session.add(FirstMeeting(agency_id=a["agency"].id, match_id=match.id,
                                    starts_at=datetime(2026, 12, 3, 15, 30, tzinfo=UTC),
                                    place="Stadtteilbüro Nord"))  # fmt: skip
        db.session.commit()
    login(client, make_user("admin"))
    search = client.get("/admin/privacy?q=vola").get_data(as_text=True)
    assert a["volunteer"].email in search and other.email not in search

    response = client.post(f"/admin/privacy/volunteer/{a['volunteer'].id}/data.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    data = json.loads(response.data)
    assert data["format"] == "matcher.person-data/1"
    assert data["profile"]["email"] == a["volunteer"].email
    assert data["profile"]["first_name"] == "VolA"
    assert data["languages"] == {"ar": "fluent", "de": "native"}
    assert data["consents"][0]["purpose"] == "matching"
    # The check-in happened; its note (staff's words about the pair) is counted, not given.
    assert data["patenschaften"][0]["check_ins"][0]["due_on"] == "2026-12-01"
    assert "Treffen läuft gut" not in response.get_data(as_text=True)
    assert data["notes_left_out"] == 1
    assert "password_hash" not in response.get_data(as_text=True)

    newcomer = client.post(f"/admin/privacy/newcomer/{a['newcomer'].id}/data.json")
    assert json.loads(newcomer.data)["profile"]["first_name"] == "NewA"
    # The first meeting of the introduction letter is hers (and his) too.
    for person in (data, json.loads(newcomer.data)):
        assert person["patenschaften"][0]["first_meeting"]["place"] == "Stadtteilbüro Nord"
    with inside(app):
        actions = db.session.scalars(select(AuditEvent.action)).all()
        assert "volunteer.data_export" in actions and "newcomer.data_export" in actions
    assert client.post("/admin/privacy/robot/1/data.json").status_code == 404
    assert client.post("/admin/privacy/volunteer/999999/data.json").status_code == 404


def test_erasure_needs_confirmation_then_removes_the_person(
    app: Flask, client: FlaskClient, two_agencies: dict[str, Any]
) -> None:
    volunteer = two_agencies["a"]["volunteer"]
    login(client, two_agencies["admin"])
    url = f"/admin/privacy/volunteer/{volunteer.id}/erase"
    assert client.get(url).status_code == 200
    refused = client.post(url, data={})
    assert refused.status_code == 400
    with inside(app):
        assert db.session.get(Volunteer, volunteer.id).anonymised_at is None
    done = client.post(url, data={"confirm": "y"})
    assert done.status_code == 302
    with inside(app):
        erased = db.session.get(Volunteer, volunteer.id)
        assert erased.anonymised_at is not None and erased.email != volunteer.email
    # Erased people are no longer found, exported or erased again.
    assert client.get(url).status_code == 404
    assert volunteer.email not in client.get("/admin/privacy?q=vola").get_data(as_text=True)


def test_coordinators_cannot_reach_the_privacy_pages(
    client: FlaskClient, two_agencies: dict[str, Any]
) -> None:
    login(client, two_agencies["a"]["coordinator"])
    volunteer = two_agencies["a"]["volunteer"]
    assert client.get("/admin/privacy").status_code == 403
    assert client.post(f"/admin/privacy/volunteer/{volunteer.id}/data.json").status_code == 403
    assert client.get("/admin/audit").status_code == 403
