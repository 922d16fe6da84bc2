"""The area map in a real browser: drawn on the server, readable on a phone, accessible,
and nothing fetched from any other host."""

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import assert_accessible
from tests.browser.conftest import PHONE, page_width
from tests.conftest import PASSWORD
from tests.reports.conftest import Offices, offices  # noqa: F401  (the fixture)


def test_the_map_of_the_area_at_desktop_and_phone_width(
    backend: str, page: Page, live_server: str, offices: Offices,  # noqa: F811
    screenshot: Any,
) -> None:  # fmt: skip
    if backend != "sqlite":
        pytest.skip("browser tests run on SQLite")
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.set_viewport_size({"width": 1200, "height": 900})
    page.goto(live_server + "/login")
    page.get_by_label("E-Mail").fill(offices.coordinator.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.get_by_role("link", name="Karte des Gebiets").click()
    expect(page.get_by_role("heading", name="Karte des Gebiets")).to_be_visible()
    expect(page.get_by_role("img", name="Wartende Neuzugewanderte und freie Ehrenamtliche "
                                        "je PLZ-Gebiet")).to_be_visible()  # fmt: skip
    expect(page.locator("svg.area-map g.area")).to_have_count(3)
    assert page.locator("script").count() == 0
    screenshot(page, "desktop")
    assert_accessible(page, "area-map")

    page.set_viewport_size(PHONE)
    page.reload()
    assert page_width(page) <= PHONE["width"]
    box = page.locator("svg.area-map").bounding_box()
    assert box is not None and 0 < box["width"] <= PHONE["width"]
    screenshot(page, "phone")
    assert_accessible(page, "area-map-phone")
    assert requests and all(url.startswith(live_server) for url in requests), requests
