"""The agency's settings: read-only for coordinators (admins change them in the admin area),
except the must-rules of the matching and the interests, with their live preview (issue 13)."""

from flask import jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from matcher.labels import MATCHING_STAGE_LABELS, UMBRELLA_LABELS
from matcher.models import today
from matcher.services.matching import must_rules, preview
from matcher.web import acting, common
from matcher.web.coordinator import bp
from matcher.web.coordinator.must_rules_forms import MustRulesForm, MustRulesPreviewForm


def _page(form: MustRulesForm, status: int = 200) -> ResponseReturnValue:
    agency = acting.agency()
    rules = form.rules() if status == 200 and form.is_submitted() else None
    funnel = preview.rules_funnel(agency, rules or must_rules.MustRules.of(agency), today())
    return render_template(
        "coordinator/agency.html",
        agency=agency,
        umbrellas=UMBRELLA_LABELS,
        rules_form=form,
        funnel=funnel,
        stage_labels=MATCHING_STAGE_LABELS,
    ), status


@bp.route("/agency")
def agency_settings() -> ResponseReturnValue:
    """The settings of the agency these pages work on."""
    form = MustRulesForm(formdata=None)
    form.fill(must_rules.MustRules.of(acting.agency()))
    return _page(form)


@bp.post("/agency/rules")
def agency_rules() -> ResponseReturnValue:
    """Save the must-rules and the interests (audited); bad values: 400 with the reason."""
    form = MustRulesForm()
    if not form.validate_on_submit():
        return _page(form, 400)
    must_rules.save(acting.agency(), form.rules(), common.actor())
    return common.done(_("The matching rules are saved."), "coordinator.agency_settings")


@bp.get("/agency/rules/preview")
def agency_rules_preview() -> ResponseReturnValue:
    """What each hard rule leaves with the rules being tried, as JSON for the page's script."""
    form = MustRulesPreviewForm(request.args)
    if not form.validate():
        errors = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
        return jsonify(error="invalid", message=_("Please check the marked fields."),
                       fields=errors), 400  # fmt: skip
    counted = preview.rules_funnel(acting.agency(), form.rules(), today())
    return jsonify(preview.rules_json(counted))
