"""Admin pages: staff users — create, deactivate, reactivate, reset a password."""

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from matcher.services.platform import administration
from matcher.web.admin import bp
from matcher.web.admin.common import agency_choices
from matcher.web.admin.forms import ConfirmForm, UserCreateForm


def _render(form: UserCreateForm, status: int = 200) -> ResponseReturnValue:
    return render_template(
        "admin/users.html", users=administration.users(), form=form, action=ConfirmForm()
    ), status


@bp.route("/users", methods=["GET", "POST"])
def users() -> ResponseReturnValue:
    """Every staff user, and a form to create one (the password is shown once)."""
    form = UserCreateForm()
    agency_choices(form.agency, blank=_("— none (admins) —"))
    if not form.validate_on_submit():
        return _render(form, 400 if form.errors else 200)
    agency = administration.agency(form.agency.data) if form.agency.data else None
    if form.role.data == "coordinator" and agency is None:
        form.agency.errors.append(_("A coordinator needs an agency."))
        return _render(form, 400)
    try:
        user, password = administration.create_staff(
            form.email.data, form.name.data or "", form.role.data, agency
        )
    except administration.AdminError:
        form.email.errors.append(_("A user with this email exists already."))
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
    target = administration.user(user_id)
    if not ConfirmForm().validate_on_submit():
        flash(_("The form has expired; please try again."), "error")
        return redirect(url_for("admin.users"))
    try:
        administration.set_active(target, active, current_user)
    except administration.AdminError:
        flash(_("You cannot deactivate yourself."), "error")
        return redirect(url_for("admin.users")), 303
    if active:
        flash(_("%(email)s can log in again.", email=target.email), "success")
    else:
        flash(_("%(email)s is deactivated and logged out.", email=target.email), "success")
    return redirect(url_for("admin.users")), 303


@bp.route("/users/<int:user_id>/password", methods=["POST"])
def reset_password(user_id: int) -> ResponseReturnValue:
    """Give a user a new password and show it once."""
    target = administration.user(user_id)
    if not ConfirmForm().validate_on_submit():
        flash(_("The form has expired; please try again."), "error")
        return redirect(url_for("admin.users"))
    password = administration.reset_password(target, current_user)
    return render_template("admin/password.html", user=target, password=password, created=False)
