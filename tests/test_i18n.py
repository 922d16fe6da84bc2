"""Every user-facing string is translatable and translated to German."""

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "matcher/translations/de/LC_MESSAGES/messages.po"


def _extract(tmp_path: Path) -> set[str]:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [str(Path(sys.executable).parent / "pybabel"), "-q", "extract", "-F", "babel.cfg",
         "-k", "_l", "-k", "lazy_gettext", "-o", str(pot), "matcher"],
        cwd=ROOT, check=True,
    )  # fmt: skip
    with pot.open("rb") as f:
        catalog = read_po(f)
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}


def test_every_string_in_the_code_has_a_german_translation(tmp_path: Path) -> None:
    extracted = _extract(tmp_path)
    assert len(extracted) > 50
    with PO.open("rb") as f:
        german = read_po(f, locale="de")
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in german
        if m.id
        and (all(m.string) if isinstance(m.string, tuple) else m.string)
        and "fuzzy" not in m.flags
    }
    missing = sorted(extracted - translated)
    assert not missing, f"untranslated (run `make i18n-extract` and translate): {missing}"


def test_placeholders_survive_translation() -> None:
    with PO.open("rb") as f:
        german = read_po(f, locale="de")
    for m in german:
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        wanted = {p for i in ids for p in _placeholders(i)}
        for s in strings:
            assert _placeholders(s) <= wanted and (not wanted or _placeholders(s)), m.id


def _placeholders(text: str) -> set[str]:
    import re

    return set(re.findall(r"%\(\w+\)[sd]", text))
