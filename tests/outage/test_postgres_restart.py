"""PostgreSQL stops under requests: every answer is the German 503 page, and the app heals.

A real gunicorn (2 workers) serves the app from a PostgreSQL server of this test alone.
Logged-in coordinators (HTML and JSON), anonymous visitors signing up and a probe keep
sending requests while the server is stopped with `pg_ctl stop -m fast` (what an
operator's restart does) and started again. The findings this answers:
`shared/findings/rel.md` section 2 (114 bare English gunicorn pages, no Retry-After).
"""

import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask_migrate import stamp
from sqlalchemy import select

from matcher import create_app
from matcher.extensions import db
from matcher.models import OutboxMessage, Volunteer
from matcher.models.base import Base
from tests.conftest import (
    PASSWORD,
    agency_factory,
    app_test_config,
    create_database,
    inside,
    user_factory,
    volunteer_factory,
)
from tests.forms import signup_form
from tests.outage.live import Answer, Browser, Gunicorn
from tests.pgserver import PostgresServer

GERMAN_503 = "Vorübergehend nicht erreichbar"
RECOVERY_LIMIT = 10.0  # seconds after PostgreSQL accepts connections again


def _seed(url: str) -> dict[str, Any]:
    """Schema (stamped at head, so /readyz can pass), an agency, a coordinator, a volunteer."""
    app = create_app(app_test_config(url))
    with inside(app):
        Base.metadata.create_all(db.engine)
        stamp()
    agency = agency_factory(app)(slug="koeln", name="Köln")
    coordinator = user_factory(app)("coordinator", agency, email="coord@example.org")
    volunteer_factory(app)(agency)
    with inside(app):
        db.session.remove()
        db.engine.dispose()
    return {"app": app, "agency": agency, "coordinator": coordinator}


class Traffic:
    """Visitors sending requests in threads, every answer kept with its kind and times."""

    def __init__(self) -> None:
        self.answers: list[tuple[str, Answer, dict[str, Any]]] = []
        self.errors: list[str] = []
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.threads: list[threading.Thread] = []

    def run(self, kind: str, step: Callable[[], tuple[Answer, dict[str, Any]]]) -> None:
        def loop() -> None:
            while not self.stop.is_set():
                try:
                    answer, info = step()
                except Exception as e:  # a reset or refused connection: no answer at all
                    self.errors.append(f"{kind}: {type(e).__name__}: {e}")
                    time.sleep(0.05)
                    continue
                with self.lock:
                    self.answers.append((kind, answer, info))
                time.sleep(0.02)

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        self.threads.append(thread)

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)


