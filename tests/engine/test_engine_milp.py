"""An independent formulation (scipy.optimize.milp) agrees on medium random problems."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest
from engine_support import LANGS, LEVELS, SLOT_CHOICES, TOPIC_CHOICES, offset, problem, units
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import lil_array

from matcher.engine import assignment, components, solve

pytestmark = pytest.mark.engine


def _random_problem(seed: int, n_vol: int, n_new: int) -> dict[str, Any]:
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
            "gender": rng.choice(["female", "male"]),
            "police_certificate": rng.random() < 0.6,
            "topics": rng.sample(TOPIC_CHOICES, rng.randint(0, 3)),
        }
        for k in range(n_vol)
    ]
    newcomers = [
        {
            "id": f"n{k:03d}",
            "languages": langs(),
            "location": offset(rng.uniform(-8, 8), rng.uniform(-8, 8)),
            "slots": rng.sample(SLOT_CHOICES, rng.randint(1, 3)),
            "mentor_gender": rng.choice([None, None, "female"]),
            "minors": rng.random() < 0.3,
            "topics": rng.sample(TOPIC_CHOICES, rng.randint(0, 2)),
            "waiting_since": f"2026-{rng.randint(1, 11):02d}-01",
        }
        for k in range(n_new)
    ]
    return problem(volunteers, newcomers, settings={"max_distance_km": 9})


def _milp_optimum(
    pairs: list[tuple[str, str]], scores: list[int], capacity: dict[str, int], rows: list[str]
) -> tuple[int, int]:
    """Most pairs, then most units, as two integer programs."""
    if not pairs:
        return 0, 0
    cols = sorted(capacity)
    a = lil_array((len(rows) + len(cols), len(pairs)))
    for k, (v, n) in enumerate(pairs):
        a[rows.index(n), k] = 1
        a[len(rows) + cols.index(v), k] = 1
    upper = [1] * len(rows) + [capacity[v] for v in cols]
    rule = LinearConstraint(a.tocsr(), -np.inf, upper)
    binary = np.ones(len(pairs))
    options = {"mip_rel_gap": 0}
    first = milp(-binary, constraints=[rule], integrality=binary, bounds=Bounds(0, 1),
                 options=options)  # fmt: skip
    count = round(-first.fun)
    fixed = LinearConstraint(binary[None, :], count, count)
    second = milp(-np.array(scores, dtype=float), constraints=[rule, fixed],
                  integrality=binary, bounds=Bounds(0, 1), options=options)  # fmt: skip
    return count, round(-second.fun)


MODES: dict[str, dict[str, dict[str, float]]] = {
    # Small problems are solved whole, dense or sparse.
    "whole-dense": {"components": {"DENSE_SHARE": 0}},
    "whole-sparse": {"components": {"DENSE_CELLS": 0}},
    # Candidate rounds with a tiny start, certified; sparse solver throughout.
    "rounds-sparse": {
        "assignment": {"WHOLE_CELLS": 0, "SPREAD_PER_ROW": 1, "ADD_PER_ROW": 2},
        "components": {"DENSE_CELLS": 0},
    },
    # Candidate rounds, pruned to the chosen and tight pairs after the first.
    "rounds-pruned": {
        "assignment": {
            "WHOLE_CELLS": 0,
            "SPREAD_PER_ROW": 2,
            "ADD_PER_ROW": 3,
            "PRUNE_AFTER_ROUNDS": 1,
            "PRUNE_SLACK": 0,
        },
        "components": {"DENSE_CELLS": 0},
    },
    # Candidate rounds, small components dense, larger ones sparse.
    "rounds-mixed": {
        "assignment": {"WHOLE_CELLS": 0, "SPREAD_PER_ROW": 2, "CANDIDATES_PER_ROW": 1},
        "components": {"DENSE_CELLS": 300, "DENSE_SHARE": 0},
    },
}


@pytest.mark.parametrize("mode", sorted(MODES))
@pytest.mark.parametrize("seed", range(4))
def test_engine_agrees_with_milp(seed: int, mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    modules = {"assignment": assignment, "components": components}
    for module, values in MODES[mode].items():
        for name, value in values.items():
            monkeypatch.setattr(modules[module], name, value)
    solves = []
    inner = components.solve_graph

    def counting(*args: Any) -> Any:
        solves.append(1)
        return inner(*args)

    monkeypatch.setattr(components, "solve_graph", counting)
    doc = _random_problem(seed, 45, 60)
    result = solve(doc, candidates="all")
    # The rounds modes really go through certification rounds.
    assert (len(solves) > 1) == mode.startswith("rounds")
    pairs, scores = [], []
    for n, listed in result["candidates"].items():
        for c in listed:
            pairs.append((c["volunteer"], n))
            scores.append(units(c["score"]))
    capacity = {v["id"]: v["capacity"] for v in doc["volunteers"]}
    rows = [n["id"] for n in doc["newcomers"]]
    expected = _milp_optimum(pairs, scores, capacity, rows)
    got = (len(result["pairs"]), sum(units(p["score"]) for p in result["pairs"]))
    assert got == expected
    assert expected[0] > 10  # the case is not trivial
