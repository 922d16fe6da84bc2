"""Builders and independent oracles for the engine tests (no engine code reused)."""

from __future__ import annotations

import copy
import itertools
import math
import random
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

#: Hypothesis settings for the engine: no deadline (numpy warm-up varies).
ENGINE = settings(
    deadline=None,
    max_examples=50,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

CENTRE = (50.94, 6.96)
LANGS = ["de", "ar", "en", "tr"]
LEVELS = ["basic", "good", "fluent", "native"]
SLOT_CHOICES = ["mon-evening", "tue-morning", "sat-morning", "sat-afternoon", "sun-evening"]
TOPIC_CHOICES = ["authorities", "housing", "german", "jobs"]


def volunteer(ident: str, **fields: Any) -> dict[str, Any]:
    """A volunteer who fits a default newcomer; ``fields`` override."""
    person: dict[str, Any] = {
        "id": ident,
        "languages": {"de": "native"},
        "location": {"lat": CENTRE[0], "lon": CENTRE[1]},
        "slots": ["mon-evening"],
        "capacity": 1,
    }
    person.update(fields)
    return person


def newcomer(ident: str, **fields: Any) -> dict[str, Any]:
    """A newcomer who fits a default volunteer; ``fields`` override."""
    person: dict[str, Any] = {
        "id": ident,
        "languages": {"de": "basic"},
        "location": {"lat": CENTRE[0], "lon": CENTRE[1]},
        "slots": ["mon-evening"],
    }
    person.update(fields)
    return person


def problem(
    volunteers: list[dict[str, Any]], newcomers: list[dict[str, Any]], **fields: Any
) -> dict[str, Any]:
    """A complete problem document."""
    doc: dict[str, Any] = {
        "format": "matcher.problem/1",
        "today": "2026-11-26",
        "volunteers": volunteers,
        "newcomers": newcomers,
    }
    doc.update(fields)
    return doc


def offset(km_north: float, km_east: float = 0.0) -> dict[str, float]:
    """A location the given kilometres from the centre."""
    lat = CENTRE[0] + km_north / 111.2
    lon = CENTRE[1] + km_east / (111.2 * math.cos(math.radians(CENTRE[0])))
    return {"lat": lat, "lon": lon}


def haversine(a: dict[str, float], b: dict[str, float]) -> float:
    """Haversine distance in km, written independently of the engine."""
    r = 6371.0088
    p1, p2 = math.radians(a["lat"]), math.radians(b["lat"])
    dp = p2 - p1
    dl = math.radians(b["lon"] - a["lon"])
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(h))


def feasible_by_rules(doc: dict[str, Any]) -> set[tuple[str, str]]:
    """Pairs (volunteer, newcomer) meeting hard constraints 1-6, by the spec's wording."""
    settings = doc.get("settings", {})
    limit = settings.get("max_distance_km", 15)
    min_slots = settings.get("min_shared_slots", 1)
    forbidden = {(f["volunteer"], f["newcomer"]) for f in doc.get("forbidden", [])}
    pairs = set()
    for v in doc["volunteers"]:
        for n in doc["newcomers"]:
            v_langs = {k.lower() for k in v["languages"]}
            n_langs = {k.lower() for k in n["languages"]}
            if not v_langs & n_langs:
                continue
            located = v.get("location") and n.get("location")
            if limit is not None and located and haversine(v["location"], n["location"]) > limit:
                continue
            if len(set(v.get("slots", [])) & set(n.get("slots", []))) < min_slots:
                continue
            if n.get("mentor_gender") is not None and v.get("gender") != n["mentor_gender"]:
                continue
            if n.get("minors") and not v.get("police_certificate"):
                continue
            if (v["id"], n["id"]) in forbidden:
                continue
            pairs.add((v["id"], n["id"]))
    return pairs


