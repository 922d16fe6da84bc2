"""The pipeline: validate, score, assign, explain; builds the ``matcher.result/1`` document."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from . import assignment
from .competition import Competition, competitions
from .documents import (
    Candidate,
    Pair,
    ProblemDocument,
    ResultDocument,
    Stats,
    UnmatchedNewcomer,
    UnmatchedVolunteer,
)
from .explain import (
    PairContext,
    no_feasible_detail,
    pair_reasons,
    stage_counts,
    taken_detail,
)
from .feasibility import Edges, feasible_edges
from .memory import reuse_freed_memory
from .problem import Problem
from .scoring import meets_min_score, pair_facts
from .tables import Tables, build_tables
from .validation import parse_problem
from .vocab import FORMAT_RESULT, SCORE_UNITS

Candidates = int | Literal["all"] | None
#: Told of the solver's progress: ``("feasible", pairs)`` once the feasible pairs are
#: known, ``("round", k)`` as round ``k`` of the exact assignment starts (1 for a problem
#: solved whole; each further round follows a certification that found better pairs),
#: and ``("explain", chosen)`` (the pairs it chose, pinned ones aside) while the result's
#: reasons are written. It runs in the solver's thread; whatever it raises aborts the solve.
ProgressCallback = Callable[[str, int], None]


def solve(
    problem: ProblemDocument | dict[str, Any],
    candidates: Candidates = None,
    *,
    with_codes: bool = False,
    progress: ProgressCallback | None = None,
) -> ResultDocument:
    """Solve a ``matcher.problem/1`` document and return the ``matcher.result/1`` document.

    :param candidates: list up to this many feasible volunteers per newcomer
        (``"all"`` for every one); None leaves ``candidates`` out.
    :param with_codes: also give every pair ``reason_codes`` and every
        unmatched newcomer a ``detail_code`` (structured, for translation).
    :param progress: called with the solver's stages and rounds (see ``ProgressCallback``).
    :raises ProblemError: when the document is invalid (``.errors`` lists why).
    """
    started = time.perf_counter()
    with reuse_freed_memory():
        parsed = parse_problem(problem)
        return _solve(parsed, candidates, with_codes, started, progress)


def solve_parsed(
    problem: Problem,
    candidates: Candidates = None,
    *,
    with_codes: bool = False,
    started: float | None = None,
    progress: ProgressCallback | None = None,
) -> ResultDocument:
    """Solve an already validated problem (see :func:`solve`)."""
    with reuse_freed_memory():
        return _solve(problem, candidates, with_codes, started or time.perf_counter(), progress)


def _ignore(stage: str, count: int) -> None:
    """The progress callback of a caller that asked for none."""


def _solve(
    problem: Problem,
    candidates: Candidates,
    with_codes: bool,
    started: float,
    progress: ProgressCallback | None = None,
) -> ResultDocument:
    if (
        candidates is not None
        and candidates != "all"
        and (isinstance(candidates, bool) or not isinstance(candidates, int) or candidates < 0)
    ):
        raise ValueError('candidates must be a non-negative integer or "all"')
    tables = build_tables(problem)
    n_new, n_vol = len(problem.newcomers), len(problem.volunteers)
    free_rows = np.ones(n_new, dtype=bool)
    capacity = tables.volunteers.capacity.copy()
    for newcomer, volunteer in problem.pinned:
        # Pinned pairs consume capacity first, so a re-run never undoes a
        # human decision; a volunteer pinned beyond capacity simply has none left.
        free_rows[newcomer] = False
        capacity[volunteer] -= 1
    capacity = np.maximum(capacity, 0)
    tell = progress or _ignore
    edges = feasible_edges(problem, tables, capacity > 0, assignment.CANDIDATES_PER_ROW)
    tell("feasible", int(edges.count))
    chosen = assignment.solve(
        edges,
        free_rows,
        capacity,
        edges.top if len(edges.top) else None,
        on_round=lambda k: tell("round", k),
    )
    tell("explain", len(chosen))
    partner = np.full(n_new, -1, dtype=np.int64)
    chosen_rows = np.searchsorted(edges.indptr, chosen, side="right") - 1
    partner[chosen_rows] = edges.volunteer[chosen]
    # Where the volunteers of newcomers left unmatched went, before pinned
    # pairs join ``partner``: only the optimum's own choices compete.
    proposed_units = np.zeros(n_new, dtype=np.int64)
    proposed_units[chosen_rows] = edges.units[chosen]
    crowded = np.flatnonzero(free_rows & (partner < 0) & (np.diff(edges.indptr) > 0))
    taken = dict(
        zip(
            crowded.tolist(),
            competitions(
                edges,
                crowded,
                tables.volunteers.capacity,
                capacity,
                partner,
                proposed_units,
                tables.newcomers.waiting_days,
            ),
        )
    )
    pinned_rows = np.array([i for i, _ in problem.pinned], dtype=np.int64)
    partner[pinned_rows] = [j for _, j in problem.pinned]
    pairs = _pairs(problem, tables, partner, with_codes)
    load = np.bincount(partner[partner >= 0], minlength=n_vol)
    unmatched_newcomers = _unmatched_newcomers(problem, tables, edges, partner, taken, with_codes)
    # Volunteers left without any newcomer, and not paused.
    unmatched_volunteers: list[UnmatchedVolunteer] = [
        {"volunteer": person.id, "free_capacity": person.capacity}
        for j, person in enumerate(problem.volunteers)
        if load[j] == 0 and person.capacity > 0
    ]
    listed = None if candidates is None else _candidates(problem, edges, candidates)
    total = sum(int(round(pair["score"] * SCORE_UNITS)) for pair in pairs)
    stats: Stats = {
        "volunteers": n_vol,
        "newcomers": n_new,
        "feasible_pairs": edges.count,
        "pairs": len(pairs),
        "total_score": round(total / SCORE_UNITS, 6),
        "seconds": round(time.perf_counter() - started, 3),
    }
    # Two literals, so that ``candidates`` keeps its place before ``stats`` in the JSON.
    if listed is None:
        return {
            "format": FORMAT_RESULT,
            "pairs": pairs,
            "unmatched_newcomers": unmatched_newcomers,
            "unmatched_volunteers": unmatched_volunteers,
            "stats": stats,
        }
    return {
        "format": FORMAT_RESULT,
        "pairs": pairs,
        "unmatched_newcomers": unmatched_newcomers,
        "unmatched_volunteers": unmatched_volunteers,
        "candidates": listed,
        "stats": stats,
    }


def _pairs(
    problem: Problem, tables: Tables, partner: NDArray[np.int64], with_codes: bool
) -> list[Pair]:
    rows = np.flatnonzero(partner >= 0)
    cols = partner[rows]
    facts = pair_facts(tables, problem.settings, rows, cols)
    pinned = set(problem.pinned)
    load = np.bincount(cols, minlength=len(problem.volunteers)).tolist()
    below = (~meets_min_score(facts.units, problem.settings.min_score)).tolist()
    # Plain Python values up front: indexing numpy arrays per pair is slow.
    km = facts.km.tolist()
    units = facts.units.tolist()
    parts = facts.components
    language, distance = parts["language"].tolist(), parts["distance"].tolist()
    availability, topics = parts["availability"].tolist(), parts["topics"].tolist()
    waiting = parts["waiting"].tolist()
    # Reported only where the agency switched it on (weight above 0).
    family = parts["family"].tolist() if "family" in parts else None
    pairs = []
    for k, (i, j) in enumerate(zip(rows.tolist(), cols.tolist())):
        is_pinned = (i, j) in pinned
        volunteer = problem.volunteers[j]
        context = PairContext(
            newcomer=problem.newcomers[i],
            volunteer=volunteer,
            km=float(km[k]),
            pinned=is_pinned,
            forbidden=(i, j) in problem.forbidden,
            below_min_score=below[k] and is_pinned,
            over_capacity=is_pinned and load[j] > volunteer.capacity,
        )
        reasons = pair_reasons(problem, context)
        pair: Pair = {
            "volunteer": volunteer.id,
            "newcomer": problem.newcomers[i].id,
            "score": int(units[k]) / SCORE_UNITS,
            "pinned": is_pinned,
            # In the order of COMPONENTS, the order they are reported in.
            "components": {
                "language": float(language[k]),
                "distance": float(distance[k]),
                "availability": float(availability[k]),
                "topics": float(topics[k]),
                "waiting": float(waiting[k]),
            },
            "reasons": [r["text"] for r in reasons],
        }
        if family is not None:
            pair["components"]["family"] = float(family[k])
        if with_codes:
            pair["reason_codes"] = reasons
        pairs.append(pair)
    return pairs


def _unmatched_newcomers(
    problem: Problem,
    tables: Tables,
    edges: Edges,
    partner: NDArray[np.int64],
    taken: dict[int, Competition],
    with_codes: bool,
) -> list[UnmatchedNewcomer]:
    degree = np.diff(edges.indptr)
    unmatched = []
    lonely = np.flatnonzero((partner < 0) & (degree == 0))
    counts = dict(zip(lonely.tolist(), stage_counts(problem, tables, lonely).tolist()))
    for i in np.flatnonzero(partner < 0).tolist():
        if degree[i] == 0:
            text, code = no_feasible_detail(problem, tables, i, counts[i])
            entry: UnmatchedNewcomer = {
                "newcomer": problem.newcomers[i].id,
                "reason": "no_feasible_volunteer",
                "detail": text,
            }
        else:
            text, code = taken_detail(taken[i])
            entry = {
                "newcomer": problem.newcomers[i].id,
                "reason": "volunteers_taken",
                "detail": text,
            }
        if with_codes:
            entry["detail_code"] = code
        unmatched.append(entry)
    return unmatched


def _candidates(
    problem: Problem, edges: Edges, limit: int | Literal["all"]
) -> dict[str, list[Candidate]]:
    result: dict[str, list[Candidate]] = {}
    for i, person in enumerate(problem.newcomers):
        lo, hi = int(edges.indptr[i]), int(edges.indptr[i + 1])
        cols = edges.volunteer[lo:hi]
        units = edges.units[lo:hi]
        # Best score first; equal scores by volunteer id (= index order).
        order = np.lexsort((cols, -units.astype(np.int64)))
        if limit != "all":
            order = order[:limit]
        result[person.id] = [
            {"volunteer": problem.volunteers[j].id, "score": u / SCORE_UNITS}
            for j, u in zip(cols[order].tolist(), units[order].tolist())
        ]
    return result
