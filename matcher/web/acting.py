"""Which agency a coordinator page works on: the coordinator's own, or the one an admin
chose to act as.

Admins see every agency in the admin area, but an agency's people only through an explicit
"act as agency X" choice, which is audited and shown on every page until they stop.
"""

from flask import g, has_request_context, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from matcher import tenancy
from matcher.extensions import db
from matcher.models import Agency

SESSION_KEY = "acting_agency"


def chosen_agency_id() -> int | None:
    """The agency an admin acts as in this session, if any."""
    value = session.get(SESSION_KEY)
    return value if isinstance(value, int) else None


def enter_agency() -> ResponseReturnValue | None:
    """Scope this request to the agency its pages work on (before_request of the area)."""
    agency_id = current_user.agency_id if not current_user.is_admin else chosen_agency_id()
    agency = db.session.get(Agency, agency_id) if agency_id is not None else None
    if agency is None:
        session.pop(SESSION_KEY, None)
        if request.endpoint == "coordinator.dashboard":
            # An admin's start page: it shows no one's people, only the way to choose.
            g.agency = None
            tenancy.enter(tenancy.Everyone.NOBODY)
            return None
        return redirect(url_for("admin.act_as", next=request.full_path))
    g.agency = agency
    tenancy.enter(agency.id)
    return None


def agency() -> Agency:
    """The agency of this coordinator request."""
    found: Agency = g.agency
    return found


def has_agency() -> bool:
    """Whether this coordinator request works on an agency (not: an admin before choosing)."""
    return g.get("agency") is not None


def shown_agency() -> Agency | None:
    """The agency an admin acts as, for the banner on every page (None for everyone else,
    and for mails rendered outside a request)."""
    if not has_request_context() or not current_user.is_authenticated or not current_user.is_admin:
        return None
    agency_id = chosen_agency_id()
    return db.session.get(Agency, agency_id) if agency_id is not None else None
