"""A coordinator edits a volunteer's details; every change (theirs, the volunteer's own, a
newcomer's edit) is recorded field by field, shown on the page and audited."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from matcher.extensions import db
from matcher.models import AuditEvent, OutboxMessage, ProfileChange, Volunteer, utcnow
from matcher.services.people import selfservice
from tests.conftest import inside
from tests.forms import newcomer_form
from tests.quality.helpers import value_of, volunteer_edit


@pytest.fixture
def agency(make_agency: Callable[..., Any]) -> Any:
    return make_agency(slug="caritas", name="Caritas Köln")


@pytest.fixture
def coordinator(agency: Any, make_user: Callable[..., Any]) -> Any:
    return make_user("coordinator", agency)


@pytest.fixture
def staff(logged_in: Callable[..., Any], coordinator: Any) -> Any:
    return logged_in(user=coordinator)


@pytest.fixture
def vera(agency: Any, make_volunteer: Callable[..., Any]) -> Any:
    return make_volunteer(
        agency, first_name="Vera", last_name="Öztürk", email="vera@example.org",
        phone="+49221123456",
    )  # fmt: skip


def changes(app: Flask, **side: int) -> list[ProfileChange]:
    with inside(app):
        rows = db.session.scalars(
            select(ProfileChange).filter_by(**side).order_by(ProfileChange.id)
        ).all()
        db.session.expunge_all()
        return list(rows)


def test_a_coordinators_edit_is_recorded_field_by_field_shown_and_audited(
    app: Flask, staff: Any, vera: Any, coordinator: Any
) -> None:
    form = volunteer_edit(
        staff, vera.id, phone="0221 987654", postcode="50667", gender="female",
        **{"languages-2-code": "fa", "languages-2-level": "good"}, capacity="2",
    )  # fmt: skip
    response = staff.post(f"/volunteers/{vera.id}/edit", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    rows = {c.field: c for c in changes(app, volunteer_id=vera.id)}
    assert set(rows) == {"phone", "postcode", "gender", "languages", "capacity"}
    assert (rows["phone"].old_value, rows["phone"].new_value) == ("+49221123456", "+49221987654")
    assert rows["languages"].new_value == "ar:fluent, de:native, fa:good"
    assert (rows["capacity"].old_value, rows["capacity"].new_value) == ("1", "2")
    assert {c.source for c in rows.values()} == {"coordinator"}
    assert {c.actor_id for c in rows.values()} == {coordinator.id}
    with inside(app):
        v = db.session.get(Volunteer, vera.id)
        assert v is not None and v.phone == "+49221987654" and v.postcode == "50667"
        actions = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.object_id == vera.id)
        ).all()
        assert "volunteer.profile_change" in actions and "volunteer.update" in actions
    page = staff.get(f"/volunteers/{vera.id}").get_data(as_text=True)
    assert "Verlauf der Angaben" in page
    assert "0221 987654" in page and "Persisch" in page  # the values, worded


def test_saving_unchanged_details_records_nothing(app: Flask, staff: Any, vera: Any) -> None:
    form = volunteer_edit(staff, vera.id)
    assert staff.post(f"/volunteers/{vera.id}/edit", data=form).status_code == 302
    assert changes(app, volunteer_id=vera.id) == []


def test_a_new_email_address_gets_the_links_and_the_old_one_is_told(
    app: Flask, staff: Any, vera: Any
) -> None:
    form = volunteer_edit(staff, vera.id, email="Vera.Neu@Example.org")
    assert staff.post(f"/volunteers/{vera.id}/edit", data=form).status_code == 302
    with inside(app):
        v = db.session.get(Volunteer, vera.id)
        assert v is not None and v.email == "vera.neu@example.org"
        assert v.token_version == vera.token_version + 1  # every older link stops working
        mails = {m.kind: m.to_address for m in db.session.scalars(select(OutboxMessage))}
    assert mails == {"email_changed": "vera@example.org", "magic_link": "vera.neu@example.org"}
    (row,) = changes(app, volunteer_id=vera.id)
    assert (row.field, row.old_value, row.new_value) == (
        "email", "vera@example.org", "vera.neu@example.org"
    )  # fmt: skip


def test_an_address_of_another_volunteer_is_refused_at_the_field(
    app: Flask, staff: Any, vera: Any, agency: Any, make_volunteer: Callable[..., Any]
) -> None:
    make_volunteer(agency, email="taken@example.org")
    form = volunteer_edit(staff, vera.id, email="taken@example.org")
    response = staff.post(f"/volunteers/{vera.id}/edit", data=form)
    assert response.status_code == 400
    assert "die beiden Einträge stattdessen zusammen" in response.get_data(as_text=True)
    assert changes(app, volunteer_id=vera.id) == []


def test_a_stale_form_is_refused_with_409_and_keeps_what_was_typed(
    app: Flask, staff: Any, vera: Any, coordinator: Any, logged_in: Callable[..., Any]
) -> None:
    mine = volunteer_edit(staff, vera.id, phone="0221 111111")
    other = logged_in(user=coordinator)
    theirs = volunteer_edit(other, vera.id, postcode="50667")
    assert other.post(f"/volunteers/{vera.id}/edit", data=theirs).status_code == 302
    response = staff.post(f"/volunteers/{vera.id}/edit", data=mine)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Jemand anderes hat" in html  # the message
    assert value_of(html, "phone") == "0221 111111"  # what was typed is still there
    assert "50667" in html  # and what the other one saved meanwhile is shown
    with inside(app):
        v = db.session.get(Volunteer, vera.id)
        assert v is not None and v.phone == "+49221123456" and v.postcode == "50667"
    # Saving the kept form again, on purpose, writes over the other change.
    again = dict(mine, loaded_at=value_of(html, "loaded_at"), loaded=value_of(html, "loaded"))
    assert staff.post(f"/volunteers/{vera.id}/edit", data=again).status_code == 302
    with inside(app):
        v = db.session.get(Volunteer, vera.id)
        assert v is not None and v.phone == "+49221111111" and v.postcode == "50823"


def test_a_touch_that_changes_no_detail_is_not_a_conflict(
    app: Flask, staff: Any, vera: Any
) -> None:
    form = volunteer_edit(staff, vera.id, phone="0221 222222")
    with inside(app):  # the volunteer opens a profile link meanwhile: the row changes
        v = db.session.get(Volunteer, vera.id)
        assert v is not None
        selfservice.open_session(v)
        v.updated_at = utcnow() + timedelta(seconds=1)
        db.session.commit()
    assert staff.post(f"/volunteers/{vera.id}/edit", data=form).status_code == 302
    assert [c.field for c in changes(app, volunteer_id=vera.id)] == ["phone"]


def test_the_volunteers_own_changes_are_recorded_as_theirs(
    app: Flask, client: Any, vera: Any
) -> None:
    with client.session_transaction() as session:
        session["volunteer"] = {
            "v": vera.id, "t": vera.token_version,
            "until": (utcnow() + timedelta(minutes=30)).isoformat(),
        }  # fmt: skip
    data = {
        "languages-0-code": "de", "languages-0-level": "native",
        "languages-1-code": "uk", "languages-1-level": "good",
        "slots": ["tue-morning"], "topics": ["homework"], "capacity": "3",
    }  # fmt: skip
    assert client.post("/me/profile", data=data).status_code == 302
    rows = {c.field: c for c in changes(app, volunteer_id=vera.id)}
    assert set(rows) == {"languages", "slots", "topics", "capacity"}
    assert rows["slots"].new_value == "tue-morning"
    assert {(c.source, c.actor_id) for c in rows.values()} == {("self", None)}


def test_a_newcomers_edit_is_recorded_too(
    app: Flask, staff: Any, agency: Any, make_newcomer: Callable[..., Any]
) -> None:
    n = make_newcomer(agency, first_name="Amal", postcode="50825")
    html = staff.get(f"/newcomers/{n.id}/edit").get_data(as_text=True)
    data = newcomer_form(first_name="Amal", postcode="50667", loaded_at=value_of(html, "loaded_at"))
    for key in ("consent_matching", "consent_language", "consent_channel"):
        data.pop(key)
    assert staff.post(f"/newcomers/{n.id}/edit", data=data).status_code == 302
    rows = {c.field: c for c in changes(app, newcomer_id=n.id)}
    assert rows["postcode"].old_value == "50825" and rows["postcode"].new_value == "50667"
    assert "first_name" not in rows
    assert {c.source for c in rows.values()} == {"coordinator"}
    assert "Verlauf der Angaben" in staff.get(f"/newcomers/{n.id}").get_data(as_text=True)


def test_the_history_is_in_the_art_15_export_and_goes_with_erasure(
    app: Flask, staff: Any, vera: Any
) -> None:
    from matcher.models import today
    from matcher.services.people import erasure, gdpr

    form = volunteer_edit(staff, vera.id, phone="0221 333333")
    assert staff.post(f"/volunteers/{vera.id}/edit", data=form).status_code == 302
    with inside(app):
        v = db.session.get(Volunteer, vera.id)
        assert v is not None
        exported = gdpr.person_data(v, None)["profile_history"]
        assert [(e["field"], e["old_value"], e["new_value"]) for e in exported] == [
            ("phone", "+49221123456", "+49221333333")
        ]
        erasure.erase_volunteer(v, None, on=today())
        db.session.commit()
    assert changes(app, volunteer_id=vera.id) == []  # old numbers and addresses go too
