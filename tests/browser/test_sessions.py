"""A coordinator ends a session left open on another computer; an admin sees her failed and
successful sign-ins and ends her sessions (issue 14), in a real browser at desktop and
phone size, with axe-core on each page and no request to another host."""

from collections.abc import Callable
from typing import Any

from playwright.sync_api import Browser, Page, expect

from tests.browser.axe import assert_accessible
from tests.browser.conftest import PHONE, page_width
from tests.conftest import PASSWORD

DESKTOP = {"width": 1280, "height": 900}


def _sign_in(page: Page, base: str, email: str, password: str = PASSWORD) -> None:
    page.goto(base + "/login")
    page.get_by_label("E-Mail").fill(email)
    page.get_by_label("Passwort").fill(password)
    page.get_by_role("button", name="Anmelden").click()


def test_a_coordinator_ends_another_session_and_an_admin_sees_her_sign_ins(
    page: Page,
    browser: Browser,
    live_server: str,
    make_user: Callable[..., Any],
    make_agency: Callable[..., Any],
    screenshot: Callable[..., Any],
) -> None:
    coordinator = make_user("coordinator", make_agency(), email="paula@example.org")
    make_user("admin", email="chefin@example.org")
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))

    # The office computer: one mistyped password, then signed in (and left open).
    office = browser.new_context(user_agent="Büro-PC Firefox", viewport=DESKTOP)
    office_page = office.new_page()
    _sign_in(office_page, live_server, coordinator.email, "vertippt, leider")
    expect(office_page.get_by_text("E-Mail-Adresse oder Passwort ist falsch")).to_be_visible()
    _sign_in(office_page, live_server, coordinator.email)
    expect(office_page.get_by_role("link", name="Sitzungen")).to_be_visible()

    # At home, she signs in and finds the office session in her list.
    page.set_viewport_size(DESKTOP)
    _sign_in(page, live_server, coordinator.email)
    page.get_by_role("link", name="Sitzungen").click()
    expect(page.get_by_role("heading", name="Sitzungen und Anmeldungen")).to_be_visible()
    rows = page.locator("table.access").first.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(page.get_by_text("diese Sitzung")).to_have_count(1)
    office_row = rows.filter(has_text="Büro-PC Firefox")
    expect(office_row).to_have_count(1)
    expect(page.get_by_text("fehlgeschlagen:").first).to_be_visible()
    screenshot(page, "own-sessions-desktop")
    assert_accessible(page, "own-sessions")
    page.set_viewport_size(PHONE)
    assert page_width(page) <= PHONE["width"]
    screenshot(page, "own-sessions-phone")
    office_row.get_by_role("button", name="Sitzung beenden").click()
    expect(page.get_by_text("Die Sitzung ist beendet.")).to_be_visible()
    expect(page.locator("table.access").first.locator("tbody tr")).to_have_count(1)
    screenshot(page, "session-ended-phone")

    # The office computer finds itself signed out at its next click.
    office_page.goto(live_server + "/volunteers")
    expect(office_page.get_by_role("heading", name="Anmeldung für Mitarbeitende")).to_be_visible()

    # The admin sees her sign-ins (the failed one in words) and ends her last session.
    admin = browser.new_context(viewport=DESKTOP)
    admin_page = admin.new_page()
    _sign_in(admin_page, live_server, "chefin@example.org")
    admin_page.goto(live_server + "/admin/users")
    admin_page.get_by_role("row", name="paula@example.org").get_by_role(
        "link", name="Anmeldungen und Sitzungen"
    ).click()
    expect(admin_page.get_by_role("heading", name="Anmeldungen und Sitzungen von paula@example.org")).to_be_visible()  # fmt: skip
    sign_ins = admin_page.locator("table.access").nth(1).locator("tbody tr")
    expect(sign_ins).to_have_count(3)
    expect(sign_ins.filter(has_text="falsches Passwort")).to_have_count(1)
    expect(sign_ins.filter(has_text="Büro-PC Firefox")).to_have_count(2)
    assert_accessible(admin_page, "user-access")
    screenshot(admin_page, "admin-user-access-desktop")
    admin_page.get_by_role("button", name="Alle Sitzungen beenden").click()
    expect(admin_page.get_by_text("1 Sitzung ist beendet.")).to_be_visible()
    page.goto(live_server + "/volunteers")
    expect(page.get_by_role("heading", name="Anmeldung für Mitarbeitende")).to_be_visible()

    foreign = [u for u in requests if not u.startswith(live_server) and not u.startswith("data:")]
    assert foreign == []
    office.close()
    admin.close()
