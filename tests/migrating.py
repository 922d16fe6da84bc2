"""A database migrated up to an older revision, for tests of one migration with data."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import Engine, create_engine

from matcher import create_app
from matcher.database import MIGRATIONS_DIR
from matcher.extensions import db
from tests.conftest import app_test_config, create_database, inside


@contextmanager
def database_at(
    revision: str,
    backend: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    name: str,
    **config: object,
) -> Iterator[tuple[Flask, Engine]]:
    """An app and a plain engine on a fresh database of `backend` migrated up to
    `revision`; `name` names the PostgreSQL database, `config` adds to the test settings."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    else:
        url = create_database(request.getfixturevalue("postgres_server_url"), name)
    app = create_app(app_test_config(url, **config))
    with inside(app):
        upgrade(directory=str(MIGRATIONS_DIR), revision=revision)
    engine = create_engine(url)
    try:
        yield app, engine
    finally:
        engine.dispose()
        with inside(app):
            db.engine.dispose()
