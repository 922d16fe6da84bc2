"""Imports: a good file, a file with bad rows (nothing imported, every error listed), twice."""

import io
import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from matcher.extensions import db
from matcher.models import AuditEvent, ConsentRecord, Newcomer, Volunteer, utcnow
from matcher.services.lists import imports
from matcher.services.lists.import_fields import suggest_mapping
from tests.conftest import inside, login

VOLUNTEERS_CSV = """Vorname;Nachname;E-Mail;Telefon;PLZ;Alter;Geschlecht;Sprachen;Zeiten;Themen;Einwilligung;Einwilligung am;Hinweise erklärt auf
Anna;Schmidt;anna@example.org;+49 221 1234;50823;42;w;Deutsch (Muttersprache), Arabisch (gut);Mo abends, Sa vormittags;Behörden, Deutsch;ja;12.03.2025;Deutsch
Ömer;Yılmaz;OMER@example.org;;50667;26_35;m;de:native, tr:native;sat-morning;;nein;;
Jean;O'Brien;jean@example.org;;1067;51-65;;Französisch;;;x;2024-02-01;Französisch
"""

BAD_CSV = """Vorname;Nachname;E-Mail;PLZ;Alter;Sprachen
Anna;Schmidt;anna@example.org;50823;42;Deutsch
Bert;;bert@example;5082;200;Elbisch
Carla;Lenz;carla@example.org;99999;36_50;de:perfect
Anna;Doppelt;anna@example.org;50823;42;Deutsch
"""


@pytest.fixture
def app_config(tmp_path: Any) -> dict[str, Any]:
    """Uploads wait in a folder of the test, not in the instance folder."""
    return {"IMPORT_STASH_DIR": str(tmp_path / "imports")}


@pytest.fixture
def admin_client(
    client: FlaskClient, make_user: Callable[..., Any], make_agency: Callable[..., Any]
) -> tuple[FlaskClient, Any, Any]:
    agency = make_agency(slug="awo", name="AWO")
    admin = make_user("admin")
    login(client, admin)
    return client, agency, admin


