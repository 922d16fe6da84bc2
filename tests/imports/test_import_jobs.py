"""Large imports as background jobs, in-process: the page starts a job and answers at once,
the real queue's job (drained here by `run_jobs`) checks or imports, the page follows it
and shows the same result a check in the request shows. Every way a job can fail is
recorded with its reason, and leaves nothing half-imported. With a real worker process:
`test_import_worker.py`."""

import re
import socket
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from matcher import jobs, jobs_tasks
from matcher.extensions import db
from matcher.models import (
    Agency,
    AuditEvent,
    ConsentRecord,
    ImportJob,
    Newcomer,
    NewcomerLanguage,
    Volunteer,
    VolunteerLanguage,
    utcnow,
)
from matcher.services.lists import imports
from tests.conftest import inside, login
from tests.imports.test_imports import (
    BAD_CSV,
    HEINZ_CSV,
    VOLUNTEERS_CSV,
    _newcomer_sheet,
    _problems,
    _selected_mapping,
    _upload,
)

NEWCOMERS = _newcomer_sheet(
    ["Nr.", "Vorname", "PLZ", "Alter", "Sprachen", "Kinder", "Wartet seit", "Einwilligung",
     "Einwilligung am", "Hinweise erklärt auf"],
    ["A-17", "Nadia", 50825, 30, "Arabisch (Muttersprache)", "ja", "12.03.2025", "ja",
     "10.03.2025", "Arabisch"],
    [None, "Samir", "50825", "18_25", "fa, de:basic", "nein", None, "nein"],
    ["B-2", "Oksana", "50825", "36_50", "Ukrainisch", "", None, "ja", "03.11.2025", None],
)  # fmt: skip
NEWCOMERS_FIXED = _newcomer_sheet(
    ["Nr.", "Vorname", "PLZ", "Alter", "Sprachen", "Kinder", "Wartet seit", "Einwilligung",
     "Einwilligung am", "Hinweise erklärt auf"],
    ["A-17", "Nadia", 50825, 30, "Arabisch (Muttersprache)", "ja", "12.03.2025", "ja",
     "10.03.2025", "Arabisch"],
    [None, "Samir", "50825", "18_25", "fa, de:basic", "nein", None, "nein"],
    ["B-2", "Oksana", "50825", "36_50", "Ukrainisch", "", None, "ja", "03.11.2025", "uk"],
)  # fmt: skip
#: The files of the import tests: good ones, one with bad rows, consent stated or not.
FILES = {
    "volunteers": ("volunteers", "paten.csv", VOLUNTEERS_CSV.encode()),
    "bad rows": ("volunteers", "bad.csv", BAD_CSV.encode()),
    "without consent": ("volunteers", "heinz.csv", HEINZ_CSV.encode()),
    "newcomers, a consent without its language": ("newcomers", "liste.xlsx", NEWCOMERS),
    "newcomers": ("newcomers", "liste.xlsx", NEWCOMERS_FIXED),
}


@pytest.fixture
def app_config(tmp_path: Any) -> dict[str, Any]:
    """Every dry run and import is a job here (a file of any size); uploads wait in a
    folder of the test."""
    return {"IMPORT_STASH_DIR": str(tmp_path / "imports"), "IMPORT_JOB_ROWS": 0}


@pytest.fixture
def admin(
    client: FlaskClient, make_user: Callable[..., Any], make_agency: Callable[..., Any]
) -> tuple[FlaskClient, Agency, Any]:
    agency = make_agency(slug="awo", name="AWO Köln")
    user = make_user("admin", name="Ada Admin")
    assert login(client, user).status_code == 302
    return client, agency, user


def _job_id(response: Any) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)
    found = re.fullmatch(r"/admin/imports/jobs/(\d+)", response.location)
    assert found, response.location
    return int(found.group(1))


def _jobs(app: Flask) -> list[ImportJob]:
    with inside(app):
        found = list(db.session.scalars(select(ImportJob).order_by(ImportJob.id)))
        db.session.expunge_all()
        return found


