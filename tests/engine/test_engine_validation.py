"""Every validation error: one line per problem, naming its place, all collected."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from engine_support import newcomer, problem, volunteer

from matcher.engine import ProblemError, parse_problem, solve

pytestmark = pytest.mark.engine


def _errors(doc: Any) -> list[str]:
    with pytest.raises(ProblemError) as caught:
        parse_problem(doc)
    assert str(caught.value) == "\n".join(caught.value.errors)
    return caught.value.errors


def _base() -> dict[str, Any]:
    return problem([volunteer("v1"), volunteer("v2")], [newcomer("n1"), newcomer("n2")])


def _with(path: list[Any], value: Any) -> dict[str, Any]:
    doc = _base()
    target = doc
    for key in path[:-1]:
        target = target.setdefault(key, {}) if isinstance(key, str) else target[key]
    target[path[-1]] = value
    return doc


CASES = [
    (["format"], "matcher.problem/2",
     'format: unsupported format "matcher.problem/2" (expected "matcher.problem/1")'),
    (["today"], "26.11.2026", 'today: invalid date "26.11.2026" (expected YYYY-MM-DD)'),
    (["settings"], [], "settings: expected an object, got a list"),
    (["settings", "speed"], 1,
     "settings.speed: unknown setting (expected one of weights, max_distance_km, "
     "min_shared_slots, min_score, min_language_level, tandem_gender)"),
    (["settings", "weights"], 3, "settings.weights: expected an object, got a number"),
    (["settings", "weights", "looks"], 1,
     "settings.weights.looks: unknown weight (expected one of language, distance, "
     "availability, topics, waiting, family)"),
    (["settings", "weights", "language"], "high",
     "settings.weights.language: expected a number, got a string"),
    (["settings", "weights", "distance"], -1, "settings.weights.distance: must not be negative, got -1"),
    (["settings", "weights"], dict.fromkeys(["language", "distance", "availability", "topics",
                                             "waiting"], 0),
     "settings.weights: at least one weight must be positive"),
    (["settings", "max_distance_km"], "far",
     "settings.max_distance_km: expected a number or null, got a string"),
    (["settings", "max_distance_km"], -3, "settings.max_distance_km: must not be negative, got -3"),
    (["settings", "min_shared_slots"], 1.5,
     "settings.min_shared_slots: expected a whole number, got a number"),
    (["settings", "min_shared_slots"], -1, "settings.min_shared_slots: must not be negative, got -1"),
    (["settings", "min_score"], True, "settings.min_score: expected a number, got a boolean"),
    (["settings", "min_score"], 1.5, "settings.min_score: must be between 0 and 1, got 1.5"),
    (["volunteers"], {}, "volunteers: expected a list, got an object"),
    (["newcomers"], None, "newcomers: missing (expected a list)"),
    (["volunteers", 1], "v2", "volunteers[1]: expected an object, got a string"),
    (["volunteers", 1, "id"], "", "volunteers[1].id: must not be empty"),
    (["volunteers", 1, "id"], 7, "volunteers[1].id: expected a non-empty string, got a number"),
    (["volunteers", 1, "id"], "v1", 'volunteers[1].id: duplicate id "v1" (also volunteers[0])'),
    (["newcomers", 0, "languages"], {}, "newcomers[0].languages: at least one language is required"),
    (["newcomers", 0, "languages"], ["de"],
     "newcomers[0].languages: expected an object of language code to level, got a list"),
    (["newcomers", 0, "languages", "german"], "basic",
     'newcomers[0].languages.german: invalid language code "german" (expected ISO 639-1 or 639-3)'),
    (["newcomers", 0, "languages", "DE"], "good", 'newcomers[0].languages.DE: language "de" given twice'),
    (["newcomers", 0, "languages", "ar"], "expert",
     'newcomers[0].languages.ar: unknown level "expert" (expected basic, good, fluent, native)'),
    (["volunteers", 0, "location"], [50, 6],
     'volunteers[0].location: expected an object {"lat", "lon"}, got a list'),
    (["volunteers", 0, "location", "lat"], 91, "volunteers[0].location.lat: must be between -90 and 90"),
    (["volunteers", 0, "location", "lon"], "6.9", "volunteers[0].location.lon: expected a number, got a string"),
    (["volunteers", 0, "postcode"], "5082", 'volunteers[0].postcode: invalid postcode "5082" (expected 5 digits)'),
    (["volunteers", 0, "postcode"], 50823, "volunteers[0].postcode: invalid postcode a number (expected 5 digits)"),
    (["volunteers", 3 - 3, "slots"], "mon-evening", "volunteers[0].slots: expected a list of slots, got a string"),
    (["volunteers", 1, "slots"], ["mon-evening", "monday-evening"],
     'volunteers[1].slots[1]: unknown slot "monday-evening"'),
    (["volunteers", 1, "slots"], [3], 'volunteers[1].slots[0]: expected a slot like "mon-evening", got a number'),
    (["volunteers", 0, "capacity"], 11, "volunteers[0].capacity: must be between 0 and 10, got 11"),
    (["volunteers", 0, "capacity"], "2", "volunteers[0].capacity: expected a whole number, got a string"),
    (["volunteers", 0, "gender"], 1, "volunteers[0].gender: expected a string or null, got a number"),
    (["volunteers", 0, "police_certificate"], "yes",
     "volunteers[0].police_certificate: expected true or false, got a string"),
    (["newcomers", 0, "mentor_gender"], ["female"],
     "newcomers[0].mentor_gender: expected a string or null, got a list"),
    (["newcomers", 0, "minors"], 1, "newcomers[0].minors: expected true or false, got a number"),
    (["newcomers", 0, "topics"], "housing", "newcomers[0].topics: expected a list of strings, got a string"),
    (["newcomers", 0, "topics"], ["housing", 2], "newcomers[0].topics[1]: expected a string, got a number"),
    (["newcomers", 1, "waiting_since"], "2026-02-30",
     'newcomers[1].waiting_since: invalid date "2026-02-30" (expected YYYY-MM-DD)'),
    (["pinned"], {}, "pinned: expected a list, got an object"),
    (["pinned"], ["v1/n1"], 'pinned[0]: expected an object {"volunteer", "newcomer"}, got a string'),
    (["pinned"], [{"volunteer": "v1"}], "pinned[0].newcomer: missing"),
    (["pinned"], [{"volunteer": "v7", "newcomer": "n1"}], 'pinned[0].volunteer: unknown volunteer "v7"'),
    (["forbidden"], [{"volunteer": "v1", "newcomer": 3}],
     "forbidden[0].newcomer: expected an id string, got a number"),
    (["pinned"], [{"volunteer": "v1", "newcomer": "n1"}, {"volunteer": "v2", "newcomer": "n1"}],
     'pinned[1]: newcomer "n1" is already pinned (pinned[0])'),
    (["pinned"], [{"volunteer": "v1", "newcomer": "n1"}, {"volunteer": "v1", "newcomer": "n1"}],
     'pinned[1]: newcomer "n1" is pinned twice (pinned[0])'),
]  # fmt: skip


@pytest.mark.parametrize(("path", "value", "message"), CASES)
def test_each_error_names_its_place(path: list[Any], value: Any, message: str) -> None:
    assert _errors(_with(path, value)) == [message]


def test_missing_fields() -> None:
    doc = _base()
    del doc["format"]
    del doc["volunteers"][0]["id"]
    del doc["newcomers"][1]["languages"]
    assert _errors(doc) == [
        'format: missing (expected "matcher.problem/1")',
        "volunteers[0].id: missing",
        "newcomers[1].languages: missing",
    ]


def test_not_an_object() -> None:
    assert _errors([]) == ["problem: expected a JSON object, got a list"]


def test_all_errors_are_collected_not_just_the_first() -> None:
    doc = copy.deepcopy(_base())
    doc["volunteers"][0]["slots"] = ["monday-evening"]
    doc["volunteers"][1]["capacity"] = -1
    doc["newcomers"][1]["languages"] = {"de": "perfect"}
    assert _errors(doc) == [
        'volunteers[0].slots[0]: unknown slot "monday-evening"',
        "volunteers[1].capacity: must be between 0 and 10, got -1",
        'newcomers[1].languages.de: unknown level "perfect" (expected basic, good, fluent, native)',
    ]


def test_solve_raises_the_same_errors() -> None:
    with pytest.raises(ProblemError) as caught:
        solve(_with(["volunteers", 1, "slots"], ["monday-evening"]))
    assert caught.value.errors == ['volunteers[1].slots[0]: unknown slot "monday-evening"']


def test_optional_fields_may_be_absent_or_null() -> None:
    doc = problem(
        [{"id": "v", "languages": {"de": "native"}, "gender": None, "location": None}],
        [{"id": "n", "languages": {"de": "basic"}, "waiting_since": None, "mentor_gender": None}],
        settings={"max_distance_km": None, "min_shared_slots": 0},
    )
    del doc["today"]
    assert len(solve(doc)["pairs"]) == 1
