"""Column arrays of a problem's people, the form the vectorised scoring works on."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .problem import Person, Problem
from .vocab import LEVELS, SLOT_BIT

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


@dataclass(frozen=True)
class Tables:
    """Both sides plus the shared vocabularies the arrays are indexed by."""

    volunteers: Side
    newcomers: Side
    #: Language codes spoken on both sides (only those can be shared).
    languages: tuple[str, ...]
    topics: tuple[str, ...]


def build_tables(problem: Problem) -> Tables:
    """Turn a validated problem into arrays for the vectorised scoring."""
    spoken_v = {code for person in problem.volunteers for code in person.languages}
    spoken_n = {code for person in problem.newcomers for code in person.languages}
    languages = tuple(sorted(spoken_v & spoken_n))
    topics = tuple(sorted({topic for person in problem.newcomers for topic in person.topics}))
    genders = sorted(
        {p.gender for p in problem.volunteers if p.gender is not None}
        | {p.mentor_gender for p in problem.newcomers if p.mentor_gender is not None}
    )
    gender_code = {gender: code for code, gender in enumerate(genders)}
    volunteers = _side(
        problem.volunteers,
        languages,
        topics,
        [gender_code.get(p.gender, -1) if p.gender is not None else -1 for p in problem.volunteers],
        [p.police_certificate for p in problem.volunteers],
        [0.0] * len(problem.volunteers),
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
    )
    return Tables(volunteers, newcomers, languages, topics)


def _side(
    people: list[Person],
    languages: tuple[str, ...],
    topics: tuple[str, ...],
    gender: list[int],
    flag: list[bool],
    waiting_days: list[float],
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
        for topic in person.topics:
            index = topic_index.get(topic)
            if index is not None:
                topic_bits[row, index // 64] |= np.uint64(1 << (index % 64))
        topic_count[row] = len(person.topics)
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
    )
