"""Benchmark the likely-duplicates search of one agency (SQLite).

Usage::

    .venv/bin/python benchmarks/duplicates.py [--people 2000] [--repeat 5]

Loads the demo agency with --people volunteers and as many newcomers into a migrated
SQLite database, then times, best of --repeat: the agency's whole duplicates page data
(`duplicates.find_all`, volunteers and newcomers) and one person's duplicates
(`duplicates.of`, asked on every view of a person's page), with the flagged people loaded.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import select  # noqa: E402

from matcher import create_app, tenancy  # noqa: E402
from matcher.database import MIGRATIONS_DIR  # noqa: E402
from matcher.extensions import db  # noqa: E402
from matcher.models import Volunteer  # noqa: E402
from matcher.services.people import duplicates  # noqa: E402
from matcher.services.platform import demo  # noqa: E402

logging.getLogger("alembic").setLevel(logging.WARNING)


def best(repeat: int, run: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        db.session.expunge_all()
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-key"})
        with app.app_context(), tenancy.all_agencies():
            upgrade(directory=str(MIGRATIONS_DIR))
            agency = demo.load("bench", args.people, args.people, 1, date.today())
            db.session.commit()
            assert agency is not None
            agency_id = agency.id
        with app.app_context(), tenancy.for_agency(agency_id):
            person = db.session.scalars(select(Volunteer).limit(1)).one()
            found = duplicates.find_all()
            whole = best(args.repeat, duplicates.find_all)
            one = best(args.repeat, lambda: duplicates.of(db.session.merge(person)))
        print(
            f"{args.people} volunteers + {args.people} newcomers (SQLite), best of {args.repeat}:"
        )
        volunteers, newcomers = len(found["volunteer"]), len(found["newcomer"])
        print(f"  flagged: {volunteers} volunteer pairs, {newcomers} newcomer pairs")
        print(f"  duplicates page (find_all): {whole * 1000:.0f} ms")
        print(f"  one person's page (of):     {one * 1000:.0f} ms")


if __name__ == "__main__":
    main()
