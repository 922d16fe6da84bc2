"""Pages anyone may see: the start page, the health checks, the language switch, and
/metrics (which asks for a token itself)."""

from flask import Blueprint

from matcher.web.guards import public

bp = public(Blueprint("public", __name__))

from matcher.web.public import monitoring, routes, signup  # noqa: E402,F401  (registers the views)
