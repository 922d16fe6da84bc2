"""Small helpers shared by the admin views."""

from wtforms import SelectChoice, SelectField

from matcher.services.platform import administration
from matcher.web import acting


def agency_choices(field: SelectField, blank: str | None = None) -> None:
    """Fill an agency select with every agency (admins see all of them)."""
    agencies = administration.agency_names()
    options = [SelectChoice(str(agency_id), name) for agency_id, name in agencies]
    field.choices = ([SelectChoice("0", blank)] if blank is not None else []) + options
    if field.data is None:
        # Nothing chosen: "all" where offered, else the agency the admin works on, else the
        # one with the most people (not an empty new one that sorts first). Counting every
        # agency's people is asked for only then: with 200 agencies it is the page's cost.
        if blank is not None or not agencies:
            field.data = 0
        else:
            field.data = acting.chosen_agency_id() or administration.busiest_agency_id()
