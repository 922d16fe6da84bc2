"""A coordinator follows a matching run in the real browser, on a phone and a desktop: the
run page waits for a worker, follows the worker's steps by itself (a static script, no
reload), says in German why a run whose worker was killed failed, and shows the result
of the next run with a link to its proposals. Every state is checked with axe."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from matcher.extensions import db
from matcher.services.matching import runs
from tests.browser.axe import assert_accessible
from tests.browser.conftest import PHONE
from tests.conftest import PASSWORD, drain_jobs

DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture
def app_config() -> dict[str, Any]:
    """A worker counts as gone after one second without a heartbeat (sixty in production)."""
    return {"JOBS_STALE_SECONDS": 1, "JOBS_HEARTBEAT_SECONDS": 0.2}


@contextmanager
def _worker(app: Flask, run_id: int) -> Iterator[runs.Progress]:
    """Play a worker that has taken the run: its progress reports and its heartbeat
    thread, as `perform_run` has them. Leaving the block is the worker being killed:
    the heartbeat stops."""
    with app.app_context():
        progress = runs.Progress(db.engine, run_id)
        with progress.heartbeat(0.2):
            yield progress


def _both_views(page: Page, screenshot: Callable[..., Any], step: str) -> None:
    """Screenshot and axe on a phone and on a desktop; back to the phone."""
    for name, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(size)
        screenshot(page, f"{step}-{name}")
        assert_accessible(page, f"run-{step}-{name}")
    page.set_viewport_size(PHONE)


def test_a_coordinator_follows_a_run_until_it_fails_and_the_next_until_its_proposals(
    app: Flask, page: Page, live_server: str, screenshot: Callable[..., Any],
    make_agency: Callable[..., Any], make_user: Callable[..., Any],
    make_volunteer: Callable[..., Any], make_newcomer: Callable[..., Any],
) -> None:  # fmt: skip
    agency = make_agency(name="Caritas Köln")
    coordinator = make_user("coordinator", agency, email="koordination@caritas.example")
    for _ in range(3):
        make_volunteer(agency)
        make_newcomer(agency)
    page.set_viewport_size(PHONE)
    page.goto(live_server + "/login")
    page.get_by_label("E-Mail").fill(coordinator.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", name="Übersicht")).to_be_visible()

    # The button answers at once with the run's page: it waits for a worker.
    page.get_by_role("button", name="Matching starten").click()
    expect(page.get_by_role("heading", name="Das Matching läuft")).to_be_visible()
    expect(page.locator("#run-step")).to_have_text(
        "Schritt 1 von 4: wartet auf einen freien Hintergrundprozess"
    )
    assert page.locator("#run-bar").evaluate("bar => [bar.value, bar.max]") == [0, 4]
    run_id = int(page.url.rsplit("/", 1)[1])
    _both_views(page, screenshot, "queued")

    # A worker takes it; the page follows its steps by itself, without reloading.
    page.evaluate("window.notReloaded = true")
    with _worker(app, run_id) as worker:
        worker.advance("build")
        worker.advance("solve")
        worker.solver("round", 2)
        expect(page.locator("#run-step")).to_have_text(
            "Schritt 3 von 4: die besten Paare werden berechnet (Runde 2)", timeout=10_000
        )
        assert page.locator("#run-bar").evaluate("bar => bar.value") == 2
        assert page.evaluate("window.notReloaded") is True
        _both_views(page, screenshot, "solving")
    # The worker is killed: its heartbeat stops, and the page says why.
    expect(page.get_by_role("heading", name="Das Matching ist fehlgeschlagen")).to_be_visible(
        timeout=15_000
    )
    expect(page.get_by_text("Der Hintergrundprozess, der das Matching berechnete")).to_be_visible()
    _both_views(page, screenshot, "failed")
    # The overview says so too, with a link to the run.
    page.get_by_role("link", name="Übersicht").click()
    expect(page.get_by_text("Das letzte Matching ist fehlgeschlagen.")).to_be_visible()
    _both_views(page, screenshot, "dashboard-failed")
    page.get_by_role("link", name="Details").click()

    # Again: this time a worker (the real job, from the real queue) does the whole run.
    page.get_by_role("button", name="Matching erneut starten").click()
    expect(page.locator("#run-step")).to_contain_text("Schritt 1 von 4")
    assert drain_jobs(app) == 2  # the killed run's job finds nothing to do
    expect(page.get_by_role("heading", name="Das Matching ist fertig")).to_be_visible(
        timeout=10_000
    )
    expect(page.get_by_text("Es schlägt 3 Paare vor.")).to_be_visible()
    _both_views(page, screenshot, "finished")
    page.get_by_role("link", name="Zu den Vorschlägen").first.click()
    expect(page.get_by_role("heading", name="Vorschläge zu prüfen")).to_be_visible()
    assert_accessible(page, "proposals-after-run")
