"""Web load benchmark: gunicorn (2 workers) with 10,000 volunteers and 10,000 newcomers.

For SQLite and for PostgreSQL (a throwaway server started here), it migrates a fresh
database, loads the demo agency, starts `gunicorn -w 2 --preload wsgi:app` on 127.0.0.1 and
drives it with 20 concurrent simulated users for a bounded time:

* phase "pages": 20 logged-in coordinators open list pages (paged, filtered) and detail
  pages of volunteers and newcomers;
* phase "signup": 20 volunteers sign up at once (GET the form for its CSRF token, POST it).

Targets (issue 7): no errors; p95 under 150 ms for list and detail pages; at least 50
sign-ups per second. All traffic goes to 127.0.0.1 only; every loop is bounded in time.

    .venv/bin/python benchmarks/web.py [--backends sqlite,postgresql] [--seconds 15]
"""

import argparse
import http.client
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
USERS = int(os.environ.get("BENCH_USERS", "20"))
THINK = float(os.environ.get("BENCH_THINK_SECONDS", "1.0"))
WARMUP_SECONDS = 5.0
PHASE_SECONDS = 0.0  # set from --seconds
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SLOTS = [f"{d}-{p}" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
         for p in ("morning", "afternoon", "evening")]  # fmt: skip


@dataclass
class Stats:
    """Latencies (ms) per kind of request, and errors."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, ms: float) -> None:
        with self.lock:
            self.latencies.setdefault(kind, []).append(ms)

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)


class Browser:
    """One simulated user: a keep-alive connection and a cookie jar."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: list[tuple[str, str]] | None = None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        start = time.perf_counter()
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read().decode("utf-8", "replace")
        ms = (time.perf_counter() - start) * 1000
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, data, ms


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def flask(env: dict[str, str], *args: str) -> str:
    out = subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env,
                         check=True, capture_output=True, text=True)  # fmt: skip
    return out.stdout


def prepare(env: dict[str, str], people: int) -> tuple[str, str]:
    """Migrate, load the demo agency; return the coordinator's email and password."""
    flask(env, "db", "upgrade")
    t0 = time.perf_counter()
    flask(env, "demo-data", "--agency", "bench", "--volunteers", str(people),
          "--newcomers", str(people))  # fmt: skip
    print(f"  demo data ({people:,} + {people:,}) loaded in {time.perf_counter() - t0:.1f} s")
    logins = flask(env, "demo-logins", "--agency", "bench")
    match = re.search(r"coordinator\s+(\S+)\s+(\S+)", logins)
    assert match, logins
    return match.group(1), match.group(2)


