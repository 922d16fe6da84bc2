"""Real-browser journeys: a coordinator from intake to an approved pair; an admin's export."""

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from openpyxl import load_workbook
from playwright.sync_api import Page, expect
from sqlalchemy import select

from matcher.extensions import db
from matcher.models import Match, Newcomer
from tests.browser.axe import assert_accessible
from tests.browser.conftest import PHONE, SCREENSHOTS
from tests.conftest import PASSWORD, drain_jobs, inside


def _log_in(page: Page, base: str, email: str) -> None:
    page.goto(base + "/login")
    assert_accessible(page, "login")
    page.get_by_label("E-Mail").fill(email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", name="Übersicht")).to_be_visible()
    assert_accessible(page, f"dashboard-{email}")


@pytest.mark.both_backends
def test_coordinator_registers_a_newcomer_runs_the_matching_and_approves(
    app: Flask, page: Page, live_server: str, screenshot: Callable[..., Any],
    make_agency: Callable[..., Any], make_user: Callable[..., Any],
    make_volunteer: Callable[..., Any],
) -> None:  # fmt: skip
    agency = make_agency(name="Caritas Köln")
    coordinator = make_user("coordinator", agency, email="koordination@caritas.example")
    volunteer = make_volunteer(agency, first_name="Miriam", last_name="Hoffmann",
                               languages={"de": "native", "ar": "fluent"},
                               slots=["sat-morning", "mon-evening"])  # fmt: skip
    # A second, weaker candidate (basic Arabic, farther away): an alternative to review.
    make_volunteer(agency, first_name="Jonas", last_name="Weber", languages={"ar": "basic"},
                   slots=["sat-morning"], lat=51.02, lon=7.05)  # fmt: skip
    _log_in(page, live_server, coordinator.email)

    # Register a newcomer, as at the desk after the interview.
    page.get_by_role("link", name="Neuzugewanderte", exact=True).first.click()
    expect(page.get_by_role("heading", name="Neuzugewanderte", exact=True)).to_be_visible()
    assert_accessible(page, "newcomers")
    page.goto(live_server + "/newcomers/new")
    assert_accessible(page, "intake-empty")
    page.locator("#first_name").fill("Amal")
    page.locator("#age_band").select_option("26_35")
    page.locator("#postcode").fill("50825")
    page.locator("#languages-0-code").select_option("ar")
    page.locator("#languages-0-level").select_option("native")
    page.check("input[name=slots][value=sat-morning]")
    page.check("input[name=topics][value=authorities]")
    page.check("#consent_matching")
    page.locator("#consent_language").select_option("ar")
    page.check("input[name=consent_channel][value=in_person]")
    screenshot(page, "intake")
    assert_accessible(page, "intake-filled")
    page.locator("#submit").click()
    expect(page.get_by_role("heading", name="Amal")).to_be_visible()
    screenshot(page, "newcomer")
    assert_accessible(page, "newcomer")

    # Run the matching: its page follows the background job; then review the proposal.
    page.goto(live_server + "/matching/proposals")
    page.get_by_role("button", name=re.compile("Matching")).first.click()
    expect(page.get_by_role("heading", name="Das Matching läuft")).to_be_visible()
    assert drain_jobs(app) == 1  # a worker takes the job from the real queue
    expect(page.get_by_role("heading", name="Das Matching ist fertig")).to_be_visible(
        timeout=10_000
    )
    page.get_by_role("link", name="Zu den Vorschlägen").first.click()
    # In the table: the filter's language list has names that contain "Amal" too.
    expect(page.locator("table.proposals").get_by_text("Miriam").first).to_be_visible()
    expect(page.locator("table.proposals").get_by_text("Amal").first).to_be_visible()
    screenshot(page, "proposals")
    assert_accessible(page, "proposals")
    page.get_by_role("link", name="Andere Ehrenamtliche").first.click()
    expect(page.get_by_role("button", name="Stattdessen vorschlagen")).to_be_visible()
    screenshot(page, "alternatives")
    assert_accessible(page, "alternatives")
    page.go_back()
    page.locator("form:not(#bulk)[action$='/approve'] button[type=submit]").first.click()
    screenshot(page, "approved")
    assert_accessible(page, "approved")

    with inside(app):
        newcomer = db.session.scalars(select(Newcomer).where(Newcomer.first_name == "Amal")).one()
        match = db.session.scalars(select(Match).where(Match.newcomer_id == newcomer.id)).one()
        assert match.status == "approved" and match.volunteer_id == volunteer.id
        assert match.approved_by_id == coordinator.id
        assert newcomer.status == "matched"

    page.goto(live_server + f"/patenschaften/{match.id}")
    expect(page.get_by_text("Miriam").first).to_be_visible()
    screenshot(page, "patenschaft")
    assert_accessible(page, "patenschaft-approved")

    # The introduction, then the end: every state of the Patenschaft page.
    page.get_by_role("button", name="Kennenlernen erledigt: Probezeit beginnen").click()
    expect(page.get_by_text("Probezeit bis").first).to_be_visible()
    assert_accessible(page, "patenschaft-active")
    page.get_by_label("Grund").select_option("no_time")
    page.get_by_role("button", name="Patenschaft beenden").click()
    expect(page.get_by_text("beendet (keine Zeit)")).to_be_visible()
    screenshot(page, "patenschaft-ended")
    assert_accessible(page, "patenschaft-ended")


def test_admin_downloads_an_xlsx_export(
    app: Flask, page: Page, live_server: str, screenshot: Callable[..., Any],
    make_agency: Callable[..., Any], make_user: Callable[..., Any],
    make_volunteer: Callable[..., Any], tmp_path: Path,
) -> None:  # fmt: skip
    agency = make_agency(name="Diakonie Köln")
    admin = make_user("admin", email="admin@diakonie.example")
    make_volunteer(agency, first_name="Jana", last_name="Export")
    make_volunteer(agency, first_name='=HYPERLINK("http://x","y")', last_name="Formel")
    _log_in(page, live_server, admin.email)

    page.goto(live_server + "/admin/exports")
    assert_accessible(page, "exports")
    page.locator("#agency").select_option(str(agency.id))
    page.check("input[name=kind][value=volunteers]")
    page.check("input[name=fmt][value=xlsx]")
    screenshot(page, "form")
    with page.expect_download() as download_info:
        page.locator("#submit").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    saved = SCREENSHOTS.parent / "downloads" / download.suggested_filename
    saved.parent.mkdir(parents=True, exist_ok=True)
    download.save_as(saved)

    sheet = load_workbook(saved).active
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert "Jana" in cells and "Export" in cells
    formula = next(c for row in sheet.iter_rows() for c in row if "HYPERLINK" in str(c.value))
    # A text cell, shown as it was typed and never run as a formula.
    assert formula.value == '=HYPERLINK("http://x","y")' and formula.data_type == "s"
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)

    # The audit log shows the export; on a phone its table scrolls sideways in its box.
    page.set_viewport_size(PHONE)
    page.goto(live_server + "/admin/audit")
    expect(page.get_by_text("export.volunteers").first).to_be_visible()
    screenshot(page, "audit-phone")
    assert_accessible(page, "audit-phone")
