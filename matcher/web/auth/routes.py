"""Login, logout and password change views."""

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from matcher.domain.errors import Invalid
from matcher.extensions import limiter
from matcher.services.platform import accounts, second_factor, staff_sessions
from matcher.web import common, guards, hooks, messages
from matcher.web.auth import bp, known_device, signing_in, two_factor
from matcher.web.auth.forms import LoginForm, PasswordForm


def home() -> str:
    """The start page of a logged-in user: the overview (an admin chooses an agency there)."""
    return url_for("coordinator.dashboard")


def _typed_email() -> str:
    # The limiter asks before the view runs: read the field through the form all the same.
    typed = LoginForm(formdata=request.form, meta={"csrf": False}).email.data or ""
    return accounts.normalise_email(str(typed))[:254]


def _login_account_key() -> str:
    """Rate-limit key per account and address: the email typed (known or not, so both
    answer alike) from this client address."""
    return f"login-account:{signing_in.address()}:{_typed_email()}"


def _login_anywhere_key() -> str:
    """Rate-limit key per account from any address (guesses spread over many addresses)."""
    return "login-anywhere:" + _typed_email()


def _known_device() -> bool:
    """A browser that signed in to the typed account recently passes the per-account
    limits (L3): strangers' guesses slow strangers down, not the owner."""
    return known_device.is_known(_typed_email())


def _failed(response: Response) -> bool:
    """Only wrong credentials count towards the per-account limits (not a sign-in, nor an
    attempt another limit stopped already)."""
    return response.status_code == 401


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: str(current_app.config["LOGIN_LIMIT_PER_ADDRESS"]), methods=["POST"])
@limiter.limit(
    lambda: str(current_app.config["LOGIN_LIMIT_PER_ACCOUNT"]),
    key_func=_login_account_key,
    methods=["POST"],
    exempt_when=_known_device,
    deduct_when=_failed,
)
@limiter.limit(
    lambda: str(current_app.config["LOGIN_LIMIT_PER_ACCOUNT_ANYWHERE"]),
    key_func=_login_anywhere_key,
    methods=["POST"],
    exempt_when=_known_device,
    deduct_when=_failed,
)
def login() -> str | Response | tuple[str, int]:
    """Log a staff member in."""
    if current_user.is_authenticated:
        return redirect(home())
    form = LoginForm()
    if form.validate_on_submit():
        result = accounts.attempt(form.email.data or "", form.password.data or "")
        user = result.user
        if result.ok and user is not None:
            if second_factor.has_factor(user.id):  # half signed in until the code is right
                return two_factor.begin(user, request.args.get("next"))
            return signing_in.complete(user, "success", request.args.get("next"), home())
        signing_in.record(user, result.outcome)
        setattr(g, hooks.KEEP_REFUSAL, True)  # the failed attempt stays in the sign-in log
        # The same words for an unknown email and a wrong password.
        form.password.errors = [_("Email or password is wrong.")]
        return render_template("auth/login.html", form=form), 401
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    """Log out and end every other session of this user too."""
    user = common.actor()
    staff_sessions.end_current(user, session.get(guards.STAFF_SESSION), "logout")
    accounts.end_all_sessions(user)
    logout_user()
    session.clear()
    return common.done(_("You are logged out."), "auth.login")


def _password_check_key() -> str:
    """Rate-limit key of the current-password check: the signed-in account (L10), so a
    stolen session cannot guess the password to keep access after the owner logs out."""
    return f"password-check:{current_user.get_id()}"


@bp.route("/password", methods=["GET", "POST"])
@login_required
@limiter.limit(
    lambda: str(current_app.config["LOGIN_LIMIT_PER_ACCOUNT"]),
    key_func=_password_check_key,
    methods=["POST"],
)
def change_password() -> str | Response | tuple[str, int]:
    """Change the password; every older session ends."""
    form = PasswordForm()
    if form.validate_on_submit():
        user = common.actor()
        try:
            accounts.change_password(user, form.current.data or "", form.new.data or "")
        except Invalid as e:
            field = form.current if e.code == "current_password_wrong" else form.new
            field.errors = [messages.text(e)]
            return render_template("auth/password.html", form=form), 400
        login_user(user)  # this session goes on with the new session version
        staff_sessions.carry_on(user, session.get(guards.STAFF_SESSION))
        flash(_("Your password has been changed. Other sessions have been logged out."), "success")
        return redirect(home())
    status = 400 if request.method == "POST" else 200
    return render_template("auth/password.html", form=form), status
