"""A staff member's own sessions and sign-ins: see where the account is signed in, end a
session on another device (issue 14)."""

from flask import flash, g, redirect, render_template, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import login_required

from matcher.services.platform import staff_sessions
from matcher.web import common, guards
from matcher.web.admin.forms import ConfirmForm
from matcher.web.auth import bp

#: How many of their own sign-ins a staff member sees.
OWN_SIGN_INS = 20


def current_session_id() -> int | None:
    """The server-side id of the session showing this page."""
    row = g.get("staff_session")
    return row.id if row is not None else None


@bp.route("/account/sessions")
@login_required
def my_sessions() -> ResponseReturnValue:
    """Where this account is signed in, and its latest sign-ins."""
    user = common.actor()
    return render_template(
        "auth/sessions.html",
        sessions=staff_sessions.active(user),
        current_id=current_session_id(),
        end_url=lambda s: url_for("auth.end_my_session", session_id=s.id),
        end_form=ConfirmForm(),
        sign_ins=staff_sessions.sign_ins(user, OWN_SIGN_INS),
    )


def _confirmed() -> bool:
    if ConfirmForm().validate_on_submit():
        return True
    flash(_("The form has expired; please try again."), "error")
    return False


@bp.route("/account/sessions/<int:session_id>/end", methods=["POST"])
@login_required
def end_my_session(session_id: int) -> ResponseReturnValue:
    """End one of my other sessions (a browser left signed in elsewhere)."""
    if not _confirmed():
        return redirect(url_for("auth.my_sessions"))
    if session_id == current_session_id():
        flash(_("To end this session, log out."), "info")
        return redirect(url_for("auth.my_sessions"))
    staff_sessions.end_one(common.actor(), session_id, common.actor())  # NotFound: 404
    return common.done(_("The session has ended."), "auth.my_sessions")


@bp.route("/account/sessions/end-others", methods=["POST"])
@login_required
def end_my_other_sessions() -> ResponseReturnValue:
    """End every session of mine but this one."""
    if not _confirmed():
        return redirect(url_for("auth.my_sessions"))
    ended = staff_sessions.end_others(
        common.actor(), session.get(guards.STAFF_SESSION), common.actor()
    )
    message = ngettext(
        "%(num)d other session has ended.", "%(num)d other sessions have ended.", ended
    )
    return common.done(message, "auth.my_sessions")