def _page(client: FlaskClient, job_id: int) -> str:
    response = client.get(f"/admin/imports/jobs/{job_id}")
    assert response.status_code == 200
    return str(response.get_data(as_text=True))


def _count(app: Flask, model: Any) -> int:
    with inside(app):
        return int(db.session.scalar(select(func.count()).select_from(model)))


def _people(app: Flask, agency_id: int) -> list[tuple[Any, ...]]:
    """Every person of an agency as the import wrote them: each column but ids and clocks,
    their languages and their consents."""
    skip = {"id", "agency_id", "created_at", "updated_at", "email_confirmed_at", "created_by_id"}
    with inside(app):
        found = []
        for model, languages, owner in ((Volunteer, VolunteerLanguage, "volunteer_id"),
                                        (Newcomer, NewcomerLanguage, "newcomer_id")):  # fmt: skip
            for person in db.session.scalars(select(model).where(model.agency_id == agency_id)):
                columns = tuple(
                    (c.key, getattr(person, c.key))
                    for c in model.__table__.columns
                    if c.key not in skip
                )
                spoken = sorted(
                    (lang.code, lang.level)
                    for lang in db.session.scalars(
                        select(languages).where(getattr(languages, owner) == person.id)
                    )
                )
                consents = sorted(
                    (c.purpose, c.channel, c.language, c.given_at, c.notice_version,
                     c.taken_by_id is not None)
                    for c in db.session.scalars(
                        select(ConsentRecord).where(getattr(ConsentRecord, owner) == person.id)
                    )
                )  # fmt: skip
                confirmed = getattr(person, "email_confirmed_at", None) is not None
                found.append((model.__name__, columns, tuple(spoken), tuple(consents), confirmed))
        return sorted(found, key=repr)


@pytest.mark.parametrize("case", list(FILES))
def test_a_check_and_an_import_as_jobs_give_what_they_give_in_the_request(
    app: Flask,
    admin: tuple[FlaskClient, Agency, Any],
    make_agency: Callable[..., Any],
    run_jobs: Callable[[], int],
    case: str,
) -> None:
    client, by_job, _user = admin
    in_request = make_agency(slug="drk", name="DRK Köln")
    kind, name, data = FILES[case]

    # In the request (a file of at most IMPORT_JOB_ROWS rows), as before.
    app.config["IMPORT_JOB_ROWS"] = 1000
    url = _upload(client, in_request.id, kind, name, data)
    mapping = _selected_mapping(client, url)
    checked = client.post(url, data={**mapping, "check": "1"})
    assert checked.status_code == 200
    expected_problems = _problems(checked.get_data(as_text=True))
    ran = client.post(url, data={**mapping, "run": "1"}, follow_redirects=True)
    assert ran.status_code == (200 if not expected_problems else 400)
    expected_message = re.search(r"Importiert: [^<]*", ran.get_data(as_text=True))

    # As jobs (a file of more rows than that).
    app.config["IMPORT_JOB_ROWS"] = 0
    url = _upload(client, by_job.id, kind, name, data)
    check_id = _job_id(client.post(url, data={**mapping, "check": "1"}))
    assert run_jobs() == 1
    page = _page(client, check_id)
    assert _problems(page) == expected_problems
    if not expected_problems:
        assert "Prüfung bestanden" in page
        # The page's button imports with the same column assignment.
        form = re.search(r'<form method="post" action="([^"]+)">(.*?)</form>', page, re.S)
        assert form is not None and form.group(1) == url
        fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">',
                                 form.group(2)))  # fmt: skip
        assert {k: v for k, v in fields.items() if k.startswith("map_")} == mapping
        import_id = _job_id(client.post(url, data={**fields, "run": "1"}))
    else:
        import_id = _job_id(client.post(url, data={**mapping, "run": "1"}))
    assert run_jobs() == 1
    page = _page(client, import_id)
    assert _problems(page) == expected_problems
    if expected_problems:
        assert "Nichts wurde importiert" in page
    else:
        assert expected_message is not None and expected_message.group(0) in page
        # The upload has gone from the stash, as after an import in the request.
        assert client.get(url).status_code == 404
    assert _people(app, by_job.id) == _people(app, in_request.id)
    check_job, import_job = _jobs(app)
    assert (check_job.dry_run, check_job.status) == (True, "finished")
    assert (import_job.dry_run, import_job.status) == (False, "finished")
    assert import_job.imported is not bool(expected_problems)
    with inside(app):
        audited = db.session.scalars(select(AuditEvent.agency_id).where(
            AuditEvent.action == f"import.{kind}")).all()  # fmt: skip
    assert sorted(audited) == ([] if expected_problems else sorted([in_request.id, by_job.id]))


