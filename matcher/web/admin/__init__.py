"""The admin's area: agencies and staff users."""

from flask import Blueprint

from matcher.web.guards import require_role

bp = Blueprint("admin", __name__, url_prefix="/admin")
require_role(bp, ("admin",))

from matcher.web.admin import routes  # noqa: E402,F401  (registers the views)