def _metric_sum(exposition: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in exposition.splitlines():
        if not line.startswith((name + "{", name + " ")):
            continue
        head, value = line.rsplit(" ", 1)
        if all(f'{k}="{v}"' in head for k, v in labels.items()):
            total += float(value)
    return total


def test_postgres_restart_gives_every_user_the_german_503_page_and_heals_itself(
    own_postgres: PostgresServer, tmp_path: Path
) -> None:
    server_url = f"postgresql+psycopg://postgres@127.0.0.1:{own_postgres.port}/postgres"
    url = create_database(server_url, "matcher_outage")
    seeded = _seed(url)
    gunicorn = Gunicorn(tmp_path, {
        "DATABASE_URL": url, "LOG_FORMAT": "json", "METRICS_TOKEN": "scrape-me",
        "MATCHER_SIGNUP_RATE_LIMIT": "10000 per minute",
        "MATCHER_LOGIN_LIMIT_PER_ADDRESS": "10000 per minute",
        "MATCHER_UNAVAILABLE_RETRY_AFTER_SECONDS": "20",
    }).start()  # fmt: skip
    try:
        coordinator = Browser(gunicorn.base)
        coordinator.log_in("coord@example.org", PASSWORD)
        json_coordinator = Browser(gunicorn.base)
        json_coordinator.log_in("coord@example.org", PASSWORD)
        assert coordinator.get("/volunteers").status == 200

        pages = itertools.cycle(["/volunteers", "/newcomers", "/dashboard", "/matching/proposals"])
        numbers = itertools.count()  # next() on it is atomic: threads share it

        def coordinator_page() -> tuple[Answer, dict[str, Any]]:
            return coordinator.get(next(pages)), {}

        def coordinator_json() -> tuple[Answer, dict[str, Any]]:
            return json_coordinator.get("/volunteers", headers={"Accept": "application/json"}), {}

        def sign_up() -> tuple[Answer, dict[str, Any]]:
            visitor = Browser(gunicorn.base)
            form = visitor.get("/signup/koeln")
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form.body)
            if form.status != 200 or token is None:
                return form, {}
            email = f"visitor{next(numbers)}@example.org"
            answer = visitor.request("POST", "/signup/koeln",
                                     {**signup_form(email=email), "csrf_token": token[1]})  # fmt: skip
            return answer, {"signup": email}

        # A visitor who opened the form before the outage and sends it during it.
        returning = Browser(gunicorn.base)
        returning_token = returning.form_token("/signup/koeln")

        def sign_up_again() -> tuple[Answer, dict[str, Any]]:
            email = f"returning{next(numbers)}@example.org"
            form = {**signup_form(email=email), "csrf_token": returning_token}
            return returning.request("POST", "/signup/koeln", form), {"signup": email}

        def probe() -> tuple[Answer, dict[str, Any]]:
            return Browser(gunicorn.base).get("/readyz"), {}

        traffic = Traffic()
        traffic.run("coordinator", coordinator_page)
        traffic.run("coordinator-json", coordinator_json)
        traffic.run("visitor", sign_up)
        traffic.run("visitor", sign_up_again)
        traffic.run("probe", probe)
        time.sleep(1.0)
        own_postgres.pause()
        down = time.monotonic()
        time.sleep(2.5)
        resume_started = time.monotonic()
        own_postgres.resume()
        up = time.monotonic()
        # Keep the traffic going until well past the recovery limit's start, then check.
        time.sleep(2.0)
        traffic.finish()
        # A restart nobody notices (no request while the server is down): every pooled
        # connection is dead, yet the first requests after it must not fail.
        own_postgres.pause()
        own_postgres.resume()
        quiet = [coordinator.get(path).status for path in ["/volunteers", "/newcomers"] * 3]
    finally:
        scrape = Browser(gunicorn.base).get(
            "/metrics", headers={"Authorization": "Bearer scrape-me"}
        )
        gunicorn.stop()

    answers = traffic.answers
    assert traffic.errors == [], "connections were reset or refused:\n" + "\n".join(traffic.errors)

    # No 500, no bare server page: every answer is the app's (it carries a request id).
    statuses = {a.status for _, a, _ in answers}
    assert statuses <= {200, 302, 503}, f"unexpected statuses {statuses}\n{gunicorn.log()[-3000:]}"
    assert all(a.header("X-Request-ID") for _, a, _ in answers)

    # During the outage every request was answered 503, with Retry-After and the German page.
    during = [(k, a) for k, a, _ in answers if a.sent > down and a.answered < resume_started]
    assert len(during) >= 10, f"too few requests during the outage: {len(during)}"
    assert {k for k, _ in during} == {"coordinator", "coordinator-json", "visitor", "probe"}
    for kind, answer in during:
        assert answer.status == 503, (kind, answer.status, answer.body[:300])
        if kind == "probe":
            failing = json.loads(answer.body)["failing"]
            assert "does not answer" in failing["database"]
            continue
        # At least the configured 20 s; a rate-limited form's answer may name its limit's
        # later reset instead (Flask-Limiter keeps the larger of the two).
        assert int(answer.header("Retry-After") or 0) >= 20, kind
        if kind == "coordinator-json":
            assert json.loads(answer.body) == {
                "error": "Service Unavailable", "status": 503, "retry_after": 20
            }  # fmt: skip
        else:
            assert GERMAN_503 in answer.body and 'lang="de"' in answer.body, answer.body[:500]

    # Healed by itself within 10 s of PostgreSQL's return — in fact at once: pooled
    # connections are pinged before use, so no request sent after it is back fails.
    last_failure = max((a.answered for _, a, _ in answers if a.status == 503), default=up)
    assert last_failure - up < RECOVERY_LIMIT, f"still failing {last_failure - up:.1f} s after"
    failed_after = [(k, a.sent - up) for k, a, _ in answers if a.sent > up and a.status == 503]
    assert failed_after == []
    after = [(k, a) for k, a, _ in answers if a.sent > last_failure]
    assert {k for k, _ in after} == {"coordinator", "coordinator-json", "visitor", "probe"}
    assert all(a.status in (200, 302) for _, a in after)

    assert quiet == [200] * 6

    # Nothing half-written: each sign-up answered 302 is stored with its mail, none answered
    # 503 is (the request's transaction was rolled back or never committed).
    signups = [(info["signup"], a.status) for _, a, info in answers if "signup" in info]
    assert {s for _, s in signups} == {302, 503}
    with inside(seeded["app"]):
        stored = set(db.session.scalars(select(Volunteer.email)))
        mailed = set(db.session.scalars(select(OutboxMessage.to_address)))
        db.session.remove()
        db.engine.dispose()
    for email, status in signups:
        assert (email in stored) == (status == 302), (email, status)
        assert (email in mailed) == (status == 302), (email, status)

    # The workers' figures add up: every 503 the clients saw is counted, whichever worker
    # answered it and whichever worker answered the scrape.
    assert scrape.status == 200
    seen_503 = sum(1 for _, a, _ in answers if a.status == 503)
    assert _metric_sum(scrape.body, "matcher_http_requests_total", status="503") == seen_503
    assert _metric_sum(scrape.body, "matcher_database_unavailable_answers_total") > 0
