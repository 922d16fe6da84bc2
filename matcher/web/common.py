"""What every blueprint does the same way: paging, the acting user, answers after a POST.

- `page_arg()`: the `?page=` argument, 1 to 100,000, else 400.
- `one(Model, id)`: a row of the request's scope, or 404 (views load, services act).
- `actor()`: the logged-in staff member (the object, not the proxy), for the services.
- `done(message, endpoint, **values)`: after a successful POST, flash the message as
  "success" and redirect (302, Flask's default, as everywhere); refusals are "error"
  (`matcher.web.errors`). Those two are the only flash categories.
- `back_to(endpoint, **values)`: the page a refused POST shows its reason on.
- `fresh_session()`: a new session after login or opening a link, keeping the language.
"""

from typing import Any, TypeVar, cast

from flask import abort, flash, g, redirect, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from matcher.extensions import db
from matcher.models import User

T = TypeVar("T")

MAX_PAGE = 100_000


def page_arg() -> int:
    """The ?page= argument, or 400."""
    page = request.args.get("page", "1")
    if not page.isdigit() or not 1 <= int(page) <= MAX_PAGE:
        abort(400)
    return int(page)


def one(model: type[T], object_id: int) -> T:
    """The row with this id in the request's scope (another agency's is a 404 too)."""
    return db.get_or_404(model, object_id)


def actor() -> User:
    """The logged-in staff member acting in this request."""
    return cast(User, current_user._get_current_object())


def done(message: str, endpoint: str, **values: Any) -> Response:
    """Answer a successful POST: a success message and a redirect to the next page."""
    flash(message, "success")
    return redirect(url_for(endpoint, **values))


def back_to(endpoint: str, **values: Any) -> None:
    """Say which page a refused POST of this request shows its reason on."""
    g.back = (endpoint, values)


def fresh_session() -> None:
    """Start a new session (no fixation), keeping only the chosen language."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
