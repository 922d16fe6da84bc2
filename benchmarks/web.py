"""Web load benchmark: gunicorn with gunicorn.conf.py, 10,000 volunteers and 10,000 newcomers.

For SQLite and for PostgreSQL (a throwaway server started here), it migrates a fresh
database, loads the demo agency, starts gunicorn on 127.0.0.1 with the repository's
gunicorn.conf.py (threaded workers, one per core, load shedding in the app) and drives it
with simulated users for a bounded time:

* the mix, at 20, 50 and 200 users (`--users`): coordinators (three quarters) open list
  pages (paged, filtered) and detail pages, volunteers (a quarter) sign up, each pausing
  0-1 s between requests. Every coordinator logs in before the window opens (a shed login
  is tried again). Answers are counted apart: answered (200/302), shed (503, the quick
  "Einen Moment bitte"), errors (anything else, or no answer). After a 503 a user waits
  1-5 s, as a person who reads "try again in 5 seconds" does, instead of 0-1 s;
* capacity, at 20 users: all sign up without pausing; all open pages without pausing.

`--servers conf,legacy` adds, side by side, what the README said before: `gunicorn -w 2
--preload wsgi:app` (sync workers, no shedding).

Targets (issues 7 and 11): no errors; p95 under 150 ms for list and detail pages at 20 users;
at least 50 sign-ups per second; at 50 users 0 errors and p95 under 300 ms; at 200 users
quick 503s rather than a queue. All traffic goes to 127.0.0.1 only; every loop is bounded
in time.

    .venv/bin/python benchmarks/web.py [--backends sqlite,postgresql] [--seconds 15]
        [--users 20,50,200] [--servers conf,legacy] [--no-capacity]
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
THINK = float(os.environ.get("BENCH_THINK_SECONDS", "1.0"))
CAPACITY_USERS = 20
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SLOTS = [f"{d}-{p}" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
         for p in ("morning", "afternoon", "evening")]  # fmt: skip
ANSWERED = (200, 302, 303)
_seeds = iter(range(1000, 10**9))


@dataclass
class Stats:
    """Latencies (ms) per kind of request: answered, and shed (503); other errors."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    shed: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    cpu: float = 0.0  # the server's CPU seconds in the window

    def add(self, kind: str, status: int, ms: float, what: str) -> None:
        with self.lock:
            if status in ANSWERED:
                self.latencies.setdefault(kind, []).append(ms)
            elif status == 503:
                self.shed.append(ms)
            else:
                self.errors.append(f"{what}: {status}")

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)


class Browser:
    """One simulated user: a keep-alive connection and a cookie jar."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: list[tuple[str, str]] | None = None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        start = time.perf_counter()
        # A kept-alive connection the server closed while idle fails at once: a browser
        # then sends the request again on a new connection, and so does this (once).
        for attempt in (1, 2):
            reused = self.conn.sock is not None
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read().decode("utf-8", "replace")
                break
            except (OSError, http.client.HTTPException) as e:
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                stale = isinstance(e, (http.client.RemoteDisconnected, ConnectionResetError,
                                       BrokenPipeError))  # fmt: skip
                if attempt == 2 or not (reused and stale):
                    return 0, f"{type(e).__name__}: {e}", (time.perf_counter() - start) * 1000
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


def server_cpu(master: int) -> float:
    """CPU seconds (user + system) of a gunicorn master and its workers so far."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == master or int(fields[1]) == master:  # fields[1]: the parent
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


class Window:
    """The measured window: it opens when every user is ready (logged in)."""

    def __init__(self, seconds: float, users: int, cpu=None) -> None:
        self.seconds = seconds
        self.start = self.stop = 0.0
        self.cpu = cpu
        self.cpu_start = 0.0
        # The barrier's action runs once, before anyone is let through: all see the times.
        self.ready = threading.Barrier(users + 1, action=self._open, timeout=600)

    def _open(self) -> None:
        self.start = time.perf_counter()
        self.stop = self.start + self.seconds
        self.cpu_start = self.cpu() if self.cpu else 0.0

    def wait(self) -> None:
        """Wait until every user is ready; the window then opens for all at once."""
        self.ready.wait()


def log_in(b: Browser, email: str, password: str) -> int:
    """Log in through the form; a shed answer (503) is tried again after a pause."""
    deadline = time.perf_counter() + 120
    status = 0
    while time.perf_counter() < deadline:
        status, html, _ = b.request("GET", "/login")
        token = TOKEN.search(html) if status == 200 else None
        if token:
            form = [("csrf_token", token.group(1)), ("email", email), ("password", password)]
            status, _, _ = b.request("POST", "/login", form)
        if status != 503:
            return status
        time.sleep(random.uniform(0.5, 1.5))
    return status


def pause(rng: random.Random, status: int, think: float) -> float:
    """The pause before a user's next request: 0..think s; after a 503 page ("Bitte versuchen
    Sie es in 5 Sekunden noch einmal") 1-5 s, as a person reads it and reloads."""
    return rng.uniform(1, 5) if status == 503 else rng.uniform(0, think)


