"""The newcomers' documents: shipped texts in every language, the agency's versions, reviews,
outdated translations and the coverage page (on SQLite and PostgreSQL)."""

import re
import unicodedata
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from matcher.domain import documents, locales
from matcher.domain.errors import Invalid
from matcher.domain.vocab import CONSENT_PURPOSES
from matcher.models import AuditEvent, DocumentText, User
from matcher.services.platform import document_texts
from tests.conftest import inside, login

PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
SECTION = re.compile(r"^\[([a-z_]+)\]$", re.M)
#: Scripts a text in each script may use besides its own: Latin for "Patenschaft", "GDPR",
#: "EU" and placeholders; digits and punctuation are common to all.
OWN_SCRIPT = {"Latn": "LATIN", "Arab": "ARABIC", "Cyrl": "CYRILLIC", "Ethi": "ETHIOPIC"}


def _letters_by_script(text: str) -> set[str]:
    scripts = set()
    for char in PLACEHOLDER.sub("", text):
        if unicodedata.category(char).startswith("L"):
            scripts.add(unicodedata.name(char).split()[0])
    return scripts


@pytest.mark.parametrize("kind", documents.KINDS)
def test_every_language_ships_a_valid_text_shaped_like_the_german(kind: str) -> None:
    german = document_texts.shipped_text(kind, "de")
    for language in locales.DOCUMENT_LANGUAGES:
        text = document_texts.shipped_text(kind, language)
        documents.validate(kind, text)
        assert SECTION.findall(text) == SECTION.findall(german), language
        assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(german)), language
        headings = [line for line in text.splitlines() if line.startswith("# ")]
        assert len(headings) == len([x for x in german.splitlines() if x.startswith("# ")])
        # Written in the language's own script (a stray Cyrillic "а" in Latin text is tofu-
        # free but wrong), Latin only for names like "Patenschaft".
        assert _letters_by_script(text) <= {OWN_SCRIPT[locales.SCRIPTS[language]], "LATIN"}, (
            language
        )
        if locales.direction(language) == "rtl":
            assert "ARABIC" in _letters_by_script(text)


def test_the_privacy_notice_names_what_article_13_asks_for() -> None:
    for language in ("de", "en"):
        text = document_texts.shipped_text("privacy_notice", language)
        for needed in ("{agency_name}", "{agency_contact}", "6", "9", "28", "77", "15",
                       "{retention_months}"):  # fmt: skip
            assert needed in text, (language, needed)
    german = document_texts.shipped_text("privacy_notice", "de")
    assert "Art. 6 Abs. 1 lit. a DSGVO" in german and "widerrufen" in german
    assert "Aufsichtsbehörde" in german


def test_markup_is_rendered_as_plain_blocks_and_refuses_unknown_names() -> None:
    sections = documents.render(
        "# Title\nHello {newcomer_first_name}, <b>{{x}}</b>\n- one\n- two\n[contact]\nCall {volunteer_contact}\n",
        {"newcomer_first_name": "Nadia", "volunteer_contact": "0170 1"},
    )
    intro = sections["intro"].blocks
    assert [b.kind for b in intro] == ["heading", "paragraph", "list"]
    assert intro[1].lines == ("Hello Nadia, <b>{x}</b>",)  # the template escapes the tags
    assert sections["contact"].blocks[0].lines == ("Call 0170 1",)
    with pytest.raises(Invalid) as unknown:
        documents.validate("privacy_notice", "Hi {volunteer_first_name}")
    assert unknown.value.code == "document_placeholder_unknown"
    with pytest.raises(Invalid) as outside:
        documents.validate("introduction_letter", "Call {volunteer_contact}")
    assert outside.value.code == "document_placeholder_outside"
    with pytest.raises(Invalid):
        documents.validate("consent_form", "[religion]\nno")


def test_the_default_language_is_the_best_spoken_document_language() -> None:
    assert documents.document_language([("de", "basic"), ("ar", "native")]) == "ar"
    assert documents.document_language([("ha", "native"), ("ti", "good")]) == "ti"
    assert documents.document_language([("ha", "native")]) == "de"
    assert documents.document_language([]) == "de"


def _coverage_states(client: Any) -> dict[tuple[str, str], str]:
    html = client.get("/documents").get_data(as_text=True)
    cells = re.findall(r'data-kind="(\w+)" data-language="(\w+)" data-state="(\w+)"', html)
    return {(kind, language): state for kind, language, state in cells}


def _save(client: Any, kind: str, language: str, body: str, based_on: int, **extra: str) -> Any:
    return client.post(
        f"/documents/text?kind={kind}&language={language}",
        data={"body": body, "based_on": str(based_on), **extra},
    )


