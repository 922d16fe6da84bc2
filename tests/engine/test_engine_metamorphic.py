"""Metamorphic properties: reordering changes nothing; improving a pair never lowers it."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from engine_support import (
    ENGINE,
    SLOT_CHOICES,
    TOPIC_CHOICES,
    newcomer,
    offset,
    problem,
    shuffled,
    small_problems,
    volunteer,
)
from hypothesis import given
from hypothesis import strategies as st

from matcher.engine import solve

pytestmark = pytest.mark.engine


def _pairs(result: dict[str, Any]) -> list[tuple[str, str, float, bool]]:
    return [(p["volunteer"], p["newcomer"], p["score"], p["pinned"]) for p in result["pairs"]]


@ENGINE
@given(small_problems(max_volunteers=4, max_newcomers=5), st.integers(0, 10**6))
def test_shuffled_input_gives_the_same_result(doc: dict[str, Any], seed: int) -> None:
    first = solve(doc, candidates="all")
    again = solve(shuffled(doc, seed), candidates="all")
    assert _pairs(again) == _pairs(first)
    assert again["unmatched_newcomers"] == first["unmatched_newcomers"]
    assert again["unmatched_volunteers"] == first["unmatched_volunteers"]
    assert again["candidates"] == first["candidates"]


def test_shuffled_many_ties_give_the_same_pairs() -> None:
    # Identical people: every assignment ties, so only the tie-break decides.
    volunteers = [volunteer(f"v{k}", capacity=1 + k % 2) for k in range(12)]
    newcomers = [newcomer(f"n{k:02d}") for k in range(25)]
    doc = problem(volunteers, newcomers)
    first = _pairs(solve(doc))
    assert len(first) == 18
    for seed in range(8):
        assert _pairs(solve(shuffled(doc, seed))) == first


def test_ties_are_broken_by_id() -> None:
    doc = problem([volunteer("vb"), volunteer("va")], [newcomer("n1")])
    assert _pairs(solve(doc))[0][0] == "va"
    doc = problem([volunteer("v1")], [newcomer("nb"), newcomer("na")])
    assert _pairs(solve(doc))[0][1] == "na"


def _component(vol: dict[str, Any], new: dict[str, Any], key: str, **settings: Any) -> float:
    doc = problem([vol], [new], settings={"min_shared_slots": 0, **settings})
    result = solve(doc)
    assert len(result["pairs"]) == 1
    value: float = result["pairs"][0]["components"][key]
    assert 0.0 <= value <= 1.0
    return value


@ENGINE
@given(
    st.lists(st.sampled_from(SLOT_CHOICES), unique=True),
    st.lists(st.sampled_from(SLOT_CHOICES), unique=True),
    st.sampled_from(SLOT_CHOICES),
)
def test_a_shared_slot_added_never_lowers_availability(
    v_slots: list[str], n_slots: list[str], extra: str
) -> None:
    before = _component(volunteer("v", slots=v_slots), newcomer("n", slots=n_slots), "availability")
    more_v = sorted(set(v_slots) | {extra})
    more_n = sorted(set(n_slots) | {extra})
    after = _component(volunteer("v", slots=more_v), newcomer("n", slots=more_n), "availability")
    assert after >= before


@ENGINE
@given(st.floats(0, 14), st.floats(0, 14), st.sampled_from([None, 15, 30]))
def test_shorter_distance_never_lowers_distance(a: float, b: float, limit: float | None) -> None:
    near, far = sorted([a, b])
    n = newcomer("n")
    close = _component(volunteer("v", location=offset(near)), n, "distance", max_distance_km=limit)
    away = _component(volunteer("v", location=offset(far)), n, "distance", max_distance_km=limit)
    assert close >= away


LEVEL_ORDER = ["basic", "good", "fluent", "native"]


@ENGINE
@given(st.integers(0, 3), st.integers(0, 3), st.integers(0, 3))
def test_better_language_level_never_lowers_language(v: int, n: int, step: int) -> None:
    better = min(3, v + step)
    new = newcomer("n", languages={"ar": LEVEL_ORDER[n]})
    low = _component(volunteer("v", languages={"ar": LEVEL_ORDER[v]}), new, "language")
    high = _component(volunteer("v", languages={"ar": LEVEL_ORDER[better]}), new, "language")
    assert high >= low


@ENGINE
@given(
    st.lists(st.sampled_from(TOPIC_CHOICES), unique=True),
    st.lists(st.sampled_from(TOPIC_CHOICES), unique=True),
    st.sampled_from(TOPIC_CHOICES),
)
def test_more_topics_covered_never_lowers_topics(
    offered: list[str], needed: list[str], extra: str
) -> None:
    new = newcomer("n", topics=needed)
    before = _component(volunteer("v", topics=offered), new, "topics")
    after = _component(volunteer("v", topics=sorted(set(offered) | {extra})), new, "topics")
    assert after >= before


@ENGINE
@given(st.integers(0, 900), st.integers(0, 900))
def test_longer_wait_never_lowers_waiting(a: int, b: int) -> None:
    import datetime as dt

    today = dt.date(2026, 11, 26)
    short, long_ = sorted([a, b])
    v = volunteer("v")

    def waited(days: int) -> float:
        since = (today - dt.timedelta(days=days)).isoformat()
        return _component(v, newcomer("n", waiting_since=since), "waiting")

    assert waited(long_) >= waited(short)


def test_score_is_the_weighted_mean_of_the_components() -> None:
    weights = {"language": 3, "distance": 2, "availability": 2, "topics": 1, "waiting": 1}
    doc = problem(
        [volunteer("v", languages={"ar": "fluent"}, location=offset(2.1), topics=["housing"])],
        [
            newcomer(
                "n",
                languages={"ar": "native"},
                topics=["housing", "jobs"],
                waiting_since="2026-08-01",
            )
        ],
        settings={"weights": weights},
    )
    pair = solve(doc)["pairs"][0]
    mean = sum(weights[k] * pair["components"][k] for k in weights) / sum(weights.values())
    assert pair["score"] == pytest.approx(mean, abs=1e-6)
    changed = copy.deepcopy(doc)
    changed["settings"]["weights"] = dict.fromkeys(weights, 0) | {"distance": 1}
    assert solve(changed)["pairs"][0]["score"] == pytest.approx(pair["components"]["distance"])


def test_shuffled_input_gives_the_same_pairs_in_certified_rounds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from test_engine_milp import _random_problem

    from matcher.engine import assignment

    monkeypatch.setattr(assignment, "WHOLE_CELLS", 0)
    monkeypatch.setattr(assignment, "SPREAD_PER_ROW", 2)
    doc = _random_problem(11, 80, 120)
    # Identical twins make ties that only the tie-break can settle.
    doc["volunteers"] += [dict(v, id=v["id"] + "-twin") for v in doc["volunteers"][:20]]
    first = _pairs(solve(doc))
    assert len(first) > 40
    for seed in range(3):
        assert _pairs(solve(shuffled(doc, seed))) == first