def test_the_written_rows_are_those_the_model_makes(
    app: Flask, make_agency: Callable[..., Any], make_user: Callable[..., Any]
) -> None:
    """The batched INSERTs write each column as the model's constructor and the unit of
    work would (its defaults, and the search key its listener keeps)."""
    core, orm = make_agency(slug="core"), make_agency(slug="orm")
    actor = make_user("admin")
    for kind, name, data in (FILES["volunteers"], FILES["newcomers"]):
        table = imports.read_table(name, data)
        mapping = imports.suggest_mapping(kind, table.headers)
        with app.test_request_context(), inside(app):
            user = db.session.merge(actor)
            for agency in (core, orm):
                agency = db.session.merge(agency)
                plan = imports.check(kind, agency, table, mapping)
                assert plan.ok and plan.new == 3
                if agency.slug == "core":
                    imports.write(plan, agency, user)
                    continue
                for r in plan.records:  # one person at a time through the ORM
                    if kind == "volunteers":
                        values = imports._volunteer(agency, r, utcnow())
                        language: Any = VolunteerLanguage
                        person: Any = Volunteer
                    else:
                        values = imports._newcomer(agency, r, user, utcnow())
                        language, person = NewcomerLanguage, Newcomer
                    del values["search_key"]
                    made = person(**values, languages=[
                        language(code=c, level=lv) for c, lv in r["languages"].items()])  # fmt: skip
                    db.session.add(made)
                    db.session.flush()
                    if r.get("consent"):
                        owner = "volunteer_id" if kind == "volunteers" else "newcomer_id"
                        db.session.add(ConsentRecord(**imports._consent(agency, owner, made.id,
                                                                        r, user)))  # fmt: skip
            db.session.commit()
    assert _people(app, core.id) == _people(app, orm.id)
    with inside(app):
        keys = set(db.session.scalars(select(Volunteer.search_key)))
    assert "anna schmidt anna@example.org" in keys and "ömer yılmaz omer@example.org" in keys


