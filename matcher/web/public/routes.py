"""Start page, health check, language switch."""

from flask import abort, redirect, render_template, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from matcher.services.platform import health
from matcher.web.public import bp
from matcher.web.public.forms import LanguageForm
from matcher.web.safety import safe_next


@bp.route("/")
def index() -> str | Response:
    """Staff go to their dashboard; everyone else sees what this is."""
    if current_user.is_authenticated:
        return redirect(url_for("coordinator.dashboard"))
    return render_template("public/index.html")


@bp.route("/healthz")
def healthz() -> tuple[dict[str, str], int]:
    """200 when the database answers, 503 when it does not."""
    if not health.database_answers():
        return {"status": "unavailable"}, 503
    return {"status": "ok"}, 200


@bp.route("/language", methods=["POST"])
def set_language() -> Response:
    """Remember the chosen UI language in the session."""
    form = LanguageForm()
    if not form.validate_on_submit():
        abort(400)
    session["lang"] = form.lang.data
    return redirect(safe_next(form.next.data) or url_for("public.index"))
