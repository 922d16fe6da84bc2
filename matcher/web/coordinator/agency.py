"""The coordinator's own agency settings, read-only (admins change them in the admin area)."""

from flask import redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from matcher.services.platform import administration
from matcher.web.admin.forms import UMBRELLA_LABELS, WEIGHT_LABELS
from matcher.web.coordinator import bp


@bp.route("/agency")
def agency_settings() -> ResponseReturnValue:
    """The settings of the coordinator's agency; an admin is sent to the agency list."""
    if current_user.agency_id is None:
        return redirect(url_for("admin.agencies"))
    return render_template(
        "coordinator/agency.html",
        agency=administration.agency(current_user.agency_id),
        umbrellas=UMBRELLA_LABELS,
        weights=WEIGHT_LABELS,
    )
