"""Prometheus metrics: requests and latencies per endpoint, and the state behind them.

Request figures are counted where requests are served (`matcher.web.observe`). Under
gunicorn every worker is its own process: with `PROMETHEUS_MULTIPROC_DIR` set (an empty,
writable folder, the same for all workers, set before the server starts) each worker
writes its figures there and `/metrics` sums them, whichever worker answers. gunicorn's
hooks keep that folder right (`matcher.gunicorn_hooks`).

The state — job queue depth, outbox backlog, matching runs by status — is read when
`/metrics` is scraped, so it is the same from every worker. Labels are endpoint names
(`coordinator.volunteer`), never paths with ids, and no figure names a person.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

CONTENT_TYPE = CONTENT_TYPE_LATEST
log = logging.getLogger(__name__)

# `*_created` timestamps double the output and say nothing a restart's reset does not.
disable_created_metrics()  # type: ignore[no-untyped-call]

REQUESTS = Counter(
    "matcher_http_requests",
    "HTTP requests answered, by endpoint name, method and status code.",
    ["endpoint", "method", "status"],
)
LATENCY = Histogram(
    "matcher_http_request_duration_seconds",
    "Time from a request's arrival in the app to its answer, by endpoint name and method.",
    ["endpoint", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
IN_PROGRESS = Gauge(
    "matcher_http_requests_in_progress",
    "Requests being served right now, over all workers.",
    multiprocess_mode="livesum",
)
DATABASE_UNAVAILABLE = Counter(
    "matcher_database_unavailable_answers",
    "Requests answered 503 because the database could not be reached or written.",
)

# Endpoints are names from the URL map, so the label set is bounded; methods likewise.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def multiprocess_dir() -> str | None:
    """The folder the workers share their figures through, if one is configured."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def safely(update: Callable[[], object]) -> None:
    """Apply a metric update; a broken metrics folder must never fail a request."""
    try:
        update()
    except OSError as e:
        global _warned
        if not _warned:
            _warned = True
            log.warning("metrics not recorded (PROMETHEUS_MULTIPROC_DIR?): %s", e)


_warned = False


def request_started() -> None:
    """A request is being served."""
    safely(IN_PROGRESS.inc)


def request_finished(endpoint: str | None, method: str, status: int, seconds: float) -> None:
    """Count one answered request and its duration."""
    name = endpoint or "unmatched"
    verb = method if method in METHODS else "other"

    def update() -> None:
        IN_PROGRESS.dec()
        REQUESTS.labels(endpoint=name, method=verb, status=str(status)).inc()
        LATENCY.labels(endpoint=name, method=verb).observe(seconds)

    safely(update)


def database_unavailable() -> None:
    """One more request answered 503 because of the database."""
    safely(DATABASE_UNAVAILABLE.inc)


class _StateCollector:
    """The figures read from the database and the queue at scrape time."""

    def describe(self) -> list[Metric]:
        """Nothing to declare in advance (keeps registration from collecting)."""
        return []

    def collect(self) -> Iterator[Metric]:
        """Queue depth, outbox backlog and runs by status; `*_up` says what answered."""
        from matcher.services.platform import readiness

        state = readiness.state()
        yield _gauge("matcher_database_up", "1 when the database answered this scrape.",
                     1 if state.database_ok else 0)  # fmt: skip
        if state.database_ok:
            yield _gauge("matcher_outbox_pending", "Mails waiting to be sent.",
                         state.outbox_pending)  # fmt: skip
            yield _gauge(
                "matcher_outbox_oldest_pending_age_seconds",
                "Age of the oldest mail still waiting to be sent (0 when none waits).",
                state.outbox_oldest_age_seconds or 0.0,
            )
            runs = GaugeMetricFamily(
                "matcher_matching_runs", "Matching runs recorded, by status.", labels=["status"]
            )
            for status, count in sorted(state.runs_by_status.items()):
                runs.add_metric([status], count)
            yield runs
        yield _gauge("matcher_jobs_queue_up", "1 when the job queue answered this scrape.",
                     0 if state.queue_depth is None else 1)  # fmt: skip
        if state.queue_depth is not None:
            yield _gauge("matcher_jobs_queue_depth", "Jobs waiting to be picked up.",
                         state.queue_depth)  # fmt: skip


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def exposition() -> bytes:
    """The metrics in Prometheus' text format: every worker's request figures and the state.

    Call inside an app context (the state is read from the app's database and queue).
    """
    if multiprocess_dir():
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry = REGISTRY
    state = CollectorRegistry(auto_describe=False)
    state.register(_StateCollector())
    return generate_latest(registry) + generate_latest(state)
