"""The engine's documents as typed dictionaries: what goes in, what comes out.

The JSON the engine reads and writes, spelt out for mypy, so the code on both
sides of the contract checks its keys instead of guessing them.
"""

from __future__ import annotations

from typing import Literal, TypedDict


class FunnelStages(TypedDict):
    """Pairs left after each hard constraint, applied in this order (``explain.STAGES``)."""

    language: int
    distance: int
    slots: int
    gender: int
    certificate: int
    forbidden: int
    score: int


class FunnelDocument(TypedDict):
    """``matcher.funnel/1``: how many pairs the hard constraints leave, stage by stage.

    Counted over the volunteers with a free place after the pinned pairs and
    the newcomers who are not pinned: the people a solve can still pair.
    """

    format: Literal["matcher.funnel/1"]
    volunteers: int
    newcomers: int
    #: volunteers x newcomers.
    all_pairs: int
    stages: FunnelStages
    #: The pairs left after the last stage: the feasible pairs among these people.
    feasible_pairs: int
