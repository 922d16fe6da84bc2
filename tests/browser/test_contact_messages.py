"""A coordinator registers a newcomer reached by WhatsApp, with an interpreter for Tigrinya
and letters in Arabic, then prepares the "first call" message and copies it: on a desk
computer and on a 390 px phone. Screenshots in test-output/screenshots/; axe-core on every
page changed, with the message in a right-to-left (Arabic) and a left-to-right
(Ukrainian) language."""

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from matcher.extensions import db
from matcher.models import Match, MatchRun, Newcomer, utcnow
from tests.browser.axe import assert_accessible
from tests.browser.conftest import PHONE, page_width
from tests.conftest import PASSWORD, inside, persist

DESK = {"width": 1280, "height": 900}


def _pair(app: Flask, agency_id: int, volunteer_id: int, newcomer_id: int) -> int:
    """An active Patenschaft, as after the matching and the introduction."""
    run = MatchRun(agency_id=agency_id, status="finished", pairs=1, volunteers=1, newcomers=1)
    persist(app, run)
    now = utcnow()
    match = Match(agency_id=agency_id, volunteer_id=volunteer_id, newcomer_id=newcomer_id,
                  run_id=run.id, status="active", score=0.9, components={}, reasons=[],
                  approved_at=now, started_at=now, trial_until=date(2026, 12, 24))  # fmt: skip
    persist(app, match)
    return match.id


