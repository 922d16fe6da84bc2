"""The engine is a library of its own: importing it loads no Flask and no SQLAlchemy."""

import subprocess
import sys

import pytest

pytestmark = pytest.mark.engine


def test_importing_the_engine_loads_no_web_or_database_code() -> None:
    code = (
        "import sys, matcher.engine; "
        "print(sorted(m for m in ('flask', 'sqlalchemy', 'flask_sqlalchemy', 'werkzeug') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
