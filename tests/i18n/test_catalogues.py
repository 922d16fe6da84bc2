"""Every catalogue is complete: a msgid without a translation in a shipped language fails,
except where a fallback is declared (`matcher/volunteer_texts.py`).

German translates every msgid; English is the msgids themselves; every other volunteer
language translates every msgid volunteers read (the volunteer sources' Babel mapping, the
shared label tables and error messages they meet). Staff-only msgids fall back to English
there, because staff pages never show those languages.
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from matcher import create_app, volunteer_texts
from matcher.domain import locales
from tests.conftest import app_test_config, jobs_url, missing_service
from tests.i18n.catalogues import (
    PYBABEL,
    ROOT,
    TRANSLATIONS,
    extract,
    msgid,
    read,
    shared_msgids,
    translated,
)

SHIPPED = tuple(c for c in locales.VOLUNTEER_LANGUAGES if c != locales.SOURCE_LANGUAGE)
DRAFTED = tuple(c for c in SHIPPED if c != "de")


@pytest.fixture(scope="module")
def everything(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """Every msgid in the code (as `make i18n-extract` finds them)."""
    return extract(ROOT / "babel.cfg", tmp_path_factory.mktemp("all"))


@pytest.fixture(scope="module")
def volunteer_files(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """The msgids of the files volunteers read."""
    return extract(volunteer_texts.MAPPING, tmp_path_factory.mktemp("volunteer"))


@pytest.fixture(scope="module")
def for_volunteers(tmp_path_factory: pytest.TempPathFactory, volunteer_files: set[str]) -> set[str]:
    """Every msgid a volunteer can read (the shared tables need an app, not a database)."""
    folder = tmp_path_factory.mktemp("app")
    app = create_app(
        app_test_config(f"sqlite:///{folder / 'unused.sqlite'}", JOBS_URL=jobs_url(folder))
    )
    with pytest.MonkeyPatch.context() as monkeypatch:
        return volunteer_files | shared_msgids(app, monkeypatch)


def missing(language: str, required: set[str], root: Path = TRANSLATIONS) -> list[str]:
    """The required msgids a language's catalogue does not translate: the rule itself."""
    return sorted(required - translated(read(language, root)))


