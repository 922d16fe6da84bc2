"""Volunteers' phone numbers follow the same rules (`matcher.domain.phones`): the sign-up stores
E.164, the coordinator's page shows and links it, and numbers stored before still show."""

from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy import select

from matcher.extensions import db
from matcher.models import Volunteer
from tests.conftest import inside, login
from tests.forms import errors, signup_form
from tests.web.test_tenancy import id_routes


def test_the_sign_up_stores_the_number_in_e164_and_refuses_letters(
    app: Flask, client: Any, make_agency: Callable[..., Any]
) -> None:
    make_agency(slug="awo-koeln")
    refused = client.post("/signup/awo-koeln", data=signup_form(phone="0221 12345a"))
    assert refused.status_code == 400
    assert any("Telefonnummer" in e for e in errors(refused.get_data(as_text=True)))
    assert client.post("/signup/awo-koeln", data=signup_form(phone="0221 / 12 34-56")).status_code in (
        200, 302,
    )  # fmt: skip
    with inside(app):
        assert db.session.scalars(select(Volunteer.phone)).one() == "+49221123456"


def test_the_coordinator_sees_new_and_old_numbers(
    app: Flask, client: Any, make_agency: Callable[..., Any], make_user: Callable[..., Any],
    make_volunteer: Callable[..., Any],
) -> None:  # fmt: skip
    agency = make_agency()
    login(client, make_user("coordinator", agency))
    new = make_volunteer(agency, phone="+963112234567")
    old = make_volunteer(agency, phone="0221/12 34 56 (nachmittags)")
    page = client.get(f"/volunteers/{new.id}").get_data(as_text=True)
    assert '<a href="tel:+963112234567">+963 11 223 4567</a>' in page
    page = client.get(f"/volunteers/{old.id}").get_data(as_text=True)
    assert "0221/12 34 56 (nachmittags)" in page and "tel:" not in page


def test_the_message_pages_are_in_the_tenancy_suite(app: Flask) -> None:
    """Both new routes are id routes the generated suites walk (tests/security, test_tenancy)."""
    rules = {rule.rule for rule in id_routes(app)}
    assert {
        "/newcomers/<int:newcomer_id>/messages",
        "/patenschaften/<int:match_id>/messages",
    } <= rules
