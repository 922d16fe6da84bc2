"""Column arrays of a problem's people, the form the vectorised scoring works on."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .problem import Person, Problem
from .vocab import LEVELS, SLOT_BIT, WOMAN

LANGUAGES_PER_WORD = 21
_LEVEL_CODE = {level: code for code, level in enumerate(LEVELS, start=1)}


@dataclass(frozen=True)
class Side:
    """One side's attributes as arrays, rows in id order."""

    #: (n, L) level code per shared-vocabulary language: 0 none, 1 basic .. 4 native.
    levels: NDArray[np.uint8]
    #: (n, 3) unit vectors on the sphere; zero rows where the location is unknown.
    xyz: NDArray[np.float64]
    #: x, y, z columns of ``xyz``, each contiguous for the block scan.
    xyz_columns: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]
    lat: NDArray[np.float64]
    lon: NDArray[np.float64]
    cos_lat: NDArray[np.float64]
    located: NDArray[np.bool_]
    slots: NDArray[np.uint32]
    #: (n, words) thermometer bits: bit 3k+t set when the level of language k exceeds t
    #: (t = 0 basic, 1 good, 2 fluent or native), 21 languages per 64-bit word.
    language_bits: NDArray[np.uint64]
    #: (n, W) topic bitmasks over the topics some newcomer needs.
    topics: NDArray[np.uint64]
    topic_count: NDArray[np.int64]
    #: volunteers: own gender; newcomers: wanted mentor gender; -1 for none.
    gender: NDArray[np.int32]
    #: volunteers: police certificate; newcomers: minors in the household.
    flag: NDArray[np.bool_]
    capacity: NDArray[np.int64]
    waiting_days: NDArray[np.float64]
    #: Both sides: the person's own gender code (-1 unknown), for the tandem rule.
    own_gender: NDArray[np.int32]
    #: Newcomers: household size; volunteers: the largest household they meet.
    household: NDArray[np.int64]
    #: Newcomers: the pair's distance limit (the smaller of own and settings'; inf: none).
    limit_km: NDArray[np.float64]
    #: (n, W) bitmasks of children's age bands, and how many each newcomer has.
    bands: NDArray[np.uint64]
    band_count: NDArray[np.int64]


@dataclass(frozen=True)
class Tables:
    """Both sides plus the shared vocabularies the arrays are indexed by."""

    volunteers: Side
    newcomers: Side
    #: Language codes spoken on both sides (only those can be shared).
    languages: tuple[str, ...]
    topics: tuple[str, ...]
    #: Code of "female" among the gender codes (-1: nobody is).
    woman: int = -1
    #: Whether some volunteer limits households (rule off otherwise).
    household_rule: bool = False
    #: Whether some newcomer has their own distance limit.
    own_limits: bool = False


#: Interests share the topic bitmasks under a prefix no topic carries (the topics component
#: counts both); a character that never appears in text typed by a person.
INTEREST_PREFIX = "\x00"
#: A volunteer without a household rule meets any size.
ANY_HOUSEHOLD = 1 << 30


def _needs(person: Person) -> set[str]:
    """What the topics component counts: the topics, and the interests (prefixed)."""
    return set(person.topics) | {INTEREST_PREFIX + i for i in person.interests}


def _household_limit(person: Person) -> int:
    limit = ANY_HOUSEHOLD
    if person.families_welcome is False:
        limit = 1
    if person.max_household is not None:
        limit = min(limit, person.max_household)
    return limit


def build_tables(problem: Problem) -> Tables:
    """Turn a validated problem into arrays for the vectorised scoring."""
    spoken_v = {code for person in problem.volunteers for code in person.languages}
    spoken_n = {code for person in problem.newcomers for code in person.languages}
    languages = tuple(sorted(spoken_v & spoken_n))
    topics = tuple(sorted({topic for person in problem.newcomers for topic in _needs(person)}))
    bands = tuple(sorted({band for person in problem.newcomers for band in person.child_age_bands}))
    genders = sorted(
        {p.gender for p in problem.volunteers if p.gender is not None}
        | {p.mentor_gender for p in problem.newcomers if p.mentor_gender is not None}
        | {p.gender for p in problem.newcomers if p.gender is not None}
    )
    gender_code = {gender: code for code, gender in enumerate(genders)}
    settings_limit = problem.settings.max_distance_km
    limits = [
        min(
            math.inf if settings_limit is None else settings_limit,
            math.inf if p.max_distance_km is None else p.max_distance_km,
        )
        for p in problem.newcomers
    ]
    volunteers = _side(
        problem.volunteers,
        languages,
        topics,
        [gender_code.get(p.gender, -1) if p.gender is not None else -1 for p in problem.volunteers],
        [p.police_certificate for p in problem.volunteers],
        [0.0] * len(problem.volunteers),
        gender_code,
        bands,
        [_household_limit(p) for p in problem.volunteers],
        [math.inf] * len(problem.volunteers),
    )
    newcomers = _side(
        problem.newcomers,
        languages,
        topics,
        [
            gender_code[p.mentor_gender] if p.mentor_gender is not None else -1
            for p in problem.newcomers
        ],
        [p.minors for p in problem.newcomers],
        [
            float((problem.today - p.waiting_since).days) if p.waiting_since is not None else 0.0
            for p in problem.newcomers
        ],
        gender_code,
        bands,
        [p.household_size for p in problem.newcomers],
        limits,
    )
    return Tables(
        volunteers,
        newcomers,
        languages,
        topics,
        woman=gender_code.get(WOMAN, -1),
        household_rule=any(
            p.families_welcome is not None or p.max_household is not None
            for p in problem.volunteers
        ),
        own_limits=any(p.max_distance_km is not None for p in problem.newcomers),
    )


