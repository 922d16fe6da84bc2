"""gunicorn with the repository's gunicorn.conf.py, in a real subprocess, under load.

- SIGTERM under load: every request the app had begun is answered in full.
- HUP under load: every request is answered, and afterwards new workers serve new code.
- Overload: the excess gets a quick, German, static 503 with Retry-After, without the database.

The app is the real one with two extra routes (tests/serving/appserver.py). Each client
request opens its own connection, as a proxy in front does by default (nginx speaks HTTP/1.0
to its upstream).
"""

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask

from matcher import create_app
from matcher.extensions import db
from matcher.models.base import Base
from tests.conftest import app_test_config

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Outcome:
    """What one client request got: status and body, or the error; when it was sent."""

    ident: str
    sent: float
    done: float = 0.0
    status: int = 0
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    error: str = ""


def get(port: int, path: str, ident: str = "", timeout: float = 30.0) -> Outcome:
    """One request on a fresh connection."""
    outcome = Outcome(ident, time.monotonic())
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        outcome.body = response.read().decode("utf-8", "replace")
        outcome.status = response.status
        outcome.headers = {k.lower(): v for k, v in response.getheaders()}
    except (OSError, http.client.HTTPException) as e:
        outcome.error = f"{type(e).__name__}: {e}"
    finally:
        conn.close()
        outcome.done = time.monotonic()
    return outcome


