"""Acceptance, with a real consumer process (`flask jobs work` as a subprocess) on the
test's database and job queue: a run started from the web returns in under a second and
completes in the background; SIGTERM lets the run in hand finish; a worker killed with
`kill -9` in the middle of a run leaves a failed run whose reason the coordinator reads
on the run page, recorded by the next consumer as it starts."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, create_engine, select

from matcher.extensions import db
from matcher.models import Agency, MatchRun, User
from matcher.services.platform import demo
from tests.conftest import inside, login
from tests.jobs.conftest import load_runs, proposals

ROOT = Path(__file__).resolve().parents[2]
WORKING = ("building", "solving", "storing")
STALE_SECONDS = 1


@pytest.fixture
def app_config() -> dict[str, Any]:
    """The pages reap with the same short patience as the consumer below."""
    return {"JOBS_STALE_SECONDS": STALE_SECONDS, "JOBS_HEARTBEAT_SECONDS": 0.1}


class Consumer:
    """`flask --app wsgi jobs work` in a process of its own, its output in a file."""

    def __init__(self, app: Flask, log: Path) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "JOBS_URL": app.config["JOBS_URL"],
            "SECRET_KEY": "test-secret",
            "MAIL_BACKEND": "console",
            "MATCHER_JOBS_POLL_SECONDS": "0.1",
            "MATCHER_JOBS_HEARTBEAT_SECONDS": "0.1",
            "MATCHER_JOBS_STALE_SECONDS": str(STALE_SECONDS),
        }
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "work", "--workers", "2"],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        self.wait_for("Job worker started")

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output():
            assert self.process.poll() is None, f"the consumer ended:\n{self.output()}"
            assert time.monotonic() < deadline, f"no {text!r} from the consumer:\n{self.output()}"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)


@pytest.fixture
def consumers(tmp_path: Path, app: Flask) -> Iterator[Callable[[], Consumer]]:
    """Start consumers on the test's database and queue; every one is gone afterwards."""
    started: list[Consumer] = []

    def start() -> Consumer:
        started.append(Consumer(app, tmp_path / f"consumer-{len(started) + 1}.log"))
        return started[-1]

    yield start
    for consumer in started:
        consumer.stop()


@pytest.fixture
def city(app: Flask, make_user: Callable[..., User]) -> tuple[Agency, FlaskClient]:
    """The demo agency in Cologne (150 volunteers, 120 newcomers) and its coordinator."""
    with inside(app):
        agency = demo.load("koeln", 150, 120, 1, date(2026, 11, 26))
        assert agency is not None
        db.session.commit()
        db.session.refresh(agency)
        db.session.expunge(agency)
    client = app.test_client()
    assert login(client, make_user("coordinator", agency)).status_code == 302
    return agency, client


@pytest.fixture
def watch(app: Flask) -> Iterator[Engine]:
    """A connection pool of the test's own, to watch the runs as a page would."""
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    yield engine
    engine.dispose()


def _status(engine: Engine, run_id: int) -> str:
    with engine.connect() as conn:
        return str(conn.execute(select(MatchRun.status).where(MatchRun.id == run_id)).scalar())


def _wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def _wait_finished(watch: Engine, run_id: int, timeout: float = 30) -> None:
    _wait_until(lambda: _status(watch, run_id) == "finished", timeout, f"run {run_id} did not end")


def _click(client: FlaskClient) -> tuple[int, float]:
    """Press "Matching starten"; return the run's id and the seconds the answer took."""
    started = time.perf_counter()
    response = client.post("/matching/run")
    seconds = time.perf_counter() - started
    assert response.status_code == 302
    return int(response.location.rsplit("/", 1)[1]), seconds


def _catch_mid_run(consumer: Consumer, client: FlaskClient, watch: Engine) -> int:
    """Start a run and freeze the consumer (SIGSTOP) while the run is being worked on, so
    what follows happens in the middle of the run, not after it. Returns the run's id."""
    for _attempt in range(3):
        run_id, _ = _click(client)
        deadline = time.monotonic() + 30
        while (status := _status(watch, run_id)) not in (*WORKING, "finished", "failed"):
            assert time.monotonic() < deadline, "the consumer did not take the run"
            time.sleep(0.002)
        if status in WORKING:
            consumer.process.send_signal(signal.SIGSTOP)
            if _status(watch, run_id) in WORKING:
                return run_id
            consumer.process.send_signal(signal.SIGCONT)
        _wait_finished(watch, run_id)
    pytest.fail("three runs ended before they could be caught in the middle")


def test_a_run_started_from_the_web_returns_at_once_and_completes_in_the_background(
    app: Flask,
    city: tuple[Agency, FlaskClient],
    consumers: Callable[[], Consumer],
    watch: Engine,
) -> None:
    _, client = city
    consumer = consumers()
    run_id, seconds = _click(client)
    assert seconds < 1.0, f"the button took {seconds:.2f} s"
    _wait_finished(watch, run_id)
    (run,) = load_runs(app)
    assert run.pairs > 50 and len(proposals(app)) == run.pairs
    page = client.get(f"/matching/runs/{run_id}").get_data(as_text=True)
    assert "Das Matching ist fertig" in page and f"Es schlägt {run.pairs} Paare vor." in page

    # SIGTERM in the middle of the next run: the run in hand finishes, then it stops.
    next_id = _catch_mid_run(consumer, client, watch)
    consumer.process.send_signal(signal.SIGTERM)
    consumer.process.send_signal(signal.SIGCONT)
    assert consumer.process.wait(timeout=30) == 0, consumer.output()
    assert "Job worker stopped." in consumer.output()
    assert _status(watch, next_id) == "finished"


def test_a_worker_killed_in_the_middle_of_a_run_leaves_a_failed_run_the_coordinator_sees(
    app: Flask,
    city: tuple[Agency, FlaskClient],
    consumers: Callable[[], Consumer],
    watch: Engine,
) -> None:
    _, client = city
    consumer = consumers()
    # A first run gives proposals; the killed run must leave them as they are.
    first, _ = _click(client)
    _wait_finished(watch, first)
    before = sorted(m.id for m in proposals(app))

    killed = _catch_mid_run(consumer, client, watch)
    consumer.process.send_signal(signal.SIGKILL)  # kill -9
    consumer.process.wait(timeout=10)
    assert _status(watch, killed) in WORKING  # nobody is left to say otherwise

    # The next consumer records it as failed when it starts, once its heartbeat is stale.
    time.sleep(STALE_SECONDS + 0.3)
    successor = consumers()
    successor.wait_for("Recorded 1 lost matching run(s) as failed")
    assert _status(watch, killed) == "failed"
    (run,) = [r for r in load_runs(app) if r.id == killed]
    assert run.failure == "worker_lost" and run.finished_at is not None
    assert sorted(m.id for m in proposals(app)) == before

    # The coordinator reads why on the run page, and on the overview.
    page = client.get(f"/matching/runs/{killed}").get_data(as_text=True)
    assert "Das Matching ist fehlgeschlagen" in page
    assert "Der Hintergrundprozess, der das Matching berechnete, wurde beendet" in page
    assert "Das letzte Matching ist fehlgeschlagen." in client.get("/dashboard").get_data(
        as_text=True
    )
