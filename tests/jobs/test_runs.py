"""Matching runs as background jobs, in-process: the button queues, the real queue's job
(drained here by `run_jobs`) does the run, the page follows it, and every way a run can
fail is recorded with its reason in German. The same with a real consumer process:
`test_consumer.py`."""

import socket
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from matcher import jobs, jobs_tasks, tenancy
from matcher.extensions import db
from matcher.models import Agency, AuditEvent, MatchRun, User, utcnow
from matcher.services.matching import problem, runs
from tests.conftest import drain_jobs, inside, login
from tests.jobs.conftest import Desk, load_runs, proposals


def _set_run(app: Flask, run_id: int, **values: Any) -> None:
    """Change a run's row directly, as a worker that was killed leaves it."""
    with inside(app):
        db.session.execute(update(MatchRun).where(MatchRun.id == run_id).values(**values))
        db.session.commit()


def _page(client: Any, run_id: int) -> str:
    response = client.get(f"/matching/runs/{run_id}")
    assert response.status_code == 200
    return str(response.get_data(as_text=True))


def test_the_button_answers_at_once_and_a_worker_does_the_run(
    app: Flask, desk: Desk, run_jobs: Callable[[], int]
) -> None:
    client = desk.client(app)
    response = client.post("/matching/run")
    assert response.status_code == 302
    (run,) = load_runs(app)
    assert response.location == f"/matching/runs/{run.id}"
    # Nothing was matched in the request: the run waits on the queue for a worker.
    assert run.status == "queued" and run.job_id and run.started_by_id == desk.coordinator.id
    assert proposals(app) == []
    assert jobs.pending_ids(app) == {run.job_id}

    page = _page(client, run.id)
    assert "Das Matching wurde gestartet" in page
    assert "Schritt 1 von 4: wartet auf einen freien Hintergrundprozess" in page
    assert '<progress id="run-bar" max="4" value="0">' in page
    # It updates itself with a static script (the CSP allows no inline script).
    assert '<script src="/static/js/run-progress.js" defer></script>' in page
    assert "<script>" not in page
    with client.get("/static/js/run-progress.js") as script:
        assert script.status_code == 200
    state = client.get(f"/matching/runs/{run.id}/progress").get_json()
    assert state == {"active": True, "status": "queued", "value": 0, "max": 4,
                     "text": "Schritt 1 von 4: wartet auf einen freien Hintergrundprozess"}  # fmt: skip
    assert "Ein Matching läuft gerade." in client.get("/dashboard").get_data(as_text=True)
    assert "Ein Matching läuft gerade." in client.get("/matching/proposals").get_data(as_text=True)

    assert run_jobs() == 1
    (run,) = load_runs(app)
    assert run.status == "finished" and run.pairs == 3 and len(proposals(app)) == 3
    assert run.solver_round == 1 and run.seconds is not None
    assert run.finished_at is not None and run.heartbeat_at is not None
    page = _page(client, run.id)
    assert "Das Matching ist fertig" in page and "Es schlägt 3 Paare vor." in page
    assert 'href="/matching/proposals">Zu den Vorschlägen</a>' in page
    assert "run-progress.js" not in page
    state = client.get(f"/matching/runs/{run.id}/progress").get_json()
    assert state["active"] is False and state["value"] == state["max"] == 4
    assert "Ein Matching läuft" not in client.get("/dashboard").get_data(as_text=True)
    with inside(app):
        audited = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "match.run"))
        assert [(e.object_id, e.actor_id) for e in audited] == [(run.id, desk.coordinator.id)]


