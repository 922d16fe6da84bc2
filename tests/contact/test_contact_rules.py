"""How a newcomer is reached (`matcher.domain.contact`): the rules, the form, her page and the
database's own CHECKs, on both backends."""

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError

from matcher.domain import contact
from matcher.domain.contact import Contact
from matcher.domain.errors import Invalid
from matcher.extensions import db
from matcher.models import Newcomer
from tests.conftest import inside, login
from tests.forms import errors, newcomer_form, row_counts


@pytest.mark.parametrize("channel", ["phone", "sms", "whatsapp"])
def test_a_channel_by_phone_needs_the_number(channel: str) -> None:
    with pytest.raises(Invalid) as refused:
        contact.checked(Contact(channel=channel))
    assert refused.value.code == "channel_needs_phone" and refused.value.params == {
        "channel": channel
    }
    done = contact.checked(Contact(phone="0176 12345678", channel=channel))
    assert (done.phone, done.channel) == ("+4917612345678", channel)


def test_through_a_social_worker_needs_whom_to_call_and_in_person_needs_nothing() -> None:
    with pytest.raises(Invalid) as refused:
        contact.checked(Contact(channel="social_worker", social_worker_contact="  "))
    assert refused.value.code == "channel_needs_social_worker"
    done = contact.checked(Contact(channel="social_worker", social_worker_contact=" Frau Y "))
    assert done.social_worker_contact == "Frau Y" and done.phone == ""
    assert contact.checked(Contact(channel="in_person")).channel == "in_person"
    with pytest.raises(Invalid):
        contact.checked(Contact(channel="carrier_pigeon"))
    with pytest.raises(Invalid):
        contact.checked(Contact(channel="social_worker", social_worker_contact="x" * 121))


def test_an_interpreter_is_needed_for_a_language() -> None:
    with pytest.raises(Invalid) as refused:
        contact.checked(Contact(interpreter_needed=True))
    assert refused.value.code == "interpreter_without_language"
    assert contact.checked(Contact(interpreter_needed=True, interpreter_language="ti")) == Contact(
        interpreter_needed=True, interpreter_language="ti"
    )
    # A language left in the select while the box is not ticked does not count.
    assert contact.checked(Contact(interpreter_language="ti")).interpreter_language is None


def test_letters_go_out_in_the_best_language_she_speaks_that_letters_exist_in() -> None:
    """One rule with the documents' default (`documents.document_language`)."""
    speaks = contact.default_correspondence_language
    assert speaks({"ta": "native", "ti": "fluent", "ar": "fluent"}) == "ti"  # ties: first
    assert speaks({"ar": "basic", "de": "basic"}) == "ar"
    assert speaks({"fa": "basic", "ar": "native"}) == "ar"  # the better one, not the first
    assert speaks({"ta": "native", "hi": "fluent"}) == "de"  # none: German
    assert contact.correspondence_language("fr", {"ar": "native"}) == "fr"
    assert contact.correspondence_language(None, {"ta": "native", "ps": "good"}) == "ps"
    with pytest.raises(Invalid):
        contact.correspondence_language("ta", {"ta": "native"})


# --------------------------------------------------------------------------- the form


@pytest.fixture
def agency(make_agency: Callable[..., Any]) -> Any:
    return make_agency(slug="awo-koeln", name="AWO Köln")


@pytest.fixture
def staff(app: Flask, agency: Any, make_user: Callable[..., Any]) -> Any:
    client = app.test_client()
    login(client, make_user("coordinator", agency))
    return client


def _newcomer(app: Flask) -> Newcomer:
    with inside(app):
        n = db.session.scalars(select(Newcomer)).one()
        db.session.expunge(n)
        return n


