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
  jobs whose worker is gone.

Exports stay in the request: measured, the largest takes about a second
(`benchmarks/lists.py`). Imports above `IMPORT_JOB_ROWS` rows are jobs; smaller ones are
done in the request, as quickly.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from flask import current_app
from flask_babel import force_locale
from huey import crontab

from matcher import jobs, tenancy
from matcher.domain.import_jobs import ImportFailed, ImportGone
from matcher.domain.runs import RunFailed, RunGone
from matcher.extensions import db
from matcher.models import Agency, ImportJob, MatchRun, User, today
from matcher.services.lists import import_jobs, imports
from matcher.services.matching import run, runs

if TYPE_CHECKING:
    from flask import Flask
    from huey import Huey

TASKS = "matcher.jobs.tasks"
RUN_MATCHING = "matching.run"
REAP_RUNS = "matching.reap"
RUN_IMPORT = "imports.run"
REAP_IMPORTS = "imports.reap"

log = logging.getLogger(__name__)


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

    app.extensions[TASKS] = {
        RUN_MATCHING: run_matching,
        REAP_RUNS: reap_runs,
        RUN_IMPORT: run_import,
        REAP_IMPORTS: reap_import_jobs,
    }


def enqueue_run(matching_run: MatchRun) -> None:
    """Queue the job of a run just started; it goes on the queue when the caller commits.

    If the queue cannot take it, the run is recorded as failed ("queue_unavailable") in
    a transaction of its own, and its page says so.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    huey = jobs.queue(app)
    task = app.extensions[TASKS][RUN_MATCHING].s(matching_run.id, matching_run.agency_id)
    matching_run.job_id = task.id
    progress = runs.Progress(db.engine, matching_run.id)
    actor_id = matching_run.started_by_id

    def refused(error: Exception) -> None:
        progress.fail("queue_unavailable", f"{type(error).__name__}: {error}", actor_id)

    jobs.enqueue_after_commit(db.session, huey, task, refused)


def perform_run(matching_run_id: int, agency_id: int) -> None:
    """Take a queued run and carry it to its end, finished or failed with a reason.

    The one code path of the queue's job and of `flask match run`. Progress is written
    in short transactions of its own (`runs.Progress`), with a heartbeat from a thread
    while the work goes on; the proposals and "finished" are one transaction. A run
    someone else took, or that was failed meanwhile, is left alone.
    """
    progress = runs.Progress(db.engine, matching_run_id)
    try:
        progress.advance("build")
    except RunGone:
        log.info("matching run %s is not queued any more; nothing to do", matching_run_id)
        return
    every = float(current_app.config["JOBS_HEARTBEAT_SECONDS"])
    actor_id: int | None = None
    try:
        with progress.heartbeat(every), tenancy.for_agency(agency_id):
            matching_run = db.session.get(MatchRun, matching_run_id)
            agency = db.session.get(Agency, agency_id)
            assert matching_run is not None and agency is not None
            actor_id = matching_run.started_by_id
            actor = db.session.get(User, actor_id) if actor_id is not None else None
            run.execute(matching_run, agency, actor, progress, on=today())
            db.session.commit()
    except RunGone:
        db.session.rollback()
        log.warning("matching run %s was failed meanwhile; its work is dropped", matching_run_id)
    except RunFailed as e:
        db.session.rollback()
        progress.fail(e.failure, e.detail, actor_id)
    except BaseException as e:
        # Recorded first, then raised on: the consumer logs it with its traceback.
        db.session.rollback()
        stopped = isinstance(e, KeyboardInterrupt | SystemExit)
        progress.fail("interrupted" if stopped else "error", _describe(e), actor_id)
        raise


def _describe(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


def reap_all() -> list[int]:
    """Record every agency's lost runs as failed, as one unit of work; return their ids."""
    try:
        with tenancy.all_agencies():
            reaped = runs.reap()
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return reaped


def enqueue_import(job: ImportJob) -> None:
    """Queue the job of an import just started; it goes on the queue when the caller
    commits. If the queue cannot take it, the job is recorded as failed
    ("queue_unavailable") in a transaction of its own, and its page says so."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    huey = jobs.queue(app)
    task = app.extensions[TASKS][RUN_IMPORT].s(job.id, job.agency_id)
    job.job_id = task.id
    progress = import_jobs.Progress(db.engine, job.id)
    actor_id = job.started_by_id

    def refused(error: Exception) -> None:
        progress.fail("queue_unavailable", f"{type(error).__name__}: {error}", actor_id)

    jobs.enqueue_after_commit(db.session, huey, task, refused)


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
    try:
        progress.advance("check")
    except ImportGone:
        log.info("import job %s is not queued any more; nothing to do", import_job_id)
        return
    every = float(current_app.config["JOBS_HEARTBEAT_SECONDS"])
    actor_id: int | None = None
    token = ""
    try:
        with progress.heartbeat(every), tenancy.for_agency(agency_id):
            job = db.session.get(ImportJob, import_job_id)
            agency = db.session.get(Agency, agency_id)
            assert job is not None and agency is not None
            actor_id, token = job.started_by_id, job.token
            actor = db.session.get(User, actor_id) if actor_id is not None else None
            with force_locale(job.locale):
                imported = import_jobs.execute(job, agency, actor, progress)
            db.session.commit()
    except ImportGone:
        db.session.rollback()
        log.warning("import job %s was failed meanwhile; nothing was written", import_job_id)
        return
    except ImportFailed as e:
        db.session.rollback()
        progress.fail(e.failure, e.detail, actor_id)
        return
    except BaseException as e:
        # Recorded first, then raised on: the consumer logs it with its traceback.
        db.session.rollback()
        stopped = isinstance(e, KeyboardInterrupt | SystemExit)
        progress.fail("interrupted" if stopped else "error", _describe(e), actor_id)
        raise
    if imported:
        imports.discard(token)


def reap_imports() -> list[int]:
    """Record every agency's lost import jobs as failed, as one unit of work; their ids."""
    try:
        with tenancy.all_agencies():
            reaped = import_jobs.reap()
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return reaped


def task(name: str, app: Flask | None = None) -> Any:
    """A registered job by name (`RUN_MATCHING`, `REAP_RUNS`, `RUN_IMPORT`, `REAP_IMPORTS`)
    of the app (the current one)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    return app.extensions[TASKS][name]
