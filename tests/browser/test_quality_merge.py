"""A coordinator finds two records of one volunteer and merges them on a 390 px phone:
the duplicates page, the preview of what is kept, the confirm button, the merged page."""

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from matcher.extensions import db
from matcher.models import Volunteer
from tests.browser.axe import assert_accessible
from tests.browser.conftest import PHONE, page_width
from tests.conftest import PASSWORD, inside


@pytest.fixture
def sqlite_only(backend: str) -> None:
    """Browser tests run on SQLite: skip before the app and the page are made."""
    if backend != "sqlite":
        pytest.skip("browser tests run on SQLite")


def test_a_coordinator_merges_two_records_of_one_volunteer_on_a_phone(
    sqlite_only: None, app: Flask, page: Page, live_server: str, screenshot: Callable[..., Any],
    make_agency: Callable[..., Any], make_user: Callable[..., Any],
    make_volunteer: Callable[..., Any],
) -> None:  # fmt: skip
    agency = make_agency(name="Caritas Köln")
    coordinator = make_user("coordinator", agency, email="koordination@caritas.example")
    kept = make_volunteer(agency, first_name="Mira", last_name="Sauer", phone="")
    other = make_volunteer(agency, first_name="Mira", last_name="Sauer", phone="+49221444555",
                           languages={"de": "native", "uk": "fluent"})  # fmt: skip
    page.set_viewport_size(PHONE)

    def check(step: str) -> None:
        screenshot(page, step)
        assert page_width(page) <= PHONE["width"], f"{step}: wider than the phone"
        assert_accessible(page, f"quality-merge-{step}")

    page.goto(live_server + "/login")
    page.get_by_label("E-Mail").fill(coordinator.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", name="Übersicht")).to_be_visible()

    page.goto(live_server + "/volunteers")
    page.get_by_role("link", name="Mögliche Doppelungen").click()
    expect(page.get_by_text("gleicher Name und gleiche PLZ")).to_be_visible()
    check("duplicates")

    page.get_by_role("link", name="vergleichen und zusammenführen").click()
    expect(page.get_by_role("heading", name="Was erhalten bleibt")).to_be_visible()
    expect(page.locator("table.merge")).to_contain_text("0221 444555")
    check("preview")

    page.get_by_role("button", name="Zusammenführen", exact=True).click()
    expect(page.get_by_text("Die beiden Einträge sind in diesem zusammengeführt.")).to_be_visible()
    expect(page.get_by_role("heading", name="Verlauf der Angaben")).to_be_visible()
    expect(page.get_by_text("Mit einem anderen Eintrag zusammengeführt")).to_be_visible()
    check("merged")

    page.get_by_role("link", name="Angaben bearbeiten").click()
    check("edit")
    page.get_by_label("Telefon (freiwillig)").fill("0221 777888")
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_text("Änderungen gespeichert.")).to_be_visible()
    # The history shows the change: the number before (from the merge) and after.
    expect(page.locator("td", has_text="0221 777888")).to_be_visible()

    with inside(app):
        assert db.session.get(Volunteer, other.id) is None
        v = db.session.get(Volunteer, kept.id)
        assert v is not None and v.phone == "+49221777888"
        assert {lang.code for lang in v.languages} == {"ar", "de", "uk"}
