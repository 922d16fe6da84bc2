"""One curated language list, the same everywhere, and one name per language (B20, walk).

feat.md B20 and walk.md §2 found 656 options with 22 duplicates, no groups, and Klingon,
Sumerian and "no linguistic content" among them; style.md found Dari named "prs" on the
coordinator's lists while the selects said "Dari".
"""

import unicodedata
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from matcher.demo import cologne
from matcher.services.platform import tokens, vocabulary
from matcher.web.coordinator.reasons import reason_text
from tests.conftest import login

NOT_LIVING = (
    "Klingonisch", "Sumerisch", "Altgriechisch", "Latein", "Esperanto", "Sanskrit",
    "Keine Sprachinhalte", "Unbekannte Sprache", "Mehrsprachig", "Kirchenslawisch",
)  # fmt: skip


class _Select(HTMLParser):
    """The options of one <select>, as (optgroup label, value, text)."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name, self.inside, self.group = name, False, None
        self.options: list[tuple[str | None, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "select":
            self.inside = found.get("name") == self.name
        elif self.inside and tag == "optgroup":
            self.group = found.get("label")
        elif self.inside and tag == "option":
            self.options.append((self.group, found.get("value") or "", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self.inside = False
        elif tag == "optgroup":
            self.group = None

    def handle_data(self, data: str) -> None:
        if self.inside and self.options and not self.options[-1][2]:
            group, value, _text = self.options[-1]
            self.options[-1] = (group, value, data)


def options(html: str, name: str) -> list[tuple[str | None, str, str]]:
    """The options of the select called `name` on a page; it must be there."""
    parser = _Select(name)
    parser.feed(html)
    assert parser.options, f"no select {name!r} on the page"
    return parser.options


def _alphabetical(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def assert_curated(found: list[tuple[str | None, str, str]], common: str, other: str) -> None:
    """One blank entry, then the common languages in their group, then the rest A–Z."""
    blank, rest = found[0], found[1:]
    assert blank[0] is None and blank[1] == ""
    values = [value for _group, value, _text in rest]
    texts = [text for _group, _value, text in rest]
    assert len(values) == len(set(values)) and len(texts) == len(set(texts))
    assert not set(NOT_LIVING) & set(texts)
    first = [(v, t) for g, v, t in rest if g == common]
    second = [(v, t) for g, v, t in rest if g == other]
    assert len(first) + len(second) == len(rest)
    assert [v for v, _t in first] == list(vocabulary.COMMON_LANGUAGES)
    assert rest[: len(first)] == [(common, v, t) for v, t in first]
    assert [t for _v, t in second] == sorted((t for _v, t in second), key=_alphabetical)
    assert set(values) == vocabulary.language_codes()


@pytest.fixture
def agency(make_agency: Callable[..., Any]) -> Any:
    return make_agency(slug="awo-koeln", name="AWO Köln")


@pytest.fixture
def staff(app: Flask, agency: Any, make_user: Callable[..., Any]) -> FlaskClient:
    client = app.test_client()
    login(client, make_user("coordinator", agency, email="coord@example.org"))
    return client


def test_feat_b20_the_code_set_has_living_languages_only_and_keeps_every_code_in_use() -> None:
    codes = vocabulary.language_codes()
    assert not {"tlh", "sux", "grc", "la", "eo", "vo", "sa", "cu", "zxx", "und", "mul"} & codes
    # Codes the demo data, the tests and earlier versions store stay valid.
    in_use = {"de", "en", "ar", "uk", "ru", "tr", "fa", "prs", "ku", "ckb", "kmr", "ti", "ga"}
    in_use |= set(cologne.NEWCOMER_LANGUAGES) | set(cologne.NEWCOMER_SECOND.values())
    in_use |= set(cologne.VOLUNTEER_HERITAGE)
    assert in_use <= codes
    assert set(vocabulary.COMMON_LANGUAGES) <= codes
    assert len(vocabulary.COMMON_LANGUAGES) == len(set(vocabulary.COMMON_LANGUAGES))
    for locale in ("de", "en"):
        names = [vocabulary.language_name(code, locale) for code in codes]
        assert len(names) == len(set(names)), f"two languages share a name in {locale}"
        assert not [code for code in codes if vocabulary.language_name(code, locale) == code]


def test_feat_b20_sign_up_offers_the_curated_list_common_languages_first_in_their_own_group(
    client: FlaskClient, agency: Any
) -> None:
    html = client.get("/signup/awo-koeln").get_data(as_text=True)
    found = options(html, "languages-0-code")
    assert_curated(found, "Häufige Sprachen", "Weitere Sprachen")
    assert found[1:4] == [
        ("Häufige Sprachen", "de", "Deutsch"),
        ("Häufige Sprachen", "en", "Englisch"),
        ("Häufige Sprachen", "ar", "Arabisch"),
    ]
    common = {text for group, _v, text in found if group == "Häufige Sprachen"}
    assert {"Dari", "Persisch/Farsi", "Paschtu", "Kurdisch-Kurmandschi"} <= common
    assert {"Kurdisch-Sorani", "Tigrinya", "Somali", "Ukrainisch", "Türkisch"} <= common


def test_feat_b20_intake_offers_the_curated_list_for_languages_and_the_consent_language(
    staff: FlaskClient,
) -> None:
    html = staff.get("/newcomers/new").get_data(as_text=True)
    for name in ("languages-0-code", "languages-1-code", "consent_language"):
        assert_curated(options(html, name), "Häufige Sprachen", "Weitere Sprachen")


def test_walk_language_list_is_the_same_in_sign_up_profile_intake_consent_and_list_filters(
    app: Flask,
    client: FlaskClient,
    staff: FlaskClient,
    agency: Any,
    make_volunteer: Callable[..., Any],
    make_newcomer: Callable[..., Any],
) -> None:
    volunteer = make_volunteer(agency, languages={"de": "native", "prs": "fluent"})
    newcomer = make_newcomer(agency, languages={"prs": "native"})
    with app.test_request_context():
        token = tokens.make(tokens.MAGIC_LINK, {"v": volunteer.id, "t": volunteer.token_version})
    me = app.test_client()
    assert me.post("/me/open", data={"token": token}).status_code == 302
    pages = {
        "sign-up": (client.get("/signup/awo-koeln"), "languages-0-code"),
        "profile": (me.get("/me/"), "languages-0-code"),
        "intake": (staff.get("/newcomers/new"), "languages-0-code"),
        "consent": (staff.get("/newcomers/new"), "consent_language"),
        "edit": (staff.get(f"/newcomers/{newcomer.id}/edit"), "languages-0-code"),
        "volunteers": (staff.get("/volunteers"), "language"),
        "newcomers": (staff.get("/newcomers"), "language"),
    }
    lists = {}
    for page, (response, name) in pages.items():
        assert response.status_code == 200, page
        lists[page] = options(response.get_data(as_text=True), name)[1:]
    assert all(found == lists["sign-up"] for found in lists.values())
    # The saved language is the one selected, in its group.
    profile = options(me.get("/me/").get_data(as_text=True), "languages-1-code")
    assert ("Häufige Sprachen", "prs", "Dari") in profile
    assert '<option value="prs" selected>Dari</option>' in me.get("/me/").get_data(as_text=True)


def test_walk_language_list_speaks_english_in_the_english_ui(
    client: FlaskClient, agency: Any
) -> None:
    html = client.get("/signup/awo-koeln?lang=en").get_data(as_text=True)
    found = options(html, "languages-0-code")
    assert_curated(found, "Common languages", "Other languages")
    common = {value: text for group, value, text in found if group == "Common languages"}
    assert (common["de"], common["prs"], common["fa"]) == ("German", "Dari", "Persian/Farsi")
    assert (common["kmr"], common["ckb"]) == ("Kurmanji Kurdish", "Sorani Kurdish")


def test_style_dari_has_one_name_on_coordinator_lists_profiles_and_reasons(
    app: Flask,
    staff: FlaskClient,
    agency: Any,
    make_volunteer: Callable[..., Any],
    make_newcomer: Callable[..., Any],
) -> None:
    newcomer = make_newcomer(agency, languages={"prs": "native", "ckb": "good"})
    volunteer = make_volunteer(agency, languages={"de": "native", "kmr": "fluent"})
    page = staff.get("/newcomers").get_data(as_text=True)
    listed = page[page.index("<table") :]  # the rows, not the filter's select
    assert "Dari" in listed and "Kurdisch-Sorani" in listed and "prs" not in listed
    profile = staff.get(f"/newcomers/{newcomer.id}").get_data(as_text=True)
    assert "Dari (Muttersprache)" in profile and "Kurdisch-Sorani (gut)" in profile
    page = staff.get("/volunteers").get_data(as_text=True)
    assert "Kurdisch-Kurmandschi" in page[page.index("<table") :]
    profile = staff.get(f"/volunteers/{volunteer.id}").get_data(as_text=True)
    assert "Kurdisch-Kurmandschi (fließend)" in profile
    shared = {"code": "shared_language", "params": {"language": "prs", "levels": ["native"] * 2}}
    with app.test_request_context():
        assert reason_text(shared).startswith("spricht Dari (")
    with app.test_request_context("/?lang=en"):
        assert reason_text(shared).startswith("speaks Dari (")
    assert vocabulary.language_name("prs", "en") == "Dari"
    assert vocabulary.language_name("ckb", "en") == "Sorani Kurdish"
