"""gunicorn settings for matcher: `gunicorn -c gunicorn.conf.py wsgi:app` (the default name,
so `gunicorn wsgi:app` in this folder reads it too).

Every setting can be changed by the environment without editing this file: WEB_CONCURRENCY
(worker processes), GUNICORN_THREADS, GUNICORN_BIND, GUNICORN_BACKLOG, GUNICORN_TIMEOUT,
GUNICORN_GRACEFUL_TIMEOUT, GUNICORN_KEEPALIVE, GUNICORN_CONTROL_SOCKET, GUNICORN_PIDFILE,
GUNICORN_ACCESSLOG, GUNICORN_LOGLEVEL. Load shedding is the app's (matcher/web/admission.py,
`MATCHER_ADMISSION_*`): gunicorn alone would only let the kernel's queue grow.

Signals to the master: HUP loads new code into new workers and lets the old ones finish
(zero-downtime upgrade, see the README); TERM stops gracefully; TTIN/TTOU add or remove a
worker. This file is read again on HUP.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import signal
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


# --------------------------------------------------------------------------- workers
# The work is short requests (10-80 ms, most of it Python under the GIL, some waiting for
# the database) and at login one Argon2id hash (17 ms, outside the GIL). Matching runs go to
# the background queue. So: one process per core for the Python work, and threads in each
# for the database waits and the hashes. The threads are not the limit on concurrency: the
# app admits MATCHER_ADMISSION_CONCURRENT requests per process (2 by default) and lets
# MATCHER_ADMISSION_QUEUE (24) wait, and logins apart (1 and 32); the other
# threads take the rest and answer them 503 at once instead of leaving them in a queue
# nobody sees. Keep threads above the sum (a worker logs a warning otherwise).
worker_class = "gthread"
# The cores this process may use (a cpuset or taskset limits them; os.cpu_count() would not).
workers = _env_int("WEB_CONCURRENCY", len(os.sched_getaffinity(0)))
threads = _env_int("GUNICORN_THREADS", 64)

# No --preload: with it the master holds the old code and HUP would start workers from it.
# Each worker imports the app itself (about 1.5 s of CPU), so HUP loads new code.
preload_app = False

# --------------------------------------------------------------------------- socket
bind = [address.strip() for address in os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")]
# Threaded workers take connections off the listen queue at once, so it only fills while no
# worker accepts: during a HUP, when new workers boot. 1024 holds several seconds of a busy
# server's arrivals then; beyond it the kernel drops connection attempts (clients retry).
backlog = _env_int("GUNICORN_BACKLOG", 1024)
# Idle keep-alive connections wait in each worker's poller, not in a thread.
keepalive = _env_int("GUNICORN_KEEPALIVE", 5)


# --------------------------------------------------------------------------- proxies
def _trust_proxy() -> int:
    """How many reverse proxies the app trusts (TRUST_PROXY), read where the app reads it:
    the environment (`TRUST_PROXY`, `MATCHER_TRUST_PROXY`), else `instance/config.py`."""
    for name in ("MATCHER_TRUST_PROXY", "TRUST_PROXY"):
        value = os.environ.get(name, "").strip()
        if value:
            return int(value)
    path = HERE / "instance" / "config.py"
    if path.is_file():
        match = re.search(r"^TRUST_PROXY\s*=\s*(\d+)", path.read_text(), re.MULTILINE)
        if match:
            return int(match.group(1))
    return 0


# gunicorn by itself believes X-Forwarded-Proto from 127.0.0.1 whatever the app was told (I5):
# a request could then claim https and trip Flask-WTF's strict Referer check. It follows
# TRUST_PROXY now: no trusted proxy, no forwarded header believed; with one, the addresses in
# FORWARDED_ALLOW_IPS (default: this host, where nginx or Caddy runs).
forwarded_allow_ips = (
    os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1") if _trust_proxy() > 0 else ""
)

# --------------------------------------------------------------------------- stopping
# A worker's main loop reports to the master even while a thread is busy, so `timeout` only
# catches a hung worker process; it does not cut long requests.
timeout = _env_int("GUNICORN_TIMEOUT", 30)
# On TERM or HUP a worker stops accepting and finishes what it has accepted; after this many
# seconds the master kills it. Longer than any request we serve (the longest, a matching run,
# now runs in the background). systemd's TimeoutStopSec must be larger.
graceful_timeout = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)

# --------------------------------------------------------------------------- identity
proc_name = "matcher"
# Every answer carries gunicorn's `Server: gunicorn`, without a version (pen test I2). It
# stays: gunicorn has no setting for it (declined upstream, benoitc/gunicorn#825); the line
# is written by `gunicorn.http.wsgi.Response.default_headers` from a module constant, so
# dropping it would mean patching gunicorn's internals, and a `Server` header set by the app
# would be sent beside it, not instead. The proxy in front decides what clients see (nginx
# does not pass an upstream's `Server` on by default). OPTIONS, the other half of I2, is
# refused by the app (matcher/web/hooks.py `_refuse_options`).
pidfile = os.environ.get("GUNICORN_PIDFILE") or None


def _control_socket_path() -> str:
    """One control socket per instance: gunicorn's default (~/.gunicorn/gunicorn.ctl) would be
    shared by every instance one user runs on a host. Under systemd, the unit's runtime
    directory; otherwise the instance folder, named after the address served."""
    if path := os.environ.get("GUNICORN_CONTROL_SOCKET"):
        return path
    if runtime := os.environ.get("RUNTIME_DIRECTORY"):  # systemd's RuntimeDirectory=
        return str(Path(runtime.split(":")[0]) / "gunicorn.ctl")
    name = "gunicorn-" + re.sub(r"[^A-Za-z0-9.-]+", "_", "_".join(bind)) + ".ctl"
    path = HERE / "instance" / name
    if len(str(path)) < 100:  # a Unix socket's path is at most 107 bytes
        return str(path)
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:16]
    return str(Path(tempfile.gettempdir()) / f"matcher-gunicorn-{digest}.ctl")


control_socket = _control_socket_path()

# --------------------------------------------------------------------------- metrics
# Each worker is its own process; /metrics sums them all through files in one folder
# (prometheus_client's multiprocess mode, matcher/metrics.py). The variable must be set
# before a worker imports prometheus_client, so it is set here, in the master, unless the
# environment names a folder already.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(Path(control_socket).with_suffix(".metrics"))


def _load_metrics_hooks() -> Any:
    """matcher/gunicorn_hooks.py, loaded by its path: importing the `matcher` package here,
    in the master, would hand every worker forked after a HUP the old package."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "_matcher_gunicorn_hooks", HERE / "matcher" / "gunicorn_hooks.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_metrics_hooks = _load_metrics_hooks()

