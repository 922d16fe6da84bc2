"""Issue 13's journey in a real browser: a coordinator starts from "Heute zu tun" and handles
each kind of item where its link leads; pins one pair and forbids another, runs the
matching again and sees both kept; then filters the proposals by language and approves the
page in bulk. Desktop and phone screenshots; every page checked with axe."""

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from matcher.extensions import db
from matcher.models import Match, PairRule
from tests.browser.axe import assert_accessible
from tests.browser.conftest import PHONE, page_width
from tests.conftest import PASSWORD, drain_jobs, inside
from tests.matching.test_workqueue import seed

DESKTOP = {"width": 1280, "height": 900}


def _dashboard(page: Page, base: str) -> None:
    page.goto(base + "/dashboard")
    expect(page.get_by_role("heading", name="Heute zu tun")).to_be_visible()


def _first_item(page: Page, kind: str) -> Any:
    return page.locator(f"#todo-{kind} li a").first


def _run_matching(app: Flask, page: Page, base: str) -> None:
    page.goto(base + "/matching/proposals")
    page.get_by_role("button", name=re.compile("Matching")).first.click()
    expect(page.get_by_role("heading", name="Das Matching läuft")).to_be_visible()
    assert drain_jobs(app) == 1  # a worker takes the job from the real queue
    expect(page.get_by_role("heading", name="Das Matching ist fertig")).to_be_visible(
        timeout=15_000
    )


def _open_proposal(app: Flask, newcomer_id: int) -> Match:
    with inside(app):
        match = db.session.scalars(
            select(Match).where(Match.newcomer_id == newcomer_id, Match.status == "proposed")
        ).one()
        db.session.expunge(match)
        return match


