"""`<html lang>` and `dir` are right on every page: volunteer pages in every volunteer
language, staff pages always German or English and left to right, whatever is asked.

The pages come from the url map, so a page added later is checked too.
"""

import re
from typing import Any

import pytest
from flask import Flask, session
from flask.testing import FlaskClient

from matcher import i18n
from matcher.domain import locales
from matcher.extensions import db
from matcher.models import Volunteer
from matcher.services.people import selfservice
from matcher.web import unavailable
from tests.conftest import inside, login
from tests.security.routes import Route, blueprint_roles, build_url, routes

HTML_TAG = re.compile(r'^<!doctype html>\s*<html lang="([^"]+)" dir="(ltr|rtl)">', re.I)
VOLUNTEER_BLUEPRINTS = {"public", "volunteer"}
#: What a volunteer page's path arguments are filled with (a new one fails until named here).
VOLUNTEER_ARGUMENTS = {"slug": "agency-a"}


def html_lang(response: Any) -> tuple[str, str] | None:
    """(lang, dir) of an HTML page's root element; None for anything else (JSON, text)."""
    if not response.content_type.startswith("text/html") or 300 <= response.status_code < 400:
        return None
    found = HTML_TAG.match(response.get_data(as_text=True))
    assert found, response.get_data(as_text=True)[:200]
    return found.group(1), found.group(2)


def volunteer_pages(app: Flask) -> list[str]:
    """The URL of every page (GET) of the volunteer-facing blueprints."""
    urls = []
    for route in routes(app):
        blueprint = route.endpoint.partition(".")[0]
        if route.method != "GET" or blueprint not in VOLUNTEER_BLUEPRINTS:
            continue
        assert set(route.rule.arguments) <= set(VOLUNTEER_ARGUMENTS), route
        with app.test_request_context():
            urls.append(build_url(app, route, None, VOLUNTEER_ARGUMENTS.get("slug", "x")))
    return urls


def staff_routes(app: Flask) -> list[Route]:
    """Every page (GET) of the staff blueprints."""
    return [
        r
        for r in routes(app)
        if r.method == "GET" and r.endpoint.partition(".")[0] in i18n.STAFF_BLUEPRINTS
    ]


def choose(client: FlaskClient, language: str) -> None:
    """Pick a language in the menu, as a visitor does."""
    client.post("/language", data={"lang": language, "next": "/"})


def open_profile(app: Flask, client: FlaskClient, volunteer_id: int, locale: str) -> None:
    """Open the self-service profile of a volunteer who keeps `locale`, by a magic link."""
    with inside(app):
        volunteer = db.session.get(Volunteer, volunteer_id)
        assert volunteer is not None
        selfservice.set_language(volunteer, locale)
        token = selfservice.magic_token(volunteer)
        db.session.commit()
    assert client.post("/me/open", data={"token": token}).status_code == 302


def test_every_volunteer_page_has_its_language_and_direction(
    app: Flask, two_agencies: dict[str, Any]
) -> None:
    pages = [*volunteer_pages(app), "/no-such-page"]
    for language in locales.VOLUNTEER_LANGUAGES:
        wanted = (language, locales.direction(language))
        client = app.test_client()
        choose(client, language)
        checked = []
        for url in pages:
            found = html_lang(client.get(url))
            if found is not None:
                assert found == wanted, (language, url)
                checked.append(url)
        assert len(checked) >= 10  # index, sign-up (4), profile link (4), deleted, the 404
        # The profile, in a self-service session: it opens in the volunteer's own language.
        other = app.test_client()
        open_profile(app, other, two_agencies["a"]["volunteer"].id, language)
        page = other.get("/me/")
        assert page.status_code == 200 and html_lang(page) == wanted
    assert {"/signup/agency-a", "/me/link", "/signup/confirm"} <= set(pages)


