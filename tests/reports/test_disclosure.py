"""The small-count rule (matcher.domain.disclosure): no hidden count can be worked out.

The reader here knows every count shown, the total, and that a hidden count is at least 1
(zeros are shown): for each column shown we list every column of counts that agrees with
all of that, and check that each hidden cell takes more than one value among them. (A
reader who also reasons from which cell the rule picked as the complement is out of scope:
see the module's docstring.)
"""

import itertools
import math

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from matcher.domain.disclosure import MIN_COUNT, hidden_cells, is_small, suppress


def _compositions(total: int, parts: int) -> list[tuple[int, ...]]:
    """Every way to write `total` as `parts` counts of at least 0 (stars and bars)."""
    if parts == 0:
        return [()] if total == 0 else []
    out = []
    for bars in itertools.combinations(range(total + parts - 1), parts - 1):
        bounds = (-1, *bars, total + parts - 1)
        out.append(tuple(b - a - 1 for a, b in itertools.pairwise(bounds)))
    return out


def _candidates(counts: list[int]) -> list[list[int]]:
    """Every column that agrees with the counts shown, the total and hidden cells >= 1."""
    shown = suppress(counts)
    assert shown.total is not None
    hidden = [i for i, c in enumerate(shown.cells) if c is None]
    rest = shown.total - sum(c for c in shown.cells if c is not None)
    out = []
    for values in _compositions(rest - len(hidden), len(hidden)):
        candidate = list(counts)
        for i, v in zip(hidden, values, strict=True):
            candidate[i] = v + 1
        out.append(candidate)
    return out


def test_the_rule_by_example() -> None:
    # One small cell: the next smallest non-zero cell is hidden too, zeros never.
    assert suppress([3, 0, 12, 7]).cells == [None, 0, 12, None]
    assert suppress([3, 0, 12, 7]).total == 22
    # Two cells of 1 would both be 1: a third is hidden.
    assert suppress([1, 1, 10, 20]).cells == [None, None, None, 20]
    # Nothing small: nothing hidden.
    assert suppress([5, 0, 9]).cells == [5, 0, 9]
    # A small total is hidden itself.
    assert suppress([2, 0]).total is None
    # Without a total only the small counts go.
    assert suppress([3, 12, 7], with_total=False).cells == [None, 12, 7]
    assert is_small(1) and is_small(MIN_COUNT - 1) and not is_small(0)
    assert not is_small(MIN_COUNT)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=14), min_size=1, max_size=5))
def test_no_hidden_count_can_be_derived_from_the_total(counts: list[int]) -> None:
    shown = suppress(counts)
    hidden = [i for i, c in enumerate(shown.cells) if c is None]
    # Rule 1: every count of 1-4 is hidden; counts shown are 0 or at least 5.
    assert all(not is_small(c) for c in shown.cells if c is not None)
    assert all(i in hidden for i, c in enumerate(counts) if is_small(c))
    if shown.total is None or not hidden:
        assert shown.total is None or shown.total == sum(counts)
        return
    assert shown.total == sum(counts)
    rest = shown.total - sum(c for c in shown.cells if c is not None)
    assume(math.comb(rest - 1, len(hidden) - 1) <= 5_000)
    candidates = _candidates(counts)
    assert counts in candidates
    for i in hidden:
        assert len({c[i] for c in candidates}) > 1, (counts, shown)


@given(st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=12))
def test_without_a_total_only_small_counts_are_hidden(counts: list[int]) -> None:
    assert hidden_cells(counts, with_total=False) == {
        i for i, c in enumerate(counts) if is_small(c)
    }
