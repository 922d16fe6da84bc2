"""Benchmark the matching run from the web: the coordinator's button, end to end over HTTP.

Usage::

    .venv/bin/python benchmarks/web_matching.py [--volunteers 2000] [--newcomers 2000]
        [--repeat 3] [--database-url URL]

It creates a fresh database (SQLite in a temporary folder unless --database-url names an
empty one), loads the demo agency with the given numbers of people, serves the app on
127.0.0.1 with werkzeug, starts a job consumer (`flask jobs work`, a process of its own,
on a job queue in the temporary folder), logs in as the demo coordinator through the real
login form (CSRF on), and times a real HTTP POST of the run button — it answers once the
run is queued — and then the time from the click until the run is finished: the problem
built from the database, solved, and the proposals stored by the consumer. It then times
the review page. Re-runs replace the proposals of the run before, as in daily use.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import logging
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from sqlalchemy import select  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from matcher import create_app, tenancy  # noqa: E402
from matcher.engine import solve  # noqa: E402
from matcher.extensions import db  # noqa: E402
from matcher.models import Agency, Base, Match, MatchRun, Newcomer, Volunteer  # noqa: E402
from matcher.services.matching import problem  # noqa: E402
from matcher.services.platform import demo  # noqa: E402

TARGET_SECONDS = 3.0
logging.getLogger("werkzeug").setLevel(logging.WARNING)
SLUG = "bench"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _token(html: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    if not found:
        raise SystemExit("no CSRF token on the page")
    return found.group(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--volunteers", type=int, default=2000)
    parser.add_argument("--newcomers", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", default="")
    parser.add_argument(
        "--plain", action="store_true",
        help="without the must-rules, mobility, interests and households (issue 13)",
    )  # fmt: skip
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        jobs_url = f"sqlite:///{Path(tmp) / 'jobs.sqlite'}"
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "SECRET_KEY": "bench",
                "RATELIMIT_ENABLED": False,
                "JOBS_URL": jobs_url,
            }  # fmt: skip
        )
        t0 = time.perf_counter()
        with app.app_context(), tenancy.all_agencies():
            Base.metadata.create_all(db.engine)
            agency = demo.load(SLUG, args.volunteers, args.newcomers, 1, date.today())
            if agency is None:
                raise SystemExit("the database already has the benchmark agency; use an empty one")
            logins = {role: (email, pw) for role, email, pw in demo.reset_logins(SLUG)}
            households = False if args.plain else _switch_every_rule_on(agency)
            db.session.commit()  # as the demo-data command does at its end
        print(
            f"loaded {args.volunteers} volunteers and {args.newcomers} newcomers "
            f"in {time.perf_counter() - t0:.1f} s ({url.split(':')[0]})"
        )
        if not args.plain:
            print(
                "every must-rule on (minimum score 0.3, level good, 1 shared slot, same-gender "
                "tandems, age-band preference, 8 interests), mobility for every 5th newcomer, "
                + (
                    "households in the database"
                    if households
                    else "households NOT in the database (their columns are not merged yet)"
                )
            )
            _time_households_in_process(app, args.repeat, households)

        consumer = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "work", "--workers", "1"],
            cwd=ROOT, stderr=subprocess.DEVNULL,
            env={**os.environ, "DATABASE_URL": url, "JOBS_URL": jobs_url, "SECRET_KEY": "bench",
                 "MATCHER_JOBS_POLL_SECONDS": "0.1"},
        )  # fmt: skip
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{server.server_port}"
        jar = http.cookiejar.CookieJar()
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        button = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect())

        def post(opener: urllib.request.OpenerDirector, path: str, data: dict[str, str]) -> int:
            body = urllib.parse.urlencode(data).encode()
            try:
                with opener.open(base + path, data=body, timeout=120) as response:
                    response.read()
                    return int(response.status)
            except urllib.error.HTTPError as e:  # the 302 of the button, not followed
                return int(e.code)

        try:
            email, password = logins["coordinator"]
            login_page = browser.open(base + "/login").read().decode()
            post(browser, "/login", {"email": email, "password": password,
                                     "csrf_token": _token(login_page)})  # fmt: skip
            token = _token(browser.open(base + "/dashboard").read().decode())
            answers, runs, reviews = [], [], []
            for i in range(args.repeat):
                started = time.perf_counter()
                status = post(button, "/matching/run", {"csrf_token": token})
                answers.append(time.perf_counter() - started)
                if status != 302:
                    raise SystemExit(f"the run answered {status}")
                last = _wait_for_the_run(app, started)
                runs.append(time.perf_counter() - started)
                started = time.perf_counter()
                browser.open(base + "/matching/proposals").read()
                reviews.append(time.perf_counter() - started)
                with app.app_context(), tenancy.all_agencies():
                    proposals = db.session.query(Match).filter(Match.status == "proposed").count()
                print(
                    f"run {i + 1}: POST /matching/run answered in {answers[-1]:.2f} s; finished "
                    f"{runs[-1]:.2f} s after the click (the worker's part {last.seconds:.2f} s; "
                    f"{last.pairs} proposals stored, {proposals} open, {len(last.unmatched)} "
                    f"unmatched, {last.feasible_pairs} feasible pairs); review page "
                    f"{reviews[-1]:.2f} s"
                )
        finally:
            consumer.terminate()
            consumer.wait(timeout=60)
            server.shutdown()
            thread.join(timeout=5)
            with app.app_context():
                db.engine.dispose()

    median = statistics.median(runs)
    verdict = "under" if median < TARGET_SECONDS else "OVER"
    print(
        f"median: the button answers in {statistics.median(answers):.2f} s; proposals "
        f"{median:.2f} s after the click ({verdict} the {TARGET_SECONDS:.0f} s target), "
        f"review page {statistics.median(reviews):.2f} s; best run {min(runs):.2f} s"
    )


INTERESTS = ["Kochen", "Fußball", "Musik", "Lesen", "Wandern", "Nähen", "Schach", "Garten"]
BANDS = ["0-2", "3-5", "6-11", "12-17"]


def _switch_every_rule_on(agency: Agency) -> bool:
    """Every must-rule on, and the people's new fields filled, deterministically.

    :return: whether households are in the database (their columns are the `households`
        helper's; before that merge they are left out here and injected in process).
    """
    agency.min_score = 0.3
    agency.min_language_level = "good"
    agency.min_shared_slots = 1
    agency.tandem_gender = "same"
    agency.age_band_preference = True
    agency.interests = list(INTERESTS)
    households = hasattr(Newcomer, "household_size") and hasattr(Volunteer, "families_welcome")
    for n in db.session.scalars(select(Newcomer).where(Newcomer.agency_id == agency.id)):
        n.gender = ("female", "male", None)[n.id % 3]
        n.max_distance_km = 5.0 if n.id % 5 == 0 else None
        n.interests = [INTERESTS[n.id % 8], INTERESTS[(n.id * 3) % 8]]
        if households:
            for key, value in _newcomer_household(n.id).items():
                setattr(n, key, value)
    for v in db.session.scalars(select(Volunteer).where(Volunteer.agency_id == agency.id)):
        v.interests = [INTERESTS[v.id % 8], INTERESTS[(v.id * 5) % 8]]
        if households:
            for key, value in _volunteer_household(v.id).items():
                setattr(v, key, value)
    return households


def _newcomer_household(ident: int) -> dict[str, Any]:
    """One newcomer in four is a family of 2 to 4 with children (so `minors`, as the
    database requires with age bands); the others live alone."""
    size = 1 if ident % 4 else 2 + (ident // 4) % 3
    bands = [BANDS[ident % 4], BANDS[(ident + 1) % 4]] if size > 1 else []
    return {"household_size": size, "child_age_bands": bands, "minors": size > 1}


def _volunteer_household(ident: int) -> dict[str, Any]:
    """Two volunteers in three welcome families, half of those up to 4 people; a volunteer
    who welcomes no family names no size or ages (the database's CHECKs)."""
    welcome = ident % 3 != 0
    return {
        "families_welcome": welcome,
        "max_household": 4 if welcome and ident % 2 else None,
        "child_age_bands": [BANDS[ident % 4]] if welcome and ident % 2 else [],
    }


def _time_households_in_process(app: Flask, repeat: int, households: bool) -> None:
    """The run's own work in process (build from the database, solve, with households),
    timed apart from the web: with households injected into the document where their
    columns are not merged yet."""
    times = []
    with app.app_context(), tenancy.all_agencies():
        agency = db.session.scalars(select(Agency).where(Agency.slug == SLUG)).one()
        for _ in range(repeat):
            started = time.perf_counter()
            document = problem.build(agency, date.today()).document
            if not households:
                for entry in document["newcomers"]:
                    entry.update(_newcomer_household(problem.parse_key(entry["id"])))  # type: ignore[typeddict-item]
                for v_entry in document["volunteers"]:
                    v_entry.update(_volunteer_household(problem.parse_key(v_entry["id"])))  # type: ignore[typeddict-item]
            result = solve(document, with_codes=True)
            times.append(time.perf_counter() - started)
        db.session.rollback()
    print(
        f"in process, build + solve with households and every must-rule: best "
        f"{min(times):.2f} s of {repeat} ({result['stats']['feasible_pairs']} feasible pairs, "
        f"{len(result['pairs'])} pairs)"
    )


def _wait_for_the_run(app: Flask, since: float, timeout: float = 600) -> MatchRun:
    """The latest run once the consumer has finished it (polled every 20 ms)."""
    while time.perf_counter() - since < timeout:
        with app.app_context(), tenancy.all_agencies():
            last = db.session.query(MatchRun).order_by(MatchRun.id.desc()).first()
            if last is not None and last.status == "failed":
                raise SystemExit(f"run {last.id} failed: {last.failure} {last.failure_detail}")
            if last is not None and last.status == "finished":
                db.session.expunge(last)
                return last
        time.sleep(0.02)
    raise SystemExit("the consumer did not finish the run")


if __name__ == "__main__":
    main()
