"""The benchmark's generator and dense baseline stay runnable and agree with the engine."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from matcher.engine import solve

pytestmark = pytest.mark.engine

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "engine.py"


def _benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location("engine_benchmark", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_city_is_realistic_and_deterministic() -> None:
    bench = _benchmark()
    doc = bench.generate(300, 300, seed=3)
    assert doc == bench.generate(300, 300, seed=3)
    newcomers = doc["newcomers"]
    assert 0.2 < sum(n["minors"] for n in newcomers) / 300 < 0.45
    assert 0.35 < sum("de" in n["languages"] for n in newcomers) / 300 < 0.65
    assert {v["capacity"] for v in doc["volunteers"]} == {0, 1, 2, 3}
    result = solve(doc)
    assert 150 < result["stats"]["pairs"] <= 300


def test_dense_baseline_agrees_with_the_engine(tmp_path: Path) -> None:
    path = tmp_path / "problem.json"
    doc = _benchmark().generate(250, 250, seed=4)
    path.write_text(json.dumps(doc), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--measure", "baseline", str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    baseline = json.loads(done.stdout)
    result = solve(doc)
    assert baseline["pairs"] == result["stats"]["pairs"]
    assert baseline["total"] == pytest.approx(result["stats"]["total_score"], abs=1e-6)
