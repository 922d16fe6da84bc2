"""The browser can reach the app, render the login page on a phone and log in."""

from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE, page_width
from tests.conftest import PASSWORD


def test_login_on_a_phone(
    page: Page, live_server: str, make_agency: Callable[..., Any], make_user: Callable[..., Any],
    screenshot: Callable[..., Any],
) -> None:  # fmt: skip
    user = make_user("coordinator", make_agency(name="AWO Köln"))
    page.set_viewport_size(PHONE)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(live_server + "/login")
    expect(page.get_by_role("heading", name="Anmeldung für Mitarbeitende")).to_be_visible()
    screenshot(page, "login")
    page.get_by_label("E-Mail").fill(user.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", name="Übersicht")).to_be_visible()
    # Nothing was loaded from another host.
    assert requests and all(url.startswith(live_server) for url in requests), requests
    # No horizontal scrolling on a 390 px screen.
    assert page_width(page) <= PHONE["width"]
    screenshot(page, "dashboard")
