"""Database engine settings: SQLite gets foreign keys, WAL and a busy timeout.

Outages heal by themselves: every pooled connection is pinged before use (a PostgreSQL
restart leaves only dead ones), a connection to PostgreSQL gives up after
`DATABASE_CONNECT_TIMEOUT_SECONDS`, and a SQLite connection that found its file read-only
is thrown away, so the next one sees the file as it is now.
"""

import contextlib
import logging
import os
import sqlite3
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine, ExceptionContext, make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 10_000


# SQLite errors after which a connection is not reused: it was opened read-only (the file
# or folder was not writable then) or its file went away; a new one may do better.
SQLITE_STALE_CONNECTION = ("attempt to write a readonly database", "disk I/O error",
                           "unable to open database file")  # fmt: skip


def engine_options(app: Flask) -> None:
    """Add the engine options outages need to `SQLALCHEMY_ENGINE_OPTIONS` (before `db.init_app`).

    An operator's own options win.
    """
    options: dict[str, Any] = {
        "pool_pre_ping": True,
        # Exceptions (and so logs) never carry the values of a statement: names, addresses.
        "hide_parameters": True,
        **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}),
    }
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "postgresql" and "connect_timeout" not in url.query:
        timeout = int(app.config["DATABASE_CONNECT_TIMEOUT_SECONDS"])
        options["connect_args"] = {"connect_timeout": timeout, **options.get("connect_args", {})}
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def configure(app: Flask) -> None:
    """Apply per-backend settings to the app's engine."""
    with app.app_context():
        from matcher.extensions import db

        event.listen(db.engine, "connect", _on_connect)
        event.listen(db.engine, "handle_error", _on_error)
        if is_sqlite(db.engine):
            _create_private(db.engine.url.database)
        if not event.contains(db.session, "after_commit", _checkpoint_after_erasure):
            event.listen(db.session, "after_commit", _checkpoint_after_erasure)


#: `Session.info` key an erasure sets: after its commit, the WAL is written back and emptied.
ERASED = "matcher.erased"


def _create_private(database: str | None) -> None:
    """Create a SQLite database file readable by its owner only (L11): SQLite would create
    it with the process's umask, usually world-readable. Its -wal and -shm files take the
    database file's permissions."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    with contextlib.suppress(FileExistsError, FileNotFoundError):
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _checkpoint_after_erasure(session: Any) -> None:
    """After an erasure is committed on SQLite, copy the WAL into the database file and
    truncate it: the erased values would otherwise stay in the WAL's old pages until the
    next automatic checkpoint (L11). `secure_delete` has zeroed them in the file itself."""
    if not session.info.pop(ERASED, False):
        return
    bind = session.get_bind()
    engine = bind.engine if hasattr(bind, "engine") else bind
    if not is_sqlite(engine):
        return
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    except SQLAlchemyError:
        # The erasure is committed; the next automatic checkpoint writes the WAL back.
        logging.getLogger(__name__).warning("the WAL could not be checkpointed after an erasure")


def _on_error(context: ExceptionContext) -> None:
    """Treat a SQLite connection stuck read-only like a lost one: the pool replaces it."""
    error = context.original_exception
    if isinstance(error, sqlite3.Error) and any(m in str(error) for m in SQLITE_STALE_CONNECTION):
        context.is_disconnect = True


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        # WAL lets readers go on while one writer writes; in-memory databases keep "memory".
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Deleted and overwritten content is zeroed in the file, not left in free pages:
        # after an erasure the person's data must be gone from the disk too (L11).
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()


def is_sqlite(engine: Engine) -> bool:
    """True when the engine talks to SQLite."""
    return engine.dialect.name == "sqlite"


def is_unavailable(error: BaseException) -> bool:
    """Whether an error means the database cannot be reached or written just now.

    Operational and interface errors of the driver (connection refused or lost, server
    shutting down, "database is locked", "disk is full", a read-only database), a
    connection the pool had to invalidate, and a pool with no connection left to give.
    Programming errors and constraint violations are not.
    """
    if isinstance(error, PoolTimeoutError):
        return True
    if isinstance(error, DBAPIError):
        return error.connection_invalidated or isinstance(error, OperationalError | InterfaceError)
    return False


def safe_rollback() -> None:
    """Undo the session's work; on a broken connection there is nothing left to undo."""
    from matcher.extensions import db

    try:
        db.session.rollback()
    except SQLAlchemyError as e:
        if not is_unavailable(e):
            raise


def driver_message(error: BaseException) -> str:
    """The first line of the database driver's message (no SQL, no parameters), shortened."""
    original = getattr(error, "orig", None) or error
    lines = str(original).strip().splitlines()
    first = lines[0] if lines else type(original).__name__
    return first[:200]
