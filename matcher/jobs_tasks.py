"""The background jobs, registered on each app's queue (`matcher.jobs`).

Each job runs in an app context of the app that registered it, as one unit of work in a
tenancy scope it names — like a request or a command:

- `matching.run` (one agency's scope) takes a queued matching run through building,
  solving and storing (`perform_run`, also what `flask match run` calls, without the
  queue);
- `matching.reap` (every agency's runs, every minute) records as failed the runs whose
  worker is gone;
- `imports.run` (one agency's scope, in the admin's language) does a dry run or an
  import of a large list (`perform_import`): the rows and "finished" commit together, or
  nothing is written;
- `imports.reap` (every agency's import jobs, every minute) records as failed the import
  jobs whose worker is gone;
- `digest.send` (every agency, hourly from 6 to 18 UTC) queues this week's "Heute zu tun"
  digest for each coordinator who opted in and has none yet (`send_digests`, also what
  `flask digest send` does): once a week each, so a missed hour costs nothing.

Exports stay in the request: measured, the largest takes about a second
(`benchmarks/lists.py`). Imports above `IMPORT_JOB_ROWS` rows are jobs; smaller ones are
done in the request, as quickly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from flask import current_app
from flask_babel import force_locale
from huey import crontab

from matcher import jobs, tenancy
from matcher.domain.background import WorkFailed, WorkGone
from matcher.extensions import db
from matcher.models import Agency, ImportJob, MatchRun, User, today
from matcher.models.background import BackgroundWork
from matcher.services.lists import import_jobs, imports
from matcher.services.matching import digest, run, runs, workqueue
from matcher.services.platform import background

if TYPE_CHECKING:
    from flask import Flask
    from huey import Huey

TASKS = "matcher.jobs.tasks"
RUN_MATCHING = "matching.run"
REAP_RUNS = "matching.reap"
RUN_IMPORT = "imports.run"
REAP_IMPORTS = "imports.reap"
SEND_DIGESTS = "digest.send"

log = logging.getLogger(__name__)

T = TypeVar("T")


def register(app: Flask, huey: Huey) -> None:
    """Register the jobs on the app's queue; each runs inside an app context of `app`."""

    @huey.task(name=RUN_MATCHING)
    def run_matching(matching_run_id: int, agency_id: int) -> None:
        with app.app_context():
            perform_run(matching_run_id, agency_id)

    @huey.periodic_task(crontab(minute="*"), name=REAP_RUNS)
    def reap_runs() -> None:
        with app.app_context():
            reap_all()

    @huey.task(name=RUN_IMPORT)
    def run_import(import_job_id: int, agency_id: int) -> None:
        with app.app_context():
            perform_import(import_job_id, agency_id)

    @huey.periodic_task(crontab(minute="*"), name=REAP_IMPORTS)
    def reap_import_jobs() -> None:
        with app.app_context():
            reap_imports()

    @huey.periodic_task(crontab(minute="5", hour="6-18"), name=SEND_DIGESTS)
    def send_weekly_digests() -> None:
        with app.app_context():
            send_digests()

    app.extensions[TASKS] = {
        RUN_MATCHING: run_matching,
        REAP_RUNS: reap_runs,
        RUN_IMPORT: run_import,
        REAP_IMPORTS: reap_import_jobs,
        SEND_DIGESTS: send_weekly_digests,
    }


def _enqueue(name: str, row: BackgroundWork, progress: background.Progress) -> None:
    """Queue the job `name` of work just started; it goes on the queue when the caller
    commits. If the queue cannot take it, the work is recorded as failed
    ("queue_unavailable") in a transaction of its own, and its page says so."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    huey = jobs.queue(app)
    task = app.extensions[TASKS][name].s(row.id, row.agency_id)
    row.job_id = task.id
    actor_id = row.started_by_id

    def refused(error: Exception) -> None:
        progress.fail("queue_unavailable", f"{type(error).__name__}: {error}", actor_id)

    jobs.enqueue_after_commit(db.session, huey, task, refused)


def _perform(
    progress: background.Progress,
    agency_id: int,
    take: str,
    dropped: str,
    work: Callable[[Any, Agency, User | None], T],
) -> T | None:
    """Take queued work (the change `take`) and carry it to its end, finished or failed
    with a reason; return what `work` returned, None when it did not finish.

    `work(row, agency, actor)` runs in the agency's scope, with a heartbeat from a thread
    (`progress.heartbeat`), and its transaction is committed: the result and "finished"
    are one transaction. Work someone else took, or that was failed meanwhile, is left
    alone (`dropped` says what became of it in the log); a `WorkFailed` is recorded with
    its reason; any other error is recorded first, then raised on.
    """
    kind, work_id = progress.kind, progress.work_id
    try:
        progress.advance(take)
    except WorkGone:
        log.info("%s %s is not queued any more; nothing to do", kind.label, work_id)
        return None
    every = float(current_app.config["JOBS_HEARTBEAT_SECONDS"])
    actor_id: int | None = None
    try:
        with progress.heartbeat(every), tenancy.for_agency(agency_id):
            row = db.session.get(kind.work.model, work_id)
            agency = db.session.get(Agency, agency_id)
            assert row is not None and agency is not None
            actor_id = row.started_by_id
            actor = db.session.get(User, actor_id) if actor_id is not None else None
            result = work(row, agency, actor)
            db.session.commit()
    except WorkGone:
        db.session.rollback()
        log.warning("%s %s was failed meanwhile; %s", kind.label, work_id, dropped)
        return None
    except WorkFailed as e:
        db.session.rollback()
        progress.fail(e.failure, e.detail, actor_id)
        return None
    except BaseException as e:
        # Recorded first, then raised on: the consumer logs it with its traceback.
        db.session.rollback()
        stopped = isinstance(e, KeyboardInterrupt | SystemExit)
        progress.fail("interrupted" if stopped else "error", _describe(e), actor_id)
        raise
    return result


def _describe(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


def _reap_everywhere(reap: Callable[[], list[int]]) -> list[int]:
    """Reap every agency's lost work of one kind as one unit of work; return its ids."""
    try:
        with tenancy.all_agencies():
            reaped = reap()
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return reaped


