"""An import job's status changes: its transition table, as tracked background work.

    queued → checking → importing → finished      (an import whose rows are all fine)
                  └────────────────→ finished      (a dry run, or rows with problems)
       └─────────┴──────────┴──────→ failed (with a reason)

`advance()` and `touch()`, the heartbeat and `WorkGone`/`WorkFailed` are every tracked
work's (`matcher.domain.background`), as a matching run's are; an import job gives its
table and its words. A worker reports each step in a short transaction of its own; only
`finish` goes into the transaction that writes the imported rows, so the rows and
"finished" commit together, or neither.
"""

from __future__ import annotations

from matcher.domain.background import Work
from matcher.domain.transitions import Machine, Transition
from matcher.domain.vocab import ACTIVE_IMPORT_STATUSES
from matcher.models import ImportJob

IMPORT_JOB = Work(
    Machine(
        "import_job",
        {
            # A worker takes the queued job and reads every row of the file.
            "check": Transition(("queued",), "checking", button=False),
            # Every row is fine and it is no dry run: the rows are written.
            "write": Transition(("checking",), "importing", button=False),
            # A dry run, or rows with problems, end after checking; an import in the
            # transaction that writes its rows.
            "finish": Transition(
                ("checking", "importing"), "finished", stamp="finished", button=False
            ),  # fmt: skip
            # From anywhere under way: an error, a lost worker or job, a file gone.
            "fail": Transition(ACTIVE_IMPORT_STATUSES, "failed", stamp="finished", button=False),
        },
    ),
    ImportJob,
    noun="import job",
    a_noun="an import job",
)
