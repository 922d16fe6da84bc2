"""Benchmark the largest list imports and exports, to decide whether they need the job queue.

Usage::

    .venv/bin/python benchmarks/lists.py [--volunteers 5000] [--newcomers 5000]
        [--repeat 3] [--database-url URL] [--only exports|imports] [--baseline REV]

Imports: an upload may be 2 MiB at most (`MAX_CONTENT_LENGTH`) and 20,000 rows. The
script writes the largest realistic lists that fit — a CSV of volunteers and one of
newcomers, each filled with generated people up to just under 2 MiB, and an XLSX of the
row limit — and times, as real requests of an admin (the app in-process through its test
client, so only the server's time counts): the upload (read and kept), the dry run (every
row checked) and the import (every row written, one transaction), each into a fresh
agency and once into the big agency where every email is new. A file above
`IMPORT_JOB_ROWS` rows is checked and imported by background jobs: then the request
that starts a job and the job itself (run here from the app's real queue, as a worker
does) are timed apart.

Exports: the demo agency with the given numbers of people, matched once (the open
proposals, and half of them turned into running Patenschaften), exported as every list in
XLSX and CSV, pseudonymised too, and the funder report as XLSX; and the admin's figures
page. Each is timed best of `--repeat`, with its rows and bytes.

With `--baseline REV` the import service of that git revision
(`matcher/services/lists/imports.py`) is loaded beside the current one and both import
the same largest CSVs into fresh agencies, alternating, in this one process: the
before/after of a change to the import, side by side on the same (noisy) machine.
`--only imports` skips the exports, `--only exports` the imports through the pages.

A step that takes more than a few seconds belongs on the job queue (issue 11).
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import io
import logging
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import openpyxl  # noqa: E402
from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from sqlalchemy import func, select, update  # noqa: E402

from matcher import create_app, jobs, jobs_tasks, tenancy  # noqa: E402
from matcher.demo import generate  # noqa: E402
from matcher.extensions import db  # noqa: E402
from matcher.models import Agency, Base, Match, User, today  # noqa: E402
from matcher.services.lists import imports as imports_now  # noqa: E402
from matcher.services.lists.import_fields import suggest_mapping  # noqa: E402
from matcher.services.lists.spreadsheet import read_table  # noqa: E402
from matcher.services.matching import runs  # noqa: E402
from matcher.services.platform import administration, demo  # noqa: E402

logging.getLogger("werkzeug").setLevel(logging.WARNING)
MAX_UPLOAD = 2 * 1024 * 1024
MAX_ROWS = 20_000
SLUG = "big"
LEVELS_DE = {"basic": "Grundkenntnisse", "good": "gut", "fluent": "fließend",
             "native": "Muttersprache"}  # fmt: skip
VOLUNTEER_HEADERS = ["Vorname", "Nachname", "E-Mail", "Telefon", "PLZ", "Alter", "Geschlecht",
                     "Sprachen", "Zeiten", "Themen", "Anzahl", "Einwilligung", "Einwilligung am",
                     "Hinweise erklärt auf"]  # fmt: skip
NEWCOMER_HEADERS = ["Nr", "Vorname", "Kontakt", "PLZ", "Alter", "Sprachen", "Zeiten", "Themen",
                    "Kinder", "Wartet seit", "Einwilligung", "Einwilligung am",
                    "Hinweise erklärt auf"]  # fmt: skip
GENDERS = {"female": "w", "male": "m", "diverse": "d", None: ""}


def _languages(person: generate.PersonData) -> str:
    return ", ".join(f"{code}:{level}" for code, level in person.languages.items())


def volunteer_rows(n: int, seed: int) -> list[list[str]]:
    """Generated volunteers as rows of an agency's old list (German headers, codes)."""
    rows = []
    for i, p in enumerate(generate.volunteers(n, seed, date(2026, 11, 26))):
        consent = i % 3 != 0
        rows.append([
            p.first_name, p.last_name, f"import-{seed}-{i}@example.org",
            f"+49 221 {100000 + i}", p.postcode, p.age_band, GENDERS.get(p.gender, ""),
            _languages(p), ", ".join(p.slots), ", ".join(p.topics), str(p.capacity),
            "ja" if consent else "nein", "12.03.2025" if consent else "",
            "Deutsch" if consent else "",
        ])  # fmt: skip
    return rows


