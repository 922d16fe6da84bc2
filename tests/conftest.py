"""Fixtures: the app on SQLite and on a real PostgreSQL, clients, logins, factories."""

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, NoReturn

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import text
from sqlalchemy.engine import make_url

from matcher import create_app, jobs, tenancy
from matcher.domain.contact import default_correspondence_language
from matcher.domain.vocab import slots_to_mask
from matcher.extensions import db as _db
from matcher.models import (
    Agency,
    CheckIn,
    ConsentRecord,
    FirstMeeting,
    Match,
    MatchRun,
    Newcomer,
    NewcomerLanguage,
    Note,
    StaffSession,
    User,
    Volunteer,
    VolunteerLanguage,
    utcnow,
)
from matcher.models.base import Base
from matcher.passwords import Argon2Params, hash_password
from tests.pgserver import PostgresServer, PostgresUnavailable

PASSWORD = "correct horse battery"
# The app under test hashes with Argon2id at the smallest cost Argon2 allows (8 KiB, one
# pass): a login then costs microseconds instead of OWASP's 17 ms. `PASSWORD_HASH` is
# `PASSWORD` hashed once with these parameters, for the users the factories make, so a login
# verifies it cheaply and finds nothing to re-hash. The real parameters are the defaults every
# deployment gets: tests/security/test_passwords.py checks them.
TEST_ARGON2 = Argon2Params(memory_kib=8, time_cost=1, parallelism=1)
PASSWORD_HASH = hash_password(PASSWORD, TEST_ARGON2)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backends",
        default=os.environ.get("TEST_BACKENDS", "sqlite,postgresql"),
        help="comma-separated database backends to run the app tests on",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        backends = metafunc.config.getoption("--backends").split(",")
        # A browser test checks what a person sees; the services under it are tested on
        # every backend already. Browser tests run on the first backend only (SQLite by
        # default), unless marked `both_backends` (the core journey runs on both).
        in_browser = "tests/browser/" in str(metafunc.definition.path).replace("\\", "/")
        if in_browser and not metafunc.definition.get_closest_marker("both_backends"):
            backends = backends[:1]
        metafunc.parametrize("backend", backends, scope="session")


# --------------------------------------------------------------------------- PostgreSQL


def missing_service(message: str) -> NoReturn:
    """A service the tests need is not installed: a failure in CI, a skip on a laptop."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message}; it is required in CI")
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """The URL of a PostgreSQL server: TEST_DATABASE_URL, or one this run starts itself."""
    if url := os.environ.get("TEST_DATABASE_URL"):
        yield url
        return
    try:
        server = PostgresServer()
        url = server.start()
    except PostgresUnavailable as e:
        missing_service(f"PostgreSQL tests skipped: {e}. Install PostgreSQL to run them")
    try:
        yield url
    finally:
        server.stop()


def create_database(server_url: str, name: str) -> str:
    """(Re)create an empty database on the server; return its SQLAlchemy URL."""
    url = make_url(server_url)
    conninfo = url.set(drivername="postgresql", database="postgres").render_as_string(
        hide_password=False
    )
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_app_db(postgres_server_url: str) -> str:
    """A PostgreSQL database for the app tests, schema created once per session."""
    url = create_database(postgres_server_url, "matcher_test")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "t"})
    with inside(app):
        Base.metadata.create_all(_db.engine)
        _db.engine.dispose()
    return url


# --------------------------------------------------------------------------- the app


def app_test_config(database_url: str, **extra: Any) -> dict[str, Any]:
    """The configuration the tests run the app with."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "ARGON2_MEMORY_KIB": TEST_ARGON2.memory_kib,
        "ARGON2_TIME_COST": TEST_ARGON2.time_cost,
        "ARGON2_PARALLELISM": TEST_ARGON2.parallelism,
        # Admins sign in with the password alone here, as the suite always has; the tests of
        # two-factor sign-in (tests/security/test_two_factor.py) switch it back on.
        "TOTP_REQUIRED_FOR_ADMINS": False,
        **extra,
    }


@pytest.fixture
def database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """An empty database with the models' schema, on the backend under test."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite'}"
    return str(request.getfixturevalue("postgres_app_db"))


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Extra configuration for one test module (override it)."""
    return {}


def jobs_url(tmp_path: Path) -> str:
    """A job queue of the test's own, in its tmp_path (never the repository's instance/)."""
    return f"sqlite:///{tmp_path / 'jobs.sqlite'}"


