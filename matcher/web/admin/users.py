"""Admin pages: staff users — create, deactivate, reactivate, reset a password; their
sign-ins and sessions."""

from flask import flash, redirect, render_template, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext

from matcher.domain.errors import ServiceError
from matcher.models import Agency, User
from matcher.services.platform import administration, second_factor, staff_sessions
from matcher.web import common, guards, messages
from matcher.web.admin import bp
from matcher.web.admin.common import agency_choices
from matcher.web.admin.forms import ConfirmForm, UserCreateForm
from matcher.web.auth import sessions

#: The users table counts each user's failed sign-ins of this many days.
FAILURES_DAYS = 7


def _render(form: UserCreateForm, status: int = 200) -> ResponseReturnValue:
    return render_template(
        "admin/users.html",
        users=administration.users(),
        form=form,
        action=ConfirmForm(),
        with_second_factor=second_factor.enrolled_user_ids(),
        failures=staff_sessions.recent_failures(FAILURES_DAYS),
        failures_days=FAILURES_DAYS,
    ), status


@bp.route("/users", methods=["GET", "POST"])
def users() -> ResponseReturnValue:
    """Every staff user, and a form to create one (the password is shown once)."""
    form = UserCreateForm()
    agency_choices(form.agency, blank=_("— none (admins) —"))
    if not form.validate_on_submit():
        return _render(form, 400 if form.errors else 200)
    agency = common.one(Agency, form.agency.data) if form.agency.data else None
    try:
        user, password = administration.create_staff(
            form.email.data, form.name.data or "", form.role.data, agency, common.actor()
        )
    except ServiceError as e:
        field = form.agency if e.code == "coordinator_needs_agency" else form.email
        field.errors.append(messages.text(e))
        return _render(form, 400)
    return render_template("admin/password.html", user=user, password=password, created=True)


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
def deactivate_user(user_id: int) -> ResponseReturnValue:
    """Deactivate a user; their sessions end at once."""
    return _set_active(user_id, False)


@bp.route("/users/<int:user_id>/activate", methods=["POST"])
def activate_user(user_id: int) -> ResponseReturnValue:
    """Let a deactivated user log in again."""
    return _set_active(user_id, True)


def _set_active(user_id: int, active: bool) -> ResponseReturnValue:
    target = common.one(User, user_id)
    common.back_to("admin.users")
    if not ConfirmForm().validate_on_submit():
        flash(_("The form has expired; please try again."), "error")
        return redirect(url_for("admin.users"))
    administration.set_active(target, active, common.actor())
    if active:
        return common.done(_("%(email)s can log in again.", email=target.email), "admin.users")
    return common.done(
        _("%(email)s is deactivated and logged out.", email=target.email), "admin.users"
    )


@bp.route("/users/<int:user_id>/password", methods=["POST"])
def reset_password(user_id: int) -> ResponseReturnValue:
    """Give a user a new password and show it once."""
    target = common.one(User, user_id)
    if not ConfirmForm().validate_on_submit():
        flash(_("The form has expired; please try again."), "error")
        return redirect(url_for("admin.users"))
    password = administration.reset_password(target, common.actor())
    return render_template("admin/password.html", user=target, password=password, created=False)


@bp.route("/users/<int:user_id>/two-factor/reset", methods=["POST"])
def reset_two_factor(user_id: int) -> ResponseReturnValue:
    """Remove a user's second factor (a lost phone); audited, and their sessions end."""
    target = common.one(User, user_id)
    if not ConfirmForm().validate_on_submit():
        flash(_("The form has expired; please try again."), "error")
        return redirect(url_for("admin.users"))
    second_factor.reset(target, common.actor())
    # No address in the message: flashed messages travel in the cookie (issue 14, I3).
    message = _(
        "The second factor has been reset and the user's sessions have ended; they set up a "
        "new one at their next sign-in."
    )
    return common.done(message, "admin.users")


@bp.route("/users/<int:user_id>/access")
def user_access(user_id: int) -> ResponseReturnValue:
    """One user's failed and successful sign-ins and live sessions; end any of them."""
    target = common.one(User, user_id)
    return render_template(
        "admin/user_access.html",
        target=target,
        sessions=staff_sessions.active(target),
        current_id=sessions.current_session_id(),
        end_url=lambda s: url_for("admin.end_user_session", user_id=target.id, session_id=s.id),
        end_form=ConfirmForm(),
        sign_ins=staff_sessions.sign_ins(target),
    )


@bp.route("/users/<int:user_id>/sessions/<int:session_id>/end", methods=["POST"])
def end_user_session(user_id: int, session_id: int) -> ResponseReturnValue:
    """End one session of a user (a lost laptop, a shared computer); audited."""
    target = common.one(User, user_id)
    if not ConfirmForm().validate_on_submit():
        flash(_("The form has expired; please try again."), "error")
        return redirect(url_for("admin.user_access", user_id=target.id))
    staff_sessions.end_one(target, session_id, common.actor())  # NotFound: 404
    return common.done(_("The session has ended."), "admin.user_access", user_id=target.id)


@bp.route("/users/<int:user_id>/sessions/end-all", methods=["POST"])
def end_user_sessions(user_id: int) -> ResponseReturnValue:
    """End every session of a user (the admin's own: every other one); audited."""
    target = common.one(User, user_id)
    if not ConfirmForm().validate_on_submit():
        flash(_("The form has expired; please try again."), "error")
        return redirect(url_for("admin.user_access", user_id=target.id))
    keep = session.get(guards.STAFF_SESSION) if target.id == common.actor().id else None
    ended = staff_sessions.end_others(target, keep, common.actor())
    message = ngettext("%(num)d session has ended.", "%(num)d sessions have ended.", ended)
    return common.done(message, "admin.user_access", user_id=target.id)