def best_assignment(
    scores: dict[tuple[str, str], int],
    capacity: dict[str, int],
    newcomers: list[str],
) -> tuple[int, int]:
    """(pairs, total units) of the lexicographic optimum, by trying every assignment."""
    options = [[None] + [v for (v, n) in scores if n == ident] for ident in newcomers]
    best = (0, 0)
    for choice in itertools.product(*options):
        load: dict[str, int] = {}
        for v in choice:
            if v is not None:
                load[v] = load.get(v, 0) + 1
        if any(load[v] > capacity.get(v, 0) for v in load):
            continue
        count = sum(v is not None for v in choice)
        total = sum(scores[(v, n)] for v, n in zip(choice, newcomers) if v is not None)
        best = max(best, (count, total))
    return best


def units(score: float) -> int:
    """A reported score back in integer millionths."""
    return round(score * 1_000_000)


def shuffled(doc: dict[str, Any], seed: int) -> dict[str, Any]:
    """The same problem with every list (and language dict) in another order."""
    rng = random.Random(seed)
    doc = copy.deepcopy(doc)
    for key in ("volunteers", "newcomers", "pinned", "forbidden"):
        if key in doc:
            rng.shuffle(doc[key])
    for person in doc["volunteers"] + doc["newcomers"]:
        items = list(person["languages"].items())
        rng.shuffle(items)
        person["languages"] = dict(items)
        if "slots" in person:
            rng.shuffle(person["slots"])
    return doc


@st.composite
def small_problems(draw: st.DrawFn, max_volunteers: int = 3, max_newcomers: int = 4) -> Any:
    """Small random problems with every kind of rule in play."""
    n_vol = draw(st.integers(0, max_volunteers))
    n_new = draw(st.integers(0, max_newcomers))
    place = st.builds(offset, st.floats(-6, 6), st.floats(-6, 6))
    languages = st.dictionaries(st.sampled_from(LANGS[:3]), st.sampled_from(LEVELS), min_size=1)
    slots = st.lists(st.sampled_from(SLOT_CHOICES[:3]), max_size=3, unique=True)
    topics = st.lists(st.sampled_from(TOPIC_CHOICES), max_size=3, unique=True)
    volunteers = [
        {
            "id": f"v{k}",
            "languages": draw(languages),
            "location": draw(st.one_of(st.none(), place)),
            "slots": draw(slots),
            "capacity": draw(st.integers(0, 2)),
            "gender": draw(st.sampled_from([None, "female", "male"])),
            "police_certificate": draw(st.booleans()),
            "topics": draw(topics),
        }
        for k in range(n_vol)
    ]
    newcomers = [
        {
            "id": f"n{k}",
            "languages": draw(languages),
            "location": draw(st.one_of(st.none(), place)),
            "slots": draw(slots),
            "mentor_gender": draw(st.sampled_from([None, None, "female"])),
            "minors": draw(st.booleans()),
            "topics": draw(topics),
            "waiting_since": draw(st.sampled_from([None, "2026-01-01", "2026-10-01"])),
        }
        for k in range(n_new)
    ]
    pairs = [(v["id"], n["id"]) for v in volunteers for n in newcomers]
    pinned: list[dict[str, str]] = []
    forbidden: list[dict[str, str]] = []
    if pairs:
        chosen = draw(st.lists(st.sampled_from(pairs), max_size=2, unique=True))
        seen = set()
        for v, n in chosen:
            if n not in seen:
                seen.add(n)
                pinned.append({"volunteer": v, "newcomer": n})
        for v, n in draw(st.lists(st.sampled_from(pairs), max_size=2, unique=True)):
            forbidden.append({"volunteer": v, "newcomer": n})
    settings = {
        "max_distance_km": draw(st.sampled_from([None, 5, 8])),
        "min_shared_slots": draw(st.integers(0, 2)),
        "min_score": draw(st.sampled_from([0.0, 0.3])),
        "weights": {
            "language": draw(st.integers(0, 3)),
            "distance": draw(st.integers(0, 3)),
            "availability": 1,
            "topics": draw(st.integers(0, 2)),
            "waiting": draw(st.integers(0, 2)),
        },
    }
    return problem(volunteers, newcomers, settings=settings, pinned=pinned, forbidden=forbidden)
