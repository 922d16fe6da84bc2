"""Each guarantee of shared/spec/engine.md, shown by a test that fails when it breaks."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from engine_support import newcomer, offset, problem, volunteer

from matcher.engine import solve

pytestmark = pytest.mark.engine


def _pair_ids(result: dict[str, Any]) -> set[tuple[str, str]]:
    return {(p["volunteer"], p["newcomer"]) for p in result["pairs"]}


# -- hard constraints, one at a time ---------------------------------------


@pytest.mark.parametrize(
    ("v_fields", "n_fields", "settings"),
    [
        ({"languages": {"ar": "native"}}, {"languages": {"de": "basic"}}, {}),
        ({"location": offset(16)}, {}, {"max_distance_km": 15}),
        ({"slots": ["sat-morning"]}, {"slots": ["mon-evening"]}, {}),
        ({"slots": ["mon-evening"]}, {"slots": ["mon-evening"]}, {"min_shared_slots": 2}),
        ({"gender": "male"}, {"mentor_gender": "female"}, {}),
        ({"gender": None}, {"mentor_gender": "female"}, {}),
        ({"police_certificate": False}, {"minors": True}, {}),
        ({}, {}, {"min_score": 0.99}),
    ],
)
def test_each_hard_constraint_blocks_a_pair(
    v_fields: dict[str, Any], n_fields: dict[str, Any], settings: dict[str, Any]
) -> None:
    doc = problem([volunteer("v", **v_fields)], [newcomer("n", **n_fields)], settings=settings)
    result = solve(doc)
    assert result["pairs"] == []
    assert result["stats"]["feasible_pairs"] == 0
    assert result["unmatched_newcomers"][0]["reason"] == "no_feasible_volunteer"


@pytest.mark.parametrize(
    ("v_fields", "n_fields", "settings"),
    [
        ({"languages": {"AR": "basic"}}, {"languages": {"ar": "native"}}, {}),
        ({"location": offset(14.9)}, {}, {"max_distance_km": 15}),
        ({"location": offset(400)}, {}, {"max_distance_km": None}),
        ({"location": None}, {}, {"max_distance_km": 1}),
        ({"slots": []}, {"slots": []}, {"min_shared_slots": 0}),
        ({"gender": "female"}, {"mentor_gender": "female"}, {}),
        ({"police_certificate": True}, {"minors": True}, {}),
        ({}, {}, {"min_score": 0.0}),
    ],
)
def test_a_pair_meeting_every_constraint_is_proposed(
    v_fields: dict[str, Any], n_fields: dict[str, Any], settings: dict[str, Any]
) -> None:
    doc = problem([volunteer("v", **v_fields)], [newcomer("n", **n_fields)], settings=settings)
    assert _pair_ids(solve(doc)) == {("v", "n")}


def test_forbidden_pairs_are_never_proposed() -> None:
    doc = problem(
        [volunteer("v1"), volunteer("v2", location=offset(9))],
        [newcomer("n1")],
        forbidden=[{"volunteer": "v1", "newcomer": "n1"}],
    )
    assert _pair_ids(solve(doc)) == {("v2", "n1")}


def test_postcode_places_a_person_without_location() -> None:
    # 50823 is in Cologne; 10115 is in Berlin, far beyond 15 km.
    near = problem([volunteer("v", location=None, postcode="50823")], [newcomer("n")])
    far = problem([volunteer("v", location=None, postcode="10115")], [newcomer("n")])
    assert _pair_ids(solve(near)) == {("v", "n")}
    assert solve(far)["pairs"] == []
    reasons = solve(near)["pairs"][0]["reasons"]
    assert any(re.fullmatch(r"\d+\.\d km apart", r) for r in reasons)


# -- the assignment --------------------------------------------------------


def test_capacity_limits_a_volunteer_and_zero_means_paused() -> None:
    doc = problem(
        [volunteer("v1", capacity=2), volunteer("v2", capacity=0)],
        [newcomer("n1"), newcomer("n2"), newcomer("n3")],
    )
    result = solve(doc)
    assert len(result["pairs"]) == 2
    assert {p["volunteer"] for p in result["pairs"]} == {"v1"}
    assert result["unmatched_newcomers"][0]["reason"] == "volunteers_taken"


def test_unmatched_volunteers_are_those_without_a_newcomer() -> None:
    doc = problem(
        [
            volunteer("v1", capacity=2),
            volunteer("v2", capacity=3, languages={"fr": "native"}),
            volunteer("v3", capacity=0, languages={"fr": "native"}),
        ],
        [newcomer("n1")],
    )
    # v1 keeps a place but has a newcomer; v3 is paused.
    assert solve(doc)["unmatched_volunteers"] == [{"volunteer": "v2", "free_capacity": 3}]


def test_capacity_defaults_to_one() -> None:
    v = volunteer("v")
    del v["capacity"]
    assert len(solve(problem([v], [newcomer("n1"), newcomer("n2")]))["pairs"]) == 1


def test_pinned_pairs_stay_even_when_infeasible_and_over_capacity() -> None:
    doc = problem(
        [volunteer("v1", capacity=1, languages={"fr": "native"}), volunteer("v2")],
        [newcomer("n1"), newcomer("n2"), newcomer("n3")],
        pinned=[{"volunteer": "v1", "newcomer": "n1"}, {"volunteer": "v1", "newcomer": "n2"}],
        forbidden=[{"volunteer": "v1", "newcomer": "n2"}],
    )
    result = solve(doc)
    pinned = {(p["volunteer"], p["newcomer"]) for p in result["pairs"] if p["pinned"]}
    assert pinned == {("v1", "n1"), ("v1", "n2")}
    assert ("v2", "n3") in _pair_ids(result)
    by_newcomer = {p["newcomer"]: p for p in result["pairs"]}
    assert "pinned by a coordinator" in by_newcomer["n1"]["reasons"]
    assert by_newcomer["n3"]["pinned"] is False


def test_pinned_pairs_consume_capacity_first() -> None:
    # v1 would be the better match for n2, but its one place is pinned to n1.
    doc = problem(
        [volunteer("v1", languages={"de": "native"}), volunteer("v2", location=offset(10))],
        [newcomer("n1", languages={"ar": "native"}), newcomer("n2")],
        pinned=[{"volunteer": "v1", "newcomer": "n1"}],
    )
    assert _pair_ids(solve(doc)) == {("v1", "n1"), ("v2", "n2")}


def test_most_pairs_beat_a_higher_total_score() -> None:
    # v1 fits n1 perfectly, but only v1 can take n2: two pairs beat one better pair.
    doc = problem(
        [
            volunteer("v1", languages={"de": "native", "ar": "native"}),
            volunteer("v2", languages={"de": "good"}, location=offset(14)),
        ],
        [newcomer("n1", languages={"de": "good"}), newcomer("n2", languages={"ar": "native"})],
    )
    assert _pair_ids(solve(doc)) == {("v1", "n2"), ("v2", "n1")}


def test_among_equal_counts_the_total_score_decides() -> None:
    doc = problem(
        [volunteer("v1"), volunteer("v2", location=offset(12))],
        [newcomer("n1", location=offset(11)), newcomer("n2")],
    )
    assert _pair_ids(solve(doc)) == {("v1", "n2"), ("v2", "n1")}


# -- the result ------------------------------------------------------------


def test_result_has_the_documented_shape() -> None:
    doc = problem(
        [volunteer("v1", capacity=2), volunteer("v9", languages={"fr": "native"})],
        [newcomer("n2"), newcomer("n1", topics=["housing"], waiting_since="2026-08-01")],
    )
    result = json.loads(json.dumps(solve(doc)))
    assert list(result) == [
        "format",
        "pairs",
        "unmatched_newcomers",
        "unmatched_volunteers",
        "stats",
    ]
    assert result["format"] == "matcher.result/1"
    assert [p["newcomer"] for p in result["pairs"]] == ["n1", "n2"]
    pair = result["pairs"][0]
    assert set(pair) == {"volunteer", "newcomer", "score", "pinned", "components", "reasons"}
    assert list(pair["components"]) == ["language", "distance", "availability", "topics", "waiting"]
    assert all(isinstance(r, str) for r in pair["reasons"])
    assert result["unmatched_volunteers"] == [{"volunteer": "v9", "free_capacity": 1}]
    stats = result["stats"]
    assert set(stats) == {
        "volunteers",
        "newcomers",
        "feasible_pairs",
        "pairs",
        "total_score",
        "seconds",
    }
    assert (stats["volunteers"], stats["newcomers"], stats["pairs"]) == (2, 2, 2)
    assert stats["total_score"] == pytest.approx(sum(p["score"] for p in result["pairs"]))


def test_scores_carry_six_decimals() -> None:
    doc = problem([volunteer("v", location=offset(2.123456))], [newcomer("n")])
    score = solve(doc)["pairs"][0]["score"]
    # Not rounded to fewer places: a 2.12 km distance shows in the 6th decimal.
    assert score != round(score, 3)
    assert score == round(score, 6)


def test_reasons_read_like_the_spec() -> None:
    doc = problem(
        [
            volunteer(
                "v1",
                languages={"de": "native", "ar": "fluent"},
                location=offset(2.1),
                slots=["mon-evening", "sat-morning", "sat-afternoon"],
            )
        ],
        [
            newcomer(
                "n1",
                languages={"ar": "native", "de": "basic"},
                slots=["sat-afternoon", "mon-evening", "sat-morning"],
            )
        ],
    )
    result = solve(doc, with_codes=True)
    pair = result["pairs"][0]
    assert pair["reasons"][:3] == [
        "shares Arabic (native / fluent)",
        "2.1 km apart",
        "3 shared slots: Mon evening, Sat morning, Sat afternoon",
    ]
    assert pair["reason_codes"][0] == {
        "code": "shared_language",
        "params": {"language": "ar", "levels": ["native", "fluent"]},
        "text": "shares Arabic (native / fluent)",
    }
    assert [r["text"] for r in pair["reason_codes"]] == pair["reasons"]
    assert "reason_codes" not in solve(doc)["pairs"][0]


def test_unmatched_detail_names_the_blocking_constraint() -> None:
    volunteers = [
        volunteer(f"v{k}", languages={"ti": "native"}, location=offset(20 + k)) for k in range(4)
    ]
    doc = problem(volunteers, [newcomer("n7", languages={"ti": "native"})])
    result = solve(doc, with_codes=True)
    entry = result["unmatched_newcomers"][0]
    assert entry["newcomer"] == "n7"
    assert entry["reason"] == "no_feasible_volunteer"
    assert entry["detail"] == "4 volunteers share Tigrinya; none within 15 km"
    assert entry["detail_code"]["code"] == "distance"
    assert entry["detail_code"]["params"]["candidates"] == 4


@pytest.mark.parametrize(
    ("v_fields", "n_fields", "expected"),
    [
        ({"languages": {"de": "native"}}, {"languages": {"ti": "native"}}, "no volunteer shares"),
        ({"slots": ["sun-evening"]}, {}, "none with a shared slot"),
        ({"gender": "male"}, {"mentor_gender": "female"}, "none is female"),
        ({}, {"minors": True}, "none has a police certificate"),
    ],
)
def test_unmatched_detail_for_each_constraint(
    v_fields: dict[str, Any], n_fields: dict[str, Any], expected: str
) -> None:
    doc = problem([volunteer("v", **v_fields)], [newcomer("n", **n_fields)])
    assert expected in solve(doc)["unmatched_newcomers"][0]["detail"]


def test_unmatched_detail_for_forbidden_and_min_score() -> None:
    forbidden = problem(
        [volunteer("v1"), volunteer("v2")],
        [newcomer("n")],
        forbidden=[{"volunteer": "v1", "newcomer": "n"}, {"volunteer": "v2", "newcomer": "n"}],
    )
    assert solve(forbidden)["unmatched_newcomers"][0]["detail"] == (
        "2 volunteers share German within 15 km with a shared slot; "
        "all of them are forbidden for this newcomer"
    )
    strict = problem([volunteer("v")], [newcomer("n")], settings={"min_score": 0.99})
    entry = solve(strict, with_codes=True)["unmatched_newcomers"][0]
    assert entry["detail"].endswith("; none reaches the minimum score 0.99")
    assert entry["detail_code"]["code"] == "score"


def test_volunteers_taken_when_others_get_them() -> None:
    doc = problem([volunteer("v1")], [newcomer("n1"), newcomer("n2")])
    result = solve(doc)
    assert [u["reason"] for u in result["unmatched_newcomers"]] == ["volunteers_taken"]
    assert result["unmatched_volunteers"] == []


def test_candidates_list_best_first_whether_chosen_or_not() -> None:
    doc = problem(
        [volunteer("v1"), volunteer("v2", location=offset(5)), volunteer("v3", location=offset(9))],
        [newcomer("n1"), newcomer("n2", languages={"ar": "native"})],
    )
    result = solve(doc, candidates=2)
    assert [c["volunteer"] for c in result["candidates"]["n1"]] == ["v1", "v2"]
    assert result["candidates"]["n2"] == []
    scores = [c["score"] for c in solve(doc, candidates="all")["candidates"]["n1"]]
    assert scores == sorted(scores, reverse=True) and len(scores) == 3
    assert "candidates" not in solve(doc)


def test_today_fixes_the_waiting_reference() -> None:
    doc = problem([volunteer("v")], [newcomer("n", waiting_since="2026-08-01")])
    first = solve(doc)["pairs"][0]["components"]["waiting"]
    later = solve(dict(doc, today="2027-02-01"))["pairs"][0]["components"]["waiting"]
    assert later > first


def test_empty_problem() -> None:
    result = solve(problem([], []))
    assert result["pairs"] == [] and result["stats"]["feasible_pairs"] == 0


@pytest.mark.parametrize("limit", [0, 0.001, 0.5])
def test_distance_limit_is_exact_even_when_tiny(limit: float) -> None:
    here = offset(0)
    doc = problem(
        [volunteer("v1", location=here), volunteer("v2", location=offset(limit + 0.0002))],
        [newcomer("n1", location=here), newcomer("n2", location=here)],
        settings={"max_distance_km": limit},
    )
    result = solve(doc, candidates="all")
    assert {c["volunteer"] for c in result["candidates"]["n1"]} == {"v1"}
