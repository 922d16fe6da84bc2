"""The agency's settings, read-only for coordinators (admins change them in the admin area)."""

from flask import render_template

from matcher.labels import UMBRELLA_LABELS
from matcher.web import acting
from matcher.web.coordinator import bp


@bp.route("/agency")
def agency_settings() -> str:
    """The settings of the agency these pages work on."""
    return render_template(
        "coordinator/agency.html", agency=acting.agency(), umbrellas=UMBRELLA_LABELS
    )
