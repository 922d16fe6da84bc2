"""Messages a coordinator copies for a newcomer: every language renders every message with
every placeholder filled; drafts say so; each block carries its own lang and dir; what is
typed is text, never a template; the volunteer's phone only with their consent."""

import re
from collections.abc import Callable
from datetime import date, time
from html import unescape
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import update

from matcher.domain import locales
from matcher.domain.vocab import PARTS
from matcher.extensions import db
from matcher.models import Agency, ConsentRecord, Match, Newcomer, Volunteer
from matcher.services.people import contact_messages
from matcher.services.people.contact_messages import TEMPLATES, Details, compose, texts
from tests.conftest import inside, login

DETAILS = Details(date=date(2026, 12, 1), daypart="evening", time=time(18, 30), place="Café Z")
GERMAN_DRAFT = "Entwurf, ungeprüft"


def _people(gender: str | None) -> tuple[Newcomer, Volunteer, Agency]:
    return (
        Newcomer(first_name="Amal", correspondence_language="de"),
        Volunteer(first_name="Anna", gender=gender, phone="+4917612345678"),
        Agency(name="AWO Köln"),
    )


@pytest.mark.parametrize("code", locales.DOCUMENT_LANGUAGES)
def test_every_language_ships_every_message_with_every_placeholder_filled(code: str) -> None:
    words = texts(code)
    assert set(words["templates"]) == set(TEMPLATES)
    assert set(words["daypart"]) == set(PARTS)
    for gender in ("female", "male", "diverse", None):
        newcomer, volunteer, agency = _people(gender)
        for name in TEMPLATES:
            text = compose(code, name, newcomer, volunteer, agency, DETAILS).text
            assert not re.search(r"[{}]", text), (code, name, text)
            assert "Amal" in text and "AWO Köln" in text, (code, name)
            if TEMPLATES[name].needs_volunteer:
                assert "Anna" in text, (code, name)
            if "place" in TEMPLATES[name].fields:
                assert "Café Z" in text, (code, name)
            if name == "first_call":
                assert str(words["daypart"]["evening"]) in text, code
            # No consent to passing on contacts: the volunteer's number stays out.
            assert "12345678" not in text
    # Every placeholder a shipped text uses is one the code fills.
    raw = repr(words)
    assert set(re.findall(r"\{([A-Za-z_]+)\}", raw)) <= contact_messages.PLACEHOLDERS


def test_german_names_the_volunteer_by_gender_and_the_date_in_german() -> None:
    newcomer, volunteer, agency = _people("female")
    text = compose("de", "first_call", newcomer, volunteer, agency, DETAILS).text
    assert "Ihre Patin Anna ruft Sie am Dienstag, 1. Dezember 2026 abends an." in text
    volunteer.gender = "male"
    text = compose("de", "first_call", newcomer, volunteer, agency, DETAILS).text
    assert "Ihr Pate Anna ruft Sie" in text
    text = compose("ar", "first_meeting", newcomer, volunteer, agency, DETAILS).text
    assert "الثلاثاء" in text and "Café Z" in text  # Tuesday, in Arabic


def test_a_typed_value_is_inserted_as_text_never_read_as_a_template() -> None:
    newcomer, volunteer, agency = _people("female")
    newcomer.first_name = "{volunteer}"
    sly = Details(date=date(2026, 12, 1), time=time(9, 0), place="{newcomer} {{ 7*7 }}")
    text = compose("de", "first_meeting", newcomer, volunteer, agency, sly).text
    assert "Hallo {volunteer}," in text and "Ort: {newcomer} {{ 7*7 }}." in text


# --------------------------------------------------------------------------- the page


@pytest.fixture
def staff(app: Flask, two_agencies: dict[str, Any]) -> Any:
    client = app.test_client()
    login(client, two_agencies["a"]["coordinator"])
    return client


def _set(app: Flask, model: Any, row_id: int, **values: Any) -> None:
    with inside(app):
        db.session.execute(update(model).where(model.id == row_id).values(**values))
        db.session.commit()


def _blocks(html: str) -> dict[str, tuple[str, str, str]]:
    """Each message block's id → (lang, dir, text)."""
    found = re.findall(
        r'<div class="message-text" id="(message-[a-z]+)" lang="([a-z]+)" dir="([a-z]+)"'
        r"[^>]*>(.*?)</div>",
        html,
        re.S,
    )
    return {i: (lang, d, unescape(text)) for i, lang, d, text in found}


FIRST_CALL = {"template": "first_call", "date": "2026-12-01", "daypart": "evening"}


@pytest.mark.parametrize("code", locales.DOCUMENT_LANGUAGES)
def test_the_page_shows_her_language_beside_german_with_lang_dir_and_the_draft_mark(
    app: Flask, staff: Any, two_agencies: dict[str, Any], code: str
) -> None:
    n = two_agencies["a"]["newcomer"]
    _set(app, Newcomer, n.id, correspondence_language=code)
    response = staff.post(f"/newcomers/{n.id}/messages", data=FIRST_CALL)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    blocks = _blocks(html)
    own = blocks["message-own"]
    assert own[:2] == (code, locales.direction(code))
    assert "VolA" in own[2] and "NewA" in own[2]
    if code == "de":
        assert set(blocks) == {"message-own"}
    else:
        assert blocks["message-de"][:2] == ("de", "ltr")
        assert "VolA" in blocks["message-de"][2]
    # The draft mark: exactly for the languages nobody has checked.
    assert (GERMAN_DRAFT in html) is (not locales.is_checked(code))
    assert html.count('class="button secondary copy"') == len(blocks)
    assert 'src="/static/js/copy-text.js"' in html and "<script>" not in html


