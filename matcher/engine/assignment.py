"""Exact assignment: the most pairs, then the largest total score, with capacities.

The objective is lexicographic and exact. Scores are integer units (<= 1e6),
and each pair is worth ``bonus + units`` with ``bonus`` larger than any total
of units, so one more pair always beats any gain in score. All costs are
integers far below 2**53, so scipy's float solvers compute them without
rounding.

Large problems are solved on a sparse candidate graph (each newcomer's best
pairs) and then *certified* on the full graph: shortest-path potentials of
the residual graph prove that no left-out pair could improve the result; any
pair that could is added and the candidate graph solved again. The answer is
therefore the optimum over all feasible pairs, not a heuristic.

Everything works on id-sorted indices and sorted arrays, so the result is a
function of the problem alone, not of the input order.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from . import components
from .components import SolverEdges
from .feasibility import Edges
from .vocab import SCORE_UNITS

#: Best pairs per newcomer offered as a hint to the first candidate graph. Measured
#: on realistic cities, a hint of top-scored pairs crowds everyone onto the same
#: popular volunteers and costs rounds, so none is used by default.
CANDIDATES_PER_ROW = 0
#: Pairs per newcomer spread over its feasible volunteers, so the first candidate
#: graph is random-like and already matches nearly everyone who can be matched.
SPREAD_PER_ROW = 12
#: Improving pairs added per newcomer and round of certification (best score first).
ADD_PER_ROW = 32
#: Problems up to this many cells (newcomers x places) are solved whole, all pairs
#: at once, without candidate rounds.
WHOLE_CELLS = 1_000_000
#: Rows per chunk when checking all pairs against the potentials.
CHECK_ROWS = 512
#: After this many rounds, the candidate graph keeps only its chosen pairs and
#: those within PRUNE_SLACK units of their bound; the others (most of the
#: spread pairs and the first round's additions) go back to being checked like
#: any left-out pair. Later rounds then solve graphs a tenth the size (2,000:
#: 0.29 -> 0.23 s; 20,000: 29.8 -> 19.7 s in-process). Pruning only once keeps
#: the number of rounds finite: afterwards the graph only grows.
PRUNE_AFTER_ROUNDS = 2
PRUNE_SLACK = 20_000
_FAR = 1 << 60


def pair_bonus(n_rows: int, capacity: NDArray[np.int64]) -> int:
    """A bonus per pair larger than any possible total of score units."""
    return (min(n_rows, int(capacity.sum())) + 1) * SCORE_UNITS


def _subset(edges: Edges, positions: NDArray[np.int64]) -> SolverEdges:
    rows = np.searchsorted(edges.indptr, positions, side="right") - 1
    return SolverEdges(
        rows.astype(np.int64),
        edges.volunteer[positions].astype(np.int64),
        edges.units[positions].astype(np.int64),
    )


def _spread(edges: Edges, per_row: int) -> NDArray[np.int64]:
    """Positions of ``per_row`` pairs per row, evenly spaced from a row-dependent offset.

    The offset (a multiplicative hash of the row) keeps rows from all picking
    the same volunteers, so these pairs form a random-like graph with large
    matchings, which spares rounds of certification.
    """
    degree = np.diff(edges.indptr)
    rows = np.arange(len(degree), dtype=np.int64)
    shift = (rows * 2654435761) % np.maximum(degree, 1)
    picks = [
        edges.indptr[:-1] + (shift + (2 * k + 1) * degree // (2 * per_row)) % np.maximum(degree, 1)
        for k in range(per_row)
    ]
    positions = np.concatenate(picks)
    valid = np.concatenate([degree > 0] * per_row)
    return _merge(positions[valid], np.zeros(0, dtype=np.int64))


def _merge(a: NDArray[np.int64], b: NDArray[np.int64]) -> NDArray[np.int64]:
    """Sorted union of two arrays of positions."""
    merged = np.concatenate([a, b])
    merged.sort()
    keep = np.ones(len(merged), dtype=bool)
    np.not_equal(merged[1:], merged[:-1], out=keep[1:])
    result: NDArray[np.int64] = merged[keep]
    return result


def _best_per_row(
    rows: NDArray[np.int64], cols: NDArray[np.int32], units: NDArray[np.int32], per: int
) -> NDArray[np.int64]:
    """Indices of each row's ``per`` best entries: units descending, then column."""
    # One packed int64 key (21 bits each for row, 10**6 - units, column)
    # sorts much faster than a lexsort over three arrays.
    key = (rows << 42) | ((SCORE_UNITS - units.astype(np.int64)) << 21) | cols.astype(np.int64)
    order = np.argsort(key)
    key_rows = rows[order]
    rank = np.arange(len(order)) - np.searchsorted(key_rows, key_rows)
    result: NDArray[np.int64] = order[rank < per]
    return result