def test_the_page_answers_at_once_and_follows_the_job_without_inline_script(
    app: Flask, admin: tuple[FlaskClient, Agency, Any], run_jobs: Callable[[], int]
) -> None:
    client, agency, user = admin
    url = _upload(client, agency.id, "volunteers", "paten.csv", VOLUNTEERS_CSV.encode())
    response = client.post(url, data={**_selected_mapping(client, url), "run": "1"})
    job_id = _job_id(response)
    # Nothing was imported in the request: the job waits on the queue for a worker.
    (job,) = _jobs(app)
    assert (job.status, job.dry_run, job.rows_total, job.started_by_id) == (
        "queued", False, 3, user.id)  # fmt: skip
    assert job.locale == "de" and job.job_id and jobs.pending_ids(app) == {job.job_id}
    assert _count(app, Volunteer) == 0
    page = _page(client, job_id)
    assert "Der Import wurde gestartet" in page and "Der Import läuft" in page
    assert "Schritt 1 von 3: wartet auf einen freien Hintergrundprozess" in page
    assert '<progress id="run-bar" max="3" value="0">' in page
    assert '<script src="/static/js/run-progress.js" defer></script>' in page
    assert "<script>" not in page
    assert client.get(f"/admin/imports/jobs/{job_id}/progress").get_json() == {
        "active": True, "status": "queued", "value": 0, "max": 3,
        "text": "Schritt 1 von 3: wartet auf einen freien Hintergrundprozess"}  # fmt: skip
    # While it checks and while it writes, the page counts the rows.
    with inside(app):
        db.session.execute(update(ImportJob).values(status="checking", rows_done=2))
        db.session.commit()
    state = client.get(f"/admin/imports/jobs/{job_id}/progress").get_json()
    assert (state["value"], state["max"]) == (2, 3)
    assert state["text"] == "Schritt 2 von 3: die Zeilen werden geprüft (2 von 3)"
    with inside(app):
        db.session.execute(update(ImportJob).values(status="importing", new=3, rows_done=1))
        db.session.commit()
    state = client.get(f"/admin/imports/jobs/{job_id}/progress").get_json()
    assert state["text"] == "Schritt 3 von 3: die neuen Personen werden gespeichert (1 von 3)"
    with inside(app):
        db.session.execute(update(ImportJob).values(status="queued", new=0, rows_done=0))
        db.session.commit()

    assert run_jobs() == 1
    (job,) = _jobs(app)
    assert job.status == "finished" and job.imported and job.finished_at is not None
    assert (job.rows_done, job.new, job.existing, job.without_consent) == (3, 3, 0, 1)
    assert _count(app, Volunteer) == 3
    page = _page(client, job_id)
    assert "Import abgeschlossen" in page and "run-progress.js" not in page
    assert "Importiert: 3 neu, 0 bereits vorhanden." in page
    assert client.get(f"/admin/imports/jobs/{job_id}/progress").get_json()["active"] is False


def test_a_double_submit_gives_the_job_under_way(
    app: Flask,
    admin: tuple[FlaskClient, Agency, Any],
    make_user: Callable[..., Any],
    run_jobs: Callable[[], int],
) -> None:
    client, agency, _user = admin
    url = _upload(client, agency.id, "volunteers", "paten.csv", VOLUNTEERS_CSV.encode())
    mapping = _selected_mapping(client, url)
    first = _job_id(client.post(url, data={**mapping, "run": "1"}))
    again = client.post(url, data={**mapping, "run": "1"})
    assert _job_id(again) == first
    assert "bereits ein Import" in client.get(again.location).get_data(as_text=True)
    # A second admin's dry run of another file for the same agency waits its turn too.
    other = app.test_client()
    assert login(other, make_user("admin")).status_code == 302
    url2 = _upload(other, agency.id, "volunteers", "heinz.csv", HEINZ_CSV.encode())
    assert _job_id(other.post(url2, data={**_selected_mapping(other, url2), "check": "1"})) == first
    # A small file too, while a job of the agency is under way.
    app.config["IMPORT_JOB_ROWS"] = 1000
    assert _job_id(other.post(url2, data={**_selected_mapping(other, url2), "run": "1"})) == first
    assert len(_jobs(app)) == 1 and jobs.depth(app) == 1
    assert run_jobs() == 1
    assert _count(app, Volunteer) == 3
    # Once it has ended, the next one starts.
    assert other.post(url2, data={**_selected_mapping(other, url2), "run": "1"}).status_code == 302
    assert _count(app, Volunteer) == 6  # Anna was in both files


