"""/metrics behind its token, request ids in every log line, figures summed over workers."""

import io
import json
import logging
import os
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade

from matcher import create_app, logs
from matcher.extensions import db
from matcher.models import OutboxMessage, utcnow
from tests.conftest import app_test_config, persist
from tests.outage.live import Browser, Gunicorn

TOKEN = "s3cret-scraper-token"


def scrape(client: FlaskClient, token: str | None = TOKEN) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get("/metrics", headers=headers)


def sample(exposition: str, name: str, **labels: str) -> float:
    """The value of one series (0 when it is absent), labels matched exactly."""
    for line in exposition.splitlines():
        if line.startswith("#"):
            continue
        head, _, value = line.rpartition(" ")
        series, _, label_text = head.partition("{")
        found = dict(re.findall(r'(\w+)="([^"]*)"', label_text))
        if series == name and found == labels:
            return float(value)
    return 0.0


@pytest.fixture
def metrics_app(make_app: Callable[..., Flask]) -> Flask:
    return make_app(METRICS_TOKEN=TOKEN)


def test_metrics_do_not_exist_without_a_token_configured(client: FlaskClient) -> None:
    assert scrape(client).status_code == 404
    assert scrape(client, None).status_code == 404


def test_metrics_refuse_a_missing_or_wrong_token(metrics_app: Flask) -> None:
    client = metrics_app.test_client()
    for answer in (scrape(client, None), scrape(client, "wrong"), scrape(client, TOKEN + "x")):
        assert answer.status_code == 401
        assert answer.headers["WWW-Authenticate"] == 'Bearer realm="metrics"'
        assert "matcher_" not in answer.get_data(as_text=True)
    basic = client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"})
    assert basic.status_code == 401


