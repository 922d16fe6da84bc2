"""A new volunteer signs up on a 390 px phone in a real browser and confirms by the mailed link."""

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from matcher.services.platform import outbox
from tests.browser.axe import assert_accessible
from tests.browser.conftest import PHONE, SCREENSHOTS, page_width
from tests.conftest import inside, mail_config
from tests.forms import link_in, path_of
from tests.mailserver import body_of


@pytest.fixture
def app_config(smtp_server: Any) -> dict[str, Any]:
    return mail_config(smtp_server.port)


def test_signup_on_a_phone_and_confirm_by_the_link_in_the_mail(
    page: Page, app: Flask, live_server: str, smtp_server: Any,
    make_agency: Callable[..., Any], screenshot: Callable[..., Any],
) -> None:  # fmt: skip
    make_agency(slug="awo-koeln", name="AWO Köln", privacy_notice_version="2026-03")
    page.set_viewport_size(PHONE)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))

    page.goto(live_server + "/signup/awo-koeln")
    expect(page.get_by_role("heading", name="Pate oder Patin werden")).to_be_visible()
    assert page_width(page) <= PHONE["width"]
    # The honeypot is there for robots, but not visible to people.
    box = page.locator("#website").bounding_box()
    assert box is not None and box["x"] + box["width"] <= 0
    screenshot(page, "signup")
    assert_accessible(page, "signup")

    # Sent empty: messages next to the fields, nothing lost, still no sideways scrolling.
    page.get_by_role("button", name="Anmelden", exact=True).click()
    expect(page.get_by_text("Bitte prüfen Sie die markierten Felder.")).to_be_visible()
    expect(page.locator(".error").first).to_be_visible()
    assert page_width(page) <= PHONE["width"]
    screenshot(page, "errors")
    assert_accessible(page, "signup-errors")

    page.get_by_label("Vorname").fill("Seán")
    page.get_by_label("Nachname").fill("O'Brien")
    page.get_by_label("E-Mail").fill("sean@example.org")
    page.get_by_label("PLZ").fill("50823")
    page.get_by_label("Alter").select_option("36_50")
    page.get_by_label("Sprache 1").select_option("de")
    page.locator("#languages-0-level").select_option("native")
    # Without JavaScript: "add another language" is a round trip that keeps what was typed.
    page.get_by_role("button", name="Weitere Sprache hinzufügen").click()
    expect(page.get_by_label("Sprache 3")).to_be_visible()
    expect(page.get_by_label("Vorname")).to_have_value("Seán")
    assert_accessible(page, "signup-another-language")
    page.get_by_label("Sprache 2").select_option("ar")
    page.locator("#languages-1-level").select_option("basic")
    page.get_by_label("Mo abends").check()
    page.get_by_label("Sa vormittags").check()
    # The week grid at full size: every box a finger-sized target on a phone.
    page.locator("#slots").screenshot(path=str(SCREENSHOTS / "signup-phone-week-grid.png"))
    for box in page.locator("table.slots.pick label").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect().height)"
    ):
        assert box >= 40
    page.get_by_label("2", exact=True).check()
    page.get_by_text("Deutsch üben").click()
    page.get_by_text("Ich bin einverstanden, dass die Agentur meine Angaben speichert").click()
    page.get_by_role("button", name="Anmelden", exact=True).click()
    expect(page.get_by_role("heading", name="Fast geschafft")).to_be_visible()
    screenshot(page, "sent")
    assert_accessible(page, "signup-sent")

    with inside(app):
        assert outbox.send_due().sent == 1
    mails = smtp_server.wait_for(1)
    assert len(mails) == 1 and mails[0]["To"] == "sean@example.org"
    page.goto(live_server + path_of(link_in(body_of(mails[0]))))
    assert_accessible(page, "confirm")
    page.get_by_role("button", name="Meine E-Mail-Adresse bestätigen").click()
    expect(page.get_by_role("heading", name="Danke – Ihre Anmeldung ist bestätigt")).to_be_visible()
    screenshot(page, "confirmed")
    assert_accessible(page, "confirmed")
    assert requests and all(url.startswith(live_server) for url in requests), requests
