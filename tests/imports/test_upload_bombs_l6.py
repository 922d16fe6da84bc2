"""L6 (pen test): small XLSX uploads that unpack to hundreds of MB, or whose sheet has no
`<dimension>` and millions of rows, used up a worker for 30 s or GBs of memory. Now the
zip's directory and a streamed count of each sheet's rows and cells are checked before
openpyxl parses anything. Each test fails on commit 8ed074e (the bombs were read there)."""

import io
import random
import string
import time
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from matcher.domain.errors import Invalid
from matcher.services.lists import spreadsheet
from tests.conftest import login

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _workbook(sheet: str, shared: str | None = None) -> bytes:
    """A minimal XLSX whose first sheet is `sheet` (its <sheetData> content)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            + ('<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>' if shared else "")
            + "</Types>"))  # fmt: skip
        z.writestr("_rels/.rels", (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'))  # fmt: skip
        z.writestr("xl/workbook.xml", (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{NS}" xmlns:r="{REL}">'
            '<sheets><sheet name="Liste" sheetId="1" r:id="rId1"/></sheets></workbook>'))  # fmt: skip
        z.writestr("xl/_rels/workbook.xml.rels", (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            + (f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>' if shared else "")
            + "</Relationships>"))  # fmt: skip
        z.writestr("xl/worksheets/sheet1.xml", sheet if sheet.startswith("<?xml") else (
            f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{NS}"><sheetData>{sheet}</sheetData></worksheet>'))  # fmt: skip
        if shared:
            z.writestr("xl/sharedStrings.xml", shared)
    return out.getvalue()


def _text_cell(value: str) -> str:
    return f'<c t="inlineStr"><is><t>{value}</t></is></c>'


HEADER = "<row>" + "".join(_text_cell(h) for h in ("Vorname", "Nachname", "E-Mail")) + "</row>"


def _refusal(data: bytes) -> tuple[str, float]:
    started = time.perf_counter()
    with pytest.raises(Invalid) as refused:
        spreadsheet.read_table("liste.xlsx", data)
    return refused.value.code, time.perf_counter() - started


def test_L6_a_shared_string_bomb_is_refused_from_the_zip_directory() -> None:
    shared = (
        f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{NS}" count="1" uniqueCount="1">'
        f"<si><t>{'A' * (80 * 1024 * 1024)}</t></si></sst>"
    )
    data = _workbook(HEADER + '<row><c t="s"><v>0</v></c></row>', shared)
    assert len(data) < 400 * 1024  # 80 MB of XML in a small upload
    code, seconds = _refusal(data)
    assert code == "file_too_large_unpacked"
    assert seconds < 1.0  # a time bound is the finding itself; measured: a few ms


def test_L6_millions_of_empty_rows_without_a_dimension_are_refused_at_once() -> None:
    data = _workbook(HEADER + "<row/>" * 2_000_000)
    assert len(data) < 100 * 1024
    code, seconds = _refusal(data)
    assert code == "file_too_large_unpacked"
    assert seconds < 1.0


def test_L6_rows_and_cells_are_counted_while_streaming_before_openpyxl_reads() -> None:
    random.seed(6)

    def word() -> str:
        return "".join(random.choices(string.ascii_letters, k=8))

    # Too many rows, in a sheet that compresses like a real one (so the count finds it).
    tall = HEADER + "".join(
        "<row>" + _text_cell(word()) + _text_cell(word()) + "</row>"
        for _ in range(spreadsheet.MAX_ROWS + 60)
    )
    code, _seconds = _refusal(_workbook(tall))
    assert code == "file_too_many_rows"
    # One row of very many cells (the pen test's had 8 million): refused at cell 401.
    wide = "<row>" + "".join(_text_cell(word()) for _ in range(500)) + "</row>"
    code, _seconds = _refusal(_workbook(HEADER + wide))
    assert code == "file_too_many_columns"


def test_L6_dtds_and_entities_in_a_sheet_are_refused() -> None:
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE worksheet [<!ENTITY e "Anna">]>'
        f'<worksheet xmlns="{NS}"><sheetData>{HEADER}<row><c t="inlineStr"><is><t>&e;</t>'
        "</is></c></row></sheetData></worksheet>"
    )
    code, _seconds = _refusal(_workbook(sheet))
    assert code == "file_bad_xlsx"


def test_L6_a_real_list_still_reads() -> None:
    rows = (
        HEADER + "<row>" + "".join(_text_cell(v) for v in ("Anna", "Muster", "a@x.org")) + "</row>"
    )
    table = spreadsheet.read_table("liste.xlsx", _workbook(rows))
    assert table.headers == ["Vorname", "Nachname", "E-Mail"]
    assert [row for _, row in table.rows] == [["Anna", "Muster", "a@x.org"]]


@pytest.fixture
def app_config(tmp_path: Any) -> dict[str, Any]:
    return {"IMPORT_STASH_DIR": str(tmp_path / "imports")}


def test_L6_the_upload_page_answers_a_bomb_with_a_400_and_a_message(
    client: FlaskClient, make_user: Callable[..., Any], make_agency: Callable[..., Any]
) -> None:
    agency = make_agency(slug="awo")
    login(client, make_user("admin"))
    response = client.post(
        "/admin/imports",
        data={"agency": str(agency.id), "kind": "volunteers",
              "file": (io.BytesIO(_workbook(HEADER + "<row/>" * 2_000_000)), "bombe.xlsx")},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 400
    assert "Zip-Bombe" in response.get_data(as_text=True)
