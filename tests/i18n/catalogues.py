"""What the catalogue rule reads: the msgids volunteers read, and what a catalogue translates."""

import subprocess
import sys
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from flask import Flask

from matcher import labels, volunteer_texts
from matcher.domain.errors import ServiceError
from matcher.web import messages

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "matcher" / "translations"
PYBABEL = str(Path(sys.executable).parent / "pybabel")


def msgid(message: Any) -> str:
    """A catalogue entry's msgid (the singular of a plural entry)."""
    return str(message.id if isinstance(message.id, str) else message.id[0])


def extract(mapping: Path, tmp_path: Path) -> set[str]:
    """Every msgid pybabel extracts from `matcher/` with this mapping (as `make i18n-extract`)."""
    pot = tmp_path / f"{mapping.stem}.pot"
    subprocess.run(
        [PYBABEL, "-q", "extract", "-F", str(mapping), "-k", "_l", "-k", "lazy_gettext",
         "-o", str(pot), "matcher"],
        cwd=ROOT, check=True,
    )  # fmt: skip
    with pot.open("rb") as f:
        return {msgid(m) for m in read_po(f) if m.id}


def shared_msgids(app: Flask, monkeypatch: Any) -> set[str]:
    """The msgids of the shared label tables and error messages volunteers meet."""
    found: set[str] = set()
    for table in volunteer_texts.LABEL_TABLES:
        for label in getattr(labels, table).values():
            found.add(str(label._args[0]))  # a lazy_gettext string keeps its msgid
    monkeypatch.setattr(messages, "gettext", lambda text, **p: found.add(text) or text)
    monkeypatch.setattr(
        messages, "ngettext", lambda one, many, n, **p: found.update({one, many}) or one
    )
    with app.test_request_context():
        for code, params in volunteer_texts.ERRORS.items():
            messages.text(ServiceError(code, **params))
    return found


def read(language: str, root: Path = TRANSLATIONS) -> Catalog:
    """A language's catalogue."""
    with (root / language / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=language)


def translated(catalog: Catalog) -> set[str]:
    """The msgids a catalogue translates: every plural form filled, none fuzzy."""
    return {
        msgid(m)
        for m in catalog
        if m.id
        and (all(m.string) if isinstance(m.string, tuple) else m.string)
        and "fuzzy" not in m.flags
    }