def coordinator(port: int, email: str, password: str, stop: float, stats: Stats,
                n_people: int, seed: int, think: float) -> None:  # fmt: skip
    rng = random.Random(seed)
    b = Browser(port)
    status, html, _ = b.request("GET", "/login")
    token = TOKEN.search(html)
    form = [("csrf_token", token.group(1) if token else ""), ("email", email)]
    status, _, _ = b.request("POST", "/login", [*form, ("password", password)])
    if status != 302:
        stats.error(f"login {status}")
        return
    # Logins (scrypt, deliberately slow) happen before the measured window opens.
    time.sleep(max(0.0, stop - PHASE_SECONDS - time.perf_counter()))
    pages = max(1, n_people // 25)
    while time.perf_counter() < stop:
        kind, path = rng.choice([
            ("list", f"/volunteers?page={rng.randint(1, pages)}"),
            ("list", f"/newcomers?page={rng.randint(1, pages)}"),
            ("list", "/volunteers?status=active&q="
             + urllib.parse.quote(rng.choice(["mül", "anna", "schmidt", "o"]))),
            ("detail", f"/volunteers/{rng.randint(1, n_people)}"),
            ("detail", f"/newcomers/{rng.randint(1, n_people)}"),
        ])  # fmt: skip
        status, _, ms = b.request("GET", path)
        if status != 200:
            stats.error(f"{path}: {status}")
        stats.add(kind, ms)
        time.sleep(rng.uniform(0, think))


def volunteer(port: int, stop: float, stats: Stats, seed: int, think: float) -> None:
    rng = random.Random(seed)
    n = 0
    time.sleep(max(0.0, stop - PHASE_SECONDS - time.perf_counter()))
    while time.perf_counter() < stop:
        b = Browser(port)
        status, html, _ = b.request("GET", "/signup/bench")
        token = TOKEN.search(html)
        if status != 200 or not token:
            stats.error(f"signup form {status}")
            continue
        n += 1
        form = [
            ("csrf_token", token.group(1)), ("first_name", "Lena"), ("last_name", "Bench"),
            ("email", f"bench-{seed}-{n}@example.org"), ("phone", ""), ("postcode", "50823"),
            ("age_band", "36_50"), ("gender", ""), ("languages-0-code", "de"),
            ("languages-0-level", "native"), ("languages-1-code", "en"),
            ("languages-1-level", "good"), ("capacity", "1"), ("motivation", ""),
            ("consent_matching", "y"), ("website", ""),
            *[("slots", s) for s in rng.sample(SLOTS, 3)], ("topics", "german"),
        ]  # fmt: skip
        status, _, ms = b.request("POST", "/signup/bench", form)
        if status not in (302, 303):
            stats.error(f"signup post {status}")
        stats.add("signup", ms)
        time.sleep(rng.uniform(0, think))


def run_phase(target, count: int, seconds: float) -> tuple[Stats, float]:
    """Run `count` users; the window starts after a warm-up in which coordinators log in."""
    stats = Stats()
    start = time.perf_counter() + WARMUP_SECONDS
    stop = start + seconds
    threads = [threading.Thread(target=target, args=(i, stop, stats)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + WARMUP_SECONDS + 60)
    return stats, time.perf_counter() - start


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def bench(backend: str, url: str, seconds: float, people: int) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": url, "MATCHER_SIGNUP_RATE_LIMIT": "1000000 per second",
           "MATCHER_LOGIN_LIMIT_PER_ADDRESS": "1000000 per second",
           "MATCHER_LOGIN_LIMIT_PER_ACCOUNT": "1000000 per second"}  # fmt: skip
    email, password = prepare(env, people)
    port = free_port()
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "--preload",
         "--access-logfile", "/dev/null", "--error-logfile", "-", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(200):
            try:
                Browser(port).request("GET", "/healthz")
                break
            except OSError:
                time.sleep(0.1)
        # 1. The mix: coordinators browse and volunteers sign up at once, each user pausing
        #    0..THINK s between requests as a person clicking quickly does.
        n_vol = max(1, USERS // 4)

        def mixed(i: int, stop: float, st: Stats) -> None:
            if i < n_vol:
                volunteer(port, stop, st, 1000 + i, THINK)
            else:
                coordinator(port, email, password, stop, st, people, i, THINK)

        mix, _ = run_phase(mixed, USERS, seconds)
        # 2. Capacity: every user signs up without pausing.
        signups, took = run_phase(
            lambda i, stop, st: volunteer(port, stop, st, 2000 + i, 0.0), USERS, seconds
        )
        # 3. Capacity: every user opens pages without pausing.
        pages, took_pages = run_phase(
            lambda i, stop, st: coordinator(port, email, password, stop, st, people, i, 0.0),
            USERS, seconds,
        )  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=30)
    row = {"backend": backend}
    for kind in ("list", "detail", "signup"):
        lat = mix.latencies.get(kind, [0.0])
        row[kind] = f"p50 {p(lat, 50):.0f} / p95 {p(lat, 95):.0f} ms ({len(lat):,})"
    n = len(signups.latencies.get("signup", []))
    row["signup_rate"] = f"{n / took:.0f}/s"
    served = sum(len(v) for v in pages.latencies.values())
    every = [x for v in pages.latencies.values() for x in v] or [0.0]
    row["pages_rate"] = f"{served / took_pages:.0f} req/s, p95 {p(every, 95):.0f} ms"
    errors = mix.errors + signups.errors + pages.errors
    row["errors"] = str(len(errors))
    if errors:
        print("  errors:", errors[:5])
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--people", type=int, default=10_000)
    args = parser.parse_args()
    global PHASE_SECONDS
    PHASE_SECONDS = args.seconds
    rows = []
    with tempfile.TemporaryDirectory(prefix="matcher-web-bench-") as tmp:
        for backend in args.backends.split(","):
            print(f"{backend}:")
            if backend == "sqlite":
                rows.append(
                    bench(backend, f"sqlite:///{tmp}/bench.sqlite", args.seconds, args.people)
                )
            else:
                from tests.conftest import create_database
                from tests.pgserver import PostgresServer

                server = PostgresServer()
                try:
                    url = create_database(server.start(), "bench")
                    rows.append(bench(backend, url, args.seconds, args.people))
                finally:
                    server.stop()
    people = f"{args.people:,} volunteers + {args.people:,} newcomers"
    print(f"\ngunicorn -w 2, {people}, {USERS} concurrent users, {args.seconds:.0f} s per phase,"
          f" pause 0-{THINK:g} s in the mix\n")  # fmt: skip
    print("| backend | list pages | detail pages | sign-up POST | sign-ups, no pause |"
          " pages, no pause | errors |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['backend']} | {r['list']} | {r['detail']} | {r['signup']} |"
              f" {r['signup_rate']} | {r['pages_rate']} | {r['errors']} |")  # fmt: skip


if __name__ == "__main__":
    main()
