"""The typed documents describe what the engine really reads and writes, key for key."""

from __future__ import annotations

import types
import typing
from typing import Any, Literal, NotRequired, Union, get_args, get_origin

import pytest
from engine_support import ENGINE, newcomer, problem, small_problems, volunteer
from hypothesis import given

from matcher import engine
from matcher.engine import (
    Components,
    FunnelDocument,
    FunnelStages,
    ProblemDocument,
    ProblemSettings,
    ResultDocument,
    TakenParams,
    Weights,
    funnel,
    solve,
)
from matcher.engine.explain import STAGES
from matcher.engine.validation import _SETTINGS_KEYS
from matcher.engine.vocab import COMPONENTS, WEIGHT_KEYS

pytestmark = pytest.mark.engine


def _conforms(value: Any, kind: Any, place: str = "") -> None:
    """Assert that a JSON-like value fits a type built from TypedDicts, lists and literals."""
    origin = get_origin(kind)
    if kind is Any:
        return
    if typing.is_typeddict(kind):
        assert isinstance(value, dict), place
        keys = set(value)
        assert kind.__required_keys__ <= keys, f"{place}: missing {kind.__required_keys__ - keys}"
        assert keys <= kind.__required_keys__ | kind.__optional_keys__, f"{place}: extra keys"
        hints = typing.get_type_hints(kind)
        for key, item in value.items():
            _conforms(item, hints[key], f"{place}.{key}")
    elif origin in (Union, types.UnionType):
        errors = []
        for option in get_args(kind):
            try:
                _conforms(value, option, place)
                return
            except AssertionError as error:
                errors.append(str(error))
        raise AssertionError(f"{place}: {value!r} fits none of {kind}: {errors}")
    elif origin is NotRequired:
        _conforms(value, get_args(kind)[0], place)
    elif origin is Literal:
        assert value in get_args(kind), place
    elif origin is list:
        assert isinstance(value, list), place
        for k, item in enumerate(value):
            _conforms(item, get_args(kind)[0], f"{place}[{k}]")
    elif origin is dict:
        assert isinstance(value, dict), place
        key_type, item_type = get_args(kind)
        for key, item in value.items():
            _conforms(key, key_type, place)
            _conforms(item, item_type, f"{place}.{key}")
    elif kind is float:
        assert isinstance(value, int | float) and not isinstance(value, bool), place
    elif kind is type(None):
        assert value is None, place
    else:
        assert isinstance(value, kind) and (kind is bool or not isinstance(value, bool)), place


@ENGINE
@given(small_problems(max_volunteers=3, max_newcomers=4))
def test_results_fit_the_result_document(doc: dict[str, Any]) -> None:
    _conforms(doc, ProblemDocument, "problem")
    _conforms(solve(doc), ResultDocument, "result")
    _conforms(solve(doc, candidates="all", with_codes=True), ResultDocument, "result")
    _conforms(funnel(doc), FunnelDocument, "funnel")


def test_taken_params_are_the_typed_ones() -> None:
    doc = problem([volunteer("v")], [newcomer("n1"), newcomer("n2")])
    (entry,) = solve(doc, with_codes=True)["unmatched_newcomers"]
    params = entry["detail_code"]["params"]
    assert list(params) == list(typing.get_type_hints(TakenParams))
    _conforms(params, TakenParams, "params")


def test_keys_follow_the_engines_vocabularies() -> None:
    # The optional family component follows the spec's five, reported only when weighted.
    assert tuple(typing.get_type_hints(Components)) == WEIGHT_KEYS
    assert tuple(typing.get_type_hints(Weights)) == WEIGHT_KEYS
    assert tuple(typing.get_type_hints(ProblemSettings)) == _SETTINGS_KEYS
    assert tuple(typing.get_type_hints(FunnelStages)) == STAGES


def test_result_keys_keep_their_order() -> None:
    doc = problem([volunteer("v")], [newcomer("n")])
    assert list(solve(doc)) == [
        "format",
        "pairs",
        "unmatched_newcomers",
        "unmatched_volunteers",
        "stats",
    ]
    assert list(solve(doc, candidates=1)) == [
        "format",
        "pairs",
        "unmatched_newcomers",
        "unmatched_volunteers",
        "candidates",
        "stats",
    ]
    assert list(solve(doc)["pairs"][0]["components"]) == list(COMPONENTS)


def test_every_document_type_is_exported() -> None:
    for name in ("ProblemDocument", "VolunteerEntry", "NewcomerEntry", "PairRef", "Pair"):
        assert name in engine.__all__ and typing.is_typeddict(getattr(engine, name))
