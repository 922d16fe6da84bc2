"""A matching run's status changes: its transition table, as tracked background work.

    queued → building → solving → storing → finished
       └─────────┴─────────┴─────────┴────→ failed (with a reason)

`advance()` and `touch()`, the heartbeat and `WorkGone`/`WorkFailed` are every tracked
work's (`matcher.domain.background`); a run gives its table and its words. A worker
reports each step in a short transaction of its own; only the last step, `finish`, goes
into the transaction that stores the proposals, so proposals and "finished" commit
together.
"""

from __future__ import annotations

from matcher.domain.background import Work
from matcher.domain.transitions import Machine, Transition
from matcher.domain.vocab import ACTIVE_RUN_STATUSES
from matcher.models import MatchRun

RUN = Work(
    Machine(
        "run",
        {
            # A worker takes the queued run and reads the agency's people.
            "build": Transition(("queued",), "building", button=False),
            "solve": Transition(("building",), "solving", button=False),
            "store": Transition(("solving",), "storing", button=False),
            # In the transaction that stores the proposals.
            "finish": Transition(("storing",), "finished", stamp="finished", button=False),
            # From anywhere under way: refused, an error, a lost worker or job.
            "fail": Transition(ACTIVE_RUN_STATUSES, "failed", stamp="finished", button=False),
        },
    ),
    MatchRun,
    noun="run",
    a_noun="a run",
)