def test_registering_with_phone_whatsapp_interpreter_and_letters_in_arabic(
    app: Flask, staff: Any
) -> None:
    data = newcomer_form(
        phone="0176 1234-5678",
        contact_channel="whatsapp",
        interpreter_needed="y",
        interpreter_language="ti",
        correspondence_language="ar",
    )
    assert staff.post("/newcomers/new", data=data).status_code == 302
    n = _newcomer(app)
    assert (n.phone, n.contact_channel, n.interpreter_needed, n.interpreter_language) == (
        "+4917612345678", "whatsapp", True, "ti",
    )  # fmt: skip
    assert n.correspondence_language == "ar"
    page = staff.get(f"/newcomers/{n.id}").get_data(as_text=True)
    assert '<a href="tel:+4917612345678">0176 12345678</a>' in page
    assert "WhatsApp" in page and "nötig für Tigrinya" in page
    assert 'lang="ar" dir="rtl">العربية</span>' in page
    # Editing shows the number as people dial it, and saving keeps it.
    form = staff.get(f"/newcomers/{n.id}/edit").get_data(as_text=True)
    assert 'value="0176 12345678"' in form


def test_an_international_number_and_the_default_letters_language(app: Flask, staff: Any) -> None:
    data = newcomer_form(
        phone="+963 11 223 4567",
        contact_channel="sms",
        **{"languages-0-code": "ta", "languages-1-code": "ti"},
    )
    assert staff.post("/newcomers/new", data=data).status_code == 302
    n = _newcomer(app)
    assert n.phone == "+963112234567" and n.correspondence_language == "ti"
    page = staff.get(f"/newcomers/{n.id}").get_data(as_text=True)
    assert '<a href="tel:+963112234567">+963 11 223 4567</a>' in page


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"phone": "0221"}, "Bitte geben Sie eine Telefonnummer ein"),
        ({"phone": "call me maybe"}, "Bitte geben Sie eine Telefonnummer ein"),
        ({"contact_channel": "whatsapp"}, "„WhatsApp“ braucht eine Telefonnummer"),
        ({"contact_channel": "sms", "phone": ""}, "„SMS“ braucht eine Telefonnummer"),
        ({"contact_channel": "social_worker"}, "wie die Sozialarbeit erreichbar ist"),
        ({"contact_channel": "pigeon"}, "gültige Auswahl"),
        ({"interpreter_needed": "y"}, "für die gedolmetscht werden muss"),
        ({"interpreter_needed": "y", "interpreter_language": "klingon"}, "Unbekannte Sprache"),
        ({"correspondence_language": "ta"}, "gültige Auswahl"),
        ({"social_worker_contact": "x" * 121}, "120"),
    ],
)
def test_bad_contact_gets_a_clear_message_and_stores_nothing(
    app: Flask, staff: Any, change: dict[str, str], message: str
) -> None:
    before = row_counts(app)
    response = staff.post("/newcomers/new", data=newcomer_form(**change))
    assert response.status_code == 400
    found = errors(response.get_data(as_text=True))
    assert any(message in e for e in found), found
    assert row_counts(app) == before


def test_the_database_refuses_what_the_rules_refuse(
    app: Flask, agency: Any, make_newcomer: Callable[..., Any]
) -> None:
    n = make_newcomer(agency)
    bad = [
        {"contact_channel": "whatsapp"},  # no phone
        {"contact_channel": "social_worker"},  # no one to call
        {"contact_channel": "fax"},
        {"interpreter_needed": True},  # for no language
        {"interpreter_language": "ti"},  # not needed
        {"correspondence_language": "ta"},
    ]
    with inside(app):
        for values in bad:
            with pytest.raises(IntegrityError), db.session.begin_nested():
                db.session.execute(update(Newcomer).where(Newcomer.id == n.id).values(**values))
        db.session.execute(
            update(Newcomer)
            .where(Newcomer.id == n.id)
            .values(phone="+4917612345678", contact_channel="whatsapp")
        )
        db.session.commit()
        # What the factory does not set has its defaults: no interpreter needed.
        assert db.session.execute(
            text("SELECT correspondence_language, interpreter_needed FROM newcomers")
        ).one() == ("ar", False)