def coordinator(port: int, email: str, password: str, window: Window, stats: Stats,
                n_people: int, seed: int, think: float) -> None:  # fmt: skip
    rng = random.Random(seed)
    b = Browser(port)
    try:
        status = log_in(b, email, password)
    finally:
        window.wait()
    if status != 302:
        stats.error(f"login {status}")
        return
    pages = max(1, n_people // 25)
    while time.perf_counter() < window.stop:
        kind, path = rng.choice([
            ("list", f"/volunteers?page={rng.randint(1, pages)}"),
            ("list", f"/newcomers?page={rng.randint(1, pages)}"),
            ("list", "/volunteers?status=active&q="
             + urllib.parse.quote(rng.choice(["mül", "anna", "schmidt", "o"]))),
            ("detail", f"/volunteers/{rng.randint(1, n_people)}"),
            ("detail", f"/newcomers/{rng.randint(1, n_people)}"),
        ])  # fmt: skip
        status, text, ms = b.request("GET", path)
        stats.add(kind, status, ms, path if status else f"{path} {text}")
        time.sleep(pause(rng, status, think))


def volunteer(port: int, window: Window, stats: Stats, seed: int, think: float) -> None:
    rng = random.Random(seed)
    n = 0
    window.wait()
    while time.perf_counter() < window.stop:
        b = Browser(port)
        status, html, ms = b.request("GET", "/signup/bench")
        token = TOKEN.search(html)
        if status != 200 or not token:
            stats.add("signup form", status, ms, "signup form")
            time.sleep(pause(rng, status, think))
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
        stats.add("signup", status, ms, "signup post")
        time.sleep(pause(rng, status, think))


def run_phase(target, count: int, seconds: float, cpu=None) -> tuple[Stats, float]:
    """Run `count` users; the window opens when all are ready (coordinators logged in).
    With `cpu` (a function giving the server's CPU seconds so far), `stats.cpu` is the
    server's CPU time within the window."""
    stats = Stats()
    window = Window(seconds, count, cpu)
    threads = [threading.Thread(target=target, args=(i, window, stats)) for i in range(count)]
    for t in threads:
        t.start()
    window.wait()
    for t in threads:
        t.join(timeout=seconds + 120)
    if cpu is not None:
        stats.cpu = cpu() - window.cpu_start
    return stats, time.perf_counter() - window.start


def p(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def start_server(kind: str, env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    """gunicorn as configured in the repository (`conf`), or as the README said before."""
    if kind == "legacy":
        # An empty configuration file, or gunicorn would read ./gunicorn.conf.py; and no
        # shedding in the app, as before.
        empty = ROOT / "benchmarks" / "gunicorn_legacy.conf.py"
        command = [str(BIN / "gunicorn"), "-c", str(empty), "-w", "2", "-b", f"127.0.0.1:{port}",
                   "--preload", "--access-logfile", "/dev/null", "wsgi:app"]  # fmt: skip
        env = {**env, "MATCHER_ADMISSION_CONCURRENT": "0"}
    else:
        command = [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "wsgi:app"]
        env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_ACCESSLOG": "/dev/null"}
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)  # fmt: skip
    for _ in range(300):
        if Browser(port).request("GET", "/healthz")[0] == 200:
            return server
        time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


def mix_row(backend: str, kind: str, users: int, mix: Stats, took: float) -> dict[str, str]:
    answered = [x for v in mix.latencies.values() for x in v] or [0.0]
    pages = mix.latencies.get("list", []) + mix.latencies.get("detail", [])
    total = len(answered) + len(mix.shed) + len(mix.errors)
    row = {
        "backend": backend, "server": kind, "users": str(users),
        "answered": f"{len(answered) / took:.0f}/s",
        "p50_95": f"{p(answered, 50):.0f} / {p(answered, 95):.0f} ms",
        "pages_95": f"{p(pages, 95):.0f} ms" if pages else "–",
        "max": f"{max(answered) / 1000:.1f} s",
        "shed": f"{len(mix.shed):,} ({100 * len(mix.shed) / max(total, 1):.0f} %)",
        "shed_95": f"{p(mix.shed, 95):.0f} ms" if mix.shed else "–",
        "errors": str(len(mix.errors)),
        # The server's CPU per answered request (shed ones included in the cost), and what
        # two cores to itself could answer at that cost: portable across busy hosts.
        "cpu": f"{1000 * mix.cpu / len(answered):.1f} ms",
        "ceiling": f"{2 * len(answered) / mix.cpu:.0f}/s" if mix.cpu else "–",
    }  # fmt: skip
    for k in ("list", "detail", "signup"):
        lat = mix.latencies.get(k, [0.0])
        row[k] = f"p50 {p(lat, 50):.0f} / p95 {p(lat, 95):.0f} ms ({len(lat):,})"
    if mix.errors:
        print("  errors:", mix.errors[:5])
    return row


def bench(
    backend: str,
    url: str,
    seconds: float,
    people: int,
    levels: list[int],
    servers: list[str],
    capacity: bool,
) -> tuple[list[dict[str, str]], dict[str, str]]:
    env = {**os.environ, "DATABASE_URL": url, "MATCHER_SIGNUP_RATE_LIMIT": "1000000 per second",
           "MATCHER_LOGIN_LIMIT_PER_ADDRESS": "1000000 per second",
           "MATCHER_LOGIN_LIMIT_PER_ACCOUNT": "1000000 per second"}  # fmt: skip
    email, password = prepare(env, people)
    rows: list[dict[str, str]] = []
    cap: dict[str, str] = {}
    for kind in servers:
        port = free_port()
        server = start_server(kind, env, port)
        try:
            for users in levels:
                n_vol = max(1, users // 4)
                base = next(_seeds) * 1000

                def mixed(
                    i: int, window: Window, st: Stats, n_vol=n_vol, base=base, port=port
                ) -> None:
                    if i < n_vol:
                        volunteer(port, window, st, base + i, THINK)
                    else:
                        coordinator(port, email, password, window, st, people, i, THINK)

                load = os.getloadavg()[0]
                print(f"  {kind}, {users} users (load average {load:.1f}) ...")
                master = server.pid
                mix, took = run_phase(mixed, users, seconds, lambda m=master: server_cpu(m))
                rows.append(mix_row(backend, kind, users, mix, took))
            if capacity and kind == servers[0]:
                cap = capacity_row(backend, port, email, password, seconds, people)
        finally:
            server.terminate()
            server.wait(timeout=60)
    return rows, cap


def capacity_row(backend: str, port: int, email: str, password: str, seconds: float,
                 people: int) -> dict[str, str]:  # fmt: skip
    """20 users sign up without pausing; then 20 users open pages without pausing."""
    base = next(_seeds) * 1000
    signups, took = run_phase(
        lambda i, window, st: volunteer(port, window, st, base + i, 0.0), CAPACITY_USERS, seconds
    )
    pages, took_pages = run_phase(
        lambda i, window, st: coordinator(port, email, password, window, st, people, i, 0.0),
        CAPACITY_USERS, seconds,
    )  # fmt: skip
    n = len(signups.latencies.get("signup", []))
    served = sum(len(v) for v in pages.latencies.values())
    every = [x for v in pages.latencies.values() for x in v] or [0.0]
    errors = signups.errors + pages.errors
    return {
        "backend": backend,
        "signup_rate": f"{n / took:.0f}/s",
        "pages_rate": f"{served / took_pages:.0f} req/s, p95 {p(every, 95):.0f} ms",
        "shed": str(len(signups.shed) + len(pages.shed)),
        "errors": str(len(errors)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--users", default="20,50,200")
    parser.add_argument("--servers", default="conf", help="conf and/or legacy")
    parser.add_argument("--no-capacity", action="store_true")
    args = parser.parse_args()
    levels = [int(u) for u in args.users.split(",")]
    servers = args.servers.split(",")
    rows, caps = [], []
    with tempfile.TemporaryDirectory(prefix="matcher-web-bench-") as tmp:
        for backend in args.backends.split(","):
            print(f"{backend}:")
            if backend == "sqlite":
                url = f"sqlite:///{tmp}/bench.sqlite"
                r, c = bench(backend, url, args.seconds, args.people, levels, servers,
                             not args.no_capacity)  # fmt: skip
            else:
                from tests.conftest import create_database
                from tests.pgserver import PostgresServer

                pg = PostgresServer()
                try:
                    url = create_database(pg.start(), "bench")
                    r, c = bench(backend, url, args.seconds, args.people, levels, servers,
                                 not args.no_capacity)  # fmt: skip
                finally:
                    pg.stop()
            rows += r
            caps += [c] if c else []
    people = f"{args.people:,} volunteers + {args.people:,} newcomers"
    print(f"\n{people}, {args.seconds:.0f} s per window, pause 0-{THINK:g} s between requests"
          " (1-5 s after a 503); conf = gunicorn.conf.py, legacy = gunicorn -w 2 --preload"
          " (sync, no shedding)\n")  # fmt: skip
    print("| backend | server | users | answered | answered p50 / p95 | pages p95 | slowest |"
          " shed (503) | shed p95 | errors | server CPU per answer | 2 free cores |")  # fmt: skip
    print("|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['backend']} | {r['server']} | {r['users']} | {r['answered']} |"
              f" {r['p50_95']} | {r['pages_95']} | {r['max']} | {r['shed']} | {r['shed_95']} |"
              f" {r['errors']} | {r['cpu']} | {r['ceiling']} |")  # fmt: skip
    print("\n| backend | server | users | list pages | detail pages | sign-up POST |")
    print("|---|---|---:|---|---|---|")
    for r in rows:
        print(f"| {r['backend']} | {r['server']} | {r['users']} | {r['list']} | {r['detail']} |"
              f" {r['signup']} |")  # fmt: skip
    if caps:
        print(f"\nCapacity, {CAPACITY_USERS} users without pausing ({servers[0]}):\n")
        print("| backend | sign-ups, no pause | pages, no pause | shed | errors |")
        print("|---|---|---|---:|---:|")
        for c in caps:
            print(f"| {c['backend']} | {c['signup_rate']} | {c['pages_rate']} | {c['shed']} |"
                  f" {c['errors']} |")  # fmt: skip


if __name__ == "__main__":
    main()
