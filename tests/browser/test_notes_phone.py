"""A coordinator records a WhatsApp contact from a newcomer's page on a 390 px phone,
then opens the entry, corrects it and sees the earlier version kept. Screenshots in
test-output/screenshots/; no sideways scrolling; axe-core on every page shown."""

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from matcher.extensions import db
from matcher.models import Note
from tests.browser.axe import assert_accessible
from tests.browser.conftest import PHONE, page_width
from tests.conftest import PASSWORD, inside

#: A long link, as people paste them: it must wrap, not widen the phone's page.
LINK = "https://termine.example.org/jobcenter/koeln/ehrenfeld/beratung?id=8f3c2a91d7e54b"


@pytest.fixture(autouse=True)
def _sqlite_only(backend: str) -> None:
    """Browser tests run on SQLite only: skipped before the app and the page are made."""
    if backend != "sqlite":
        pytest.skip("browser tests run on SQLite only")


def test_a_contact_recorded_from_a_newcomer_page_on_a_phone(
    app: Flask, page: Page, live_server: str, screenshot: Callable[..., Any],
    make_agency: Callable[..., Any], make_user: Callable[..., Any],
    make_newcomer: Callable[..., Any],
) -> None:  # fmt: skip
    agency = make_agency(name="Diakonie Köln")
    coordinator = make_user("coordinator", agency, email="team@diakonie.example",
                            name="Kim Koordination")  # fmt: skip
    newcomer = make_newcomer(agency, first_name="Mehret")
    page.set_viewport_size(PHONE)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))

    def check(name: str) -> None:
        screenshot(page, name)
        assert page_width(page) <= PHONE["width"], name
        assert_accessible(page, f"notes-{name}")

    page.goto(live_server + "/login")
    page.get_by_label("E-Mail").fill(coordinator.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", name="Übersicht")).to_be_visible()

    page.goto(f"{live_server}/newcomers/{newcomer.id}")
    timeline = page.locator("#timeline")
    expect(timeline.get_by_role("heading", name="Notizen und Kontakte")).to_be_visible()
    expect(timeline.get_by_text("Noch keine Einträge.")).to_be_visible()
    timeline.get_by_text("Kontakt oder Notiz festhalten").click()
    # Defaults: a contact, now, with the newcomer, by the one recording it.
    expect(page.get_by_label("Kontakt", exact=True)).to_be_checked()
    expect(page.get_by_label("Mit wem")).to_have_value("newcomer")
    expect(page.get_by_label("Wer aus dem Team")).to_have_value(str(coordinator.id))
    check("form")
    page.get_by_label("Wie").select_option("whatsapp")
    page.get_by_label("Text").fill(f"Termin beim Jobcenter am Dienstag bestätigt: {LINK}")
    page.get_by_role("button", name="Eintrag speichern").click()

    expect(page.get_by_text("Eintrag gespeichert.")).to_be_visible()
    entry = page.locator("#timeline ol.timeline > li").first
    expect(entry).to_contain_text("WhatsApp")
    expect(entry).to_contain_text("mit der neuzugewanderten Person")
    expect(entry).to_contain_text("Termin beim Jobcenter am Dienstag bestätigt")
    expect(entry).to_contain_text("Kontakt durch Kim Koordination")
    check("saved")

    entry.get_by_role("link", name="Bearbeiten oder löschen").click()
    expect(page.get_by_role("heading", name="Eintrag bei Notizen und Kontakten")).to_be_visible()
    page.get_by_label("Text").fill("Termin beim Jobcenter am Mittwoch bestätigt")
    page.get_by_role("button", name="Änderungen speichern").click()
    expect(
        page.get_by_text("Eintrag gespeichert; die frühere Fassung bleibt erhalten.")
    ).to_be_visible()
    page.locator("#timeline").get_by_role("link", name="Bearbeiten oder löschen").click()
    expect(page.get_by_text("Termin beim Jobcenter am Dienstag bestätigt")).to_be_visible()
    check("entry")

    with inside(app):
        note = db.session.scalars(select(Note)).one()
        assert (note.channel, note.party, note.staff_id, note.version) == (
            "whatsapp", "newcomer", coordinator.id, 2,
        )  # fmt: skip
    assert all(r.startswith(live_server) for r in requests)