def test_the_patenschaft_page_prepares_a_meeting_with_what_was_typed_escaped(
    app: Flask, staff: Any, two_agencies: dict[str, Any]
) -> None:
    match = two_agencies["a"]["match"]
    assert f"/patenschaften/{match.id}/messages" in staff.get(
        f"/patenschaften/{match.id}"
    ).get_data(as_text=True)
    data = {"template": "first_meeting", "date": "2026-12-03", "time": "17:00",
            "place": "Café „Zum {newcomer}“ & Co"}  # fmt: skip
    response = staff.post(f"/patenschaften/{match.id}/messages", data=data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Café „Zum {newcomer}“ &amp; Co" in html  # escaped, and not filled in
    text = _blocks(html)["message-de"][2]  # the German beside her Arabic
    assert "am Donnerstag, 3. Dezember 2026 um 17:00 Uhr" in text
    refused = staff.post(f"/patenschaften/{match.id}/messages", data={**data, "place": "<b>x"})
    assert refused.status_code == 400 and "ohne HTML-Tags" in refused.get_data(as_text=True)


def test_the_volunteers_phone_only_with_their_consent_to_passing_on_contacts(
    app: Flask, staff: Any, two_agencies: dict[str, Any]
) -> None:
    n, v = two_agencies["a"]["newcomer"], two_agencies["a"]["volunteer"]
    _set(app, Volunteer, v.id, phone="+4917699887766")
    without = staff.post(f"/newcomers/{n.id}/messages", data=FIRST_CALL).get_data(as_text=True)
    assert "99887766" not in without
    with inside(app):
        db.session.add(
            ConsentRecord(agency_id=v.agency_id, volunteer_id=v.id, purpose="contact_sharing",
                          notice_version="1", language="de", channel="online")
        )  # fmt: skip
        db.session.commit()
    shared = staff.post(f"/newcomers/{n.id}/messages", data=FIRST_CALL).get_data(as_text=True)
    assert "Telefon von VolA: 0176 99887766" in _blocks(shared)["message-de"][2]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"template": "first_call", "daypart": "evening"}, "Bitte füllen Sie dieses Feld aus."),
        ({**FIRST_CALL, "daypart": ""}, "Bitte füllen Sie dieses Feld aus."),
        ({**FIRST_CALL, "daypart": "night"}, "gültige Auswahl"),
        ({**FIRST_CALL, "date": "2026-13-45"}, "Datum"),
        ({**FIRST_CALL, "template": "love_letter"}, "gültige Auswahl"),
        ({"template": "first_meeting", "date": "2026-12-01", "time": "25:00", "place": "x"}, ""),
        ({"template": "appointment_reminder", "date": "2026-12-01", "time": "10:00",
          "place": "x" * 121}, "120"),
    ],
)  # fmt: skip
def test_bad_input_gets_a_400_with_a_message(
    staff: Any, two_agencies: dict[str, Any], data: dict[str, str], message: str
) -> None:
    n = two_agencies["a"]["newcomer"]
    response = staff.post(f"/newcomers/{n.id}/messages", data=data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'class="error"' in html and message in html
    assert "message-own" not in html


def test_without_an_approved_patenschaft_only_the_reminder_can_be_prepared(
    app: Flask, staff: Any, two_agencies: dict[str, Any], make_newcomer: Callable[..., Any]
) -> None:
    n = make_newcomer(two_agencies["a"]["agency"], first_name="Samira")
    assert staff.get(f"/newcomers/{n.id}/messages").status_code == 200
    response = staff.post(f"/newcomers/{n.id}/messages", data=FIRST_CALL)
    assert response.status_code == 400
    assert "braucht es eine bestätigte Patenschaft" in response.get_data(as_text=True)
    reminder = {"template": "appointment_reminder", "date": "2026-12-01", "time": "10:00",
                "place": "Agentur"}  # fmt: skip
    response = staff.post(f"/newcomers/{n.id}/messages", data=reminder)
    assert response.status_code == 200
    assert "Samira" in _blocks(response.get_data(as_text=True))["message-own"][2]
    # A proposal not yet approved names nobody either.
    match = two_agencies["a"]["match"]
    _set(app, Match, match.id, status="proposed")
    response = staff.post(f"/patenschaften/{match.id}/messages", data=FIRST_CALL)
    assert response.status_code == 400


def test_an_erased_newcomer_has_no_messages(
    app: Flask, staff: Any, two_agencies: dict[str, Any]
) -> None:
    n = two_agencies["a"]["newcomer"]
    staff.post(f"/newcomers/{n.id}/erase", data={"confirm": "y"})
    assert staff.get(f"/newcomers/{n.id}/messages").status_code == 404
    match = two_agencies["a"]["match"]
    assert staff.get(f"/patenschaften/{match.id}/messages").status_code == 404
