"""Where the feasible volunteers of an unmatched newcomer went, counted from the solved assignment.

A newcomer with feasible volunteers stays unmatched for one of two reasons,
and the coordinator needs to know which: the volunteers have no free place at
all (paused, or every place held by a pinned pair), or the optimum gives their
free places to other newcomers. For the latter this counts who those others
are: how many have fewer options, how many have waited longer, how many score
higher with that volunteer. It is computed for the unmatched newcomers only,
with a fixed number of array operations, so it costs little next to the solve.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .feasibility import Edges

#: Pairs gathered at once when counting options, to bound the scratch memory.
OPTIONS_CHUNK = 4_000_000


@dataclass(frozen=True)
class Competition:
    """Where the feasible volunteers of one unmatched newcomer went.

    A newcomer's *options* are its feasible volunteers with a free place after
    the pinned pairs; for the unmatched newcomer that is ``taken``.
    """

    #: Feasible volunteers.
    candidates: int
    #: Of those, paused (capacity 0).
    paused: int
    #: Not paused, but every place held by pinned pairs.
    full: int
    #: With free places, all of them proposed to other newcomers.
    taken: int
    #: Newcomers proposed to the ``taken`` volunteers.
    others: int
    #: Of the others, those with fewer options than this newcomer.
    fewer_options: int
    #: The fewest options among those (None when ``fewer_options`` is 0).
    min_options: int | None
    #: The most options among those (None when ``fewer_options`` is 0).
    max_options: int | None
    #: Of the others, those who have waited longer.
    waited_longer: int
    #: Of the others, those whose score with their volunteer is higher than
    #: this newcomer's with that volunteer (the rest score the same: the
    #: optimum never gives a volunteer to a lower score when swapping keeps
    #: the number of pairs).
    higher_score: int


def _ranges(starts: NDArray[np.int64], stops: NDArray[np.int64]) -> NDArray[np.int64]:
    """The concatenation of ``arange(start, stop)`` for every pair, without a Python loop."""
    lengths = stops - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.cumsum(lengths) - lengths
    result: NDArray[np.int64] = np.repeat(starts - offsets, lengths) + np.arange(total)
    return result


def _options(edges: Edges, rows: NDArray[np.int64], free: NDArray[np.bool_]) -> NDArray[np.int64]:
    """Feasible volunteers with a free place, for each of the given (sorted, unique) rows."""
    degree = edges.indptr[rows + 1] - edges.indptr[rows]
    counts = np.zeros(len(rows), dtype=np.int64)
    lo = 0
    while lo < len(rows):
        # Rows in chunks of at most OPTIONS_CHUNK pairs (at least one row).
        ends = np.cumsum(degree[lo:])
        hi = lo + max(1, int(np.searchsorted(ends, OPTIONS_CHUNK, side="right")))
        part = rows[lo:hi]
        positions = _ranges(edges.indptr[part], edges.indptr[part + 1])
        segment = np.repeat(np.arange(hi - lo), degree[lo:hi])
        counts[lo:hi] = np.bincount(segment[free[edges.volunteer[positions]]], minlength=hi - lo)
        lo = hi
    return counts


def competitions(
    edges: Edges,
    rows: NDArray[np.int64],
    capacity: NDArray[np.int64],
    free_capacity: NDArray[np.int64],
    proposed: NDArray[np.int64],
    proposed_units: NDArray[np.int64],
    waiting_days: NDArray[np.float64],
) -> list[Competition]:
    """Where the feasible volunteers of each given (unmatched) newcomer went.

    :param rows: unmatched newcomers with at least one feasible volunteer.
    :param capacity: each volunteer's capacity as given.
    :param free_capacity: places left after the pinned pairs.
    :param proposed: each newcomer's volunteer in the optimum, -1 for none
        and for pinned newcomers.
    :param proposed_units: the score units of that pair.
    :param waiting_days: days each newcomer has waited (negative counts as 0).
    """
    if len(rows) == 0:
        return []
    n_rows = len(rows)
    # Every feasible pair of the given newcomers; ``segment`` says whose it is.
    positions = _ranges(edges.indptr[rows], edges.indptr[rows + 1])
    segment = np.repeat(np.arange(n_rows), edges.indptr[rows + 1] - edges.indptr[rows])
    cols = edges.volunteer[positions].astype(np.int64)
    cap, room = capacity[cols], free_capacity[cols]
    paused = np.bincount(segment[cap == 0], minlength=n_rows)
    full = np.bincount(segment[(cap > 0) & (room <= 0)], minlength=n_rows)
    free = room > 0
    seg_taken, taken_cols = segment[free], cols[free]
    taken_units = edges.units[positions[free]].astype(np.int64)
    taken = np.bincount(seg_taken, minlength=n_rows)

    # The newcomers proposed to each volunteer, grouped by volunteer.
    holders = np.flatnonzero(proposed >= 0)
    holders = holders[np.argsort(proposed[holders], kind="stable")]
    starts = np.searchsorted(proposed[holders], np.arange(len(capacity) + 1))
    per_col = starts[taken_cols + 1] - starts[taken_cols]
    others = holders[_ranges(starts[taken_cols], starts[taken_cols + 1])]
    seg_other = np.repeat(seg_taken, per_col)
    mine_units = np.repeat(taken_units, per_col)

    unique = np.unique(others)
    options = _options(edges, unique, free_capacity > 0)[np.searchsorted(unique, others)]
    fewer = options < taken[seg_other]
    days = np.maximum(waiting_days, 0.0)
    longer = days[others] > days[rows][seg_other]
    higher = proposed_units[others] > mine_units

    big = np.iinfo(np.int64).max
    lowest = np.full(n_rows, big, dtype=np.int64)
    np.minimum.at(lowest, seg_other[fewer], options[fewer])
    highest = np.full(n_rows, -1, dtype=np.int64)
    np.maximum.at(highest, seg_other[fewer], options[fewer])

    def count(mask: NDArray[np.bool_]) -> list[int]:
        counted: list[int] = np.bincount(seg_other[mask], minlength=n_rows).tolist()
        return counted

    n_others = np.bincount(seg_other, minlength=n_rows).tolist()
    n_fewer, n_longer, n_higher = count(fewer), count(longer), count(higher)
    n_candidates = np.bincount(segment, minlength=n_rows).tolist()
    return [
        Competition(
            candidates=n_candidates[k],
            paused=p,
            full=f,
            taken=t,
            others=n_others[k],
            fewer_options=n_fewer[k],
            min_options=lo if lo != big else None,
            max_options=hi if hi >= 0 else None,
            waited_longer=n_longer[k],
            higher_score=n_higher[k],
        )
        for k, (p, f, t, lo, hi) in enumerate(
            zip(
                paused.tolist(),
                full.tolist(),
                taken.tolist(),
                lowest.tolist(),
                highest.tolist(),
            )
        )
    ]
