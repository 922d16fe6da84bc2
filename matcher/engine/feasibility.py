"""Find every feasible pair (hard constraints 1-7) by scanning blocks of newcomers.

Each block holds a few newcomers against all volunteers as flat numpy
arrays: language overlap and slots as bitmasks, distance as one small matrix
product of unit vectors, gender and certificate as a row lookup. Only the
surviving pairs get their exact haversine distance and score. Blocks run on
a small thread pool (numpy releases the GIL) and reuse their scratch buffers,
because first writes to fresh large arrays are slow on these machines.
"""

from __future__ import annotations

import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .problem import Problem
from .scoring import best_levels, meets_min_score, pair_facts
from .tables import LANGUAGES_PER_WORD, Tables
from .vocab import EARTH_RADIUS_KM, LEVELS, SCORE_UNITS

#: Cells (newcomers x volunteers) per block: some tens of MB of scratch per thread.
BLOCK_CELLS = 500_000


@dataclass(frozen=True)
class Edges:
    """Feasible pairs in compressed rows: newcomer i owns ``indptr[i]:indptr[i+1]``.

    Within a row, volunteers are in ascending index (= id) order.
    """

    indptr: NDArray[np.int64]
    volunteer: NDArray[np.int32]
    #: Score in millionths: the exact integer the solver maximises.
    units: NDArray[np.int32]
    #: Positions of each newcomer's best pairs to usable volunteers (a solver hint).
    top: NDArray[np.int64]

    @property
    def count(self) -> int:
        """Number of feasible pairs."""
        return int(self.indptr[-1])


def _workers() -> int:
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(4, cores))


def _cos_limit(limit: NDArray[np.float64]) -> NDArray[np.float64]:
    # A little looser than the limit (the slack dwarfs rounding in the dot
    # product, even for a limit of 0): the exact haversine on the survivors
    # decides, so the block test can never drop a feasible pair. No limit
    # (inf) gives cos(pi) - slack: every pair passes.
    result: NDArray[np.float64] = np.cos(np.minimum(math.pi, limit / EARTH_RADIUS_KM)) - 1e-12
    return result


@dataclass
class _Buffers:
    """Scratch space of one thread, reused block after block."""

    lang: NDArray[np.uint64]
    slots: NDArray[np.uint32]
    dot: NDArray[np.float64]
    term: NDArray[np.float64]
    mask: NDArray[np.bool_]
    cond: NDArray[np.bool_]

    @classmethod
    def allocate(cls, shape: tuple[int, int]) -> _Buffers:
        """Fresh buffers for blocks of the given shape."""
        return cls(
            lang=np.empty(shape, dtype=np.uint64),
            slots=np.empty(shape, dtype=np.uint32),
            dot=np.empty(shape, dtype=np.float64),
            term=np.empty(shape, dtype=np.float64),
            mask=np.empty(shape, dtype=bool),
            cond=np.empty(shape, dtype=bool),
        )


