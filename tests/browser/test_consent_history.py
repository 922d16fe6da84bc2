"""A coordinator records a withdrawal and a new consent on a newcomer's page, at a desk and
on a 390 px phone; the history shows both, and axe finds nothing on any state of the page."""

from collections.abc import Callable
from typing import Any

from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from matcher.extensions import db
from matcher.models import ConsentRecord
from tests.browser.axe import assert_accessible
from tests.browser.conftest import PHONE, page_width
from tests.conftest import PASSWORD, inside


def _records(app: Flask, newcomer_id: int) -> list[tuple[str, str, str | None, bool]]:
    with inside(app):
        return [
            (c.purpose, c.channel, c.interpreter_role, c.withdrawn_at is None)
            for c in db.session.scalars(
                select(ConsentRecord)
                .where(ConsentRecord.newcomer_id == newcomer_id)
                .order_by(ConsentRecord.id)
            )
        ]


def _walk(
    page: Page, base: str, newcomer_id: int, language: str, shot: Callable[[str], Any]
) -> None:
    """Withdraw the consent to matching, then record it again through an interpreter."""
    page.goto(f"{base}/newcomers/{newcomer_id}")
    expect(page.get_by_role("heading", name="Einwilligung", exact=True)).to_be_visible()
    assert_accessible(page, f"consent-{page.viewport_size}-before")
    page.get_by_role("button", name="Widerruf erfassen: Vermittlung").click()
    expect(page.get_by_text("Widerruf erfasst: Vermittlung.")).to_be_visible()
    expect(page.get_by_text("Nicht im Matching")).to_be_visible()
    shot("withdrawn")
    assert_accessible(page, f"consent-{page.viewport_size}-withdrawn")

    # The notice language offered first is hers, not German.
    expect(page.locator("#consent_language")).to_have_value(language)
    # Through an interpreter, but the role forgotten: the page says what is missing.
    form = page.locator("form[action$='/consents']")
    form.get_by_label("Vermittlung").check()
    form.get_by_label("mit Dolmetschung").check()
    form.get_by_role("button", name="Einwilligung erfassen").click()
    expect(page.get_by_text("Bitte wählen Sie, wer gedolmetscht hat.")).to_be_visible()
    shot("role-missing")
    assert_accessible(page, f"consent-{page.viewport_size}-role-missing")
    form = page.locator("form[action$='/consents']")
    form.get_by_label("Rolle der dolmetschenden Person").select_option("language_mediator")
    form.get_by_role("button", name="Einwilligung erfassen").click()
    expect(page.get_by_text("Einwilligung erfasst: Vermittlung.")).to_be_visible()
    history = page.locator("ol.consent-history > li")
    expect(history).to_have_count(3)
    expect(history.first).to_contain_text("mit Dolmetschung (Sprachmittler:in)")
    expect(history.first).to_contain_text("gültig")
    expect(page.locator("li.consent-record.withdrawn")).to_contain_text("Widerrufen am")
    shot("given-again")
    assert_accessible(page, f"consent-{page.viewport_size}-given-again")


def test_a_coordinator_records_a_withdrawal_and_a_new_consent_on_desktop_and_phone(
    app: Flask, page: Page, live_server: str, screenshot: Callable[..., Any],
    make_agency: Callable[..., Any], make_user: Callable[..., Any],
    make_newcomer: Callable[..., Any],
) -> None:  # fmt: skip
    agency = make_agency(name="AWO Köln")
    coordinator = make_user("coordinator", agency, email="koordination@awo.example",
                            name="Kim Koordination")  # fmt: skip
    at_desk = make_newcomer(agency, first_name="Amal", consents=("matching", "contact_sharing"))
    on_phone = make_newcomer(agency, first_name="Olena", languages={"uk": "native"},
                             consents=("matching", "contact_sharing"))  # fmt: skip
    page.goto(live_server + "/login")
    page.get_by_label("E-Mail").fill(coordinator.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", name="Übersicht")).to_be_visible()

    _walk(page, live_server, at_desk.id, "ar", lambda step: screenshot(page, f"desktop-{step}"))

    page.set_viewport_size(PHONE)
    _walk(page, live_server, on_phone.id, "uk", lambda step: screenshot(page, f"phone-{step}"))
    assert page_width(page) <= PHONE["width"]  # nothing wider than the phone

    for newcomer in (at_desk, on_phone):
        assert _records(app, newcomer.id) == [
            ("matching", "online", None, False),
            ("contact_sharing", "online", None, True),
            ("matching", "interpreter", "language_mediator", True),
        ]
