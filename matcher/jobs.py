"""The background job queue: Huey, on a SQLite file by default, on Redis when configured.

`JOBS_URL` chooses the storage: `sqlite:///PATH` (the default, `instance/jobs.sqlite`,
no extra service) or `redis://HOST:PORT/DB` when several hosts share the work. The web
app only enqueues; `flask jobs work` consumes. Tasks are registered on the app's queue
by `matcher.jobs_tasks` (see there), each running in an app context as one unit of work.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from huey import RedisHuey, SqliteHuey

if TYPE_CHECKING:
    from flask import Flask
    from huey import Huey

EXTENSION = "matcher.jobs"


def default_url(instance_path: str) -> str:
    """The embedded default: a SQLite file beside the database, under the instance folder."""
    return "sqlite:///" + str(Path(instance_path) / "jobs.sqlite")


def make_queue(url: str, name: str = "matcher") -> Huey:
    """A Huey instance for a `JOBS_URL`.

    :raises ValueError: for a URL that is neither `sqlite:///…` nor `redis://…`.
    """
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///") :])
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(name=name, filename=str(path), results=False, utc=True)
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(name=name, url=url, results=False, utc=True)
    raise ValueError(f"JOBS_URL must start with sqlite:/// or redis://, not {url!r}")


def init_app(app: Flask) -> None:
    """Create the app's queue from `JOBS_URL`."""
    url = str(app.config.get("JOBS_URL") or default_url(app.instance_path))
    app.config["JOBS_URL"] = url
    app.extensions[EXTENSION] = make_queue(url)


def queue(app: Flask | None = None) -> Huey:
    """The app's queue (the current app's when none is given)."""
    if app is None:
        from flask import current_app

        app = current_app._get_current_object()  # type: ignore[attr-defined]
    return app.extensions[EXTENSION]


def depth(app: Flask | None = None) -> int:
    """How many jobs wait to be picked up.

    :raises Exception: whatever the storage raises when it cannot be reached.
    """
    return int(queue(app).pending_count())