@pytest.fixture
def app(
    backend: str, database_url: str, app_config: dict[str, Any], tmp_path: Path
) -> Iterator[Flask]:
    """The application with an empty schema; rows are removed after each test."""
    app = create_app(
        app_test_config(database_url, **{"JOBS_URL": jobs_url(tmp_path), **app_config})
    )
    # No app context stays pushed during the test: each request must get its own, as in
    # production (a shared one would share `g` and the session between requests).
    with inside(app):
        if backend == "sqlite":
            Base.metadata.create_all(_db.engine)
    yield app
    with inside(app):
        _db.session.remove()
        if backend != "sqlite":
            names = ", ".join(t.name for t in Base.metadata.sorted_tables)
            with _db.engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        _db.engine.dispose()


@pytest.fixture
def make_app(database_url: str, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Create further apps on the test database (e.g. with CSRF on); their pools are closed.
    They share the test's job queue."""
    made: list[Flask] = []

    def make(**config: Any) -> Flask:
        extra = create_app(
            app_test_config(database_url, **{"JOBS_URL": jobs_url(tmp_path), **config})
        )
        made.append(extra)
        return extra

    yield make
    for extra in made:
        with extra.app_context():
            _db.session.remove()
            _db.engine.dispose()


@contextmanager
def inside(app: Flask) -> Iterator[None]:
    """An app context of the test app that sees every agency's rows (it says so by name,
    as the app's own commands do): for a test's setup and its checks of the database."""
    with app.app_context(), tenancy.all_agencies():
        yield


@pytest.fixture
def db(app: Flask) -> Iterator[Any]:
    """The Flask-SQLAlchemy object inside an app context of the test app (every agency)."""
    with inside(app):
        yield _db


def persist(app: Flask, *objects: Any) -> None:
    """Add and commit objects in their own app context; return them detached but loaded."""
    with inside(app):
        _db.session.add_all(objects)
        _db.session.commit()
        for obj in objects:
            _db.session.refresh(obj)
        _db.session.expunge_all()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """A CLI runner."""
    return app.test_cli_runner()


# --------------------------------------------------------------------------- jobs


def drain_jobs(app: Flask) -> int:
    """Run every job waiting on the app's queue, here and now, as a worker does: taken from
    the real queue (the SqliteHuey file in the test's tmp_path) and run by Huey with the
    real task code, in this process. An error in a job is raised here after the queue is
    empty. Returns how many jobs ran."""
    from huey import signals

    huey = jobs.queue(app)
    errors: list[BaseException] = []

    def record(signal: str, task: Any, exc: BaseException | None = None) -> None:
        if exc is not None:
            errors.append(exc)

    huey.signal(signals.SIGNAL_ERROR)(record)
    count = 0
    try:
        while (task := huey.dequeue()) is not None:
            huey.execute(task)
            count += 1
    finally:
        huey.disconnect_signal(record, signals.SIGNAL_ERROR)
    if errors:
        raise errors[0]
    return count


@pytest.fixture
def run_jobs(app: Flask) -> Callable[[], int]:
    """`run_jobs()` runs the jobs waiting on the test app's queue (see `drain_jobs`)."""
    return lambda: drain_jobs(app)


# --------------------------------------------------------------------------- factories


def agency_factory(app: Flask) -> Callable[..., Agency]:
    """Create an agency: `make_agency(slug="a", **overrides)`."""
    counter = iter(range(1, 10_000))

    def make(**overrides: Any) -> Agency:
        n = next(counter)
        values: dict[str, Any] = {"slug": f"agency-{n}", "name": f"Agency {n}", "city": "Köln"}
        values.update(overrides)
        agency = Agency(**values)
        persist(app, agency)
        return agency

    return make


@pytest.fixture
def make_agency(app: Flask) -> Callable[..., Agency]:
    """Create an agency: `make_agency(slug="a", **overrides)`."""
    return agency_factory(app)


def user_factory(app: Flask) -> Callable[..., User]:
    """Create a staff user whose password is `PASSWORD` (cheaply hashed: `PASSWORD_HASH`)."""
    counter = iter(range(1, 10_000))

    def make(role: str = "coordinator", agency: Agency | None = None, **overrides: Any) -> User:
        user = User(
            email=overrides.pop("email", f"user{next(counter)}@example.org"),
            role=role,
            agency_id=agency.id if agency else None,
            password_hash=overrides.pop("password_hash", PASSWORD_HASH),
            **overrides,
        )
        persist(app, user)
        return user

    return make


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    """Create a staff user whose password is `PASSWORD` (cheaply hashed: `PASSWORD_HASH`)."""
    return user_factory(app)


def volunteer_factory(app: Flask) -> Callable[..., Volunteer]:
    """Create a confirmed, consenting, active volunteer of `agency`."""
    counter = iter(range(1, 100_000))

    def make(agency: Agency, **overrides: Any) -> Volunteer:
        n = next(counter)
        languages = overrides.pop("languages", {"de": "native", "ar": "fluent"})
        slots = overrides.pop("slots", ["mon-evening", "sat-morning"])
        values: dict[str, Any] = {
            "agency_id": agency.id,
            "first_name": f"Vera{n}",
            "last_name": "Muster",
            "email": f"vol{n}@example.org",
            "email_confirmed_at": utcnow(),
            "postcode": "50823",
            "lat": 50.951,
            "lon": 6.927,
            "age_band": "36_50",
            "slots": slots_to_mask(slots),
            "topics": ["authorities", "german"],
            "capacity": 1,
            "status": "active",
        }
        values.update(overrides)
        with inside(app):
            volunteer = Volunteer(
                **values,
                languages=[VolunteerLanguage(code=c, level=lv) for c, lv in languages.items()],
            )
            _db.session.add(volunteer)
            _db.session.flush()
            _db.session.add(
                ConsentRecord(
                    agency_id=agency.id,
                    volunteer_id=volunteer.id,
                    purpose="matching",
                    notice_version="1",
                    language="de",
                    channel="online",
                )
            )
            _db.session.commit()
            _db.session.refresh(volunteer)
            _db.session.expunge_all()
        return volunteer

    return make


@pytest.fixture
def make_volunteer(app: Flask) -> Callable[..., Volunteer]:
    """Create a confirmed, consenting, active volunteer of `agency`."""
    return volunteer_factory(app)


def newcomer_factory(app: Flask) -> Callable[..., Newcomer]:
    """Create a waiting, consenting newcomer of `agency`."""
    counter = iter(range(1, 100_000))

    def make(agency: Agency, **overrides: Any) -> Newcomer:
        n = next(counter)
        languages = overrides.pop("languages", {"ar": "native", "de": "basic"})
        slots = overrides.pop("slots", ["sat-morning"])
        values: dict[str, Any] = {
            "agency_id": agency.id,
            "first_name": f"Nadia{n}",
            "postcode": "50825",
            "lat": 50.954,
            "lon": 6.910,
            "age_band": "26_35",
            "slots": slots_to_mask(slots),
            "topics": ["authorities", "housing"],
            "waiting_since": date(2026, 8, 1),
            "status": "waiting",
            # Her letters' language as intake sets it: the best she speaks that we write in.
            "correspondence_language": default_correspondence_language(languages),
        }
        consents = overrides.pop("consents", ("matching",))
        values.update(overrides)
        newcomer = Newcomer(
            **values,
            languages=[NewcomerLanguage(code=c, level=lv) for c, lv in languages.items()],
        )
        with inside(app):
            _db.session.add(newcomer)
            _db.session.flush()
            for purpose in consents:
                _db.session.add(
                    ConsentRecord(
                        agency_id=agency.id,
                        newcomer_id=newcomer.id,
                        purpose=purpose,
                        notice_version="1",
                        language="ar",
                        channel="online",
                    )
                )
            _db.session.commit()
            _db.session.refresh(newcomer)
            _db.session.expunge_all()
        return newcomer

    return make


@pytest.fixture
def make_newcomer(app: Flask) -> Callable[..., Newcomer]:
    """Create a waiting, consenting newcomer of `agency`."""
    return newcomer_factory(app)


# --------------------------------------------------------------------------- logins


def login(client: FlaskClient, user: User | str, password: str = PASSWORD) -> Any:
    """Log in through the real form; return the response."""
    email = user if isinstance(user, str) else user.email
    return client.post("/login", data={"email": email, "password": password})


@pytest.fixture
def logged_in(app: Flask, make_user: Callable[..., User]) -> Callable[..., FlaskClient]:
    """A fresh client logged in as a new user: `logged_in("admin")`,
    `logged_in("coordinator", agency)`, or `logged_in(user=someone)`."""

    def client_for(
        role: str = "coordinator", agency: Agency | None = None, user: User | None = None
    ) -> FlaskClient:
        client = app.test_client()
        response = login(client, user or make_user(role, agency))
        assert response.status_code == 302, "the login failed"
        return client

    return client_for


def csrf_token(client: FlaskClient, path: str) -> str:
    """Fetch a page and return the CSRF token in its first form."""
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


@pytest.fixture
def two_agencies(
    app: Flask,
    make_agency: Callable[..., Agency],
    make_user: Callable[..., User],
    make_volunteer: Callable[..., Volunteer],
    make_newcomer: Callable[..., Newcomer],
) -> dict[str, Any]:
    """Agencies A and B, each with a coordinator, a volunteer, a newcomer, and a running
    Patenschaft of the two (`match`) from a matching `run`, with a pending `checkin`."""
    return seed_two_agencies(app, make_agency, make_user, make_volunteer, make_newcomer)


def seed_two_agencies(
    app: Flask,
    make_agency: Callable[..., Agency],
    make_user: Callable[..., User],
    make_volunteer: Callable[..., Volunteer],
    make_newcomer: Callable[..., Newcomer],
) -> dict[str, Any]:
    """The rows of `two_agencies`, made with these factories."""
    out: dict[str, Any] = {}
    for key in ("a", "b"):
        agency = make_agency(slug=f"agency-{key}", name=f"Agency {key.upper()}")
        out[key] = {
            "agency": agency,
            "coordinator": make_user("coordinator", agency, email=f"coord-{key}@example.org"),
            "volunteer": make_volunteer(agency, first_name=f"Vol{key.upper()}"),
            "newcomer": make_newcomer(agency, first_name=f"New{key.upper()}"),
        }
        out[key].update(_running_match(app, out[key]))
        out[key]["first_meeting"] = _first_meeting(app, out[key])
        out[key]["note"] = _note(app, out[key])
        out[key]["session"] = _staff_session(app, out[key]["coordinator"])
    out["admin"] = make_user("admin", email="admin@example.org")
    return out


def _running_match(app: Flask, people: dict[str, Any]) -> dict[str, Any]:
    """An active Patenschaft of the agency's volunteer and newcomer, its run and a check-in."""
    agency_id = people["agency"].id
    run = MatchRun(agency_id=agency_id, status="finished", pairs=1, volunteers=1, newcomers=1)
    persist(app, run)
    now = utcnow()
    match = Match(
        agency_id=agency_id,
        volunteer_id=people["volunteer"].id,
        newcomer_id=people["newcomer"].id,
        run_id=run.id,
        status="active",
        score=0.8,
        components={"language": 1.0},
        reasons=[],
        approved_at=now,
        started_at=now,
        trial_until=date(2026, 12, 24),
    )
    persist(app, match)
    checkin = CheckIn(agency_id=agency_id, match_id=match.id, due_on=date(2026, 12, 24))
    persist(app, checkin)
    with inside(app):
        newcomer = _db.session.get(Newcomer, people["newcomer"].id)
        assert newcomer is not None
        newcomer.status = "matched"
        _db.session.commit()
    return {"run": run, "match": match, "checkin": checkin}


def _first_meeting(app: Flask, people: dict[str, Any]) -> FirstMeeting:
    """The first meeting of the agency's Patenschaft (its letter and calendar file exist)."""
    meeting = FirstMeeting(
        agency_id=people["agency"].id,
        match_id=people["match"].id,
        starts_at=datetime(2026, 12, 3, 16, 30, tzinfo=UTC),
        duration_minutes=90,
        place="Stadtteilbüro, Venloer Str. 1",
    )
    persist(app, meeting)
    return meeting


def _staff_session(app: Flask, user: User) -> StaffSession:
    """The coordinator signed in on another computer (her session can be listed and ended)."""
    row = StaffSession(
        user_id=user.id, key_digest=f"{user.id:064d}", version=user.session_version, agent="x"
    )
    persist(app, row)
    return row


def _note(app: Flask, people: dict[str, Any]) -> Note:
    """A contact on the newcomer's timeline (its page, history, edit and delete exist)."""
    note = Note(
        agency_id=people["agency"].id,
        newcomer_id=people["newcomer"].id,
        kind="contact",
        channel="phone",
        party="newcomer",
        text="Termin beim Jobcenter besprochen",
        staff_id=people["coordinator"].id,
        created_by_id=people["coordinator"].id,
    )
    persist(app, note)
    return note


# --------------------------------------------------------------------------- mail


@pytest.fixture
def smtp_server() -> Iterator[Any]:
    """A real SMTP server on 127.0.0.1 (aiosmtpd) with a free port; `.messages` it received."""
    from tests.mailserver import MailServer

    server = MailServer().start()
    try:
        yield server
    finally:
        server.stop()


def mail_config(port: int, **extra: Any) -> dict[str, Any]:
    """App configuration that sends mail to a test SMTP server on 127.0.0.1:`port`."""
    return {
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": port,
        "MAIL_TIMEOUT_SECONDS": 5,
        "PUBLIC_BASE_URL": "http://matcher.test",
        **extra,
    }
