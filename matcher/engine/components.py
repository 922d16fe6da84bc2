"""Exact optimum of one graph of pairs, solved connected component by component.

Pairs only exist within shared-language and distance-limited neighbourhoods,
so components solved apart give the exact optimum, faster. Capacities become
replicated columns. A component is solved dense with scipy's
``linear_sum_assignment`` when small and at least half feasible, otherwise
sparse with ``min_weight_full_bipartite_matching``; all costs are integers far
below 2**53, so both solve without rounding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .vocab import SCORE_UNITS

#: Components up to this many matrix cells, with at least this share of them
#: feasible, are solved dense with linear_sum_assignment; the rest sparse with
#: min_weight_full_bipartite_matching (measured faster on realistic cities,
#: where about a third of the cells are feasible).
DENSE_CELLS = 4_000_000
DENSE_SHARE = 0.5


@dataclass(frozen=True)
class SolverEdges:
    """A subset of pairs as parallel arrays, sorted by (newcomer, volunteer)."""

    row: NDArray[np.int64]
    col: NDArray[np.int64]
    units: NDArray[np.int64]


def solve_graph(
    edges: SolverEdges, capacity: NDArray[np.int64], bonus: int, dense_cells: int | None = None
) -> NDArray[np.int64]:
    """Exact optimum on the given edges, component by component; positions of chosen edges.

    Each pair is worth ``bonus + units``; ``bonus`` must exceed any total of units.
    """
    if dense_cells is None:
        dense_cells = DENSE_CELLS
    from scipy.sparse import csr_array
    from scipy.sparse.csgraph import connected_components

    if len(edges.row) == 0:
        return np.zeros(0, dtype=np.int64)
    n_rows = int(edges.row.max()) + 1
    n_cols = len(capacity)
    # Edges are sorted by row, so the row -> column graph is CSR as it stands.
    indptr = np.zeros(n_rows + n_cols + 1, dtype=np.int64)
    np.cumsum(np.bincount(edges.row, minlength=n_rows), out=indptr[1 : n_rows + 1])
    indptr[n_rows + 1 :] = indptr[n_rows]
    graph = csr_array(
        (np.ones(len(edges.row), dtype=np.int8), n_rows + edges.col, indptr),
        shape=(n_rows + n_cols, n_rows + n_cols),
    )
    _, label = connected_components(graph, directed=False)
    edge_label = label[edges.row]
    order = np.argsort(edge_label, kind="stable")
    bounds = np.flatnonzero(np.diff(edge_label[order])) + 1
    chosen: list[NDArray[np.int64]] = []
    for part in np.split(order, bounds):
        chosen.append(part[_solve_component(edges, part, capacity, bonus, dense_cells)])
    return np.sort(np.concatenate(chosen))


def _solve_component(
    edges: SolverEdges,
    part: NDArray[np.int64],
    capacity: NDArray[np.int64],
    bonus: int,
    dense_cells: int,
) -> NDArray[np.int64]:
    """Chosen positions within ``part`` (edges of one connected component, sorted)."""
    rows, row_local = _compact(edges.row[part])
    cols, col_local = _compact(edges.col[part])
    units = edges.units[part]
    if len(rows) == 1:
        # One newcomer: the best volunteer; argmax keeps the lowest id on ties.
        return np.array([int(np.argmax(units))], dtype=np.int64)
    cap = np.minimum(capacity[cols], np.bincount(col_local, minlength=len(cols)))
    if len(cols) == 1:
        # One volunteer: the best newcomers, lowest id first on ties.
        ranked = np.lexsort((row_local, -units))
        return np.sort(ranked[: int(cap[0])])
    # Capacity by column replication: a volunteer with c places becomes c
    # identical columns; places beyond the volunteer's degree are never used.
    first = np.zeros(len(cols) + 1, dtype=np.int64)
    np.cumsum(cap, out=first[1:])
    copies = cap[col_local]
    edge_of = np.repeat(np.arange(len(part)), copies)
    slot = first[col_local][edge_of] + (
        np.arange(len(edge_of)) - np.repeat(np.cumsum(copies) - copies, copies)
    )
    n_slots = int(first[-1])
    value = (units + bonus)[edge_of].astype(np.float64)
    r = row_local[edge_of]
    cells = len(rows) * n_slots
    if cells <= dense_cells and len(edge_of) >= DENSE_SHARE * cells:
        pair_rows, pair_slots = _dense(r, slot, value, len(rows), n_slots)
    else:
        pair_rows, pair_slots = _sparse(r, slot, value, len(rows), n_slots, bonus)
    # Map (row, slot) back to the edge: slots of one column are one volunteer,
    # and the component's edges are sorted by (row, column), so their keys are too.
    pair_cols = np.searchsorted(first, pair_slots, side="right") - 1
    key_edge = row_local * len(cols) + col_local
    return np.sort(np.searchsorted(key_edge, pair_rows * len(cols) + pair_cols))


def _compact(values: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Sorted distinct values and each value's index among them (for small ids)."""
    mark = np.zeros(int(values.max()) + 1, dtype=bool)
    mark[values] = True
    index = np.cumsum(mark) - 1
    return np.flatnonzero(mark), index[values]


