"""Each place a request first needs the database answers the German 503 page when it fails.

The failures are real driver errors: a database that cannot be reached (a SQLite file in a
missing folder, a PostgreSQL port nobody listens on), a connection PostgreSQL terminates
just before COMMIT, a SQLite file that turned read-only (`chattr +i`, which binds root too).
"""

import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from matcher import create_app
from matcher.extensions import db
from matcher.models import OutboxMessage, Volunteer
from tests.conftest import app_test_config, inside
from tests.forms import signup_form
from tests.mailserver import free_port

GERMAN_503 = "Vorübergehend nicht erreichbar"
NOT_SAVED = "möglicherweise nicht gespeichert"


def unreachable_url(backend: str, tmp_path: Path) -> str:
    """A database URL whose every connection attempt fails at once."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'no-such-folder' / 'db.sqlite'}"
    return f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/matcher"


@pytest.fixture
def broken(backend: str, tmp_path: Path) -> Iterator[Flask]:
    """The same app (same secret key, so the same sessions) on a database that is gone."""
    app = create_app(app_test_config(unreachable_url(backend, tmp_path)))
    yield app
    with app.app_context():
        db.engine.dispose()


def same_session(client: FlaskClient, app: Flask) -> FlaskClient:
    """A client of `app` carrying `client`'s session cookie: the user stays logged in."""
    other = app.test_client()
    cookie = client.get_cookie("session")
    assert cookie is not None
    other.set_cookie("session", cookie.value)
    return other


def assert_german_503(response: Any) -> str:
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert response.headers["Cache-Control"] == "no-store"
    assert GERMAN_503 in html and 'lang="de"' in html
    assert "Traceback" not in html and "OperationalError" not in html
    return html


def test_a_logged_in_coordinator_gets_the_503_page_when_their_user_cannot_be_loaded(
    broken: Flask, logged_in: Callable[..., FlaskClient], make_agency: Callable[..., Any]
) -> None:
    coordinator = same_session(logged_in("coordinator", make_agency()), broken)
    html = assert_german_503(coordinator.get("/volunteers"))
    # Rendered without the user: no navigation, no logout button, and it reloads itself.
    assert "Abmelden" not in html and "Ehrenamtliche</a>" not in html
    assert '<meta http-equiv="refresh" content="30">' in html
    # Without the session, the same page needs no database: the login guard answers.
    anonymous = broken.test_client().get("/volunteers")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    # An unknown address needs the user for its page too: 503, not a crash.
    assert_german_503(coordinator.get("/no-such-page"))


def test_json_clients_get_json_with_retry_after(
    broken: Flask, logged_in: Callable[..., FlaskClient], make_agency: Callable[..., Any]
) -> None:
    coordinator = same_session(logged_in("coordinator", make_agency()), broken)
    response = coordinator.get("/volunteers", headers={"Accept": "application/json"})
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    assert response.get_json() == {"error": "Service Unavailable", "status": 503,
                                   "retry_after": 30}  # fmt: skip


def test_a_visitor_gets_the_503_page_when_a_view_query_fails(broken: Flask) -> None:
    client = broken.test_client()
    assert_german_503(client.get("/signup/koeln"))
    html = assert_german_503(client.post("/signup/koeln", data=signup_form()))
    # A form is never re-sent by itself; the visitor learns to send it again.
    assert NOT_SAVED in html and "http-equiv" not in html
    # The health check says the same, in its own words.
    assert client.get("/healthz").status_code == 503


@contextmanager
def connection_lost_before_commit(app: Flask) -> Iterator[list[int]]:
    """PostgreSQL terminates the request's connection after its last flush, before COMMIT.

    Yields a list that receives, per commit, the rows the transaction had written by then.
    """
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    seen: list[int] = []
    with psycopg.connect(conninfo, autocommit=True) as admin:

        def terminate(session: Session) -> None:
            session.flush()
            conn = session.connection()
            seen.append(conn.execute(select(func.count()).select_from(Volunteer)).scalar_one())
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
            admin.execute("SELECT pg_terminate_backend(%s)", [pid])

        event.listen(Session, "before_commit", terminate)
        try:
            yield seen
        finally:
            event.remove(Session, "before_commit", terminate)


