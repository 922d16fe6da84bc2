"""Reading and writing CSV and XLSX tables, with every exported cell made formula-safe.

A spreadsheet program runs a cell that starts with `=`, `+`, `-` or `@` (also after
leading blanks, and one starting with a tab or line break) as a formula: a name such as
`=HYPERLINK("http://x","y")` would become a link. Every text cell we write is therefore
prefixed with an apostrophe when it looks like that (OWASP "CSV injection").
"""

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils.exceptions import InvalidFileException

#: Characters that make a spreadsheet treat a cell as a formula (with their full-width forms).
FORMULA_STARTS = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")
#: Characters that are dangerous as the very first one, before any stripping.
CONTROL_STARTS = frozenset("\t\r\n")
MAX_ROWS = 20_000
MAX_COLUMNS = 100

Cell = str | int | float | date | datetime | None


class SpreadsheetError(ValueError):
    """A file that cannot be read as a table."""


@dataclass(frozen=True)
class Table:
    """A read table: its header names and its data rows as text, with spreadsheet row numbers."""

    headers: list[str]
    rows: list[tuple[int, list[str]]]


def neutralise(value: str) -> str:
    """Prefix an apostrophe to a text a spreadsheet would run as a formula."""
    if not value:
        return value
    if value[0] in CONTROL_STARTS or value.lstrip()[:1] in FORMULA_STARTS:
        return "'" + value
    return value


def _cell(value: Cell) -> Cell:
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, bool):
        return int(value)
    return value


def _text(value: Cell) -> str:
    value = _cell(value)
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
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


def write_xlsx(sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Cell]]]]) -> bytes:
    """An XLSX workbook with one sheet per (title, headers, rows), every cell formula-safe."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, headers, rows in sheets:
        sheet = workbook.create_sheet(title=title[:31])
        sheet.append([_xlsx_value(h) for h in headers])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([_xlsx_value(v) for v in row])
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str):
                    # Never a formula, whatever the text: openpyxl would store "=…" as one.
                    cell.data_type = "s"
        sheet.freeze_panes = "A2"
        for column in sheet.columns:
            width = max((len(str(c.value)) for c in column if c.value is not None), default=8)
            sheet.column_dimensions[column[0].column_letter].width = min(max(width + 2, 8), 50)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _xlsx_value(value: Cell) -> Cell:
    value = _cell(value)
    if isinstance(value, str):
        return str(ILLEGAL_CHARACTERS_RE.sub("", value))
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
        raise SpreadsheetError("unsupported_type")
    numbered = [(i, row) for i, row in enumerate(raw, start=1) if any(c.strip() for c in row)]
    if not numbered:
        raise SpreadsheetError("empty")
    header_row, headers = numbered[0]
    headers = [h.strip() for h in headers]
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        raise SpreadsheetError("empty")
    if len(headers) > MAX_COLUMNS:
        raise SpreadsheetError("too_many_columns")
    rows = [(i, _fit(row, len(headers))) for i, row in numbered[1:]]
    if len(rows) > MAX_ROWS:
        raise SpreadsheetError("too_many_rows")
    return Table(headers=headers, rows=rows)


def _fit(row: list[str], width: int) -> list[str]:
    row = [c.strip() for c in row[:width]]
    return row + [""] * (width - len(row))


def _decode(data: bytes) -> str:
    if b"\x00" in data:
        raise SpreadsheetError("not_text")
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
        raise SpreadsheetError("bad_csv") from e


def _read_xlsx(data: bytes) -> list[list[str]]:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError) as e:
        raise SpreadsheetError("bad_xlsx") from e
    try:
        sheet = workbook.worksheets[0]
        rows: list[list[str]] = []
        for values in sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS + 1):
            rows.append([_as_text(v) for v in values])
            if len(rows) > MAX_ROWS + 50:
                raise SpreadsheetError("too_many_rows")
        return rows
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
