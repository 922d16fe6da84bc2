"""Forms of the import: the upload, and the column mapping built from the file's headers."""

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import RadioField, SelectChoice, SelectField, SubmitField

from matcher.services.lists.import_fields import FIELDS


class UploadForm(FlaskForm):
    """The file and what it holds."""

    agency = SelectField(_l("Agency"), coerce=int, choices=[], validate_choice=True)
    kind = RadioField(
        _l("The file lists"),
        choices=[
            SelectChoice("volunteers", _l("Volunteers")),
            SelectChoice("newcomers", _l("Newcomers")),
        ],
        default="volunteers",
    )
    file = FileField(
        _l("CSV or Excel file (XLSX)"),
        validators=[
            FileRequired(message=_l("Please choose a file.")),
            FileAllowed(["csv", "xlsx", "txt"], message=_l("Please upload a CSV or XLSX file.")),
        ],
    )
    submit = SubmitField(_l("Upload and assign columns"))


class MappingFormBase(FlaskForm):
    """Which column of the file holds which field; check first, then import."""

    check = SubmitField(_l("Check (dry run)"))
    run = SubmitField(_l("Import"))

    def mapping(self) -> dict[str, int | None]:
        """Field name → column index (None: not in the file)."""
        out: dict[str, int | None] = {}
        for name, field in self._fields.items():
            if name.startswith("map_"):
                out[name[4:]] = int(field.data) if field.data else None
        return out


def mapping_form(kind: str, headers: list[str], suggested: dict[str, int | None]) -> Any:
    """A mapping form class for this list's fields and this file's columns, then an instance."""
    choices = [SelectChoice("", str(_l("— not in the file —")))] + [
        SelectChoice(str(i), h or f"#{i + 1}") for i, h in enumerate(headers)
    ]

    class MappingForm(MappingFormBase):
        pass

    for field in FIELDS[kind]:
        default = suggested.get(field.name)
        setattr(
            MappingForm,
            f"map_{field.name}",
            SelectField(
                field.label,
                choices=choices,
                default="" if default is None else str(default),
                validate_choice=True,
            ),
        )
    return MappingForm()