def test_a_commit_that_fails_answers_503_and_leaves_nothing_written(
    backend: str, app: Flask, make_agency: Callable[..., Any]
) -> None:
    if backend != "postgresql":
        pytest.skip("the commit failure is injected by PostgreSQL's pg_terminate_backend")
    make_agency(slug="koeln")
    client = app.test_client()
    with connection_lost_before_commit(app) as written:
        response = client.post("/signup/koeln", data=signup_form(email="lost@example.org"))
    assert written == [1], "the sign-up was written in its transaction before COMMIT failed"
    assert NOT_SAVED in assert_german_503(response)
    # The next request gets a new connection by itself and is stored.
    again = client.post("/signup/koeln", data=signup_form(email="kept@example.org"))
    assert again.status_code == 302
    with inside(app):
        assert list(db.session.scalars(select(Volunteer.email))) == ["kept@example.org"]
        assert list(db.session.scalars(select(OutboxMessage.to_address))) == ["kept@example.org"]


@contextmanager
def immutable(path: Path) -> Iterator[None]:
    """`chattr +i`: not even root may write the file until `chattr -i`."""
    if shutil.which("chattr") is None:
        pytest.skip("chattr is not installed")
    made = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"this filesystem has no immutable flag: {made.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def test_a_sqlite_file_that_turned_read_only_answers_503_and_heals_without_restart(
    backend: str, app: Flask, database_url: str, make_agency: Callable[..., Any]
) -> None:
    if backend != "sqlite":
        pytest.skip("a read-only database file is a SQLite matter")
    make_agency(slug="koeln")
    client = app.test_client()
    assert client.post("/signup/koeln", data=signup_form(email="a@example.org")).status_code == 302
    path = Path(make_url(database_url).database or "")
    with immutable(path):
        with app.app_context():
            db.engine.dispose()  # a restart while the file is read-only: new connections
        response = client.post("/signup/koeln", data=signup_form(email="b@example.org"))
        assert NOT_SAVED in assert_german_503(response)
        ready = client.get("/readyz").get_json()
        assert "readonly" in ready["failing"]["database"]
    # Writable again, no restart: a connection opened read-only meanwhile (here by the
    # probe's reads) fails once more, and that failure drops every older connection of
    # the pool; from then on writes work. Before, the app stayed broken until restarted.
    answers = []
    for email in ("c@example.org", "d@example.org", "e@example.org"):
        answers.append(client.post("/signup/koeln", data=signup_form(email=email)).status_code)
    assert answers in ([302, 302, 302], [503, 302, 302])
    assert client.get("/readyz").get_json()["checks"]["database"] == {"ok": True}
    with inside(app):
        emails = set(db.session.scalars(select(Volunteer.email)))
    assert emails == {"a@example.org", "d@example.org", "e@example.org"} | (
        {"c@example.org"} if answers[0] == 302 else set()
    )


def test_an_exception_escaping_the_app_still_gets_a_german_page_not_the_servers(
    backend: str, tmp_path: Path
) -> None:
    """The last net, outside Flask: should an error escape every handler (here from a
    teardown hook), the answer is a static German page with the request id — 503 with
    Retry-After when the database was the cause, 500 otherwise — never a bare server page."""
    app = create_app(app_test_config(unreachable_url(backend, tmp_path), TESTING=False))
    raise_next: list[BaseException] = []

    @app.teardown_request
    def fail_late(_error: BaseException | None) -> None:
        if raise_next:
            raise raise_next.pop()

    @app.get("/needs-the-database-late")
    def late() -> str:
        try:
            db.session.execute(text("SELECT 1"))
        except Exception as e:  # kept for the teardown hook, which raises it outside Flask
            raise_next.append(e)
        return "ok"

    client = app.test_client()
    response = client.get("/needs-the-database-late")
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    assert GERMAN_503 in response.get_data(as_text=True)
    assert response.headers["X-Request-ID"]

    raise_next.append(RuntimeError("a bug"))
    response = client.get("/healthz")
    assert response.status_code == 500 and "Retry-After" not in response.headers
    assert "Bei uns ist etwas schiefgegangen" in response.get_data(as_text=True)
    with app.app_context():
        db.engine.dispose()
