"""gunicorn hooks that keep the metrics folder right. `gunicorn.conf.py` loads this file by
its path (not as `matcher.gunicorn_hooks`, which would import the package into the master)
and calls `child_exit` and `on_starting` from its hooks of those names.

With `PROMETHEUS_MULTIPROC_DIR` set, every worker writes its figures into that folder and
`/metrics` sums them (`matcher.metrics`). The variable must be in the environment before
a worker imports prometheus_client: `gunicorn.conf.py` sets it in the master unless it is
set already. This module imports prometheus_client only when a worker has died, so loading
it from the configuration decides nothing too early.
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
