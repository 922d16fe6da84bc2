"""The work queue ("Heute zu tun"): every item of one kind, the letter asking a volunteer
for a new certificate of good conduct, and the opt-in to the weekly digest.

The dashboard (`routes.dashboard`) shows the first items of each kind; the queries live in
`matcher.services.matching.workqueue`, so the dashboard, this page and the digest count
the same.
"""

from datetime import date, timedelta

from babel.dates import format_date
from flask import abort, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from matcher.domain.eligibility import certificate_expires_on
from matcher.models import Volunteer, today
from matcher.services.matching import digest, workqueue
from matcher.web import acting, common
from matcher.web.coordinator import bp
from matcher.web.coordinator.workqueue_forms import DigestForm


def stale_days() -> int:
    """`PROPOSAL_STALE_DAYS`: after how many days an undecided proposal is listed."""
    return int(current_app.config.get("PROPOSAL_STALE_DAYS", workqueue.PROPOSAL_STALE_DAYS))


@bp.get("/today")
def workqueue_kind() -> str:
    """Every item of one kind of "Heute zu tun" (`?kind=`), a page at a time."""
    name = request.args.get("kind", "")
    if name not in workqueue.KINDS:
        abort(404)
    page = common.page_arg()
    found = workqueue.kind(
        acting.agency().id,
        name,
        today(),
        stale_days=stale_days(),
        limit=workqueue.PAGE_ITEMS,
        offset=(page - 1) * workqueue.PAGE_ITEMS,
    )
    pages = max(1, -(-found.count // workqueue.PAGE_ITEMS))
    return render_template(
        "coordinator/workqueue.html",
        kind=found,
        page=page,
        pages=pages,
        stale_days=stale_days(),
    )


@bp.get("/volunteers/<int:volunteer_id>/certificate-letter")
def certificate_letter(volunteer_id: int) -> str:
    """A printable letter asking the volunteer for a new extended certificate, with the
    agency's confirmation for the fee waiver (volunteer work)."""
    v = common.one(Volunteer, volunteer_id)
    expires = (
        certificate_expires_on(v.certificate_issued_on)
        if v.certificate_issued_on is not None and v.certificate_result == "clear"
        else None
    )
    return render_template(
        "coordinator/documents/certificate_letter.html",
        v=v,
        agency=acting.agency(),
        expires_on=expires,
        # The rule gives the first day that no longer counts; the letter names the last.
        last_valid_on=expires - timedelta(days=1) if expires is not None else None,
        on=today(),
        de_date=_german_date,
    )


def _german_date(day: date, style: str = "long") -> str:
    """A date in German whatever the page language: the letter is always German."""
    return format_date(day, style, locale="de")


@bp.post("/today/digest")
def digest_opt_in() -> ResponseReturnValue:
    """A coordinator opts in to the weekly digest mail, or out of it."""
    user = common.actor()
    if user.role != "coordinator":
        abort(403)
    form = DigestForm()
    if not form.validate_on_submit():
        abort(400)
    digest.set_opt_in(user, bool(form.weekly_digest.data))
    message = (
        _("You will get a weekly summary by e-mail.")
        if user.weekly_digest
        else _("You will get no weekly summary.")
    )
    return common.done(message, "coordinator.dashboard")
