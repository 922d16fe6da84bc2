"""Scale benchmark: one server for a whole Land — 200 agencies against one, side by side.

Usage::

    .venv/bin/python benchmarks/scale.py [--agencies 200] [--volunteers 1500]
        [--newcomers 1500] [--repeat 7] [--runs 3] [--port 16500] [--shared-buffers 1GB]
        [--explain] [--write benchmarks/scale_results.md]

It starts a throwaway PostgreSQL server (`tests/pgserver.py`) on the first free port from
`--port`, and builds two databases with the migrations (`flask db upgrade`):

* "one": a single agency of `--volunteers` volunteers and `--newcomers` newcomers;
* "all": `--agencies` agencies of that size (200 × 3,000 = 600,000 people), among them
  the very same agency (the same generator index, so the same people and history).

Both are filled by `benchmarks/scale_data.py` (bulk COPY), then VACUUM ANALYZE, as
autovacuum leaves a database. Then, for that agency in both databases, alternating
between the two so the shared machine's noise hits both alike, it measures through the
real app (Flask's test client: every view, template and SQL statement as in production):

* a matching run, by calling `matcher.jobs_tasks.perform_run`, as the job queue and
  `flask match run` do, committed;
* a coordinator's pages: dashboard, lists paged and searched by name, details, proposals,
  certificates, Patenschaften, check-ins;
* an admin's pages: the agency list, the agency's figures and funder report, the person
  search and the audit log over all agencies, and the agency's audit log.

It prints (and with `--write` stores) the best and the median of `--repeat` repetitions
per page, and for the big database the number of SQL statements and the slowest one.
`--explain` also prints PostgreSQL's EXPLAIN ANALYZE of each page's slowest statement.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from benchmarks import scale_data  # noqa: E402
from matcher import (  # noqa: E402
    create_app,
    jobs_tasks,  # noqa: E402
    tenancy,
)
from matcher.database import MIGRATIONS_DIR  # noqa: E402
from matcher.extensions import db  # noqa: E402
from matcher.models import Agency, MatchRun  # noqa: E402
from matcher.services.matching import runs  # noqa: E402

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
MÜLLER, ANNA_MÜLLER = quote("müller"), quote("anna müller")

#: The pages measured: (who, label, path); {agency}, {volunteer}, {newcomer} and {match}
#: are the measured agency's ids in each database.
PAGES: tuple[tuple[str, str, str], ...] = (
    ("coordinator", "dashboard", "/dashboard"),
    ("coordinator", "volunteers, page 1", "/volunteers"),
    ("coordinator", "volunteers, page 30", "/volunteers?page=30"),
    ("coordinator", "volunteers, search 'müller'", f"/volunteers?q={MÜLLER}"),
    ("coordinator", "volunteers, active + 'anna'", "/volunteers?status=active&q=anna"),
    ("coordinator", "volunteer detail", "/volunteers/{volunteer}"),
    ("coordinator", "newcomers, page 1", "/newcomers"),
    ("coordinator", "newcomers, page 30", "/newcomers?page=30"),
    ("coordinator", "newcomers, search 'olena'", "/newcomers?q=olena"),
    ("coordinator", "newcomer detail", "/newcomers/{newcomer}"),
    ("coordinator", "proposals", "/matching/proposals"),
    ("coordinator", "unmatched", "/matching/unmatched"),
    ("coordinator", "shortage", "/matching/shortage"),
    ("coordinator", "certificates", "/volunteers/certificates"),
    ("coordinator", "Patenschaften", "/patenschaften"),
    ("coordinator", "Patenschaften, ended", "/patenschaften?status=ended"),
    ("coordinator", "Patenschaft detail", "/patenschaften/{match}"),
    ("coordinator", "check-ins overdue", "/checkins/overdue"),
    ("coordinator", "Heute zu tun: certificates, all", "/today?kind=certificates"),
    ("coordinator", "Heute zu tun: check-ins, all", "/today?kind=checkins"),
    ("coordinator", "certificate letter", "/volunteers/{volunteer}/certificate-letter"),
    ("admin", "agency list", "/admin/agencies"),
    ("admin", "figures of the agency", "/admin/figures?agency={agency}"),
    ("admin", "funder report of the agency", "/admin/figures/report?agency={agency}"),
    ("admin", "person search 'anna müller', all agencies", f"/admin/privacy?q={ANNA_MÜLLER}"),
    ("admin", "person search 'müller', all agencies", f"/admin/privacy?q={MÜLLER}"),
    ("admin", "audit log, all agencies", "/admin/audit"),
    ("admin", "audit log of the agency", "/admin/audit?agency={agency}"),
)
RUN_LABEL = "matching run (service, committed)"


# --------------------------------------------------------------------------- the databases


@dataclass
class Database:
    """One database under test: its app, its logins and the measured agency's ids."""

    name: str
    app: Flask
    probe: scale_data.Probe
    clients: dict[str, FlaskClient] = field(default_factory=dict)
    statements: list[tuple[float, str, Any]] = field(default_factory=list)

    def path(self, template: str) -> str:
        """A page's path with this database's ids."""
        p = self.probe
        return template.format(
            agency=p.agency_id, volunteer=p.volunteer_id, newcomer=p.newcomer_id, match=p.match_id
        )


