"""Acceptance, with a real consumer process (`flask jobs work` as a subprocess) on the test's
database, job queue and upload stash: an import of a large list started from the web
answers in under a second and is done in the background; a worker killed with `kill -9`
while it writes the rows leaves none of them, and the next consumer records the job as
failed with a reason the admin reads on its page."""

import io
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, create_engine, func, select

from matcher.models import ImportJob, Volunteer
from tests.conftest import login
from tests.jobs.test_consumer import Consumer

STALE_SECONDS = 1


@pytest.fixture
def app_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The consumer and the pages share the upload stash, and reap after one second."""
    stash = str(tmp_path / "imports")
    monkeypatch.setenv("MATCHER_IMPORT_STASH_DIR", stash)
    return {"IMPORT_STASH_DIR": stash, "JOBS_STALE_SECONDS": STALE_SECONDS}


@pytest.fixture
def consumers(tmp_path: Path, app: Flask) -> Iterator[Callable[[], Consumer]]:
    started: list[Consumer] = []

    def start() -> Consumer:
        started.append(Consumer(app, tmp_path / f"consumer-{len(started) + 1}.log"))
        return started[-1]

    yield start
    for consumer in started:
        consumer.stop()


@pytest.fixture
def watch(app: Flask) -> Iterator[Engine]:
    """A connection pool of the test's own, to watch the job as a page would."""
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    yield engine
    engine.dispose()


def _csv(prefix: str, rows: int) -> bytes:
    """A volunteer list; kept under 500 kB, above which the test client spools the
    request to a file it never closes (a ResourceWarning in a later test)."""
    lines = ["Vorname;Nachname;E-Mail;PLZ;Alter;Sprachen;Einwilligung;Einwilligung am;"
             "Hinweise erklärt auf"]  # fmt: skip
    lines += [f"Vorname;Nachname;{prefix}{i}@example.org;50823;42;Deutsch, Arabisch (gut);"
              f"ja;01.10.2025;Deutsch" for i in range(rows)]  # fmt: skip
    return ("\n".join(lines) + "\n").encode()


def _import(client: FlaskClient, agency_id: int, data: bytes) -> tuple[int, float]:
    """Upload a list and press "Import"; the job's id and the seconds the answer took."""
    upload = client.post(
        "/admin/imports",
        data={"agency": str(agency_id), "kind": "volunteers", "file": (io.BytesIO(data), "p.csv")},
        content_type="multipart/form-data",
    )
    mapping = {"map_first_name": "0", "map_last_name": "1", "map_email": "2",
               "map_postcode": "3", "map_age_band": "4", "map_languages": "5",
               "map_consent": "6", "map_consent_date": "7", "map_consent_language": "8"}  # fmt: skip
    started = time.perf_counter()
    response = client.post(upload.location, data={**mapping, "run": "1"})
    seconds = time.perf_counter() - started
    assert response.status_code == 302 and "/admin/imports/jobs/" in response.location
    return int(response.location.rsplit("/", 1)[1]), seconds


def _status(engine: Engine, job_id: int) -> str:
    with engine.connect() as conn:
        return str(conn.execute(select(ImportJob.status).where(ImportJob.id == job_id)).scalar())


def _volunteers(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(Volunteer)).scalar() or 0)


def _wait_for(engine: Engine, job_id: int, statuses: tuple[str, ...]) -> str:
    deadline = time.monotonic() + 60
    while (status := _status(engine, job_id)) not in statuses:
        assert time.monotonic() < deadline, f"job {job_id} stayed {status}"
        time.sleep(0.003)
    return status


def test_an_import_is_done_by_a_worker_and_a_killed_one_leaves_nothing_half_imported(
    app: Flask,
    client: FlaskClient,
    make_agency: Callable[..., Any],
    make_user: Callable[..., Any],
    consumers: Callable[[], Consumer],
    watch: Engine,
) -> None:
    agency = make_agency(name="Caritas Köln")
    assert login(client, make_user("admin")).status_code == 302
    consumer = consumers()
    # More rows than IMPORT_JOB_ROWS: a job, answered at once, done by the worker.
    job_id, seconds = _import(client, agency.id, _csv("a", 2500))
    assert seconds < 1.0, f"the import page took {seconds:.2f} s"
    assert _wait_for(watch, job_id, ("finished", "failed")) == "finished"
    assert _volunteers(watch) == 2500
    page = client.get(f"/admin/imports/jobs/{job_id}").get_data(as_text=True)
    assert "Importiert: 2500 neu, 0 bereits vorhanden." in page

    # The next list: the worker is killed while it writes the rows.
    data = _csv("b", 5000)
    assert len(data) < 500_000
    job_id, _ = _import(client, agency.id, data)
    status = _wait_for(watch, job_id, ("importing", "finished", "failed"))
    consumer.process.send_signal(signal.SIGKILL)  # kill -9
    consumer.process.wait(timeout=10)
    assert status == "importing", "the import ended before the worker could be killed"
    assert _status(watch, job_id) == "importing"  # nobody is left to say otherwise
    assert _volunteers(watch) == 2500  # none of the next list's rows

    # The next consumer records it as failed when it starts, once its heartbeat is stale.
    time.sleep(STALE_SECONDS + 0.3)
    successor = consumers()
    successor.wait_for("Recorded 1 lost import job(s) as failed")
    assert _status(watch, job_id) == "failed" and _volunteers(watch) == 2500
    page = client.get(f"/admin/imports/jobs/{job_id}").get_data(as_text=True)
    assert "Der Import ist fehlgeschlagen" in page
    assert "Der Hintergrundprozess, der den Import ausführte, wurde beendet" in page
