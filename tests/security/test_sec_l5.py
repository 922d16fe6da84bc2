"""sec L5: valid-looking input that used to end in a 500 gets a clear 4xx in German instead.

Each test is named after the finding (L5) and fails on commit 8ed074e: there the dates
overflowed (`OverflowError`), the 10-digit id reached PostgreSQL's INTEGER column
(`NumericValueOutOfRange`; SQLite answered 404, not the queue's message) and
`_read_xlsx` let expat's `ParseError` through: a 500 each."""

import io
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from matcher.extensions import db
from matcher.models import Agency, Match
from matcher.services.lists import exports, figures
from matcher.services.platform import administration
from tests.conftest import inside, login

OUT_OF_RANGE = "Bitte geben Sie ein Datum zwischen 1900 und 2100 an."
UNREADABLE = "Die Datei konnte nicht gelesen werden."


@pytest.fixture
def app_config(tmp_path: Path) -> dict[str, Any]:
    """Uploads wait in a folder of the test."""
    return {"IMPORT_STASH_DIR": str(tmp_path / "imports")}


# --------------------------------------------------------------------------- 1. dates


def test_L5_dates_out_of_range_on_audit_figures_report_xlsx_and_every_export(
    app: Flask, client: FlaskClient, two_agencies: dict[str, Any]
) -> None:
    agency = two_agencies["a"]["agency"].id
    login(client, two_agencies["admin"])
    far = [("date_to", "9999-12-31"), ("date_from", "0001-01-01"),
           ("date_from", "1899-12-31"), ("date_to", "2101-01-01")]  # fmt: skip
    for name, value in far:
        for url in (
            f"/admin/audit?{name}={value}",
            f"/admin/figures?agency={agency}&{name}={value}",
            f"/admin/figures/report?agency={agency}&{name}={value}",
        ):
            response = client.get(url)
            assert response.status_code == 400, url
            assert OUT_OF_RANGE in response.get_data(as_text=True), url
        response = client.post(
            "/admin/figures/report.xlsx", data={"agency": str(agency), name: value}
        )
        assert response.status_code == 400 and OUT_OF_RANGE in response.get_data(as_text=True)
        for kind in exports.KINDS:
            for fmt in exports.FORMATS:
                for pseudonymised in ("", "y"):
                    response = client.post("/admin/exports", data={
                        "agency": str(agency), "kind": kind, "fmt": fmt, "delimiter": ";",
                        "status": "", "pseudonymised": pseudonymised, name: value,
                    })  # fmt: skip
                    assert response.status_code == 400, (kind, fmt, name, value)
                    assert OUT_OF_RANGE in response.get_data(as_text=True)
    # Both ends at once, as in the finding.
    response = client.post("/admin/figures/report.xlsx", data={
        "agency": str(agency), "date_from": "0001-01-01", "date_to": "9999-12-31"})  # fmt: skip
    assert response.status_code == 400
    # The edges of the range are fine, and so is an end before its start only as a message.
    assert client.get("/admin/audit?date_from=1900-01-01&date_to=2100-12-31").status_code == 200
    response = client.get("/admin/audit?date_from=2026-05-01&date_to=2026-01-01")
    assert response.status_code == 400
    assert "Das Ende liegt vor dem Beginn." in response.get_data(as_text=True)