def app_for(url: str, jobs_dir: str) -> Flask:
    """The real app on a database (rate limits off: one client makes every request)."""
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "scale-benchmark",
            "RATELIMIT_ENABLED": False,
            # The benchmark's admin signs in by password; the second factor is timed nowhere.
            "TOTP_REQUIRED_FOR_ADMINS": False,
            "JOBS_URL": f"sqlite:///{jobs_dir}/jobs-{abs(hash(url))}.sqlite",
        }
    )


@dataclass
class Prepared:
    """A database built and filled, with how long it took."""

    db: Database
    rows: int
    generate_seconds: float
    write_seconds: float
    analyze_seconds: float


def prepare(
    name: str,
    url: str,
    indexes: list[int],
    measured: int,
    shape: scale_data.Shape,
    now: datetime,
    jobs_dir: str,
    say: Callable[[str], None] = print,
) -> Prepared:
    """Migrate an empty database, fill it with these agencies, analyse it."""
    app = app_for(url, jobs_dir)
    with app.app_context(), tenancy.all_agencies():
        upgrade(directory=str(MIGRATIONS_DIR))
    started = perf_counter()
    data = scale_data.build(indexes, shape, now)
    generated = perf_counter() - started
    say(f"  {name}: {data.count():,} rows generated in {generated:.1f} s")
    started = perf_counter()
    with app.app_context():
        with db.engine.begin() as conn:
            scale_data.write(conn, data, progress=lambda line: say(f"    {line}"))
        written = perf_counter() - started
        say(f"  {name}: written in {written:.1f} s")
        started = perf_counter()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE" if conn.dialect.name == "postgresql" else "ANALYZE"))
        analysed = perf_counter() - started
    return Prepared(
        Database(name, app, data.probes[measured]), data.count(), generated, written, analysed
    )


def log_in(app: Flask, email: str) -> FlaskClient:
    """A client logged in through the real login form (CSRF on)."""
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = TOKEN.search(page)
    if token is None:
        raise SystemExit("no CSRF token on the login page")
    answer = client.post(
        "/login",
        data={"csrf_token": token.group(1), "email": email, "password": scale_data.PASSWORD},
    )
    if answer.status_code != 302:
        raise SystemExit(f"login of {email} answered {answer.status_code}")
    return client


