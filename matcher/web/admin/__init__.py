"""The admin's area: agencies and users, exports, imports, figures and data protection."""

from flask import Blueprint

from matcher import tenancy
from matcher.web.guards import require_role

bp = Blueprint("admin", __name__, url_prefix="/admin")
require_role(bp, ("admin",))


@bp.before_request
def _every_agency() -> None:
    """The admin area works across agencies, and says so by name."""
    tenancy.enter(tenancy.Everyone.ALL_AGENCIES)


# The views register themselves on `bp`, one module per topic.
from matcher.web.admin import (  # noqa: E402,F401
    agencies,
    exports,
    figures,
    imports,
    privacy,
    users,
)
