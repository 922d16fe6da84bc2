"""The assignment is exact: brute force over every assignment agrees, on random problems."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pytest
from engine_support import (
    ENGINE,
    best_assignment,
    feasible_by_rules,
    haversine,
    small_problems,
    units,
)
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from matcher.engine import assignment, components, solve
from matcher.engine.feasibility import Edges

pytestmark = pytest.mark.engine

ENGINE_MORE = settings(ENGINE, max_examples=200)


def _near_limit(doc: dict[str, Any]) -> bool:
    limit = doc["settings"]["max_distance_km"]
    if limit is None:
        return False
    return any(
        abs(haversine(v["location"], n["location"]) - limit) < 1e-6
        for v in doc["volunteers"]
        for n in doc["newcomers"]
        if v["location"] and n["location"]
    )


@ENGINE_MORE
@given(small_problems())
def test_result_is_the_lexicographic_optimum(doc: dict[str, Any]) -> None:
    assume(not _near_limit(doc))
    result = solve(doc, candidates="all")
    scores = {
        (c["volunteer"], n): units(c["score"])
        for n, listed in result["candidates"].items()
        for c in listed
    }
    # Feasibility agrees with the rules as the spec words them.
    by_rules = feasible_by_rules(doc)
    assert set(scores) <= by_rules
    min_score = doc["settings"]["min_score"]
    assert all(score >= units(min_score) for score in scores.values())
    if min_score == 0:
        assert set(scores) == by_rules
    assert result["stats"]["feasible_pairs"] == len(scores)

    pinned = {(p["volunteer"], p["newcomer"]) for p in doc["pinned"]}
    pinned_newcomers = {n for _, n in pinned}
    capacity = {v["id"]: v["capacity"] for v in doc["volunteers"]}
    for v, _ in pinned:
        capacity[v] = max(0, capacity[v] - 1)
    free = [n["id"] for n in doc["newcomers"] if n["id"] not in pinned_newcomers]
    free_scores = {pair: s for pair, s in scores.items() if pair[1] not in pinned_newcomers}
    expected = best_assignment(free_scores, capacity, free)

    proposed = [p for p in result["pairs"] if not p["pinned"]]
    assert (len(proposed), sum(units(p["score"]) for p in proposed)) == expected
    # Every pinned pair is there, marked; every proposal is feasible.
    assert {(p["volunteer"], p["newcomer"]) for p in result["pairs"] if p["pinned"]} == pinned
    assert all((p["volunteer"], p["newcomer"]) in scores for p in proposed)
    # Capacities hold (pinned pairs count first) and each newcomer appears once.
    load = Counter(p["volunteer"] for p in result["pairs"])
    for v in doc["volunteers"]:
        pinned_here = sum(1 for pv, _ in pinned if pv == v["id"])
        assert load[v["id"]] <= max(v["capacity"], pinned_here)
    newcomers = [p["newcomer"] for p in result["pairs"]]
    assert len(newcomers) == len(set(newcomers))


@st.composite
def edge_sets(draw: st.DrawFn) -> tuple[Edges, np.ndarray, np.ndarray]:
    """Random feasible-pair graphs with capacities, pinned rows and skewed scores."""
    n_rows = draw(st.integers(1, 6))
    n_cols = draw(st.integers(1, 5))
    cells = [(i, j) for i in range(n_rows) for j in range(n_cols)]
    chosen = sorted(draw(st.lists(st.sampled_from(cells), unique=True, max_size=14)))
    # Few distinct scores make ties, the hard case for determinism.
    score = st.sampled_from([0, 1, 500_000, 999_999, 1_000_000])
    counts = np.bincount([i for i, _ in chosen], minlength=n_rows)
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    edges = Edges(
        indptr=indptr,
        volunteer=np.array([j for _, j in chosen], dtype=np.int32),
        units=np.array([draw(score) for _ in chosen], dtype=np.int32),
        top=np.zeros(0, dtype=np.int64),
    )
    capacity = np.array([draw(st.integers(0, 3)) for _ in range(n_cols)], dtype=np.int64)
    # Some rows are pinned elsewhere and must stay out of the solver's hands.
    free = np.array([draw(st.integers(0, 4)) > 0 for _ in range(n_rows)])
    return edges, free, capacity


def _brute(edges: Edges, free: np.ndarray, capacity: np.ndarray) -> tuple[int, int]:
    rows = np.repeat(np.arange(len(free)), np.diff(edges.indptr))
    scores = {
        (f"v{j}", f"n{i}"): int(u)
        for i, j, u in zip(rows, edges.volunteer, edges.units)
        if free[i] and capacity[j] > 0
    }
    caps = {f"v{j}": int(c) for j, c in enumerate(capacity)}
    return best_assignment(scores, caps, [f"n{i}" for i in range(len(free)) if free[i]])


@ENGINE_MORE
@given(
    edge_sets(),
    st.sampled_from([0, 10**9]),
    st.sampled_from([0, 10**9]),
    st.sampled_from([1, 2, 12]),
    st.sampled_from([(1, 0), (2, 20_000), (0, 0)]),
)
def test_solver_paths_are_exact(
    case: tuple[Edges, np.ndarray, np.ndarray],
    dense_cells: int,
    whole_cells: int,
    spread: int,
    prune: tuple[int, int],
) -> None:
    """Dense and sparse solvers, whole or in certified rounds from a tiny start
    (with the candidate graph pruned after some round, or never), agree."""
    edges, free, capacity = case
    saved = (
        assignment.SPREAD_PER_ROW,
        assignment.WHOLE_CELLS,
        components.DENSE_SHARE,
        assignment.PRUNE_AFTER_ROUNDS,
        assignment.PRUNE_SLACK,
    )
    assignment.SPREAD_PER_ROW, assignment.WHOLE_CELLS = spread, whole_cells
    assignment.PRUNE_AFTER_ROUNDS, assignment.PRUNE_SLACK = prune
    components.DENSE_SHARE = 0
    try:
        chosen = assignment.solve(edges, free, capacity, None, dense_cells)
    finally:
        (
            assignment.SPREAD_PER_ROW,
            assignment.WHOLE_CELLS,
            components.DENSE_SHARE,
            assignment.PRUNE_AFTER_ROUNDS,
            assignment.PRUNE_SLACK,
        ) = saved
    rows = np.searchsorted(edges.indptr, chosen, side="right") - 1
    cols = edges.volunteer[chosen]
    assert len(set(rows.tolist())) == len(rows)
    assert free[rows].all()
    assert (np.bincount(cols, minlength=len(capacity)) <= capacity).all()
    got = (len(chosen), int(edges.units[chosen].astype(np.int64).sum()))
    assert got == _brute(edges, free, capacity)
