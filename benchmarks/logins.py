"""Login cost: the password hash alone, and 150 logins at once against gunicorn.

1. One hash check, in this process: Werkzeug's scrypt (what every account had before) and
   Argon2id at OWASP's minimum (what new hashes get), CPU per check, and whether two threads
   check two passwords in parallel (the GIL released).
2. A login wave against a real gunicorn on a fresh SQLite (or PostgreSQL) database: 150
   coordinators press "Anmelden" at the same moment, while 10 other coordinators keep
   opening list pages (the bystanders whose pages must not stall). A login answered 503
   (shed) is tried again after 0.5-1.5 s, as a person would. Variants, side by side:

   * `before`: the code this branch started from (`--base`, a git revision), served as its
     README said: `gunicorn -w 2 --preload` (sync workers), scrypt hashes;
   * `after`: this tree with gunicorn.conf.py, Argon2id hashes;
   * `after-scrypt`: this tree, but the accounts still have their old scrypt hashes (the
     first login wave after the upgrade: scrypt check plus the new Argon2id hash).

    .venv/bin/python benchmarks/logins.py [--variants before,after,after-scrypt]
        [--backend sqlite|postgresql] [--logins 150] [--rounds 3]
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from web import BIN, ROOT, TOKEN, Browser, free_port, p, server_cpu

PASSWORD = "bench passphrase 2026"
BYSTANDERS = 10


def hash_costs() -> None:
    """CPU per hash check and the speed-up of two threads over one."""
    from werkzeug.security import check_password_hash, generate_password_hash

    from matcher import passwords

    schemes = {
        "scrypt (Werkzeug default, before)": (
            generate_password_hash(PASSWORD, method="scrypt"),
            check_password_hash,
        ),
        "Argon2id m=19 MiB t=2 p=1 (after)": (
            passwords.hash_password(PASSWORD),
            passwords.verify_password,
        ),
    }
    print("| hash | CPU per check | 1 thread × 8 checks | 2 threads × 4 checks | parallel |")
    print("|---|---:|---:|---:|---:|")
    for name, (stored, check) in schemes.items():
        cpu = []
        for _ in range(10):
            c0 = time.process_time()
            assert check(stored, PASSWORD)
            cpu.append((time.process_time() - c0) * 1000)

        def run(threads: int, stored: str = stored, check=check) -> float:
            workers = [threading.Thread(target=lambda: [check(stored, PASSWORD)
                       for _ in range(8 // threads)]) for _ in range(threads)]  # fmt: skip
            w0 = time.perf_counter()
            for t in workers:
                t.start()
            for t in workers:
                t.join()
            return (time.perf_counter() - w0) * 1000

        one = min(run(1) for _ in range(3))
        two = min(run(2) for _ in range(3))
        print(f"| {name} | {statistics.median(cpu):.1f} ms | {one:.0f} ms | {two:.0f} ms |"
              f" {one / two:.2f}× |")  # fmt: skip


def seed(env: dict[str, str], logins: int, stored: str) -> list[str]:
    """Coordinators of the demo agency with the given password hash; return their emails."""
    from matcher import create_app, tenancy
    from matcher.extensions import db
    from matcher.models import Agency, User

    os.environ.update(env)
    app = create_app()
    emails = [f"wave{i}@example.org" for i in range(logins + BYSTANDERS)]
    with app.app_context(), tenancy.all_agencies():
        agency = db.session.query(Agency).filter_by(slug="bench").one()
        for email in emails:
            db.session.add(User(email=email, role="coordinator", agency_id=agency.id,
                                password_hash=stored))  # fmt: skip
        db.session.commit()
        db.engine.dispose()
    return emails


def login(port: int, email: str) -> tuple[Browser | None, float, int]:
    """Log in, trying again after a shed answer; return the browser, seconds, 503s seen."""
    start = time.perf_counter()
    shed = 0
    while time.perf_counter() - start < 120:
        b = Browser(port)
        status, html, _ = b.request("GET", "/login")
        token = TOKEN.search(html) if status == 200 else None
        if token:
            form = [("csrf_token", token.group(1)), ("email", email), ("password", PASSWORD)]
            status, _, _ = b.request("POST", "/login", form)
            if status == 302:
                return b, time.perf_counter() - start, shed
        if status != 503:
            return None, time.perf_counter() - start, shed
        shed += 1
        time.sleep(random.uniform(0.5, 1.5))
    return None, time.perf_counter() - start, shed


def wave(port: int, master: int, emails: list[str]) -> dict[str, str]:
    """Bystanders browse; then all logins at once; until every login is through."""
    bystanders = [login(port, e)[0] for e in emails[:BYSTANDERS]]
    assert all(bystanders), "bystander login failed"
    page_ms: list[float] = []
    page_errors: list[int] = []
    done = threading.Event()

    def browse(b: Browser, seed: int) -> None:
        rng = random.Random(seed)
        while not done.is_set():
            status, _, ms = b.request("GET", f"/volunteers?page={rng.randint(1, 10)}")
            if status == 200:
                page_ms.append(ms)
            else:
                page_errors.append(status)
            time.sleep(rng.uniform(0, 0.4))

    browsing = [threading.Thread(target=browse, args=(b, i)) for i, b in enumerate(bystanders)]
    for t in browsing:
        t.start()
    time.sleep(0.5)
    page_ms.clear()
    cpu_quiet = server_cpu(master)
    time.sleep(3)
    quiet = list(page_ms)
    page_ms.clear()
    # The server's CPU for one bystander page, to take the pages out of the wave's CPU.
    cpu_per_page = (server_cpu(master) - cpu_quiet) / max(len(quiet), 1)
    results: list[tuple[Browser | None, float, int]] = []
    lock = threading.Lock()
    gate = threading.Barrier(len(emails) - BYSTANDERS + 1)

    def one(email: str) -> None:
        gate.wait()
        result = login(port, email)
        with lock:
            results.append(result)

    logins = [threading.Thread(target=one, args=(e,)) for e in emails[BYSTANDERS:]]
    for t in logins:
        t.start()
    gate.wait()
    w0, cpu0 = time.perf_counter(), server_cpu(master)
    for t in logins:
        t.join()
    took, cpu = time.perf_counter() - w0, server_cpu(master) - cpu0
    done.set()
    for t in browsing:
        t.join()
    seconds = [s for b, s, _ in results if b is not None]
    failed = sum(1 for b, _, _ in results if b is None)
    return {
        "wave": f"{took:.1f} s",
        "login": f"{p(seconds, 50):.2f} / {p(seconds, 95):.2f} s" if seconds else "–",
        "shed": str(sum(s for _, _, s in results)),
        "failed": str(failed),
        "quiet": f"{p(quiet, 95):.0f} ms" if quiet else "–",
        "pages": (
            f"{p(page_ms, 50):.0f} / {p(page_ms, 95):.0f} ms ({len(page_ms)})" if page_ms else "–"
        ),  # fmt: skip
        "page_errors": str(len(page_errors)),
        # The server's CPU in the wave per login, the bystanders' pages taken out.
        "cpu": f"{1000 * (cpu - cpu_per_page * len(page_ms)) / max(len(seconds), 1):.0f} ms",
    }


def serve(variant: str, source: Path, env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    if variant == "before":
        command = [str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "--preload",
                   "--access-logfile", "/dev/null", "wsgi:app"]  # fmt: skip
    else:
        command = [str(BIN / "gunicorn"), "-c", str(source / "gunicorn.conf.py"), "wsgi:app"]
        env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_ACCESSLOG": "/dev/null"}
    server = subprocess.Popen(command, cwd=source, env={**env, "PYTHONPATH": str(source)},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    for _ in range(300):
        try:
            if Browser(port).request("GET", "/healthz")[0] == 200:
                return server
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{variant}: gunicorn did not start")


def run_variant(variant: str, base: Path, url: str, tmp: Path, logins: int) -> dict[str, str]:
    from werkzeug.security import generate_password_hash

    from matcher import passwords

    source = base if variant == "before" else ROOT
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench",
           "JOBS_URL": f"sqlite:///{tmp / 'jobs.sqlite'}",
           "MATCHER_SIGNUP_RATE_LIMIT": "1000000 per second",
           "MATCHER_LOGIN_LIMIT_PER_ADDRESS": "1000000 per second",
           "MATCHER_LOGIN_LIMIT_PER_ACCOUNT": "1000000 per second"}  # fmt: skip
    flask = [str(BIN / "flask"), "--app", "wsgi"]
    run = {"cwd": source, "env": {**env, "PYTHONPATH": str(source)}, "check": True,
           "capture_output": True}  # fmt: skip
    subprocess.run([*flask, "db", "upgrade"], **run)
    subprocess.run([*flask, "demo-data", "--agency", "bench", "--volunteers", "300",
                    "--newcomers", "300"], **run)  # fmt: skip
    if variant == "after":
        stored = passwords.hash_password(PASSWORD)
    else:
        stored = generate_password_hash(PASSWORD, method="scrypt")
    emails = seed(env, logins, stored)
    port = free_port()
    server = serve(variant, source, env, port)
    try:
        return wave(port, server.pid, emails)
    finally:
        server.terminate()
        server.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", default="before,after,after-scrypt")
    parser.add_argument("--backend", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--base", default="fc503cd", help="git revision for `before`")
    parser.add_argument("--logins", type=int, default=150)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    hash_costs()
    rows = []
    with tempfile.TemporaryDirectory(prefix="matcher-login-bench-") as tmp_name:
        tmp = Path(tmp_name)
        base = tmp / "base"
        base.mkdir()
        archive = subprocess.run(["git", "archive", args.base], cwd=ROOT, check=True,
                                 capture_output=True).stdout  # fmt: skip
        subprocess.run(["tar", "-x", "-C", str(base)], input=archive, check=True)
        pg = None
        if args.backend == "postgresql":
            from tests.conftest import create_database
            from tests.pgserver import PostgresServer

            pg = PostgresServer()
            pg_url = pg.start()
        try:
            for n in range(args.rounds):
                for variant in args.variants.split(","):
                    if pg is not None:
                        url = create_database(pg_url, f"logins_{n}_{variant.replace('-', '_')}")
                    else:
                        url = f"sqlite:///{tmp}/{variant}-{n}.sqlite"
                    print(f"round {n + 1}, {variant} ...", file=sys.stderr)
                    row = run_variant(variant, base, url, tmp, args.logins)
                    rows.append({"variant": variant, "round": str(n + 1), **row})
        finally:
            if pg is not None:
                pg.stop()
    print(f"\n{args.logins} logins at once, {BYSTANDERS} coordinators browsing list pages"
          f" meanwhile, {args.backend}\n")  # fmt: skip
    print("| variant | round | all logged in after | login p50 / p95 | 503 answers (retried) |"
          " failed | pages before the wave, p95 | pages during the wave, p50 / p95 (n) |"
          " page errors | server CPU per login |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['variant']} | {r['round']} | {r['wave']} | {r['login']} | {r['shed']} |"
              f" {r['failed']} | {r['quiet']} | {r['pages']} | {r['page_errors']} |"
              f" {r['cpu']} |")  # fmt: skip


if __name__ == "__main__":
    main()
