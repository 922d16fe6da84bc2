"""Around every request: its id, its figures, its log line, and the last-resort answer.

A WSGI middleware outside Flask, so it sees every answer — also a 429 from the rate
limiter, a 503 from the commit at the request's end, or an exception no handler caught:

- the request id: a well-formed incoming `X-Request-ID` (a proxy's), else a new one; set
  for every log line of the request (`matcher.logs`) and echoed in the response header;
- `matcher.metrics`: count and time the request by its endpoint name, method and status;
- one log line per request (`LOG_REQUESTS`): method, endpoint, status, milliseconds — no
  path or query string, which may hold ids or a searched name;
- `unavailable.last_resort` when an exception escapes the app (not in tests, where
  exceptions must reach the test).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import Any

from flask import Flask, request, request_started

from matcher import logs, metrics
from matcher.web import unavailable

log = logging.getLogger("matcher.requests")

ENVIRON_ENDPOINT = "matcher.endpoint"
# Probes poll every few seconds: their lines are DEBUG, not INFO.
QUIET_ENDPOINTS = frozenset({"public.healthz", "public.readyz", "public.metrics", "static"})


class Observe:
    """The middleware; `register` installs it."""

    def __init__(self, app: Flask) -> None:
        self.wsgi_app = app.wsgi_app
        self.log_requests = bool(app.config["LOG_REQUESTS"])
        self.last_resort = not app.testing and not app.config.get("PROPAGATE_EXCEPTIONS")

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        """Serve one request with its id set, then count and log it."""
        request_id = logs.request_id_from(environ.get("HTTP_X_REQUEST_ID"))
        token = logs.REQUEST_ID.set(request_id)
        started = time.perf_counter()
        answered: list[str] = []
        # The app's status and headers are held back until it has returned: an exception
        # escaping it afterwards (from a teardown hook) can then still choose the answer.
        held: list[tuple[str, list[tuple[str, str]], Any]] = []
        returned = False

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            answered.append(status)
            headers = [(k, v) for k, v in headers if k.lower() != "x-request-id"]
            headers.append(("X-Request-ID", request_id))
            if returned:  # an app that starts its answer while it is being sent
                return start_response(status, headers, exc_info)
            held[:] = [(status, headers, exc_info)]
            return _no_write

        metrics.request_started()
        try:
            try:
                body = self.wsgi_app(environ, start)
            except Exception as error:
                if not self.last_resort:
                    raise
                held.clear()
                body = unavailable.last_resort(error, start, request_id)
            returned = True
            if held:
                start_response(*held[0])
            return body
        finally:
            status = int(answered[-1].split(" ", 1)[0]) if answered else 500
            self._record(environ, status, time.perf_counter() - started)
            logs.REQUEST_ID.reset(token)

    def _record(self, environ: dict[str, Any], status: int, seconds: float) -> None:
        endpoint = environ.get(ENVIRON_ENDPOINT)
        method = str(environ.get("REQUEST_METHOD", "")).upper()
        metrics.request_finished(endpoint, method, status, seconds)
        if self.log_requests:
            level = logging.DEBUG if endpoint in QUIET_ENDPOINTS else logging.INFO
            log.log(
                level,
                "%s %s %s %.1f ms",
                method,
                endpoint or "unmatched",
                status,
                seconds * 1000,
                extra={
                    "method": method,
                    "endpoint": endpoint,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 1),
                },  # fmt: skip
            )


def _no_write(_data: bytes) -> None:
    raise RuntimeError("write() is not supported; return the body instead")


def _remember_endpoint(_sender: Flask, **_extra: Any) -> None:
    """Hand the matched endpoint name (not the path) to the middleware."""
    request.environ[ENVIRON_ENDPOINT] = request.endpoint


def register(app: Flask) -> None:
    """Wrap the app in the middleware (outermost) and report endpoints to it."""
    request_started.connect(_remember_endpoint, app)
    app.wsgi_app = Observe(app)  # type: ignore[method-assign]
