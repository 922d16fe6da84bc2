"""Helpers available in every template."""

from typing import Any

from flask import Flask, current_app
from flask_babel import format_decimal, get_locale, gettext

from matcher import labels
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


def register(app: Flask) -> None:
    """Install template filters and globals."""
    app.add_template_global(public_url)
    app.add_template_global(today)
    app.add_template_filter(ui_language_name, "language_name")
    app.add_template_filter(numberformat)
    app.add_template_filter(person_name)
    app.add_template_filter(mask_to_slots, "slot_names")
    app.add_template_filter(phones.display, "phone")
    app.add_template_filter(phones.tel_uri, "tel_uri")

    @app.context_processor
    def _globals() -> dict[str, Any]:
        return {
            "labels": labels,
            # The languages' one home: direction(), is_checked(), ENDONYMS.
            "locales": locales,
            "DAYS": DAYS,
            "PARTS": PARTS,
            "language_form": LanguageForm,
            "current_locale": str(get_locale() or "de"),
            "acting_agency": acting.shown_agency(),
        }
