"""Coordinator pages: dashboard, volunteer and newcomer lists, details, intake, certificates.

Views load what the page is about (`common.one`, scoped to the agency), validate a form,
call one service, and answer: a redirect to the next page after a POST, or the page itself with
the reason when the service refused (`common.back_to`).
"""

from datetime import datetime

from flask import abort, flash, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice

from matcher.domain import phones, transitions
from matcher.domain.contact import Contact
from matcher.domain.eligibility import certificate_expires_on
from matcher.domain.errors import Conflict, Invalid
from matcher.domain.vocab import CONSENT_PURPOSES, mask_to_slots
from matcher.labels import (
    CONSENT_PURPOSE_LABELS,
    NEWCOMER_STATUS_LABELS,
    VOLUNTEER_STATUS_LABELS,
    choices,
)
from matcher.models import Newcomer, Volunteer, today
from matcher.services.matching import views, workqueue
from matcher.services.people import (
    certificates,
    consents,
    directory,
    erasure,
    households,
    intake,
    screening,
)
from matcher.services.platform.administration import agencies as agencies_to_choose
from matcher.web import acting, common, messages
from matcher.web.coordinator import bp
from matcher.web.coordinator import workqueue as workqueue_views
from matcher.web.coordinator.forms import (
    CertificateForm,
    ConsentGiveForm,
    ConsentWithdrawForm,
    EraseForm,
    IntakeForm,
    NewcomerForm,
    PeopleFilterForm,
    StatusForm,
)
from matcher.web.coordinator.workqueue_forms import DigestForm


@bp.route("/dashboard")
def dashboard() -> str:
    """An overview of the agency's people and its matching (an admin first chooses one)."""
    if not acting.has_agency():
        return render_template("coordinator/choose_agency.html", agencies=agencies_to_choose())
    agency = acting.agency()
    user = common.actor()
    return render_template(
        "coordinator/dashboard.html",
        counts=directory.counts(),
        overview=views.overview(agency, today()),
        agency=agency,
        work=workqueue.today_list(agency.id, today(), stale_days=workqueue_views.stale_days()),
        stale_days=workqueue_views.stale_days(),
        digest_form=(
            DigestForm(formdata=None, weekly_digest=user.weekly_digest)
            if user.role == "coordinator"
            else None
        ),
    )


def _filters(labels: dict[str, str]) -> PeopleFilterForm:
    form = PeopleFilterForm(request.args)
    form.status.choices = choices(labels, blank=_l("All"))
    if request.args and not form.validate():
        abort(400)
    return form


# --------------------------------------------------------------------------- volunteers


@bp.route("/volunteers")
def volunteers() -> str:
    """The agency's volunteers, searchable, filtered and paged."""
    form = _filters(VOLUNTEER_STATUS_LABELS)
    page = directory.list_volunteers(
        form.q.data or "",
        form.status.data or "",
        common.page_arg(),
        language=form.language.data or "",
        area=form.area.data or "",
    )
    return render_template("coordinator/volunteers.html", form=form, page=page)


def _volunteer_page(v: Volunteer, certificate: CertificateForm | None = None) -> str:
    return render_template(
        "coordinator/volunteer.html",
        v=v,
        consents=screening.consents(v),
        certificate=certificate or CertificateForm(formdata=None),
        certificate_valid=v.certificate_valid_on(today()),
        certificate_expires_on=certificate_expires_on,
        status_form=StatusForm(formdata=None),
        changes=transitions.changes_from(v),
        patenschaften=views.person_matches(v),
    )


@bp.route("/volunteers/<int:volunteer_id>")
def volunteer(volunteer_id: int) -> str:
    """One volunteer's profile, consents, screening and certificate; the view is audited."""
    v = common.one(Volunteer, volunteer_id)
    screening.view(v, common.actor())
    return _volunteer_page(v)


@bp.route("/volunteers/<int:volunteer_id>/status", methods=["POST"])
def volunteer_status(volunteer_id: int) -> ResponseReturnValue:
    """Activate after the interview, pause, or deactivate a volunteer."""
    v = common.one(Volunteer, volunteer_id)
    common.back_to("coordinator.volunteer", volunteer_id=v.id)
    form = StatusForm()
    if not form.validate_on_submit():
        abort(400)
    screening.change_status(v, form.change.data, common.actor(), on=today())
    return common.done(_("Status changed."), "coordinator.volunteer", volunteer_id=v.id)