def _upload(client: FlaskClient, agency_id: int, kind: str, name: str, data: bytes) -> str:
    response = client.post(
        "/admin/imports",
        data={"agency": str(agency_id), "kind": kind, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def _selected_mapping(client: FlaskClient, url: str) -> dict[str, str]:
    """The mapping the page suggests, as form data (what a user submits without changes)."""
    html = client.get(url).get_data(as_text=True)
    mapping = {}
    for name, body in re.findall(r'<select[^>]*name="(map_\w+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(
            r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', body
        )
        mapping[name] = next(g for g in chosen.groups() if g is not None) if chosen else ""
    return mapping


def _count(app: Flask, model: Any) -> int:
    with inside(app):
        return int(db.session.scalar(select(func.count()).select_from(model)))


def test_headers_are_recognised_in_german_and_english() -> None:
    german = ["Vorname", "Nachname", "E-Mail-Adresse", "PLZ", "Alter", "Sprachen", "Einwilligung"]
    mapping = suggest_mapping("volunteers", german)
    assert mapping["first_name"] == 0 and mapping["last_name"] == 1 and mapping["email"] == 2
    assert mapping["postcode"] == 3 and mapping["consent"] == 6 and mapping["phone"] is None
    english = ["First name", "Last name", "Email", "Postcode", "Age", "Languages"]
    mapping = suggest_mapping("volunteers", english)
    assert [mapping[f] for f in ("first_name", "last_name", "email", "postcode")] == [0, 1, 2, 3]


def test_a_good_file_is_checked_then_imported_and_a_second_import_adds_nobody(
    app: Flask, admin_client: tuple[FlaskClient, Any, Any]
) -> None:
    client, agency, admin = admin_client
    url = _upload(client, agency.id, "volunteers", "paten.csv", VOLUNTEERS_CSV.encode("utf-8"))
    mapping = _selected_mapping(client, url)
    assert mapping["map_email"] == "2" and mapping["map_languages"] == "7"

    dry = client.post(url, data={**mapping, "check": "1"})
    assert dry.status_code == 200
    text = dry.get_data(as_text=True)
    assert "3 neu" in text or "3 new" in text
    assert _count(app, Volunteer) == 0  # the dry run saved nothing

    done = client.post(url, data={**mapping, "run": "1"})
    assert done.status_code == 302
    with inside(app):
        people = {v.email: v for v in db.session.scalars(select(Volunteer))}
        assert set(people) == {"anna@example.org", "omer@example.org", "jean@example.org"}
        anna, omer, jean = (
            people["anna@example.org"],
            people["omer@example.org"],
            people["jean@example.org"],
        )
        assert {lang.code: lang.level for lang in anna.languages} == {"de": "native", "ar": "good"}
        assert (
            anna.age_band == "36_50"
            and anna.gender == "female"
            and anna.topics == ["authorities", "german"]
        )
        assert anna.lat is not None and jean.postcode == "01067"  # Excel's lost zero put back
        # Confirmed only with consent on paper, which is recorded with who took it.
        assert anna.email_confirmed_at is not None and jean.email_confirmed_at is not None
        assert omer.email_confirmed_at is None
        consents = db.session.scalars(select(ConsentRecord)).all()
        assert {c.volunteer_id for c in consents} == {anna.id, jean.id}
        assert {(c.channel, c.taken_by_id) for c in consents} == {("paper", admin.id)}
        # The day and the notice's language as the file gives them.
        assert {(c.volunteer_id, c.given_at.date().isoformat(), c.language) for c in consents} == {
            (anna.id, "2025-03-12", "de"), (jean.id, "2024-02-01", "fr")}  # fmt: skip
        assert (
            db.session.scalar(select(func.count()).where(AuditEvent.action == "import.volunteers"))
            == 1
        )

    # The same file again: nobody twice.
    url = _upload(client, agency.id, "volunteers", "paten.csv", VOLUNTEERS_CSV.encode("utf-8"))
    again = client.post(url, data={**_selected_mapping(client, url), "run": "1"})
    assert again.status_code == 302
    assert _count(app, Volunteer) == 3
    page = client.get("/admin/imports").get_data(as_text=True)
    assert "0 neu, 3 bereits vorhanden" in page or "0 new, 3 already there" in page


def test_a_file_with_bad_rows_imports_nothing_and_lists_every_error_with_its_row(
    app: Flask, admin_client: tuple[FlaskClient, Any, Any]
) -> None:
    client, agency, _admin = admin_client
    url = _upload(client, agency.id, "volunteers", "bad.csv", BAD_CSV.encode("utf-8"))
    mapping = _selected_mapping(client, url)
    for button in ("check", "run"):
        response = client.post(url, data={**mapping, button: "1"})
        assert response.status_code == (200 if button == "check" else 400)
        html = response.get_data(as_text=True)
        rows = re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", html)
        by_row: dict[str, list[str]] = {}
        for row, column, _message in rows:
            by_row.setdefault(row, []).append(column)
        # Row 1 holds the headers; row 2 is fine.
        assert "2" not in by_row
        assert sorted(by_row["3"]) == sorted(["Nachname", "E-Mail", "PLZ", "Alter", "Sprachen"])
        assert sorted(by_row["4"]) == ["PLZ", "Sprachen"]  # unknown postcode, unknown level
        assert "5" in by_row  # the same email as row 2
        assert _count(app, Volunteer) == 0


def test_newcomers_from_xlsx_with_and_without_a_reference_number_are_not_imported_twice(
    app: Flask, admin_client: tuple[FlaskClient, Any, Any]
) -> None:
    client, agency, _admin = admin_client
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Nr.", "Vorname", "PLZ", "Alter", "Sprachen", "Kinder", "Wartet seit",
                  "Einwilligung", "Einwilligung am", "Hinweise erklärt auf"])  # fmt: skip
    sheet.append(["A-17", "Nadia", 50825, 30, "Arabisch (Muttersprache)", "ja", "12.03.2025", "ja",
                  "10.03.2025", "Arabisch"])  # fmt: skip
    sheet.append([None, "Samir", "50825", "18_25", "fa, de:basic", "nein", None, "nein"])
    sheet.append([None, "Amal", "50825", "36_50", "ti", "", None, ""])
    out = io.BytesIO()
    workbook.save(out)
    for _ in range(2):
        url = _upload(client, agency.id, "newcomers", "liste.xlsx", out.getvalue())
        response = client.post(url, data={**_selected_mapping(client, url), "run": "1"})
        assert response.status_code == 302, response.get_data(as_text=True)
    with inside(app):
        newcomers = {n.first_name: n for n in db.session.scalars(select(Newcomer))}
        assert set(newcomers) == {"Nadia", "Samir", "Amal"}
        nadia = newcomers["Nadia"]
        assert (
            nadia.external_ref == "A-17"
            and nadia.minors
            and str(nadia.waiting_since) == "2025-03-12"
        )
        assert newcomers["Samir"].external_ref.startswith("row:")
        consents = db.session.scalars(select(ConsentRecord)).all()
        assert [c.newcomer_id for c in consents] == [nadia.id]


