"""Error pages in German (or the chosen language), never a traceback.

One handler turns every `ServiceError` into its one message (`matcher.web.messages`) and
a status by kind: not found 404, conflict and refused 409, invalid 400. A refused POST
shows its reason on the page it came from (`common.back_to`) — the proposals queue, the
Patenschaft — with that status; otherwise on the error page.
"""

from typing import Any

from flask import (
    Flask,
    current_app,
    flash,
    g,
    make_response,
    render_template,
    request,
    session,
)
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.wrappers import Response

from matcher.domain.errors import Conflict, ServiceError
from matcher.extensions import db
from matcher.web import messages, unavailable

STATUS_BY_KIND = {"not_found": 404, "conflict": 409, "refused": 409, "invalid": 400}


def register(app: Flask) -> None:
    """Render every HTTP and service error with the error template; JSON for JSON clients."""
    app.register_error_handler(ServiceError, service_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def service_error(error: ServiceError) -> ResponseReturnValue:
    """Answer a refused use case with its message, on the page it came from if it can."""
    db.session.rollback()
    status = STATUS_BY_KIND.get(error.kind, 400)
    message = messages.text(error)
    if _wants_json():
        return {"error": error.code, "message": message, "status": status}, status
    # A success message queued before the refusal must not be shown.
    session.pop("_flashes", None)
    back = g.pop("back", None)
    if back is not None and request.method == "POST":
        flash(message, "error")
        page = _render_back(*back)
        if page is not None:
            page.status_code = status
            return page
        session.pop("_flashes", None)
    return render_template("errors/error.html", code=status, message=message), status


def _render_back(endpoint: str, values: dict[str, Any]) -> Response | None:
    """The page a refused POST came from, rendered again (only GET views; never re-run a POST)."""
    rules = current_app.url_map.iter_rules(endpoint)
    if any("POST" in (rule.methods or ()) for rule in rules):
        return None
    try:
        return make_response(current_app.view_functions[endpoint](**values))
    except (HTTPException, ServiceError):
        db.session.rollback()
        return None


def conflict_on_commit() -> Response:
    """The answer when the commit at the end of a request lost a race."""
    return make_response(service_error(Conflict("changed_meanwhile")))


def _http_error(error: HTTPException) -> ResponseReturnValue:
    # An error handler that itself needed the database ends here as a 500 around it.
    original = getattr(error, "original_exception", None)
    if original is not None and unavailable.is_unavailable(original):
        return unavailable.response(original)
    code = error.code or 500
    if _wants_json():
        response = make_response({"error": error.name, "status": code}, code)
    else:
        try:
            response = make_response(render_template("errors/error.html", code=code), code)
        except SQLAlchemyError as e:  # the page's header needs the user: the database is gone
            if not unavailable.is_unavailable(e):
                raise
            return unavailable.response(e)
    if isinstance(error, NotFound):
        response.headers["Cache-Control"] = "no-store"
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        # A 405 names the methods the address has (RFC 9110), as werkzeug's own page does.
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def _unexpected_error(error: Exception) -> ResponseReturnValue:
    if unavailable.is_unavailable(error):
        return unavailable.response(error)
    current_app.logger.exception("Unhandled error", exc_info=error)
    unavailable.safe_rollback()
    try:
        return render_template("errors/error.html", code=500), 500
    except SQLAlchemyError as e:
        if not unavailable.is_unavailable(e):
            raise
        return unavailable.response(e)
