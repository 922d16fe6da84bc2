"""The funnel counts the pairs each hard constraint leaves, as the engine applies them."""

from __future__ import annotations

from typing import Any

import pytest
from engine_support import (
    ENGINE,
    haversine,
    newcomer,
    offset,
    problem,
    small_problems,
    volunteer,
)
from hypothesis import assume, given

from matcher.engine import FunnelStages, ProblemError, funnel, solve
from matcher.engine.explain import STAGES

pytestmark = pytest.mark.engine


def _stages_by_rules(doc: dict[str, Any]) -> list[int]:
    """Pairs left after each of rules 1-6, in the spec's order, written without the engine."""
    settings = doc.get("settings", {})
    limit = settings.get("max_distance_km", 15)
    min_slots = settings.get("min_shared_slots", 1)
    forbidden = {(f["volunteer"], f["newcomer"]) for f in doc.get("forbidden", [])}
    left = [0] * 6
    for v in _free_volunteers(doc):
        for n in _unpinned_newcomers(doc):
            checks = [
                bool({k.lower() for k in v["languages"]} & {k.lower() for k in n["languages"]}),
                limit is None
                or not (v.get("location") and n.get("location"))
                or haversine(v["location"], n["location"]) <= limit,
                len(set(v.get("slots", [])) & set(n.get("slots", []))) >= min_slots,
                n.get("mentor_gender") is None or v.get("gender") == n["mentor_gender"],
                not n.get("minors") or bool(v.get("police_certificate")),
                (v["id"], n["id"]) not in forbidden,
            ]
            for stage, ok in enumerate(checks):
                if not ok:
                    break
                left[stage] += 1
    return left


def _free_volunteers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    held = [p["volunteer"] for p in doc.get("pinned", [])]
    return [v for v in doc["volunteers"] if v.get("capacity", 1) - held.count(v["id"]) > 0]


def _unpinned_newcomers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    pinned = {p["newcomer"] for p in doc.get("pinned", [])}
    return [n for n in doc["newcomers"] if n["id"] not in pinned]


def _near_limit(doc: dict[str, Any]) -> bool:
    limit = doc["settings"]["max_distance_km"]
    return limit is not None and any(
        abs(haversine(v["location"], n["location"]) - limit) < 1e-6
        for v in doc["volunteers"]
        for n in doc["newcomers"]
        if v["location"] and n["location"]
    )


def test_funnel_counts_each_stage() -> None:
    doc = problem(
        [
            volunteer("v1"),
            volunteer("v2", location=offset(20)),
            volunteer("v3", languages={"ar": "native"}),
            volunteer("v4", slots=["sun-evening"]),
            volunteer("v5", capacity=0),
        ],
        [newcomer("n1"), newcomer("n2", minors=True)],
    )
    assert funnel(doc) == {
        "format": "matcher.funnel/1",
        "volunteers": 4,
        "newcomers": 2,
        "all_pairs": 8,
        "stages": {
            "language": 6,
            "distance": 4,
            "slots": 2,
            "gender": 2,
            "certificate": 1,
            "forbidden": 1,
            "score": 1,
        },
        "feasible_pairs": 1,
    }


def test_funnel_leaves_out_full_volunteers_and_pinned_newcomers() -> None:
    doc = problem(
        [volunteer("v1"), volunteer("v2", capacity=2)],
        [newcomer("n1"), newcomer("n2"), newcomer("n3")],
        pinned=[{"volunteer": "v1", "newcomer": "n1"}, {"volunteer": "v2", "newcomer": "n2"}],
        forbidden=[{"volunteer": "v2", "newcomer": "n3"}],
    )
    result = funnel(doc)
    assert (result["volunteers"], result["newcomers"], result["all_pairs"]) == (1, 1, 1)
    assert result["stages"]["slots"] == 1
    assert result["stages"]["forbidden"] == result["feasible_pairs"] == 0


def test_funnel_of_an_empty_problem_and_without_shared_languages() -> None:
    assert funnel(problem([], []))["stages"]["language"] == 0
    doc = problem([volunteer("v", languages={"ar": "native"})], [newcomer("n")])
    assert funnel(doc)["all_pairs"] == 1
    assert funnel(doc)["feasible_pairs"] == 0


def test_funnel_validates_like_solve() -> None:
    bad = problem([volunteer("v", slots=["monday-evening"])], [])
    with pytest.raises(ProblemError) as funnel_error:
        funnel(bad)
    with pytest.raises(ProblemError) as solve_error:
        solve(bad)
    assert funnel_error.value.errors == solve_error.value.errors


def test_funnel_stages_are_the_engines_stages_in_order() -> None:
    assert tuple(FunnelStages.__annotations__) == STAGES


@ENGINE
@given(small_problems(max_volunteers=4, max_newcomers=4))
def test_funnel_agrees_with_brute_force(doc: dict[str, Any]) -> None:
    assume(not _near_limit(doc))
    result = funnel(doc)
    free, unpinned = _free_volunteers(doc), _unpinned_newcomers(doc)
    assert result["volunteers"] == len(free)
    assert result["newcomers"] == len(unpinned)
    assert result["all_pairs"] == len(free) * len(unpinned)
    stages = [result["stages"][stage] for stage in STAGES]
    assert stages[:6] == _stages_by_rules(doc)
    # The last stage is the feasible pairs among these people, as solve finds them.
    candidates = solve(doc, candidates="all")["candidates"]
    free_ids = {v["id"] for v in free}
    feasible = sum(
        c["volunteer"] in free_ids for n in unpinned for c in candidates.get(n["id"], [])
    )
    assert stages[6] == result["feasible_pairs"] == feasible


@ENGINE
@given(small_problems(max_volunteers=4, max_newcomers=4))
def test_funnel_agrees_with_solve_without_pinned_or_paused(doc: dict[str, Any]) -> None:
    doc = dict(doc, pinned=[])
    for person in doc["volunteers"]:
        person["capacity"] = max(1, person["capacity"])
    assert funnel(doc)["feasible_pairs"] == solve(doc)["stats"]["feasible_pairs"]
