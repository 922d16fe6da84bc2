"""Pages anyone may see: the start page, the health check, the language switch."""

from flask import Blueprint

from matcher.web.guards import public

bp = public(Blueprint("public", __name__))

from matcher.web.public import routes, signup  # noqa: E402,F401  (registers the views)