def test_changing_the_german_notice_makes_the_translations_outdated(
    app: Flask, two_agencies: dict[str, Any]
) -> None:
    client = app.test_client()
    login(client, two_agencies["a"]["coordinator"])
    before = _coverage_states(client)
    assert len(before) == len(documents.KINDS) * len(locales.DOCUMENT_LANGUAGES)
    assert before[("privacy_notice", "de")] == before[("privacy_notice", "en")] == "checked"
    assert before[("privacy_notice", "ar")] == "draft"
    german = document_texts.shipped_text("privacy_notice", "de")
    response = _save(client, "privacy_notice", "de", german + "\nNeu: ein Satz.\n", 0)
    assert response.status_code == 302
    after = _coverage_states(client)
    for language in locales.DOCUMENT_LANGUAGES:
        expected = "checked" if language == "de" else "outdated"
        assert after[("privacy_notice", language)] == expected, language
        assert after[("consent_form", language)] == before[("consent_form", language)]
    # Another agency's documents are its own.
    other = app.test_client()
    login(other, two_agencies["b"]["coordinator"])
    assert _coverage_states(other) == before
    # Updating the English translation against the new German makes it current again.
    english = document_texts.shipped_text("privacy_notice", "en")
    assert (
        _save(client, "privacy_notice", "en", english + "\nNew: a sentence.\n", 0).status_code
        == 302
    )
    assert _coverage_states(client)[("privacy_notice", "en")] == "checked"


def test_each_save_is_a_new_version_and_old_versions_stay_readable(
    app: Flask, two_agencies: dict[str, Any]
) -> None:
    client = app.test_client()
    login(client, two_agencies["a"]["coordinator"])
    shipped = document_texts.shipped_text("patenschaft_sheet", "uk")
    assert (
        _save(client, "patenschaft_sheet", "uk", shipped + "\nПерша зміна.\n", 0).status_code == 302
    )
    assert (
        _save(client, "patenschaft_sheet", "uk", shipped + "\nДруга зміна.\n", 1).status_code == 302
    )
    stale = _save(client, "patenschaft_sheet", "uk", shipped + "\nТретя.\n", 1)
    assert stale.status_code == 409 and "inzwischen gespeichert" in stale.get_data(as_text=True)
    same = _save(client, "patenschaft_sheet", "uk", shipped + "\nДруга зміна.\n", 2)
    assert same.status_code == 400 and "unverändert" in same.get_data(as_text=True)
    with inside(app):
        rows = (
            app.extensions["sqlalchemy"]
            .session.scalars(
                select(DocumentText)
                .where(DocumentText.language == "uk")
                .order_by(DocumentText.version)
            )
            .all()
        )
        assert [(r.version, r.body.splitlines()[-1]) for r in rows] == [
            (1, "Перша зміна."),
            (2, "Друга зміна."),
        ]
        assert (
            document_texts.current_version(rows[0].agency_id, "patenschaft_sheet", "uk").version
            == 2
        )
    base = "/documents/text/version?kind=patenschaft_sheet&language=uk&version="
    assert "Перша зміна." in client.get(base + "1").get_data(as_text=True)
    assert "Друга зміна." not in client.get(base + "1").get_data(as_text=True)
    assert "Друга зміна." in client.get(base + "2").get_data(as_text=True)
    assert "Перша зміна." not in client.get(base + "0").get_data(as_text=True)
    assert client.get(base + "3").status_code == 404
    # Another agency cannot read them: its versions are its own.
    other = app.test_client()
    login(other, two_agencies["b"]["coordinator"])
    assert other.get(base + "1").status_code == 404