def test_a_catalogue_ships_for_every_volunteer_language_but_the_msgids_own() -> None:
    shipped = {p.parent.parent.name for p in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")}
    assert shipped == set(SHIPPED)
    assert locales.SOURCE_LANGUAGE == "en" and "de" in shipped


def test_german_translates_every_msgid(everything: set[str]) -> None:
    assert len(everything) > 800
    assert not missing("de", everything), "run `make i18n-extract` and translate"


@pytest.mark.parametrize("language", DRAFTED)
def test_every_volunteer_language_translates_what_volunteers_read(
    language: str, for_volunteers: set[str], everything: set[str]
) -> None:
    assert 200 < len(for_volunteers) < len(everything)
    assert for_volunteers <= everything  # the declaration names real msgids only
    gaps = missing(language, for_volunteers)
    assert not gaps, f"untranslated volunteer texts in {language}: {gaps}"


def test_the_declaration_covers_the_shared_words_volunteer_pages_show(
    for_volunteers: set[str], volunteer_files: set[str]
) -> None:
    # Labels and error messages come from shared modules, not from the mapping's files.
    for shared in ("practising German", "native", "Mon", "evening", "paused",
                   "There is no consent in force to withdraw."):  # fmt: skip
        assert shared in for_volunteers and shared not in volunteer_files
    # Mails to volunteers are in; the staff's notice mail and staff pages are not.
    assert "How is your Patenschaft going?" in for_volunteers
    assert "A volunteer is taking a break" not in for_volunteers
    assert "Log out" not in for_volunteers and "Proposals" not in for_volunteers


def _copy_with(tmp_path: Path, language: str, blank: str) -> Path:
    """A copy of the catalogues in which one msgid of `language` lost its translation."""
    root = tmp_path / "translations"
    shutil.copytree(TRANSLATIONS, root, ignore=shutil.ignore_patterns("*.mo"))
    catalog: Catalog = read(language, root)
    entry = next(m for m in catalog if m.id and msgid(m) == blank)
    entry.string = "" if isinstance(entry.string, str) else ("",) * len(entry.string)
    with (root / language / "LC_MESSAGES" / "messages.po").open("wb") as f:
        write_po(f, catalog, width=100)
    return root


def test_an_untranslated_volunteer_msgid_fails_the_rule(
    tmp_path: Path, for_volunteers: set[str]
) -> None:
    gone = "Your Patenschaft has been approved"  # the subject of a volunteer's mail
    assert gone in for_volunteers and not missing("uk", for_volunteers)
    root = _copy_with(tmp_path, "uk", gone)
    assert missing("uk", for_volunteers, root) == [gone]
    assert missing("ar", for_volunteers, root) == []


def test_an_untranslated_staff_msgid_falls_back_without_failing(
    tmp_path: Path, for_volunteers: set[str], everything: set[str]
) -> None:
    staff_only = "Proposals"
    assert staff_only in everything and staff_only not in for_volunteers
    # Staff msgids need German: a gap there fails even when the volunteer rule holds.
    root = _copy_with(tmp_path, "de", staff_only)
    assert missing("de", everything, root) == [staff_only]
    assert staff_only not in translated(read("uk"))  # falls back to English, declared so
    assert missing("uk", for_volunteers) == []


def test_a_new_volunteer_string_without_translation_fails(tmp_path: Path) -> None:
    """A string added to a volunteer page is required at once; on a staff page it is not."""
    src = tmp_path / "matcher"
    shutil.copytree(ROOT / "matcher" / "templates", src / "templates")
    (src / "templates" / "volunteer" / "new.html").write_text('{{ _("A brand-new sentence") }}')
    (src / "templates" / "admin" / "new.html").write_text('{{ _("A staff-only sentence") }}')
    pot = tmp_path / "v.pot"
    subprocess.run(
        [PYBABEL, "-q", "extract", "-F", str(volunteer_texts.MAPPING), "-o", str(pot), "matcher"],
        cwd=tmp_path, check=True,
    )  # fmt: skip
    with pot.open("rb") as f:
        required = {msgid(m) for m in read_po(f) if m.id}
    assert "Your volunteer profile" in required
    assert missing("fa", required) == ["A brand-new sentence"]


@pytest.mark.parametrize("language", SHIPPED)
def test_msgfmt_check_passes(language: str) -> None:
    if shutil.which("msgfmt") is None:
        missing_service("msgfmt is not installed (Debian package gettext)")
    po = TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"
    result = subprocess.run(
        ["msgfmt", "--check", "-o", "/dev/null", str(po)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("language", SHIPPED)
def test_babel_finds_no_error_in_the_catalogue(language: str) -> None:
    """Babel's own checks (placeholders, plural forms), which need no gettext installed."""
    problems = [(m.id, [str(e) for e in errors]) for m, errors in read(language).check()]
    assert not problems


@pytest.mark.parametrize("language", SHIPPED)
def test_placeholders_survive_translation(language: str) -> None:
    for m in read(language):
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        wanted = {p for i in ids for p in _placeholders(i)}
        for s in strings:
            if s:
                assert _placeholders(s) <= wanted and (not wanted or _placeholders(s)), m.id


@pytest.mark.parametrize("language", [c for c in SHIPPED if locales.direction(c) == "rtl"])
def test_right_to_left_texts_isolate_numbers_that_must_keep_their_order(language: str) -> None:
    """ "0221 123456" inside Arabic text would show as "123456 0221" without an isolate."""
    for m in read(language):
        if not m.id:
            continue  # the header
        for s in m.string if isinstance(m.string, tuple) else (m.string,):
            bare = re.sub("\u2066[^\u2069]*\u2069", "", s)
            assert not re.search(r"\d+[ /.:]\d", bare), (m.id, s)


@pytest.mark.parametrize("language", DRAFTED)
def test_draft_catalogues_say_they_are_drafts(language: str) -> None:
    assert not locales.is_checked(language)
    assert "not yet checked" in str(read(language).last_translator)


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"%\(\w+\)[sd]", text))
