"""Why a newcomer with feasible volunteers stays unmatched: the detail says what is true (B7).

Before, every such newcomer got "all paused or needed for other newcomers in the
best assignment", also when the volunteers were full with pinned pairs, paused,
or given to newcomers with more options who had waited less.
"""

from __future__ import annotations

from typing import Any

import pytest
from engine_support import ENGINE, newcomer, problem, small_problems, units, volunteer
from hypothesis import given

from matcher.engine import solve

pytestmark = pytest.mark.engine

NO_COMPETITION = {
    "taken": 0,
    "others": 0,
    "fewer_options": 0,
    "min_options": None,
    "waited_longer": 0,
    "higher_score": 0,
}


def _unmatched(doc: dict[str, Any], ident: str) -> dict[str, Any]:
    result = solve(doc, with_codes=True)
    entry = next(u for u in result["unmatched_newcomers"] if u["newcomer"] == ident)
    assert entry["reason"] == "volunteers_taken"
    assert entry["detail_code"]["code"] == "volunteers_taken"
    assert entry["detail_code"]["text"] == entry["detail"]
    return entry


def test_feat_b7_volunteers_full_with_pinned_pairs_have_no_free_place() -> None:
    # Bonn: Alma and Bodo are both in approved Patenschaften; Yonas fits both.
    doc = problem(
        [volunteer("alma"), volunteer("bodo")],
        [newcomer("hodan"), newcomer("xenia"), newcomer("yonas")],
        pinned=[
            {"volunteer": "alma", "newcomer": "hodan"},
            {"volunteer": "bodo", "newcomer": "xenia"},
        ],
    )
    entry = _unmatched(doc, "yonas")
    assert entry["detail"] == (
        "2 feasible volunteers, both without a free place (all taken by pinned pairs)"
    )
    assert "needed" not in entry["detail"] and "other newcomer" not in entry["detail"]
    assert entry["detail_code"]["params"] == {
        "candidates": 2,
        "paused": 0,
        "full": 2,
        **NO_COMPETITION,
    }


def test_feat_b7_paused_volunteer_is_called_paused() -> None:
    # Bonn: Selam's only suitable volunteer, Bodo, is paused.
    doc = problem([volunteer("bodo", capacity=0)], [newcomer("selam")])
    entry = _unmatched(doc, "selam")
    assert entry["detail"] == "1 feasible volunteer, paused"
    assert entry["detail_code"]["params"] == {
        "candidates": 1,
        "paused": 1,
        "full": 0,
        **NO_COMPETITION,
    }


def test_feat_b7_competitors_with_fewer_options_are_named_with_numbers() -> None:
    # n1 could take v1 or v2 (v3 is paused); n2 and n3 have one option each.
    doc = problem(
        [volunteer("v1"), volunteer("v2"), volunteer("v3", capacity=0)],
        [
            newcomer("n1"),
            newcomer("n2", languages={"de": "native"}),
            newcomer("n3", languages={"de": "native"}),
        ],
        forbidden=[
            {"volunteer": "v2", "newcomer": "n2"},
            {"volunteer": "v3", "newcomer": "n2"},
            {"volunteer": "v1", "newcomer": "n3"},
            {"volunteer": "v3", "newcomer": "n3"},
        ],
    )
    entry = _unmatched(doc, "n1")
    assert entry["detail"] == (
        "3 feasible volunteers: 1 paused, 2 proposed to 2 other newcomers, "
        "who have fewer options (only 1 each)"
    )
    assert entry["detail_code"]["params"] == {
        "candidates": 3,
        "paused": 1,
        "full": 0,
        "taken": 2,
        "others": 2,
        "fewer_options": 2,
        "min_options": 1,
        "waited_longer": 0,
        "higher_score": 2,
    }


def test_feat_b7_competitor_who_waited_longer_is_counted() -> None:
    doc = problem(
        [volunteer("v1")],
        [newcomer("n1", waiting_since="2026-10-01"), newcomer("n2", waiting_since="2026-01-01")],
    )
    entry = _unmatched(doc, "n1")
    assert entry["detail"] == (
        "1 feasible volunteer, proposed to 1 other newcomer, who has waited longer"
    )
    params = entry["detail_code"]["params"]
    assert (params["waited_longer"], params["fewer_options"]) == (1, 0)