@bp.route("/volunteers/<int:volunteer_id>/certificate", methods=["POST"])
def volunteer_certificate(volunteer_id: int) -> ResponseReturnValue:
    """Record the inspection of a certificate of good conduct."""
    v = common.one(Volunteer, volunteer_id)
    common.back_to("coordinator.volunteer", volunteer_id=v.id)
    form = CertificateForm()
    if not form.validate_on_submit():
        return _volunteer_page(v, certificate=form), 400
    try:
        certificates.record_inspection(
            v,
            form.inspected_on.data,
            form.issued_on.data,
            form.result.data,
            common.actor(),
            on=today(),
        )
    except Invalid as e:  # the dates do not fit together: say so at the field
        field = form.inspected_on if e.code == "certificate_in_future" else form.issued_on
        field.errors = [messages.text(e)]
        return _volunteer_page(v, certificate=form), 400
    return common.done(_("Inspection recorded."), "coordinator.volunteer", volunteer_id=v.id)


@bp.route("/volunteers/certificates")
def certificates_needed() -> str:
    """Volunteers without a valid certificate, those whose runs out soon, and how many
    families with children are waiting."""
    return render_template(
        "coordinator/volunteers_certificates.html",
        need=certificates.needed(today()),
        certificate_expires_on=certificate_expires_on,
        today=today(),
    )


# --------------------------------------------------------------------------- newcomers


@bp.route("/newcomers")
def newcomers() -> str:
    """The agency's newcomers, searchable, filtered and paged."""
    form = _filters(NEWCOMER_STATUS_LABELS)
    page = directory.list_newcomers(
        form.q.data or "",
        form.status.data or "",
        common.page_arg(),
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
        contact=Contact(
            phone=form.phone.data or "",
            channel=form.contact_channel.data or None,
            social_worker_contact=form.social_worker_contact.data or "",
            interpreter_needed=bool(form.interpreter_needed.data),
            interpreter_language=form.interpreter_language.data or None,
        ),
        correspondence_language=form.correspondence_language.data or None,
        max_distance_km=(
            float(form.max_distance_km.data) if form.max_distance_km.data is not None else None
        ),
        gender=form.gender.data or None,
        interests=list(form.interests.data or []),
        household=households.Household(
            size=form.household_size.data or 1,
            child_age_bands=list(form.child_age_bands.data or []),
            needs=list(form.household_needs.data or []),
        ),
    )


def _add_language_row(form: NewcomerForm) -> bool:
    """The no-JavaScript "add another language" round trip; True if that was the request."""
    if not form.add_language.data:
        return False
    if len(form.languages.entries) < form.languages.max_entries:
        form.languages.append_entry()
    return True


@bp.route("/newcomers/new", methods=["GET", "POST"])
def newcomer_new() -> ResponseReturnValue:
    """Register a newcomer, with the consent taken on paper or in person."""
    form = IntakeForm()
    if request.method == "POST" and _add_language_row(form):
        return render_template("coordinator/newcomer_form.html", form=form, n=None)
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("coordinator/newcomer_form.html", form=form, n=None), status
    consent = intake.StaffConsent(
        purposes=form.consents(),
        language=form.consent_language.data,
        channel=form.consent_channel.data,
        interpreter_role=form.role(),
    )
    n = intake.register(acting.agency(), _details(form), consent, common.actor(), on=today())
    return common.done(
        _("%(name)s is registered and waiting for a volunteer.", name=n.first_name),
        "coordinator.newcomer",
        newcomer_id=n.id,
    )


def _give_form(n: Newcomer, missing: list[str]) -> ConsentGiveForm:
    """The form for a consent given later, offering the purposes not in force."""
    form = ConsentGiveForm(formdata=None)
    form.purpose.data = missing[0] if missing else None
    form.consent_language.data = consents.default_language(n)
    return form


def _newcomer_page(
    n: Newcomer, erase: EraseForm | None = None, give: ConsentGiveForm | None = None
) -> str:
    history = consents.history(n)
    held = {c.purpose for c in history if c.withdrawn_at is None}
    missing = [p for p in CONSENT_PURPOSES if p not in held]
    give = give or _give_form(n, missing)
    give.purpose.choices = [SelectChoice(p, CONSENT_PURPOSE_LABELS[p]) for p in missing]
    agency = acting.agency()
    return render_template(
        "coordinator/newcomer.html",
        n=n,
        consents=history,
        missing=missing,
        give=give,
        withdraw=ConsentWithdrawForm(formdata=None),
        notice_version=consents.notice_version_for(agency, "de"),
        status_form=StatusForm(formdata=None),
        erase=erase or EraseForm(formdata=None),
        changes=transitions.changes_from(n),
        patenschaften=views.person_matches(n),
    )


