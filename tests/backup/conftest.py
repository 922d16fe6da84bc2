"""Installations for backup tests: an app on its own database, instance folder and secret key."""

import io
import json
import secrets
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import MetaData, create_engine, select, text
from sqlalchemy.pool import NullPool

from matcher import config, create_app
from matcher.database import MIGRATIONS_DIR
from matcher.extensions import db
from tests.conftest import app_test_config, create_database, inside


@pytest.fixture
def new_database(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Callable[[str], str]:
    """`new_database(name)`: the URL of a new, empty database on the backend under test."""
    server = request.getfixturevalue("postgres_server_url") if backend == "postgresql" else None

    def make(name: str) -> str:
        if server is None:
            return f"sqlite:///{tmp_path / f'{name}.sqlite'}"
        return create_database(server, f"backup_{name}")

    return make


@pytest.fixture
def make_site(tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """`make_site(url, name)`: the app as installed on a machine — on the database at `url`,
    with its own instance folder whose `secret_key` file the app's key came from."""
    made: list[Flask] = []

    def make(url: str, name: str, *, migrate: bool = False, **extra: Any) -> Flask:
        instance = tmp_path / f"instance-{name}"
        instance.mkdir(exist_ok=True)
        key_file = instance / "secret_key"
        if not key_file.exists():
            key_file.write_text(secrets.token_hex(32) + "\n")
        # Read the key as the app does at start-up when SECRET_KEY is not configured.
        key = config._instance_secret_key(str(instance))
        app = create_app(app_test_config(url, SECRET_KEY=key, **extra))
        app.instance_path = str(instance)
        made.append(app)
        if migrate:
            with inside(app):
                upgrade(directory=str(MIGRATIONS_DIR))
        return app

    yield make
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def content_of(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (Alembic's too), in key order: to show nothing changed."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        meta = MetaData()
        meta.reflect(engine)
        with engine.connect() as conn:
            return {
                name: [
                    tuple(row)
                    for row in conn.execute(select(table).order_by(*table.primary_key.columns))
                ]
                for name, table in sorted(meta.tables.items())
            }
    finally:
        engine.dispose()


def revisions_of(url: str) -> set[str]:
    """The Alembic revisions the database at `url` is at."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    finally:
        engine.dispose()


def members_of(path: Path) -> dict[str, bytes]:
    """A backup's members, in their order."""
    with tarfile.open(path, "r:gz") as tar:
        out = {}
        for member in tar:
            data = tar.extractfile(member)
            assert data is not None
            out[member.name] = data.read()
        return out


def repack(
    source: Path,
    target: Path,
    *,
    manifest: dict[str, Any] | None = None,
    members: dict[str, bytes] | None = None,
    rename: dict[str, str] | None = None,
) -> Path:
    """Write a changed copy of a backup: manifest fields replaced, members replaced or renamed."""
    contents = members_of(source)
    current = json.loads(contents["manifest.json"])
    current.update(manifest or {})
    contents["manifest.json"] = json.dumps(current).encode()
    contents.update(members or {})
    for old, new in (rename or {}).items():
        contents[new] = contents.pop(old)
    with tarfile.open(target, "w:gz") as tar:
        for name, data in contents.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return target