def solve(
    edges: Edges,
    free_rows: NDArray[np.bool_],
    capacity: NDArray[np.int64],
    hint: NDArray[np.int64] | None = None,
    dense_cells: int | None = None,
    on_round: Callable[[int], None] | None = None,
) -> NDArray[np.int64]:
    """Exact lexicographic optimum; returns the positions of the chosen pairs, sorted.

    :param free_rows: newcomers the solver may match (not pinned).
    :param capacity: free places per volunteer, after pinned pairs.
    :param hint: positions of pairs to try first (e.g. each row's best); the
        result is certified optimal over all usable pairs whatever the hint.
    :param on_round: called with 1, 2, … as each round of solving starts: one round
        for a problem solved whole, one more after each certification that found
        left-out pairs that could improve the result.
    """
    usable_edge = capacity[edges.volunteer] > 0
    for row in np.flatnonzero(~free_rows).tolist():
        usable_edge[edges.indptr[row] : edges.indptr[row + 1]] = False
    if not usable_edge.any():
        return np.zeros(0, dtype=np.int64)
    bonus = pair_bonus(int(free_rows.sum()), capacity)
    rows_used = int(np.count_nonzero(free_rows & (np.diff(edges.indptr) > 0)))
    if rows_used * int(capacity.sum()) <= WHOLE_CELLS:
        # Small enough to solve everything at once (dense, one component at a
        # time): nothing is left out, so nothing needs certifying.
        picked = np.flatnonzero(usable_edge)
        if on_round is not None:
            on_round(1)
        return picked[components.solve_graph(_subset(edges, picked), capacity, bonus, dense_cells)]
    start = _spread(edges, SPREAD_PER_ROW)
    if hint is not None:
        start = _merge(start, hint)
    picked = start[usable_edge[start]]
    rounds = 0
    while True:
        if on_round is not None:
            on_round(rounds + 1)
        sub = _subset(edges, picked)
        local = components.solve_graph(sub, capacity, bonus, dense_cells)
        chosen = picked[local]
        chosen_mask = np.zeros(len(picked), dtype=bool)
        chosen_mask[local] = True
        pot = _residual_potentials(free_rows, capacity, bonus, sub, chosen_mask)
        violated = _violations(edges, free_rows, capacity, bonus, pot, picked)
        if len(violated) == 0:
            return chosen
        # Measured: adding each row's best-scored improving pairs converges in
        # fewer rounds than adding those that break their bound the most.
        rows = np.searchsorted(edges.indptr, violated, side="right") - 1
        best = _best_per_row(rows, edges.volunteer[violated], edges.units[violated], ADD_PER_ROW)
        rounds += 1
        if rounds == PRUNE_AFTER_ROUNDS:
            # Pairs far from their bound are unlikely in the optimum; if they
            # are needed after all, the check over all pairs brings them back,
            # since pruned pairs are no longer in ``picked``.
            row_bound, col_bound = _bounds(free_rows, capacity, bonus, pot)
            slack = row_bound[sub.row] - col_bound[sub.col] - sub.units
            picked = picked[chosen_mask | (slack <= PRUNE_SLACK)]
        picked = _merge(picked, violated[best])


def _residual_potentials(
    free_rows: NDArray[np.bool_],
    capacity: NDArray[np.int64],
    bonus: int,
    sub: SolverEdges,
    chosen_mask: NDArray[np.bool_],
) -> NDArray[np.int64]:
    """Shortest-path potentials of the residual graph of an optimal candidate solution.

    Nodes: 0 is source and sink merged, rows follow, then columns. The
    residual graph of an optimal solution has no negative cycle, so these
    distances exist and give every residual arc a non-negative reduced cost.
    """
    n_rows, n_cols = len(free_rows), len(capacity)
    matched = chosen_mask
    value = sub.units + bonus
    row_node, col_node = sub.row + 1, sub.col + 1 + n_rows
    row_used = np.zeros(n_rows, dtype=bool)
    row_used[sub.row[matched]] = True
    load = np.bincount(sub.col[matched], minlength=n_cols)
    rows = np.arange(n_rows, dtype=np.int64) + 1
    cols = np.arange(n_cols, dtype=np.int64) + 1 + n_rows
    room = load < capacity
    taken = load > 0
    zero = np.zeros
    src = np.concatenate([
        row_node[~matched], col_node[matched],
        zero(int((~row_used).sum()), np.int64), rows[row_used],
        cols[room], zero(int(taken.sum()), np.int64),
    ])  # fmt: skip
    dst = np.concatenate([
        col_node[~matched], row_node[matched],
        rows[~row_used], zero(int(row_used.sum()), np.int64),
        zero(int(room.sum()), np.int64), cols[taken],
    ])  # fmt: skip
    cost = np.concatenate([-value[~matched], value[matched], zero(len(src) - len(value), np.int64)])
    return _potentials(src, dst, cost, 1 + n_rows + n_cols)


