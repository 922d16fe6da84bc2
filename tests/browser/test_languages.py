"""Volunteer pages in a right-to-left and a left-to-right language, in a real browser.

Arabic on a 390 px phone and on a desktop: `dir="rtl"`, the form's labels start at the
right edge, nothing scrolls sideways, axe-core finds nothing; Ukrainian likewise, left to
right. The self-service profile in both. Screenshots in test-output/screenshots/.
"""

from collections.abc import Callable
from typing import Any

from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from matcher import i18n
from matcher.extensions import db
from matcher.models import ConsentRecord, Volunteer
from matcher.services.people import selfservice
from tests.browser.axe import assert_accessible
from tests.browser.conftest import PHONE, SCREENSHOTS, page_width
from tests.conftest import inside
from tests.forms import link_in, path_of

DESKTOP = {"width": 1280, "height": 900}

#: Where a label's text starts, relative to its card's content box: {left, right} gaps in px.
TEXT_GAPS = """el => {
  const range = document.createRange(); range.selectNodeContents(el);
  const text = range.getBoundingClientRect();
  const card = el.closest('.card'); const box = card.getBoundingClientRect();
  const style = getComputedStyle(card);
  return {left: text.left - (box.left + parseFloat(style.paddingLeft)),
          right: (box.right - parseFloat(style.paddingRight)) - text.right};
}"""


def _choose(page: Page, endonym: str) -> None:
    page.get_by_role("button", name=endonym, exact=True).click()
    page.wait_for_load_state("load")


def _fill_signup(page: Page, words: dict[str, str]) -> None:
    """Fill the sign-up form in the page's language (labels from the catalogue)."""
    page.get_by_label(words["first"], exact=True).fill("Amira")
    page.get_by_label(words["last"], exact=True).fill("Haddad")
    page.get_by_label(words["email"], exact=True).fill("amira@example.org")
    page.get_by_label(words["postcode"], exact=True).fill("50823")
    page.locator("#age_band").select_option("26_35")
    page.locator("#languages-0-code").select_option("ar")
    page.locator("#languages-0-level").select_option("native")
    page.locator("#languages-1-code").select_option("de")
    page.locator("#languages-1-level").select_option("good")
    page.locator("input[name=slots][value=mon-evening]").check()
    page.locator("input[name=capacity][value='1']").check()
    page.locator("#consent_matching").check()


ARABIC = {"first": "الاسم الأول", "last": "اسم العائلة", "email": "البريد الإلكتروني",
          "postcode": "الرمز البريدي", "submit": "التسجيل", "sent": "اقتربنا من النهاية"}  # fmt: skip
UKRAINIAN = {"first": "Ім'я", "last": "Прізвище", "email": "Електронна пошта",
             "postcode": "Поштовий індекс", "submit": "Зареєструватися",
             "sent": "Майже готово"}  # fmt: skip


