"""Language selection: German by default, English on request."""

from flask import current_app, request, session


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