def _side(
    people: list[Person],
    languages: tuple[str, ...],
    topics: tuple[str, ...],
    gender: list[int],
    flag: list[bool],
    waiting_days: list[float],
    gender_code: dict[str, int],
    bands: tuple[str, ...],
    household: list[int],
    limit_km: list[float],
) -> Side:
    n = len(people)
    lang_index = {code: k for k, code in enumerate(languages)}
    topic_index = {topic: k for k, topic in enumerate(topics)}
    words = max(1, (len(topics) + 63) // 64)
    levels = np.zeros((n, len(languages)), dtype=np.uint8)
    lat = np.zeros(n)
    lon = np.zeros(n)
    located = np.zeros(n, dtype=bool)
    slots = np.zeros(n, dtype=np.uint32)
    topic_bits = np.zeros((n, words), dtype=np.uint64)
    topic_count = np.zeros(n, dtype=np.int64)
    band_index = {band: k for k, band in enumerate(bands)}
    band_bits = np.zeros((n, max(1, (len(bands) + 63) // 64)), dtype=np.uint64)
    band_count = np.zeros(n, dtype=np.int64)
    for row, person in enumerate(people):
        for code, level in person.languages.items():
            col = lang_index.get(code)
            if col is not None:
                levels[row, col] = _LEVEL_CODE[level]
        if person.location is not None:
            lat[row], lon[row] = person.location
            located[row] = True
        mask = 0
        for slot in person.slots:
            mask |= 1 << SLOT_BIT[slot]
        slots[row] = mask
        needs = _needs(person) if person.interests else person.topics
        for topic in needs:
            index = topic_index.get(topic)
            if index is not None:
                topic_bits[row, index // 64] |= np.uint64(1 << (index % 64))
        topic_count[row] = len(needs)
        for band in person.child_age_bands:
            index = band_index.get(band)
            if index is not None:
                band_bits[row, index // 64] |= np.uint64(1 << (index % 64))
        band_count[row] = len(person.child_age_bands)
    lat = np.radians(lat)
    lon = np.radians(lon)
    xyz = np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=1)
    xyz[~located] = 0.0
    language_bits = np.zeros((n, max(1, -(-len(languages) // LANGUAGES_PER_WORD))), np.uint64)
    for k in range(len(languages)):
        word, shift = divmod(k, LANGUAGES_PER_WORD)
        for step in range(3):
            bit = np.uint64(1 << (3 * shift + step))
            language_bits[levels[:, k] > step, word] |= bit
    return Side(
        levels=levels,
        language_bits=language_bits,
        cos_lat=np.cos(lat),
        xyz=np.ascontiguousarray(xyz),
        xyz_columns=(
            np.ascontiguousarray(xyz[:, 0]),
            np.ascontiguousarray(xyz[:, 1]),
            np.ascontiguousarray(xyz[:, 2]),
        ),
        lat=lat,
        lon=lon,
        located=located,
        slots=slots,
        topics=topic_bits,
        topic_count=topic_count,
        gender=np.asarray(gender, dtype=np.int32),
        flag=np.asarray(flag, dtype=bool),
        capacity=np.asarray([p.capacity for p in people], dtype=np.int64),
        waiting_days=np.asarray(waiting_days, dtype=np.float64),
        own_gender=np.asarray(
            [gender_code[p.gender] if p.gender is not None else -1 for p in people],
            dtype=np.int32,
        ),
        household=np.asarray(household, dtype=np.int64),
        limit_km=np.asarray(limit_km, dtype=np.float64),
        bands=band_bits,
        band_count=band_count,
    )
