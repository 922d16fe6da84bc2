"""The coordinator's area: their agency's volunteers, newcomers and matches."""

from flask import Blueprint

from matcher.web.guards import require_role

bp = Blueprint("coordinator", __name__)
require_role(bp, ("coordinator", "admin"))

from matcher.web.coordinator import routes  # noqa: E402,F401  (registers the views)
from matcher.web.coordinator import matching, patenschaften  # noqa: E402,F401