def test_signup_in_arabic_is_right_to_left_on_desktop_and_phone(
    page: Page, app: Flask, live_server: str, make_agency: Callable[..., Any],
    screenshot: Callable[..., Any],
) -> None:  # fmt: skip
    make_agency(slug="awo-koeln", name="AWO Köln")
    page.goto(live_server + "/signup/awo-koeln")
    _choose(page, "العربية")  # kept in the session from here on
    for viewport, label in ((DESKTOP, "desktop"), (PHONE, "phone")):
        page.set_viewport_size(viewport)
        page.goto(live_server + "/signup/awo-koeln")
        html = page.locator("html")
        expect(html).to_have_attribute("dir", "rtl")
        expect(html).to_have_attribute("lang", "ar")
        expect(page.get_by_role("heading", name="كن مرشدًا", level=1)).to_be_visible()
        # The first label of the form starts at the right edge of its card, not the left.
        gaps = page.locator("label[for=first_name]").evaluate(TEXT_GAPS)
        assert abs(gaps["right"]) <= 2 and gaps["left"] > 20, (label, gaps)
        # The e-mail field reads left to right inside the right-to-left page.
        expect(page.locator("#email")).to_have_attribute("dir", "ltr")
        assert page_width(page) <= viewport["width"], label
        screenshot(page, f"signup-ar-{label}")
        for part in ("header.top", "#slots", "section.card:has(#consent_matching)"):
            name = part.split(":")[0].replace("#", "").replace(".", "-")
            page.locator(part).screenshot(path=str(SCREENSHOTS / f"signup-ar-{label}-{name}.png"))
        assert_accessible(page, f"signup-ar-{label}")

    # Signed up on the phone: the answer in Arabic, the language kept with the volunteer.
    _fill_signup(page, ARABIC)
    page.get_by_role("button", name=ARABIC["submit"], exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(ARABIC["sent"])
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    assert page_width(page) <= PHONE["width"]
    screenshot(page, "signup-ar-phone-sent")
    assert_accessible(page, "signup-ar-phone-sent")
    with inside(app):
        volunteer = db.session.scalars(select(Volunteer)).one()
        assert volunteer.locale == "ar"
        assert {c.language for c in db.session.scalars(select(ConsentRecord))} == {"ar"}


def test_signup_in_ukrainian_on_a_phone_is_left_to_right(
    page: Page, app: Flask, live_server: str, make_agency: Callable[..., Any],
    screenshot: Callable[..., Any],
) -> None:  # fmt: skip
    make_agency(slug="awo-koeln", name="AWO Köln")
    page.set_viewport_size(PHONE)
    page.goto(live_server + "/signup/awo-koeln")
    _choose(page, "Українська")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    gaps = page.locator("label[for=first_name]").evaluate(TEXT_GAPS)
    assert abs(gaps["left"]) <= 2 and gaps["right"] > 20, gaps
    assert page_width(page) <= PHONE["width"]
    screenshot(page, "signup-uk-phone")
    assert_accessible(page, "signup-uk-phone")
    # Sent empty: the messages in Ukrainian, still no sideways scrolling.
    page.get_by_role("button", name=UKRAINIAN["submit"], exact=True).click()
    expect(page.get_by_text("Будь ласка, перевірте позначені поля.")).to_be_visible()
    assert page_width(page) <= PHONE["width"]
    assert_accessible(page, "signup-uk-phone-errors")
    _fill_signup(page, UKRAINIAN)
    page.get_by_role("button", name=UKRAINIAN["submit"], exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(UKRAINIAN["sent"])
    screenshot(page, "signup-uk-phone-sent")
    with inside(app):
        assert db.session.scalars(select(Volunteer)).one().locale == "uk"


def test_self_service_in_arabic_ukrainian_and_farsi_on_a_phone(
    page: Page, app: Flask, live_server: str, make_agency: Callable[..., Any],
    make_volunteer: Callable[..., Any], screenshot: Callable[..., Any],
) -> None:  # fmt: skip
    agency = make_agency(slug="awo-koeln", name="AWO Köln")
    page.set_viewport_size(PHONE)
    for n, (language, direction) in enumerate((("ar", "rtl"), ("uk", "ltr"), ("fa", "rtl"))):
        volunteer = make_volunteer(agency, first_name="Amira", email=f"v{n}@example.org",
                                   locale=language)  # fmt: skip
        with inside(app), app.test_request_context():
            stored = db.session.get(Volunteer, volunteer.id)
            assert stored is not None
            _subject, body = i18n.render_mail(
                "magic_link", stored.locale, volunteer=stored,
                token=selfservice.magic_token(stored), minutes=60,
            )  # fmt: skip
        link = path_of(link_in(body))
        assert link.startswith(f"/me/open?lang={language}&token=")  # the mail's language
        page.context.clear_cookies()  # a new visitor, without a chosen language
        page.goto(live_server + link)
        expect(page.locator("html")).to_have_attribute("dir", direction)
        assert_accessible(page, f"selfservice-{language}-open")
        page.locator("form.card button[type=submit]").click()
        page.wait_for_load_state("load")
        # The profile opens in the volunteer's own language.
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.locator("html")).to_have_attribute("dir", direction)
        expect(page.locator(".draft-note")).to_be_visible()
        assert page_width(page) <= PHONE["width"], language
        screenshot(page, f"selfservice-{language}-profile")
        page.locator("#slots").screenshot(
            path=str(SCREENSHOTS / f"selfservice-{language}-slots.png")
        )
        assert_accessible(page, f"selfservice-{language}-profile")
        # The week grid keeps its columns inside the phone's width in either direction.
        grid = page.locator("table.slots.pick").bounding_box()
        assert grid is not None and grid["x"] >= 0 and grid["x"] + grid["width"] <= PHONE["width"]
