"""Coordinator pages: dashboard, volunteer and newcomer lists, details, intake, certificates."""

from datetime import datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from matcher.models import Newcomer, Volunteer
from matcher.models.vocab import mask_to_slots
from matcher.services.people import certificates, intake, screening
from matcher.services.people import directory as people
from matcher.web.coordinator import bp
from matcher.web.coordinator.forms import (
    CertificateForm,
    EraseForm,
    IntakeForm,
    NewcomerForm,
    PeopleFilterForm,
    StatusForm,
)
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


# --------------------------------------------------------------------------- volunteers


@bp.route("/volunteers")
def volunteers() -> str:
    """The agency's volunteers, searchable, filtered and paged."""
    form = _filters(VOLUNTEER_STATUS_LABELS)
    page = people.list_volunteers(
        form.q.data or "",
        form.status.data or "",
        _page(),
        language=form.language.data or "",
        area=form.area.data or "",
    )
    return render_template("coordinator/volunteers.html", form=form, page=page)


def _volunteer_page(
    v: Volunteer, certificate: CertificateForm | None = None, status: int = 200
) -> tuple[str, int]:
    html = render_template(
        "coordinator/volunteer.html",
        v=v,
        consents=screening.consents(v),
        certificate=certificate or CertificateForm(formdata=None),
        status_form=StatusForm(formdata=None),
        transitions=screening.TRANSITIONS,
        expires_on=certificates.expires_on,
    )
    return html, status


@bp.route("/volunteers/<int:volunteer_id>")
def volunteer(volunteer_id: int) -> tuple[str, int]:
    """One volunteer's profile, consents, screening and certificate."""
    return _volunteer_page(people.view_volunteer(volunteer_id))


@bp.route("/volunteers/<int:volunteer_id>/status", methods=["POST"])
def volunteer_status(volunteer_id: int) -> Response | tuple[str, int]:
    """Activate after the interview, pause, or deactivate a volunteer."""
    v = people.view_volunteer(volunteer_id)
    form = StatusForm()
    if not form.validate_on_submit() or form.change.data not in screening.TRANSITIONS:
        abort(400)
    try:
        screening.change_status(v, form.change.data, current_user._get_current_object())
    except screening.ScreeningError as e:
        flash(_screening_message(str(e)), "error")
        return _volunteer_page(people.view_volunteer(volunteer_id), status=409)
    flash(_("Status changed."), "info")
    return redirect(url_for("coordinator.volunteer", volunteer_id=v.id))


def _screening_message(reason: str) -> str:
    if "not confirmed" in reason:
        return str(_("The volunteer has not confirmed their email address yet."))
    if "consent" in reason:
        return str(_("The volunteer has not consented to the matching."))
    return str(_("This change is not possible in the volunteer's current status."))


@bp.route("/volunteers/<int:volunteer_id>/certificate", methods=["POST"])
def volunteer_certificate(volunteer_id: int) -> Response | tuple[str, int]:
    """Record the inspection of a certificate of good conduct."""
    v = people.view_volunteer(volunteer_id)
    form = CertificateForm()
    if form.validate_on_submit():
        try:
            certificates.record_inspection(
                v,
                form.inspected_on.data,
                form.issued_on.data,
                form.result.data,
                current_user._get_current_object(),
            )
        except certificates.CertificateError as e:
            form.issued_on.errors = [_certificate_message(str(e))]
        else:
            flash(_("Inspection recorded."), "info")
            return redirect(url_for("coordinator.volunteer", volunteer_id=v.id))
    return _volunteer_page(v, certificate=form, status=400)


def _certificate_message(reason: str) -> str:
    if "future" in reason:
        return str(_("The inspection date cannot be in the future."))
    if "after" in reason:
        return str(_("The certificate cannot be issued after it was inspected."))
    if "old" in reason:
        return str(_("This certificate is more than five years old; please ask for a new one."))
    return str(_("This inspection cannot be recorded."))


@bp.route("/volunteers/certificates")
def certificates_needed() -> str:
    """Volunteers without a valid certificate, and how many children's families are waiting."""
    return render_template(
        "coordinator/volunteers_certificates.html",
        need=certificates.needed(),
        expires_on=certificates.expires_on,
    )


# --------------------------------------------------------------------------- newcomers


@bp.route("/newcomers")
def newcomers() -> str:
    """The agency's newcomers, searchable, filtered and paged."""
    form = _filters(NEWCOMER_STATUS_LABELS)
    page = people.list_newcomers(
        form.q.data or "",
        form.status.data or "",
        _page(),
        language=form.language.data or "",
        area=form.area.data or "",
    )
    return render_template("coordinator/newcomers.html", form=form, page=page)


def _details(form: NewcomerForm) -> intake.NewcomerDetails:
    return intake.NewcomerDetails(
        first_name=form.first_name.data,
        contact_note=form.contact_note.data or "",
        postcode=form.postcode.data,
        age_band=form.age_band.data,
        languages=form.languages.as_dict(),
        slots=list(form.slots.data),
        topics=list(form.topics.data or []),
        minors=bool(form.minors.data),
        mentor_gender=form.mentor_gender.data or None,
    )


