"""Reading and writing CSV and XLSX tables, safe to open in a spreadsheet program.

A spreadsheet program runs a CSV cell that starts with `=`, `+`, `-` or `@` (also after
leading blanks, and one starting with a tab or line break) as a formula: a name such as
`=HYPERLINK("http://x","y")` would become a link (OWASP "CSV injection"). In a CSV file such
a text is therefore prefixed with an apostrophe, unless it is a plain number such as the
phone number "+49 221 123456": digits, blanks and separators can only ever make a number,
never call a function or reach another cell or program. An XLSX text cell is stored as text
and never run, so it is written as it is.

Dates are written the German way: TT.MM.JJJJ in CSV, and in XLSX real date cells shown as
TT.MM.JJJJ, so that they sort and filter as dates.

A file that cannot be read as a table raises `Invalid("file_…")`: the upload form says why.
"""

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree as DefusedET
from defusedxml import DefusedXmlException
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from matcher.domain.errors import Invalid

#: Characters that make a spreadsheet treat a cell as a formula (with their full-width forms).
FORMULA_STARTS = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")
#: Characters that are dangerous as the very first one, before any stripping.
CONTROL_STARTS = frozenset("\t\r\n")
#: A signed plain number, such as "+49 221 123456", "-5" or "+49 (0)221 12 34-56".
PLAIN_NUMBER = re.compile(r"[+-][0-9][0-9 ()/.-]*")
MAX_ROWS = 20_000
MAX_COLUMNS = 100
DATE_FORMAT = "DD.MM.YYYY"
DATETIME_FORMAT = "DD.MM.YYYY HH:MM"
MONTH_FORMAT = "MM.YYYY"


@dataclass(frozen=True)
class Month:
    """A calendar month as a cell: "03.2026" in CSV, a date cell shown as 03.2026 in XLSX."""

    year: int
    month: int

    @classmethod
    def of(cls, day: date) -> "Month":
        """The month a day falls in."""
        return cls(day.year, day.month)

    def first_day(self) -> date:
        """The month's first day."""
        return date(self.year, self.month, 1)

    def __str__(self) -> str:
        return f"{self.month:02d}.{self.year:04d}"


Cell = str | int | float | date | datetime | Month | None
#: A sheet to write: its title, its headers and its rows.
Sheet = tuple[str, Sequence[str], Iterable[Sequence[Cell]]]


@dataclass(frozen=True)
class Table:
    """A read table: its header names and its data rows as text, with spreadsheet row numbers."""

    headers: list[str]
    rows: list[tuple[int, list[str]]]


# --------------------------------------------------------------------------- writing


def neutralise(value: str) -> str:
    """Prefix an apostrophe to a text a spreadsheet would run as a formula (for CSV)."""
    if not value:
        return value
    if value[0] in CONTROL_STARTS:
        return "'" + value
    stripped = value.strip()
    if stripped[:1] in FORMULA_STARTS and not PLAIN_NUMBER.fullmatch(stripped):
        return "'" + value
    return value


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    return str(value)


