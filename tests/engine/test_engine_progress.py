"""The solver tells its progress — feasible pairs, each round, the explaining — and the
result does not depend on whether anyone listens."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from matcher.engine import solve
from tests.engine.engine_support import newcomer, problem, volunteer

pytestmark = pytest.mark.engine

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "engine.py"


def _generate(n: int) -> dict[str, object]:
    spec = importlib.util.spec_from_file_location("engine_benchmark", SCRIPT)
    assert spec is not None and spec.loader is not None
    module: ModuleType = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    doc: dict[str, object] = module.generate(n, n, seed=1)
    return doc


def test_a_large_problem_reports_each_round_of_certification() -> None:
    doc = _generate(1200)  # 1,200 × 1,200 places: above WHOLE_CELLS, so solved in rounds
    events: list[tuple[str, int]] = []
    result = solve(doc, progress=lambda stage, count: events.append((stage, count)))

    assert events[0] == ("feasible", result["stats"]["feasible_pairs"])
    rounds = [count for stage, count in events if stage == "round"]
    assert len(rounds) >= 2, "certification found better pairs at least once"
    assert rounds == list(range(1, len(rounds) + 1))
    # The pairs the solver chose; pinned pairs come on top of them.
    stage, chosen = events[-1]
    assert stage == "explain" and 0 < chosen <= result["stats"]["pairs"]
    # Listening changes nothing.
    silent = solve(doc)
    assert silent["pairs"] == result["pairs"]
    assert silent["stats"]["total_score"] == result["stats"]["total_score"]


def test_a_small_problem_is_one_round() -> None:
    doc = problem([volunteer("v1"), volunteer("v2")], [newcomer("n1")])
    events: list[tuple[str, int]] = []
    solve(doc, progress=lambda stage, count: events.append((stage, count)))
    assert events == [("feasible", 2), ("round", 1), ("explain", 1)]


def test_a_callback_that_raises_aborts_the_solve() -> None:
    doc = problem([volunteer("v1")], [newcomer("n1")])

    class Stop(Exception):
        pass

    def stop(stage: str, count: int) -> None:
        if stage == "round":
            raise Stop

    with pytest.raises(Stop):
        solve(doc, progress=stop)
