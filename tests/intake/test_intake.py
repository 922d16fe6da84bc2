"""Newcomer intake by coordinators: consent as the law wants it, edit, pause, close, erase."""

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from matcher.domain.vocab import mask_to_slots
from matcher.extensions import db
from matcher.models import ConsentRecord, Match, Newcomer, utcnow
from matcher.services.platform import document_texts
from tests.conftest import inside, login
from tests.forms import errors, newcomer_form, row_counts
from tests.services.test_erasure import _all_text


@pytest.fixture
def agency(make_agency: Callable[..., Any]) -> Any:
    return make_agency(slug="awo-koeln", name="AWO Köln", privacy_notice_version="3")


@pytest.fixture
def coordinator(agency: Any, make_user: Callable[..., Any]) -> Any:
    return make_user("coordinator", agency, email="coord@example.org")


@pytest.fixture
def staff(app: Flask, coordinator: Any) -> Any:
    client = app.test_client()
    login(client, coordinator)
    return client


def test_registering_a_newcomer_records_consent_with_purpose_version_language_channel_and_staff(
    app: Flask, staff: Any, coordinator: Any, agency: Any
) -> None:
    assert staff.get("/newcomers/new").status_code == 200
    response = staff.post(
        "/newcomers/new", data=newcomer_form(consent_contact_sharing="y", consent_channel="paper")
    )
    assert response.status_code == 302
    with inside(app):
        n = db.session.scalars(select(Newcomer)).one()
        assert response.location.endswith(f"/newcomers/{n.id}")
        assert (n.first_name, n.postcode, n.age_band, n.status) == (
            "Amal",
            "50825",
            "26_35",
            "waiting",
        )
        assert n.waiting_since == utcnow().date() and n.agency_id == agency.id
        assert n.minors is True and n.mentor_gender == "female"
        assert n.lat == pytest.approx(50.95, abs=0.05) and n.lon == pytest.approx(6.91, abs=0.05)
        assert mask_to_slots(n.slots) == ["wed-afternoon", "sat-morning"]
        assert {(lang.code, lang.level) for lang in n.languages} == {
            ("ar", "native"),
            ("de", "basic"),
        }
        assert n.created_by_id == coordinator.id
        consents = db.session.scalars(select(ConsentRecord)).all()
        assert {c.purpose for c in consents} == {"matching", "contact_sharing"}
        # The newcomer notice shown, in her language: the shipped Arabic text so far (not
        # the volunteers' notice, version 3).
        shown = document_texts.current_version(agency.id, "privacy_notice", "ar").reference
        assert shown.startswith("0:")
        for c in consents:
            assert (c.notice_version, c.language, c.channel, c.taken_by_id, c.newcomer_id) == (
                shown, "ar", "paper", coordinator.id, n.id
            )  # fmt: skip
    page = staff.get(response.location).get_data(as_text=True)
    assert "Amal" in page and "auf Papier" in page and "Arabisch" in page


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"first_name": ""}, "Bitte füllen Sie dieses Feld aus."),
        ({"first_name": "A" * 101}, "länger als 100 Zeichen"),
        ({"postcode": "99999"}, "gültige deutsche Postleitzahl"),
        ({"languages-0-code": "xx"}, "Unbekannte Sprache."),
        ({"languages-0-level": "c2"}, "Unbekanntes Niveau."),
        ({"first_name": "<script>alert(1)</script>"}, "nur Buchstaben"),
        ({"contact_note": "<img src=x onerror=alert(1)>"}, "ohne HTML-Tags"),
        ({"contact_note": "x" * 301}, "länger als 300 Zeichen"),
        ({"consent_matching": None}, "Ohne diese Einwilligung"),
        ({"consent_channel": "online"}, "gültige Auswahl"),
        ({"consent_channel": None}, "Bitte füllen Sie dieses Feld aus."),
        ({"consent_language": "xx"}, "Unbekannte Sprache."),
        ({"mentor_gender": "any"}, "gültige Auswahl"),
        ({"slots": []}, "mindestens eine Zeit"),
    ],
)
def test_bad_intake_input_gets_a_clear_message_and_stores_nothing(
    app: Flask, staff: Any, change: dict[str, Any], message: str
) -> None:
    before = row_counts(app)
    response = staff.post("/newcomers/new", data=newcomer_form(**change))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert any(message in e for e in errors(html)), errors(html)
    assert "<script>alert" not in html and "<img src=x" not in html
    after = row_counts(app)
    after.pop("audit_events"), before.pop("audit_events")
    assert after == before


def test_nul_byte_and_10_mb_on_intake(app: Flask, staff: Any) -> None:
    before = row_counts(app)
    assert staff.post("/newcomers/new", data=newcomer_form(first_name="A\x00")).status_code == 400
    huge = staff.post("/newcomers/new", data=newcomer_form(contact_note="x" * (10 * 1024 * 1024)))
    assert huge.status_code == 413
    assert row_counts(app) == before