def test_feat_b6_a_newcomer_list_with_dari_sorani_and_farsi_is_checked_and_imported(
    app: Flask, admin_client: tuple[FlaskClient, Any, Any]
) -> None:
    client, agency, _admin = admin_client
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    # A consent on paper needs its day and the notice's language (feat B16).
    sheet.append(["Vorname", "PLZ", "Alter", "Sprachen", "Einwilligung", "Einwilligung am",
                  "Hinweise erklärt auf"])  # fmt: skip
    sheet.append(["Parwana", "50825", "26_35", "Dari (Muttersprache), Deutsch (A2)", "ja",
                  "01.10.2025", "Dari"])  # fmt: skip
    sheet.append(["Hamid", "50825", "36_50", "prs (Muttersprache); Farsi (B1)", "ja",
                  "01.10.2025", "Farsi"])  # fmt: skip
    sheet.append(["Rojin", "50825", "18_25", "Sorani (Muttersprache), Kurmandschi", "ja",
                  "01.10.2025", "Sorani"])  # fmt: skip
    out = io.BytesIO()
    workbook.save(out)
    url = _upload(client, agency.id, "newcomers", "liste.xlsx", out.getvalue())
    mapping = _selected_mapping(client, url)
    dry = client.post(url, data={**mapping, "check": "1"}).get_data(as_text=True)
    assert "unbekannte Sprache" not in dry and "3 neu" in dry
    response = client.post(url, data={**mapping, "run": "1"})
    assert response.status_code == 302, response.get_data(as_text=True)
    with inside(app):
        found = {
            n.first_name: {lang.code: lang.level for lang in n.languages}
            for n in db.session.scalars(select(Newcomer))
        }
    assert found == {
        "Parwana": {"prs": "native", "de": "basic"},
        "Hamid": {"prs": "native", "fa": "good"},
        "Rojin": {"ckb": "native", "kmr": "good"},
    }


def test_unreadable_and_unknown_uploads_get_a_message_not_a_500(
    app: Flask, admin_client: tuple[FlaskClient, Any, Any]
) -> None:
    client, agency, _admin = admin_client
    for name, data in [("x.xlsx", b"not a zip"), ("x.pdf", b"%PDF"), ("x.csv", b""),
                       ("x.csv", b"a;b\x00;c")]:  # fmt: skip
        response = client.post(
            "/admin/imports",
            data={"agency": str(agency.id), "kind": "volunteers", "file": (io.BytesIO(data), name)},
            content_type="multipart/form-data",
        )
        assert response.status_code == 400, name
        assert 'class="error"' in response.get_data(as_text=True)
    unknown = client.get("/admin/imports/" + "A" * 32)
    assert unknown.status_code == 404
    assert "unbekannt oder abgelaufen" in unknown.get_data(as_text=True)
    assert client.get("/admin/imports/../../etc").status_code == 404


