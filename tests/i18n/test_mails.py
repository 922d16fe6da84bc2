"""Every mail to a volunteer is written in the language they keep (`Volunteer.locale`),
through the real routes, the outbox and `flask match remind`, to a real SMTP server."""

import re
from collections.abc import Callable
from datetime import date
from email.message import EmailMessage
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from matcher import i18n
from matcher.extensions import db
from matcher.models import CheckIn, ConsentRecord, Newcomer, Volunteer
from tests.conftest import inside, login, mail_config
from tests.forms import link_in, path_of, signup_form
from tests.mailserver import body_of
from tests.matching.conftest import Office, office, propose, today  # noqa: F401

DRAFT_UK = "Цей переклад ще не перевірив носій мови."


@pytest.fixture
def app_config(smtp_server: Any) -> dict[str, Any]:
    return mail_config(smtp_server.port)


def _send(runner: FlaskCliRunner, smtp_server: Any, count: int) -> EmailMessage:
    """Deliver what the outbox holds (as cron does) and return the `count`-th mail received."""
    result = runner.invoke(args=["outbox", "send-once"])
    assert result.exit_code == 0, result.output
    mails = smtp_server.wait_for(count)
    assert len(mails) == count
    return mails[-1]


def test_a_volunteer_who_signs_up_in_ukrainian_gets_every_mail_in_ukrainian(
    app: Flask,
    runner: FlaskCliRunner,
    office: Office,  # noqa: F811
    make_newcomer: Callable[..., Newcomer],
    propose: Callable[..., int],  # noqa: F811
    smtp_server: Any,
) -> None:
    slug = office.agency.slug
    visitor = app.test_client()
    visitor.post("/language", data={"lang": "uk", "next": f"/signup/{slug}"})
    page = visitor.get(f"/signup/{slug}").get_data(as_text=True)
    assert '<html lang="uk" dir="ltr">' in page and "Стати наставником" in page
    form = signup_form(email="olena@example.org", first_name="Олена", last_name="Коваль")
    assert visitor.post(f"/signup/{slug}", data=form).status_code == 302
    with inside(app):
        volunteer = db.session.scalars(select(Volunteer)).one()
        assert volunteer.locale == "uk"
        assert {c.language for c in db.session.scalars(select(ConsentRecord))} == {"uk"}
        volunteer_id = volunteer.id

    # 1. The confirmation, in Ukrainian, with the note that it is a draft translation.
    confirm = _send(runner, smtp_server, 1)
    assert confirm["To"] == "olena@example.org"
    assert confirm["Subject"] == f"Будь ласка, підтвердіть свою реєстрацію в {office.agency.name}"
    body = body_of(confirm)
    assert body.startswith("Вітаємо, Олена!") and DRAFT_UK in body
    link = link_in(body)
    assert link.startswith("http://matcher.test/signup/confirm?lang=uk&token=")
    assert "Підтвердити мою адресу" in visitor.get(path_of(link)).get_data(as_text=True)
    done = visitor.post("/signup/confirm", data={"token": link.rpartition("token=")[2]})
    assert done.status_code == 200 and "вашу реєстрацію підтверджено" in done.get_data(as_text=True)

    # The coordinator works in German meanwhile, and activates Olena after the interview.
    coordinator = app.test_client()
    login(coordinator, office.coordinator)
    staff_page = coordinator.get(f"/volunteers/{volunteer_id}").get_data(as_text=True)
    assert '<html lang="de" dir="ltr">' in staff_page
    activated = coordinator.post(f"/volunteers/{volunteer_id}/status", data={"change": "activate"})
    assert activated.status_code == 302
    with inside(app):
        volunteer = db.session.get(Volunteer, volunteer_id)
        assert volunteer is not None and volunteer.status == "active"
        db.session.expunge(volunteer)
    newcomer = make_newcomer(office.agency, first_name="Amal")

    # 2. The approval, in Ukrainian (a staff member's action, the volunteer's language).
    match_id = propose(volunteer, newcomer)
    approve = coordinator.post(f"/matching/proposals/{match_id}/approve", data={"version": 1})
    assert approve.status_code == 302
    approved = _send(runner, smtp_server, 2)
    assert approved["To"] == "olena@example.org"
    assert approved["Subject"] == "Ваше наставництво схвалено"
    assert body_of(approved).startswith("Вітаємо, Олена!")
    assert "Ваш координатор" in body_of(approved) and DRAFT_UK in body_of(approved)

    # 3. The check-in reminder, queued by `flask match remind`, in Ukrainian.
    activate = coordinator.post(f"/patenschaften/{match_id}/activate", data={"version": 2})
    assert activate.status_code == 302
    with inside(app):
        checkin = db.session.scalars(select(CheckIn).where(CheckIn.match_id == match_id)).one()
        due = checkin.due_on = date(today().year - 1, 3, 2)  # overdue, and a March
        db.session.commit()
    reminded = runner.invoke(args=["match", "remind"])
    assert reminded.exit_code == 0 and "Queued 1" in reminded.output
    reminder = _send(runner, smtp_server, 3)
    assert reminder["Subject"] == "Як триває ваше наставництво?"
    reminder_body = body_of(reminder)
    assert reminder_body.startswith("Вітаємо, Олена!")
    # The date in Ukrainian words ("2 бер. 2025 р."), digits as everywhere in Germany.
    assert f"{due.day} бер. {due.year}" in reminder_body
    assert "ваш координатор хотів би дізнатися" in reminder_body
    assert DRAFT_UK in reminder_body


