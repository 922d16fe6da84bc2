"""Agencies: create, edit settings, the candidate-pair preview, the privacy notice version."""

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from matcher.extensions import db
from matcher.models import Agency
from tests.conftest import inside, login

SETTINGS = {
    "name": "AWO Köln", "city": "Köln", "umbrella": "awo", "privacy_contact": "dsb@awo.example",
    "max_distance_km": "15", "weight_language": "3", "weight_distance": "2",
    "weight_availability": "2", "weight_topics": "1", "weight_waiting": "1",
    "checkin_interval_weeks": "8", "trial_weeks": "6", "retention_months": "18",
    "privacy_notice_text": "Wir verarbeiten Ihre Daten.",
}  # fmt: skip


def test_create_an_agency_and_refuse_a_duplicate(
    app: Flask, client: FlaskClient, make_user: Callable[..., Any]
) -> None:
    login(client, make_user("admin"))
    data = {"slug": "awo-koeln", "name": "AWO Köln", "city": "Köln", "umbrella": "awo"}
    created = client.post("/admin/agencies", data=data)
    assert created.status_code == 302
    duplicate = client.post("/admin/agencies", data=data)
    assert duplicate.status_code == 400
    assert "Es gibt schon einen Träger mit diesem Kurznamen." in duplicate.get_data(as_text=True)
    bad = client.post("/admin/agencies", data={**data, "slug": "AWO Köln!"})
    assert bad.status_code == 400


def test_save_settings_and_bump_the_notice_version_only_when_the_text_changes(
    app: Flask, client: FlaskClient, make_user: Callable[..., Any], make_agency: Callable[..., Any]
) -> None:
    agency = make_agency(privacy_notice_text="Alt.", privacy_notice_version="3")
    login(client, make_user("admin"))
    url = f"/admin/agencies/{agency.id}"
    assert client.post(url, data=SETTINGS).status_code == 302
    with inside(app):
        saved = db.session.get(Agency, agency.id)
        assert saved.privacy_notice_version == "4"
        assert saved.retention_months == 18 and saved.trial_weeks == 6
        assert saved.max_distance_km == 15.0 and saved.weights["language"] == 3.0
    assert client.post(url, data={**SETTINGS, "name": "AWO"}).status_code == 302
    with inside(app):
        assert db.session.get(Agency, agency.id).privacy_notice_version == "4"
    # Bad values: a message, a 400, nothing saved.
    for bad in ({"retention_months": "0"}, {"weight_language": "-1"}, {"max_distance_km": "abc"},
                {"weight_language": "0", "weight_distance": "0", "weight_availability": "0",
                 "weight_topics": "0", "weight_waiting": "0"}, {"umbrella": "church"}):  # fmt: skip
        response = client.post(url, data={**SETTINGS, **bad})
        assert response.status_code == 400, bad
        assert 'class="error"' in response.get_data(as_text=True)
    with inside(app):
        assert db.session.get(Agency, agency.id).name == "AWO"


def test_the_preview_counts_feasible_pairs_without_saving(
    app: Flask, client: FlaskClient, make_user: Callable[..., Any], make_agency: Callable[..., Any],
    make_volunteer: Callable[..., Any], make_newcomer: Callable[..., Any],
) -> None:  # fmt: skip
    agency = make_agency(max_distance_km=15.0)
    # Köln Ehrenfeld, and Bonn (about 25 km away).
    near = make_volunteer(agency, lat=50.951, lon=6.927, gender="female")
    make_volunteer(agency, lat=50.737, lon=7.098)
    make_volunteer(agency, languages={"fr": "native"})  # no shared language
    make_volunteer(agency, slots=["sun-evening"])  # no shared slot
    make_volunteer(agency, status="applied")  # not available
    # Both consent to matching (the factory records it; one consent in force per purpose).
    make_newcomer(agency)  # Arabic and German, Saturday morning
    make_newcomer(agency, mentor_gender="female", minors=True)  # needs a certificate too
    login(client, make_user("admin"))
    page = client.get(f"/admin/agencies/{agency.id}").get_data(as_text=True)
    assert 'data-count="feasible">1<' in page  # within 15 km only the near volunteer fits
    counts = client.get(f"/admin/agencies/{agency.id}/preview?max_distance_km=5").get_json()
    assert counts["volunteers"] == 4 and counts["newcomers"] == 2
    assert counts["language"] == 6 and counts["distance"] == 4 and counts["slots"] == 2
    # The second newcomer needs a female volunteer with a certificate: none yet.
    assert counts["gender_certificate"] == 1 and counts["feasible"] == 1
    assert near.gender == "female"
    unlimited = client.get(f"/admin/agencies/{agency.id}/preview?max_distance_km=").get_json()
    assert unlimited["distance"] == 6 and unlimited["feasible"] == 2  # Bonn counts now
    assert client.get(f"/admin/agencies/{agency.id}/preview?max_distance_km=x").status_code == 400
    # The button without JavaScript: the same figures, nothing saved.
    posted = client.post(f"/admin/agencies/{agency.id}", data={**SETTINGS, "max_distance_km": "50",
                                                              "preview": "1"})  # fmt: skip
    assert posted.status_code == 200 and 'data-count="feasible">2<' in posted.get_data(as_text=True)
    with inside(app):
        assert db.session.get(Agency, agency.id).max_distance_km == 15.0


def test_admin_pages_are_for_admins_only(client: FlaskClient, two_agencies: dict[str, Any]) -> None:
    agency = two_agencies["a"]["agency"]
    login(client, two_agencies["a"]["coordinator"])
    for path in ("/admin/", "/admin/agencies", f"/admin/agencies/{agency.id}", "/admin/users",
                 "/admin/figures", "/admin/imports"):  # fmt: skip
        assert client.get(path).status_code == 403, path
    assert client.post(f"/admin/agencies/{agency.id}", data=SETTINGS).status_code == 403


def test_a_coordinator_sees_their_own_agency_read_only(
    client: FlaskClient, two_agencies: dict[str, Any]
) -> None:
    login(client, two_agencies["a"]["coordinator"])
    page = client.get("/agency")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert (
        "Agency A" in html
        and "Agency B" not in html
        and '<form method="post" novalidate' not in html
    )
    admin = client.application.test_client()
    login(admin, two_agencies["admin"])
    assert admin.get("/agency").status_code == 302
