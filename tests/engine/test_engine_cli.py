"""The command line: exit codes, one error line per problem, -o and --candidates."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from engine_support import newcomer, problem, volunteer

pytestmark = pytest.mark.engine

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "matcher.engine", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def _write(tmp_path: Path, doc: Any, name: str = "problem.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return str(path)


def _doc() -> dict[str, Any]:
    return problem([volunteer("v1"), volunteer("v2", capacity=2)], [newcomer("n1")])


def test_solve_prints_the_result(tmp_path: Path) -> None:
    done = _run("solve", _write(tmp_path, _doc()))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["format"] == "matcher.result/1"
    assert [(p["volunteer"], p["newcomer"]) for p in result["pairs"]] == [("v1", "n1")]
    assert "candidates" not in result
    assert done.stderr == ""


def test_output_file(tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    done = _run("solve", _write(tmp_path, _doc()), "-o", str(out))
    assert done.returncode == 0 and done.stdout == ""
    assert json.loads(out.read_text(encoding="utf-8"))["stats"]["pairs"] == 1


@pytest.mark.parametrize(("value", "count"), [("1", 1), ("all", 2), ("0", 0)])
def test_candidates(tmp_path: Path, value: str, count: int) -> None:
    done = _run("solve", _write(tmp_path, _doc()), "--candidates", value)
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["candidates"]["n1"]) == count


def test_bad_input_exits_2_with_one_line_per_problem(tmp_path: Path) -> None:
    doc = _doc()
    doc["volunteers"][1]["slots"] = ["mon-evening", "monday-evening"]
    doc["newcomers"][0]["languages"] = {"de": "fluentish"}
    done = _run("solve", _write(tmp_path, doc))
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        'volunteers[1].slots[1]: unknown slot "monday-evening"',
        'newcomers[0].languages.de: unknown level "fluentish" (expected basic, good, fluent, native)',
    ]


def test_wrong_format_string(tmp_path: Path) -> None:
    doc = _doc() | {"format": "matcher.result/1"}
    done = _run("solve", _write(tmp_path, doc))
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        'format: unsupported format "matcher.result/1" (expected "matcher.problem/1")'
    ]


def test_invalid_json(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"format": ', encoding="utf-8")
    done = _run("solve", str(path))
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{path}: invalid JSON: ")
    assert "Traceback" not in done.stderr


def test_unreadable_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    done = _run("solve", str(missing))
    assert done.returncode == 2
    assert done.stderr.splitlines() == [f"{missing}: cannot read file: No such file or directory"]


def test_bad_arguments_exit_2_without_traceback(tmp_path: Path) -> None:
    for args in (["solve"], ["frobnicate"], ["solve", "x.json", "--candidates", "many"]):
        done = _run(*args)
        assert done.returncode == 2
        assert len(done.stderr.splitlines()) == 1
        assert "Traceback" not in done.stderr


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(_doc()).encode())
    done = _run("solve", str(path))
    assert done.returncode == 0, done.stderr


def test_argument_errors_name_the_option(tmp_path: Path) -> None:
    done = _run("solve", _write(tmp_path, _doc()), "--candidates", "-3")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "python -m matcher.engine solve: argument --candidates: must not be negative, got -3"
    ]
