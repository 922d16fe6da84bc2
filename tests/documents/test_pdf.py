"""The newcomers' documents as A4 PDF files (WeasyPrint), checked with poppler's tools:
page size, the embedded Noto fonts, the text a reader gets out of them, and page 1 drawn as
PNG into test-output/screenshots/ (pdf-<language>-<kind>.png) for a person to look at."""

import os
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from matcher.domain import documents, locales
from matcher.extensions import db
from matcher.models import AuditEvent
from matcher.services.platform import document_texts
from matcher.web import pdf
from tests.conftest import inside, login

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
#: The embedded font each script needs. WeasyPrint names an embedded font after its CSS
#: family: these are the @font-face files of css/pdf.css (matcher/static/fonts/pdf/), never
#: a font installed on the server.
FONT = {
    "Arab": "Matcher-Noto-Sans-Arabic",
    "Ethi": "Matcher-Noto-Sans-Ethiopic",
    "Cyrl": "Matcher-Noto-Sans",
}
#: German words every document's German column has.
GERMAN = {
    "privacy_notice": "Datenschutz",
    "consent_form": "Einwilligung",
    "introduction_letter": "Treffen",
    "patenschaft_sheet": "Patenschaft",
}
POPPLER = ("pdfinfo", "pdffonts", "pdftotext", "pdftoppm")

# Skipped on a machine without poppler; in CI (.ci/run installs it) they run and fail instead.
needs_poppler = pytest.mark.skipif(
    not all(shutil.which(tool) for tool in POPPLER) and not os.environ.get("CI"),
    reason="poppler-utils (pdfinfo, pdffonts, pdftotext, pdftoppm) is not installed",
)


def _client(app: Flask, people: dict[str, Any]) -> FlaskClient:
    client = app.test_client()
    login(client, people["a"]["coordinator"])
    return client


def _url(people: dict[str, Any], kind: str, language: str) -> str:
    if kind == "introduction_letter":
        return f"/patenschaften/{people['a']['match'].id}/introduction.pdf?language={language}"
    return f"/newcomers/{people['a']['newcomer'].id}/documents.pdf?kind={kind}&language={language}"


def _run(*command: str | Path) -> str:
    return subprocess.run(
        [str(part) for part in command], check=True, capture_output=True, text=True, timeout=60
    ).stdout


def _title(kind: str, language: str) -> str:
    """The first heading of the shipped text, as a reader types it (NFC)."""
    text = document_texts.shipped_text(kind, language)
    heading = next(line for line in text.splitlines() if line.startswith("# "))
    return unicodedata.normalize("NFC", heading[2:].strip())


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", unicodedata.normalize("NFKC", text)))


def _extractable(words: set[str]) -> set[str]:
    """The words pdftotext gives back as written: it puts the two letters of the lam-alef
    ligature (drawn right) in the wrong order (ل + أ comes out as أل)."""
    return {word for word in words if not re.search("ل[آأإا]", word)}


@needs_poppler
@pytest.mark.parametrize("language", ["ar", "ti", "uk"])
def test_every_document_downloads_as_an_a4_pdf_in_the_newcomers_script(
    app: Flask, two_agencies: dict[str, Any], tmp_path: Path, language: str
) -> None:
    client = _client(app, two_agencies)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    script = locales.SCRIPTS[language]
    for kind in documents.KINDS:
        where = f"{language} {kind}"
        response = client.get(_url(two_agencies, kind, language))
        assert response.status_code == 200, where
        assert response.mimetype == "application/pdf", where
        assert response.headers["Cache-Control"] == "no-store", where
        disposition = response.headers["Content-Disposition"]
        assert re.fullmatch(r'attachment; filename="[a-z0-9-]+\.pdf"', disposition), disposition
        assert language in disposition, disposition
        path = tmp_path / f"{kind}.pdf"
        path.write_bytes(response.data)

        info = _run("pdfinfo", path)
        size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
        assert size and (round(float(size[1])), round(float(size[2]))) == (595, 842), (where, info)

        fonts = _run("pdffonts", path).splitlines()[2:]
        names = {re.sub(r"^[A-Z]{6}\+", "", line.split()[0]) for line in fonts}
        # Only the shipped Noto files, each embedded (a fallback font would mean tofu or a
        # face from the server's system instead of ours).
        assert names and all(name.startswith("Matcher-Noto-Sans") for name in names), (where, names)
        assert all(" yes " in line for line in fonts), (where, fonts)
        assert FONT[script] in names, (where, names)
        assert "Matcher-Noto-Sans" in names, (where, names)  # the German column

        text = _run("pdftotext", "-layout", "-enc", "UTF-8", path, "-")
        words = _words(text)
        assert GERMAN[kind] in text, where
        # The columns' headings side by side: a right-to-left language's column on the right.
        top = next(line for line in text.splitlines() if locales.ENDONYMS["de"] in line)
        own, german = top.find(locales.ENDONYMS[language]), top.find(locales.ENDONYMS["de"])
        assert own >= 0, (where, top)
        assert (own > german) == (locales.direction(language) == "rtl"), (where, top)
        title = _extractable(_words(_title(kind, language)))
        assert title and title <= words, (where, title - words)
        draft_note = _extractable(_words(documents.DRAFT_NOTES[language]))
        assert len(draft_note) >= 4 and draft_note <= words, (where, draft_note - words)
        if language == "uk":
            # The Cyrillic comes out as the right characters, not as look-alike glyphs.
            # The whole title, in reading order (without -layout: column by column).
            plain = _run("pdftotext", "-enc", "UTF-8", path, "-")
            assert _title(kind, language) in " ".join(plain.split()), where

        _run("pdftoppm", "-r", "60", "-f", "1", "-l", "1", "-png", "-singlefile", path,
             SCREENSHOTS / f"pdf-{language}-{kind}")  # fmt: skip
        assert (SCREENSHOTS / f"pdf-{language}-{kind}.png").stat().st_size > 5000, where