def _row_chunks(edges: Edges) -> list[tuple[int, int, int, int]]:
    chunks = []
    n_rows = len(edges.indptr) - 1
    for lo_row in range(0, n_rows, CHECK_ROWS):
        hi_row = min(n_rows, lo_row + CHECK_ROWS)
        lo, hi = int(edges.indptr[lo_row]), int(edges.indptr[hi_row])
        if lo < hi:
            chunks.append((lo_row, hi_row, lo, hi))
    return chunks


def _bounds(
    free_rows: NDArray[np.bool_], capacity: NDArray[np.int64], bonus: int, pot: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Row and column parts of the bound: pair (i, j) can help iff units > row[i] - col[j]."""
    n_rows = len(free_rows)
    # Pinned rows and full volunteers get bounds no pair can pass.
    row_bound = np.where(free_rows, pot[1 : 1 + n_rows] - bonus, _FAR)
    col_bound = np.where(capacity > 0, pot[1 + n_rows :], -_FAR)
    return row_bound, col_bound


def _violations(
    edges: Edges,
    free_rows: NDArray[np.bool_],
    capacity: NDArray[np.int64],
    bonus: int,
    pot: NDArray[np.int64],
    picked: NDArray[np.int64],
) -> NDArray[np.int64]:
    """Positions of left-out pairs that could improve the candidate optimum.

    A left-out pair (i, j) is the residual arc i -> j with cost -(bonus + units);
    it cannot help iff bonus + units <= pot[i] - pot[j]. If no pair can help,
    the potentials stay valid with every pair added, so the candidate optimum
    is the optimum over all pairs.
    """
    row_bound, col_bound = _bounds(free_rows, capacity, bonus, pot)
    found: list[NDArray[np.int64]] = []
    for lo_row, hi_row, lo, hi in _row_chunks(edges):
        counts = np.diff(edges.indptr[lo_row : hi_row + 1])
        bound = np.repeat(row_bound[lo_row:hi_row], counts) - col_bound[edges.volunteer[lo:hi]]
        found.append(lo + np.flatnonzero(edges.units[lo:hi] > bound))
    violated = np.concatenate(found) if found else np.zeros(0, dtype=np.int64)
    # Pairs already in the graph satisfy their own arcs; matched ones may
    # show up here (their arc runs the other way) and are not news.
    if len(picked) == 0:
        return violated
    spot = np.minimum(np.searchsorted(picked, violated), len(picked) - 1)
    fresh: NDArray[np.int64] = violated[picked[spot] != violated]
    return fresh


def _potentials(
    src: NDArray[np.int64], dst: NDArray[np.int64], cost: NDArray[np.int64], n_nodes: int
) -> NDArray[np.int64]:
    """Shortest distances from node 0 (Bellman-Ford); unreachable nodes get 0.

    Distances from the source give every row its largest and every column its
    smallest dual value, the choice that certifies the most left-out pairs
    when volunteers have places to spare. Only nodes whose distance changed
    are relaxed again, so later rounds cost only what still moves.
    """
    order = np.argsort(src, kind="stable")
    src, dst, cost = src[order], dst[order], cost[order]
    starts = np.searchsorted(src, np.arange(n_nodes + 1))
    dist = np.full(n_nodes, _FAR, dtype=np.int64)
    dist[0] = 0
    flag = np.zeros(n_nodes, dtype=bool)
    active = np.zeros(1, dtype=np.int64)
    for _ in range(n_nodes + 1):
        counts = starts[active + 1] - starts[active]
        total = int(counts.sum())
        if total == 0:
            break
        arcs = np.repeat(starts[active] - np.cumsum(counts) + counts, counts) + np.arange(total)
        candidate = dist[src[arcs]] + cost[arcs]
        targets = dst[arcs]
        before = dist[targets]
        np.minimum.at(dist, targets, candidate)
        flag[targets[dist[targets] < before]] = True
        active = np.flatnonzero(flag)
        if len(active) == 0:
            break
        flag[active] = False
    else:
        raise RuntimeError("negative cycle: the candidate solution is not optimal")
    # Nodes the source cannot reach (volunteers outside the candidate graph)
    # only have arcs back to it; 0 is a valid and natural value for them.
    dist[dist >= _FAR // 2] = 0
    return dist