def test_the_language_menu_names_each_language_in_itself_with_its_own_lang_and_dir(
    client: FlaskClient, two_agencies: dict[str, Any]
) -> None:
    choose(client, "ar")
    page = client.get("/signup/agency-a").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page
    for code in locales.VOLUNTEER_LANGUAGES:
        name, direction = locales.ENDONYMS[code], locales.direction(code)
        assert f'lang="{code}" dir="{direction}"' in page and f">{name}<" in page, code
    assert '<span lang="ar" dir="rtl" aria-current="true">العربية</span>' in page
    # The German agency name inside the Arabic sentence is marked and isolated.
    assert '<bdi lang="de" dir="ltr">Agency A</bdi>' in page
    # Addresses, phone numbers and postcodes stay left to right.
    for field in ("email", "phone", "postcode"):
        assert re.search(
            rf'<input[^>]*dir="ltr"[^>]*id="{field}"|<input[^>]*id="{field}"[^>]*dir="ltr"', page
        ), field


def test_a_draft_language_says_so_with_the_german_original_a_click_away(
    app: Flask, two_agencies: dict[str, Any]
) -> None:
    drafts = [c for c in locales.VOLUNTEER_LANGUAGES if not locales.is_checked(c)]
    assert drafts == ["uk", "ar", "ru", "tr", "fa"]
    for language in drafts:
        client = app.test_client()
        choose(client, language)
        page = client.get("/signup/agency-a").get_data(as_text=True)
        assert 'class="draft-note"' in page and 'name="lang" value="de"' in page
        # The consent's German wording stands beside the draft translation.
        assert '<details class="original" lang="de" dir="ltr">' in page
        assert "Ich bin einverstanden, dass die Agentur meine Angaben speichert" in page
        privacy = client.get("/signup/agency-a/privacy").get_data(as_text=True)
        assert 'class="original" lang="de" dir="ltr"' in privacy
        # Once someone at the agency has checked the language, the note goes.
        app.config["REVIEWED_UI_LANGUAGES"] = ("de", "en", language)
        reviewed = client.get("/signup/agency-a").get_data(as_text=True)
        assert 'class="draft-note"' not in reviewed and 'class="original"' not in reviewed
        app.config["REVIEWED_UI_LANGUAGES"] = ("de", "en")


@pytest.mark.parametrize("language", ["de", "en"])
def test_checked_languages_carry_no_draft_note(client: FlaskClient, language: str) -> None:
    choose(client, language)
    assert 'class="draft-note"' not in client.get("/signup").get_data(as_text=True)


@pytest.mark.parametrize("role", ["coordinator", "admin"])
def test_staff_pages_are_german_or_english_and_left_to_right_whatever_is_asked(
    app: Flask, two_agencies: dict[str, Any], role: str
) -> None:
    user = two_agencies["a"]["coordinator"] if role == "coordinator" else two_agencies["admin"]
    client = app.test_client()
    choose(client, "ar")  # chosen on the public pages before logging in: kept in the session
    assert login(client, user).status_code == 302
    # Logged in, the menu refuses the volunteer languages and offers only German and English.
    assert client.post("/language", data={"lang": "uk", "next": "/"}).status_code == 400
    checked = 0
    for route in staff_routes(app):
        admitted = blueprint_roles(app, route.endpoint)
        if isinstance(admitted, frozenset) and role not in admitted:
            continue
        url = build_url(app, route, two_agencies["a"])
        for asked in (url, url + ("&" if "?" in url else "?") + "lang=fa"):
            found = html_lang(client.get(asked))
            if found is not None:
                assert found == ("de", "ltr"), asked
                checked += 1
    assert checked >= 20
    # Public pages a logged-in staff member opens stay in the staff languages too.
    signup = client.get("/signup/agency-a")
    assert html_lang(signup) == ("de", "ltr")
    menu = signup.get_data(as_text=True)
    assert "Deutsch" in menu and "English" in menu and "العربية" not in menu
    choose(client, "en")
    assert html_lang(client.get("/dashboard" if role == "coordinator" else "/admin/")) == (
        "en",
        "ltr",
    )


def test_the_login_page_is_a_staff_page(client: FlaskClient) -> None:
    choose(client, "fa")
    assert html_lang(client.get("/login")) == ("de", "ltr")
    assert html_lang(client.get("/")) == ("fa", "rtl")


def test_the_database_outage_page_has_the_volunteers_language_and_direction(app: Flask) -> None:
    with app.test_request_context("/signup"):
        session["lang"] = "ar"
        page = unavailable.response().get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page and "غير متاح مؤقتًا" in page
    with app.test_request_context("/dashboard"):
        session["lang"] = "ar"
        assert '<html lang="de" dir="ltr">' in unavailable.response().get_data(as_text=True)
