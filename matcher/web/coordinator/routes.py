"""Coordinator pages: dashboard, volunteer and newcomer lists and details."""

from flask import abort, render_template, request
from flask_babel import lazy_gettext as _l

from matcher.services import people
from matcher.web.coordinator import bp
from matcher.web.coordinator.forms import PeopleFilterForm
from matcher.web.labels import NEWCOMER_STATUS_LABELS, VOLUNTEER_STATUS_LABELS, choices


@bp.route("/dashboard")
def dashboard() -> str:
    """An overview of the agency's people."""
    return render_template("coordinator/dashboard.html", counts=people.counts())


def _filters(labels: dict[str, str]) -> PeopleFilterForm:
    form = PeopleFilterForm(request.args)
    form.status.choices = choices(labels, blank=_l("All"))
    if request.args and not form.validate():
        abort(400)
    return form


def _page() -> int:
    page = request.args.get("page", "1")
    if not page.isdigit() or not 1 <= int(page) <= 100_000:
        abort(400)
    return int(page)


@bp.route("/volunteers")
def volunteers() -> str:
    """The agency's volunteers, searchable and paged."""
    form = _filters(VOLUNTEER_STATUS_LABELS)
    page = people.list_volunteers(form.q.data or "", form.status.data or "", _page())
    return render_template("coordinator/volunteers.html", form=form, page=page)


@bp.route("/volunteers/<int:volunteer_id>")
def volunteer(volunteer_id: int) -> str:
    """One volunteer's profile."""
    return render_template("coordinator/volunteer.html", v=people.view_volunteer(volunteer_id))


@bp.route("/newcomers")
def newcomers() -> str:
    """The agency's newcomers, searchable and paged."""
    form = _filters(NEWCOMER_STATUS_LABELS)
    page = people.list_newcomers(form.q.data or "", form.status.data or "", _page())
    return render_template("coordinator/newcomers.html", form=form, page=page)


@bp.route("/newcomers/<int:newcomer_id>")
def newcomer(newcomer_id: int) -> str:
    """One newcomer's profile; every view is audited."""
    return render_template("coordinator/newcomer.html", n=people.view_newcomer(newcomer_id))
