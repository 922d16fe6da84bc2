"""Self-service pages. A magic link opens a short session bound to the volunteer's token version.

The link's GET only shows a button; the POST opens the session, so a mail scanner that
follows links opens nothing. Every page re-checks the session against the database, so
logging out, erasure or a bumped token version end it at once.
"""

from collections.abc import Callable
from datetime import datetime

from flask import (
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from matcher import tenancy
from matcher.domain.vocab import mask_to_slots
from matcher.extensions import limiter
from matcher.models import Volunteer, today, utcnow
from matcher.services.people import households, selfservice
from matcher.web import common
from matcher.web.volunteer import bp
from matcher.web.volunteer.forms import (
    ActionForm,
    DeleteForm,
    GiveConsentForm,
    LinkRequestForm,
    MailLanguageForm,
    OpenLinkForm,
    ProfileForm,
    WithdrawForm,
)

SESSION_KEY = "volunteer"


@bp.before_request
def _load_volunteer() -> None:
    """Find the volunteer of this session (if any) and scope the request to their agency."""
    g.volunteer = None
    held = session.get(SESSION_KEY)
    if not isinstance(held, dict):
        return
    try:
        until = datetime.fromisoformat(str(held.get("until")))
    except ValueError:
        until = None
    if until is None or until.tzinfo is None or until < utcnow():
        session.pop(SESSION_KEY, None)
        return
    # Whose profile this is decides the agency: look across agencies for that one row only.
    with tenancy.all_agencies():
        volunteer = selfservice.current(held.get("v"), held.get("t"))
    if volunteer is None:
        session.pop(SESSION_KEY, None)
        return
    tenancy.enter(volunteer.agency_id)
    g.volunteer = volunteer


class _NoSession(Exception):
    """The self-service session is missing or over."""


@bp.errorhandler(_NoSession)
def _no_session(_error: _NoSession) -> ResponseReturnValue:
    flash(_("Your link has expired. Please ask for a new one."), "error")
    return redirect(url_for("volunteer.request_link"))


def _me() -> Volunteer:
    volunteer: Volunteer | None = g.get("volunteer")
    if volunteer is None:
        raise _NoSession
    common.back_to("volunteer.profile")
    return volunteer


def _link_limit() -> str:
    return str(current_app.config["SIGNUP_RATE_LIMIT"])


@bp.route("/", methods=["GET"])
def profile() -> str | Response:
    """The volunteer's profile, or the way to get a link to it."""
    volunteer: Volunteer | None = g.get("volunteer")
    if volunteer is None:
        return redirect(url_for("volunteer.request_link"))
    form = ProfileForm(formdata=None)
    _fill(form, volunteer)
    return _render_profile(volunteer, form)


def _fill(form: ProfileForm, volunteer: Volunteer) -> None:
    form.languages.fill({lang.code: lang.level for lang in volunteer.languages})
    form.slots.data = mask_to_slots(volunteer.slots)
    form.topics.data = list(volunteer.topics)
    form.capacity.data = str(max(volunteer.capacity, 1))
    form.fill_family(households.offer_of(volunteer))


def _render_profile(
    volunteer: Volunteer,
    form: ProfileForm,
    status: int = 200,
    delete_form: DeleteForm | None = None,
    language_form: MailLanguageForm | None = None,
) -> Response:
    html = render_template(
        "volunteer/profile.html",
        v=volunteer,
        form=form,
        consents=selfservice.consents(volunteer),
        agency=selfservice.agency_of(volunteer),
        action=ActionForm(),
        withdraw=WithdrawForm(formdata=None),
        give=GiveConsentForm(formdata=None),
        delete=delete_form or DeleteForm(formdata=None),
        language=language_form or _language_form(volunteer),
        until=session.get(SESSION_KEY, {}).get("until"),
    )
    # An HTML page (a bare Response would be text/plain: walk B1).
    response: Response = make_response(html, status)
    return response


@bp.route("/link", methods=["GET", "POST"])
@limiter.limit(_link_limit, methods=["POST"])
def request_link() -> str | Response | tuple[str, int]:
    """Ask for a link by mail; the answer is the same whether the address is known or not."""
    form = LinkRequestForm()
    if form.validate_on_submit():
        # The outbox worker looks the address up and mails a link to each registration
        # (several agencies: several links); here, known and unknown take the same time.
        selfservice.ask_for_link(form.email.data or "")
        return redirect(url_for("volunteer.link_sent"))
    status = 400 if request.method == "POST" else 200
    return render_template("volunteer/request_link.html", form=form), status


@bp.route("/link/sent")
def link_sent() -> str:
    """The neutral answer to a link request."""
    return render_template("volunteer/link_sent.html")


@bp.route("/open", methods=["GET", "POST"])
def open_link() -> str | Response | tuple[str, int]:
    """A magic link: GET shows a button, POST opens the profile."""
    form = OpenLinkForm(formdata=request.form if request.method == "POST" else None)
    if request.method == "GET":
        form.token.data = request.args.get("token", "")
        return render_template("volunteer/open.html", form=form, state=None)
    if not form.validate_on_submit():
        abort(400)
    with tenancy.all_agencies():
        state, volunteer = selfservice.resolve(form.token.data)
        if volunteer is None:
            return render_template("volunteer/open.html", form=form, state=state.value), 400
        version = selfservice.open_session(volunteer)
    common.fresh_session()  # nothing of an earlier visitor carries over
    # The profile opens in the volunteer's own language (the one their mails are written in).
    session["lang"] = volunteer.locale
    session[SESSION_KEY] = {
        "v": volunteer.id,
        "t": version,
        "until": selfservice.session_expiry().isoformat(),
    }
    return redirect(url_for("volunteer.profile"))


@bp.route("/profile", methods=["POST"])
def update_profile() -> ResponseReturnValue:
    """Save languages, times, topics and capacity."""
    volunteer = _me()
    form = ProfileForm()
    if form.add_language.data:
        if len(form.languages.entries) < form.languages.max_entries:
            form.languages.append_entry()
        return _render_profile(volunteer, form)
    if not form.validate_on_submit():
        return _render_profile(volunteer, form, 400)
    selfservice.update_profile(
        volunteer,
        form.languages.as_dict(),
        list(form.slots.data),
        int(form.capacity.data),
        list(form.topics.data or []),
        form.family_offer(),
    )
    return common.done(_("Your changes are saved."), "volunteer.profile")


def _language_form(volunteer: Volunteer) -> MailLanguageForm:
    form = MailLanguageForm(formdata=None)
    form.locale.data = volunteer.locale
    return form


@bp.route("/language", methods=["POST"])
def set_language() -> ResponseReturnValue:
    """Choose the language of one's mails; the pages switch to it as well."""
    volunteer = _me()
    form = MailLanguageForm()
    if not form.validate_on_submit():
        return _render_profile(volunteer, _filled(volunteer), 400, language_form=form)
    selfservice.set_language(volunteer, form.locale.data)
    session["lang"] = form.locale.data
    with force_locale(form.locale.data):
        message = _("Your language is saved. We will write to you in it.")
    return common.done(message, "volunteer.profile")


@bp.route("/pause", methods=["POST"])
def pause() -> ResponseReturnValue:
    """Take a break from new Patenschaften."""
    return _act(selfservice.pause, _("You are on a break. We will not suggest anyone new."))


@bp.route("/resume", methods=["POST"])
def resume() -> ResponseReturnValue:
    """End the break."""
    return _act(selfservice.resume, _("Welcome back! You can be matched again."))


def _act(action: Callable[..., None], message: str) -> ResponseReturnValue:
    volunteer = _me()
    if not ActionForm().validate_on_submit():
        abort(400)
    action(volunteer, on=today())
    return common.done(message, "volunteer.profile")


@bp.route("/consent/withdraw", methods=["POST"])
def withdraw_consent() -> ResponseReturnValue:
    """Withdraw the consent for one purpose."""
    volunteer = _me()
    form = WithdrawForm()
    if not form.validate_on_submit():
        abort(400)
    selfservice.withdraw_consent(volunteer, form.purpose.data, on=today())
    return common.done(_("Your consent is withdrawn."), "volunteer.profile")


@bp.route("/consent/give", methods=["POST"])
def give_consent() -> ResponseReturnValue:
    """Give a consent again (e.g. to passing on contact details)."""
    volunteer = _me()
    form = GiveConsentForm()
    if not form.validate_on_submit():
        abort(400)
    selfservice.give_consent(volunteer, form.purpose.data, str(get_locale() or "de"))
    return common.done(_("Thank you, your consent is recorded."), "volunteer.profile")


@bp.route("/delete", methods=["POST"])
def delete() -> ResponseReturnValue:
    """Delete everything about the volunteer."""
    volunteer = _me()
    form = DeleteForm()
    if not form.validate_on_submit():
        return _render_profile(volunteer, _filled(volunteer), 400, delete_form=form)
    selfservice.erase(volunteer, on=today())
    session.pop(SESSION_KEY, None)
    return redirect(url_for("volunteer.deleted"))


def _filled(volunteer: Volunteer) -> ProfileForm:
    form = ProfileForm(formdata=None)
    _fill(form, volunteer)
    return form


@bp.route("/deleted")
def deleted() -> str:
    """Confirmation that nothing is left."""
    return render_template("volunteer/deleted.html")


@bp.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    """Close the profile; every link sent so far stops working."""
    volunteer = _me()
    if not ActionForm().validate_on_submit():
        abort(400)
    selfservice.end_session(volunteer)
    session.pop(SESSION_KEY, None)
    return common.done(
        _("Your profile is closed. Ask for a new link whenever you need one."),
        "volunteer.request_link",
    )
