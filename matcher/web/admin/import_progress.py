"""How an import job's progress reads on a page: its step, a bar of rows, why it failed.

One definition for the job's page and its live updates (`/admin/imports/jobs/<id>/progress`,
read by the same script as a matching run's page, `static/js/run-progress.js`).
"""

from dataclasses import dataclass

from flask_babel import gettext as _

from matcher.models import ImportJob
from matcher.web import messages
from matcher.web.templating import numberformat


@dataclass(frozen=True)
class ImportProgress:
    """What a page shows of an import job: under way or not, the bar, a sentence."""

    active: bool
    status: str
    value: int
    maximum: int
    text: str


def _steps(job: ImportJob) -> tuple[str, ...]:
    return ("queued", "checking") if job.dry_run else ("queued", "checking", "importing")


def step_text(job: ImportJob) -> str:
    """The job's step in words, e.g. "Step 2 of 3: checking the rows (4.000 of 11.181)"."""
    if job.status == "queued":
        what = _("waiting for a free background worker")
    elif job.status == "checking":
        what = _("checking the rows (%(done)s of %(total)s)",
                 done=numberformat(job.rows_done), total=numberformat(job.rows_total))  # fmt: skip
    else:
        what = _("saving the new people (%(done)s of %(total)s)",
                 done=numberformat(job.rows_done), total=numberformat(job.new))  # fmt: skip
    steps = _steps(job)
    return str(
        _(
            "Step %(step)s of %(steps)s: %(what)s",
            step=steps.index(job.status) + 1,
            steps=len(steps),
            what=what,
        )  # fmt: skip
    )


def failure_text(job: ImportJob) -> str:
    """Why a failed job failed, in the user's language."""
    return messages.import_failure_text(job.failure or "error", job.failure_detail or "")


def progress(job: ImportJob) -> ImportProgress:
    """The job's progress as its page shows it: the rows checked of the file's rows, then
    the people saved of the new ones."""
    if job.status == "queued":
        return ImportProgress(True, job.status, 0, max(job.rows_total, 1), step_text(job))
    if job.status == "checking":
        total = max(job.rows_total, 1)
        return ImportProgress(True, job.status, min(job.rows_done, total), total, step_text(job))
    if job.status == "importing":
        total = max(job.new, 1)
        return ImportProgress(True, job.status, min(job.rows_done, total), total, step_text(job))
    if job.status == "finished":
        return ImportProgress(False, job.status, 1, 1, _("Finished."))
    return ImportProgress(False, job.status, 0, 1, failure_text(job))
