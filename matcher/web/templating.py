"""Helpers available in every template."""

from typing import Any

from flask import Flask, current_app
from flask_babel import force_locale, format_decimal, get_locale, gettext
from markupsafe import Markup

from matcher import i18n, labels
from matcher.domain import locales, phones
from matcher.domain.vocab import DAYS, PARTS, mask_to_slots
from matcher.models import today
from matcher.services.platform import vocabulary
from matcher.web import acting
from matcher.web.public.forms import LanguageForm


def ui_language_name(code: str) -> str:
    """A language's name in the current UI language ("prs" → "Dari"): the `language_name` filter."""
    return vocabulary.language_name(code, str(get_locale() or "de"))


def public_url(endpoint: str, **values: Any) -> str:
    """An absolute link for a mail, on the configured public address (never the Host header).

    Works outside a request too (mails queued by commands and jobs).
    """
    base = str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    return base + current_app.url_map.bind("localhost").build(endpoint, values)


def volunteer_link(endpoint: str, **values: Any) -> str:
    """A link in a mail to a volunteer: the page it opens speaks the mail's language
    (`?lang=`, before the token; German, the default, needs none)."""
    locale = str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])
    if locale != current_app.config["BABEL_DEFAULT_LOCALE"]:
        values = {"lang": locale, **values}
    return public_url(endpoint, **values)


def numberformat(value: float | int | None, places: int | None = None) -> str:
    """A number in the UI language's format: "15.648" and "2,2" in German."""
    if value is None:
        return "—"
    if places is None:
        return str(format_decimal(value))
    pattern = "#,##0." + "0" * places if places else "#,##0"
    return str(format_decimal(round(value, places), format=pattern))


def person_name(person: Any) -> str:
    """A volunteer's full name or a newcomer's first name; an erased person is called so."""
    if getattr(person, "anonymised_at", None) is not None:
        return str(gettext("erased person"))
    full = getattr(person, "full_name", None)
    return str(full if full is not None else person.first_name)


def notice_version(reference: str) -> str:
    """A consent's notice version for people: "3", or "0 (shipped text)" for the text
    matcher ships, whose reference also carries a fingerprint of its words."""
    number, _, fingerprint = str(reference).partition(":")
    return str(gettext("%(v)s (shipped text)", v=number)) if fingerprint else number


def in_language(text: Any, code: str) -> Markup:
    """Text in another language than the page's, isolated and marked as such: an agency's
    German name or German legal text inside an Arabic page (the `in_language` filter)."""
    return Markup('<bdi lang="{}" dir="{}">{}</bdi>').format(code, locales.direction(code), text)


def ltr(text: Any) -> Markup:
    """An e-mail address, URL or number that reads left to right on every page (`ltr`)."""
    return Markup('<bdi dir="ltr">{}</bdi>').format(text)


def german(text: Any, **variables: Any) -> str:
    """A message in German, whatever the page's language: the original beside a draft
    translation. `text` is a msgid (the same as the `_()` next to it, so it needs no
    extraction) or a lazy string such as a form field's label."""
    with force_locale("de"):
        return str(gettext(text, **variables)) if isinstance(text, str) else str(text)


def register(app: Flask) -> None:
    """Install template filters and globals."""
    app.add_template_global(public_url)
    app.add_template_global(volunteer_link)
    app.add_template_global(today)
    app.add_template_filter(ui_language_name, "language_name")
    app.add_template_filter(in_language)
    app.add_template_filter(ltr)
    app.add_template_global(german)
    app.add_template_filter(numberformat)
    app.add_template_filter(person_name)
    app.add_template_filter(notice_version)
    app.add_template_filter(mask_to_slots, "slot_names")
    app.add_template_filter(phones.display, "phone")
    app.add_template_filter(phones.tel_uri, "tel_uri")

    @app.context_processor
    def _globals() -> dict[str, Any]:
        locale = str(get_locale() or "de")
        return {
            "text_direction": locales.direction(locale),
            # The language menu: each offered language by its own name (locales.ENDONYMS).
            "ui_languages": [(c, locales.ENDONYMS[c]) for c in i18n.offered_languages()],
            "draft_translation": not i18n.is_reviewed(locale),
            "direction": locales.direction,
            "labels": labels,
            # The languages' one home: direction(), is_checked(), ENDONYMS.
            "locales": locales,
            "DAYS": DAYS,
            "PARTS": PARTS,
            "language_form": LanguageForm,
            "current_locale": locale,
            "acting_agency": acting.shown_agency(),
        }