def _dense(
    r: NDArray[np.int64],
    slot: NDArray[np.int64],
    value: NDArray[np.float64],
    n_rows: int,
    n_slots: int,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    from scipy.optimize import linear_sum_assignment

    # Infeasible cells cost 0, not infinity: scipy then finds a full
    # assignment, and pairs at cost 0 are simply dropped afterwards.
    if n_rows <= n_slots:
        cost = np.zeros((n_rows, n_slots))
        cost[r, slot] = -value
        a, b = linear_sum_assignment(cost)
        rows_, slots_ = a, b
    else:
        cost = np.zeros((n_slots, n_rows))
        cost[slot, r] = -value
        a, b = linear_sum_assignment(cost)
        rows_, slots_ = b, a
    real = cost[a, b] < 0
    return rows_[real].astype(np.int64), slots_[real].astype(np.int64)


def _sparse(
    r: NDArray[np.int64],
    slot: NDArray[np.int64],
    value: NDArray[np.float64],
    n_rows: int,
    n_slots: int,
    bonus: int,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    from scipy.sparse import csr_array
    from scipy.sparse.csgraph import min_weight_full_bipartite_matching

    # The full matching scipy demands is made always possible by a private
    # "stay unmatched" column per row; all costs stay positive (explicit
    # zeros would be dropped): a real pair costs top - value >= 1.
    top = float(bonus + SCORE_UNITS + 1)
    if n_rows <= n_slots:
        # (row, slot) pairs arrive sorted by row: build CSR directly, with an
        # own "unmatched" column last for each row that needs one (see
        # _rows_left_out); fewer columns make every augmentation cheaper.
        need = _rows_left_out(r, slot, n_rows, n_slots)
        n_a, n_b = n_rows, n_slots
        own = np.zeros(n_rows, dtype=np.int64)
        own[need] = 1
        before = np.cumsum(own) - own  # own columns of earlier rows
        counts = np.bincount(r, minlength=n_rows) + own
        indptr = np.zeros(n_rows + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        place = np.arange(len(r)) + before[r]
        data = np.full(int(indptr[-1]), top)
        indices = np.empty(int(indptr[-1]), dtype=np.int64)
        data[place] = top - value
        indices[place] = slot
        indices[indptr[1:][need] - 1] = n_slots + before[need]
        matrix = csr_array((data, indices, indptr), shape=(n_a, n_b + len(need)))
    else:
        a, b, n_a, n_b = slot, r, n_slots, n_rows
        own = np.arange(n_a, dtype=np.int64)
        matrix = csr_array(
            (
                np.concatenate([top - value, np.full(n_a, top)]),
                (np.concatenate([a, own]), np.concatenate([b, n_b + own])),
            ),
            shape=(n_a, n_b + n_a),
        )
    matched_a, matched_b = min_weight_full_bipartite_matching(matrix)
    real = matched_b < n_b
    pa, pb = matched_a[real].astype(np.int64), matched_b[real].astype(np.int64)
    return (pa, pb) if n_rows <= n_slots else (pb, pa)


def _rows_left_out(
    r: NDArray[np.int64], slot: NDArray[np.int64], n_rows: int, n_slots: int
) -> NDArray[np.int64]:
    """Rows that some maximum matching leaves unmatched (sorted).

    Every optimum has the most pairs, so it is a maximum matching, and a row
    that every maximum matching covers never uses its "unmatched" column;
    leaving that column out keeps every optimum feasible. These rows are the
    ones reachable from a row a maximum matching leaves out, by alternating
    paths (Dulmage-Mendelsohn).
    """
    from scipy.sparse import csr_array
    from scipy.sparse.csgraph import breadth_first_order, maximum_bipartite_matching

    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(r, minlength=n_rows), out=indptr[1:])
    graph = csr_array((np.ones(len(r), dtype=np.int8), slot, indptr), shape=(n_rows, n_slots))
    partner = maximum_bipartite_matching(graph, perm_type="column").astype(np.int64)
    alone = np.flatnonzero(partner < 0)
    if len(alone) == 0:
        return alone
    # Nodes: rows, then slots, then one start node; row -> its slots,
    # matched slot -> its row, start -> every row left out.
    matched = np.flatnonzero(partner >= 0)
    n_nodes = n_rows + n_slots + 1
    src = np.concatenate([r, n_rows + partner[matched], np.full(len(alone), n_nodes - 1)])
    dst = np.concatenate([n_rows + slot, matched, alone])
    walk = csr_array((np.ones(len(src), dtype=np.int8), (src, dst)), shape=(n_nodes, n_nodes))
    reached = breadth_first_order(walk, n_nodes - 1, directed=True, return_predecessors=False)
    result: NDArray[np.int64] = np.sort(reached[reached < n_rows]).astype(np.int64)
    return result
