"""Admin pages: the overview, agencies and their settings with the candidate-pair preview."""

from decimal import Decimal

from flask import abort, flash, jsonify, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from matcher.domain.errors import ServiceError
from matcher.labels import COMPONENT_LABELS
from matcher.models import Agency, today
from matcher.services.matching import preview as settings_preview
from matcher.services.platform import administration
from matcher.web import acting, common, messages
from matcher.web.admin import bp
from matcher.web.admin.forms import (
    ActAsForm,
    ActAsStopForm,
    AgencyCreateForm,
    AgencySettingsForm,
    PreviewForm,
)
from matcher.web.safety import safe_next


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
                umbrella=form.umbrella.data, actor=common.actor(),
            )  # fmt: skip
        except ServiceError as e:
            form.slug.errors.append(messages.text(e))
        else:
            return common.done(
                _("Agency created. Please check its settings."), "admin.agency", agency_id=agency.id
            )
    status = 400 if form.errors else 200
    return render_template(
        "admin/agencies.html", agencies=administration.agencies(), form=form
    ), status


def _distance(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


@bp.route("/agencies/<int:agency_id>", methods=["GET", "POST"])
def agency(agency_id: int) -> ResponseReturnValue:
    """An agency's settings; "preview" shows the candidate pairs they leave, without saving."""
    agency = common.one(Agency, agency_id)
    form = AgencySettingsForm(obj=agency)
    if request.method == "GET":
        for key in COMPONENT_LABELS:
            getattr(form, f"weight_{key}").data = Decimal(
                str(agency.weights.get(key, 0.0))
            ).quantize(Decimal("0.1"))
    funnel = None
    if form.validate_on_submit():
        distance = _distance(form.max_distance_km.data)
        if form.preview.data:
            funnel = settings_preview.funnel(agency, distance, today())
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
                "two_factor_required": bool(form.two_factor_required.data),
            }
            bumped = administration.update_agency(
                agency, settings, form.weights(), form.privacy_notice_text.data or "",
                actor=common.actor(),
            )  # fmt: skip
            if bumped:
                flash(_("The privacy notice changed: it now has version %(v)s.",
                        v=agency.privacy_notice_version), "success")  # fmt: skip
            return common.done(_("Settings saved."), "admin.agency", agency_id=agency.id)
    elif request.method == "GET":
        funnel = settings_preview.funnel(agency, agency.max_distance_km, today())
    status = 400 if form.errors else 200
    return render_template(
        "admin/agency.html", agency=agency, form=form, funnel=funnel, weights=COMPONENT_LABELS
    ), status


@bp.route("/agencies/<int:agency_id>/preview")
def agency_preview(agency_id: int) -> ResponseReturnValue:
    """The candidate-pair funnel for a distance limit, as JSON for the settings page's script."""
    agency = common.one(Agency, agency_id)
    form = PreviewForm(request.args)
    if not form.validate():
        abort(400)
    funnel = settings_preview.funnel(agency, _distance(form.max_distance_km.data), today())
    return jsonify(settings_preview.as_json(funnel))


@bp.route("/act-as", methods=["GET", "POST"])
def act_as() -> ResponseReturnValue:
    """Choose the agency whose people an admin works on (audited); shown on every page."""
    form = ActAsForm()
    form.agency.choices = [(str(i), name) for i, name in administration.agency_names()]
    if form.validate_on_submit():
        agency = common.one(Agency, int(form.agency.data))
        administration.act_as(agency, common.actor())
        session[acting.SESSION_KEY] = agency.id
        flash(_("You now work on the people of %(agency)s.", agency=agency.name), "success")
        return redirect(safe_next(form.next.data) or url_for("coordinator.dashboard"))
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
        chosen = acting.chosen_agency_id()
        if chosen is not None:
            form.agency.data = str(chosen)
    status = 400 if form.errors else 200
    return render_template("admin/act_as.html", form=form), status


@bp.post("/act-as/stop")
def stop_acting() -> ResponseReturnValue:
    """Stop working on an agency's people."""
    if not ActAsStopForm().validate_on_submit():
        abort(400)
    session.pop(acting.SESSION_KEY, None)
    return common.done(_("You no longer work on an agency's people."), "admin.index")
