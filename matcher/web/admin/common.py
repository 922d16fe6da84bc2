"""Small helpers shared by the admin views."""

from wtforms import SelectChoice, SelectField

from matcher.services.platform import administration
from matcher.web import common


def agency_choices(field: SelectField, blank: str | None = None) -> None:
    """Fill an agency select with every agency (admins see all of them)."""
    agencies = administration.agencies()
    options = [SelectChoice(str(a.id), a.name) for a, _n in agencies]
    field.choices = ([SelectChoice("0", blank)] if blank is not None else []) + options
    if field.data is None:
        # Nothing chosen: "all" where offered, else the first agency.
        field.data = 0 if blank is not None or not agencies else agencies[0][0].id


def page_number() -> int:
    """The `page` query argument (`matcher.web.common.page_arg`; the audit log still asks here)."""
    return common.page_arg()
