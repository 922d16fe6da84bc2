"""gunicorn hooks that keep the metrics folder right; in `gunicorn.conf.py`:

    from matcher.gunicorn_hooks import child_exit, on_starting  # noqa: F401

With `PROMETHEUS_MULTIPROC_DIR` set, every worker writes its figures into that folder and
`/metrics` sums them (`matcher.metrics`). The variable must be in the environment before
a worker imports prometheus_client: set it when starting gunicorn, in `raw_env`, or at
the top of `gunicorn.conf.py`. This module imports prometheus_client only when a worker
has died, so importing it from the configuration decides nothing too early.
"""

import os
from pathlib import Path
from typing import Any


def _folder() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def on_starting(_server: Any) -> None:
    """Make the shared folder, or empty it: a new server starts its figures from zero."""
    if path := _folder():
        Path(path).mkdir(parents=True, exist_ok=True)
        for leftover in Path(path).glob("*.db"):
            leftover.unlink(missing_ok=True)


def child_exit(_server: Any, worker: Any) -> None:
    """Forget a dead worker's live gauges (requests in progress); its counts stay summed."""
    if path := _folder():
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid, path)  # type: ignore[no-untyped-call]
