"""The coordinator's area: their agency's volunteers, newcomers and matches."""

from flask import Blueprint

from matcher.web.guards import require_role

bp = Blueprint("coordinator", __name__)
require_role(bp, ("coordinator", "admin"))

from matcher.web.coordinator import (  # noqa: E402,F401
    agency,
    matching,
    patenschaften,
    routes,  # noqa: E402,F401  (registers the views)
)