def test_an_import_that_loses_a_race_keeps_none_of_its_rows(
    app: Flask, admin_client: tuple[FlaskClient, Any, Any], make_volunteer: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    client, agency, _admin = admin_client
    url = _upload(client, agency.id, "volunteers", "paten.csv", VOLUNTEERS_CSV.encode("utf-8"))
    mapping = _selected_mapping(client, url)
    # Someone else imports Ömer between the check and the write: the check cannot see him.
    make_volunteer(agency, email="omer@example.org")
    monkeypatch.setattr(imports, "_existing_keys", lambda kind, agency: set())
    consents = _count(app, ConsentRecord)
    response = client.post(url, data={**mapping, "run": "1"})
    assert response.status_code == 409
    assert "inzwischen importiert" in response.get_data(as_text=True)
    # Anna came before Ömer in the file: she and her consent are undone with the rest.
    assert _count(app, Volunteer) == 1 and _count(app, ConsentRecord) == consents
    with inside(app):
        assert not db.session.scalar(
            select(AuditEvent.id).where(AuditEvent.action == "import.volunteers")
        )


def test_another_admin_cannot_use_my_upload(
    app: Flask, admin_client: tuple[FlaskClient, Any, Any], make_user: Callable[..., Any]
) -> None:
    client, agency, _admin = admin_client
    url = _upload(client, agency.id, "volunteers", "paten.csv", VOLUNTEERS_CSV.encode("utf-8"))
    other = app.test_client()
    login(other, make_user("admin"))
    assert other.get(url).status_code == 404


def _problems(html: str) -> list[tuple[str, str, str]]:
    return re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", html)


HEINZ_CSV = """Vorname;Nachname;E-Mail;PLZ;Alter;Sprachen;Status;Einwilligung;Einwilligung am;Hinweise erklärt auf
Heinz;Huber;heinz@example.org;50823;60;Deutsch;aktiv;nein;;
Greta;Gans;greta@example.org;50823;40;Deutsch;pausiert;;;
Paul;Alt;paul@example.org;50823;70;Deutsch;ausgeschieden;nein;;
Anna;Papier;anna@example.org;50823;42;Deutsch;aktiv;ja;01.10.2025;Deutsch
"""


def test_feat_b15_volunteers_without_consent_come_in_applied_and_survive_the_purge(
    app: Flask, admin_client: tuple[FlaskClient, Any, Any], make_volunteer: Callable[..., Any]
) -> None:
    client, agency, _admin = admin_client
    url = _upload(client, agency.id, "volunteers", "heinz.csv", HEINZ_CSV.encode("utf-8"))
    mapping = _selected_mapping(client, url)
    dry = client.post(url, data={**mapping, "check": "1"}).get_data(as_text=True)
    assert "3 Ehrenamtliche haben noch keine Einwilligung" in dry and "„angemeldet“" in dry
    done = client.post(url, data={**mapping, "run": "1"}, follow_redirects=True)
    text = done.get_data(as_text=True)
    assert "Importiert: 4 neu" in text and "3 Ehrenamtliche haben noch keine Einwilligung" in text
    with inside(app):
        people = {v.first_name: v for v in db.session.scalars(select(Volunteer))}
        # Never "aktiv" while they can never be matched; one who left stays gone.
        assert people["Heinz"].status == "applied" and people["Heinz"].email_confirmed_at is None
        assert people["Greta"].status == "applied"
        assert people["Paul"].status == "inactive"
        assert people["Anna"].status == "active" and people["Anna"].email_confirmed_at
    # 20 days later the unconfirmed-sign-up purge removes online sign-ups only.
    online = make_volunteer(agency, email="online@example.org", email_confirmed_at=None,
                            status="applied", created_at=utcnow() - timedelta(days=20))  # fmt: skip
    with inside(app):
        db.session.execute(update(Volunteer).values(created_at=utcnow() - timedelta(days=20)))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["gdpr", "purge", "--unconfirmed-days", "14"])
    assert result.exit_code == 0 and "1 unconfirmed sign-ups" in result.output
    with inside(app):
        left = {v.first_name for v in db.session.scalars(select(Volunteer))}
        assert left == {"Heinz", "Greta", "Paul", "Anna"}
        assert db.session.get(Volunteer, online.id) is None


