"""The colour scale of people counted per postcode area, one for every page that shows them.

The shortage page ("Wen gewinnen?") colours its area table with it and the area map draws
its symbols with it, so the same count has the same colour on both. Fixed steps, not one
stretched to each agency's largest count: a colour means the same number everywhere and
the legend can say which. The steps are ColorBrewer's "Reds" (sequential, print- and
colour-blind-friendly); a hidden count (see `matcher.domain.disclosure`) is grey.
"""

from typing import Final

from matcher.domain.disclosure import is_small

#: (lowest count of the step, its colour), ascending; the last step has no upper end.
STEPS: Final = (
    (0, "#ffffff"),
    (1, "#fee5d9"),
    (5, "#fcae91"),
    (10, "#fb6a4a"),
    (20, "#de2d26"),
    (50, "#a50f15"),
)
#: The colour of a count that is not shown.
HIDDEN: Final = "#bdbdbd"


def colour(count: int | None) -> str:
    """The colour of a count (None: a hidden one)."""
    if count is None:
        return HIDDEN
    chosen = STEPS[0][1]
    for low, step_colour in STEPS:
        if count >= low:
            chosen = step_colour
    return chosen


def steps(with_small: bool = True) -> list[tuple[int, int | None, str]]:
    """The legend: (from, to or None for "and more", colour) per step.

    `with_small`: list the step of 1–4 (a page that hides small counts leaves it out).
    """
    out = []
    for k, (low, step_colour) in enumerate(STEPS):
        high = STEPS[k + 1][0] - 1 if k + 1 < len(STEPS) else None
        if with_small or not is_small(low):
            out.append((low, high, step_colour))
    return out