def test_an_admin_registers_only_after_choosing_an_agency_to_work_on(
    app: Flask, make_user: Callable[..., Any]
) -> None:
    client = app.test_client()
    login(client, make_user("admin"))
    before = row_counts(app)
    refused = client.post("/newcomers/new", data=newcomer_form())
    assert refused.status_code == 302 and "/admin/act-as" in refused.location
    assert row_counts(app) == before


def test_editing_keeps_data_and_refuses_a_stale_form(
    app: Flask, staff: Any, agency: Any, make_newcomer: Callable[..., Any]
) -> None:
    n = make_newcomer(agency, first_name="Amal")
    form = staff.get(f"/newcomers/{n.id}/edit").get_data(as_text=True)
    assert 'value="Amal"' in form
    import re

    loaded_at = re.search(r'name="loaded_at" type="hidden" value="([^"]+)"', form).group(1)
    first = staff.post(
        f"/newcomers/{n.id}/edit",
        data=newcomer_form(first_name="Amal-Sara", loaded_at=loaded_at),
    )
    assert first.status_code == 302
    # A second coordinator saves from the same old form: refused, nothing lost.
    second = staff.post(
        f"/newcomers/{n.id}/edit", data=newcomer_form(first_name="Mallory", loaded_at=loaded_at)
    )
    assert second.status_code == 409 and "inzwischen geändert" in second.get_data(as_text=True)
    with inside(app):
        assert db.session.get(Newcomer, n.id).first_name == "Amal-Sara"
    bad = staff.post(f"/newcomers/{n.id}/edit", data=newcomer_form(postcode="00000"))
    assert bad.status_code == 400


def test_pause_resume_close_reopen(
    app: Flask, staff: Any, agency: Any, make_newcomer: Callable[..., Any]
) -> None:
    n = make_newcomer(agency)

    def change(what: str) -> int:
        return staff.post(f"/newcomers/{n.id}/status", data={"change": what}).status_code

    def status() -> str:
        with inside(app):
            return db.session.get(Newcomer, n.id).status

    assert change("pause") == 302 and status() == "paused"
    assert change("pause") == 409 and status() == "paused"
    assert change("resume") == 302 and status() == "waiting"
    assert change("close") == 302 and status() == "closed"
    assert change("reopen") == 302 and status() == "waiting"
    assert change("bogus") == 400


def test_a_newcomer_with_an_open_patenschaft_cannot_be_closed(
    app: Flask, staff: Any, agency: Any, make_newcomer: Callable[..., Any],
    make_volunteer: Callable[..., Any],
) -> None:  # fmt: skip
    n = make_newcomer(agency, status="matched")
    v = make_volunteer(agency)
    with inside(app):
        db.session.add(
            Match(agency_id=agency.id, volunteer_id=v.id, newcomer_id=n.id, status="active")
        )
        db.session.commit()
    response = staff.post(f"/newcomers/{n.id}/status", data={"change": "close"})
    assert response.status_code == 409 and "zuerst die Patenschaft" in response.get_data(
        as_text=True
    )


def test_erasing_a_newcomer(
    app: Flask, staff: Any, agency: Any, make_newcomer: Callable[..., Any]
) -> None:
    n = make_newcomer(agency, first_name="Zilpha", contact_note="Unterkunft Nord, Zi. 4")
    assert staff.post(f"/newcomers/{n.id}/erase", data={}).status_code == 400
    assert "Zilpha" in _all_text(app)
    assert staff.post(f"/newcomers/{n.id}/erase", data={"confirm": "y"}).status_code == 302
    text = _all_text(app)
    assert "Zilpha" not in text and "Unterkunft Nord" not in text
    with inside(app):
        assert db.session.get(Newcomer, n.id).anonymised_at is not None
    assert "Zilpha" not in staff.get("/newcomers").get_data(as_text=True)


