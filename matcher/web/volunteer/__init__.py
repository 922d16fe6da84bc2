"""Volunteer self-service: open by a magic link from a mail, no password."""

from flask import Blueprint

from matcher.web.guards import public

# Public on purpose: a signed, expiring link is the volunteer's key (see routes.py).
bp = public(Blueprint("volunteer", __name__, url_prefix="/me"))

from matcher.web.volunteer import routes  # noqa: E402,F401  (registers the views)
