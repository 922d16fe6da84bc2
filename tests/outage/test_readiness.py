"""/readyz: 200 with its checks when this instance can work, 503 naming what fails and why."""

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy.engine import make_url

from matcher import create_app
from matcher.extensions import db
from matcher.models import OutboxMessage, utcnow
from tests.conftest import app_test_config, create_database, persist
from tests.mailserver import free_port
from tests.redisserver import RedisServer

CHECKS = {"database", "migrations", "outbox", "queue", "disk"}


def _migrated(url: str) -> str:
    app = create_app(app_test_config(url))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return url


@pytest.fixture
def migrated_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """An empty database of its own, brought to head by the real migrations."""
    if backend == "sqlite":
        return _migrated(f"sqlite:///{tmp_path / 'ready.sqlite'}")
    return _migrated(create_database(request.getfixturevalue("postgres_server_url"),
                                     "matcher_ready"))  # fmt: skip


@pytest.fixture
def ready_app(migrated_url: str, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Apps on the migrated database and a queue of their own (extra configuration as
    keywords); pools closed after."""
    yield from _app_maker(migrated_url, tmp_path)


@pytest.fixture
def sqlite_ready_app(tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """The same on SQLite only, for the checks that do not ask the database."""
    yield from _app_maker(_migrated(f"sqlite:///{tmp_path / 'ready.sqlite'}"), tmp_path)


def _app_maker(migrated_url: str, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    made: list[Flask] = []

    def make(url: str = migrated_url, **config: Any) -> Flask:
        config.setdefault("JOBS_URL", f"sqlite:///{tmp_path / 'jobs.sqlite'}")
        app = create_app(app_test_config(url, **config))
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def readyz(app: Flask) -> tuple[int, dict[str, Any]]:
    response = app.test_client().get("/readyz")
    assert response.headers["Content-Type"] == "application/json"
    return response.status_code, response.get_json()


def test_ready_when_everything_answers(ready_app: Callable[..., Flask]) -> None:
    status, body = readyz(ready_app())
    assert status == 200, body
    assert body["status"] == "ok" and "failing" not in body
    assert set(body["checks"]) == CHECKS
    assert all(check["ok"] for check in body["checks"].values())
    assert body["checks"]["migrations"]["database"] == body["checks"]["migrations"]["code"]
    assert body["checks"]["outbox"] == {"ok": True, "pending": 0, "oldest_pending_seconds": 0}
    assert body["checks"]["queue"] == {"ok": True, "depth": 0}


def test_migrations_behind_head_are_named(
    ready_app: Callable[..., Flask], migrated_url: str
) -> None:
    app = ready_app()
    with app.app_context():
        downgrade(revision="-1")
    status, body = readyz(app)
    assert status == 503
    assert body["failing"] == {"migrations": "migrations are behind head: run `flask db upgrade`"}
    with app.app_context():
        upgrade()
    assert readyz(app)[0] == 200


def test_a_database_without_migrations_is_not_ready(
    ready_app: Callable[..., Flask], migrated_url: str
) -> None:
    app = ready_app()
    with app.app_context():
        downgrade(revision="base")
    status, body = readyz(app)
    assert status == 503
    assert "no migrations applied" in body["failing"]["migrations"]


def test_an_old_pending_mail_is_named_and_its_threshold_is_configurable(
    ready_app: Callable[..., Flask],
) -> None:
    app = ready_app(READYZ_OUTBOX_MAX_AGE_SECONDS=600)
    persist(app, OutboxMessage(kind="signup_confirm", to_address="ana@example.org",
                               subject="Bitte bestätigen", body="Link",
                               created_at=utcnow() - timedelta(hours=1)))  # fmt: skip
    status, body = readyz(app)
    assert status == 503
    assert set(body["failing"]) == {"outbox"}
    assert "oldest pending mail waits for 36" in body["failing"]["outbox"]
    assert body["checks"]["outbox"]["pending"] == 1
    assert body["checks"]["outbox"]["oldest_pending_seconds"] >= 3600
    # No personal data in the answer: counts and ages only.
    assert "ana@" not in str(body) and "bestätigen" not in str(body)
    # A longer limit, or none, makes the same backlog acceptable.
    assert readyz(ready_app(READYZ_OUTBOX_MAX_AGE_SECONDS=7200))[0] == 200
    assert readyz(ready_app(READYZ_OUTBOX_MAX_AGE_SECONDS=None))[0] == 200


def test_a_read_only_database_is_named(
    backend: str, ready_app: Callable[..., Flask], migrated_url: str
) -> None:
    if backend == "sqlite":
        # SQLite's own read-only open: what it does by itself for a file it may not write.
        path = make_url(migrated_url).database
        app = ready_app(f"sqlite:///file:{path}?mode=ro&uri=true")
        expected = "attempt to write a readonly database"
    else:
        # A PostgreSQL whose sessions are read-only, as on a standby.
        url = make_url(migrated_url)
        conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{url.database}" SET default_transaction_read_only = on')
        app = ready_app()
        expected = "cannot execute UPDATE in a read-only transaction"
    status, body = readyz(app)
    assert status == 503
    assert set(body["failing"]) == {"database"}
    assert body["failing"]["database"] == "the database refused a write: " + expected
    # Reading still works: the other database checks pass.
    assert body["checks"]["migrations"]["ok"] and body["checks"]["outbox"]["ok"]


def test_an_unreachable_database_fails_every_database_check(
    backend: str, ready_app: Callable[..., Flask], tmp_path: Path
) -> None:
    url = (f"sqlite:///{tmp_path / 'gone' / 'db.sqlite'}" if backend == "sqlite"
           else f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/matcher")  # fmt: skip
    status, body = readyz(ready_app(url))
    assert status == 503
    assert {"database", "migrations", "outbox"} <= set(body["failing"])
    assert body["failing"]["database"].startswith("the database does not answer")


def test_redis_down_is_named_for_rate_limits_and_for_the_queue(
    sqlite_ready_app: Callable[..., Flask], own_redis: RedisServer
) -> None:
    url = f"redis://127.0.0.1:{own_redis.port}"
    app = sqlite_ready_app(RATELIMIT_STORAGE_URI=url, JOBS_URL=url + "/1")
    status, body = readyz(app)
    assert status == 200, body
    assert body["checks"]["rate_limit_storage"] == {"ok": True}
    own_redis.pause()
    status, body = readyz(app)
    assert status == 503
    assert set(body["failing"]) == {"rate_limit_storage", "queue"}
    assert "does not answer" in body["failing"]["rate_limit_storage"]
    assert str(own_redis.port) not in body["failing"]["rate_limit_storage"]
    assert body["failing"]["queue"].startswith("the job queue does not answer")
    own_redis.resume()
    assert readyz(app)[0] == 200


def test_a_deep_queue_fails_only_when_a_limit_is_set(
    sqlite_ready_app: Callable[..., Flask],
) -> None:
    from matcher import jobs

    app = sqlite_ready_app(READYZ_QUEUE_MAX_DEPTH=1)
    queue = jobs.queue(app)

    @queue.task(name="readiness-test-noop")
    def noop() -> None:
        pass

    noop()
    noop()
    status, body = readyz(app)
    assert status == 503 and body["failing"] == {"queue": "2 jobs wait (limit 1)"}
    assert readyz(sqlite_ready_app())[0] == 200  # the same queue without a limit


def test_too_little_free_disk_space_is_named(sqlite_ready_app: Callable[..., Flask]) -> None:
    status, body = readyz(sqlite_ready_app(READYZ_MIN_FREE_MB=10**12))
    assert status == 503
    assert set(body["failing"]) == {"disk"}
    assert "MB free for the instance folder" in body["failing"]["disk"]
    assert body["checks"]["disk"]["instance_free_mb"] > 0
