"""`flask --app wsgi outbox …`: deliver the mail outbox, as a worker or once (cron).

Delivery keeps its own transactions (a claim is committed before the mail server is
asked, see `matcher.services.platform.outbox`), and touches no agency's people.
"""

import logging
import signal
import threading
from types import FrameType

import click
from flask import current_app
from flask.cli import AppGroup

from matcher.services.platform import outbox

group = AppGroup("outbox", help="Deliver queued mail.")


def _log_to_stderr(level: int) -> None:
    """Show what delivery does (sent, retried, given up) unless logging is set up already."""
    if not outbox.log.hasHandlers():  # neither configured nor Flask's handler on `matcher`
        logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@group.command("work")
@click.option("--poll", type=click.FloatRange(0.1, 3600), help="Seconds between passes when idle.")
def work(poll: float | None) -> None:
    """Deliver mail until stopped (Ctrl+C or SIGTERM ends it after the mail in hand)."""
    stop = threading.Event()

    def _stop(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, _stop) for s in (signal.SIGINT, signal.SIGTERM)}
    _log_to_stderr(logging.INFO)
    backend = current_app.config["MAIL_BACKEND"]
    click.echo(f"Outbox worker started (mail backend: {backend}); Ctrl+C stops it.", err=True)
    try:
        outbox.work(stop, poll)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    click.echo("Outbox worker stopped.", err=True)


@group.command("send-once")
def send_once() -> None:
    """Deliver every mail that is due now, once (for cron)."""
    # Cron mails what a job prints: only what went wrong, however logging is set up.
    _log_to_stderr(logging.WARNING)
    level = outbox.log.level
    outbox.log.setLevel(max(level, logging.WARNING))
    try:
        report = outbox.send_all_due()
    finally:
        outbox.log.setLevel(level)
    lost = f", lost the lease on {report.lost}" if report.lost else ""
    click.echo(f"sent {report.sent}, retrying {report.retrying}, failed {report.failed}{lost}")
