"""The admin's area: agencies and users, exports, imports, figures and data protection."""

from flask import Blueprint

from matcher.web.guards import require_role

bp = Blueprint("admin", __name__, url_prefix="/admin")
require_role(bp, ("admin",))

# The views register themselves on `bp`, one module per topic.
from matcher.web.admin import (  # noqa: E402,F401
    agencies,
    exports,
    figures,
    imports,
    privacy,
    users,
)