class _Scanner:
    """Holds the per-problem constants of the block scan."""

    def __init__(
        self, problem: Problem, tables: Tables, block: int, usable: NDArray[np.bool_], top: int
    ) -> None:
        self.problem = problem
        self.tables = tables
        self.block = block
        self.usable = usable
        self.top = top
        n, v = tables.newcomers, tables.volunteers
        self.n_cols = len(v.slots)
        self.limit = problem.settings.max_distance_km
        # Each newcomer's limit: the smaller of their own and the settings' (inf: none).
        self.row_limit = n.limit_km
        self.has_limit = self.limit is not None or tables.own_limits
        if self.has_limit:
            self.cos_limit = _cos_limit(self.row_limit)
            self.unlocated_v = np.flatnonzero(~v.located)
        settings = problem.settings
        self.min_level = (
            _LEVEL_CODE[settings.min_language_level]
            if settings.min_language_level is not None
            else 0
        )
        self.tandem = settings.tandem_gender
        # Rule 4 and 5 as one lookup: row (wanted gender + 1) * 2 + minors
        # holds which volunteers that kind of newcomer may get.
        genders = int(max(n.gender.max(initial=-1), v.gender.max(initial=-1))) + 2
        allowed = np.ones((genders * 2, self.n_cols), dtype=bool)
        for g in range(genders):
            if g > 0:
                allowed[2 * g] = v.gender == g - 1
            allowed[2 * g + 1] = allowed[2 * g] & v.flag
        self.allowed = allowed
        self.kind = (n.gender.astype(np.int64) + 1) * 2 + n.flag
        self.restricted = bool((self.kind > 0).any())
        self.forbidden = (
            np.array(sorted(i * self.n_cols + j for i, j in problem.forbidden), dtype=np.int64)
            if problem.forbidden
            else None
        )
        self.local = threading.local()

    def _buffers(self) -> _Buffers:
        buffers: _Buffers | None = getattr(self.local, "buffers", None)
        if buffers is None:
            buffers = _Buffers.allocate((self.block, self.n_cols))
            self.local.buffers = buffers
        return buffers

    def scan(
        self, start: int
    ) -> tuple[NDArray[np.int64], NDArray[np.int32], NDArray[np.int32], NDArray[np.int64]]:
        """Feasible pairs of newcomers ``start .. start+block``.

        :return: pairs per row, volunteers, units, and the block positions of
            each row's best pairs to usable volunteers.
        """
        n, v = self.tables.newcomers, self.tables.volunteers
        settings = self.problem.settings
        stop = min(len(n.slots), start + self.block)
        size = stop - start
        buffers = self._buffers()
        mask = buffers.mask[:size]
        cond = buffers.cond[:size]
        lang = buffers.lang[:size]
        words = n.language_bits.shape[1]
        for word in range(words):
            np.bitwise_and(
                n.language_bits[start:stop, word, None], v.language_bits[None, :, word], out=lang
            )
            if word == 0:
                np.not_equal(lang, 0, out=mask)
            else:
                np.not_equal(lang, 0, out=cond)
                mask |= cond
        if self.has_limit:
            # Elementwise on purpose: a BLAS product would start its own
            # threads inside ours and slow both down.
            dot, term = buffers.dot[:size], buffers.term[:size]
            columns = v.xyz_columns
            np.multiply(n.xyz[start:stop, 0, None], columns[0][None, :], out=dot)
            for axis in (1, 2):
                np.multiply(n.xyz[start:stop, axis, None], columns[axis][None, :], out=term)
                dot += term
            np.greater_equal(dot, self.cos_limit[start:stop, None], out=cond)
            # A quick, slightly loose test; the haversine of the survivors decides.
            # Without both locations the distance rule does not apply.
            cond[~n.located[start:stop]] = True
            cond[:, self.unlocated_v] = True
            mask &= cond
        if settings.min_shared_slots > 0:
            slots = buffers.slots[:size]
            np.bitwise_and(n.slots[start:stop, None], v.slots[None, :], out=slots)
            if settings.min_shared_slots == 1:
                np.not_equal(slots, 0, out=cond)
            else:
                np.greater_equal(np.bitwise_count(slots), settings.min_shared_slots, out=cond)
            mask &= cond
        if self.restricted:
            np.take(self.allowed, self.kind[start:stop], axis=0, out=cond)
            mask &= cond
        self._must_rules(start, stop, mask, cond)
        rows, cols = np.nonzero(mask)
        level: NDArray[np.uint8] | None = None
        if words == 1:
            # Thermometer bits: the best shared level is 1 + (any good) + (any fluent).
            x = lang[rows, cols]
            level = (
                1 + ((x & _GOOD_MASK) != 0).astype(np.uint8) + ((x & _FLUENT_MASK) != 0)
            ).astype(np.uint8)
        rows = rows.astype(np.int64) + start
        cols = cols.astype(np.int64)
        if self.forbidden is not None and len(rows):
            keep = ~np.isin(rows * self.n_cols + cols, self.forbidden)
            rows, cols = rows[keep], cols[keep]
            if level is not None:
                level = level[keep]
        if self.min_level:
            level = best_levels(self.tables, rows, cols)
            keep = level >= self.min_level
            rows, cols, level = rows[keep], cols[keep], level[keep]
        facts = pair_facts(self.tables, settings, rows, cols, level)
        keep = meets_min_score(facts.units, settings.min_score)
        if self.has_limit:
            keep &= ~(facts.km > self.row_limit[rows])
        rows, cols, units = rows[keep] - start, cols[keep], facts.units[keep]
        counts = np.bincount(rows, minlength=size).astype(np.int64)
        return counts, cols.astype(np.int32), units.astype(np.int32), self._best(rows, cols, units)

    def _must_rules(
        self, start: int, stop: int, mask: NDArray[np.bool_], cond: NDArray[np.bool_]
    ) -> None:
        """The optional rules: tandem gender and household (both off when absent)."""
        n, v = self.tables.newcomers, self.tables.volunteers
        if self.tandem == "same":
            own = n.own_gender[start:stop, None]
            np.equal(own, v.own_gender[None, :], out=cond)
            cond |= own < 0
            cond[:, v.own_gender < 0] = True
            mask &= cond
        elif self.tandem == "women_only":
            woman = self.tables.woman
            mask[n.own_gender[start:stop] != woman] = False
            mask[:, v.own_gender != woman] = False
            if woman < 0:
                mask[:] = False
        if self.tables.household_rule:
            np.less_equal(n.household[start:stop, None], v.household[None, :], out=cond)
            mask &= cond

    def _best(
        self, rows: NDArray[np.int64], cols: NDArray[np.int64], units: NDArray[np.int64]
    ) -> NDArray[np.int64]:
        if self.top == 0:
            return np.zeros(0, dtype=np.int64)
        # One packed sort key per pair: row, then units descending, then column.
        usable = np.flatnonzero(self.usable[cols])
        key = (rows[usable] << 42) | ((SCORE_UNITS - units[usable]) << 21) | cols[usable]
        key.sort()
        key_rows = key >> 42
        rank = np.arange(len(key)) - np.searchsorted(key_rows, key_rows)
        best = key[rank < self.top]
        # Back to positions: pairs are stored by (row, column), so search that order.
        stored = rows * self.n_cols + cols
        return np.searchsorted(stored, (best >> 42) * self.n_cols + (best & _COL_BITS))