def write_csv(
    headers: Sequence[str], rows: Iterable[Sequence[Cell]], delimiter: str = ";"
) -> bytes:
    """A CSV file in UTF-8 with BOM (so Excel reads umlauts), every cell formula-safe."""
    if delimiter not in (";", ","):
        raise ValueError("delimiter must be ';' or ','")
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([_text(h) for h in headers])
    for row in rows:
        writer.writerow([_text(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def write_xlsx(sheets: Sequence[Sheet]) -> bytes:
    """An XLSX workbook, one sheet per (title, headers, rows): text as text, dates as dates.

    The header row is bold, frozen and carries an auto-filter.
    """
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, headers, rows in sheets:
        sheet = workbook.create_sheet(title=title[:31])
        widths = [0] * len(headers)
        _append(sheet, 1, headers, widths)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        last = 1
        for last, row in enumerate(rows, start=2):  # noqa: B007 - the last row is used below
            _append(sheet, last, row, widths)
        sheet.freeze_panes = "A2"
        if headers:
            sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{last}"
        for i, width in enumerate(widths, start=1):
            # Room for the filter button beside the header's text.
            sheet.column_dimensions[get_column_letter(i)].width = min(max(width + 4, 8), 50)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _append(sheet: Any, number: int, values: Sequence[Cell], widths: list[int]) -> None:
    # Each cell by its address: `sheet.max_row` and `sheet[number]` look at every cell of
    # the sheet, which made an export of 5,000 people take half a minute.
    sheet.append([_xlsx_value(v) for v in values])
    for i, value in enumerate(values):
        cell = sheet.cell(row=number, column=i + 1)
        if isinstance(value, str):
            # Text stays text: openpyxl would store a text starting with "=" as a formula.
            cell.data_type = "s"
        elif isinstance(value, Month):
            cell.number_format = MONTH_FORMAT
        elif isinstance(value, datetime):
            cell.number_format = DATETIME_FORMAT
        elif isinstance(value, date):
            cell.number_format = DATE_FORMAT
        if i < len(widths) and value is not None:
            shown = len(_text(value)) if isinstance(value, date | Month) else len(str(cell.value))
            widths[i] = max(widths[i], shown)


def _xlsx_value(value: Cell) -> Any:
    if isinstance(value, str):
        return str(ILLEGAL_CHARACTERS_RE.sub("", value))
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, Month):
        return value.first_day()
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return value


# --------------------------------------------------------------------------- reading


def read_table(filename: str, data: bytes) -> Table:
    """Read an uploaded CSV or XLSX file: the first non-empty row holds the headers."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        raw = _read_xlsx(data)
    elif name.endswith((".csv", ".txt")):
        raw = _read_csv(data)
    else:
        raise Invalid("file_unsupported_type")
    numbered = [(i, row) for i, row in enumerate(raw, start=1) if any(c.strip() for c in row)]
    if not numbered:
        raise Invalid("file_empty")
    header_row, headers = numbered[0]
    headers = [h.strip() for h in headers]
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        raise Invalid("file_empty")
    if len(headers) > MAX_COLUMNS:
        raise Invalid("file_too_many_columns")
    rows = [(i, _fit(row, len(headers))) for i, row in numbered[1:]]
    if len(rows) > MAX_ROWS:
        raise Invalid("file_too_many_rows")
    return Table(headers=headers, rows=rows)


def _fit(row: list[str], width: int) -> list[str]:
    row = [c.strip() for c in row[:width]]
    return row + [""] * (width - len(row))


def _decode(data: bytes) -> str:
    if b"\x00" in data:
        raise Invalid("file_not_text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Older Excel versions save CSV in Windows-1252.
        return data.decode("cp1252", errors="replace")


def _read_csv(data: bytes) -> list[list[str]]:
    text = _decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first_line.count)
    try:
        return [list(row) for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as e:
        raise Invalid("file_bad_csv") from e


#: What a broken workbook raises: not a zip, parts or sheets missing, or XML the parser refuses
#: (a DTD with an undefined entity, or entities that expand too much: "billion laughs").
_XLSX_ERRORS = (
    InvalidFileException,
    zipfile.BadZipFile,
    OSError,
    KeyError,
    IndexError,
    ValueError,
    ParseError,
)


#: An XLSX upload is a zip of XML parts. openpyxl parses a sheet without a `<dimension>`
#: through before its first row, and a shared string as a whole: 400 KB of zip can hold
#: hundreds of MB of XML (pen test L6). These limits are checked first, in milliseconds,
#: from the zip's directory and by counting a sheet's rows and cells while streaming it.
MAX_XLSX_MEMBERS = 64
#: Far above a list of 20,000 rows and 20 columns (22 MB of XML).
MAX_XLSX_UNCOMPRESSED = 64 * 1024 * 1024
#: Real workbooks compress 2–20 fold; a part of over 1 MB that shrank more than this is a bomb.
MAX_XLSX_RATIO = 100
#: Cells are counted beyond the columns read: a row may carry some empty formatted cells.
MAX_XLSX_CELLS_PER_ROW = 4 * MAX_COLUMNS
_SHEET = re.compile(r"xl/worksheets/[^/]+\.xml")


def _inspect_xlsx(data: bytes) -> None:
    """Refuse a workbook that would cost more to read than any list we import (L6).

    The zip's directory gives each part's size (zipfile stops a part at its declared size, so
    a part cannot hold more); each sheet is then streamed through defusedxml, which refuses
    DTDs and entities, counting rows and cells, and stops at the first limit passed.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as e:
        raise Invalid("file_bad_xlsx") from e
    with archive:
        members = archive.infolist()
        if len(members) > MAX_XLSX_MEMBERS:
            raise Invalid("file_bad_xlsx")
        if sum(m.file_size for m in members) > MAX_XLSX_UNCOMPRESSED:
            raise Invalid("file_too_large_unpacked")
        for member in members:
            if member.file_size > 1024 * 1024 and (
                member.file_size > MAX_XLSX_RATIO * max(member.compress_size, 1)
            ):
                raise Invalid("file_too_large_unpacked")
        for member in members:
            if _SHEET.fullmatch(member.filename):
                _count_sheet(archive, member)


def _count_sheet(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> None:
    rows = cells = 0
    try:
        with archive.open(member) as stream:
            for event, element in DefusedET.iterparse(stream, events=("start", "end")):
                tag = element.tag.rsplit("}", 1)[-1]
                if event == "start":
                    if tag == "row":
                        rows, cells = rows + 1, 0
                        if rows > MAX_ROWS + 50:
                            raise Invalid("file_too_many_rows")
                    elif tag == "c":
                        cells += 1
                        if cells > MAX_XLSX_CELLS_PER_ROW:
                            raise Invalid("file_too_many_columns")
                elif tag == "row":
                    element.clear()  # keep memory flat: rows are only counted here
    except (DefusedXmlException, ParseError, zipfile.BadZipFile, OSError, EOFError) as e:
        raise Invalid("file_bad_xlsx") from e


def _read_xlsx(data: bytes) -> list[list[str]]:
    _inspect_xlsx(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except _XLSX_ERRORS as e:
        raise Invalid("file_bad_xlsx") from e
    try:
        sheet = workbook.worksheets[0]
        rows: list[list[str]] = []
        for values in sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS + 1):
            rows.append([_as_text(v) for v in values])
            if len(rows) > MAX_ROWS + 50:
                raise Invalid("file_too_many_rows")
        return rows
    except _XLSX_ERRORS as e:
        # A sheet's XML is parsed only now, row by row.
        raise Invalid("file_bad_xlsx") from e
    finally:
        workbook.close()


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
