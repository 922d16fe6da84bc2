"""Small counts in published figures: which cells to hide so that no one can be singled out.

One rule for every table an agency hands out (the demographics, the map, their Excel file):

1. **Primary suppression.** A cell that counts 1 to 4 people (`1 <= n < MIN_COUNT`) is hidden.
   A zero is shown: it tells about nobody.
2. **Complementary suppression.** A column whose total is shown must not let a hidden cell
   be worked out from it: total minus the cells shown is the sum of the hidden cells. So
   while a column has exactly one hidden cell, or its hidden cells could only all be 1
   (their sum equals their number), the smallest cell still shown that is not zero is
   hidden too (the first such cell on a tie). A zero is never taken: hiding a zero beside
   one small cell would give that cell away all the same.
3. A total of 1 to 4 is hidden itself; a total with nothing left to hide beside a hidden
   cell is hidden as well.

Tables show totals per column only (never per row), so each column is protected on its own.
Counts that do not add up to a total (a person speaks several languages) get only rule 1.

What this protects against: working a hidden count out from the counts shown and the
totals, knowing that a hidden count is at least 1. It does not claim to defeat a reader who
also reasons from which cell the rule chose as the complement; the figures are aggregates
of a few hundred people at most, shown to funders, not a public statistics release.

Every hidden cell looks the same (`None` here; "–" on a page, an empty cell in a file), so
the reader cannot tell a small count from one hidden beside it.
"""

from collections.abc import Sequence
from dataclasses import dataclass

#: The smallest count that is shown.
MIN_COUNT = 5


def is_small(count: int) -> bool:
    """1 to 4 people: a count that could single someone out."""
    return 0 < count < MIN_COUNT


@dataclass(frozen=True)
class Column:
    """A column after suppression: each cell, and its total, as a count or None (hidden)."""

    cells: list[int | None]
    total: int | None


def hidden_cells(counts: Sequence[int], with_total: bool = True) -> set[int]:
    """The positions of the cells to hide in a column of counts (rules 1 and 2)."""
    if any(c < 0 for c in counts):
        raise ValueError("counts are never negative")
    hidden = {i for i, c in enumerate(counts) if is_small(c)}
    if not with_total or not hidden:
        return hidden
    while len(hidden) == 1 or sum(counts[i] for i in hidden) == len(hidden):
        rest = [(counts[i], i) for i in range(len(counts)) if i not in hidden and counts[i] > 0]
        if not rest:
            break
        hidden.add(min(rest)[1])
    return hidden


def suppress(counts: Sequence[int], with_total: bool = True) -> Column:
    """A column of counts as it may be shown: hidden cells and, where needed, the total None.

    `with_total`: the column's total (the sum of its counts) is shown beside it.
    """
    hidden = hidden_cells(counts, with_total)
    total: int | None = sum(counts) if with_total else None
    if total is not None and hidden:
        exposed = len(hidden) == 1 or sum(counts[i] for i in hidden) == len(hidden)
        if is_small(total) or exposed:
            total = None
    elif total is not None and is_small(total):
        total = None
    return Column([None if i in hidden else c for i, c in enumerate(counts)], total)