# --------------------------------------------------------------------------- logs
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
# The path without its query string, and no Referer: sign-in and confirmation links carry
# their token in the query (the mail's link), and the page they open sends it on as its
# Referer. A log line must never hold a token that opens someone's profile (L2). gunicorn's
# default logs "%(r)s" (the whole request line) and "%(f)s" (the Referer).
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s" %(L)ss'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")


# --------------------------------------------------------------------------- hooks
def post_worker_init(worker: Any) -> None:
    """A worker has loaded the app: check its threads; after a HUP, retire old workers."""
    _check_threads(worker)
    _retire_old_workers(worker)


def _check_threads(worker: Any) -> None:
    """Warn when the threads cannot hold the admitted and the waiting requests: the excess
    would wait in gunicorn's own queue, unseen by the load shedding."""
    extensions = getattr(getattr(worker, "wsgi", None), "extensions", {})
    admission = extensions.get("matcher.admission")
    if admission is None:
        return
    if worker.cfg.threads < admission.threads_needed():
        worker.log.warning(
            "threads=%s is too few for the admission limits (MATCHER_ADMISSION_*); "
            "set GUNICORN_THREADS to at least %s",
            worker.cfg.threads,
            admission.threads_needed(),
        )


# HUP without a pause. gunicorn on its own sends TERM to the old workers the moment it has
# forked the new ones; for the 1.5-3 s the new ones take to import the app nobody accepts,
# requests pile up in the listen queue and then arrive all at once. Instead the master keeps
# the old workers (it counts them in `num_workers` for the time being), and each new worker,
# once it has loaded the new code and can serve, sends TERM to its share of the old ones.
# As each old worker exits, the master counts it off again. `_reload` is the master's note;
# a worker sees the copy it was forked with.
_reload: dict[str, Any] = {}


def on_reload(server: Any) -> None:
    """HUP, before the new workers are forked: remember the old ones and keep them."""
    old = [pid for pid, w in sorted(server.WORKERS.items(), key=lambda item: item[1].age)]
    _reload.clear()
    if old:
        _reload.update(old=old, remaining=set(old), age=server.worker_age, new=server.cfg.workers)
        server.num_workers = server.cfg.workers + len(old)


def _retire_old_workers(worker: Any) -> None:
    if not _reload or worker.age <= _reload["age"]:
        return
    index, old = worker.age - _reload["age"] - 1, _reload["old"]
    # New worker i retires old workers i, i+n, ...; one started in place of a new worker that
    # died meanwhile retires whichever old ones are still there.
    for pid in old[index :: _reload["new"]] if index < _reload["new"] else old:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    worker.log.info("New code serving in worker %s; old workers told to finish", worker.pid)


def child_exit(server: Any, worker: Any) -> None:
    """In the master, after a worker has exited."""
    if _reload and worker.pid in _reload["remaining"]:
        _reload["remaining"].discard(worker.pid)
        server.num_workers = max(server.cfg.workers, server.num_workers - 1)
        if not _reload["remaining"]:
            _reload.clear()
    _metrics_hooks.child_exit(server, worker)  # forget its live gauges in /metrics


def on_starting(server: Any) -> None:
    """In the master, once: make the metrics folder, or empty it of a former server's files."""
    _metrics_hooks.on_starting(server)