def test_a_job_that_fails_while_writing_leaves_nothing_and_says_why(
    app: Flask,
    admin: tuple[FlaskClient, Agency, Any],
    run_jobs: Callable[[], int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client, agency, user = admin
    url = _upload(client, agency.id, "volunteers", "paten.csv", VOLUNTEERS_CSV.encode())
    mapping = _selected_mapping(client, url)
    job_id = _job_id(client.post(url, data={**mapping, "run": "1"}))
    # One person a batch; the third person's consent breaks: two are written by then.
    monkeypatch.setattr(imports, "BATCH", 1)
    written: list[int] = []
    real_consent = imports._consent

    def consent(*args: Any) -> dict[str, Any]:
        written.append(1)
        if len(written) == 2:
            raise RuntimeError("the disk is full")
        return real_consent(*args)

    monkeypatch.setattr(imports, "_consent", consent)
    with pytest.raises(RuntimeError, match="the disk is full"):
        run_jobs()
    (job,) = _jobs(app)
    assert job.status == "failed" and job.failure == "error"
    assert job.failure_detail == "RuntimeError: the disk is full"
    # Nothing half-imported: not the people, their languages, consents or audit entry.
    for model in (Volunteer, VolunteerLanguage, ConsentRecord):
        assert _count(app, model) == 0, model
    with inside(app):
        actions = db.session.execute(select(AuditEvent.action, AuditEvent.actor_id).where(
            AuditEvent.action.startswith("import."))).all()  # fmt: skip
    assert actions == [("import.failed", user.id)]
    page = _page(client, job_id)
    assert "Der Import ist fehlgeschlagen" in page
    assert "Ein unerwarteter Fehler hat den Import angehalten. Es wurde nichts importiert." in page
    assert "RuntimeError: the disk is full" in page  # the technical detail, for an error
    # The file is kept: the admin can try again, and this time it works.
    monkeypatch.setattr(imports, "_consent", real_consent)
    assert "Spaltenzuordnung ändern" in page
    again = _job_id(client.post(url, data={**mapping, "run": "1"}))
    assert again != job_id and run_jobs() == 1
    assert _count(app, Volunteer) == 3 and _count(app, ConsentRecord) == 2


def test_a_job_that_loses_a_race_imports_none_of_its_rows(
    app: Flask,
    admin: tuple[FlaskClient, Agency, Any],
    make_volunteer: Callable[..., Any],
    run_jobs: Callable[[], int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client, agency, _user = admin
    url = _upload(client, agency.id, "volunteers", "paten.csv", VOLUNTEERS_CSV.encode())
    job_id = _job_id(client.post(url, data={**_selected_mapping(client, url), "run": "1"}))
    # Someone else imports Ömer between the check and the write: the check cannot see him.
    make_volunteer(agency, email="omer@example.org")
    monkeypatch.setattr(imports, "_existing_keys", lambda kind, agency: set())
    consents = _count(app, ConsentRecord)
    assert run_jobs() == 1
    (job,) = _jobs(app)
    assert (job.status, job.failure) == ("failed", "rows_taken")
    # Anna came before Ömer in the file: she and her consent are undone with the rest.
    assert _count(app, Volunteer) == 1 and _count(app, ConsentRecord) == consents
    assert "von jemand anderem importiert" in _page(client, job_id)


def test_lost_jobs_and_a_lost_upload_are_recorded_as_failed_with_their_reason(
    app: Flask, admin: tuple[FlaskClient, Agency, Any], run_jobs: Callable[[], int]
) -> None:
    client, agency, _user = admin
    url = _upload(client, agency.id, "volunteers", "paten.csv", VOLUNTEERS_CSV.encode())
    mapping = _selected_mapping(client, url)
    # A worker took the job and was killed while it wrote: no heartbeat for a minute.
    job_id = _job_id(client.post(url, data={**mapping, "run": "1"}))
    stale = utcnow() - timedelta(seconds=120)
    with inside(app):
        db.session.execute(update(ImportJob).values(status="importing", heartbeat_at=stale))
        db.session.commit()
    page = _page(client, job_id)
    assert "Der Hintergrundprozess, der den Import ausführte, wurde beendet" in page
    (job,) = _jobs(app)
    assert (job.status, job.failure) == ("failed", "worker_lost")
    assert run_jobs() == 1  # its job, should a worker take it now, finds nothing to do
    assert _count(app, Volunteer) == 0 and _jobs(app)[0].status == "failed"

    # A queued job whose job left the queue unrun.
    job_id = _job_id(client.post(url, data={**mapping, "run": "1"}))
    jobs.queue(app).flush()
    with inside(app):
        db.session.execute(update(ImportJob).where(ImportJob.id == job_id)
                           .values(started_at=stale))  # fmt: skip
        db.session.commit()
    assert "bevor ein Hintergrundprozess ihn übernehmen konnte" in _page(client, job_id)
    assert _jobs(app)[-1].failure == "not_picked_up"

    # The upload was removed (after a day in the stash) before the worker took the job.
    job_id = _job_id(client.post(url, data={**mapping, "run": "1"}))
    with app.app_context():
        imports.discard(url.rsplit("/", 1)[1])
    assert run_jobs() == 1
    assert _jobs(app)[-1].failure == "upload_gone"
    page = _page(client, job_id)
    assert "Die hochgeladene Datei war nicht mehr da" in page
    assert "Spaltenzuordnung ändern" not in page
    assert _count(app, Volunteer) == 0


def test_a_job_words_the_field_labels_in_the_language_of_who_started_it(
    app: Flask, admin: tuple[FlaskClient, Agency, Any], run_jobs: Callable[[], int]
) -> None:
    client, agency, _user = admin
    url = _upload(client, agency.id, "volunteers", "ohne-mail.csv",
                  b"Vorname;Nachname;PLZ;Alter;Sprachen\nAnna;Schmidt;50823;42;Deutsch\n")  # fmt: skip
    mapping = _selected_mapping(client, url)
    assert mapping["map_email"] == ""
    for lang, label in (("en", "Email"), ("de", "E-Mail")):
        client.post("/language", data={"lang": lang, "next": "/"})
        job_id = _job_id(client.post(url, data={**mapping, "check": "1"}))
        assert run_jobs() == 1
        assert _jobs(app)[-1].locale == lang
        assert _jobs(app)[-1].errors == [[1, label, "column_not_assigned", {}]]
        assert [(r, c) for r, c, _m in _problems(_page(client, job_id))] == [("1", label)]


def test_a_queue_that_cannot_be_reached_fails_the_job_with_its_reason(
    make_app: Callable[..., Flask],
    make_agency: Callable[..., Any],
    make_user: Callable[..., Any],
    tmp_path: Any,
) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = make_app(JOBS_URL=f"redis://127.0.0.1:{port}/0", IMPORT_JOB_ROWS=0,
                   IMPORT_STASH_DIR=str(tmp_path / "imports"))  # fmt: skip
    agency = make_agency()
    client = app.test_client()
    assert login(client, make_user("admin")).status_code == 302
    url = _upload(client, agency.id, "volunteers", "paten.csv", VOLUNTEERS_CSV.encode())
    job_id = _job_id(client.post(url, data={**_selected_mapping(client, url), "run": "1"}))
    (job,) = _jobs(app)
    assert job.status == "failed" and job.failure == "queue_unavailable"
    assert "Die Warteschlange ist nicht erreichbar" in _page(client, job_id)


def test_the_periodic_job_reaps_every_agencys_lost_imports(
    app: Flask, admin: tuple[FlaskClient, Agency, Any], run_jobs: Callable[[], int]
) -> None:
    client, agency, _user = admin
    url = _upload(client, agency.id, "volunteers", "paten.csv", VOLUNTEERS_CSV.encode())
    _job_id(client.post(url, data={**_selected_mapping(client, url), "check": "1"}))
    with inside(app):
        db.session.execute(update(ImportJob).values(
            status="checking", heartbeat_at=utcnow() - timedelta(minutes=5)))  # fmt: skip
        db.session.commit()
    jobs_tasks.task(jobs_tasks.REAP_IMPORTS, app)()  # what the consumer's scheduler enqueues
    assert run_jobs() == 2  # the reaper, and the import's own job, which finds it failed
    assert [(j.status, j.failure) for j in _jobs(app)] == [("failed", "worker_lost")]