@bp.route("/newcomers/<int:newcomer_id>")
def newcomer(newcomer_id: int) -> str:
    """One newcomer's profile; every view is audited."""
    n = common.one(Newcomer, newcomer_id)
    intake.view(n, common.actor())
    return _newcomer_page(n)


@bp.route("/newcomers/<int:newcomer_id>/edit", methods=["GET", "POST"])
def newcomer_edit(newcomer_id: int) -> ResponseReturnValue:
    """Change a newcomer's details."""
    n = common.one(Newcomer, newcomer_id)
    if n.anonymised_at is not None:
        abort(404)
    if request.method == "GET":
        form = NewcomerForm(formdata=None, obj=n)
        form.languages.fill({lang.code: lang.level for lang in n.languages})
        form.slots.data = mask_to_slots(n.slots)
        form.mentor_gender.data = n.mentor_gender or ""
        form.phone.data = phones.display(n.phone)
        form.contact_channel.data = n.contact_channel or ""
        form.interpreter_language.data = n.interpreter_language or ""
        form.gender.data = n.gender or ""
        form.interests.data = list(n.interests or [])
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
        intake.update_details(n, _details(form), common.actor(), loaded_at)
    except Conflict as e:  # someone saved meanwhile: keep what was typed, say so
        flash(messages.text(e), "error")
        return render_template("coordinator/newcomer_form.html", form=form, n=n), 409
    return common.done(_("Changes saved."), "coordinator.newcomer", newcomer_id=n.id)


@bp.route("/newcomers/<int:newcomer_id>/status", methods=["POST"])
def newcomer_status(newcomer_id: int) -> ResponseReturnValue:
    """Pause, resume, close or reopen a newcomer."""
    n = common.one(Newcomer, newcomer_id)
    common.back_to("coordinator.newcomer", newcomer_id=n.id)
    form = StatusForm()
    if not form.validate_on_submit():
        abort(400)
    intake.change_status(n, form.change.data, common.actor(), on=today())
    return common.done(_("Status changed."), "coordinator.newcomer", newcomer_id=n.id)


@bp.route("/newcomers/<int:newcomer_id>/consents", methods=["POST"])
def newcomer_consent_give(newcomer_id: int) -> ResponseReturnValue:
    """Record a consent the newcomer gave later, or again after a withdrawal."""
    n = common.one(Newcomer, newcomer_id)
    if n.anonymised_at is not None:
        abort(404)
    common.back_to("coordinator.newcomer", newcomer_id=n.id)
    form = ConsentGiveForm()
    if not form.validate_on_submit():
        return _newcomer_page(n, give=form), 400
    taking = consents.Taking(form.consent_language.data, form.consent_channel.data, form.role())
    consent = consents.give(acting.agency(), n, form.purpose.data, taking, common.actor())
    return common.done(
        _("Consent recorded: %(purpose)s.", purpose=CONSENT_PURPOSE_LABELS[consent.purpose]),
        "coordinator.newcomer",
        newcomer_id=n.id,
    )


@bp.route("/newcomers/<int:newcomer_id>/consents/withdraw", methods=["POST"])
def newcomer_consent_withdraw(newcomer_id: int) -> ResponseReturnValue:
    """Record that the newcomer withdrew one consent; the record stays, stamped."""
    n = common.one(Newcomer, newcomer_id)
    if n.anonymised_at is not None:
        abort(404)
    common.back_to("coordinator.newcomer", newcomer_id=n.id)
    form = ConsentWithdrawForm()
    if not form.validate_on_submit():
        abort(400)
    consent = consents.withdraw(n, int(form.consent_id.data), common.actor(), on=today())
    return common.done(
        _("Withdrawal recorded: %(purpose)s.", purpose=CONSENT_PURPOSE_LABELS[consent.purpose]),
        "coordinator.newcomer",
        newcomer_id=n.id,
    )


@bp.route("/newcomers/<int:newcomer_id>/erase", methods=["POST"])
def newcomer_erase(newcomer_id: int) -> ResponseReturnValue:
    """Erase a newcomer's personal data; counts stay."""
    n = common.one(Newcomer, newcomer_id)
    form = EraseForm()
    if not form.validate_on_submit():
        return _newcomer_page(n, erase=form), 400
    erasure.erase_newcomer(n, common.actor(), on=today())
    return common.done(_("The newcomer's personal data is erased."), "coordinator.newcomers")
