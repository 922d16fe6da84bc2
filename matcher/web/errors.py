"""Error pages in German (or the chosen language), never a traceback."""

from flask import Flask, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException


def register(app: Flask) -> None:
    """Render every HTTP error with the error template; JSON for JSON clients."""
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)


def _http_error(error: HTTPException) -> ResponseReturnValue:
    code = error.code or 500
    if request.accept_mimetypes.best == "application/json":
        return {"error": error.name, "status": code}, code
    return render_template("errors/error.html", code=code), code


def _unexpected_error(error: Exception) -> ResponseReturnValue:
    from flask import current_app

    current_app.logger.exception("Unhandled error", exc_info=error)
    from matcher.extensions import db

    db.session.rollback()
    return render_template("errors/error.html", code=500), 500
