"""`flask --app wsgi jobs work`: the consumer of the background job queue (`matcher.jobs`).

It runs the queue's jobs in worker threads until stopped. SIGTERM and SIGINT (Ctrl+C)
stop it gently: no new job is taken, and the jobs in hand finish first; a second signal
stops it at once (a matching run or import it interrupts is recorded as failed). When
it starts it records as failed the runs and import jobs whose worker was killed;
periodic jobs repeat that every minute.
"""

import logging
import signal

import click
from flask import current_app
from flask.cli import AppGroup

from matcher import jobs, jobs_tasks

group = AppGroup("jobs", help="Run the background jobs (matching runs, large imports).")


@group.command("work")
@click.option(
    "--workers", type=click.IntRange(1, 64), help="Worker threads (default: JOBS_WORKERS)."
)
def work(workers: int | None) -> None:
    """Run queued jobs until stopped (SIGTERM or Ctrl+C finish the jobs in hand first)."""
    config = current_app.config
    _log_to_stderr()
    huey = jobs.queue()
    reaped = jobs_tasks.reap_all()
    if reaped:
        click.echo(f"Recorded {len(reaped)} lost matching run(s) as failed: {reaped}", err=True)
    reaped = jobs_tasks.reap_imports()
    if reaped:
        click.echo(f"Recorded {len(reaped)} lost import job(s) as failed: {reaped}", err=True)
    consumer = huey.create_consumer(
        workers=workers or int(config["JOBS_WORKERS"]),
        worker_type="thread",
        periodic=True,
        initial_delay=0.1,
        max_delay=float(config["JOBS_POLL_SECONDS"]),
        check_worker_health=True,
        graceful_signal="TERM",
    )
    # Ctrl+C as gentle as SIGTERM: both let the jobs in hand finish (Huey would
    # interrupt them on SIGINT); a second signal of either kind stops at once.
    consumer._signal_actions[signal.SIGINT] = (False, True)
    click.echo(
        f"Job worker started ({consumer.workers} threads, queue {_where(config['JOBS_URL'])});"
        " Ctrl+C or SIGTERM stop it after the jobs in hand.",
        err=True,
    )
    consumer.run()
    click.echo("Job worker stopped.", err=True)


def _where(url: str) -> str:
    """The queue's address without a password."""
    scheme, sep, rest = url.partition("://")
    return f"{scheme}{sep}{rest.rpartition('@')[2]}"


def _log_to_stderr() -> None:
    """Let the consumer's and the jobs' INFO lines through, unless logging is set up."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    for name in ("huey", "matcher"):
        if logging.getLogger(name).getEffectiveLevel() > logging.INFO:
            logging.getLogger(name).setLevel(logging.INFO)
