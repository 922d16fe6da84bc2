"""The rows that get an "unmatched" column in the sparse solver: exactly those
that some maximum matching leaves out."""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import maximum_bipartite_matching

from matcher.engine.components import _rows_left_out


def _matching_size(rows: np.ndarray, cols: np.ndarray, n_rows: int, n_cols: int) -> int:
    graph = csr_array((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n_rows, n_cols))
    return int((maximum_bipartite_matching(graph, perm_type="column") >= 0).sum())


def test_rows_left_out_match_brute_force() -> None:
    rng = np.random.default_rng(7)
    for _ in range(300):
        n_rows, n_cols = int(rng.integers(1, 9)), int(rng.integers(1, 9))
        cells = rng.random((n_rows, n_cols)) < rng.uniform(0.1, 0.7)
        rows, cols = np.nonzero(cells)
        if len(rows) == 0:
            continue
        rows, cols = rows.astype(np.int64), cols.astype(np.int64)
        best = _matching_size(rows, cols, n_rows, n_cols)
        # A row is left out by some maximum matching iff dropping it keeps the size.
        expected = [
            i
            for i in range(n_rows)
            if _matching_size(rows[rows != i], cols[rows != i], n_rows, n_cols) == best
        ]
        assert _rows_left_out(rows, cols, n_rows, n_cols).tolist() == expected