class Server:
    """`gunicorn -c gunicorn.conf.py tests.serving.appserver:app` on a free port."""

    def __init__(self, tmp: Path, database_url: str, **env: str) -> None:
        self.tmp = tmp
        self.port = free_port()
        self.starts = tmp / "starts.txt"
        self.log = tmp / "gunicorn.log"
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "serving-test",
            "JOBS_URL": f"sqlite:///{tmp / 'jobs.sqlite'}",
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "GUNICORN_CONTROL_SOCKET": str(tmp / "gunicorn.ctl"),
            "GUNICORN_ACCESSLOG": "/dev/null",
            "WEB_CONCURRENCY": "2",
            "SERVING_STARTS": str(self.starts),
            "PYTHONDONTWRITEBYTECODE": "1",  # a rewritten module is read again, not its .pyc
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(GUNICORN), "-c", str(ROOT / "gunicorn.conf.py"),
                 "--pythonpath", f"{ROOT},{self.tmp}", "tests.serving.appserver:app"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if get(self.port, "/_serving/version", timeout=2).status == 200:
                return
            assert self.process.poll() is None, self.log.read_text()
            time.sleep(0.1)
        raise AssertionError("gunicorn did not start:\n" + self.log.read_text())

    def signal(self, sig: int) -> None:
        assert self.process is not None
        self.process.send_signal(sig)

    def stop(self) -> None:
        """Quick shutdown (SIGINT): the test is over, nothing needs to finish."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def began(self) -> set[str]:
        """The ids of the requests the app began."""
        if not self.starts.exists():
            return set()
        return {line for line in self.starts.read_text().splitlines() if line}


# The requests here mostly sleep, so the server admits 16 at once per process: the load
# stays below capacity and nothing is shed, so a failed request is the restart's fault.
ROOMY = {"MATCHER_ADMISSION_CONCURRENT": "16", "MATCHER_ADMISSION_QUEUE": "8"}


@pytest.fixture
def server(tmp_path: Path, app: Flask, database_url: str) -> Iterator[Server]:
    """A gunicorn on the test database of each backend (the `app` fixture made its schema)."""
    started = Server(tmp_path, database_url, **ROOMY)
    yield started
    started.stop()


@pytest.fixture
def sqlite_server(tmp_path: Path) -> Iterator[Server]:
    """A gunicorn on a fresh SQLite database: for what does not depend on the backend."""
    url = f"sqlite:///{tmp_path / 'serving.sqlite'}"
    app = create_app(app_test_config(url))
    with app.app_context():
        Base.metadata.create_all(db.engine)
        db.engine.dispose()
    started = Server(tmp_path, url, **ROOMY)
    yield started
    started.stop()


class Load:
    """`clients` threads sending slow requests, each on its own connection, until stopped."""

    def __init__(self, port: int, clients: int, ms: int) -> None:
        self.port = port
        self.ms = ms
        self.outcomes: list[Outcome] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._client, args=(i,)) for i in range(clients)]

    def _client(self, i: int) -> None:
        n = 0
        while not self.stopping.is_set():
            n += 1
            ident = f"{i}-{n}"
            outcome = get(self.port, f"/_serving/slow?id={ident}&ms={self.ms}", ident)
            with self.lock:
                self.outcomes.append(outcome)
            if outcome.error:
                time.sleep(0.05)  # refused while nobody listens: do not spin

    def __enter__(self) -> "Load":
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        for t in self.threads:
            t.join(timeout=60)


def test_sigterm_under_load_answers_every_request_the_app_began(server: Server) -> None:
    server.start()
    with Load(server.port, clients=24, ms=300) as load:
        time.sleep(1.0)
        term_at = time.monotonic()
        server.signal(signal.SIGTERM)
        assert server.process is not None
        exit_code = server.process.wait(timeout=40)
        time.sleep(0.2)
    stopped_in = time.monotonic() - term_at

    began = server.began()
    by_id = {o.ident: o for o in load.outcomes}
    assert began and began <= by_id.keys()
    unanswered = {i: by_id[i].error or by_id[i].status for i in began
                  if by_id[i].status != 200 or by_id[i].body != f"done {i}"}  # fmt: skip
    assert not unanswered, unanswered
    # The test is only worth something if requests were in the app when TERM came.
    in_flight = [o for o in load.outcomes if o.ident in began and o.sent < term_at < o.done]
    assert len(in_flight) >= 5, len(in_flight)
    assert exit_code == 0, server.log.read_text()
    assert stopped_in < 30  # graceful: the in-flight requests took 0.3 s, not the timeout
    assert "Worker exiting" in server.log.read_text()


def test_hup_under_load_loses_no_request_and_new_workers_serve_new_code(
    sqlite_server: Server, tmp_path: Path
) -> None:
    """Reloading is the same for both backends: SQLite only, to keep the suite short."""
    server = sqlite_server
    release = tmp_path / "release.py"
    release.write_text('VERSION = "release-1"\n')
    server.start()
    before = get(server.port, "/_serving/version")
    assert before.body.startswith("release-1 ")

    with Load(server.port, clients=16, ms=100) as load:
        time.sleep(0.5)
        release.write_text('VERSION = "release-2"\n')
        hup_at = time.monotonic()
        server.signal(signal.SIGHUP)
        # New workers import the new code; the old ones finish what they have and leave.
        deadline = time.monotonic() + 15
        streak: list[str] = []
        while time.monotonic() < deadline and len(streak) < 10:
            answer = get(server.port, "/_serving/version")
            streak = [*streak, answer.body] if answer.body.startswith("release-2 ") else []
            time.sleep(0.05)
        reloaded_in = time.monotonic() - hup_at
        time.sleep(0.5)  # and the load goes on against the new workers

    assert len(streak) == 10, f"still old code {reloaded_in:.1f} s after HUP"
    old_pid, new_pids = before.body.split()[1], {body.split()[1] for body in streak}
    assert old_pid not in new_pids
    failed = [(o.ident, o.status, o.error, round(o.sent - hup_at, 2)) for o in load.outcomes
              if o.status != 200 or o.body != f"done {o.ident}"]  # fmt: skip
    assert not failed, failed
    during = [o for o in load.outcomes if hup_at <= o.sent <= hup_at + reloaded_in]
    assert len(load.outcomes) > 50 and len(during) > 10, (len(load.outcomes), len(during))
    # No pause: the old workers served until a new one could (gunicorn.conf.py `on_reload`).
    log = server.log.read_text()
    assert log.index("New code serving in worker") < log.index(f"Worker exiting (pid: {old_pid})")


def test_overload_is_shed_at_once_with_a_german_static_503_without_the_database(
    tmp_path: Path,
) -> None:
    # No database at all: any query would fail. One process, one request in the app at a
    # time, one more may wait 0.2 s; the rest is shed.
    server = Server(
        tmp_path,
        "postgresql+psycopg://nobody@127.0.0.1:9/nothing?connect_timeout=1",
        WEB_CONCURRENCY="1",
        MATCHER_ADMISSION_CONCURRENT="1",
        MATCHER_ADMISSION_QUEUE="1",
        MATCHER_ADMISSION_WAIT_SECONDS="0.2",
    )
    try:
        server.start()
        outcomes: list[Outcome] = []
        lock = threading.Lock()

        def one(i: int) -> None:
            outcome = get(server.port, f"/_serving/slow?id={i}&ms=1500&db=0", str(i))
            with lock:
                outcomes.append(outcome)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(12)]
        for t in threads:
            t.start()
            time.sleep(0.01)  # the first one takes the slot
        # While the slot is taken, health checks and static files still pass.
        health = get(server.port, "/healthz")
        css = get(server.port, "/static/css/app.css")
        for t in threads:
            t.join(timeout=30)
    finally:
        server.stop()

    assert health.status == 503 and "unavailable" in health.body  # no database indeed
    assert css.status == 200
    answered = [o for o in outcomes if o.status == 200]
    shed = [o for o in outcomes if o.status == 503]
    assert len(answered) == 1 and len(shed) == 11, [(o.status, o.error) for o in outcomes]
    assert server.began() == {answered[0].ident}  # no shed request reached the app
    for o in shed:
        assert o.done - o.sent < 1.0  # quick: the bounded wait, not the 1.5 s request
        assert o.headers["retry-after"] == "5"
        assert o.headers["content-type"] == "text/html; charset=utf-8"
        assert o.headers["cache-control"] == "no-store"
        assert '<html lang="de">' in o.body and "Einen Moment bitte" in o.body
        assert "nicht bearbeitet" in o.body


def test_metrics_sum_every_worker_whichever_answers_the_scrape(sqlite_server: Server) -> None:
    """gunicorn.conf.py sets up the multiprocess folder itself: no setting needed."""
    server = sqlite_server
    server.env["METRICS_TOKEN"] = "scrape-secret"
    server.env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    server.start()

    def scrape() -> float:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        try:
            conn.request("GET", "/metrics", headers={"Authorization": "Bearer scrape-secret"})
            response = conn.getresponse()
            body = response.read().decode()
            assert response.status == 200, body
        finally:
            conn.close()
        prefix = 'matcher_http_requests_total{endpoint="version",method="GET",status="200"} '
        return sum(float(line[len(prefix):]) for line in body.splitlines()
                   if line.startswith(prefix))  # fmt: skip

    # The start-up probes (a busy machine may have sent more than one): the base to count on.
    before = scrape()
    assert before >= 1
    # Bursts of requests at once until both workers have answered some.
    answers: list[Outcome] = []
    for _ in range(30):
        burst = [threading.Thread(target=lambda: answers.append(get(server.port, "/_serving/version")))
                 for _ in range(16)]  # fmt: skip
        for t in burst:
            t.start()
        for t in burst:
            t.join(timeout=60)
        if len({a.body.split()[1] for a in answers if a.status == 200}) == 2:
            break
    assert all(a.status == 200 for a in answers), [(a.status, a.error) for a in answers]
    assert len({a.body.split()[1] for a in answers}) == 2, "one worker took every request"

    counts = {scrape() for _ in range(8)}  # each scrape lands on one worker or the other
    # Every request of every worker, whichever worker answered the scrape.
    assert counts == {before + len(answers)}, (before, counts, len(answers))
    folder = server.tmp / "gunicorn.metrics"  # beside the control socket
    assert any(folder.glob("*.db")), list(folder.iterdir())
