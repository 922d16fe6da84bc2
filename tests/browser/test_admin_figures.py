"""The figures dashboard in a real browser: charts drawn, nothing from another host, no script."""

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Flask
from playwright.sync_api import Page, expect

from matcher.extensions import db
from matcher.models import Match, Newcomer, Volunteer
from matcher.services.platform import demo
from tests.browser.axe import assert_accessible
from tests.conftest import PASSWORD, inside


def _a_year_of_patenschaften(app: Flask) -> int:
    """The demo agency with Patenschaften started and ended over the last twelve months."""
    today = date.today()
    with inside(app):
        agency = demo.load("koeln", 120, 100, 3, today)
        assert agency is not None
        volunteers = db.session.query(Volunteer).filter_by(agency_id=agency.id).all()
        newcomers = (
            db.session.query(Newcomer).filter_by(agency_id=agency.id, status="waiting").all()
        )
        for i, newcomer in enumerate(newcomers[:40]):
            started = datetime.combine(today, datetime.min.time(), tzinfo=UTC) - timedelta(
                days=350 - i * 8
            )
            ended = started + timedelta(days=120) if i % 3 == 0 else None
            db.session.add(
                Match(agency_id=agency.id, volunteer_id=volunteers[i].id, newcomer_id=newcomer.id,
                      status="ended" if ended and ended.date() < today else "active",
                      end_reason="goal_reached" if ended and ended.date() < today else None,
                      proposed_at=started - timedelta(days=7), started_at=started,
                      ended_at=ended if ended and ended.date() < today else None)
            )  # fmt: skip
            newcomer.status = "matched"
        db.session.commit()
        return agency.id


def test_figures_dashboard_and_funder_report(
    app: Flask, page: Page, live_server: str, make_user: Callable[..., Any],
    screenshot: Callable[..., Any],
) -> None:  # fmt: skip
    agency_id = _a_year_of_patenschaften(app)
    admin = make_user("admin")
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.set_viewport_size({"width": 1200, "height": 900})
    page.goto(live_server + "/login")
    page.get_by_label("E-Mail").fill(admin.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.get_by_role("link", name="Zahlen").click()
    expect(page.get_by_role("heading", name="Patenschaften pro Monat")).to_be_visible()
    charts = page.locator("svg.chart")
    expect(charts).to_have_count(3)
    # Bars were drawn with real heights.
    heights = page.locator("svg.chart rect").evaluate_all(
        "els => els.map(e => parseFloat(e.getAttribute('height')))"
    )
    assert sum(h > 0 for h in heights) >= 10
    assert page.locator("script").count() == 0
    screenshot(page, "dashboard")
    assert_accessible(page, "figures")
    page.get_by_text("Als Tabelle").first.click()  # the charts' table fallback, opened
    assert_accessible(page, "figures-as-tables")

    page.get_by_role("button", name="Bericht für Geldgeber").click()
    expect(page.get_by_role("heading", name="Bericht für Geldgeber")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("button", name="Als Excel-Datei (XLSX) herunterladen").click()
    assert download.value.suggested_filename.startswith("koeln-report-")
    screenshot(page, "report")
    assert_accessible(page, "funder-report")
    assert requests and all(url.startswith(live_server) for url in requests), requests
    assert agency_id


def test_settings_preview_updates_live_while_typing(
    app: Flask, page: Page, live_server: str, make_user: Callable[..., Any],
    screenshot: Callable[..., Any],
) -> None:  # fmt: skip
    agency_id = _a_year_of_patenschaften(app)
    admin = make_user("admin")
    page.set_viewport_size({"width": 1200, "height": 900})
    page.goto(live_server + "/login")
    page.get_by_label("E-Mail").fill(admin.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.goto(f"{live_server}/admin/agencies/{agency_id}")
    assert_accessible(page, "agency-settings")
    feasible = page.locator("p.big [data-count=feasible]")
    shown = feasible.inner_text()
    at_15_km = int(shown.replace(".", ""))  # German grouping: "1.092"
    page.get_by_label("Höchste Entfernung (km)").fill("1,5")  # a German decimal comma
    expect(feasible).not_to_have_text(shown)
    assert int(feasible.inner_text().replace(".", "")) < at_15_km
    screenshot(page, "settings")
    assert_accessible(page, "agency-settings-preview")
