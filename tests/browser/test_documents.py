"""Newcomers' documents in a real browser: every document in Arabic, Tigrinya and Ukrainian,
at A4 print size and on a 390 px phone, drawn with the self-hosted Noto fonts (no tofu),
right to left where the language is, and without an axe-core violation."""

from collections.abc import Callable
from typing import Any

from flask import Flask
from playwright.sync_api import Page

from matcher.domain import documents, locales
from tests.browser.axe import assert_accessible
from tests.browser.conftest import PHONE, page_width
from tests.conftest import PASSWORD

A4 = {"width": 794, "height": 1123}  # 210 × 297 mm at 96 px per inch
#: The self-hosted face each script needs (matcher/static/css/fonts.css).
FACE = {"Arab": "Noto Sans Arabic", "Ethi": "Noto Sans Ethiopic", "Cyrl": "Noto Sans"}

# Waits for the fonts the page uses, then asks, for every column of the document:
# - document.fonts.check() with the column's own text and font stack: false while a face
#   whose unicode-range the text touches is not loaded (missing file, still loading);
# - which of the text's characters no *loaded* self-hosted face covers (they would be drawn
#   with some system font, or as tofu): must be none.
FONT_REPORT = """
async () => {
  await document.fonts.ready;
  const ranges = (face) => face.unicodeRange.split(",").map((part) => {
    const [lo, hi] = part.trim().replace(/^U\\+/i, "").split("-");
    return [parseInt(lo, 16), parseInt(hi || lo, 16)];
  });
  const loaded = [...document.fonts].filter((f) => f.status === "loaded" &&
    f.family.replace(/["']/g, "").startsWith("Noto Sans"));
  const covered = (cp) => loaded.some((f) => ranges(f).some(([lo, hi]) => lo <= cp && cp <= hi));
  return [...document.querySelectorAll(".sheet .column")].map((column) => {
    const text = column.innerText;
    const style = getComputedStyle(column);
    const font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const uncovered = [...new Set([...text].filter((ch) => !/\\s|\\p{Cf}/u.test(ch) &&
      !covered(ch.codePointAt(0))))];
    return {
      lang: column.lang, dir: column.dir, check: document.fonts.check(font, text),
      uncovered, families: [...new Set(loaded.map((f) => f.family.replace(/["']/g, "")))],
      length: text.length,
    };
  });
}
"""

# Where the first text of the sheet stands: its own edges and the sheet's content box.
FIRST_TEXT = """
() => {
  const sheet = document.querySelector(".sheet");
  const walker = document.createTreeWalker(sheet, NodeFilter.SHOW_TEXT,
    { acceptNode: (n) => n.textContent.trim() ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_SKIP });
  const node = walker.nextNode();
  const range = document.createRange();
  range.selectNodeContents(node);
  const text = range.getBoundingClientRect();
  const box = sheet.getBoundingClientRect();
  const style = getComputedStyle(sheet);
  return {
    text: node.textContent.trim(), left: text.left, right: text.right,
    contentLeft: box.left + parseFloat(style.paddingLeft),
    contentRight: box.right - parseFloat(style.paddingRight),
  };
}
"""


# On the coverage page: each language's own name is drawn with the self-hosted fonts.
ENDONYMS_COVERED = """
async () => {
  await document.fonts.ready;
  const spans = [...document.querySelectorAll("table.coverage span[lang]")];
  return spans.length === 14 && spans.every((span) => {
    const style = getComputedStyle(span);
    return style.fontFamily.startsWith('"Noto Sans"') &&
      document.fonts.check(`${style.fontWeight} ${style.fontSize} ${style.fontFamily}`,
                           span.textContent);
  }) && [...document.fonts].some((f) => f.family.includes("Ethiopic") && f.status === "loaded");
}
"""