def test_each_step_is_seen_by_the_page_while_the_run_works(
    app: Flask, desk: Desk, run_jobs: Callable[[], int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Progress is committed in its own transactions: a request made while the worker is
    inside a step (from another thread, as a browser's would come) already sees it."""
    client = desk.client(app)
    run_id = int(client.post("/matching/run").location.rsplit("/", 1)[1])
    seen: list[tuple[str, int, str, int]] = []
    browser = ThreadPoolExecutor(1)

    def ask() -> tuple[str, int, str, int]:
        state = client.get(f"/matching/runs/{run_id}/progress").get_json()
        return state["status"], state["value"], state["text"], len(proposals(app))

    def look() -> None:
        seen.append(browser.submit(ask).result(timeout=30))

    advance, solver = runs.Progress.advance, runs.Progress.solver

    def advance_and_look(self: runs.Progress, change: str) -> None:
        advance(self, change)
        look()

    def solver_and_look(self: runs.Progress, stage: str, count: int) -> None:
        solver(self, stage, count)
        if stage == "round":
            look()

    monkeypatch.setattr(runs.Progress, "advance", advance_and_look)
    monkeypatch.setattr(runs.Progress, "solver", solver_and_look)
    with browser:
        assert run_jobs() == 1
    assert seen == [
        ("building", 1, "Schritt 2 von 4: Ehrenamtliche und Neuzugewanderte werden gelesen", 0),
        ("solving", 2, "Schritt 3 von 4: die besten Paare werden berechnet", 0),
        ("solving", 2, "Schritt 3 von 4: die besten Paare werden berechnet (Runde 1)", 0),
        ("storing", 3, "Schritt 4 von 4: die Vorschläge werden gespeichert", 0),
    ]
    assert load_runs(app)[0].status == "finished" and len(proposals(app)) == 3


def test_two_clicks_even_by_two_coordinators_at_once_give_one_run(
    app: Flask, desk: Desk, make_user: Callable[..., User], run_jobs: Callable[[], int]
) -> None:
    first = desk.client(app)
    second = app.test_client()
    login(second, make_user("coordinator", desk.agency))
    barrier = threading.Barrier(2)

    def click(client: Any) -> Any:
        barrier.wait(timeout=10)
        return client.post("/matching/run")

    with ThreadPoolExecutor(2) as pool:
        responses = list(pool.map(click, [first, second]))
    assert [r.status_code for r in responses] == [302, 302]
    (run,) = load_runs(app)
    assert {r.location for r in responses} == {f"/matching/runs/{run.id}"}
    assert jobs.pending_ids(app) == {run.job_id}  # one job, not two
    # A later click while it waits lands on it too, and says so.
    again = first.post("/matching/run", follow_redirects=True).get_data(as_text=True)
    assert "Für Ihren Träger läuft bereits ein Matching" in again
    assert len(load_runs(app)) == 1

    assert run_jobs() == 1
    # Once it has ended, the button starts a new one.
    assert first.post("/matching/run").location != f"/matching/runs/{run.id}"
    assert [r.status for r in load_runs(app)] == ["finished", "queued"]


def test_the_database_keeps_one_run_under_way_per_agency(
    app: Flask, desk: Desk, make_agency: Callable[..., Agency]
) -> None:
    other = make_agency()
    with inside(app):
        db.session.add(MatchRun(agency_id=desk.agency.id, status="solving"))
        db.session.add(MatchRun(agency_id=desk.agency.id, status="finished"))
        db.session.add(MatchRun(agency_id=other.id, status="queued"))
        db.session.commit()
        for status in ("queued", "building", "storing"):
            db.session.add(MatchRun(agency_id=desk.agency.id, status=status))
            with pytest.raises(IntegrityError):
                db.session.commit()
            db.session.rollback()
        # A failed run needs its reason.
        db.session.add(MatchRun(agency_id=other.id, status="failed"))
        with pytest.raises(IntegrityError):
            db.session.commit()


def test_an_engine_refusal_is_a_failed_run_whose_reason_the_coordinator_reads(
    app: Flask, desk: Desk, run_jobs: Callable[[], int]
) -> None:
    with inside(app):
        db.session.execute(
            update(Agency)
            .where(Agency.id == desk.agency.id)
            .values(
                weights={"language": 0, "distance": 0, "availability": 0, "topics": 0, "waiting": 0}
            )  # fmt: skip
        )
        db.session.commit()
    client = desk.client(app)
    run_id = int(client.post("/matching/run").location.rsplit("/", 1)[1])
    assert run_jobs() == 1
    (run,) = load_runs(app)
    assert run.status == "failed" and run.failure == "invalid_problem"
    assert "at least one weight must be positive" in (run.failure_detail or "")
    assert run.finished_at is not None and proposals(app) == []
    page = _page(client, run_id)
    assert "Das Matching ist fehlgeschlagen" in page
    assert "Das Matching konnte nicht laufen: settings.weights: at least one weight" in page
    assert "Matching erneut starten" in page
    for path in ("/dashboard", "/matching/proposals"):
        shown = client.get(path).get_data(as_text=True)
        assert "Das letzte Matching ist fehlgeschlagen." in shown, path
        assert f'href="/matching/runs/{run_id}"' in shown, path
    with inside(app):
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "match.run_failed")
        ).one()
        assert event.object_id == run_id and event.actor_id == desk.coordinator.id


def test_an_error_in_the_job_is_recorded_as_failed_and_the_proposals_stay(
    app: Flask, desk: Desk, run_jobs: Callable[[], int], monkeypatch: pytest.MonkeyPatch
) -> None:
    client = desk.client(app)
    client.post("/matching/run")
    run_jobs()
    before = sorted(m.id for m in proposals(app))
    assert len(before) == 3

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the disk is full\nsecond line")

    monkeypatch.setattr(problem, "build", broken)
    run_id = int(client.post("/matching/run").location.rsplit("/", 1)[1])
    with pytest.raises(RuntimeError, match="the disk is full"):
        run_jobs()  # the consumer logs it; the run records it
    run = load_runs(app)[-1]
    assert run.id == run_id and run.status == "failed" and run.failure == "error"
    assert run.failure_detail == "RuntimeError: the disk is full"
    assert sorted(m.id for m in proposals(app)) == before
    page = _page(client, run_id)
    assert "Ein unerwarteter Fehler hat das Matching abgebrochen." in page
    assert "<dt>Technische Angabe</dt><dd>RuntimeError: the disk is full</dd>" in page


def test_a_run_declared_lost_meanwhile_stores_nothing(
    app: Flask, desk: Desk, run_jobs: Callable[[], int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker too slow to beat its heartbeat (or cut off from the database) is declared
    lost by someone else; when it comes back, its next step is refused and it stops."""
    client = desk.client(app)
    client.post("/matching/run")
    run_jobs()
    before = sorted(m.id for m in proposals(app))
    run_id = int(client.post("/matching/run").location.rsplit("/", 1)[1])
    solver = runs.Progress.solver

    def declared_lost_first(self: runs.Progress, stage: str, count: int) -> None:
        if stage == "round":
            with app.app_context(), tenancy.all_agencies():  # another process's reaper
                assert runs.fail(self.work_id, "worker_lost", "no heartbeat", None)
                db.session.commit()
        solver(self, stage, count)

    monkeypatch.setattr(runs.Progress, "solver", declared_lost_first)
    assert run_jobs() == 1
    run = load_runs(app)[-1]
    assert run.id == run_id and run.status == "failed" and run.failure == "worker_lost"
    assert run.solver_round is None and run.pairs == 0
    assert sorted(m.id for m in proposals(app)) == before


def test_a_killed_workers_run_is_failed_when_its_page_is_opened(
    app: Flask, desk: Desk, run_jobs: Callable[[], int]
) -> None:
    client = desk.client(app)
    run_id = int(client.post("/matching/run").location.rsplit("/", 1)[1])
    with app.app_context():
        progress = runs.Progress(db.engine, run_id)
        progress.advance("build")
        progress.advance("solve")
        progress.solver("round", 2)
    # A worker with a fresh heartbeat is working: nothing to reap.
    assert "Schritt 3 von 4: die besten Paare werden berechnet (Runde 2)" in _page(client, run_id)
    # Killed: its heartbeat stops.
    _set_run(app, run_id, heartbeat_at=utcnow() - timedelta(seconds=61))
    page = _page(client, run_id)
    assert "Das Matching ist fehlgeschlagen" in page
    assert "Der Hintergrundprozess, der das Matching berechnete, wurde beendet" in page
    (run,) = load_runs(app)
    assert run.status == "failed" and run.failure == "worker_lost"
    assert "(while solving)" in (run.failure_detail or "")
    # Its job, taken again later, finds nothing to do and changes nothing.
    assert run_jobs() == 1
    assert load_runs(app)[0].failure == "worker_lost" and proposals(app) == []


def test_a_new_click_after_a_killed_run_starts_a_new_one(
    app: Flask, desk: Desk, run_jobs: Callable[[], int]
) -> None:
    client = desk.client(app)
    lost = int(client.post("/matching/run").location.rsplit("/", 1)[1])
    assert jobs.queue(app).dequeue() is not None  # a consumer took the job, then died
    _set_run(app, lost, status="storing", heartbeat_at=utcnow() - timedelta(minutes=5))
    fresh = int(client.post("/matching/run").location.rsplit("/", 1)[1])
    assert fresh != lost
    assert [(r.status, r.failure) for r in load_runs(app)] == [
        ("failed", "worker_lost"),
        ("queued", None),
    ]
    assert run_jobs() == 1 and load_runs(app)[1].status == "finished"


def test_a_queued_run_waits_for_a_worker_but_a_lost_job_is_failed(app: Flask, desk: Desk) -> None:
    client = desk.client(app)
    run_id = int(client.post("/matching/run").location.rsplit("/", 1)[1])
    _set_run(app, run_id, started_at=utcnow() - timedelta(minutes=10))
    # Still on the queue (no worker running): it waits, however long.
    assert "wartet auf einen freien Hintergrundprozess" in _page(client, run_id)
    assert load_runs(app)[0].status == "queued"
    # A consumer took the job off the queue and was killed before starting it.
    assert jobs.queue(app).dequeue() is not None
    page = _page(client, run_id)
    assert "Das Matching ging verloren, bevor ein Hintergrundprozess es übernehmen konnte" in page
    assert load_runs(app)[0].failure == "not_picked_up"


def test_the_periodic_job_reaps_every_agencys_lost_runs(
    app: Flask, desk: Desk, make_agency: Callable[..., Agency], run_jobs: Callable[[], int]
) -> None:
    other = make_agency()
    stale = utcnow() - timedelta(minutes=2)
    with inside(app):
        for agency in (desk.agency, other):
            db.session.add(MatchRun(agency_id=agency.id, status="building", heartbeat_at=stale))
        db.session.add(MatchRun(agency_id=other.id, status="finished"))
        db.session.commit()
    jobs_tasks.task(jobs_tasks.REAP_RUNS, app)()  # what the consumer's scheduler enqueues
    assert run_jobs() == 1
    assert [(r.status, r.failure) for r in load_runs(app)] == [
        ("failed", "worker_lost"),
        ("failed", "worker_lost"),
        ("finished", None),
    ]


def test_a_queue_that_cannot_be_reached_fails_the_run_with_its_reason(
    make_app: Callable[..., Flask], desk: Desk
) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = make_app(JOBS_URL=f"redis://127.0.0.1:{port}/0")
    client = desk.client(app)
    response = client.post("/matching/run")
    assert response.status_code == 302
    (run,) = load_runs(app)
    assert response.location == f"/matching/runs/{run.id}"
    assert run.status == "failed" and run.failure == "queue_unavailable"
    assert "ConnectionError" in (run.failure_detail or "")
    page = _page(client, run.id)
    assert "Die Warteschlange für Hintergrundaufträge ist nicht erreichbar" in page


def test_runs_go_through_redis_when_several_hosts_share_the_work(
    make_app: Callable[..., Flask], desk: Desk, redis_url: str
) -> None:
    with redis.Redis.from_url(redis_url) as server:
        server.flushall()
    app = make_app(JOBS_URL=redis_url + "/0")
    client = desk.client(app)
    run_id = int(client.post("/matching/run").location.rsplit("/", 1)[1])
    (run,) = load_runs(app)
    assert jobs.pending_ids(app) == {run.job_id} and jobs.depth(app) == 1
    assert drain_jobs(app) == 1
    assert load_runs(app)[0].status == "finished" and len(proposals(app)) == 3
    assert "Das Matching ist fertig" in _page(client, run_id)


def test_the_command_line_runs_in_process_and_respects_the_run_under_way(
    app: Flask, desk: Desk, runner: FlaskCliRunner, run_jobs: Callable[[], int]
) -> None:
    client = desk.client(app)
    queued = int(client.post("/matching/run").location.rsplit("/", 1)[1])
    refused = runner.invoke(args=["match", "run", "--agency", desk.agency.slug])
    assert refused.exit_code != 0
    assert f"already under way (run {queued}, queued)" in refused.output
    assert len(load_runs(app)) == 1

    run_jobs()
    done = runner.invoke(args=["match", "run", "--agency", desk.agency.slug])
    assert done.exit_code == 0, done.output
    assert "Proposals: 3" in done.output and "Seconds: " in done.output
    latest = load_runs(app)[-1]
    assert latest.status == "finished" and latest.job_id is None
    assert latest.started_by_id is None and latest.solver_round == 1
    assert jobs.pending_ids(app) == set()  # it went through no queue
