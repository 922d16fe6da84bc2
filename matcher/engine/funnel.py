"""The funnel: how many pairs each hard constraint leaves, for a settings preview.

It counts with the same code that explains an unmatched newcomer
(:func:`explain.stage_counts`), so the preview and the engine cannot disagree
about what a constraint rules out.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .documents import FunnelDocument, FunnelStages, ProblemDocument
from .explain import ALL_STAGES, stage_counts
from .memory import reuse_freed_memory
from .problem import Problem
from .tables import build_tables
from .validation import parse_problem
from .vocab import FORMAT_FUNNEL


def funnel(problem: ProblemDocument | dict[str, Any], *, walk: bool = False) -> FunnelDocument:
    """Validate a ``matcher.problem/1`` document and count its pairs stage by stage.

    :param walk: also list every stage of ``explain.ALL_STAGES`` (the optional must-rules
        included) with the pairs and the newcomers with some volunteer it leaves.
    :raises ProblemError: when the document is invalid (``.errors`` lists why).
    """
    with reuse_freed_memory():
        return funnel_parsed(parse_problem(problem), walk=walk)


def funnel_parsed(problem: Problem, *, walk: bool = False) -> FunnelDocument:
    """The funnel of an already validated problem (see :func:`funnel`)."""
    tables = build_tables(problem)
    free = tables.volunteers.capacity.copy()
    pinned = np.zeros(len(problem.newcomers), dtype=bool)
    for newcomer, volunteer in problem.pinned:
        # Pinned pairs take their places first, as in a solve.
        free[volunteer] -= 1
        pinned[newcomer] = True
    volunteers = np.flatnonzero(free > 0)
    newcomers = np.flatnonzero(~pinned)
    per_newcomer = stage_counts(problem, tables, newcomers, volunteers=volunteers)
    counts = per_newcomer.sum(axis=0)
    left = dict(zip(ALL_STAGES, (int(count) for count in counts)))
    stages = FunnelStages(
        language=left["language"],
        distance=left["distance"],
        slots=left["slots"],
        gender=left["gender"],
        certificate=left["certificate"],
        forbidden=left["forbidden"],
        score=left["score"],
    )
    document = FunnelDocument(
        format=FORMAT_FUNNEL,
        volunteers=len(volunteers),
        newcomers=len(newcomers),
        all_pairs=len(volunteers) * len(newcomers),
        stages=stages,
        feasible_pairs=stages["score"],
    )
    if walk:
        reached = (per_newcomer > 0).sum(axis=0)
        document["walk"] = [
            {"stage": stage, "pairs": int(counts[k]), "newcomers": int(reached[k])}
            for k, stage in enumerate(ALL_STAGES)
        ]
    return document