def test_a_profile_link_follows_the_stored_language_not_the_request(
    app: Flask,
    runner: FlaskCliRunner,
    office: Office,  # noqa: F811
    make_volunteer: Callable[..., Volunteer],
    smtp_server: Any,
) -> None:
    make_volunteer(office.agency, email="ahmad@example.org", first_name="Ahmad", locale="ar")
    visitor = app.test_client()  # the request comes in German
    assert visitor.post("/me/link", data={"email": "ahmad@example.org"}).status_code == 302
    mail = _send(runner, smtp_server, 1)
    assert mail["Subject"] == "رابطك إلى ملفك الشخصي كمتطوع"
    assert body_of(mail).startswith("مرحبًا Ahmad،")

    # The link opens the profile in Arabic; there Ahmad switches his mails to Turkish.
    link = path_of(link_in(body_of(mail)))
    assert link.startswith("/me/open?lang=ar&token=")
    assert '<html lang="ar" dir="rtl">' in visitor.get(link).get_data(as_text=True)
    token = link.rpartition("token=")[2]
    assert visitor.post("/me/open", data={"token": token}).status_code == 302
    profile = visitor.get("/me/").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in profile
    # What was consented to stands in German beside the draft translation.
    assert '<p class="hint" lang="de" dir="ltr">Speicherung meiner Angaben' in profile
    # The mail language is chosen by each language's own name, marked with its language.
    assert re.search(r'<option (?=[^>]*dir="ltr")(?=[^>]*lang="tr")[^>]*>Türkçe</option>', profile)
    assert re.search(r'<option (?=[^>]*dir="rtl")(?=[^>]*lang="fa")[^>]*>فارسی</option>', profile)
    saved = visitor.post("/me/language", data={"locale": "tr"})
    assert saved.status_code == 302
    assert "Diliniz kaydedildi" in visitor.get("/me/").get_data(as_text=True)
    assert visitor.post("/me/language", data={"locale": "xx"}).status_code == 400
    with inside(app):
        assert db.session.scalars(select(Volunteer)).one().locale == "tr"
    visitor.post("/me/logout")
    visitor.post("/language", data={"lang": "de", "next": "/"})
    visitor.post("/me/link", data={"email": "ahmad@example.org"})
    again = _send(runner, smtp_server, 2)
    assert again["Subject"] == "Gönüllü profilinize bağlantınız"


@pytest.mark.parametrize(
    ("language", "written"),
    [
        ("ar", "02\u200f/03\u200f/2027"),  # day/month/year; the marks keep that order in RTL
        ("fa", "2 مارس 2027"),  # the Gregorian month by its Persian name
        ("uk", "2 бер. 2027"),
        ("de", "02.03.2027"),
    ],
)
def test_a_date_in_a_mail_follows_the_language(app: Flask, language: str, written: str) -> None:
    """Dates in mails: the language's order and month names, with Western digits, as the
    German dates, postcodes and phone numbers around them (no Arabic-Indic digits)."""
    checkin = CheckIn(due_on=date(2027, 3, 2))
    volunteer = Volunteer(first_name="Sara")
    with app.test_request_context():
        _subject, body = i18n.render_mail(
            "match_checkin_reminder", language, volunteer=volunteer, newcomer=None, checkin=checkin
        )
    assert written in body
    assert not any("\u0660" <= ch <= "\u0669" or "\u06f0" <= ch <= "\u06f9" for ch in body)


def test_a_reviewed_language_drops_the_draft_note_from_mails(app: Flask) -> None:
    volunteer = Volunteer(first_name="Olena")
    checkin = CheckIn(due_on=date(2027, 3, 2))
    with app.test_request_context():
        _s, draft = i18n.render_mail("match_checkin_reminder", "uk", volunteer=volunteer,
                                     newcomer=None, checkin=checkin)  # fmt: skip
        app.config["REVIEWED_UI_LANGUAGES"] = ["de", "en", "uk"]  # as MATCHER_… JSON gives it
        _s, reviewed = i18n.render_mail("match_checkin_reminder", "uk", volunteer=volunteer,
                                        newcomer=None, checkin=checkin)  # fmt: skip
        _s, german = i18n.render_mail("match_checkin_reminder", "de", volunteer=volunteer,
                                      newcomer=None, checkin=checkin)  # fmt: skip
    assert DRAFT_UK in draft and DRAFT_UK not in reviewed and reviewed.startswith("Вітаємо")
    assert "Übersetzung" not in german
