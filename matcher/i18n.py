"""Languages: German by default; volunteers' pages and mails in their language, staff in
German or English; mail texts in the reader's language.

Which languages exist, which are right to left and which are checked lives in
`matcher.domain.locales`; this module only decides, per request, which of them applies.
Volunteer pages (sign-up, self-service, the public pages, errors) offer every volunteer
language; staff pages, and every page a logged-in staff member sees, offer only the staff
languages, whatever the session or the link asks for.
"""

from typing import Any

from flask import current_app, g, has_request_context, render_template, request, session
from flask_babel import force_locale

from matcher.domain import locales

#: Blueprints of the staff UI (German first, with English): `matcher.web.<name>`.
STAFF_BLUEPRINTS = frozenset({"auth", "coordinator", "admin"})


def is_staff_request() -> bool:
    """Whether this request belongs to the staff UI: a staff page, or a logged-in staff member.

    Never touches the database (the 503 page asks this while the database is gone): a
    user loaded in this request counts, else the login's mark in the session.
    """
    if request.blueprint in STAFF_BLUEPRINTS:
        return True
    user = g.get("_login_user")
    if user is not None:
        return bool(user.is_authenticated)
    return "_user_id" in session


def offered_languages() -> tuple[str, ...]:
    """The languages this request may be shown in, in menu order."""
    configured = tuple(current_app.config["LANGUAGES"])
    if has_request_context() and is_staff_request():
        return tuple(c for c in configured if c in locales.STAFF_LANGUAGES)
    return configured


def select_locale() -> str:
    """The session's chosen language if this page offers it, else German."""
    offered = offered_languages()
    chosen = session.get("lang")
    if chosen in offered:
        return str(chosen)
    # A volunteer's first visit may carry ?lang=uk from an invitation link in that language.
    asked = request.args.get("lang")
    if asked in offered:
        return str(asked)
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def is_reviewed(code: str) -> bool:
    """Whether the UI text in this language has been checked (no "draft" note on its pages)."""
    return locales.base(code) in current_app.config["REVIEWED_UI_LANGUAGES"]


def mail_language(language: str | None) -> str:
    """The language a mail is written in: the reader's if we write in it, else German."""
    if language in current_app.config["LANGUAGES"]:
        return str(language)
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def render_mail(name: str, language: str, **context: Any) -> tuple[str, str]:
    """Render mail template `name` in `language`; return (subject, body).

    A mail template's first line is the subject, the rest is the body (plain text).
    """
    language = mail_language(language)
    with force_locale(language):
        # `draft`: the mail ends with the note that nobody has checked its language yet.
        text = render_template(f"mail/{name}.txt", draft=not is_reviewed(language), **context)
    subject, _, body = text.strip().partition("\n")
    return subject.strip(), body.strip() + "\n"
