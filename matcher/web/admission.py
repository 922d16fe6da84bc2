"""Load shedding: a bounded number of requests in the app, a bounded wait, then a quick 503.

gunicorn's threaded workers accept every connection at once and hand it to a thread; without
a limit, overload becomes a queue (40 s at 200 users before this existed) and behind a proxy
a 504. This WSGI middleware admits at most `concurrent` requests per process into the app.
Up to `queue` more may wait for a slot, each for at most `wait_seconds`, in arrival order.
Everything beyond that is answered at once with a static German page, 503 and Retry-After:
no template, no session, no database, so it stays cheap exactly when the server is not.
A shed request never reached the app, so retrying it is always safe (even a POST).

Health checks, metrics and static files pass without a slot: a load balancer must see the
service as alive while it sheds, and the 503 page's stylesheet must load.
"""

from __future__ import annotations

import html
import json
import threading
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from matcher.web.hooks import CSP

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from flask import Flask

EXTENSION = "matcher.admission"
EXEMPT_PATHS = frozenset({"/healthz", "/readyz", "/metrics", "/favicon.ico"})
EXEMPT_PREFIXES = ("/static/",)
# The way in (the login form and its check) and a password change: the login lane.
LOGIN_PATHS = frozenset({"/login"})
PASSWORD_CHANGE = "/password"  # noqa: S105  (a path, not a password)

