"""An admin imports a large list in the real browser, on a phone and a desktop: the dry run
answers at once with its job's page, which follows the worker's rows by itself (the
matching run's static script, no reload), says in German why a job whose worker was
killed failed, then lists a check's problems with their rows, and after the import says
what was imported. Every state is checked with axe."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from matcher.extensions import db
from matcher.services.lists import import_jobs
from tests.browser.axe import assert_accessible
from tests.browser.conftest import PHONE
from tests.conftest import PASSWORD, drain_jobs

DESKTOP = {"width": 1280, "height": 800}
HEADER = (
    "Vorname;Nachname;E-Mail;PLZ;Alter;Sprachen;Einwilligung;Einwilligung am;Hinweise erklärt auf"
)


def _csv(rows: int, bad: tuple[int, ...] = ()) -> bytes:
    """A volunteer list of `rows` people; the rows listed in `bad` have an unknown postcode."""
    lines = [HEADER]
    for i in range(rows):
        postcode = "99999" if i + 2 in bad else "50823"
        lines.append(f"Vorname{i};Nachname{i};person{i}@example.org;{postcode};42;"
                     f"Deutsch (Muttersprache), Arabisch (gut);ja;01.10.2025;Deutsch")  # fmt: skip
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def app_config(tmp_path: Path) -> dict[str, Any]:
    """Every check and import is a job; a worker counts as gone after a second without a
    heartbeat (sixty in production)."""
    return {
        "IMPORT_STASH_DIR": str(tmp_path / "imports"),
        "IMPORT_JOB_ROWS": 0,
        "JOBS_STALE_SECONDS": 1,
        "JOBS_HEARTBEAT_SECONDS": 0.2,
    }


@contextmanager
def _worker(app: Flask, job_id: int) -> Iterator[import_jobs.Progress]:
    """Play a worker that has taken the job: its progress reports and its heartbeat thread,
    as `perform_import` has them. Leaving the block is the worker being killed."""
    with app.app_context():
        progress = import_jobs.Progress(db.engine, job_id)
        with progress.heartbeat(0.2):
            yield progress


def _both_views(page: Page, screenshot: Callable[..., Any], step: str) -> None:
    """Screenshot and axe on a phone and on a desktop; back to the phone."""
    for name, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(size)
        screenshot(page, f"{step}-{name}")
        assert_accessible(page, f"import-{step}-{name}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= size["width"], f"{step} is {width} px wide on a {name}"
    page.set_viewport_size(PHONE)


def _upload(page: Page, path: Path) -> None:
    page.get_by_role("link", name="Verwaltung").click()
    page.get_by_role("link", name="Import", exact=True).first.click()
    expect(page.get_by_role("heading", name="Eine Liste importieren")).to_be_visible()
    page.get_by_label("Träger").select_option(label="Diakonie Köln")
    page.get_by_label("CSV- oder Excel-Datei (XLSX)").set_input_files(str(path))
    page.get_by_role("button", name="Hochladen und Spalten zuordnen").click()
    expect(page.get_by_role("heading", name="Spalten zuordnen")).to_be_visible()


def test_an_admin_follows_a_large_import_from_the_dry_run_to_the_imported_rows(
    app: Flask, page: Page, live_server: str, screenshot: Callable[..., Any], tmp_path: Path,
    make_agency: Callable[..., Any], make_user: Callable[..., Any],
) -> None:  # fmt: skip
    make_agency(name="Diakonie Köln")
    admin = make_user("admin", email="verwaltung@diakonie.example")
    bad = tmp_path / "paten-mit-fehlern.csv"
    bad.write_bytes(_csv(12, bad=(5, 9)))
    good = tmp_path / "paten.csv"
    good.write_bytes(_csv(12))
    page.set_viewport_size(PHONE)
    page.goto(live_server + "/login")
    page.get_by_label("E-Mail").fill(admin.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()

    # The dry run answers at once with its job's page: it waits for a worker.
    _upload(page, bad)
    expect(page.get_by_text("Diese Datei hat viele Zeilen")).to_be_visible()
    _both_views(page, screenshot, "mapping")
    page.get_by_role("button", name="Prüfen (Probelauf)").click()
    expect(page.get_by_role("heading", name="Die Prüfung läuft")).to_be_visible()
    expect(page.locator("#run-step")).to_have_text(
        "Schritt 1 von 2: wartet auf einen freien Hintergrundprozess"
    )
    job_id = int(page.url.rsplit("/", 1)[1])
    _both_views(page, screenshot, "queued")

    # A worker takes it; the page follows its rows by itself, without reloading.
    page.evaluate("window.notReloaded = true")
    with _worker(app, job_id) as worker:
        worker.advance("check")
        worker.report(8)
        expect(page.locator("#run-step")).to_have_text(
            "Schritt 2 von 2: die Zeilen werden geprüft (8 von 12)", timeout=10_000
        )
        assert page.locator("#run-bar").evaluate("bar => [bar.value, bar.max]") == [8, 12]
        assert page.evaluate("window.notReloaded") is True
        _both_views(page, screenshot, "checking")
    # The worker is killed: its heartbeat stops, and the page says why.
    expect(page.get_by_role("heading", name="Die Prüfung ist fehlgeschlagen")).to_be_visible(
        timeout=15_000
    )
    expect(page.get_by_text("Der Hintergrundprozess, der den Import ausführte")).to_be_visible()
    _both_views(page, screenshot, "failed")

    # Again, with a real worker (the real job, from the real queue): the problems, by row.
    page.get_by_role("link", name="Spaltenzuordnung ändern").click()
    page.get_by_role("button", name="Prüfen (Probelauf)").click()
    expect(page.locator("#run-step")).to_contain_text("Schritt 1 von 2")
    assert drain_jobs(app) == 2  # the killed job's task finds nothing to do
    expect(page.get_by_role("heading", name="2 Probleme")).to_be_visible(timeout=10_000)
    rows = page.locator("table.errors tbody tr")
    assert [rows.nth(i).locator("td").first.inner_text() for i in range(2)] == ["5", "9"]
    expect(page.get_by_role("button", name="Jetzt importieren")).to_have_count(0)
    _both_views(page, screenshot, "problems")

    # The corrected file: the check passes, and its page's button imports it.
    _upload(page, good)
    page.get_by_role("button", name="Prüfen (Probelauf)").click()
    expect(page.locator("#run-step")).to_contain_text("Schritt 1 von 2")
    assert drain_jobs(app) == 1
    expect(page.get_by_role("heading", name="Prüfung bestanden")).to_be_visible(timeout=10_000)
    expect(page.get_by_text("12 neu, 0 bereits vorhanden")).to_be_visible()
    _both_views(page, screenshot, "checked")
    page.get_by_role("button", name="Jetzt importieren").click()
    expect(page.get_by_role("heading", name="Der Import läuft")).to_be_visible()
    expect(page.locator("#run-step")).to_contain_text("Schritt 1 von 3")
    assert drain_jobs(app) == 1
    expect(page.get_by_role("heading", name="Import abgeschlossen")).to_be_visible(timeout=10_000)
    expect(page.get_by_text("Importiert: 12 neu, 0 bereits vorhanden.")).to_be_visible()
    _both_views(page, screenshot, "imported")