@pytest.mark.parametrize("viewport", [DESK, PHONE], ids=["desk", "phone"])
def test_register_reach_by_whatsapp_then_prepare_and_copy_the_first_call_message(
    app: Flask, page: Page, live_server: str, screenshot: Callable[..., Any],
    make_agency: Callable[..., Any], make_user: Callable[..., Any],
    make_volunteer: Callable[..., Any], viewport: dict[str, int],
) -> None:  # fmt: skip
    agency = make_agency(name="Caritas Köln")
    coordinator = make_user("coordinator", agency, email="koordination@caritas.example")
    volunteer = make_volunteer(agency, first_name="Anna", last_name="Schmidt", gender="female")
    page.set_viewport_size(viewport)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))

    def check(name: str) -> None:
        screenshot(page, name)
        assert page_width(page) <= viewport["width"], name
        assert_accessible(page, f"contact-{name}")

    page.goto(live_server + "/login")
    page.get_by_label("E-Mail").fill(coordinator.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", name="Übersicht")).to_be_visible()

    # The intake, with how to reach her.
    page.goto(live_server + "/newcomers/new")
    page.locator("#first_name").fill("Mehret")
    page.locator("#age_band").select_option("26_35")
    page.locator("#postcode").fill("50825")
    page.locator("#languages-0-code").select_option("ti")
    page.locator("#languages-0-level").select_option("native")
    page.locator("#languages-1-code").select_option("ar")
    page.locator("#languages-1-level").select_option("good")
    page.check("input[name=slots][value=tue-evening]")
    page.get_by_label("Telefon (freiwillig)").fill("0176 1234-5678")
    page.get_by_label("WhatsApp").check()
    page.get_by_label("Es wird eine Dolmetschung gebraucht").check()
    page.get_by_label("Dolmetschung für").select_option("ti")
    page.get_by_label("Briefe und Nachrichten auf").select_option("ar")
    page.check("#consent_matching")
    page.locator("#consent_language").select_option("ti")
    page.check("input[name=consent_channel][value=in_person]")
    check("intake")
    page.locator("#submit").click()
    expect(page.get_by_role("heading", name="Mehret")).to_be_visible()
    expect(page.get_by_role("link", name="0176 12345678")).to_have_attribute(
        "href", "tel:+4917612345678"
    )
    with inside(app):
        n = db.session.scalars(select(Newcomer)).one()
        assert (n.phone, n.contact_channel, n.interpreter_language, n.correspondence_language) == (
            "+4917612345678", "whatsapp", "ti", "ar")  # fmt: skip
        newcomer_id = n.id
    _pair(app, agency.id, volunteer.id, newcomer_id)
    page.reload()
    check("newcomer")

    # The first call: "Your Patin Anna will call you on Tuesday evening", in Arabic.
    page.get_by_role("link", name="Nachricht vorbereiten").click()
    expect(page.get_by_role("heading", name="Eine Nachricht für Mehret")).to_be_visible()
    check("messages-empty")
    page.get_by_label("Erster Anruf: die ehrenamtliche Person ruft an").check()
    page.get_by_label("Datum", exact=True).fill("2026-12-01")
    page.get_by_label("Tageszeit (für den Anruf)").select_option("evening")
    page.get_by_role("button", name="Nachricht anzeigen").click()
    own, german = page.locator("#message-own"), page.locator("#message-de")
    expect(own).to_have_attribute("lang", "ar")
    expect(own).to_have_attribute("dir", "rtl")
    expect(german).to_have_attribute("lang", "de")
    expect(german).to_have_attribute("dir", "ltr")
    expect(own).to_contain_text("ستتصل بك مرافقتك المتطوعة Anna")
    expect(german).to_contain_text(
        "Ihre Patin Anna ruft Sie am Dienstag, 1. Dezember 2026 abends an."
    )
    expect(page.get_by_text("Entwurf, ungeprüft")).to_have_count(1)  # Arabic only
    # Right to left: the Arabic text's first line ends at the block's right edge.
    box = own.bounding_box()
    first = own.evaluate(
        "e => { const r = document.createRange(); r.setStart(e.firstChild, 0);"
        " r.setEnd(e.firstChild, 5); return r.getBoundingClientRect().right; }"
    )
    assert box is not None and box["x"] + box["width"] - first < 24
    check("messages-arabic")

    # Copy: the clipboard holds exactly the Arabic message; it is selected on the page too.
    copy = page.locator("article", has=own).get_by_role("button", name="Kopieren")
    copy.click()
    expect(page.locator("article", has=own).get_by_role("status")).to_have_text("Kopiert.")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == own.text_content() and "Anna" in copied and "Mehret" in copied
    assert page.evaluate("window.getSelection().toString()").strip() == copied.strip()
    screenshot(page, "copied")

    # Letters in Ukrainian now: the same page left to right.
    page.goto(f"{live_server}/newcomers/{newcomer_id}/edit")
    check("edit")
    expect(page.get_by_label("Telefon (freiwillig)")).to_have_value("0176 12345678")
    page.get_by_label("Briefe und Nachrichten auf").select_option("uk")
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_text("Änderungen gespeichert.")).to_be_visible()
    page.goto(f"{live_server}/newcomers/{newcomer_id}/messages")
    page.get_by_label("Datum", exact=True).fill("2026-12-01")
    page.get_by_label("Tageszeit (für den Anruf)").select_option("evening")
    page.get_by_role("button", name="Nachricht anzeigen").click()
    expect(own).to_have_attribute("lang", "uk")
    expect(own).to_have_attribute("dir", "ltr")
    expect(own).to_contain_text("Ваша наставниця Anna зателефонує вам")
    check("messages-ukrainian")
    assert requests and all(url.startswith(live_server) for url in requests), requests


def test_without_javascript_the_message_is_there_to_select(
    app: Flask, browser: Any, live_server: str, two_agencies: dict[str, Any],
    screenshot: Callable[..., Any],
) -> None:  # fmt: skip
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    try:
        page = context.new_page()
        page.goto(live_server + "/login")
        page.get_by_label("E-Mail").fill(two_agencies["a"]["coordinator"].email)
        page.get_by_label("Passwort").fill(PASSWORD)
        page.get_by_role("button", name="Anmelden").click()
        page.goto(f"{live_server}/newcomers/{two_agencies['a']['newcomer'].id}/messages")
        page.get_by_label("Wie geht es Ihnen? (Nachfrage)").check()
        page.get_by_role("button", name="Nachricht anzeigen").click()
        text = page.locator("#message-own")  # her letters are in Arabic, the German beside
        expect(text).to_contain_text("كيف حالك؟")
        expect(page.locator("#message-de")).to_contain_text("wie geht es Ihnen?")
        # No script: the button stays hidden, the text is plain and selectable.
        expect(page.get_by_role("button", name="Kopieren")).to_have_count(0)
        assert text.evaluate("e => getComputedStyle(e).userSelect") != "none"
        text.click(click_count=3)
        screenshot(page, "no-js")
    finally:
        context.close()