# The same policy as every page of the app (matcher/web/hooks.py), written out here so a
# shed answer needs nothing from the app.
_HEADERS = [
    ("Cache-Control", "no-store"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
]

_PAGE = """<!doctype html>
<html lang="de">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Gerade ausgelastet – matcher</title>
<link rel="stylesheet" href="{root}/static/css/app.css">
</head>
<body>
<main id="content">
<h1>Einen Moment bitte</h1>
<p>Gerade kommen sehr viele Anfragen gleichzeitig an.
Ihre Anfrage wurde deshalb nicht bearbeitet; es wurde nichts gespeichert oder geändert.</p>
<p>Bitte versuchen Sie es in {retry} Sekunden noch einmal: Laden Sie die Seite neu oder
senden Sie das Formular erneut ab.</p>
<p lang="en">The service is busy right now. Your request was not processed; please try
again in {retry} seconds.</p>
</main>
</body>
</html>
"""


def exempt(path: str) -> bool:
    """Whether a path passes without a slot: health, metrics and static files."""
    return path in EXEMPT_PATHS or path.startswith(EXEMPT_PREFIXES)


class Lane:
    """Slots and a line for one kind of request: `concurrent` in the app, `queue` waiting,
    none of them longer than `wait_seconds`.

    A newcomer whose wait, by the pace at which the line has recently moved, would be
    longer than `wait_seconds` is sent away at once instead of after waiting in vain: the
    line is as long as the server can work off in that time; a short burst still waits.
    """

    def __init__(self, concurrent: int, queue: int, wait_seconds: float) -> None:
        self.concurrent = concurrent
        self.queue = queue
        self.wait_seconds = wait_seconds
        self._cond = threading.Condition()
        self.running = 0
        self.waiting = 0
        self.shed_total = 0  # answered 503 since the process started (for metrics)
        # Seconds between two slots freed while others waited (a moving average): the pace
        # of the line, everything the process does between two answers included.
        self.pace = 0.0
        self._last_free = 0.0

    def expected_wait(self) -> float:
        """How long one more in line would wait, at the line's recent pace."""
        return (self.waiting + 1) * self.pace

    def acquire(self) -> bool:
        """Take a slot, waiting in line for at most `wait_seconds`; False when shed."""
        with self._cond:
            if self.running < self.concurrent and not self.waiting:
                if not self.running:
                    self._last_free = time.monotonic()  # a busy spell begins
                self.running += 1
                return True
            if self.waiting >= self.queue or self.expected_wait() > self.wait_seconds:
                self.shed_total += 1
                return False
            deadline = time.monotonic() + self.wait_seconds
            self.waiting += 1
            try:
                while self.running >= self.concurrent:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        self.shed_total += 1
                        # A slot freed just now goes to the next one in line, not to nobody.
                        self._cond.notify()
                        return False
                    self._cond.wait(remaining)
                self.running += 1
                return True
            finally:
                self.waiting -= 1

    def release(self) -> None:
        """Give the slot back to the next one in line."""
        now = time.monotonic()
        with self._cond:
            self.running -= 1
            if self.waiting:
                # One very slow request (an export) must not turn the next ones away long.
                gap = min(now - self._last_free, self.wait_seconds)
                self.pace = gap if not self.pace else 0.9 * self.pace + 0.1 * gap
            elif self.running == 0:
                self.pace *= 0.5  # the line is empty: its old pace says little now
            self._last_free = now
            self._cond.notify()


class Admission:
    """The per-process admission limit around a WSGI application.

    Two lanes: logins (the form and the password check, 17 ms of Argon2id) and password
    changes have their own few slots and a longer line, so a wave of logins waits and sheds
    there, while everyone already at work keeps the page slots. A person who pressed
    "Anmelden" waits a few seconds rather than be sent away; a page must come at once or not
    at all.
    """

    def __init__(self, app: WSGIApplication, pages: Lane, logins: Lane, retry_after: int) -> None:
        self.app = app
        self.pages = pages
        self.logins = logins
        self.retry_after = retry_after

    @property
    def shed_total(self) -> int:
        """Requests answered 503 since the process started."""
        return self.pages.shed_total + self.logins.shed_total

    def threads_needed(self) -> int:
        """Server threads enough for every admitted and waiting request, and one to shed."""
        return sum(lane.concurrent + lane.queue for lane in (self.pages, self.logins)) + 1

    def lane(self, environ: WSGIEnvironment) -> Lane | None:
        """The lane of a request; None for what passes without a slot (or with shedding off)."""
        path = environ.get("PATH_INFO", "")
        if self.pages.concurrent <= 0 or exempt(path):
            return None
        if path in LOGIN_PATHS or (
            path == PASSWORD_CHANGE and environ.get("REQUEST_METHOD") == "POST"
        ):
            return self.logins
        return self.pages

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        lane = self.lane(environ)
        if lane is None:
            return self.app(environ, start_response)
        if not lane.acquire():
            return self._shed(environ, start_response)
        # The slot covers the app's work: Flask has rendered the page and committed when it
        # returns. Sending the bytes is the server's thread's job and needs no slot (a streamed
        # answer would run on without one; matcher streams nothing).
        try:
            return self.app(environ, start_response)
        finally:
            lane.release()

    def _shed(self, environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        """The static 503: German page (JSON for JSON clients), Retry-After, no app involved."""
        accept = environ.get("HTTP_ACCEPT", "")
        if accept.startswith("application/json"):
            body = json.dumps({"error": "overloaded", "status": 503}).encode()
            content_type = "application/json"
        else:
            root = html.escape(environ.get("SCRIPT_NAME", "").rstrip("/"))
            body = _PAGE.format(root=root, retry=self.retry_after).encode()
            content_type = "text/html; charset=utf-8"
        headers = [
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            ("Retry-After", str(self.retry_after)),
            ("Content-Security-Policy", CSP),
            *_HEADERS,
        ]
        start_response("503 Service Unavailable", headers)
        return [body]


def install(app: Flask) -> None:
    """Wrap the app's WSGI callable in the admission limit from its configuration."""
    config = app.config
    admission = Admission(
        app.wsgi_app,
        pages=Lane(
            int(config["ADMISSION_CONCURRENT"]),
            int(config["ADMISSION_QUEUE"]),
            float(config["ADMISSION_WAIT_SECONDS"]),
        ),
        logins=Lane(
            int(config["ADMISSION_LOGIN_CONCURRENT"]),
            int(config["ADMISSION_LOGIN_QUEUE"]),
            float(config["ADMISSION_LOGIN_WAIT_SECONDS"]),
        ),
        retry_after=int(config["ADMISSION_RETRY_AFTER_SECONDS"]),
    )
    app.wsgi_app = admission  # type: ignore[method-assign]
    app.extensions[EXTENSION] = admission


def of(app: Flask) -> Admission:
    """The app's admission limit."""
    admission: Admission = app.extensions[EXTENSION]
    return admission
