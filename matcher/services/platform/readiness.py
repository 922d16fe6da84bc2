"""Is this instance ready to do its work: the checks behind /readyz and the state behind /metrics.

`/healthz` only asks whether the database answers (`health.database_answers`). Readiness
asks more, each check on its own so one failure names itself:

- database: a write that is rolled back (an UPDATE of no row), so a read-only database
  (a read-only SQLite file, a PostgreSQL standby or `default_transaction_read_only`) fails;
- migrations: the database's Alembic revision is the code's head;
- outbox: the oldest mail still waiting is younger than `READYZ_OUTBOX_MAX_AGE_SECONDS`;
- queue: the job queue answers (and holds at most `READYZ_QUEUE_MAX_DEPTH` jobs, if set);
- rate_limit_storage: Redis answers, when rate limits are kept there;
- disk: at least `READYZ_MIN_FREE_MB` free under the instance folder and the SQLite file's.

Every check is bounded by short timeouts, reads no personal data and reports counts, ages
and fixed reasons only, so the answer may be public and polled every few seconds.
"""

from __future__ import annotations

import functools
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import current_app
from sqlalchemy import Connection, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from matcher import jobs
from matcher.database import MIGRATIONS_DIR, SQLITE_BUSY_TIMEOUT_MS, driver_message, is_sqlite
from matcher.extensions import db
from matcher.models import MatchRun, OutboxMessage, utcnow

# A readiness probe must answer quickly even when the database is busy or a lock is held.
WRITE_CHECK_TIMEOUT_MS = 2000


@dataclass
class Check:
    """The outcome of one check: ok or not, why not, and a few figures."""

    name: str
    ok: bool
    reason: str = ""
    figures: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The check as JSON: `{"ok": …, "reason": …, …figures}`."""
        out: dict[str, Any] = {"ok": self.ok, **self.figures}
        if self.reason:
            out["reason"] = self.reason
        return out


@dataclass
class State:
    """Figures for /metrics; a None or False says the source did not answer."""

    database_ok: bool = False
    outbox_pending: int = 0
    outbox_oldest_age_seconds: float | None = None
    runs_by_status: dict[str, int] = field(default_factory=dict)
    queue_depth: int | None = None


def checks() -> list[Check]:
    """Run every readiness check of the current app; never raises."""
    config = current_app.config
    found: list[Check] = []
    try:
        with db.engine.connect() as conn:
            found.append(_database_writable(conn))
            found.append(_migrations_at_head(conn))
            found.append(_outbox(conn, config.get("READYZ_OUTBOX_MAX_AGE_SECONDS")))
    except SQLAlchemyError as e:
        reason = "the database does not answer: " + driver_message(e)
        done = {c.name for c in found}
        found += [Check(n, False, reason) for n in ("database", "migrations", "outbox")
                  if n not in done]  # fmt: skip
    found.append(_queue(config.get("READYZ_QUEUE_MAX_DEPTH")))
    if (storage := _rate_limit_storage()) is not None:
        found.append(storage)
    found.append(_disk(int(config["READYZ_MIN_FREE_MB"])))
    return found


def state() -> State:
    """Outbox backlog, runs by status and queue depth, as far as their sources answer."""
    out = State()
    try:
        with db.engine.connect() as conn:
            out.outbox_pending, oldest = _outbox_backlog(conn)
            if oldest is not None:
                out.outbox_oldest_age_seconds = max(0.0, (utcnow() - oldest).total_seconds())
            rows = conn.execute(select(MatchRun.status, func.count()).group_by(MatchRun.status))
            out.runs_by_status = {str(status): int(count) for status, count in rows}
            out.database_ok = True
    except SQLAlchemyError:
        out.database_ok = False
    try:
        out.queue_depth = jobs.depth()
    except Exception:  # any storage error: the queue did not answer
        out.queue_depth = None
    return out


# --------------------------------------------------------------------------- the checks


def _database_writable(conn: Connection) -> Check:
    """An UPDATE that matches no row still needs write access; it is rolled back at once."""
    sqlite = is_sqlite(conn.engine)
    try:
        if sqlite:
            conn.exec_driver_sql(f"PRAGMA busy_timeout={WRITE_CHECK_TIMEOUT_MS}")
        else:
            conn.exec_driver_sql(f"SET LOCAL statement_timeout = {WRITE_CHECK_TIMEOUT_MS}")
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = {WRITE_CHECK_TIMEOUT_MS // 2}")
        conn.execute(text("UPDATE agencies SET id = id WHERE 1 = 0"))
    except SQLAlchemyError as e:
        conn.rollback()
        # Never hand this connection out again: it may be read-only, locked up or broken.
        conn.invalidate()
        return Check("database", False, "the database refused a write: " + driver_message(e))
    conn.rollback()
    if sqlite:
        conn.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        conn.rollback()
    return Check("database", True)


@functools.cache
def _script_heads(directory: str) -> tuple[frozenset[str], ScriptDirectory]:
    """The migrations' heads; read once per process (new code means a new process)."""
    config = Config()
    config.set_main_option("script_location", directory)
    script = ScriptDirectory.from_config(config)
    return frozenset(script.get_heads()), script


