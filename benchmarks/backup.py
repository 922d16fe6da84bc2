"""Benchmark `flask backup create` and `flask backup restore` on SQLite and PostgreSQL.

Usage::

    .venv/bin/python benchmarks/backup.py [--backends sqlite,postgresql] [--people 10000]
        [--repeat 3]

For each backend it makes a migrated database (SQLite in a temporary folder; PostgreSQL on
a throwaway server started like the tests', `tests/pgserver.py`), loads the demo agency
with --people volunteers and as many newcomers, then times, best of --repeat: `backup
create` (the real command), `backup check`, and `backup restore --yes` into a fresh, empty
database. It prints the sizes of the database and of the backup file.
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

from flask import Flask  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import text  # noqa: E402

from matcher import create_app, tenancy  # noqa: E402
from matcher.database import MIGRATIONS_DIR  # noqa: E402
from matcher.extensions import db  # noqa: E402
from matcher.services.platform import demo  # noqa: E402

logging.getLogger("alembic").setLevel(logging.WARNING)


def site(url: str, instance: Path) -> Flask:
    instance.mkdir(exist_ok=True)
    (instance / "secret_key").write_text("bench-key\n")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-key"})
    app.instance_path = str(instance)
    return app


def best(repeat: int, run: Callable[[int], None]) -> float:
    times = []
    for i in range(repeat):
        started = time.perf_counter()
        run(i)
        times.append(time.perf_counter() - started)
    return min(times)


def database_size(app: Flask, url: str) -> int:
    if url.startswith("sqlite:///"):
        return Path(url.removeprefix("sqlite:///")).stat().st_size
    with app.app_context():
        return int(db.session.scalar(text("SELECT pg_database_size(current_database())")) or 0)


def bench(backend: str, tmp: Path, people: int, repeat: int, fresh: Callable[[str], str]) -> dict:
    source_url = fresh("source")
    source = site(source_url, tmp / f"{backend}-source")
    with source.app_context(), tenancy.all_agencies():
        upgrade(directory=str(MIGRATIONS_DIR))
        demo.load("bench", people, people, 1, date.today())
        db.session.commit()
        db.engine.dispose()
    row: dict[str, str] = {"backend": backend}
    row["database"] = f"{database_size(source, source_url) / 2**20:.1f} MiB"
    runner = source.test_cli_runner()
    archive = tmp / f"{backend}.tar.gz"

    def create(_: int) -> None:
        result = runner.invoke(args=["backup", "create", str(archive), "--overwrite"])
        assert result.exit_code == 0, result.output

    row["create"] = f"{best(repeat, create):.2f} s"
    row["file"] = f"{archive.stat().st_size / 2**20:.1f} MiB"

    def check(_: int) -> None:
        result = runner.invoke(args=["backup", "check", str(archive)])
        assert result.exit_code == 0, result.output

    row["check"] = f"{best(repeat, check):.2f} s"

    def restore(i: int) -> None:
        target = site(fresh(f"restored{i}"), tmp / f"{backend}-target{i}")
        result = target.test_cli_runner().invoke(args=["backup", "restore", str(archive), "--yes"])
        assert result.exit_code == 0, result.output
        with target.app_context():
            db.engine.dispose()

    row["restore"] = f"{best(repeat, restore):.2f} s"
    with source.app_context():
        db.engine.dispose()
    print(f"  {row}")
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="matcher-backup-bench-") as name:
        tmp = Path(name)
        for backend in args.backends.split(","):
            print(f"{backend}:")
            if backend == "sqlite":
                rows.append(
                    bench(backend, tmp, args.people, args.repeat,
                          lambda db_name: f"sqlite:///{tmp / db_name}.sqlite")
                )  # fmt: skip
                continue
            from tests.conftest import create_database
            from tests.pgserver import PostgresServer

            server = PostgresServer()
            try:
                server_url = server.start()

                def fresh(db_name: str, server_url: str = server_url) -> str:
                    return create_database(server_url, f"bench_{db_name}")

                rows.append(bench(backend, tmp, args.people, args.repeat, fresh))
            finally:
                server.stop()
    people = f"{args.people:,} volunteers + {args.people:,} newcomers"
    print(f"\nbackup of the demo agency with {people}, best of {args.repeat}\n")
    print("| backend | database | backup file | create | check | restore into an empty database |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['backend']} | {r['database']} | {r['file']} | {r['create']} | {r['check']} |"
              f" {r['restore']} |")  # fmt: skip


if __name__ == "__main__":
    main()