@contextmanager
def recording(database: Database) -> Iterator[None]:
    """Record every SQL statement the database's engine runs, with its duration."""
    with database.app.app_context():
        engine = db.engine
    started: dict[int, float] = {}

    def before(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        started[id(cursor)] = perf_counter()

    def after(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        begun = started.pop(id(cursor), None)
        if begun is not None:
            database.statements.append((perf_counter() - begun, statement, parameters))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


# --------------------------------------------------------------------------- measuring


@dataclass
class Timing:
    """The durations of one thing measured in one database, and its SQL in the best one."""

    seconds: list[float] = field(default_factory=list)
    statements: int = 0
    slowest: tuple[float, str, Any] = (0.0, "", None)

    def add(self, seconds: float, statements: list[tuple[float, str, Any]]) -> None:
        if not self.seconds or seconds < min(self.seconds):
            self.statements = len(statements)
            self.slowest = max(statements, key=lambda s: s[0], default=(0.0, "", None))
        self.seconds.append(seconds)

    @property
    def best(self) -> float:
        return min(self.seconds)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


@dataclass
class Results:
    """Timings by label, per database name."""

    timings: dict[str, dict[str, Timing]] = field(default_factory=dict)

    def timing(self, label: str, name: str) -> Timing:
        return self.timings.setdefault(label, {}).setdefault(name, Timing())


def _timed(database: Database, action: Callable[[], Any]) -> tuple[float, Any]:
    database.statements.clear()
    with recording(database):
        started = perf_counter()
        outcome = action()
        return perf_counter() - started, outcome


def matching_run(database: Database) -> Any:
    """Run the matching for the measured agency and commit, as the queue's job does."""
    agency_id = database.probe.agency_id
    with database.app.app_context():
        with tenancy.for_agency(agency_id):
            agency = db.session.get(Agency, agency_id)
            assert agency is not None
            started = runs.start(agency, None, on=datetime.now(UTC).date(), background=False)
            run_id = started.run.id
            db.session.commit()
        jobs_tasks.perform_run(run_id, agency_id)
        with tenancy.for_agency(agency_id):
            result = db.session.get(MatchRun, run_id)
            assert result is not None
            if result.status != "finished":
                raise SystemExit(f"the run failed in {database.name}: {result.failure_detail}")
            return result.pairs


def measure(
    databases: list[Database], repeat: int, runs: int, say: Callable[[str], None] = print
) -> Results:
    """Runs first (they leave real proposals for the pages), then every page: the
    databases alternate, and which goes first alternates with each repetition."""
    results = Results()
    for database in databases:
        database.clients = {
            "coordinator": log_in(database.app, coordinator_login(database)),
            "admin": log_in(database.app, scale_data.ADMIN_EMAIL),
        }
    for k in range(runs):
        for database in databases[:: 1 if k % 2 == 0 else -1]:
            seconds, pairs = _timed(database, lambda d=database: matching_run(d))
            results.timing(RUN_LABEL, database.name).add(seconds, database.statements)
            say(f"  run {k + 1} {database.name}: {seconds:.2f} s, {pairs} proposals")
    for k in range(repeat):
        for who, label, template in PAGES:
            for database in databases[:: 1 if k % 2 == 0 else -1]:
                client, path = database.clients[who], database.path(template)
                seconds, answer = _timed(database, lambda c=client, p=path: c.get(p))
                if answer.status_code != 200:
                    raise SystemExit(f"{database.name} {path}: {answer.status_code}")
                results.timing(label, database.name).add(seconds, database.statements)
        say(f"  pages, repetition {k + 1} of {repeat} done")
    return results


def coordinator_login(database: Database) -> str:
    """The first coordinator of the measured agency."""
    with database.app.app_context(), tenancy.all_agencies():
        agency = db.session.get(Agency, database.probe.agency_id)
        assert agency is not None
        index = int(agency.slug.rsplit("-", 1)[1])
    return scale_data.coordinator_email(index)


def explain(database: Database, results: Results, say: Callable[[str], None] = print) -> None:
    """EXPLAIN ANALYZE of the slowest statement of each page in this database."""
    with database.app.app_context(), db.engine.connect() as conn:
        for label, by_name in results.timings.items():
            seconds, statement, parameters = by_name[database.name].slowest
            if not statement.lstrip().upper().startswith("SELECT"):
                continue
            plan = conn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", parameters)
            say(f"\n### {label}: {seconds * 1000:.1f} ms\n{statement}\n{parameters}")
            say("\n".join(row[0] for row in plan))
            conn.rollback()


# --------------------------------------------------------------------------- reporting


def table(results: Results, one: str, many: str) -> str:
    """The results as a Markdown table: best and median, ratio, SQL of the big database."""
    lines = [
        f"| what | {one}: best / median | {many}: best / median | ratio (best) "
        f"| SQL statements | slowest statement ({many}) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, by_name in results.timings.items():
        a, b = by_name[one], by_name[many]
        ms = 1000.0
        lines.append(
            f"| {label} | {a.best * ms:.0f} / {a.median * ms:.0f} ms "
            f"| {b.best * ms:.0f} / {b.median * ms:.0f} ms | {b.best / a.best:.2f} "
            f"| {a.statements} / {b.statements} | {b.slowest[0] * ms:.1f} ms |"
        )
    return "\n".join(lines)


def cache(server: Any, url: str, shared_buffers: str) -> None:
    """Give the throwaway server a cache of this size (a restart keeps its other options)."""
    if not re.fullmatch(r"\d+(kB|MB|GB)", shared_buffers):
        raise SystemExit(f"--shared-buffers {shared_buffers!r}: a size such as 1GB or 512MB")
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f"ALTER SYSTEM SET shared_buffers = '{shared_buffers}'")
    data, log = str(server.root / "data"), str(server.root / "server.log")
    server._run(str(server.bindir / "pg_ctl"), "-D", data, "-l", log, "-m", "fast", "-w", "restart")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--agencies", type=int, default=200)
    parser.add_argument("--volunteers", type=int, default=1500)
    parser.add_argument("--newcomers", type=int, default=1500)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--port", type=int, default=16500, help="first port to try for PostgreSQL")
    parser.add_argument(
        "--shared-buffers",
        default="1GB",
        help="PostgreSQL's cache; a server for many agencies gets one that holds the data "
        "(the package's default is 128MB)",
    )
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--write", type=Path, help="store the results as Markdown here")
    args = parser.parse_args()

    from tests.conftest import create_database
    from tests.pgserver import PostgresServer, _port_free

    began = perf_counter()
    shape = scale_data.Shape(args.agencies, args.volunteers, args.newcomers)
    measured = args.agencies // 2  # an agency in the middle of the id range
    now = datetime.now(UTC)
    server = PostgresServer()
    server.port = next(p for p in range(args.port, args.port + 100) if _port_free(p))
    many = f"{args.agencies} agencies"
    with tempfile.TemporaryDirectory(prefix="matcher-scale-") as jobs_dir:
        try:
            base = server.start()
            cache(server, base, args.shared_buffers)
            print(f"PostgreSQL on port {server.port}, shared_buffers {args.shared_buffers}")
            one = prepare(
                "1 agency",
                create_database(base, "scale_one"),
                [measured],
                measured,
                shape,
                now,
                jobs_dir,
            )
            big = prepare(
                many,
                create_database(base, "scale_all"),
                list(range(args.agencies)),
                measured,
                shape,
                now,
                jobs_dir,
            )
            with one.db.app.app_context(), db.engine.connect() as conn:
                version = conn.scalar(text("SHOW server_version"))
            print("measuring")
            load = os.getloadavg()[0]
            results = measure([one.db, big.db], args.repeat, args.runs)
            load = max(load, os.getloadavg()[0])
            if args.explain:
                explain(big.db, results)
            for prepared in (one, big):
                with prepared.db.app.app_context():
                    db.engine.dispose()
        finally:
            server.stop()
    total = perf_counter() - began
    report = table(results, one.db.name, many)
    print()
    print(report)
    print(f"\nwhole benchmark: {total / 60:.1f} min")
    if args.write:
        people = args.agencies * (args.volunteers + args.newcomers)
        args.write.write_text(
            f"# Scale benchmark\n\n"
            f"`.venv/bin/python benchmarks/scale.py --agencies {args.agencies} "
            f"--volunteers {args.volunteers} --newcomers {args.newcomers} --repeat {args.repeat}"
            f" --runs {args.runs}`, {now:%d %b %Y}, PostgreSQL {version} (a throwaway server "
            f"with shared_buffers {args.shared_buffers}, fsync off), Python "
            f"{platform.python_version()}, {platform.machine()} with {os.cpu_count()} cores "
            f"shared with other work (load average {load:.1f} while measuring).\n\n"
            f"Two databases side by side: one agency of {args.volunteers:,} volunteers and "
            f"{args.newcomers:,} newcomers, and {args.agencies} such agencies ({people:,} "
            f"people) containing the same agency. Times are best and median of "
            f"{args.repeat} repetitions ({args.runs} for the run), through the real app "
            f"(Flask test client); 'SQL statements' is one database / the other.\n\n"
            f"| database | rows | generated | written (COPY) | VACUUM ANALYZE |\n"
            f"|---|---:|---:|---:|---:|\n"
            + "".join(
                f"| {p.db.name} | {p.rows:,} | {p.generate_seconds:.0f} s "
                f"| {p.write_seconds:.0f} s | {p.analyze_seconds:.0f} s |\n"
                for p in (one, big)
            )
            + f"\n{report}\n\nWhole benchmark: {total / 60:.1f} min.\n"
        )


if __name__ == "__main__":
    main()
