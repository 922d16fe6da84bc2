"""Helpers available in every template."""

from typing import Any

from babel import Locale
from flask import Flask
from flask_babel import get_locale

from matcher.models.vocab import DAYS, PARTS, mask_to_slots
from matcher.web import labels
from matcher.web.public.forms import LanguageForm


def language_name(code: str) -> str:
    """A language's name in the UI language, e.g. "ar" → "Arabisch"."""
    locale = get_locale() or Locale("de")
    name = locale.languages.get(code)
    return str(name) if name else code


def register(app: Flask) -> None:
    """Install template filters and globals."""
    app.add_template_filter(language_name)
    app.add_template_filter(mask_to_slots, "slot_names")

    @app.context_processor
    def _globals() -> dict[str, Any]:
        return {
            "labels": labels,
            "DAYS": DAYS,
            "PARTS": PARTS,
            "language_form": LanguageForm,
            "current_locale": str(get_locale() or "de"),
        }
