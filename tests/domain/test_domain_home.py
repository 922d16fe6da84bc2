"""The domain rules have one home, `matcher/domain/`, with no Flask in it — and no copies."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MATCHER = ROOT / "matcher"


def test_the_domain_loads_without_flask() -> None:
    """Importing every domain module (and with them the models) loads no Flask package."""
    code = (
        "import importlib, pkgutil, sys\n"
        "import matcher.domain\n"
        "for m in pkgutil.iter_modules(matcher.domain.__path__):\n"
        "    importlib.import_module('matcher.domain.' + m.name)\n"
        "assert 'matcher.domain.background' in sys.modules\n"
        "loaded = sorted(m for m in sys.modules if m == 'flask' or m.startswith(('flask.', "
        "'flask_')))\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert result.stdout.strip() == "", f"the domain loaded {result.stdout.strip()}"


@pytest.mark.parametrize("path", sorted((MATCHER / "domain").glob("*.py")), ids=lambda p: p.name)
def test_no_domain_module_names_flask(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"^\s*(from|import) flask", text, re.M), path.name


def _python_files(*parts: str) -> list[Path]:
    return sorted((MATCHER.joinpath(*parts)).rglob("*.py"))


@pytest.mark.parametrize(
    "pattern",
    [
        r"has_valid_certificate",  # the certificate rule that ignored its age (feat B1)
        r"TRANSITIONS\s*=",  # status tables outside the domain's one per entity
        r"def volunteer_is_eligible|def newcomer_is_eligible|def available_volunteer_ids",
        r"def _consents_to_matching|def consenting_volunteer_ids|def has_consent\b",
        r"\bDECIDED_STATUSES|CLOSING_END_REASONS\s*=|VALID_YEARS\s*=",
        r"def haversine_km\(a",  # a second distance beside the engine's
        r"EARTH_RADIUS_KM\s*=",
    ],
)
def test_each_rule_is_written_once(pattern: str) -> None:
    """The old copies of each eligibility rule and status table are gone from the services,
    the views and the templates; the domain (and the engine) hold the only definitions."""
    found = []
    for path in _python_files("services") + _python_files("web") + _python_files("models"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(pattern, line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == []


def test_services_speak_in_codes_not_sentences() -> None:
    """Services raise `ServiceError` codes and leave words, links and 404s to the web layer."""
    offenders = []
    for path in _python_files("services"):
        text = path.read_text(encoding="utf-8")
        for needle in ("flask_babel", "get_or_404", "url_for", "current_user", "abort("):
            if needle in text:
                offenders.append(f"{path.relative_to(ROOT)}: {needle}")
    assert offenders == []


def test_services_never_commit() -> None:
    """One commit boundary per request or command: services flush. The outbox worker is the
    one job with its own transactions (a claim is committed before the mail server is asked)."""
    offenders = [
        str(path.relative_to(ROOT))
        for path in _python_files("services")
        if ".commit()" in path.read_text(encoding="utf-8") and path.name != "outbox.py"
    ]
    assert offenders == []


def test_views_never_touch_the_session_or_parse_errors() -> None:
    offenders = []
    for path in _python_files("web"):
        text = path.read_text(encoding="utf-8")
        if "db.session" in text and path.name not in ("common.py", "errors.py", "hooks.py",
                                                      "acting.py"):  # fmt: skip
            offenders.append(f"{path.relative_to(ROOT)}: db.session")
        if re.search(r"in str\(e\)|str\(e\) ==|request\.form\.get|request\.form\[", text):
            offenders.append(f"{path.relative_to(ROOT)}: parses text or reads the form by hand")
    assert offenders == []
