"""Logs: one line per record on stderr, plain text by default or JSON (`LOG_FORMAT=json`).

Every line logged while a request is served carries its request id (`matcher.web.observe`
sets it; it is echoed in the `X-Request-ID` response header), so an operator can find all
lines of one request, and a user's "Fehler-ID" leads to them. Lines carry what the code
says, never a URL path or query string (ids, search terms with names) and never SQL
parameters (the engine hides them, `matcher.database`).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

# The request being served by this thread, or None outside a request.
REQUEST_ID: ContextVar[str | None] = ContextVar("matcher_request_id", default=None)

# What an incoming X-Request-ID may look like to be taken over (a proxy's or a client's id);
# anything else is replaced, so a header cannot break a log line or smuggle text into it.
_WELL_FORMED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}")

# The attributes every LogRecord has; anything else was passed with `extra=` and is kept.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}

_HANDLER_MARK = "_matcher_handler"


def request_id_from(header: str | None) -> str:
    """The incoming request id when it is well-formed, otherwise a new one."""
    if header and _WELL_FORMED.fullmatch(header):
        return header
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Stamp each record with the current request id (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Add `request_id` to the record; never drops it."""
        if not hasattr(record, "request_id"):
            record.request_id = REQUEST_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, extras, traceback."""

    def format(self, record: logging.LogRecord) -> str:
        """Render the record as a single JSON line."""
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _STANDARD and key != "request_id" and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """`time level [request id] logger: message`, the request id only inside a request."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(rid)s%(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        """Render the record as text, with the request id in brackets when there is one."""
        request_id = getattr(record, "request_id", None)
        record.rid = f"[{request_id}] " if request_id else ""
        return super().format(record)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is when a record comes (a test may swap it)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def make_handler(log_format: str, stream: Any = None) -> logging.Handler:
    """A stderr handler (or one on `stream`) in the given format, stamping request ids."""
    handler = logging.StreamHandler(stream) if stream is not None else _StderrHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(RequestIdFilter())
    setattr(handler, _HANDLER_MARK, True)
    return handler


def configure(app: Flask) -> None:
    """Send every logger's records (the app's, the libraries' warnings) to one handler.

    The handler sits on the root logger, replacing one an earlier app of this process put
    there, so nothing is printed twice; the app's own loggers (`matcher.*`) log from
    `LOG_LEVEL` up, libraries from WARNING up (the root's default).
    """
    from flask.logging import default_handler

    log_format = str(app.config["LOG_FORMAT"]).strip().lower()
    if log_format not in ("text", "json"):
        raise ValueError(f"LOG_FORMAT must be 'text' or 'json', not {log_format!r}")
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(old)
    root.addHandler(make_handler(log_format))
    app.logger.removeHandler(default_handler)
    logging.getLogger("matcher").setLevel(str(app.config["LOG_LEVEL"]).upper())
