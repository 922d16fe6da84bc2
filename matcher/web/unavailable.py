"""The database is unavailable: a German 503 page with Retry-After, for every user.

When PostgreSQL restarts, a SQLite file is locked, read-only or its disk is full, a
request fails wherever it first needs the database: loading the logged-in user before
any view, a view's query, or the commit at the request's end. Each of those answers
`response()`: a page rendered from its own template *without* Flask's context processors
(they load `current_user`, which needs the very database that is gone), or JSON for JSON
clients, always with `Retry-After`. The request's work is rolled back, so nothing is
half-written.

`last_resort` is the WSGI-level net below that: should an exception still escape the app
(an error handler failing), the user gets a static page in German instead of the server's
bare English "Internal Server Error".
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from flask import Response, current_app, request
from flask_babel import get_locale

from matcher import logs, metrics
from matcher.database import driver_message
from matcher.database import is_unavailable as is_unavailable
from matcher.database import safe_rollback as safe_rollback
from matcher.domain import locales

log = logging.getLogger(__name__)

TEMPLATE = "errors/unavailable.html"
# Retry-After of the last-resort page, which cannot rely on the app's configuration.
RETRY_AFTER_FALLBACK = 30


def retry_after() -> int:
    """Seconds a client is asked to wait before trying again."""
    return int(current_app.config["UNAVAILABLE_RETRY_AFTER_SECONDS"])


def response(error: BaseException | None = None) -> Response:
    """The 503 answer for this request, rendered without touching the database."""
    safe_rollback()
    metrics.database_unavailable()
    if error is not None:
        # One line, no traceback: an outage is not a bug, and it would repeat per request.
        log.warning("database unavailable: %s: %s", type(error).__name__, driver_message(error))
    seconds = retry_after()
    if request.accept_mimetypes.best == "application/json":
        body = {"error": "Service Unavailable", "status": 503, "retry_after": seconds}
        answer = Response(current_app.json.dumps(body), 503, mimetype="application/json")
    else:
        answer = Response(_page(seconds), 503, mimetype="text/html")
    answer.headers["Retry-After"] = str(seconds)
    answer.headers["Cache-Control"] = "no-store"
    return answer


def _page(seconds: int) -> str:
    try:
        template = current_app.jinja_env.get_template(TEMPLATE)
        locale = str(get_locale() or "de")
        return template.render(
            locale=locale,
            direction=locales.direction(locale),
            retry_after=seconds,
            # Reload a page by itself; never re-send a form (the browser keeps what was typed).
            reload=request.method in ("GET", "HEAD"),
            was_form=request.method == "POST",
            request_id=logs.REQUEST_ID.get(),
        )
    except Exception:
        log.exception("the 503 page could not be rendered; answering the static one")
        return STATIC_PAGE.decode()


def _static_page(title: str, text: str, english: str) -> bytes:
    return (
        '<!doctype html><html lang="de"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title} · matcher</title></head><body><h1>{title}</h1><p>{text}</p>"
        f'<p lang="en">{english}</p></body></html>'
    ).encode()


STATIC_PAGE = _static_page(
    "Vorübergehend nicht erreichbar",
    "Bitte versuchen Sie es in einer Minute noch einmal.",
    "Temporarily unavailable. Please try again in a minute.",
)
STATIC_ERROR_PAGE = _static_page(
    "Fehler",
    "Bei uns ist etwas schiefgegangen. Bitte versuchen Sie es später noch einmal.",
    "Something went wrong on our side. Please try again later.",
)

StartResponse = Callable[..., Any]


def last_resort(
    error: Exception, start_response: StartResponse, request_id: str
) -> Iterable[bytes]:
    """Answer a request whose exception escaped the app with a static page in German:
    503 with Retry-After when the database was the cause, else 500."""
    log.error("a request failed outside the app's error handlers", exc_info=error)
    cause: BaseException | None = error
    while cause is not None and not is_unavailable(cause):
        cause = cause.__cause__ or cause.__context__
    headers = [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store"),
               ("X-Request-ID", request_id)]  # fmt: skip
    if cause is not None:
        status, page = "503 Service Unavailable", STATIC_PAGE
        headers.append(("Retry-After", str(RETRY_AFTER_FALLBACK)))
    else:
        status, page = "500 Internal Server Error", STATIC_ERROR_PAGE
    headers.append(("Content-Length", str(len(page))))
    start_response(status, headers)
    return [page]