def enqueue_run(matching_run: MatchRun) -> None:
    """Queue the job of a run just started; it goes on the queue when the caller commits.

    If the queue cannot take it, the run is recorded as failed ("queue_unavailable") in
    a transaction of its own, and its page says so.
    """
    _enqueue(RUN_MATCHING, matching_run, runs.Progress(db.engine, matching_run.id))


def perform_run(matching_run_id: int, agency_id: int) -> None:
    """Take a queued run and carry it to its end, finished or failed with a reason.

    The one code path of the queue's job and of `flask match run`. Progress is written
    in short transactions of its own (`runs.Progress`), with a heartbeat from a thread
    while the work goes on; the proposals and "finished" are one transaction. A run
    someone else took, or that was failed meanwhile, is left alone.
    """
    progress = runs.Progress(db.engine, matching_run_id)

    def execute(matching_run: MatchRun, agency: Agency, actor: User | None) -> None:
        run.execute(matching_run, agency, actor, progress, on=today())

    _perform(progress, agency_id, "build", "its work is dropped", execute)


def reap_all() -> list[int]:
    """Record every agency's lost runs as failed, as one unit of work; return their ids."""
    return _reap_everywhere(runs.reap)


def enqueue_import(job: ImportJob) -> None:
    """Queue the job of an import just started; it goes on the queue when the caller
    commits. If the queue cannot take it, the job is recorded as failed
    ("queue_unavailable") in a transaction of its own, and its page says so."""
    _enqueue(RUN_IMPORT, job, import_jobs.Progress(db.engine, job.id))


def perform_import(import_job_id: int, agency_id: int) -> None:
    """Take a queued import job and carry it to its end, finished or failed with a reason.

    In the agency's scope and the language of the admin who started it. Progress is
    written in short transactions of its own (`import_jobs.Progress`), with the rows
    done and a heartbeat from a thread; the imported rows and "finished" are one
    transaction, so a failed or killed import leaves nothing half-imported. The upload
    leaves the stash once its rows are in; after a dry run, problems or a failure it
    stays for the next try (and goes after a day, as every upload). A job someone else
    took, or that was failed meanwhile, is left alone.
    """
    progress = import_jobs.Progress(db.engine, import_job_id)

    def execute(job: ImportJob, agency: Agency, actor: User | None) -> str | None:
        """The upload's token once its rows are in, else None."""
        token = job.token
        with force_locale(job.locale):
            imported = import_jobs.execute(job, agency, actor, progress)
        return token if imported else None

    token = _perform(progress, agency_id, "check", "nothing was written", execute)
    if token is not None:
        imports.discard(token)


def reap_imports() -> list[int]:
    """Record every agency's lost import jobs as failed, as one unit of work; their ids."""
    return _reap_everywhere(import_jobs.reap)


def send_digests() -> int:
    """Queue this week's digests (every agency's coordinators who opted in) as one unit of
    work; return how many were queued."""
    stale = int(current_app.config.get("PROPOSAL_STALE_DAYS", workqueue.PROPOSAL_STALE_DAYS))
    try:
        with tenancy.all_agencies():
            sent = digest.send(today(), stale_days=stale)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return len(sent)


def task(name: str, app: Flask | None = None) -> Any:
    """A registered job by name (`RUN_MATCHING`, `REAP_RUNS`, `RUN_IMPORT`, `REAP_IMPORTS`)
    of the app (the current one)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    return app.extensions[TASKS][name]
