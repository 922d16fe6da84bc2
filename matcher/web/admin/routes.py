"""Admin pages: agencies and users."""

from flask import render_template

from matcher.services import administration
from matcher.web.admin import bp


@bp.route("/agencies")
def agencies() -> str:
    """Every agency with its counts."""
    return render_template("admin/agencies.html", agencies=administration.agencies())


@bp.route("/users")
def users() -> str:
    """Every staff user."""
    return render_template("admin/users.html", users=administration.users())
