"""How a matching run's progress reads on a page: its step, a bar, and why it failed.

One definition for the run page, its live updates (`/matching/runs/<id>/progress`),
the dashboard and the proposals page.
"""

from dataclasses import dataclass

from flask_babel import gettext as _

from matcher.models import MatchRun
from matcher.web import messages

#: The steps a run goes through, in order; the bar is full when the last one is done.
STEPS = ("queued", "building", "solving", "storing")


@dataclass(frozen=True)
class RunProgress:
    """What a page shows of a run: under way or not, the bar's value, a sentence."""

    active: bool
    status: str
    value: int
    maximum: int
    text: str


def step_text(run: MatchRun) -> str:
    """The run's step in words, e.g. "Step 3 of 4: finding the best pairs (round 2)"."""
    if run.status == "queued":
        what = _("waiting for a free background worker")
    elif run.status == "building":
        what = _("reading the volunteers and newcomers")
    elif run.status == "solving":
        what = (
            _("finding the best pairs (round %(round)s)", round=run.solver_round)
            if run.solver_round
            else _("finding the best pairs")
        )
    else:
        what = _("saving the proposals")
    return str(
        _(
            "Step %(step)s of %(steps)s: %(what)s",
            step=STEPS.index(run.status) + 1,
            steps=len(STEPS),
            what=what,
        )
    )


def failure_text(run: MatchRun) -> str:
    """Why a failed run failed, in the user's language."""
    return messages.run_failure_text(run.failure or "error", run.failure_detail or "")


def progress(run: MatchRun) -> RunProgress:
    """The run's progress as its page shows it."""
    if run.active:
        return RunProgress(True, run.status, STEPS.index(run.status), len(STEPS), step_text(run))
    if run.status == "finished":
        return RunProgress(False, run.status, len(STEPS), len(STEPS), _("Finished."))
    return RunProgress(False, run.status, 0, len(STEPS), failure_text(run))