def _add_language_row(form: NewcomerForm) -> bool:
    """The no-JavaScript "add another language" round trip; True if that was the request."""
    if not form.add_language.data:
        return False
    if len(form.languages.entries) < form.languages.max_entries:
        form.languages.append_entry()
    return True


@bp.route("/newcomers/new", methods=["GET", "POST"])
def newcomer_new() -> str | Response | tuple[str, int]:
    """Register a newcomer, with the consent taken on paper or in person."""
    if current_user.agency_id is None:
        abort(403)  # admins belong to no agency; a coordinator registers for theirs
    form = IntakeForm()
    if request.method == "POST" and _add_language_row(form):
        return render_template("coordinator/newcomer_form.html", form=form, n=None)
    if form.validate_on_submit():
        consent = intake.StaffConsent(
            purposes=form.consents(),
            language=form.consent_language.data,
            channel=form.consent_channel.data,
        )
        try:
            n = intake.register(_details(form), consent, current_user._get_current_object())
        except intake.IntakeError:
            abort(400)
        flash(_("%(name)s is registered and waiting for a mentor.", name=n.first_name), "info")
        return redirect(url_for("coordinator.newcomer", newcomer_id=n.id))
    status = 400 if request.method == "POST" else 200
    return render_template("coordinator/newcomer_form.html", form=form, n=None), status


def _newcomer_page(
    n: Newcomer, erase: EraseForm | None = None, status: int = 200
) -> tuple[str, int]:
    html = render_template(
        "coordinator/newcomer.html",
        n=n,
        consents=intake.consents(n),
        status_form=StatusForm(formdata=None),
        erase=erase or EraseForm(formdata=None),
        transitions=intake.TRANSITIONS,
    )
    return html, status


@bp.route("/newcomers/<int:newcomer_id>")
def newcomer(newcomer_id: int) -> tuple[str, int]:
    """One newcomer's profile; every view is audited."""
    return _newcomer_page(people.view_newcomer(newcomer_id))


@bp.route("/newcomers/<int:newcomer_id>/edit", methods=["GET", "POST"])
def newcomer_edit(newcomer_id: int) -> str | Response | tuple[str, int]:
    """Change a newcomer's details."""
    n = people.view_newcomer(newcomer_id)
    if n.anonymised_at is not None:
        abort(404)
    if request.method == "GET":
        form = NewcomerForm(formdata=None, obj=n)
        form.languages.fill({lang.code: lang.level for lang in n.languages})
        form.slots.data = mask_to_slots(n.slots)
        form.mentor_gender.data = n.mentor_gender or ""
        form.loaded_at.data = n.updated_at.isoformat()
        return render_template("coordinator/newcomer_form.html", form=form, n=n)
    form = NewcomerForm()
    if _add_language_row(form):
        return render_template("coordinator/newcomer_form.html", form=form, n=n)
    if not form.validate_on_submit():
        return render_template("coordinator/newcomer_form.html", form=form, n=n), 400
    try:
        loaded_at = datetime.fromisoformat(form.loaded_at.data) if form.loaded_at.data else None
    except ValueError:
        abort(400)
    if loaded_at is not None and loaded_at.tzinfo is None:
        abort(400)
    try:
        intake.update_details(n, _details(form), current_user._get_current_object(), loaded_at)
    except intake.Conflict:
        flash(
            _("Someone else has changed this newcomer meanwhile. Please check and save again."),
            "error",
        )
        return render_template("coordinator/newcomer_form.html", form=form, n=n), 409
    except intake.IntakeError:
        abort(400)
    flash(_("Changes saved."), "info")
    return redirect(url_for("coordinator.newcomer", newcomer_id=n.id))


@bp.route("/newcomers/<int:newcomer_id>/status", methods=["POST"])
def newcomer_status(newcomer_id: int) -> Response | tuple[str, int]:
    """Pause, resume, close or reopen a newcomer."""
    n = people.view_newcomer(newcomer_id)
    form = StatusForm()
    if not form.validate_on_submit() or form.change.data not in intake.TRANSITIONS:
        abort(400)
    try:
        intake.change_status(n, form.change.data, current_user._get_current_object())
    except intake.IntakeError as e:
        if "Patenschaft" in str(e):
            flash(_("Please end the Patenschaft first."), "error")
        else:
            flash(_("This change is not possible in the newcomer's current status."), "error")
        return _newcomer_page(people.view_newcomer(newcomer_id), status=409)
    flash(_("Status changed."), "info")
    return redirect(url_for("coordinator.newcomer", newcomer_id=n.id))


@bp.route("/newcomers/<int:newcomer_id>/erase", methods=["POST"])
def newcomer_erase(newcomer_id: int) -> Response | tuple[str, int]:
    """Erase a newcomer's personal data; counts stay."""
    n = people.view_newcomer(newcomer_id)
    form = EraseForm()
    if not form.validate_on_submit():
        return _newcomer_page(n, erase=form, status=400)
    intake.erase(n, current_user._get_current_object())
    flash(_("The newcomer's personal data is erased."), "info")
    return redirect(url_for("coordinator.newcomers"))
