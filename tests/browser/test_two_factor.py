"""An admin enrols in two-factor sign-in in a real browser and signs in with codes.

The admin must have a second factor (TOTP_REQUIRED_FOR_ADMINS): after the password the
enrolment page is all there is; the secret is read off the page, as a person types it
into an app by hand. Then: sign out, sign in with a code; a reused and a wrong code fail;
a recovery code works once. Screenshots at desktop and phone size, axe-core on every page.
"""

import time
from collections.abc import Callable
from typing import Any

import pyotp
import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import assert_accessible
from tests.browser.conftest import PHONE, page_width
from tests.conftest import PASSWORD
from tests.security.two_factor import wrong_code

DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"TOTP_REQUIRED_FOR_ADMINS": True}


def test_an_admin_enrols_and_signs_in_with_a_code_and_a_recovery_code(
    page: Page, live_server: str, make_user: Callable[..., Any], screenshot: Callable[..., Any]
) -> None:
    admin = make_user("admin", email="chefin@example.org")
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))

    def check(name: str, phone_too: bool = False) -> None:
        """Screenshot at desktop size (and on a phone, without sideways scrolling); axe."""
        page.set_viewport_size(DESKTOP)
        screenshot(page, f"{name}-desktop")
        assert_accessible(page, f"two-factor-{name}")
        if phone_too:
            page.set_viewport_size(PHONE)
            width = page_width(page)
            assert width <= PHONE["width"], f"{name}: {width} px wide on a phone"
            screenshot(page, f"{name}-phone")
            page.set_viewport_size(DESKTOP)

    def password_step() -> None:
        page.goto(live_server + "/login")
        page.get_by_label("E-Mail").fill(admin.email)
        page.get_by_label("Passwort").fill(PASSWORD)
        page.get_by_role("button", name="Anmelden").click()

    def enter(code: str) -> None:
        page.get_by_label("Code", exact=True).fill(code)
        page.get_by_role("button", name="Bestätigen").click()

    def sign_out() -> None:
        page.get_by_role("button", name="Abmelden").click()
        expect(page.get_by_role("heading", name="Anmeldung für Mitarbeitende")).to_be_visible()

    # The password alone leads to enrolment, and nothing else opens before it is done.
    password_step()
    expect(page.get_by_role("heading", name="Zwei-Faktor-Anmeldung einrichten")).to_be_visible()
    page.goto(live_server + "/admin/users")
    expect(page.get_by_role("heading", name="Zwei-Faktor-Anmeldung einrichten")).to_be_visible()
    expect(page.locator(".qr svg")).to_be_visible()
    check("enrol", phone_too=True)
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)
    page.get_by_label("Code aus der App").fill(totp.now())
    page.get_by_role("button", name="Zwei-Faktor-Anmeldung einschalten").click()
    expect(page.get_by_role("heading", name="Die Zwei-Faktor-Anmeldung ist eingeschaltet")).to_be_visible()  # fmt: skip
    codes = page.locator("#recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    check("recovery-codes", phone_too=True)
    page.get_by_role("link", name="Weiter").click()
    page.goto(live_server + "/admin/users")
    expect(page.get_by_role("heading", name="Konten")).to_be_visible()
    sign_out()

    # Signing in: the password, then a code (the app's next one: the first was used).
    code = totp.at(time.time() + 30)
    password_step()
    expect(page.get_by_role("heading", name="Zwei-Faktor-Anmeldung")).to_be_visible()
    page.goto(live_server + "/admin/users")  # half signed in: back to the code
    expect(page.get_by_role("heading", name="Zwei-Faktor-Anmeldung")).to_be_visible()
    check("second-step", phone_too=True)
    enter(code)
    page.goto(live_server + "/admin/")
    expect(page.get_by_role("heading", name="Verwaltung")).to_be_visible()
    sign_out()

    # The same code again, and a wrong one: refused, with a reason.
    password_step()
    enter(code)
    expect(page.get_by_text("Dieser Code ist falsch oder wurde bereits verwendet.")).to_be_visible()
    check("reused-code")
    enter(wrong_code(secret))
    expect(page.get_by_text("Dieser Code ist falsch oder wurde bereits verwendet.")).to_be_visible()
    page.goto(live_server + "/admin/users")
    expect(page.get_by_role("heading", name="Zwei-Faktor-Anmeldung")).to_be_visible()

    # A recovery code works, once.
    enter(codes[0])
    expect(page.get_by_text("9 Codes sind noch übrig")).to_be_visible()
    check("recovery-code-used")
    sign_out()
    password_step()
    enter(codes[0])
    expect(page.get_by_text("Dieser Code ist falsch oder wurde bereits verwendet.")).to_be_visible()

    # Nothing was loaded from another host (the QR code is drawn by the server).
    assert requests and all(url.startswith(live_server) for url in requests), requests