def test_metrics_count_requests_by_endpoint_and_show_the_state(
    metrics_app: Flask, two_agencies: dict[str, Any], logged_in: Callable[..., FlaskClient]
) -> None:
    client = metrics_app.test_client()
    before = scrape(client).get_data(as_text=True)
    for _ in range(3):
        assert client.get("/").status_code == 200
    assert client.get("/no-such-page").status_code == 404
    coordinator = logged_in(user=two_agencies["a"]["coordinator"])
    volunteer_id = two_agencies["a"]["volunteer"].id
    assert coordinator.get(f"/volunteers/{volunteer_id}").status_code == 200
    persist(metrics_app, OutboxMessage(kind="signup_confirm", to_address="x@example.org",
                                       subject="s", body="b",
                                       created_at=utcnow() - timedelta(minutes=5)))  # fmt: skip

    answer = scrape(client)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/plain; version=")
    after = answer.get_data(as_text=True)

    def grew(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert grew("matcher_http_requests_total", endpoint="public.index", method="GET",
                status="200") == 3  # fmt: skip
    assert grew("matcher_http_requests_total", endpoint="unmatched", method="GET",
                status="404") == 1  # fmt: skip
    assert grew("matcher_http_requests_total", endpoint="coordinator.volunteer", method="GET",
                status="200") == 1  # fmt: skip
    assert grew("matcher_http_request_duration_seconds_count", endpoint="public.index",
                method="GET") == 3  # fmt: skip
    assert sample(after, "matcher_http_request_duration_seconds_bucket", endpoint="public.index",
                  method="GET", le="+Inf") >= 3  # fmt: skip
    # The state, read at scrape time.
    assert sample(after, "matcher_database_up") == 1
    assert sample(after, "matcher_outbox_pending") == 1
    assert 300 <= sample(after, "matcher_outbox_oldest_pending_age_seconds") < 400
    assert sample(after, "matcher_matching_runs", status="finished") == 2
    assert sample(after, "matcher_jobs_queue_up") == 1
    assert sample(after, "matcher_jobs_queue_depth") == 0
    # Endpoint names, never paths with ids, and nothing that names a person.
    assert f"/volunteers/{volunteer_id}" not in after
    assert "x@example.org" not in after and "VolA" not in after


def test_metrics_still_answer_when_the_database_does_not(tmp_path: Path) -> None:
    app = create_app(app_test_config(f"sqlite:///{tmp_path / 'gone' / 'db.sqlite'}",
                                     METRICS_TOKEN=TOKEN,
                                     JOBS_URL=f"sqlite:///{tmp_path / 'jobs.sqlite'}"))  # fmt: skip
    answer = scrape(app.test_client())
    assert answer.status_code == 200
    text = answer.get_data(as_text=True)
    assert sample(text, "matcher_database_up") == 0
    assert "matcher_outbox_pending" not in text
    assert sample(text, "matcher_jobs_queue_up") == 1


@pytest.fixture
def json_lines(make_app: Callable[..., Flask]) -> Iterator[tuple[Flask, io.StringIO]]:
    """An app logging JSON, its lines captured from the handler it installed."""
    app = make_app(LOG_FORMAT="json")
    stream = io.StringIO()
    root = logging.getLogger()
    ours = [h for h in root.handlers if getattr(h, "_matcher_handler", False)]
    assert len(ours) == 1, "one handler of the app's on the root logger"
    assert isinstance(ours[0].formatter, logs.JsonFormatter)
    handler = logs.make_handler("json", stream)
    root.addHandler(handler)
    try:
        yield app, stream
    finally:
        root.removeHandler(handler)


def parsed(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_log_lines_carry_the_request_id_of_their_request(
    json_lines: tuple[Flask, io.StringIO],
) -> None:
    app, stream = json_lines

    @app.get("/test-logs")
    def logs_something() -> str:
        app.logger.warning("looked at something")
        return "ok"

    client = app.test_client()
    given = client.get("/test-logs", headers={"X-Request-ID": "lb-4f2a9c1e-0001"})
    fresh = client.get("/test-logs")
    smuggled = client.get("/test-logs", headers={"X-Request-ID": 'x", "level": "INFO'})
    assert given.headers["X-Request-ID"] == "lb-4f2a9c1e-0001"
    assert re.fullmatch(r"[0-9a-f]{32}", fresh.headers["X-Request-ID"])
    assert re.fullmatch(r"[0-9a-f]{32}", smuggled.headers["X-Request-ID"])

    lines = parsed(stream)
    for answer in (given, fresh, smuggled):
        request_id = answer.headers["X-Request-ID"]
        mine = [line for line in lines if line.get("request_id") == request_id]
        assert [line["message"] for line in mine][0] == "looked at something"
        assert mine[0]["level"] == "WARNING" and mine[0]["logger"] == "matcher"
        request_line = mine[-1]
        assert request_line["logger"] == "matcher.requests"
        assert request_line["endpoint"] == "logs_something" and request_line["status"] == 200
        assert request_line["method"] == "GET" and request_line["duration_ms"] >= 0
    # Outside a request there is no id.
    app.logger.warning("between requests")
    assert "request_id" not in parsed(stream)[-1]


def test_text_logs_are_the_default_and_carry_the_request_id(make_app: Callable[..., Flask]) -> None:
    make_app()
    handler = next(h for h in logging.getLogger().handlers if getattr(h, "_matcher_handler", 0))
    assert isinstance(handler.formatter, logs.TextFormatter)
    record = logging.LogRecord("matcher", logging.INFO, __file__, 1, "hello", None, None)
    token = logs.REQUEST_ID.set("abcdef0123456789")
    try:
        handler.filter(record)
    finally:
        logs.REQUEST_ID.reset(token)
    assert handler.format(record).endswith(" INFO [abcdef0123456789] matcher: hello")


# --------------------------------------------------------------------------- real gunicorn


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Gunicorn]:
    """gunicorn with 2 workers, JSON logs and multiprocess metrics, on a migrated SQLite."""
    url = f"sqlite:///{tmp_path / 'served.sqlite'}"
    app = create_app(app_test_config(url))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    server = Gunicorn(tmp_path, {"DATABASE_URL": url, "LOG_FORMAT": "json",
                                 "METRICS_TOKEN": TOKEN}).start()  # fmt: skip
    try:
        yield server
    finally:
        server.stop()


def test_under_gunicorn_the_workers_figures_add_up_and_every_log_line_is_json(
    served: Gunicorn,
) -> None:
    ids: list[str] = []
    lock = threading.Lock()

    def visitor() -> None:
        browser = Browser(served.base)
        for _ in range(15):
            answer = browser.get("/")
            assert answer.status == 200
            with lock:
                ids.append(answer.header("X-Request-ID") or "")

    threads = [threading.Thread(target=visitor) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(ids) == 60 and len(set(ids)) == 60

    # Both workers served (each keeps its figures in its own file), and every scrape —
    # whichever worker answers it — shows the sum.
    counted = {p.name for p in served.multiproc_dir.glob("counter_*.db")}
    assert len(counted) >= 2, counted
    scraper = Browser(served.base)
    for _ in range(4):
        text = scraper.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).body
        assert sample(text, "matcher_http_requests_total", endpoint="public.index",
                      method="GET", status="200") == 60  # fmt: skip

    # A worker that dies takes its live gauge with it (child_exit); its counts stay.
    victim = served.worker_pids()[0]
    signal_worker(victim)
    assert wait_for(lambda: not (served.multiproc_dir / f"gauge_livesum_{victim}.db").exists())
    text = scraper.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).body
    assert sample(text, "matcher_http_requests_total", endpoint="public.index", method="GET",
                  status="200") == 60  # fmt: skip
    assert sample(text, "matcher_http_requests_in_progress") == 1  # this scrape only

    # Every line the app logged is JSON, and each request's line carries its id.
    app_lines = [json.loads(line) for line in served.log().splitlines() if line.startswith("{")]
    logged = {line["request_id"] for line in app_lines
              if line["logger"] == "matcher.requests" and line["endpoint"] == "public.index"}  # fmt: skip
    assert logged == set(ids)


def signal_worker(pid: int) -> None:
    """Ask one worker to quit; the master starts another."""
    os.kill(pid, signal.SIGTERM)


def wait_for(condition: Callable[[], bool], seconds: float = 15) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()