def test_feat_b7_without_fewer_options_or_longer_wait_claims_neither() -> None:
    # n1 waited longer, both have the one volunteer; n2 shares a better language.
    doc = problem(
        [volunteer("v1")],
        [
            newcomer("n1", waiting_since="2026-11-01"),
            newcomer("n2", languages={"de": "native"}, waiting_since="2026-11-20"),
        ],
    )
    entry = _unmatched(doc, "n1")
    detail = entry["detail"]
    assert detail == (
        "1 feasible volunteer, proposed to 1 other newcomer, who has neither fewer options "
        "nor waited longer but scores higher with that volunteer "
        "(the assignment maximises the number of pairs, then the total score)"
    )
    assert "no other option" not in detail and "waited longer" not in detail.replace(
        "nor waited longer", ""
    )
    assert entry["detail_code"]["params"] == {
        "candidates": 1,
        "paused": 0,
        "full": 0,
        "taken": 1,
        "others": 1,
        "fewer_options": 0,
        "min_options": None,
        "waited_longer": 0,
        "higher_score": 1,
    }


def test_feat_b7_a_tie_is_called_a_tie() -> None:
    doc = problem([volunteer("v1")], [newcomer("n1"), newcomer("n2")])
    detail = next(u for u in solve(doc)["unmatched_newcomers"])["detail"]
    assert detail == (
        "1 feasible volunteer, proposed to 1 other newcomer, who has neither fewer options "
        "nor waited longer and scores the same with that volunteer "
        "(the assignment maximises the number of pairs, then the total score; "
        "ties are broken by id)"
    )


def _expected_params(doc: dict[str, Any], result: dict[str, Any], ident: str) -> dict[str, Any]:
    """The params of one volunteers_taken entry, recomputed from the document alone."""
    capacity = {v["id"]: v.get("capacity", 1) for v in doc["volunteers"]}
    pinned = {(p["volunteer"], p["newcomer"]) for p in doc["pinned"]}
    held = {v: sum(pv == v for pv, _ in pinned) for v in capacity}
    free = {v: capacity[v] - held[v] > 0 for v in capacity}
    options = {
        n: [c for c in candidates if free[c["volunteer"]]]
        for n, candidates in result["candidates"].items()
    }
    score = {
        (c["volunteer"], n): units(c["score"])
        for n, candidates in result["candidates"].items()
        for c in candidates
    }
    waited = {n["id"]: n.get("waiting_since") or doc["today"] for n in doc["newcomers"]}
    mine = result["candidates"][ident]
    others = [
        (p["newcomer"], p["volunteer"])
        for p in result["pairs"]
        if not p["pinned"] and any(p["volunteer"] == c["volunteer"] for c in options[ident])
    ]
    fewer = [len(options[n]) for n, _ in others if len(options[n]) < len(options[ident])]
    return {
        "candidates": len(mine),
        "paused": sum(capacity[c["volunteer"]] == 0 for c in mine),
        "full": sum(capacity[c["volunteer"]] > 0 and not free[c["volunteer"]] for c in mine),
        "taken": len(options[ident]),
        "others": len(others),
        "fewer_options": len(fewer),
        "min_options": min(fewer, default=None),
        # ISO dates (capped at today) order like days waited.
        "waited_longer": sum(
            min(waited[n], doc["today"]) < min(waited[ident], doc["today"]) for n, _ in others
        ),
        "higher_score": sum(score[(v, n)] > score[(v, ident)] for n, v in others),
    }


@ENGINE
@given(small_problems(max_volunteers=3, max_newcomers=5))
def test_feat_b7_params_agree_with_the_document(doc: dict[str, Any]) -> None:
    result = solve(doc, candidates="all", with_codes=True)
    score = {
        (c["volunteer"], n): units(c["score"])
        for n, candidates in result["candidates"].items()
        for c in candidates
    }
    for entry in result["unmatched_newcomers"]:
        if entry["reason"] != "volunteers_taken":
            continue
        params = entry["detail_code"]["params"]
        assert params == _expected_params(doc, result, entry["newcomer"])
        assert params["paused"] + params["full"] + params["taken"] == params["candidates"]
        # Exactness: swapping this newcomer in never raises the total score.
        for pair in result["pairs"]:
            key = (pair["volunteer"], entry["newcomer"])
            if not pair["pinned"] and key in score:
                assert units(pair["score"]) >= score[key]
