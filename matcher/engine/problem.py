"""The validated problem: typed, id-sorted records (``validation.py`` reads them)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


class ProblemError(ValueError):
    """A problem document is invalid; ``errors`` holds one line per problem."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class Settings:
    """Validated settings with the engine's defaults filled in."""

    weights: dict[str, float]
    max_distance_km: float | None
    min_shared_slots: int
    min_score: float
    #: A shared language where both have at least this level (None: any shared language).
    min_language_level: str | None = None
    #: None, "same" or "women_only" (see ``vocab.TANDEM_GENDERS``).
    tandem_gender: str | None = None


@dataclass(frozen=True)
class Person:
    """A volunteer or a newcomer; fields that belong to the other side keep their defaults."""

    id: str
    languages: dict[str, str]
    location: tuple[float, float] | None
    slots: frozenset[str]
    topics: frozenset[str]
    capacity: int = 1
    gender: str | None = None
    police_certificate: bool = False
    mentor_gender: str | None = None
    minors: bool = False
    waiting_since: dt.date | None = None
    #: Newcomers: people in the household (1: alone).
    household_size: int = 1
    #: Newcomers: the children's age bands; volunteers: the ages they like to meet.
    child_age_bands: frozenset[str] = frozenset()
    #: Newcomers: how far they can travel (None: the settings' limit applies alone).
    max_distance_km: float | None = None
    #: Both sides: interests, counted with the topics.
    interests: frozenset[str] = frozenset()
    #: Volunteers: whether households of more than one are welcome (None: no rule).
    families_welcome: bool | None = None
    #: Volunteers: the largest household they meet (None: any size).
    max_household: int | None = None


@dataclass(frozen=True)
class Problem:
    """A validated problem; people are sorted by id, pairs refer to those positions."""

    today: dt.date
    settings: Settings
    volunteers: list[Person]
    newcomers: list[Person]
    #: (newcomer index, volunteer index), sorted.
    pinned: list[tuple[int, int]]
    forbidden: frozenset[tuple[int, int]]