def newcomer_rows(n: int, seed: int) -> list[list[str]]:
    """Generated newcomers as rows of an agency's old list."""
    rows = []
    for i, p in enumerate(generate.newcomers(n, seed, date(2026, 11, 26))):
        since = p.waiting_since or date(2026, 1, 1)
        rows.append([
            f"N-{seed}-{i:06d}", p.first_name, "über Sozialdienst, mit Dolmetschung",
            p.postcode, p.age_band, _languages(p), ", ".join(p.slots), ", ".join(p.topics),
            "ja" if p.minors else "nein", since.strftime("%d.%m.%Y"), "ja", "02.05.2025",
            "Arabisch",
        ])  # fmt: skip
    return rows


def as_csv(headers: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def as_xlsx(headers: list[str], rows: list[list[str]]) -> bytes:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def largest_csv(headers: list[str], make: Callable[[int, int], list[list[str]]],
                seed: int) -> tuple[bytes, int]:  # fmt: skip
    """The largest CSV of generated rows under the upload limit, and its row count."""
    rows = make(MAX_ROWS, seed)
    lo, hi = 1, len(rows)
    while lo < hi:  # the most rows whose file fits
        mid = (lo + hi + 1) // 2
        if len(as_csv(headers, rows[:mid])) <= MAX_UPLOAD - 4096:  # room for the form
            lo = mid
        else:
            hi = mid - 1
    return as_csv(headers, rows[:lo]), lo


class Timing(NamedTuple):
    """Wall-clock seconds of a step, and this process's CPU seconds: on a machine shared
    with other load the CPU time is the portable measure of the work."""

    wall: float
    cpu: float


def best(times: list[Timing]) -> str:
    fastest = min(times)
    return f"{fastest.wall:.2f} s wall, {fastest.cpu:.2f} s CPU"


def timed(action: Callable[[], Any]) -> tuple[Timing, Any]:
    started, cpu = time.perf_counter(), time.process_time()
    result = action()
    return Timing(time.perf_counter() - started, time.process_time() - cpu), result


def _mapping(kind: str, headers: list[str]) -> dict[str, str]:
    return {
        f"map_{name}": "" if column is None else str(column)
        for name, column in suggest_mapping(kind, headers).items()
    }


def import_once(app: Flask, client: FlaskClient, agency_id: int, kind: str, name: str,
                data: bytes, headers: list[str], rows: int) -> dict[str, Timing]:  # fmt: skip
    """Upload, dry run and import one file as an admin; the seconds of each step.

    A file above `IMPORT_JOB_ROWS` rows is checked and imported by background jobs: the
    request only starts one ("check", "import"), and the job is timed on its own
    ("check job", "import job"), run here as a worker would, from the app's real queue.
    """
    upload_s, response = timed(lambda: client.post(
        "/admin/imports",
        data={"agency": str(agency_id), "kind": kind, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    ))  # fmt: skip
    if response.status_code != 302:
        raise SystemExit(f"the upload answered {response.status_code}")
    url = response.headers["Location"]
    mapping = _mapping(kind, headers)
    times = {"upload": upload_s}
    check_s, dry = timed(lambda: client.post(url, data={**mapping, "check": "1"}))
    times["check"] = check_s
    if dry.status_code == 302:  # a background job: run it, then read its page
        times["check job"], dry = _job(app, client, dry.headers["Location"])
    page = dry.get_data(as_text=True)
    if dry.status_code != 200 or f"{rows} neu" not in page.replace(".", ""):
        found = re.search(r"<h2>(\d+ Probleme?)</h2>", page)
        raise SystemExit(f"the dry run did not find {rows} new rows: {found and found.group(1)}")
    run_s, done = timed(lambda: client.post(url, data={**mapping, "run": "1"}))
    times["import"] = run_s
    if done.status_code != 302:
        raise SystemExit(f"the import answered {done.status_code}")
    if "/imports/jobs/" in done.headers["Location"]:
        times["import job"], done = _job(app, client, done.headers["Location"])
        if "Importiert: " not in done.get_data(as_text=True):
            raise SystemExit("the import job did not import")
    return times


def _job(app: Flask, client: FlaskClient, url: str) -> tuple[Timing, Any]:
    """Run the job waiting on the queue as a worker does; its time, and its page after."""
    huey = jobs.queue(app)
    task = huey.dequeue()
    if task is None:
        raise SystemExit("no job was queued")
    seconds, _ = timed(lambda: huey.execute(task))
    return seconds, client.get(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--volunteers", type=int, default=5000)
    parser.add_argument("--newcomers", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", default="")
    parser.add_argument(
        "--baseline",
        default="",
        metavar="REV",
        help="also time the import service of this git revision, side by side",
    )
    parser.add_argument("--only", choices=("exports", "imports"), default="")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        app = create_app({
            "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False,
            "WTF_CSRF_ENABLED": False, "JOBS_URL": f"sqlite:///{Path(tmp) / 'jobs.sqlite'}",
            "IMPORT_STASH_DIR": str(Path(tmp) / "imports"),
            # The benchmark's admin signs in by password; the second factor is timed nowhere.
            "TOTP_REQUIRED_FOR_ADMINS": False,
        })  # fmt: skip
        admin_email, admin_password, agency_id = _load(app, args)
        client = app.test_client()
        login = client.post("/login", data={"email": admin_email, "password": admin_password})
        assert login.status_code == 302, "the admin could not log in"
        try:
            if args.only != "imports":
                _exports(client, agency_id, args.repeat)
            if args.only != "exports":
                _imports(app, client, agency_id, args.repeat)
            if args.baseline:
                _compare(app, admin_email, args.baseline, args.repeat)
        finally:
            with app.app_context():
                db.engine.dispose()


def _load(app: Flask, args: argparse.Namespace) -> tuple[str, str, int]:
    """The demo agency with its people, matched once; half the proposals running."""
    t0 = time.perf_counter()
    with app.app_context(), tenancy.all_agencies():
        Base.metadata.create_all(db.engine)
        agency = demo.load(SLUG, args.volunteers, args.newcomers, 1, date.today())
        if agency is None:
            raise SystemExit("the database already has the benchmark agency; use an empty one")
        logins = {role: (email, pw) for role, email, pw in demo.reset_logins(SLUG)}
        agency_id = agency.id
        run_id = runs.start(agency, None, on=today(), background=False).run.id
        db.session.commit()
    with app.app_context():
        jobs_tasks.perform_run(run_id, agency_id)
    with app.app_context(), tenancy.all_agencies():
        ids = db.session.scalars(select(Match.id).where(Match.status == "proposed")).all()
        db.session.execute(
            update(Match).where(Match.id.in_(ids[::2])).values(status="active", version=3)
        )
        db.session.commit()
        counts = db.session.execute(select(Match.status, func.count()).group_by(Match.status)).all()
    print(f"loaded {args.volunteers} volunteers and {args.newcomers} newcomers, matched "
          f"({dict(counts)}), in {time.perf_counter() - t0:.1f} s ({url_kind(app)})")  # fmt: skip
    email, password = logins["admin"]
    return email, password, agency_id


def url_kind(app: Flask) -> str:
    return str(app.config["SQLALCHEMY_DATABASE_URI"]).split(":", 1)[0]


def _fresh_agency(app: Flask, name: str) -> int:
    with app.app_context(), tenancy.all_agencies():
        agency = administration.create_agency(name, name.title(), city="Köln")
        db.session.commit()
        return int(agency.id)


def _imports(app: Flask, client: FlaskClient, big_id: int, repeat: int) -> None:
    files = []
    data, n = largest_csv(VOLUNTEER_HEADERS, volunteer_rows, seed=7)
    files.append(("volunteers", "paten.csv", data, n, VOLUNTEER_HEADERS))
    data, n = largest_csv(NEWCOMER_HEADERS, newcomer_rows, seed=8)
    files.append(("newcomers", "neu.csv", data, n, NEWCOMER_HEADERS))
    rows = volunteer_rows(MAX_ROWS, seed=9)
    data = as_xlsx(VOLUNTEER_HEADERS, rows)
    if len(data) > MAX_UPLOAD - 4096:
        raise SystemExit(f"{MAX_ROWS} volunteers make {len(data)} bytes of XLSX, over the limit")
    files.append(("volunteers", "paten.xlsx", data, MAX_ROWS, VOLUNTEER_HEADERS))

    steps = ("upload", "check", "check job", "import", "import job")
    print(f"\nimports (best of {repeat}; {' / '.join(steps)}; a job only above "
          f"{app.config['IMPORT_JOB_ROWS']:,} rows):")  # fmt: skip
    for kind, name, data, n, headers in files:
        measured: dict[str, list[Timing]] = {}
        for i in range(repeat):
            agency_id = _fresh_agency(app, f"import-{name.replace('.', '-')}-{i}")
            for step, seconds in import_once(
                app, client, agency_id, kind, name, data, headers, n
            ).items():
                measured.setdefault(step, []).append(seconds)
        print(f"  {name:11} {kind:10} {n:6,} rows {len(data) / 2**20:4.2f} MiB:")
        for step in steps:
            if step in measured:
                print(f"    {step:10} {best(measured[step])}")
    # Into the big agency: every row is checked against its 5,000 people (all new here).
    kind, name, data, n, headers = files[0]
    once = import_once(app, client, big_id, kind, name, data, headers, n)
    print(
        f"  {name:11} into the agency of {SLUG!r}: "
        + " / ".join(f"{step} {best([once[step]])}" for step in steps if step in once)
    )


def _module_at(rev: str) -> ModuleType:
    """The import service as it was at git revision `rev`, loaded as a module of its own."""
    path = "matcher/services/lists/imports.py"
    source = subprocess.run(["git", "show", f"{rev}:{path}"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout  # fmt: skip
    spec = importlib.util.spec_from_loader("matcher.services.lists.imports_baseline", loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look themselves up there
    exec(compile(source, f"{rev}:{path}", "exec"), module.__dict__)  # noqa: S102
    return module


def _compare(app: Flask, admin_email: str, rev: str, repeat: int) -> None:
    """The import service of `rev` and of the work tree, each importing the same largest
    CSVs into fresh agencies, alternating; the request's commit is timed with it."""
    services = {f"{rev[:12]} (before)": _module_at(rev), "work tree (after)": imports_now}
    print(f"\nimport service side by side (best of {repeat}; check and write, committed):")
    for kind, name, headers, make, seed in (
        ("volunteers", "paten.csv", VOLUNTEER_HEADERS, volunteer_rows, 11),
        ("newcomers", "neu.csv", NEWCOMER_HEADERS, newcomer_rows, 12),
    ):
        data, n = largest_csv(headers, make, seed)
        table = read_table(name, data)
        mapping = suggest_mapping(kind, headers)
        times: dict[str, list[Timing]] = {label: [] for label in services}
        for i in range(repeat):
            for label, module in services.items():
                agency_id = _fresh_agency(app, f"cmp-{kind}-{i}-{label.split()[0]}")
                with app.test_request_context(), tenancy.for_agency(agency_id):
                    agency = db.session.get(Agency, agency_id)
                    actor = db.session.scalar(select(User).where(User.email == admin_email))

                    def work(m: ModuleType = module, a: Any = agency, u: Any = actor,
                             k: str = kind, t: Any = table, c: Any = mapping) -> Any:  # fmt: skip
                        plan = m.run(k, a, t, c, u)
                        db.session.commit()
                        return plan

                    seconds, plan = timed(work)
                    if not plan.ok or plan.new != n:
                        raise SystemExit(f"{label} did not import {n} {kind}: {plan.errors[:3]}")
                times[label].append(seconds)
        for label in services:
            print(f"  {name:11} {kind:10} {n:6,} rows  {label:24} {best(times[label])}")


def _exports(client: FlaskClient, agency_id: int, repeat: int) -> None:
    print(f"\nexports of the big agency (best of {repeat}):")
    cases = [(kind, fmt, False) for kind in ("volunteers", "newcomers", "matches")
             for fmt in ("xlsx", "csv")]  # fmt: skip
    cases += [("volunteers", "xlsx", True), ("matches", "xlsx", True)]
    for kind, fmt, pseudonymised in cases:
        data = {"agency": str(agency_id), "kind": kind, "fmt": fmt, "delimiter": ";",
                "status": ""}  # fmt: skip
        if pseudonymised:
            data["pseudonymised"] = "y"
        times, size = [], 0
        for _ in range(repeat):
            seconds, response = timed(lambda d=data: client.post("/admin/exports", data=d))
            if response.status_code != 200:
                raise SystemExit(f"the export answered {response.status_code}")
            size = len(response.data)
            times.append(seconds)
        label = f"{kind} {fmt}" + (" pseudonymised" if pseudonymised else "")
        print(f"  {label:30} {size / 2**20:5.2f} MiB  {best(times)}")
    year = date.today().year
    report = {"agency": str(agency_id), "date_from": f"{year}-01-01",
              "date_to": date.today().isoformat()}  # fmt: skip
    times = []
    for _ in range(repeat):
        seconds, response = timed(lambda: client.post("/admin/figures/report.xlsx", data=report))
        assert response.status_code == 200, response.status_code
        times.append(seconds)
    print(f"  {'funder report xlsx':30} {len(response.data) / 2**20:5.2f} MiB  {best(times)}")
    times = []
    for _ in range(repeat):
        seconds, response = timed(lambda: client.get(f"/admin/figures?agency={agency_id}"))
        assert response.status_code == 200, response.status_code
        times.append(seconds)
    print(f"  {'figures page':30} {'':10} {best(times)}")


if __name__ == "__main__":
    main()
