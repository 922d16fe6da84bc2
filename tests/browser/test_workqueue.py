""" "Heute zu tun" in a real browser, at desktop and phone width: every kind shown with its
items, accessible, nothing wider than the phone; the certificate letter too."""

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests.browser.axe import assert_accessible
from tests.browser.conftest import PHONE, page_width
from tests.conftest import PASSWORD
from tests.matching.test_workqueue import seed


@pytest.fixture(autouse=True)
def sqlite_only(backend: str) -> None:
    """Browser tests run on SQLite only (the pages are the same on both backends)."""
    if backend != "sqlite":
        pytest.skip("browser tests run on SQLite only")


def test_the_work_queue_at_desktop_and_phone_width(
    app: Flask, page: Page, live_server: str, make_agency: Callable[..., Any],
    make_user: Callable[..., Any], make_volunteer: Callable[..., Any],
    make_newcomer: Callable[..., Any], screenshot: Callable[..., Any],
) -> None:  # fmt: skip
    agency = make_agency(name="Integrationsagentur Ehrenfeld", city="Köln")
    coordinator = make_user("coordinator", agency, name="Kim Koordination")
    ids = seed(app, agency, "", make_volunteer, make_newcomer)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server + "/login")
    page.get_by_label("E-Mail").fill(coordinator.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", name="Heute zu tun")).to_be_visible()
    for kind in ("signups", "certificates", "checkins", "attention", "proposals", "no_volunteer"):
        expect(page.locator(f"#todo-{kind} li").first).to_be_visible()
    expect(page.locator("#todo-checkins .light-red")).to_contain_text("In Schwierigkeiten")
    screenshot(page, "desktop")
    assert_accessible(page, "workqueue-desktop")

    page.set_viewport_size(PHONE)
    page.reload()
    assert page_width(page) <= PHONE["width"]
    screenshot(page, "phone")
    assert_accessible(page, "workqueue-phone")

    page.set_viewport_size({"width": 1280, "height": 900})
    page.locator(f'a[href="/volunteers/{ids["expiring"]}/certificate-letter"]').first.click()
    expect(page.get_by_role("heading", name="Bitte um ein neues erweitertes Führungszeugnis")).to_be_visible()  # fmt: skip
    screenshot(page, "letter")
    assert_accessible(page, "certificate-letter")
    assert requests and all(url.startswith(live_server) for url in requests), requests
