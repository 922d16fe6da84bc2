"""The admission limit in one process, around a WSGI app whose requests the test holds."""

import threading
import time
from collections.abc import Iterable
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import Client

from matcher.web import admission
from matcher.web.admission import Admission, Lane


class Held:
    """A WSGI app whose requests wait until the test lets them go."""

    def __init__(self) -> None:
        self.go = threading.Event()
        self.inside = 0
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if environ["PATH_INFO"] == "/boom":
            raise RuntimeError("boom")
        with self.lock:
            self.inside += 1
        self.go.wait(10)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]


def limiter(
    app: Any, concurrent: int, queue: int, wait_seconds: float = 0, retry_after: int = 5
) -> Admission:
    """Pages with these limits; logins one at a time, one waiting."""
    pages, logins = Lane(concurrent, queue, wait_seconds), Lane(1, 1, wait_seconds)
    return Admission(app, pages, logins, retry_after)


def start(client: Client, path: str, results: list[int], method: str = "GET") -> threading.Thread:
    def run() -> None:
        results.append(client.open(path, method=method).status_code)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def wait_until(condition: Any) -> None:
    deadline = time.monotonic() + 5
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.005)


def test_beyond_the_slots_and_the_line_requests_are_shed_and_the_line_is_served() -> None:
    held = Held()
    limit = limiter(held, 2, 2, wait_seconds=5, retry_after=7)
    client = Client(limit)
    results: list[int] = []
    threads = [start(client, f"/page/{i}", results) for i in range(2)]
    wait_until(lambda: held.inside == 2)
    threads += [start(client, f"/line/{i}", results) for i in range(2)]
    wait_until(lambda: limit.pages.waiting == 2)

    shed = client.get("/one/too/many")
    assert shed.status_code == 503 and shed.headers["Retry-After"] == "7"
    assert "Einen Moment bitte" in shed.get_data(as_text=True)
    json = client.get("/x", headers={"Accept": "application/json"})
    assert json.status_code == 503 and json.json == {"error": "overloaded", "status": 503}

    held.go.set()
    for t in threads:
        t.join(10)
    assert sorted(results) == [200, 200, 200, 200]  # the two in line got their turn
    assert limit.pages.running == 0 and limit.pages.waiting == 0 and limit.shed_total == 2


def test_health_metrics_and_static_files_pass_without_a_slot() -> None:
    held = Held()
    limit = limiter(held, 1, 0)
    client = Client(limit)
    results: list[int] = []
    thread = start(client, "/volunteers", results)
    wait_until(lambda: held.inside == 1)
    assert client.get("/volunteers").status_code == 503
    passed = [start(client, path, results) for path in
              ("/healthz", "/readyz", "/metrics", "/static/css/app.css")]  # fmt: skip
    wait_until(lambda: held.inside == 5)
    held.go.set()
    for t in [thread, *passed]:
        t.join(10)
    assert results == [200] * 5


def test_a_request_waits_at_most_the_bounded_time() -> None:
    held = Held()
    limit = limiter(held, 1, 5, wait_seconds=0.2)
    client = Client(limit)
    results: list[int] = []
    thread = start(client, "/slow", results)
    wait_until(lambda: held.inside == 1)
    began = time.monotonic()
    assert client.get("/waits").status_code == 503
    assert 0.2 <= time.monotonic() - began < 2
    held.go.set()
    thread.join(10)


def test_a_newcomer_who_would_wait_too_long_is_sent_away_at_once() -> None:
    def slow(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        time.sleep(0.2)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    limit = limiter(slow, 1, 10, wait_seconds=0.5)
    client = Client(limit)
    results: list[int] = []
    # A busy line: the lane learns that it moves one request every 0.2 s.
    threads = [start(client, "/", results)]
    wait_until(lambda: limit.pages.running == 1)
    threads += [start(client, "/", results) for _ in range(2)]
    wait_until(lambda: limit.pages.pace > 0.1 and limit.pages.waiting == 1)
    threads += [start(client, "/", results)]
    wait_until(lambda: limit.pages.waiting == 2)
    # A third in line would wait about 3 × 0.2 s: longer than 0.5 s, so no line for it.
    began = time.monotonic()
    assert client.get("/").status_code == 503
    assert time.monotonic() - began < 0.15
    for t in threads:
        t.join(10)
    assert sorted(results) == [200, 200, 200, 200]  # those in line were served in time


def test_a_failing_request_gives_its_slot_back() -> None:
    limit = limiter(Held(), 1, 0)
    client = Client(limit)
    with pytest.raises(RuntimeError):
        client.get("/boom")
    assert limit.pages.running == 0


def test_logins_have_their_own_lane_and_leave_the_pages_theirs() -> None:
    held = Held()
    limit = limiter(held, 1, 0, wait_seconds=5)
    client = Client(limit)
    results: list[int] = []
    logins = [start(client, "/login", results, "POST") for _ in range(2)]
    wait_until(lambda: held.inside == 1 and limit.logins.waiting == 1)
    assert client.get("/login").status_code == 503  # the login line is full: form too
    assert client.post("/password").status_code == 503  # a password change shares it
    page = start(client, "/volunteers", results)  # the page slot is still free
    wait_until(lambda: held.inside == 2)
    assert client.get("/password").status_code == 503  # the change form is a page
    held.go.set()
    for t in [*logins, page]:
        t.join(10)
    assert sorted(results) == [200, 200, 200]
    assert limit.logins.shed_total == 2 and limit.pages.shed_total == 1


def test_the_app_is_wrapped_with_its_configured_limit(app: Flask) -> None:
    limit = admission.of(app)
    # Inside the observability middleware (a shed request is counted and gets its request
    # id), outside everything else of the app.
    chain, layer = [], app.wsgi_app
    while layer is not None:
        chain.append(layer)
        layer = getattr(layer, "wsgi_app", None)
    assert type(chain[0]).__name__ == "Observe" and chain[1] is limit
    assert (limit.pages.concurrent, limit.pages.queue, limit.retry_after) == (2, 24, 5)
    assert (limit.logins.concurrent, limit.logins.queue) == (1, 32)
    assert limit.pages.wait_seconds < limit.logins.wait_seconds
    assert limit.threads_needed() <= 64  # gunicorn.conf.py's threads