def test_a_confirmed_review_ends_the_draft_and_is_audited(
    app: Flask, two_agencies: dict[str, Any]
) -> None:
    coordinator = two_agencies["a"]["coordinator"]
    client = app.test_client()
    login(client, coordinator)
    page = client.get("/documents/text?kind=consent_form&language=ti").get_data(as_text=True)
    assert "Ungeprüfter Übersetzungsentwurf." in page
    response = client.post(
        "/documents/text/review?kind=consent_form&language=ti", data={"based_on": "0"}
    )
    assert response.status_code == 302
    assert _coverage_states(client)[("consent_form", "ti")] == "checked"
    document = client.get(
        f"/newcomers/{two_agencies['a']['newcomer'].id}/documents?kind=consent_form&language=ti"
    )
    assert documents.DRAFT_NOTES["ti"] not in document.get_data(as_text=True)
    with inside(app):
        session = app.extensions["sqlalchemy"].session
        row = session.scalars(select(DocumentText).where(DocumentText.language == "ti")).one()
        assert row.version == 1 and row.reviewed_by_id == coordinator.id
        assert row.reviewed_at is not None and row.body == document_texts.shipped_text(
            "consent_form", "ti"
        )
        assert (
            session.scalars(
                select(AuditEvent).where(
                    AuditEvent.action == "document_text.reviewed", AuditEvent.object_id == row.id
                )
            )
            .one()
            .actor_id
            == coordinator.id
        )
        assert session.get(User, coordinator.id) is not None
    # The German original is not reviewed, and a stale review is refused.
    german = client.post(
        "/documents/text/review?kind=consent_form&language=de", data={"based_on": "0"}
    )
    assert german.status_code == 409 and "Original" in german.get_data(as_text=True)
    stale = client.post(
        "/documents/text/review?kind=consent_form&language=ti", data={"based_on": "0"}
    )
    assert stale.status_code == 409


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/documents/text?kind=privacy_notice&language=xx", "In dieser Sprache gibt es keine"),
        ("/documents/text?kind=passport&language=de", "Ein Dokument dieser Art gibt es nicht"),
        ("/documents/text?language=de", "Ein Dokument dieser Art gibt es nicht"),
        ("/documents/text/version?kind=privacy_notice&language=de&version=abc", "Diese Version"),
        ("/newcomers/{newcomer}/documents?language=zz", "In dieser Sprache gibt es keine"),
        ("/newcomers/{newcomer}/documents?kind=introduction_letter", "Ein Dokument dieser Art"),
        ("/newcomers/{newcomer}/documents?kind=consent_form&purpose=religion", "Zweck"),
        ("/patenschaften/{match}/introduction?language=%3Cscript%3E", "In dieser Sprache"),
    ],
)
def test_bad_kind_language_or_version_is_a_clear_400(
    app: Flask, two_agencies: dict[str, Any], url: str, message: str
) -> None:
    client = app.test_client()
    login(client, two_agencies["a"]["coordinator"])
    a = two_agencies["a"]
    response = client.get(url.format(newcomer=a["newcomer"].id, match=a["match"].id))
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "<script>" not in body
    assert message in body


def test_a_text_with_an_unknown_placeholder_is_refused_with_its_name(
    app: Flask, two_agencies: dict[str, Any]
) -> None:
    client = app.test_client()
    login(client, two_agencies["a"]["coordinator"])
    response = _save(client, "privacy_notice", "de", "Hallo {passport_number}\n", 0)
    assert response.status_code == 400
    assert "{passport_number}" in response.get_data(as_text=True)
    assert document_texts.shipped_text("privacy_notice", "de")  # nothing saved
    with inside(app):
        assert app.extensions["sqlalchemy"].session.scalars(select(DocumentText)).all() == []


def test_the_consent_form_can_be_printed_for_one_purpose(
    app: Flask, two_agencies: dict[str, Any]
) -> None:
    client = app.test_client()
    login(client, two_agencies["a"]["coordinator"])
    url = f"/newcomers/{two_agencies['a']['newcomer'].id}/documents?kind=consent_form"
    both = client.get(url).get_data(as_text=True)  # the newcomer speaks Arabic natively
    assert 'lang="ar" dir="rtl"' in both and 'lang="de" dir="ltr"' in both
    assert both.count('class="purpose"') == 2 * len(CONSENT_PURPOSES)
    one = client.get(url + "&purpose=contact_sharing").get_data(as_text=True)
    assert one.count('class="purpose"') == 2
    assert "Weitergabe meiner Kontaktdaten" in one and "Vermittlung einer Patenschaft" not in one
    assert one.count('class="signature"') == 8  # four lines in each language


def test_current_version_is_what_a_consent_records(
    app: Flask, two_agencies: dict[str, Any]
) -> None:
    agency_id = two_agencies["a"]["agency"].id
    client = app.test_client()
    login(client, two_agencies["a"]["coordinator"])
    with inside(app):
        shipped = document_texts.current_version(agency_id, "privacy_notice", "fa")
        assert shipped.version == 0 and shipped.reference.startswith("0:")
        assert shipped.state.draft and not shipped.state.outdated
    body = document_texts.shipped_text("privacy_notice", "fa") + "\nنسخهٔ آژانس.\n"
    assert _save(client, "privacy_notice", "fa", body, 0).status_code == 302
    with inside(app):
        own = document_texts.current_version(agency_id, "privacy_notice", "fa")
        assert (own.version, own.reference, own.body) == (1, "1", body)
        assert (
            document_texts.current_version(
                two_agencies["b"]["agency"].id, "privacy_notice", "fa"
            ).reference
            == shipped.reference
        )
        with pytest.raises(Invalid):
            document_texts.current_version(agency_id, "privacy_notice", "xx")
