"""Volunteer sign-up: the form per agency, its privacy notice, and the confirmation link."""

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import HiddenField
from wtforms.validators import DataRequired, Length

from matcher import tenancy
from matcher.extensions import limiter
from matcher.models import Agency
from matcher.services.people import selfservice
from matcher.services.people import signup as signup_service
from matcher.services.platform import administration
from matcher.web.public import bp
from matcher.web.public.signup_forms import SignupForm


class TokenForm(FlaskForm):
    """A signed link's token, sent back by a button (so a mail scanner's GET changes nothing)."""

    token = HiddenField(validators=[DataRequired(), Length(max=500)])


def _agency(slug: str) -> Agency:
    agency = administration.agency_by_slug(slug) if len(slug) <= 64 else None
    if agency is None:
        abort(404)
    # The sign-up writes this agency's rows, and only this agency's.
    tenancy.enter(agency.id)
    return agency


def _signup_limit() -> str:
    return str(current_app.config["SIGNUP_RATE_LIMIT"])


@bp.route("/signup")
def signup_start() -> str | Response:
    """Choose the agency to sign up with (or go straight to the only one)."""
    agencies = signup_service.agencies()
    if len(agencies) == 1:
        return redirect(url_for("public.signup", slug=agencies[0].slug))
    return render_template("public/signup_start.html", agencies=agencies)


@bp.route("/signup/<slug>", methods=["GET", "POST"])
@limiter.limit(_signup_limit, methods=["POST"])
def signup(slug: str) -> str | Response | tuple[str, int]:
    """The sign-up form of one agency."""
    agency = _agency(slug)
    form = SignupForm()
    if request.method == "POST" and form.add_language.data:
        # Without JavaScript, "add another language" is a round trip that keeps what was typed.
        if len(form.languages.entries) < form.languages.max_entries:
            form.languages.append_entry()
        return render_template("public/signup.html", form=form, agency=agency)
    if form.validate_on_submit():
        if not form.website.data:  # a robot filled the honeypot: answer alike, store nothing
            details = signup_service.VolunteerDetails(
                first_name=form.first_name.data,
                last_name=form.last_name.data,
                email=form.email.data,
                phone=form.phone.data or "",
                postcode=form.postcode.data,
                age_band=form.age_band.data,
                gender=form.gender.data or None,
                languages=form.languages.as_dict(),
                slots=list(form.slots.data),
                topics=list(form.topics.data or []),
                capacity=int(form.capacity.data),
                motivation=form.motivation.data or "",
                can_show_certificate=bool(form.can_show_certificate.data),
                family=form.family_offer(),
            )
            signup_service.sign_up(agency, details, form.consents(), str(get_locale() or "de"))
        return redirect(url_for("public.signup_sent", slug=agency.slug))
    status = 400 if request.method == "POST" else 200
    return render_template("public/signup.html", form=form, agency=agency), status


@bp.route("/signup/<slug>/sent")
def signup_sent(slug: str) -> str:
    """The same answer for every sign-up: look in your mailbox."""
    return render_template("public/signup_sent.html", agency=_agency(slug))


@bp.route("/signup/<slug>/privacy")
def privacy(slug: str) -> str:
    """The agency's privacy notice, in full, with its version."""
    return render_template("public/privacy.html", agency=_agency(slug))


@bp.route("/signup/confirm", methods=["GET", "POST"])
def signup_confirm() -> str | tuple[str, int]:
    """Confirm an email address: the link shows a button, the button confirms."""
    form = TokenForm(formdata=request.form if request.method == "POST" else None)
    if request.method == "GET":
        form.token.data = request.args.get("token", "")
        # Show exactly what the link confirms (L9); a link that cannot work says so now.
        with tenancy.all_agencies():
            state, volunteer = signup_service.pending(form.token.data or "")
            agency = selfservice.agency_of(volunteer) if volunteer else None
            page = render_template(
                "public/confirm.html",
                form=form,
                result=state.value if state else None,
                volunteer=volunteer,
                agency=agency,
            )
        bad = state in (signup_service.Confirmation.EXPIRED, signup_service.Confirmation.INVALID)
        return (page, 400) if bad else page
    if not form.validate_on_submit():
        abort(400)
    # A link names its volunteer, whose row decides the agency: look for that one only.
    with tenancy.all_agencies():
        result, volunteer = signup_service.confirm(form.token.data)
        agency = selfservice.agency_of(volunteer) if volunteer else None
    status = (
        200
        if result in (signup_service.Confirmation.CONFIRMED, signup_service.Confirmation.ALREADY)
        else 400
    )
    return render_template(
        "public/confirm.html", form=form, result=result.value, agency=agency
    ), status
