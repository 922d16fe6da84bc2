"""The optional inputs of issue 13: must-rules, households, interests and the family preference.

Each rule on its own, the reasons and the unmatched detail that name it, validation, and
the guarantees of ``shared/spec/engine.md`` with the new rules in play: the result is the
lexicographic optimum (brute force on small cases, ``scipy.optimize.milp`` on medium ones),
and a problem without the new fields equals the same problem with neutral values.
"""

from __future__ import annotations

import copy
import random
from collections import Counter
from typing import Any

import pytest
from engine_support import (
    ENGINE,
    LANGS,
    LEVELS,
    SLOT_CHOICES,
    TOPIC_CHOICES,
    best_assignment,
    feasible_by_rules,
    haversine,
    newcomer,
    offset,
    problem,
    small_problems,
    units,
    volunteer,
)
from hypothesis import assume, given
from hypothesis import strategies as st
from test_engine_milp import _milp_optimum

from matcher.engine import ProblemError, funnel, solve

pytestmark = pytest.mark.engine

_RANK = {level: k for k, level in enumerate(LEVELS)}
BANDS = ["0-2", "3-5", "6-11", "12-17"]
INTERESTS = ["cooking", "football", "music"]


def _pairs(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {(p["volunteer"], p["newcomer"]) for p in solve(doc)["pairs"]}


def _feasible(doc: dict[str, Any]) -> set[tuple[str, str]]:
    listed = solve(doc, candidates="all")["candidates"]
    return {(c["volunteer"], n) for n, cs in listed.items() for c in cs}


def _detail(doc: dict[str, Any]) -> dict[str, Any]:
    (entry,) = solve(doc, with_codes=True)["unmatched_newcomers"]
    assert entry["reason"] == "no_feasible_volunteer"
    return entry


# -- each rule on its own ---------------------------------------------------------


def test_min_language_level_needs_a_shared_language_at_that_level_on_both_sides() -> None:
    doc = problem(
        [
            volunteer("v1", languages={"de": "native", "ar": "basic"}),
            volunteer("v2", languages={"de": "native", "ar": "fluent"}),
        ],
        [newcomer("n1", languages={"de": "basic", "ar": "native"})],
        settings={"min_language_level": "good"},
    )
    assert _feasible(doc) == {("v2", "n1")}
    doc["settings"]["min_language_level"] = "native"
    entry = _detail(doc)
    assert entry["detail_code"]["code"] == "level"
    assert entry["detail"] == (
        "2 volunteers share Arabic or German; none at level native or better on both sides"
    )
    doc["settings"]["min_language_level"] = "basic"
    assert _feasible(doc) == {("v1", "n1"), ("v2", "n1")}


def test_same_gender_tandems_where_both_genders_are_known() -> None:
    doc = problem(
        [
            volunteer("v1", gender="female"),
            volunteer("v2", gender="male"),
            volunteer("v3"),
        ],
        [newcomer("n1", gender="female"), newcomer("n2")],
        settings={"tandem_gender": "same"},
    )
    feasible = _feasible(doc)
    assert {v for v, n in feasible if n == "n1"} == {"v1", "v3"}
    # Unknown gender on the newcomer's side: the rule does not apply.
    assert {v for v, n in feasible if n == "n2"} == {"v1", "v2", "v3"}
    lonely = problem(
        [volunteer("v2", gender="male")],
        [newcomer("n1", gender="female")],
        settings={"tandem_gender": "same"},
    )
    entry = _detail(lonely)
    assert entry["detail_code"]["code"] == "tandem"
    assert entry["detail"].endswith("none of the same gender")


def test_women_only_tandems_need_both_to_be_female() -> None:
    doc = problem(
        [volunteer("v1", gender="female"), volunteer("v2", gender="male"), volunteer("v3")],
        [newcomer("n1", gender="female"), newcomer("n2")],
        settings={"tandem_gender": "women_only"},
    )
    assert _feasible(doc) == {("v1", "n1")}
    (entry,) = solve(doc, with_codes=True)["unmatched_newcomers"]
    assert entry["newcomer"] == "n2"
    assert entry["detail_code"]["code"] == "tandem"
    assert "women-only" in entry["detail"]


def test_household_rule_families_welcome_and_max_household() -> None:
    doc = problem(
        [
            volunteer("v1", families_welcome=False),
            volunteer("v2", families_welcome=True, max_household=3),
            volunteer("v3", families_welcome=True),
            volunteer("v4"),
        ],
        [
            newcomer("n1"),
            newcomer("n2", household_size=3),
            newcomer("n3", household_size=5),
        ],
    )
    feasible = _feasible(doc)
    assert {v for v, n in feasible if n == "n1"} == {"v1", "v2", "v3", "v4"}
    assert {v for v, n in feasible if n == "n2"} == {"v2", "v3", "v4"}
    # Absent families_welcome: no household rule for that volunteer.
    assert {v for v, n in feasible if n == "n3"} == {"v3", "v4"}
    lonely = problem(
        [volunteer("v1", families_welcome=False), volunteer("v2", max_household=2)],
        [newcomer("n1", household_size=4)],
    )
    entry = _detail(lonely)
    assert entry["detail_code"]["code"] == "household"
    assert entry["detail_code"]["params"]["household_size"] == 4
    assert entry["detail"] == "2 volunteers share German within 15 km with a shared slot; " + (
        "none welcomes a household of 4"
    )


def test_a_newcomers_own_distance_limit_is_the_smaller_one() -> None:
    doc = problem(
        [volunteer("v1", location=offset(3)), volunteer("v2", location=offset(8))],
        [newcomer("n1", max_distance_km=5), newcomer("n2", max_distance_km=50)],
        settings={"max_distance_km": 10},
    )
    feasible = _feasible(doc)
    assert {v for v, n in feasible if n == "n1"} == {"v1"}
    assert {v for v, n in feasible if n == "n2"} == {"v1", "v2"}
    # Without a limit in the settings, the newcomer's own still holds.
    doc["settings"]["max_distance_km"] = None
    assert {v for v, n in _feasible(doc) if n == "n1"} == {"v1"}
    lonely = problem(
        [volunteer("v2", location=offset(8))],
        [newcomer("n1", max_distance_km=5)],
        settings={"max_distance_km": 10},
    )
    entry = _detail(lonely)
    assert entry["detail"] == "1 volunteer shares German; none within 5 km"
    assert entry["detail_code"]["params"]["max_distance_km"] == 5


def test_shared_interests_count_in_the_topics_component() -> None:
    doc = problem(
        [
            volunteer("v1", topics=["housing"]),
            volunteer("v2", topics=["housing"], interests=["football", "music"]),
        ],
        [newcomer("n1", topics=["housing"], interests=["football"])],
        settings={"max_distance_km": 10},
    )
    result = solve(doc, candidates="all")
    assert result["pairs"][0]["volunteer"] == "v2"
    assert result["pairs"][0]["components"]["topics"] == 1.0
    scores = {c["volunteer"]: c["score"] for c in result["candidates"]["n1"]}
    assert scores["v2"] > scores["v1"]
    assert "shares 1 of 1 interest: football" in result["pairs"][0]["reasons"]


def test_family_preference_only_when_weighted() -> None:
    people = (
        [
            volunteer("v1", child_age_bands=["12-17"]),
            volunteer("v2", child_age_bands=["3-5"]),
        ],
        [newcomer("n1", household_size=3, child_age_bands=["3-5", "6-11"])],
    )
    off = solve(problem(*copy.deepcopy(people)))
    assert "family" not in off["pairs"][0]["components"]
    # Without the preference both score the same: the lower id wins the tie.
    assert off["pairs"][0]["volunteer"] == "v1"
    on = solve(problem(*copy.deepcopy(people), settings={"weights": {"family": 2}}))
    (pair,) = on["pairs"]
    assert pair["volunteer"] == "v2"
    assert pair["components"]["family"] == 0.5
    assert "likes to meet children aged 3-5" in pair["reasons"]
    assert "household of 3 people" in pair["reasons"]


def test_pinned_pairs_say_which_must_rule_they_break() -> None:
    doc = problem(
        [volunteer("v1", gender="male", families_welcome=False)],
        [newcomer("n1", gender="female", household_size=2, languages={"de": "basic"})],
        settings={"tandem_gender": "women_only", "min_language_level": "good"},
        pinned=[{"volunteer": "v1", "newcomer": "n1"}],
    )
    (pair,) = solve(doc, with_codes=True)["pairs"]
    codes = [r["code"] for r in pair["reason_codes"]]
    assert {"household_too_large", "below_min_language_level", "tandem_gender_mismatch"} <= set(
        codes
    )


def test_validation_names_the_place_of_each_new_field() -> None:
    doc = problem(
        [volunteer("v1", families_welcome="yes", max_household=0, interests="music")],
        [newcomer("n1", household_size=0, max_distance_km=-1, child_age_bands=[3])],
        settings={
            "min_language_level": "expert",
            "tandem_gender": "men",
            "weights": {"family": -1},
        },
    )
    with pytest.raises(ProblemError) as error:
        solve(doc)
    assert error.value.errors == [
        "settings.weights.family: must not be negative, got -1",
        'settings.min_language_level: unknown level "expert" (expected basic, good, fluent, '
        "native or null)",
        'settings.tandem_gender: unknown rule "men" (expected same, women_only or null)',
        "volunteers[0].interests: expected a list of strings, got a string",
        "volunteers[0].families_welcome: expected true or false, got a string",
        "volunteers[0].max_household: must be at least 1, got 0",
        "newcomers[0].child_age_bands[0]: expected a string, got a number",
        "newcomers[0].household_size: must be at least 1, got 0",
        "newcomers[0].max_distance_km: must not be negative, got -1",
    ]


def test_funnel_walk_counts_what_each_must_rule_removes() -> None:
    doc = problem(
        [
            volunteer("v1", gender="female", languages={"de": "basic"}),
            volunteer("v2", gender="female", families_welcome=False),
            volunteer("v3", gender="male"),
        ],
        [newcomer("n1", gender="female", languages={"de": "good"}, household_size=2)],
        settings={"min_language_level": "good", "tandem_gender": "same"},
    )
    plain = funnel(doc)
    assert "walk" not in plain
    walk = {step["stage"]: step for step in funnel(doc, walk=True)["walk"]}
    assert [walk[s]["pairs"] for s in ("language", "level", "tandem", "household")] == [3, 2, 1, 0]
    assert walk["household"]["newcomers"] == 0
    assert walk["tandem"]["newcomers"] == 1
    assert funnel(doc, walk=True)["stages"] == plain["stages"]


# -- the guarantees with the new rules in play ----------------------------------------


def _feasible_by_must_rules(doc: dict[str, Any]) -> set[tuple[str, str]]:
    """The spec's rules 1-6 plus the new must-rules, as the contract words them."""
    settings = doc.get("settings", {})
    limit = settings.get("max_distance_km", 15)
    level = settings.get("min_language_level")
    tandem = settings.get("tandem_gender")
    volunteers = {v["id"]: v for v in doc["volunteers"]}
    newcomers = {n["id"]: n for n in doc["newcomers"]}
    pairs = set()
    for v_id, n_id in feasible_by_rules(doc):
        v, n = volunteers[v_id], newcomers[n_id]
        own = n.get("max_distance_km")
        if own is not None and v.get("location") and n.get("location"):
            pair_limit = own if limit is None else min(own, limit)
            if haversine(v["location"], n["location"]) > pair_limit:
                continue
        if level is not None and not any(
            min(_RANK[n["languages"][code]], _RANK[v["languages"][code]]) >= _RANK[level]
            for code in set(n["languages"]) & set(v["languages"])
        ):
            continue
        genders = (n.get("gender"), v.get("gender"))
        if tandem == "same" and None not in genders and genders[0] != genders[1]:
            continue
        if tandem == "women_only" and not (n.get("gender") == v.get("gender") == "female"):
            continue
        size = n.get("household_size", 1)
        if v.get("families_welcome") is False and size > 1:
            continue
        if v.get("max_household") is not None and size > v["max_household"]:
            continue
        pairs.add((v_id, n_id))
    return pairs


@st.composite
def must_rule_problems(draw: st.DrawFn) -> dict[str, Any]:
    """Small random problems with the new fields and rules drawn as well."""
    doc = draw(small_problems(max_volunteers=3, max_newcomers=4))
    doc["settings"]["min_language_level"] = draw(st.sampled_from([None, *LEVELS]))
    doc["settings"]["tandem_gender"] = draw(st.sampled_from([None, "same", "women_only"]))
    doc["settings"]["weights"] = {"family": draw(st.sampled_from([0, 1, 3]))}
    bands = st.lists(st.sampled_from(BANDS), max_size=2, unique=True)
    interests = st.lists(st.sampled_from(INTERESTS), max_size=2, unique=True)
    for v in doc["volunteers"]:
        v["families_welcome"] = draw(st.sampled_from([None, True, False]))
        v["max_household"] = draw(st.sampled_from([None, 2, 4]))
        v["child_age_bands"] = draw(bands)
        v["interests"] = draw(interests)
    for n in doc["newcomers"]:
        n["gender"] = draw(st.sampled_from([None, "female", "male"]))
        n["household_size"] = draw(st.sampled_from([1, 1, 2, 3, 5]))
        n["child_age_bands"] = draw(bands)
        n["max_distance_km"] = draw(st.sampled_from([None, 2.0, 5.0]))
        n["interests"] = draw(interests)
    return doc


def _near_a_limit(doc: dict[str, Any]) -> bool:
    limits = [doc["settings"]["max_distance_km"]]
    limits += [n.get("max_distance_km") for n in doc["newcomers"]]
    return any(
        limit is not None and abs(haversine(v["location"], n["location"]) - limit) < 1e-6
        for limit in limits
        for v in doc["volunteers"]
        for n in doc["newcomers"]
        if v["location"] and n["location"]
    )


@ENGINE
@given(must_rule_problems())
def test_with_must_rules_the_result_is_the_brute_force_optimum(doc: dict[str, Any]) -> None:
    assume(not _near_a_limit(doc))
    result = solve(doc, candidates="all")
    scores = {
        (c["volunteer"], n): units(c["score"])
        for n, listed in result["candidates"].items()
        for c in listed
    }
    by_rules = _feasible_by_must_rules(doc)
    assert set(scores) <= by_rules
    if doc["settings"]["min_score"] == 0:
        assert set(scores) == by_rules
    pinned = {(p["volunteer"], p["newcomer"]) for p in doc["pinned"]}
    pinned_newcomers = {n for _, n in pinned}
    capacity = {v["id"]: v["capacity"] for v in doc["volunteers"]}
    for v, _ in pinned:
        capacity[v] = max(0, capacity[v] - 1)
    free = [n["id"] for n in doc["newcomers"] if n["id"] not in pinned_newcomers]
    free_scores = {pair: s for pair, s in scores.items() if pair[1] not in pinned_newcomers}
    proposed = [p for p in result["pairs"] if not p["pinned"]]
    expected = best_assignment(free_scores, capacity, free)
    assert (len(proposed), sum(units(p["score"]) for p in proposed)) == expected
    assert {(p["volunteer"], p["newcomer"]) for p in result["pairs"] if p["pinned"]} == pinned
    # The family component is reported exactly when it is weighted.
    weighted = doc["settings"]["weights"]["family"] > 0
    assert all(("family" in p["components"]) == weighted for p in result["pairs"])
    # The funnel walk ends where the feasible pairs are, and never grows.
    walk = funnel(doc, walk=True)["walk"]
    counts = [step["pairs"] for step in walk]
    assert counts == sorted(counts, reverse=True)


def _neutral(doc: dict[str, Any]) -> dict[str, Any]:
    """The same problem with every new field present and neutral."""
    doc = copy.deepcopy(doc)
    doc["settings"]["min_language_level"] = "basic"
    doc["settings"]["tandem_gender"] = None
    doc["settings"].setdefault("weights", {})["family"] = 0
    for v in doc["volunteers"]:
        v.update(families_welcome=True, max_household=None, child_age_bands=[], interests=[])
    for n in doc["newcomers"]:
        n.update(household_size=1, child_age_bands=[], max_distance_km=None, interests=[])
    return doc


def _without_time(result: dict[str, Any]) -> dict[str, Any]:
    result = copy.deepcopy(result)
    del result["stats"]["seconds"]
    return result


@ENGINE
@given(small_problems(max_volunteers=4, max_newcomers=4))
def test_absent_new_fields_equal_neutral_values(doc: dict[str, Any]) -> None:
    plain = solve(doc, candidates="all", with_codes=True)
    neutral = solve(_neutral(doc), candidates="all", with_codes=True)
    assert _without_time(plain) == _without_time(neutral)
    assert funnel(doc) == funnel(_neutral(doc))


def _random_must_rule_problem(seed: int, n_vol: int, n_new: int) -> dict[str, Any]:
    rng = random.Random(seed)

    def langs() -> dict[str, str]:
        return {code: rng.choice(LEVELS) for code in rng.sample(LANGS, rng.randint(1, 2))}

    volunteers = [
        {
            "id": f"v{k:03d}",
            "languages": langs(),
            "location": offset(rng.uniform(-8, 8), rng.uniform(-8, 8)),
            "slots": rng.sample(SLOT_CHOICES, rng.randint(1, 3)),
            "capacity": rng.choice([0, 1, 1, 2, 3]),
            "gender": rng.choice(["female", "female", "male", None]),
            "police_certificate": rng.random() < 0.6,
            "topics": rng.sample(TOPIC_CHOICES, rng.randint(0, 3)),
            "families_welcome": rng.choice([None, True, False]),
            "max_household": rng.choice([None, None, 3]),
            "child_age_bands": rng.sample(BANDS, rng.randint(0, 2)),
            "interests": rng.sample(INTERESTS, rng.randint(0, 2)),
        }
        for k in range(n_vol)
    ]
    newcomers = [
        {
            "id": f"n{k:03d}",
            "languages": langs(),
            "location": offset(rng.uniform(-8, 8), rng.uniform(-8, 8)),
            "slots": rng.sample(SLOT_CHOICES, rng.randint(1, 3)),
            "gender": rng.choice(["female", "male", None]),
            "minors": rng.random() < 0.3,
            "topics": rng.sample(TOPIC_CHOICES, rng.randint(0, 2)),
            "waiting_since": f"2026-{rng.randint(1, 11):02d}-01",
            "household_size": rng.choice([1, 1, 2, 4]),
            "child_age_bands": rng.sample(BANDS, rng.randint(0, 2)),
            "max_distance_km": rng.choice([None, None, 6.0]),
            "interests": rng.sample(INTERESTS, rng.randint(0, 2)),
        }
        for k in range(n_new)
    ]
    settings = {
        "max_distance_km": 9,
        "min_language_level": "good",
        "tandem_gender": "same",
        "weights": {"family": 1},
    }
    return problem(volunteers, newcomers, settings=settings)


@pytest.mark.parametrize("seed", range(3))
def test_with_must_rules_the_engine_agrees_with_milp(seed: int) -> None:
    doc = _random_must_rule_problem(seed, 45, 60)
    result = solve(doc, candidates="all")
    pairs, scores = [], []
    for n, listed in result["candidates"].items():
        for c in listed:
            pairs.append((c["volunteer"], n))
            scores.append(units(c["score"]))
    assert set(pairs) == _feasible_by_must_rules(doc)
    capacity = {v["id"]: v["capacity"] for v in doc["volunteers"]}
    rows = [n["id"] for n in doc["newcomers"]]
    expected = _milp_optimum(pairs, scores, capacity, rows)
    got = (len(result["pairs"]), sum(units(p["score"]) for p in result["pairs"]))
    assert got == expected
    assert expected[0] > 10  # the case is not trivial
    assert max(Counter(p["newcomer"] for p in result["pairs"]).values()) == 1
