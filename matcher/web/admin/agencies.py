"""Admin pages: the overview, agencies and their settings with the candidate-pair preview."""

from decimal import Decimal

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from matcher.services.matching import preview as settings_preview
from matcher.services.platform import administration
from matcher.web.admin import bp
from matcher.web.admin.forms import WEIGHT_LABELS, AgencyCreateForm, AgencySettingsForm, PreviewForm


@bp.route("/")
def index() -> str:
    """The admin's start page: what can be done here."""
    return render_template("admin/index.html")


@bp.route("/agencies", methods=["GET", "POST"])
def agencies() -> ResponseReturnValue:
    """Every agency with its counts, and a form to create one."""
    form = AgencyCreateForm()
    if form.validate_on_submit():
        try:
            agency = administration.create_agency(
                form.slug.data, form.name.data, city=form.city.data or "",
                umbrella=form.umbrella.data,
            )  # fmt: skip
        except administration.AdminError:
            form.slug.errors.append(_("An agency with this short name exists already."))
        else:
            flash(_("Agency created. Please check its settings."), "success")
            return redirect(url_for("admin.agency", agency_id=agency.id))
    status = 400 if form.errors else 200
    return render_template(
        "admin/agencies.html", agencies=administration.agencies(), form=form
    ), status


def _distance(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


@bp.route("/agencies/<int:agency_id>", methods=["GET", "POST"])
def agency(agency_id: int) -> ResponseReturnValue:
    """An agency's settings; "preview" shows the candidate pairs they leave, without saving."""
    agency = administration.agency(agency_id)
    form = AgencySettingsForm(obj=agency)
    if request.method == "GET":
        for key in WEIGHT_LABELS:
            getattr(form, f"weight_{key}").data = Decimal(
                str(agency.weights.get(key, 0.0))
            ).quantize(Decimal("0.1"))
    funnel = None
    if form.validate_on_submit():
        distance = _distance(form.max_distance_km.data)
        if form.preview.data:
            funnel = settings_preview.funnel(agency, distance)
        else:
            settings = {
                "name": form.name.data.strip(),
                "city": (form.city.data or "").strip(),
                "umbrella": form.umbrella.data,
                "privacy_contact": (form.privacy_contact.data or "").strip(),
                "max_distance_km": distance,
                "checkin_interval_weeks": form.checkin_interval_weeks.data,
                "trial_weeks": form.trial_weeks.data,
                "retention_months": form.retention_months.data,
            }
            bumped = administration.update_agency(
                agency, settings, form.weights(), form.privacy_notice_text.data or "",
                actor=current_user,
            )  # fmt: skip
            flash(_("Settings saved."), "success")
            if bumped:
                flash(
                    _("The privacy notice changed: it now has version %(v)s.",
                      v=agency.privacy_notice_version),
                    "success",
                )  # fmt: skip
            return redirect(url_for("admin.agency", agency_id=agency.id))
    elif request.method == "GET":
        funnel = settings_preview.funnel(agency, agency.max_distance_km)
    status = 400 if form.errors else 200
    return render_template(
        "admin/agency.html", agency=agency, form=form, funnel=funnel, weights=WEIGHT_LABELS
    ), status


@bp.route("/agencies/<int:agency_id>/preview")
def agency_preview(agency_id: int) -> ResponseReturnValue:
    """The candidate-pair funnel for a distance limit, as JSON for the settings page's script."""
    agency = administration.agency(agency_id)
    form = PreviewForm(request.args)
    if not form.validate():
        abort(400)
    funnel = settings_preview.funnel(agency, _distance(form.max_distance_km.data))
    return jsonify(funnel.__dict__)