def test_a_pdf_is_audited_like_the_printed_page(app: Flask, two_agencies: dict[str, Any]) -> None:
    client = _client(app, two_agencies)
    newcomer = two_agencies["a"]["newcomer"]
    response = client.get(_url(two_agencies, "consent_form", "ar") + "&purpose=matching")
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")
    assert "consent-form-ar-" in response.headers["Content-Disposition"]
    with inside(app):
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "newcomer.document_printed")
        ).all()
        assert [(e.object_type, e.object_id) for e in events] == [("newcomer", newcomer.id)]


def test_the_document_page_links_its_pdf(app: Flask, two_agencies: dict[str, Any]) -> None:
    client = _client(app, two_agencies)
    newcomer, match = two_agencies["a"]["newcomer"], two_agencies["a"]["match"]
    page = client.get(f"/newcomers/{newcomer.id}/documents?kind=consent_form&language=ti")
    html = page.get_data(as_text=True)
    assert "PDF herunterladen" in html
    assert (
        f'href="/newcomers/{newcomer.id}/documents.pdf?kind=consent_form&amp;language=ti"' in html
    )
    letter = client.get(f"/patenschaften/{match.id}/introduction?language=uk")
    assert f'href="/patenschaften/{match.id}/introduction.pdf?language=uk"' in letter.get_data(
        as_text=True
    )


def test_another_agencys_newcomer_has_no_pdf(app: Flask, two_agencies: dict[str, Any]) -> None:
    client = _client(app, two_agencies)
    b = two_agencies["b"]
    assert (
        client.get(f"/newcomers/{b['newcomer'].id}/documents.pdf?kind=privacy_notice").status_code
        == 404
    )
    assert client.get(f"/patenschaften/{b['match'].id}/introduction.pdf").status_code == 404


def test_a_server_without_pango_says_so_instead_of_a_500(
    app: Flask, two_agencies: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """WeasyPrint loads Pango when it is imported; a server without it cannot make PDFs."""
    import sys

    monkeypatch.setitem(sys.modules, "weasyprint", None)  # the import fails, as without Pango
    client = _client(app, two_agencies)
    newcomer = two_agencies["a"]["newcomer"]
    response = client.get(f"/newcomers/{newcomer.id}/documents.pdf?kind=privacy_notice")
    assert response.status_code == 409 and response.mimetype == "text/html"
    assert "Speichern als PDF" in response.get_data(as_text=True)
    # The print view still works.
    assert client.get(f"/newcomers/{newcomer.id}/documents?kind=privacy_notice").status_code == 200


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("kind=letter&language=ar", "Ein Dokument dieser Art gibt es nicht."),
        ("kind=privacy_notice&language=xx", "In dieser Sprache gibt es keine Dokumente."),
        ("kind=consent_form&purpose=x", "Diesen Zweck einer Einwilligung gibt es nicht."),
    ],
)
def test_a_bad_kind_or_language_is_the_same_clear_400(
    app: Flask, two_agencies: dict[str, Any], query: str, message: str
) -> None:
    client = _client(app, two_agencies)
    newcomer = two_agencies["a"]["newcomer"]
    for path in ("documents.pdf", "documents"):
        response = client.get(f"/newcomers/{newcomer.id}/{path}?{query}")
        assert response.status_code == 400 and response.mimetype == "text/html", path
        assert message in response.get_data(as_text=True), path
    letter = client.get(
        f"/patenschaften/{two_agencies['a']['match'].id}/introduction.pdf?language=xx"
    )
    assert letter.status_code == 400
    assert "In dieser Sprache gibt es keine Dokumente." in letter.get_data(as_text=True)


def test_the_url_fetcher_serves_static_files_and_refuses_everything_else(app: Flask) -> None:
    with app.test_request_context("/newcomers/1/documents.pdf", base_url="http://matcher.test"):
        fetcher = pdf.url_fetcher()
        font = fetcher.fetch("http://matcher.test/static/fonts/pdf/NotoSans-Regular.ttf")
        assert font.read(4) == b"\x00\x01\x00\x00"  # a TrueType file, read from disk
        for url in (
            "https://fonts.googleapis.com/css2?family=Noto+Sans",
            "http://example.org/static/css/pdf.css",
            "http://matcher.test/login",
            "http://matcher.test/static/../../wsgi.py",
            "http://matcher.test/static/css/%2e%2e/%2e%2e/config.py",
            "http://matcher.test/static/fonts/missing.ttf",
            "file:///etc/passwd",
            "data:text/css,body{}",
        ):
            with pytest.raises(ValueError):
                fetcher.fetch(url)
