"""Fixed vocabularies of the problem format: levels, slots, weight keys, defaults."""

from __future__ import annotations

from typing import Final

FORMAT_PROBLEM: Final = "matcher.problem/1"
FORMAT_RESULT: Final = "matcher.result/1"
FORMAT_FUNNEL: Final = "matcher.funnel/1"

#: Language levels in ascending order; their index + 1 is the level code used in arrays.
LEVELS: tuple[str, ...] = ("basic", "good", "fluent", "native")

DAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PARTS: tuple[str, ...] = ("morning", "afternoon", "evening")
#: Every weekly slot, in calendar order; the position is the slot's bit in a bitmask.
SLOTS: tuple[str, ...] = tuple(f"{day}-{part}" for day in DAYS for part in PARTS)
SLOT_BIT: dict[str, int] = {slot: bit for bit, slot in enumerate(SLOTS)}

#: Component (and weight) keys, in the order they are reported.
COMPONENTS: tuple[str, ...] = ("language", "distance", "availability", "topics", "waiting")
#: Components reported only where their weight is above 0 (default 0): ``family`` is the
#: children's age-band preference an agency switches on.
OPTIONAL_COMPONENTS: tuple[str, ...] = ("family",)
#: Every weight key, in the order components are reported.
WEIGHT_KEYS: tuple[str, ...] = COMPONENTS + OPTIONAL_COMPONENTS
#: ``settings.tandem_gender``: "same" (where both genders are known they are equal) or
#: "women_only" (both "female").
TANDEM_GENDERS: tuple[str, ...] = ("same", "women_only")
WOMAN = "female"

DEFAULT_WEIGHTS: dict[str, float] = {
    "language": 3.0,
    "distance": 2.0,
    "availability": 2.0,
    "topics": 1.0,
    "waiting": 1.0,
}
DEFAULT_MAX_DISTANCE_KM: float | None = 15.0
DEFAULT_MIN_SHARED_SLOTS = 1
DEFAULT_MIN_SCORE = 0.0
MAX_CAPACITY = 10

EARTH_RADIUS_KM = 6371.0088

#: Scores are exact multiples of 1e-6: the solver optimises the very numbers it reports.
SCORE_UNITS = 1_000_000

_DAY_NAMES = {
    "mon": "Mon",
    "tue": "Tue",
    "wed": "Wed",
    "thu": "Thu",
    "fri": "Fri",
    "sat": "Sat",
    "sun": "Sun",
}


def slot_label(slot: str) -> str:
    """Return a readable label for a slot, e.g. ``"Mon evening"``."""
    day, part = slot.split("-")
    return f"{_DAY_NAMES[day]} {part}"
