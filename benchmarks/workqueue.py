"""Benchmark of "Heute zu tun": each kind of the work queue against the rest of the dashboard,
side by side in one run, on one large agency.

Usage::

    .venv/bin/python benchmarks/workqueue.py [--volunteers 5000] [--newcomers 5000]
        [--repeat 7] [--postgres] [--port 16560]

It fills one agency (`benchmarks/scale_data.py`: the demo mix with two years of history)
in a fresh SQLite file, or with `--postgres` in a throwaway PostgreSQL server
(`tests/pgserver.py`), migrated with `flask db upgrade`, and then measures, alternating
so the machine's noise hits all alike, the best and median of `--repeat` repetitions of:

* each kind of `workqueue.kind` (a COUNT and the first five items),
* `workqueue.today_list` (all six: what the dashboard adds),
* `views.overview` (the rest of the dashboard's figures, older than the work queue),
* the whole dashboard page through the app (Flask's test client, logged in).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import scale, scale_data  # noqa: E402
from matcher import tenancy  # noqa: E402
from matcher.extensions import db  # noqa: E402
from matcher.models import Agency, today  # noqa: E402
from matcher.services.matching import views, workqueue  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--volunteers", type=int, default=5000)
    parser.add_argument("--newcomers", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--port", type=int, default=16560)
    args = parser.parse_args()
    shape = scale_data.Shape(1, args.volunteers, args.newcomers)
    server = None
    with tempfile.TemporaryDirectory(prefix="matcher-workqueue-") as tmp:
        try:
            if args.postgres:
                from tests.conftest import create_database
                from tests.pgserver import PostgresServer, _port_free

                server = PostgresServer()
                server.port = next(p for p in range(args.port, args.port + 100) if _port_free(p))
                url = create_database(server.start(), "workqueue")
            else:
                url = f"sqlite:///{tmp}/workqueue.sqlite"
            prepared = scale.prepare(
                "one", url, [0], 0, shape, datetime.now(UTC), tmp, say=lambda s: None
            )
            database = prepared.db
            app, agency_id = database.app, database.probe.agency_id
            client = scale.log_in(app, scale_data.coordinator_email(0))
            on = today()

            def in_scope(work: Callable[[], Any]) -> Callable[[], Any]:
                def run() -> Any:
                    with app.app_context(), tenancy.for_agency(agency_id):
                        return work()

                return run

            def overview() -> Any:
                agency = db.session.get(Agency, agency_id)
                return views.overview(agency, on)

            actions: dict[str, Callable[[], Any]] = {
                f"kind {name}": in_scope(
                    lambda name=name: workqueue.kind(agency_id, name, on)  # type: ignore[misc]
                )
                for name in workqueue.KINDS
            }
            actions["today_list (all six kinds)"] = in_scope(
                lambda: workqueue.today_list(agency_id, on)
            )
            actions["views.overview (the older figures)"] = in_scope(overview)
            actions["GET /dashboard (whole page)"] = lambda: client.get("/dashboard")
            with app.app_context(), tenancy.for_agency(agency_id):
                counts = workqueue.counts(agency_id, on)
            results = {label: [] for label in actions}  # type: dict[str, list[float]]
            for k in range(args.repeat):
                order = list(actions.items())
                for label, action in order if k % 2 == 0 else reversed(order):
                    started = perf_counter()
                    action()
                    results[label].append(perf_counter() - started)
            with app.app_context():
                db.engine.dispose()
        finally:
            if server is not None:
                server.stop()
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(f"{backend}, one agency of {args.volunteers} volunteers and {args.newcomers} "
          f"newcomers ({prepared.rows:,} rows); counts: {counts}")  # fmt: skip
    print("| what | best | median |\n|---|---:|---:|")
    for label, times in results.items():
        best, median = min(times) * 1000, statistics.median(times) * 1000
        print(f"| {label} | {best:.0f} ms | {median:.0f} ms |")


if __name__ == "__main__":
    main()
