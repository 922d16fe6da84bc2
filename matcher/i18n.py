"""Languages: German by default, English on request; mail texts in the reader's language."""

from typing import Any

from flask import current_app, render_template, request, session
from flask_babel import force_locale


def select_locale() -> str:
    """The session's chosen language, else German."""
    chosen = session.get("lang")
    if chosen in current_app.config["LANGUAGES"]:
        return str(chosen)
    # A volunteer's first visit may carry ?lang=en from an English invitation link.
    asked = request.args.get("lang")
    if asked in current_app.config["LANGUAGES"]:
        return str(asked)
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def render_mail(name: str, language: str, **context: Any) -> tuple[str, str]:
    """Render mail template `name` in `language`; return (subject, body).

    A mail template's first line is the subject, the rest is the body (plain text).
    """
    if language not in current_app.config["LANGUAGES"]:
        language = current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(language):
        text = render_template(f"mail/{name}.txt", **context)
    subject, _, body = text.strip().partition("\n")
    return subject.strip(), body.strip() + "\n"