def test_a_coordinator_works_through_today_controls_the_matching_and_approves_a_page(
    app: Flask, page: Page, live_server: str, screenshot: Callable[..., Any],
    make_agency: Callable[..., Any], make_user: Callable[..., Any],
    make_volunteer: Callable[..., Any], make_newcomer: Callable[..., Any],
) -> None:  # fmt: skip
    agency = make_agency(name="Integrationsagentur Ehrenfeld", city="Köln")
    coordinator = make_user("coordinator", agency, name="Kim Koordination")
    ids = seed(app, agency, "", make_volunteer, make_newcomer)
    # Tigrinya: two newcomers and three volunteers who only meet each other.
    tigrinya = {"languages": {"ti": "native"}, "slots": ["sat-morning"]}
    hana = make_newcomer(agency, first_name="Hana", **tigrinya)
    jana = make_newcomer(agency, first_name="Jana", **tigrinya)
    for name in ("Tesfay", "Yonas", "Selam"):
        make_volunteer(agency, first_name=name, **tigrinya)
    # Farsi: three pairs to approve as one page.
    farsi = {"languages": {"fa": "native"}, "slots": ["sat-morning"]}
    for volunteer, newcomer in (("Dariush", "Laleh"), ("Parisa", "Shirin"), ("Kaveh", "Nasrin")):
        make_volunteer(agency, first_name=volunteer, **farsi)
        make_newcomer(agency, first_name=newcomer, **farsi)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))

    page.set_viewport_size(DESKTOP)
    page.goto(live_server + "/login")
    page.get_by_label("E-Mail").fill(coordinator.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", name="Heute zu tun")).to_be_visible()
    for kind in ("signups", "certificates", "checkins", "attention", "proposals", "no_volunteer"):
        expect(page.locator(f"#todo-{kind} li").first).to_be_visible()
    screenshot(page, "today-desktop")
    assert_accessible(page, "today")
    page.set_viewport_size(PHONE)
    assert page_width(page) <= PHONE["width"]
    screenshot(page, "today-phone")
    page.set_viewport_size(DESKTOP)

    # A new sign-up waits for its interview: the interview was held, activate.
    _first_item(page, "signups").click()
    expect(page.get_by_role("heading", name=re.compile("Sina"))).to_be_visible()
    page.locator("form:has(input[name=change][value=activate]) button").click()
    expect(page.get_by_text("Aktiv").first).to_be_visible()

    # Certificates: the ready letter for the renewal, then the new one recorded.
    _dashboard(page, live_server)
    page.locator("#todo-certificates a[href$='/certificate-letter']").first.click()
    expect(page.get_by_role("heading", name=re.compile("Führungszeugnis")).first).to_be_visible()
    screenshot(page, "certificate-letter")
    assert_accessible(page, "certificate-letter")
    today = date.today().isoformat()
    for _ in range(2):  # one expiring soon, one expired while a Patenschaft needs it
        _dashboard(page, live_server)
        page.locator("#todo-certificates li a[href^='/volunteers/']:not([href$='letter'])").first.click()  # fmt: skip
        page.locator("#inspected_on").fill(today)
        page.locator("#issued_on").fill(today)
        page.check("input[name=result][value=clear]")
        page.locator("form[action$='/certificate'] [type=submit]").click()
        expect(page.get_by_text("Einsichtnahme vermerkt.")).to_be_visible()

    # Check-ins: one overdue, one marked red; a conversation held, it goes well now.
    for _ in range(2):
        _dashboard(page, live_server)
        _first_item(page, "checkins").click()
        page.check("input[name=light][value=green]")
        page.locator("main form:has(input[name=light]) [type=submit]").click()
        expect(page.locator(".flash").first).to_be_visible()

    # A volunteer paused while the Patenschaft runs: seen, the coordinator takes care.
    _dashboard(page, live_server)
    _first_item(page, "attention").click()
    page.locator("form[action$='/acknowledge'] button").click()
    expect(page.locator(".flash").first).to_be_visible()

    # A proposal waiting for ten days: approved in its row of the table.
    _dashboard(page, live_server)
    stale = _first_item(page, "proposals")
    expect(stale).to_have_attribute("href", re.compile(f"#proposal-{ids['stale']}$"))
    stale.click()
    page.locator(f"#proposal-{ids['stale']} form:not(#bulk)[action$='/approve'] button").click()
    expect(page.get_by_text("Patenschaft angenommen").first).to_be_visible()

    # A newcomer nobody can take: her page says why; the next run looks again.
    _dashboard(page, live_server)
    _first_item(page, "no_volunteer").click()
    expect(page.get_by_role("heading", name=re.compile("Nora"))).to_be_visible()

    _dashboard(page, live_server)
    for kind in ("signups", "certificates", "checkins", "attention", "proposals"):
        expect(page.locator(f"#todo-{kind} li")).to_have_count(0)
    screenshot(page, "today-done")
    assert_accessible(page, "today-done")

    # Control over the matching: a run, then forbid Hana's pair and pin Jana's.
    _run_matching(app, page, live_server)
    forbidden = _open_proposal(app, hana.id).volunteer_id
    pinned = _open_proposal(app, jana.id).volunteer_id
    page.goto(live_server + f"/newcomers/{hana.id}#pair-rules")
    rules = page.locator("#pair-rules")
    rules.get_by_label(re.compile("Grund")).fill("Kennen sich aus der Unterkunft")
    rules.get_by_role("button", name="Dieses Paar nie vorschlagen").click()
    expect(page.locator("#pair-rules").get_by_text(re.compile("Nie vorgeschlagen"))).to_be_visible()
    screenshot(page, "forbidden")
    assert_accessible(page, "newcomer-forbidden")
    page.goto(live_server + f"/newcomers/{jana.id}#pair-rules")
    page.locator("#pair-rules").get_by_role("button", name="Diese Person fest zuordnen").click()
    expect(page.locator("#pair-rules").get_by_text(re.compile("Fest zugeordnet"))).to_be_visible()
    screenshot(page, "pinned")

    _run_matching(app, page, live_server)
    assert _open_proposal(app, jana.id).volunteer_id == pinned  # the pin is kept
    assert _open_proposal(app, hana.id).volunteer_id not in (forbidden, pinned)
    with inside(app):
        kinds = sorted(r.kind for r in db.session.scalars(select(PairRule)))
    assert kinds == ["forbid", "pin"]
    page.goto(live_server + "/matching/rules")
    expect(page.get_by_text("Kennen sich aus der Unterkunft")).to_be_visible()
    assert_accessible(page, "pair-rules")

    # The proposals, filtered by a language, approved a page at once.
    page.goto(live_server + "/matching/proposals")
    page.locator("#f-language").select_option("fa")
    page.get_by_role("button", name="Filtern").click()
    expect(page.get_by_text(re.compile(r"^3 von \d+ offenen Vorschlägen passen"))).to_be_visible()
    screenshot(page, "proposals-farsi")
    assert_accessible(page, "proposals-filtered")
    page.locator("#select-all").check()
    expect(page.locator("input[name=selected][form=bulk]:checked")).to_have_count(3)
    page.get_by_role("button", name="Angekreuzte Vorschläge annehmen").first.click()
    expect(page.get_by_text("3 Patenschaften angenommen.")).to_be_visible()
    with inside(app):
        approved = db.session.scalars(
            select(Match).where(Match.status == "approved", Match.agency_id == agency.id)
        ).all()
        farsi_names = {"Laleh", "Shirin", "Nasrin"}
        assert farsi_names <= {m.newcomer.first_name for m in approved}

    page.set_viewport_size(PHONE)
    page.goto(live_server + "/matching/proposals")
    assert page_width(page) <= PHONE["width"]
    screenshot(page, "proposals-phone")
    assert_accessible(page, "proposals-phone")
    _dashboard(page, live_server)
    screenshot(page, "today-after-phone")
    assert requests and all(url.startswith(live_server) for url in requests), {
        url for url in requests if not url.startswith(live_server)
    }
