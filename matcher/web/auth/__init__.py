"""Staff login, logout and password change."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from matcher.web.auth import routes, sessions, two_factor  # noqa: E402,F401  (registers the views)