def _newcomer_sheet(headers: list[str], *rows: list[Any]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_feat_b16_newcomer_import_records_consent_as_the_file_says_and_invents_nothing(
    app: Flask, admin_client: tuple[FlaskClient, Any, Any]
) -> None:
    client, agency, _admin = admin_client
    # A file that says consent was given, but not when nor in which language: refused.
    silent = _newcomer_sheet(
        ["Vorname", "PLZ", "Alter", "Sprachen", "Einwilligung"],
        ["Oksana", "50825", "36_50", "Ukrainisch", "ja"],
        ["Samir", "50825", "18_25", "Persisch", "nein"],
    )
    url = _upload(client, agency.id, "newcomers", "liste.xlsx", silent)
    mapping = _selected_mapping(client, url)
    for button, status in (("check", 200), ("run", 400)):
        response = client.post(url, data={**mapping, button: "1"})
        assert response.status_code == status
        problems = _problems(response.get_data(as_text=True))
        assert [(row, column) for row, column, _m in problems] == [
            ("2", "Einwilligung am"), ("2", "Hinweise erklärt auf")]  # fmt: skip
        assert "ohne Datum" in problems[0][2] and "Sprache" in problems[1][2]
    assert _count(app, Newcomer) == 0 and _count(app, ConsentRecord) == 0

    # With the two columns, the consent is recorded exactly as the file gives it.
    stated = _newcomer_sheet(
        ["Vorname", "PLZ", "Alter", "Sprachen", "Einwilligung", "Einwilligung am",
         "Hinweise erklärt auf"],
        ["Oksana", "50825", "36_50", "Ukrainisch", "ja", "03.11.2025", "Ukrainisch"],
        ["Samir", "50825", "18_25", "Persisch", "nein", None, None],
        ["Amal", "50825", "36_50", "ti", "ja", "2025-10-01", None],
    )  # fmt: skip
    url = _upload(client, agency.id, "newcomers", "liste.xlsx", stated)
    mapping = _selected_mapping(client, url)
    assert mapping["map_consent_date"] == "5" and mapping["map_consent_language"] == "6"
    refused = client.post(url, data={**mapping, "run": "1"})
    assert [(r, c) for r, c, _m in _problems(refused.get_data(as_text=True))] == [
        ("4", "Hinweise erklärt auf")]  # fmt: skip
    # The same file with Amal's row corrected.
    fixed = _newcomer_sheet(
        ["Vorname", "PLZ", "Alter", "Sprachen", "Einwilligung", "Einwilligung am",
         "Hinweise erklärt auf"],
        ["Oksana", "50825", "36_50", "Ukrainisch", "ja", "03.11.2025", "Ukrainisch"],
        ["Samir", "50825", "18_25", "Persisch", "nein", None, None],
        ["Amal", "50825", "36_50", "ti", "ja", "2025-10-01", "Tigrinya"],
    )  # fmt: skip
    url = _upload(client, agency.id, "newcomers", "liste.xlsx", fixed)
    done = client.post(url, data={**_selected_mapping(client, url), "run": "1"},
                       follow_redirects=True)  # fmt: skip
    assert "1 neuzugewanderte Person hat noch keine Einwilligung" in done.get_data(as_text=True)
    with inside(app):
        names = {n.id: n.first_name for n in db.session.scalars(select(Newcomer))}
        consents = {
            names[c.newcomer_id]: (c.given_at.date(), c.language, c.channel)
            for c in db.session.scalars(select(ConsentRecord))
        }
    assert consents == {
        "Oksana": (date(2025, 11, 3), "uk", "paper"),
        "Amal": (date(2025, 10, 1), "ti", "paper"),
    }


def test_feat_b2_an_imported_newcomer_under_18_gets_no_volunteer_without_a_certificate(
    app: Flask,
    admin_client: tuple[FlaskClient, Any, Any],
    make_user: Callable[..., Any],
    make_volunteer: Callable[..., Any],
    run_jobs: Callable[[], int],
) -> None:
    """The age in an imported list ("16") makes the newcomer someone who needs a volunteer
    with a valid certificate, as one registered on the intake form does."""
    client, agency, _admin = admin_client
    make_volunteer(agency, first_name="Gisela", slots=["tue-evening"])  # no certificate
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Vorname", "PLZ", "Alter", "Sprachen", "Zeiten", "Einwilligung",
                  "Einwilligung am", "Hinweise erklärt auf"])  # fmt: skip
    sheet.append(["Amir", "50825", "16", "Arabisch (Muttersprache)", "Di abends", "ja",
                  "01.10.2025", "Arabisch"])  # fmt: skip
    out = io.BytesIO()
    workbook.save(out)
    url = _upload(client, agency.id, "newcomers", "liste.xlsx", out.getvalue())
    assert client.post(url, data={**_selected_mapping(client, url), "run": "1"}).status_code == 302
    with inside(app):
        amir = db.session.scalars(select(Newcomer)).one()
        assert amir.age_band == "under_18" and amir.needs_certificate
    coordinator = app.test_client()
    login(coordinator, make_user("coordinator", agency))
    assert coordinator.post("/matching/run").status_code == 302
    run_jobs()
    unmatched = coordinator.get("/matching/unmatched").get_data(as_text=True)
    assert "Amir" in unmatched and "Führungszeugnis" in unmatched
    with inside(app):
        from matcher.models import Match

        assert db.session.scalars(select(Match)).all() == []