def test_L5_dates_out_of_range_never_overflow_in_the_services(
    app: Flask, runner: Any, tmp_path: Path, two_agencies: dict[str, Any]
) -> None:
    """The CLI and other callers skip the forms: the last day there is is no overflow."""
    with inside(app), app.test_request_context():
        agency = db.session.get(Agency, two_agencies["a"]["agency"].id)
        assert agency is not None
        assert administration.audit_log(1, day_from=date.min, day_to=date.max).page.total >= 0
        report = figures.funder_report(agency, date.min, date.max)
        assert report.started == 1
        for kind in exports.KINDS:
            request = exports.ExportRequest(kind, agency, date_from=date.min, date_to=date.max)
            assert exports.export(request, actor=None).rows >= 1
        db.session.commit()  # services only flush: the caller is the unit of work
    out = tmp_path / "m.csv"
    result = runner.invoke(args=["export", "matches", "--agency", "agency-a", "--format", "csv",
                                 "--to", "9999-12-31", "-o", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output


# --------------------------------------------------------------------------- 2. bulk ids


def test_L5_bulk_ids_beyond_32_bit_are_an_invalid_selection_not_a_500(
    app: Flask, client: FlaskClient, two_agencies: dict[str, Any]
) -> None:
    """On PostgreSQL such an id used to reach the INTEGER column: NumericValueOutOfRange."""
    login(client, two_agencies["a"]["coordinator"])
    with inside(app):
        before = {m.id: (m.status, m.version) for m in db.session.scalars(select(Match))}
    for selected in ("2147483648:1", "9999999999:1", "1:2147483648", "0:1"):
        response = client.post("/matching/proposals/approve", data={"selected": [selected]})
        # An invalid selection goes back to the queue with its message, as it always did.
        assert response.status_code == 302, selected
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "Ungültige Auswahl." in page, selected
    assert client.post(
        "/matching/proposals/approve", data={"selected": ["2147483647:1"]}
    ).status_code in (302, 404, 409)
    with inside(app):
        assert {m.id: (m.status, m.version) for m in db.session.scalars(select(Match))} == before


# --------------------------------------------------------------------------- 3. XLSX XML

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def _xlsx(sheet_prolog: str = "", cell: str = "<c r='A1' t='s'><v>0</v></c>",
          strings_prolog: str = "", string: str = "Vorname") -> bytes:  # fmt: skip
    """A minimal workbook written by hand: one sheet, one shared string, any XML we like."""
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            'ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{CONTENT_TYPES}.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            f'ContentType="{CONTENT_TYPES}.worksheet+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" '
            f'ContentType="{CONTENT_TYPES}.sharedStrings+xml"/></Types>'
        ),
        "_rels/.rels": (
            f'<?xml version="1.0"?><Relationships xmlns="{PACKAGE_RELS}"><Relationship Id="rId1" '
            f'Type="{RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0"?><workbook xmlns="{NS}" xmlns:r="{RELS}"><sheets>'
            '<sheet name="Liste" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<?xml version="1.0"?><Relationships xmlns="{PACKAGE_RELS}">'
            f'<Relationship Id="rId1" Type="{RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{RELS}/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>"
        ),
        "xl/worksheets/sheet1.xml": (
            f'<?xml version="1.0"?>{sheet_prolog}<worksheet xmlns="{NS}"><sheetData>'
            f'<row r="1">{cell}</row></sheetData></worksheet>'
        ),
        "xl/sharedStrings.xml": (
            f'<?xml version="1.0"?>{strings_prolog}<sst xmlns="{NS}" count="1" uniqueCount="1">'
            f"<si><t>{string}</t></si></sst>"
        ),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return out.getvalue()


LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol0 "lol">'
    + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    + "]>"
)
QUADRATIC = f'<!DOCTYPE q [<!ENTITY a "{"a" * 10_000}">]>'
BROKEN = {
    "undefined entity": _xlsx(strings_prolog='<!DOCTYPE sst [<!ENTITY x "y">]>', string="&xxe;"),
    "external entity": _xlsx(
        strings_prolog='<!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>',
        string="&xxe;",
    ),
    "billion laughs (shared strings)": _xlsx(strings_prolog=LAUGHS, string="&lol9;"),
    "billion laughs (sheet)": _xlsx(
        sheet_prolog=LAUGHS, cell="<c r='A1' t='inlineStr'><is><t>&lol9;</t></is></c>"
    ),
    "quadratic blow-up": _xlsx(strings_prolog=QUADRATIC, string="&a;" * 10_000),
    "undefined entity in the sheet": _xlsx(
        sheet_prolog="<!DOCTYPE worksheet>",
        cell="<c r='A1' t='inlineStr'><is><t>&nope;</t></is></c>",
    ),
}


def test_L5_xlsx_parse_errors_are_a_400_with_a_message(
    app: Flask, client: FlaskClient, make_user: Callable[..., Any],
    make_agency: Callable[..., Any], tmp_path: Path,
) -> None:  # fmt: skip
    agency = make_agency()
    login(client, make_user("admin"))
    # The hand-made workbook itself is fine: only the XML tricks make it unreadable.
    good = client.post("/admin/imports", content_type="multipart/form-data", data={
        "agency": str(agency.id), "kind": "volunteers",
        "file": (io.BytesIO(_xlsx()), "liste.xlsx")})  # fmt: skip
    assert good.status_code in (302, 303)  # on to the preview
    stashed = set((tmp_path / "imports").iterdir())
    for name, data in BROKEN.items():
        response = client.post("/admin/imports", content_type="multipart/form-data", data={
            "agency": str(agency.id), "kind": "volunteers",
            "file": (io.BytesIO(data), "liste.xlsx")})  # fmt: skip
        assert response.status_code == 400, name
        html = response.get_data(as_text=True)
        assert UNREADABLE in html and 'class="error"' in html, name
        assert "lollollol" not in html and "aaaaaaaaaa" not in html
    assert set((tmp_path / "imports").iterdir()) == stashed  # nothing kept
