"""Two-factor sign-in: the second step after the password, and enrolling an authenticator.

After the password a user with a second factor is only *half* signed in: the session holds
`PENDING` (who, their session version, until when) and nobody is logged in, so no page but
this step opens (`matcher.web.guards.require_second_factor`). Only a valid code logs the
user in and marks the session `PASSED`.
"""

import io
import time
from typing import Any

import segno
from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import login_required, login_user
from markupsafe import Markup
from werkzeug.wrappers import Response

from matcher.domain import totp
from matcher.domain.errors import ServiceError
from matcher.extensions import limiter
from matcher.models import User
from matcher.services.platform import second_factor, staff_sessions
from matcher.web import common, guards, hooks, messages
from matcher.web.auth import bp, signing_in
from matcher.web.auth.forms import EnrolForm, SecondStepForm
from matcher.web.safety import safe_next

#: The half-signed-in state: {"user": id, "version": session version, "until": epoch, "next"}.
PENDING = "two_factor_pending"
#: This session passed the second step (or enrolled in it).
PASSED = "two_factor_passed"
#: The new secret while enrolling, sealed (encrypted): nothing is stored before the first code.
ENROLLING = "two_factor_enrolling"


def begin(user: User, next_url: str | None) -> Response:
    """The password was right and the user has a second factor: ask for a code next."""
    common.fresh_session()
    minutes = int(current_app.config["TOTP_PENDING_MINUTES"])
    session[PENDING] = {
        "user": user.id,
        "version": user.session_version,
        "until": int(time.time()) + 60 * minutes,
        "next": safe_next(next_url) or "",
    }
    return redirect(url_for("auth.second_step"))


def pending() -> dict[str, Any] | None:
    """The half-signed-in state of this session, if it is well-formed and not expired."""
    data = session.get(PENDING)
    if not isinstance(data, dict) or not isinstance(data.get("user"), int):
        return None
    if not isinstance(data.get("until"), int) or data["until"] < time.time():
        return None
    return data


def _pending_user() -> User | None:
    data = pending()
    if data is None:
        return None
    return second_factor.user_awaiting_code(data["user"], data.get("version"))


def _per_account() -> str:
    """Rate-limit key of the second step: the account whose password was given."""
    data = pending()
    return f"two-factor:{data['user'] if data else '-'}"


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(lambda: str(current_app.config["LOGIN_LIMIT_PER_ADDRESS"]), methods=["POST"])
@limiter.limit(
    lambda: str(current_app.config["TOTP_LIMIT"]), key_func=_per_account, methods=["POST"]
)
def second_step() -> ResponseReturnValue:
    """The second step of a sign-in: a code of the authenticator, or a recovery code."""
    user = _pending_user()
    if user is None:
        session.pop(PENDING, None)
        flash(_("Please sign in again."), "error")
        return redirect(url_for("auth.login"))
    form = SecondStepForm()
    if form.validate_on_submit():
        used = second_factor.check(user, form.code.data or "")
        if used is not None:
            next_url = str((pending() or {}).get("next") or "")
            outcome = "recovery_code" if used == "recovery_code" else "success"
            from matcher.web.auth.routes import home

            response = signing_in.complete(user, outcome, next_url, home())
            session[PASSED] = True
            if used == "recovery_code":
                left = second_factor.recovery_codes_left(user)
                flash(
                    ngettext(
                        "You signed in with a recovery code; %(num)d code is left.",
                        "You signed in with a recovery code; %(num)d codes are left.",
                        left,
                    ),
                    "success",
                )
            return response
        signing_in.record(user, "wrong_code")
        form.code.errors = [_("This code is wrong or has been used already.")]
        setattr(g, hooks.KEEP_REFUSAL, True)  # the audit entry of the failure stays
        return render_template("auth/second_step.html", form=form), 401
    status = 400 if request.method == "POST" else 200
    return render_template("auth/second_step.html", form=form), status


def _qr_svg(uri: str) -> Markup:
    """The QR code of `uri` as inline SVG, drawn here (no third-party host, no script)."""
    out = io.BytesIO()
    qr = segno.make(uri, error="m")
    qr.save(out, kind="svg", xmldecl=False, svgns=True, scale=5, border=4, light="#fff", nl=False)
    return Markup(out.getvalue().decode())  # noqa: S704  (segno's own markup of our URI)


def _enrolling_secret() -> str:
    """The secret being enrolled in this session: kept (sealed) until confirmed."""
    sealed = session.get(ENROLLING)
    secret = second_factor.unseal(sealed) if isinstance(sealed, str) else None
    if secret is None:
        secret = totp.new_secret()
        session[ENROLLING] = second_factor.seal(secret)
    return secret


@bp.route("/account/two-factor", methods=["GET", "POST"])
@login_required
def enrol() -> ResponseReturnValue:
    """Set up an authenticator app: scan the QR code (or type the key), confirm a code."""
    user = common.actor()
    factor = second_factor.factor_of(user)
    if factor is not None:
        return render_template(
            "auth/two_factor_on.html",
            factor=factor,
            left=second_factor.recovery_codes_left(user),
            required=second_factor.required_for(user),
        )
    secret = _enrolling_secret()
    form = EnrolForm()
    status = 200
    if form.validate_on_submit():
        try:
            codes = second_factor.enrol(user, secret, form.code.data or "")
        except ServiceError as e:
            form.code.errors = [messages.text(e)]
            status = 400
        else:
            session.pop(ENROLLING, None)
            login_user(user)  # this session goes on with the new session version
            staff_sessions.carry_on(user, session.get(guards.STAFF_SESSION))
            session[PASSED] = True
            return render_template("auth/recovery_codes.html", codes=codes)
    elif request.method == "POST":
        status = 400
    uri = totp.provisioning_uri(secret, user.email, second_factor.issuer())
    return render_template(
        "auth/enrol.html",
        form=form,
        qr=_qr_svg(uri),
        secret=totp.grouped(secret),
        required=second_factor.required_for(user),
    ), status