def _login(page: Page, base: str, email: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("E-Mail").fill(email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(lambda url: "/login" not in url)


def _urls(people: dict[str, Any], language: str) -> dict[str, str]:
    newcomer, match = people["newcomer"].id, people["match"].id
    urls = {
        kind: f"/newcomers/{newcomer}/documents?kind={kind}&language={language}"
        for kind in ("privacy_notice", "consent_form", "patenschaft_sheet")
    }
    urls["introduction_letter"] = f"/patenschaften/{match}/introduction?language={language}"
    assert set(urls) == set(documents.KINDS)
    return urls


def _fonts_cover(page: Page, language: str, where: str) -> None:
    report = page.evaluate(FONT_REPORT)
    assert [c["lang"] for c in report] == [language, "de"], where
    for column in report:
        assert column["length"] > 200, (where, column)
        assert column["check"], (where, column)
        assert column["uncovered"] == [], (where, column)
        assert column["dir"] == locales.direction(column["lang"]), (where, column)
    assert FACE[locales.SCRIPTS[language]] in report[0]["families"], (where, report[0])


#: Right to left and two left-to-right scripts; axe-core runs on the RTL and one LTR language.
LANGUAGES = {"ar": True, "ti": False, "uk": True}


def test_documents(
    app: Flask, page: Page, live_server: str, two_agencies: dict[str, Any],
    screenshot: Callable[..., Any],
) -> None:  # fmt: skip
    """Every document in every language above, at A4 print size and on a phone, in one
    browser page and one app (a few seconds a language)."""
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    _login(page, live_server, two_agencies["a"]["coordinator"].email)
    for language, axe in LANGUAGES.items():
        _one_language(page, live_server, two_agencies["a"], screenshot, language, axe=axe)
    assert all(r.startswith(live_server) for r in requests), "a request left the server"

    # The check can fail: without the fonts' files the same page reports the text uncovered.
    page.route("**/fonts/noto-sans-*", lambda route: route.abort())
    page.set_viewport_size(A4)
    page.goto(live_server + _urls(two_agencies["a"], "ti")["privacy_notice"])
    page.wait_for_load_state("load")
    report = page.evaluate(FONT_REPORT)[0]
    assert report["uncovered"] and "Noto Sans Ethiopic" not in report["families"], report


def _one_language(
    page: Page, live_server: str, people: dict[str, Any], screenshot: Callable[..., Any],
    language: str, *, axe: bool,
) -> None:  # fmt: skip
    rtl = locales.direction(language) == "rtl"
    for kind, url in _urls(people, language).items():
        page.set_viewport_size(A4)
        page.emulate_media(media="print")
        page.goto(live_server + url)
        page.wait_for_load_state("load")
        screenshot(page, f"{language}-{kind}-a4")
        _fonts_cover(page, language, f"{kind} A4")
        assert page.locator(".doc-tools").is_hidden()  # the print view shows the paper only
        assert page.locator(".sheet.two").get_attribute("dir") == locales.direction(language)
        first = page.evaluate(FIRST_TEXT)
        assert first["text"] == locales.ENDONYMS[language]
        if rtl:
            # The newcomer's column is on the right, and its first text starts at the right edge.
            assert abs(first["right"] - first["contentRight"]) <= 2, first
            assert first["left"] > (first["contentLeft"] + first["contentRight"]) / 2, first
        else:
            assert abs(first["left"] - first["contentLeft"]) <= 2, first
        columns = page.locator(".sheet .column")
        assert columns.count() == 2
        a, b = columns.nth(0).bounding_box(), columns.nth(1).bounding_box()
        assert a and b and abs(a["y"] - b["y"]) < 2  # side by side on A4
        assert (a["x"] > b["x"]) == rtl
        draft = page.locator(".column .draft-note")
        assert draft.count() == 2 and draft.first.get_attribute("class") == "draft-note"
        assert documents.DRAFT_NOTES[language] in draft.first.inner_text()

        page.emulate_media(media="screen")
        page.set_viewport_size(PHONE)
        page.wait_for_timeout(50)
        screenshot(page, f"{language}-{kind}-phone")
        assert page_width(page) <= PHONE["width"], kind
        a, b = columns.nth(0).bounding_box(), columns.nth(1).bounding_box()
        assert a and b and b["y"] > a["y"] + a["height"] - 2  # stacked on the phone
        _fonts_cover(page, language, f"{kind} phone")
        assert page.get_by_role("button", name="Drucken").is_visible()  # print.js ran
        if axe:
            assert_accessible(page, f"document-{kind}-{language}")
    if not axe:
        return
    for path in ("/documents", f"/documents/text?kind=consent_form&language={language}",
                 f"/documents/text/version?kind=consent_form&language={language}&version=0"):  # fmt: skip
        page.goto(live_server + path)
        assert page_width(page) <= PHONE["width"], path
        if path == "/documents":  # every language's own name, drawn with the Noto fonts
            assert page.evaluate(ENDONYMS_COVERED), path
        assert_accessible(page, f"{path}-{language}")
        screenshot(page, f"{language}-{path.split('?')[0].strip('/').replace('/', '-')}-phone")
