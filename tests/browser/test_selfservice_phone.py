"""A volunteer's whole self-service on a 390 px phone, from the links in real mails.

Sign up, confirm, ask for a profile link, open it, edit, pause, resume, withdraw a
consent, delete. Every step: a screenshot, no sideways scrolling, no axe-core violation.
"""

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from matcher.domain.vocab import mask_to_slots
from matcher.extensions import db
from matcher.models import ConsentRecord, Volunteer
from matcher.services.platform import outbox
from tests.browser.axe import assert_accessible
from tests.browser.conftest import PHONE, page_width
from tests.conftest import PASSWORD, inside, mail_config
from tests.forms import link_in, path_of
from tests.mailserver import body_of


@pytest.fixture
def app_config(smtp_server: Any) -> dict[str, Any]:
    return mail_config(smtp_server.port)


def test_a_volunteer_runs_their_whole_self_service_on_a_phone_from_the_mailed_links(
    app: Flask, page: Page, browser: Browser, live_server: str, smtp_server: Any,
    make_agency: Callable[..., Any], make_user: Callable[..., Any],
    screenshot: Callable[..., Any],
) -> None:  # fmt: skip
    agency = make_agency(slug="awo-koeln", name="AWO Köln")
    coordinator = make_user("coordinator", agency)
    page.set_viewport_size(PHONE)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    step = 0

    def check(name: str) -> None:
        """Screenshot, no sideways scrolling on the phone, no axe-core violation."""
        nonlocal step
        step += 1
        screenshot(page, f"{step:02d}-{name}")
        width = page_width(page)
        assert width <= PHONE["width"], f"{name}: {width} px wide"
        assert_accessible(page, f"selfservice-{name}")

    def mailed_link(count: int) -> str:
        """Deliver the outbox with the app's own code; the link in the newest mail."""
        with inside(app):
            assert outbox.send_due().sent == 1
        mails = smtp_server.wait_for(count)
        assert len(mails) == count and mails[-1]["To"] == "ilse@example.org"
        return live_server + path_of(link_in(body_of(mails[-1])))

    # Sign up.
    page.goto(live_server + "/signup/awo-koeln")
    page.get_by_label("Vorname").fill("Ilse")
    page.get_by_label("Nachname").fill("Çelik-Brandt")
    page.get_by_label("E-Mail").fill("ilse@example.org")
    page.get_by_label("PLZ").fill("50823")
    page.get_by_label("Alter").select_option("51_65")
    page.get_by_label("Sprache 1").select_option("de")
    page.locator("#languages-0-level").select_option("native")
    page.get_by_label("Sprache 2").select_option("tr")
    page.locator("#languages-1-level").select_option("fluent")
    page.get_by_label("Di abends").check()
    page.get_by_label("Sa vormittags").check()
    page.get_by_label("1", exact=True).check()
    page.get_by_text("Behördengänge").click()
    page.get_by_text("dass die Agentur meine Angaben speichert").click()
    page.get_by_text("meine Kontaktdaten an die Person weitergibt").click()
    check("signup-filled")
    page.get_by_role("button", name="Anmelden", exact=True).click()
    expect(page.get_by_role("heading", name="Fast geschafft")).to_be_visible()
    check("signup-sent")

    # Confirm by the link in the mail.
    page.goto(mailed_link(1))
    check("confirm")
    page.get_by_role("button", name="Meine E-Mail-Adresse bestätigen").click()
    expect(page.get_by_role("heading", name="Danke – Ihre Anmeldung ist bestätigt")).to_be_visible()
    check("confirmed")

    # The agency's interview: the coordinator activates her (on a desk computer).
    with inside(app):
        volunteer_id = db.session.scalars(select(Volunteer.id)).one()
    desk = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        office = desk.new_page()
        office.goto(live_server + "/login")
        office.get_by_label("E-Mail").fill(coordinator.email)
        office.get_by_label("Passwort").fill(PASSWORD)
        office.get_by_role("button", name="Anmelden").click()
        office.goto(f"{live_server}/volunteers/{volunteer_id}")
        assert_accessible(office, "selfservice-coordinator-volunteer")
        office.get_by_role("button", name="Aktivieren (Gespräch geführt)").click()
        expect(office.get_by_text("aktiv").first).to_be_visible()
    finally:
        desk.close()

    # From the confirmation page, still open, to the profile: a link by mail, opened.
    page.get_by_role("link", name="Ihr Profil als Pate oder Patin").click()
    expect(page).to_have_url(live_server + "/me/link")
    check("link-request")
    page.get_by_label("E-Mail").fill("ilse@example.org")
    page.get_by_role("button", name="Link zuschicken").click()
    expect(page.get_by_role("heading", name="Bitte schauen Sie in Ihr Postfach")).to_be_visible()
    check("link-sent")
    page.goto(mailed_link(2))
    check("open")
    page.get_by_role("button", name="Mein Profil öffnen").click()
    expect(page.get_by_role("heading", name="Hallo Ilse")).to_be_visible()
    check("profile")

    # Edit: one more time slot, room for two Patenschaften.
    page.get_by_label("Mi vormittags").check()
    page.get_by_label("2", exact=True).check()
    page.get_by_role("button", name="Änderungen speichern").click()
    expect(page.get_by_text("Ihre Änderungen sind gespeichert.")).to_be_visible()
    expect(page.get_by_label("Mi vormittags")).to_be_checked()
    check("saved")
    with inside(app):
        volunteer = db.session.get(Volunteer, volunteer_id)
        assert volunteer is not None and volunteer.capacity == 2
        assert mask_to_slots(volunteer.slots) == ["tue-evening", "wed-morning", "sat-morning"]

    # A break, and back.
    page.get_by_role("button", name="Pause machen").click()
    expect(page.get_by_text("Sie machen Pause.").first).to_be_visible()
    check("paused")
    page.get_by_role("button", name="Pause beenden").click()
    expect(page.get_by_text("Willkommen zurück!")).to_be_visible()
    check("resumed")

    # Withdraw the consent to pass on contact details; the one to matching stays.
    sharing = page.locator("li", has_text="Weitergabe meiner Kontaktdaten")
    sharing.get_by_role("button", name="widerrufen").click()
    expect(page.get_by_text("Ihre Einwilligung ist widerrufen.")).to_be_visible()
    expect(sharing).to_contain_text("nicht erteilt")
    check("consent-withdrawn")
    with inside(app):
        records = db.session.scalars(select(ConsentRecord)).all()
        assert {(c.purpose, c.withdrawn_at is None) for c in records} == {
            ("matching", True), ("contact_sharing", False)
        }  # fmt: skip

    # Delete: first without the tick, then with it.
    page.get_by_role("button", name="Meine Daten löschen").click()
    refusal = page.get_by_text("Bitte setzen Sie zur Bestätigung das Häkchen.")
    expect(refusal).to_be_in_viewport()  # brought back to the message, not to the top
    expect(page.get_by_label("Ja, alle meine Angaben löschen.")).to_be_focused()
    check("delete-refused")
    page.get_by_label("Ja, alle meine Angaben löschen.").check()
    page.get_by_role("button", name="Meine Daten löschen").click()
    expect(page).to_have_url(live_server + "/me/deleted")
    expect(page.get_by_role("heading", name="Ihre Daten sind gelöscht")).to_be_visible()
    check("deleted")
    with inside(app):
        volunteer = db.session.get(Volunteer, volunteer_id)
        assert volunteer is not None and volunteer.first_name != "Ilse"
    assert requests and all(url.startswith(live_server) for url in requests), requests