def test_list_filters_search_status_language_area_and_paging(
    app: Flask, staff: Any, agency: Any, make_newcomer: Callable[..., Any],
    make_volunteer: Callable[..., Any],
) -> None:  # fmt: skip
    make_newcomer(agency, first_name="Amal", postcode="50825", languages={"ar": "native"})
    make_newcomer(
        agency, first_name="Oksana", postcode="51103", languages={"uk": "native"}, status="paused"
    )
    for i in range(27):
        make_volunteer(
            agency, last_name=f"Zeta{i:02d}", postcode="53111", languages={"fa": "native"}
        )
    make_volunteer(
        agency, first_name="Seán", last_name="O'Brien", postcode="50823", languages={"ga": "good"}
    )

    def names(path: str) -> str:
        response = staff.get(path)
        assert response.status_code == 200, path
        return response.get_data(as_text=True)

    assert "Oksana" not in names("/newcomers?language=ar") and "Amal" in names(
        "/newcomers?language=ar"
    )
    assert "Amal" not in names("/newcomers?status=paused")
    assert "Oksana" in names("/newcomers?area=511") and "Amal" not in names("/newcomers?area=511")
    assert "Amal" in names("/newcomers?q=ama")
    assert "O&#39;Brien" in names("/volunteers?language=ga") and "Zeta" not in names(
        "/volunteers?language=ga"
    )
    assert "O&#39;Brien" in names("/volunteers?area=508")
    page1, page2 = names("/volunteers?area=531"), names("/volunteers?area=531&page=2")
    assert "Zeta00" in page1 and "Zeta26" not in page1 and "Zeta26" in page2
    for bad in ("area=abc", "area=123456", "language=xx", "status=bogus", "page=0"):
        assert staff.get(f"/volunteers?{bad}").status_code == 400, bad


def test_recording_a_certificate_inspection_and_who_needs_one(
    app: Flask, staff: Any, agency: Any, coordinator: Any, make_newcomer: Callable[..., Any],
    make_volunteer: Callable[..., Any],
) -> None:  # fmt: skip
    make_newcomer(agency, minors=True)
    offered = make_volunteer(agency, last_name="Angeboten", can_show_certificate=True)
    make_volunteer(agency, last_name="Ohne")
    make_volunteer(
        agency, last_name="Geprueft", certificate_inspected_on=date(2026, 1, 2),
        certificate_issued_on=date(2025, 12, 1), certificate_result="clear",
    )  # fmt: skip
    need = staff.get("/volunteers/certificates").get_data(as_text=True)
    assert "Angeboten" in need and "Ohne" in need and "Geprueft" not in need
    assert "1 wartende neuzugewanderte Person braucht eine ehrenamtliche Begleitung mit" in need
    assert need.index("Angeboten</a>") < need.index("Ohne</a>")  # who offered one first

    today = utcnow().date()
    response = staff.post(
        f"/volunteers/{offered.id}/certificate",
        data={"inspected_on": today.isoformat(), "issued_on": "2025-11-20", "result": "clear"},
    )
    assert response.status_code == 302
    from matcher.models import Volunteer

    with inside(app):
        v = db.session.get(Volunteer, offered.id)
        assert (v.certificate_inspected_on, v.certificate_issued_on, v.certificate_result) == (
            today, date(2025, 11, 20), "clear"
        )  # fmt: skip
        assert v.certificate_inspected_by_id == coordinator.id
    assert "Angeboten" not in staff.get("/volunteers/certificates").get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"inspected_on": "2999-01-01", "issued_on": "2025-11-20", "result": "clear"}, "Zukunft"),
        (
            {"inspected_on": "2026-01-01", "issued_on": "2026-02-01", "result": "clear"},
            "nach der Einsichtnahme",
        ),
        (
            {"inspected_on": "2026-01-01", "issued_on": "2015-01-01", "result": "clear"},
            "älter als fünf Jahre",
        ),
        ({"inspected_on": "yesterday", "issued_on": "2025-11-20", "result": "clear"}, "Datum"),
        (
            {"inspected_on": "2026-01-01", "issued_on": "2025-11-20", "result": "fine"},
            "gültige Auswahl",
        ),
        ({}, "Bitte füllen Sie dieses Feld aus."),
    ],
)
def test_bad_certificate_input_is_refused(
    app: Flask, staff: Any, agency: Any, make_volunteer: Callable[..., Any],
    data: dict[str, str], message: str,
) -> None:  # fmt: skip
    v = make_volunteer(agency)
    before = row_counts(app)
    response = staff.post(f"/volunteers/{v.id}/certificate", data=data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert any(message in e for e in errors(html)), errors(html)
    after = row_counts(app)
    after.pop("audit_events"), before.pop("audit_events")
    assert after == before
    from matcher.models import Volunteer

    with inside(app):
        assert db.session.get(Volunteer, v.id).certificate_inspected_on is None


def test_activating_and_deactivating_a_volunteer_deletes_the_certificate_record(
    app: Flask, staff: Any, agency: Any, make_volunteer: Callable[..., Any]
) -> None:
    from matcher.models import Volunteer

    v = make_volunteer(
        agency, status="applied", certificate_inspected_on=date(2026, 1, 2),
        certificate_issued_on=date(2025, 12, 1), certificate_result="clear",
    )  # fmt: skip
    assert staff.post(f"/volunteers/{v.id}/status", data={"change": "activate"}).status_code == 302
    assert (
        staff.post(f"/volunteers/{v.id}/status", data={"change": "deactivate"}).status_code == 302
    )
    with inside(app):
        left = db.session.get(Volunteer, v.id)
        assert left.status == "inactive" and left.certificate_inspected_on is None
