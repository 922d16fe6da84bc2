"""A coordinator filters the proposals table by a shared language, opens one proposal in
place, ticks the whole page with the header checkbox (a static script) and approves it in
bulk — on a desktop and on a phone (390 px, no sideways scrolling), checked with axe."""

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from matcher.extensions import db
from matcher.models import Match, MatchEvent
from matcher.services.matching import proposals as proposal_table
from tests.browser.axe import assert_accessible
from tests.browser.conftest import PHONE, page_width
from tests.conftest import PASSWORD, inside

DESKTOP = {"width": 1366, "height": 900}


def test_filter_by_language_select_the_page_and_approve_in_bulk(
    app: Flask, backend: str, page: Page, live_server: str, screenshot: Callable[..., Any],
    make_agency: Callable[..., Any], make_user: Callable[..., Any],
    make_volunteer: Callable[..., Any], make_newcomer: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    if backend != "sqlite":
        pytest.skip("browser tests run on SQLite")
    monkeypatch.setattr(proposal_table, "PER_PAGE", 3)  # three rows a page: a page, not all
    agency = make_agency(name="Caritas Köln")
    coordinator = make_user("coordinator", agency, email="koordination@caritas.example")
    persian = {"de": "native", "fa": "good"}
    people = [
        (make_volunteer(agency, first_name=f"Vera{i}", **({"languages": persian} if i < 4 else {})),
         make_newcomer(agency, first_name=f"Nadia{i}",
                       languages={"fa": "native"} if i < 4 else {"ar": "native"}))
        for i in range(6)
    ]  # fmt: skip
    with inside(app):
        for i, (v, n) in enumerate(people):
            match = Match(agency_id=agency.id, volunteer_id=v.id, newcomer_id=n.id,
                          status="proposed", score=0.9 - i / 20, components={"language": 1.0},
                          reasons=[])  # fmt: skip
            db.session.add(match)
            db.session.flush()
            db.session.add(MatchEvent(match_id=match.id, from_status=None, to_status="proposed"))
        db.session.commit()

    page.set_viewport_size(DESKTOP)
    page.goto(live_server + "/login")
    page.get_by_label("E-Mail").fill(coordinator.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.goto(live_server + "/matching/proposals")
    expect(page.get_by_text("6 von 6 offenen Vorschlägen passen.")).to_be_visible()

    # Filter by a language both speak.
    page.get_by_label("Gemeinsame Sprache").select_option("fa")
    page.get_by_role("button", name="Filtern").click()
    expect(page.get_by_text("4 von 6 offenen Vorschlägen passen.")).to_be_visible()
    rows = page.locator("table.proposals tbody.proposal-row")
    expect(rows).to_have_count(3)
    assert "language=fa" in page.url

    # One proposal's card opens in place.
    page.locator("table.proposals summary").first.click()
    expect(page.get_by_text("Gemeinsame Zeiten").first).to_be_visible()
    assert page_width(page) <= DESKTOP["width"]
    screenshot(page, "desktop-filtered")
    assert_accessible(page, "proposals-table-desktop")

    # The header checkbox (shown by the static script) ticks the page.
    select_all = page.get_by_label("Alle auf dieser Seite auswählen")
    expect(select_all).to_be_visible()
    select_all.check()
    boxes = page.locator("table.proposals input[name=selected]")
    assert [boxes.nth(i).is_checked() for i in range(3)] == [True, True, True]
    boxes.nth(1).uncheck()
    assert select_all.evaluate("box => box.indeterminate") is True
    select_all.check()
    page.get_by_role("button", name="Angekreuzte Vorschläge annehmen").last.click()
    expect(page.get_by_text("3 Patenschaften angenommen.")).to_be_visible()
    assert "language=fa" in page.url  # back on the filtered table
    expect(page.get_by_text("1 von 3 offenen Vorschlägen passen.")).to_be_visible()
    screenshot(page, "desktop-approved")
    with inside(app):
        approved = db.session.scalars(select(Match.newcomer_id).where(Match.status == "approved"))
        assert sorted(approved) == sorted(n.id for _v, n in people[:3])

    # On a phone: the same table as cards, nothing wider than the screen.
    page.set_viewport_size(PHONE)
    page.goto(live_server + "/matching/proposals")
    expect(page.get_by_text("3 von 3 offenen Vorschlägen passen.")).to_be_visible()
    assert page_width(page) <= PHONE["width"]
    page.locator("table.proposals summary").first.click()
    assert page_width(page) <= PHONE["width"]
    screenshot(page, "phone")
    assert_accessible(page, "proposals-table-phone")
    page.get_by_role("button", name="Alle auf dieser Seite annehmen").first.click()
    expect(page.get_by_text("3 Patenschaften angenommen.")).to_be_visible()
    expect(page.get_by_text("Keine Vorschläge zu prüfen.")).to_be_visible()
