"""The coordinator's area: one agency's volunteers, newcomers and matches.

Every page works on one agency, chosen once for the whole area (`matcher.web.acting`):
the coordinator's own, or the one an admin acts as. No route decides this for itself.
"""

from flask import Blueprint

from matcher.web import acting
from matcher.web.guards import require_role

bp = Blueprint("coordinator", __name__)
require_role(bp, ("coordinator", "admin"))
bp.before_request(acting.enter_agency)

from matcher.web.coordinator import (  # noqa: E402,F401  (registers the views)
    agency,
    contact,
    documents,
    households,
    matching,
    notes,
    onboarding,
    pair_rules,
    patenschaften,
    quality,
    reports,
    routes,
    workqueue,
)
