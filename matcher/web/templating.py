"""Helpers available in every template."""

from typing import Any

from flask import Flask
from flask_babel import get_locale

from matcher.models.vocab import DAYS, PARTS, mask_to_slots
from matcher.services import vocabulary
from matcher.web import labels
from matcher.web.public.forms import LanguageForm


def ui_language_name(code: str) -> str:
    """A language's name in the current UI language ("prs" → "Dari"): the `language_name` filter."""
    return vocabulary.language_name(code, str(get_locale() or "de"))


def register(app: Flask) -> None:
    """Install template filters and globals."""
    app.add_template_filter(ui_language_name, "language_name")
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