def _migrations_at_head(conn: Connection) -> Check:
    heads, script = _script_heads(str(MIGRATIONS_DIR))
    current = frozenset(MigrationContext.configure(conn).get_current_heads())
    conn.rollback()
    figures = {"database": sorted(current), "code": sorted(heads)}
    if current == heads:
        return Check("migrations", True, figures=figures)
    if not current:
        return Check("migrations", False, "the database has no migrations applied: run "
                     "`flask db upgrade`", figures)  # fmt: skip
    try:
        known = all(script.get_revision(rev) is not None for rev in current)
    except CommandError:
        known = False
    if not known:
        return Check("migrations", False, "the database is at a revision this code does not "
                     "know (newer code migrated it?)", figures)  # fmt: skip
    return Check("migrations", False, "migrations are behind head: run `flask db upgrade`",
                 figures)  # fmt: skip


def _outbox_backlog(conn: Connection) -> tuple[int, datetime | None]:
    count, oldest = conn.execute(
        select(func.count(), func.min(OutboxMessage.created_at)).where(
            OutboxMessage.status == "pending"
        )
    ).one()
    conn.rollback()
    return int(count), oldest


def _outbox(conn: Connection, max_age: float | None) -> Check:
    pending, oldest = _outbox_backlog(conn)
    age = max(0.0, (utcnow() - oldest).total_seconds()) if oldest is not None else 0.0
    figures = {"pending": pending, "oldest_pending_seconds": round(age)}
    if max_age is not None and age > float(max_age):
        reason = f"the oldest pending mail waits for {round(age)} s (limit {round(max_age)} s)"
        return Check("outbox", False, reason, figures)
    return Check("outbox", True, figures=figures)


def _queue(max_depth: int | None) -> Check:
    try:
        depth = jobs.depth()
    except Exception as e:  # any storage error: the queue's storage does not answer
        return Check("queue", False, "the job queue does not answer: " + driver_message(e))
    if max_depth is not None and depth > int(max_depth):
        return Check("queue", False, f"{depth} jobs wait (limit {max_depth})", {"depth": depth})
    return Check("queue", True, figures={"depth": depth})


def _rate_limit_storage() -> Check | None:
    """Ping the rate limits' storage when it is a server (Redis); None for memory://."""
    uri = str(current_app.config.get("RATELIMIT_STORAGE_URI") or "memory://")
    if uri.startswith("memory://"):
        return None
    storage = current_app.extensions.get("matcher.readiness.ratelimit_storage")
    if storage is None:
        from limits.storage import storage_from_string

        options = dict(current_app.config.get("RATELIMIT_STORAGE_OPTIONS") or {})
        storage = storage_from_string(uri, **options)
        current_app.extensions["matcher.readiness.ratelimit_storage"] = storage
    if storage.check():
        return Check("rate_limit_storage", True)
    # Never the URI itself: it may hold a password.
    return Check("rate_limit_storage", False, "the rate-limit storage (Redis) does not answer; "
                 "rate limits fall back to each worker's memory")  # fmt: skip


def _disk(min_free_mb: int) -> Check:
    folders = {"instance": Path(current_app.instance_path)}
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        path = url.database.removeprefix("file:").split("?", 1)[0]
        folders["database"] = Path(path).resolve().parent
    figures: dict[str, Any] = {}
    short: list[str] = []
    for name, folder in folders.items():
        try:
            free_mb = shutil.disk_usage(folder).free // (1024 * 1024)
        except OSError as e:
            short.append(f"the {name} folder cannot be read ({type(e).__name__})")
            continue
        figures[f"{name}_free_mb"] = free_mb
        if free_mb < min_free_mb:
            short.append(f"only {free_mb} MB free for the {name} folder (limit {min_free_mb} MB)")
    return Check("disk", not short, "; ".join(short), figures)
