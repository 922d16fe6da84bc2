"""Small helpers shared by the admin views."""

from flask import abort, request
from wtforms import SelectChoice, SelectField

from matcher.services.platform import administration


def agency_choices(field: SelectField, blank: str | None = None) -> None:
    """Fill an agency select with every agency (admins see all of them)."""
    agencies = administration.agencies()
    options = [SelectChoice(str(a.id), a.name) for a, _n in agencies]
    field.choices = ([SelectChoice("0", blank)] if blank is not None else []) + options
    if field.data is None:
        # Nothing chosen: "all" where offered, else the first agency.
        field.data = 0 if blank is not None or not agencies else agencies[0][0].id


def page_number() -> int:
    """The `page` query argument, 1 to 100,000; anything else is a 400."""
    page = request.args.get("page", "1")
    if not page.isdigit() or not 1 <= int(page) <= 100_000:
        abort(400)
    return int(page)
