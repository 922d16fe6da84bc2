"""Components and scores of volunteer–newcomer pairs, computed for many pairs at once.

Every component lies in [0, 1] and is monotone in what it measures: a better
shared level, a shorter distance, more shared slots, more needed topics
covered, a longer wait never lower it. Components are rounded to the 6
decimals that are reported, and the score is the weighted mean of those
rounded components in integer millionths ("units"): the solver maximises the
very numbers the result shows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .problem import Settings
from .tables import Tables
from .vocab import EARTH_RADIUS_KM, SCORE_UNITS, WEIGHT_KEYS

#: Component value of the best shared level (index: 0 none, 1 basic .. 4 native).
#: Fluent already carries a mentorship, so native adds nothing over it.
LEVEL_VALUE = np.array([0.0, 1.0 / 3.0, 2.0 / 3.0, 1.0, 1.0])
#: Three shared slots leave room to find a weekly meeting; more add nothing.
FULL_AVAILABILITY_SLOTS = 3
#: A year of waiting earns the full waiting component.
FULL_WAITING_DAYS = 365.0
#: Without a distance limit, this distance halves the distance component.
HALF_DISTANCE_KM = 15.0

_AVAILABILITY_VALUE = np.round(
    np.minimum(np.arange(33), FULL_AVAILABILITY_SLOTS) / FULL_AVAILABILITY_SLOTS, 6
)
_LANGUAGE_VALUE = np.round(LEVEL_VALUE, 6)


@dataclass(frozen=True)
class PairFacts:
    """Components, score and the raw facts behind them, for a list of pairs."""

    components: dict[str, NDArray[np.float64]]
    units: NDArray[np.int64]
    km: NDArray[np.float64]
    shared_slots: NDArray[np.int64]


def haversine_km(
    lat1: NDArray[np.float64],
    lon1: NDArray[np.float64],
    cos_lat1: NDArray[np.float64],
    lat2: NDArray[np.float64],
    lon2: NDArray[np.float64],
    cos_lat2: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Great-circle distance in km by the haversine formula (radians, cosines given).

    The haversine stays precise for short distances, where the dot product of
    unit vectors loses them to cancellation: a shorter way must never score lower.
    """
    a = np.sin((lat2 - lat1) * 0.5) ** 2
    a += cos_lat1 * cos_lat2 * np.sin((lon2 - lon1) * 0.5) ** 2
    result: NDArray[np.float64] = (2 * EARTH_RADIUS_KM) * np.arcsin(np.sqrt(np.minimum(a, 1.0)))
    return result


def best_levels(
    tables: Tables, newcomer: NDArray[np.int64], volunteer: NDArray[np.int64]
) -> NDArray[np.uint8]:
    """Best shared level code per pair: the max over languages of the lower of both levels."""
    if not tables.languages:
        return np.zeros(len(newcomer), dtype=np.uint8)
    both = np.minimum(tables.newcomers.levels[newcomer], tables.volunteers.levels[volunteer])
    result: NDArray[np.uint8] = both.max(axis=1)
    return result


def waiting_values(tables: Tables) -> NDArray[np.float64]:
    """The waiting component of each newcomer (it does not depend on the volunteer)."""
    days = tables.newcomers.waiting_days
    share: NDArray[np.float64] = np.clip(days / FULL_WAITING_DAYS, 0.0, 1.0)
    return np.round(share, 6)


def pair_facts(
    tables: Tables,
    settings: Settings,
    newcomer: NDArray[np.int64],
    volunteer: NDArray[np.int64],
    level: NDArray[np.uint8] | None = None,
) -> PairFacts:
    """Compute every component and the score for the given pairs, all at once.

    :param level: best shared level codes when already known (saves the work).
    """
    n, v = tables.newcomers, tables.volunteers
    if level is None:
        level = best_levels(tables, newcomer, volunteer)
    located = n.located[newcomer] & v.located[volunteer]
    km = haversine_km(
        n.lat[newcomer], n.lon[newcomer], n.cos_lat[newcomer],
        v.lat[volunteer], v.lon[volunteer], v.cos_lat[volunteer],
    )  # fmt: skip
    km[~located] = np.nan
    limit = settings.max_distance_km
    with np.errstate(invalid="ignore"):
        if limit is None:
            distance = HALF_DISTANCE_KM / (HALF_DISTANCE_KM + km)
        elif limit > 0:
            distance = np.clip(1.0 - km / limit, 0.0, 1.0)
        else:
            distance = (km <= 0).astype(np.float64)
    # Unknown distance earns nothing: a known short way beats a guess.
    distance[~located] = 0.0
    shared = np.bitwise_count(n.slots[newcomer] & v.slots[volunteer])
    covered = np.bitwise_count(n.topics[newcomer] & v.topics[volunteer]).sum(axis=1)
    needed = n.topic_count[newcomer]
    # Nothing needed counts as fully covered: such a newcomer is not worse off.
    topics = np.where(needed > 0, covered / np.maximum(needed, 1), 1.0)
    components = {
        "language": _LANGUAGE_VALUE[level],
        "distance": np.round(distance, 6),
        "availability": _AVAILABILITY_VALUE[shared],
        "topics": np.round(topics, 6),
        "waiting": waiting_values(tables)[newcomer],
    }
    if settings.weights.get("family", 0.0) > 0:
        components["family"] = family_values(tables, newcomer, volunteer)
    return PairFacts(
        components=components,
        units=score_units(components, settings.weights),
        km=km,
        shared_slots=shared.astype(np.int64),
    )


#: The family component where the volunteer states no preference for children's ages.
NO_AGE_PREFERENCE = 0.5


def family_values(
    tables: Tables, newcomer: NDArray[np.int64], volunteer: NDArray[np.int64]
) -> NDArray[np.float64]:
    """The age-band preference: the share of the household's children's age bands the
    volunteer likes to meet; no children: 1; a volunteer without a preference: 0.5."""
    n, v = tables.newcomers, tables.volunteers
    shared = np.bitwise_count(n.bands[newcomer] & v.bands[volunteer]).sum(axis=1)
    bands = n.band_count[newcomer]
    stated = v.band_count[volunteer] > 0
    share = shared.astype(np.float64) / np.maximum(bands, 1)
    value: NDArray[np.float64] = np.where(stated, share, NO_AGE_PREFERENCE)
    value[bands == 0] = 1.0
    return np.round(value, 6)


def score_units(
    components: dict[str, NDArray[np.float64]], weights: dict[str, float]
) -> NDArray[np.int64]:
    """Weighted mean of the components, in integer millionths."""
    total = sum(weights.values())
    score = np.zeros(len(components["language"]))
    for key in WEIGHT_KEYS:
        if weights.get(key):
            score += (weights[key] / total * SCORE_UNITS) * components[key]
    return np.rint(score).astype(np.int64)


def meets_min_score(units: NDArray[np.int64], min_score: float) -> NDArray[np.bool_]:
    """Whether each reported score (units / 1e6) reaches ``min_score``."""
    result: NDArray[np.bool_] = units / SCORE_UNITS >= min_score
    return result
