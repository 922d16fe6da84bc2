"""A coordinator ticks off the onboarding checklist on a volunteer's page on a 390 px phone:
the page says which required step is missing until it is done; axe finds nothing."""

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from matcher.extensions import db
from matcher.models import OnboardingDone, OnboardingStep, Volunteer
from tests.browser.axe import assert_accessible
from tests.browser.conftest import PHONE, page_width
from tests.conftest import PASSWORD, inside


def test_a_coordinator_ticks_the_checklist_on_a_phone(
    app: Flask, backend: str, page: Page, live_server: str, screenshot: Callable[..., Any],
    make_agency: Callable[..., Any], make_user: Callable[..., Any],
    make_volunteer: Callable[..., Any],
) -> None:  # fmt: skip
    if backend != "sqlite":
        pytest.skip("browser tests run on SQLite only")
    agency = make_agency(name="AWO Köln")
    coordinator = make_user("coordinator", agency, email="koordination@awo.example")
    volunteer = make_volunteer(agency, first_name="Jan", last_name="Weber")
    with inside(app):
        db.session.add_all([
            OnboardingStep(agency_id=agency.id, name="Erstgespräch", position=0,
                           required_for_matching=True),
            OnboardingStep(agency_id=agency.id, name="Schulung", position=1),
        ])  # fmt: skip
        db.session.commit()
    page.set_viewport_size(PHONE)
    page.goto(live_server + "/login")
    page.get_by_label("E-Mail").fill(coordinator.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.goto(f"{live_server}/volunteers/{volunteer.id}#onboarding")
    section = page.locator("#onboarding")
    expect(section).to_contain_text("Kann erst vermittelt werden, wenn diese Schritte erledigt")
    screenshot(page, "phone-missing")
    assert_accessible(page, "onboarding-phone-missing")
    assert page_width(page) <= PHONE["width"]

    section.locator("input[name=note]").first.fill("Gespräch am Montag")
    section.get_by_role("button", name="Erledigt: Erstgespräch").click()
    expect(page.get_by_text("Erledigt: Erstgespräch.")).to_be_visible()
    section = page.locator("#onboarding")
    expect(section).to_contain_text("Alle vor der Vermittlung nötigen Schritte sind erledigt")
    expect(section).to_contain_text("Gespräch am Montag")
    screenshot(page, "phone-done")
    assert_accessible(page, "onboarding-phone-done")
    assert page_width(page) <= PHONE["width"]
    with inside(app):
        assert db.session.get(Volunteer, volunteer.id).takes_part is True
        done = db.session.scalars(select(OnboardingDone)).one()
        assert done.note == "Gespräch am Montag"

    section.get_by_role("button", name="Zurücknehmen: Erstgespräch").click()
    expect(page.get_by_text("Haken zurückgenommen: Erstgespräch.")).to_be_visible()
    with inside(app):
        assert db.session.get(Volunteer, volunteer.id).takes_part is False