_COL_BITS = (1 << 21) - 1
_LEVEL_CODE = {level: code for code, level in enumerate(LEVELS, start=1)}
_GOOD_MASK = np.uint64(sum(1 << (3 * k + 1) for k in range(LANGUAGES_PER_WORD)))
_FLUENT_MASK = np.uint64(sum(1 << (3 * k + 2) for k in range(LANGUAGES_PER_WORD)))


def feasible_edges(
    problem: Problem,
    tables: Tables,
    usable: NDArray[np.bool_] | None = None,
    top: int = 0,
    block_cells: int | None = None,
) -> Edges:
    """Every pair that meets the hard constraints 1-7, with its score in units.

    :param usable: volunteers the solver may still use (for ``Edges.top``).
    :param top: how many best pairs per newcomer to list in ``Edges.top``.
    """
    n_rows, n_cols = len(tables.newcomers.slots), len(tables.volunteers.slots)
    if n_rows == 0 or n_cols == 0 or not tables.languages:
        empty = np.zeros(0, dtype=np.int32)
        return Edges(np.zeros(n_rows + 1, dtype=np.int64), empty, empty, np.zeros(0, np.int64))
    if n_cols > _COL_BITS or n_rows > _COL_BITS:
        raise ValueError("more than 2 million people on one side")
    if usable is None:
        usable = np.ones(n_cols, dtype=bool)
    block = max(1, min(n_rows, (block_cells or BLOCK_CELLS) // n_cols))
    scanner = _Scanner(problem, tables, block, usable, top)
    starts = range(0, n_rows, block)
    workers = min(_workers(), len(starts))
    if workers > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            parts = list(pool.map(scanner.scan, starts))
    else:
        parts = [scanner.scan(start) for start in starts]
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.concatenate([p[0] for p in parts]), out=indptr[1:])
    offsets = indptr[np.arange(0, n_rows, block)]
    return Edges(
        indptr=indptr,
        volunteer=np.concatenate([p[1] for p in parts]),
        units=np.concatenate([p[2] for p in parts]),
        top=np.concatenate([p[3] + offset for p, offset in zip(parts, offsets)]),
    )
