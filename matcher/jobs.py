"""The background job queue: Huey, on a SQLite file by default, on Redis when configured.

`JOBS_URL` chooses the storage: `sqlite:///PATH` (the default, `instance/jobs.sqlite`,
no extra service) or `redis://HOST:PORT/DB` when several hosts share the work. The web
app only enqueues; `flask jobs work` consumes. Tasks are registered on the app's queue
by `matcher.jobs_tasks` (see there), each running in an app context as one unit of work.

A job that belongs to a database change is put on the queue only once that change has
committed (`enqueue_after_commit`): a worker never picks up a job whose row it cannot
see yet, and a rolled-back request leaves no job behind.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from huey import RedisHuey, SqliteHuey
from huey.storage import SqliteStorage
from sqlalchemy import event
from sqlalchemy.orm import Session, scoped_session

if TYPE_CHECKING:
    from flask import Flask
    from huey import Huey

EXTENSION = "matcher.jobs"
#: Where a session keeps the jobs to enqueue once its transaction commits.
_AFTER_COMMIT = "matcher.jobs.after_commit"

log = logging.getLogger(__name__)


class _SqliteStorage(SqliteStorage):
    """Huey's SQLite storage, creating its file and tables with its first connection, not
    when the app is made: an app that never enqueues (a test, a one-off command) leaves
    no file behind."""

    def _create_connection(self) -> sqlite3.Connection:
        Path(self.filename).parent.mkdir(parents=True, exist_ok=True)
        conn: sqlite3.Connection = super()._create_connection()
        for sql in self.ddl:  # "create … if not exists": harmless when they exist
            conn.execute(sql)
        return conn


def default_url(instance_path: str) -> str:
    """The embedded default: a SQLite file beside the database, under the instance folder."""
    return "sqlite:///" + str(Path(instance_path) / "jobs.sqlite")


def make_queue(url: str, name: str = "matcher") -> Huey:
    """A Huey instance for a `JOBS_URL`. A SQLite file is created on first use, not here.

    :raises ValueError: for a URL that is neither `sqlite:///…` nor `redis://…`.
    """
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///") :])
        return SqliteHuey(
            name=name,
            filename=str(path),
            results=False,
            utc=True,
            storage_class=_SqliteStorage,
            create_tables=False,
        )
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(name=name, url=url, results=False, utc=True)
    raise ValueError(f"JOBS_URL must start with sqlite:/// or redis://, not {url!r}")


def init_app(app: Flask) -> None:
    """Create the app's queue from `JOBS_URL` and register its tasks."""
    from matcher import jobs_tasks

    url = str(app.config.get("JOBS_URL") or default_url(app.instance_path))
    app.config["JOBS_URL"] = url
    huey = make_queue(url)
    app.extensions[EXTENSION] = huey
    jobs_tasks.register(app, huey)


def queue(app: Flask | None = None) -> Huey:
    """The app's queue (the current app's when none is given)."""
    if app is None:
        from flask import current_app

        app = current_app._get_current_object()  # type: ignore[attr-defined]
    huey: Huey = app.extensions[EXTENSION]
    return huey


def depth(app: Flask | None = None) -> int:
    """How many jobs wait to be picked up.

    :raises Exception: whatever the storage raises when it cannot be reached.
    """
    return int(queue(app).pending_count())


def pending_ids(app: Flask | None = None) -> set[str] | None:
    """The ids of the jobs waiting in the queue; None when the queue cannot be read."""
    try:
        return {task.id for task in queue(app).pending()}
    except Exception:  # the storage's own errors (Redis down, a locked file) vary
        log.warning("the job queue could not be read", exc_info=True)
        return None


def enqueue_after_commit(
    session: Session | scoped_session[Any],
    huey: Huey,
    task: Any,
    on_failure: Callable[[Exception], None],
) -> None:
    """Put `task` on the queue once the session's transaction commits (never if it rolls
    back). If the queue refuses it, `on_failure` is told, after the commit: it may write
    in a transaction of its own, not in this session."""
    session.info.setdefault(_AFTER_COMMIT, []).append((huey, task, on_failure))


@event.listens_for(Session, "after_commit")
def _enqueue_committed(session: Session) -> None:
    for huey, task, on_failure in session.info.pop(_AFTER_COMMIT, []):
        try:
            huey.enqueue(task)
        except Exception as e:  # Redis down, a full disk: the job's row says so
            log.exception("job %s could not be queued", task.id)
            on_failure(e)


@event.listens_for(Session, "after_rollback")
def _forget_uncommitted(session: Session) -> None:
    session.info.pop(_AFTER_COMMIT, None)
