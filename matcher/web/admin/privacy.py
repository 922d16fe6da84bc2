"""Admin pages: a person's data (Art. 15/20), erasure (Art. 17) and the audit log."""

import json

from flask import Response, abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from matcher.extensions import db
from matcher.models import Newcomer, Volunteer, today
from matcher.services.people import gdpr
from matcher.services.people.erasure import erase_person
from matcher.services.platform import administration, notices
from matcher.web import common
from matcher.web.admin import bp
from matcher.web.admin.common import agency_choices
from matcher.web.admin.forms import AuditFilterForm, ConfirmForm, EraseForm, PersonSearchForm


def _person(kind: str, person_id: int) -> Volunteer | Newcomer:
    person: Volunteer | Newcomer
    if kind == "volunteer":
        person = db.get_or_404(Volunteer, person_id)
    elif kind == "newcomer":
        person = db.get_or_404(Newcomer, person_id)
    else:
        abort(404)
    if person.anonymised_at is not None:
        abort(404)
    return person


@bp.route("/privacy")
def privacy() -> ResponseReturnValue:
    """Find a person to answer an access request or to erase them."""
    form = PersonSearchForm(request.args)
    if request.args and not form.validate():
        abort(400)
    volunteers, newcomers = gdpr.find_people(form.q.data or "")
    return render_template(
        "admin/privacy.html",
        form=form,
        volunteers=volunteers,
        newcomers=newcomers,
        action=ConfirmForm(),
        searched=bool(form.q.data),
        agency_names=dict(administration.agency_names()),
    )


@bp.route("/privacy/<kind>/<int:person_id>/data.json", methods=["POST"])
def person_data(kind: str, person_id: int) -> ResponseReturnValue:
    """Everything stored about the person as a JSON file (audited)."""
    person = _person(kind, person_id)
    data = gdpr.person_data(person, common.actor())
    body = json.dumps(data, ensure_ascii=False, indent=2)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{kind}-{person.id}.json"'},
    )


@bp.route("/privacy/<kind>/<int:person_id>/erase", methods=["GET", "POST"])
def erase(kind: str, person_id: int) -> ResponseReturnValue:
    """Confirm, then erase the person: names, contacts and notes go; counts stay."""
    person = _person(kind, person_id)
    form = EraseForm()
    if form.validate_on_submit():
        notices.send(erase_person(person, common.actor(), on=today()).notices)
        return common.done(_("The person's data was erased."), "admin.privacy")
    status = 400 if form.errors else 200
    return render_template("admin/erase.html", form=form, person=person, kind=kind), status


@bp.route("/audit")
def audit_log() -> ResponseReturnValue:
    """Who saw, changed, approved or exported what, newest first (never the data itself)."""
    form = AuditFilterForm(request.args)
    agency_choices(form.agency, blank=_("All agencies"))
    if request.args and not form.validate():
        # The filter again with its messages (e.g. a day outside 1900–2100), no entries.
        return render_template("admin/audit.html", form=form, result=None), 400
    result = administration.audit_log(
        common.page_arg(),
        agency_id=form.agency.data or None,
        action=(form.action.data or "").strip(),
        actor_email=(form.actor.data or "").strip(),
        day_from=form.date_from.data,
        day_to=form.date_to.data,
    )
    return render_template("admin/audit.html", form=form, result=result)
