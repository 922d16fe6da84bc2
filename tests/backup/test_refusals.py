"""A backup that cannot or should not be restored is refused with a clear message, before
anything changes; a backup that cannot be made leaves no file behind."""

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from matcher.services.platform import snapshots
from tests.backup.conftest import content_of, members_of, repack
from tests.conftest import agency_factory, user_factory

OTHER = {"sqlite": ("postgresql", "database.pgdump"), "postgresql": ("sqlite", "database.sqlite")}
NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def refused(result: Result, *fragments: str) -> None:
    """A clean refusal: exit code 1, the message, no traceback."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.output, (fragment, result.output)


@pytest.fixture
def sites(
    backend: str, new_database: Callable[[str], str], make_site: Callable[..., Flask]
) -> dict[str, Any]:
    """A source with one agency and its backup; a target at head with other data."""
    source = make_site(new_database("source"), "source", migrate=True)
    agency_factory(source)(slug="from-backup")
    target_url = new_database("target")
    target = make_site(target_url, "target", migrate=True)
    agency = agency_factory(target)(slug="keep-me")
    user_factory(target)("coordinator", agency)
    return {"source": source, "target": target, "target_url": target_url}


def test_refusals_change_nothing(
    backend: str, sites: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, target, url = sites["source"], sites["target"], sites["target_url"]
    good = tmp_path / "good.tar.gz"
    made = source.test_cli_runner().invoke(args=["backup", "create", str(good)])
    assert made.exit_code == 0, made.output
    members = members_of(good)
    database = json.loads(members["manifest.json"])["database"]
    damaged = bytearray(members[database])
    damaged[len(damaged) // 2] ^= 0xFF
    other_backend, other_member = OTHER[backend]
    (tmp_path / "notes.txt").write_text("not a backup\n")
    (tmp_path / "truncated.tar.gz").write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    (tmp_path / "empty.tar.gz").write_bytes(b"")
    cases = {
        "missing.tar.gz": ["no such file"],
        "notes.txt": ["is not a matcher backup, or it is damaged"],
        "empty.tar.gz": ["is not a matcher backup, or it is damaged"],
        "truncated.tar.gz": ["is not a matcher backup, or it is damaged (truncated"],
        "altered.tar.gz": [f"is damaged: the checksum of {database} does not match"],
        "wrong-backend.tar.gz": [
            f"this is a backup of a {NAMES[other_backend]} database, but the configured "
            f"database", f"is {NAMES[backend]}"
        ],
        "newer-schema.tar.gz": [
            "schema revision ffffffffffff, which this code does not know",
            "made by a newer matcher (9.9.9)",
        ],
        "newer-format.tar.gz": ["written in backup format 2, newer than this matcher reads"],
        "no-manifest.tar.gz": ["its first member is not a manifest"],
        "empty-key.tar.gz": ["is damaged: its secret key is empty"],
    }  # fmt: skip
    repack(good, tmp_path / "altered.tar.gz", members={database: bytes(damaged)})
    repack(
        good,
        tmp_path / "wrong-backend.tar.gz",
        manifest={"backend": other_backend, "database": other_member,
                  "checksums": {**_checksums(members, database, other_member)}},
        rename={database: other_member},
    )  # fmt: skip
    repack(
        good,
        tmp_path / "newer-schema.tar.gz",
        manifest={"alembic_revisions": ["ffffffffffff"], "app_version": "9.9.9"},
    )
    repack(good, tmp_path / "newer-format.tar.gz", manifest={"format_version": 2})
    repack(good, tmp_path / "no-manifest.tar.gz", rename={"manifest.json": "zz-manifest.json"})
    empty_key = {
        "checksums": {
            database: json.loads(members["manifest.json"])["checksums"][database],
            "secret_key": hashlib.sha256(b"\n").hexdigest(),
        }
    }
    repack(good, tmp_path / "empty-key.tar.gz", manifest=empty_key, members={"secret_key": b"\n"})

    key_file = Path(target.instance_path) / "secret_key"
    key_before, content_before = key_file.read_bytes(), content_of(url)
    runner = target.test_cli_runner()
    for name, fragments in cases.items():
        result = runner.invoke(args=["backup", "restore", str(tmp_path / name), "--yes"])
        refused(result, *fragments)
        assert content_of(url) == content_before, name
        assert key_file.read_bytes() == key_before, name
    # `check` says the same without a database in the way; a good backup passes it.
    refused(runner.invoke(args=["backup", "check", str(tmp_path / "altered.tar.gz")]), "damaged")
    checked = runner.invoke(args=["backup", "check", str(good)])
    assert checked.exit_code == 0 and "every checksum matches" in checked.output

    # Saying no at the question changes nothing either.
    result = runner.invoke(args=["backup", "restore", str(good)], input="n\n")
    assert result.exit_code == 1 and "Aborted" in result.output
    assert "replaces ALL data" in result.output
    assert content_of(url) == content_before and key_file.read_bytes() == key_before

    if backend == "postgresql":
        # Without pg_restore (not on PATH, none in /usr/lib/postgresql) the restore says so.
        monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
        monkeypatch.setattr(snapshots, "PG_LIB", tmp_path / "no-lib")
        result = runner.invoke(args=["backup", "restore", str(good), "--yes"])
        refused(result, "pg_restore was not found on PATH", "postgresql-client")
        monkeypatch.undo()
        # A table the backup does not know (a newer schema's) is not silently left behind.
        engine = create_engine(url, poolclass=NullPool)
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE from_a_newer_version (id integer)"))
        engine.dispose()
        content_before = content_of(url)
        result = runner.invoke(args=["backup", "restore", str(good), "--yes"])
        refused(result, "the database has tables matcher does not know (from_a_newer_version)",
                "The database was left as it was")  # fmt: skip
        assert content_of(url) == content_before
        assert key_file.read_bytes() == key_before
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE from_a_newer_version"))
        engine.dispose()

    # The good backup does restore: the checks above would have seen a change.
    result = runner.invoke(args=["backup", "restore", str(good), "--yes"])
    assert result.exit_code == 0, result.output
    restored = content_of(url)
    assert restored != content_before
    assert [row[1] for row in restored["agencies"]] == ["from-backup"]
    assert key_file.read_bytes() != key_before


def _checksums(members: dict[str, bytes], old: str, new: str) -> dict[str, str]:
    manifest = json.loads(members["manifest.json"])
    checksums = dict(manifest["checksums"])
    checksums[new] = checksums.pop(old)
    return checksums


def test_create_refuses_and_leaves_no_file_when_it_cannot_write_a_whole_backup(
    backend: str, sites: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = sites["source"].test_cli_runner()
    refused(
        runner.invoke(args=["backup", "create", str(tmp_path / "nowhere" / "b.tar.gz")]),
        "no backup was written", "does not exist",
    )  # fmt: skip
    # A name ending in "/" is a folder: a missing one is refused, not written as a file.
    refused(
        runner.invoke(args=["backup", "create", str(tmp_path / "not-made-yet") + "/"]),
        "no backup was written", "folder", "does not exist",
    )  # fmt: skip
    assert not (tmp_path / "not-made-yet").exists()
    existing = tmp_path / "yesterday.tar.gz"
    existing.write_bytes(b"yesterday's backup")
    refused(
        runner.invoke(args=["backup", "create", str(existing)]),
        "exists already", "--overwrite",
    )  # fmt: skip
    assert existing.read_bytes() == b"yesterday's backup"
    replaced = runner.invoke(args=["backup", "create", str(existing), "--overwrite"])
    assert replaced.exit_code == 0, replaced.output
    assert existing.stat().st_mode & 0o777 == 0o600
    assert "manifest.json" in members_of(existing)
    # A folder gets a file named by the time.
    folder = tmp_path / "nightly"
    folder.mkdir()
    named = runner.invoke(args=["backup", "create", str(folder)])
    assert named.exit_code == 0, named.output
    [made] = list(folder.iterdir())
    assert made.name.startswith("matcher-backup-") and made.name.endswith("Z.tar.gz")
    assert "personal data" in named.output
    for help_args in (["backup", "--help"], ["backup", "create", "--help"]):
        assert "personal data" in runner.invoke(args=help_args).output
    if backend == "postgresql":
        # No pg_dump anywhere: a clear message, and nothing left in the folder.
        empty = tmp_path / "empty"
        empty.mkdir()
        monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
        monkeypatch.setattr(snapshots, "PG_LIB", tmp_path / "no-lib")
        refused(
            runner.invoke(args=["backup", "create", str(empty)]),
            "pg_dump was not found on PATH", "PG_BIN_DIR",
        )  # fmt: skip
        monkeypatch.undo()
        sites["source"].config["PG_BIN_DIR"] = str(tmp_path / "no-bin")
        refused(runner.invoke(args=["backup", "create", str(empty)]), "not found in PG_BIN_DIR")
        assert list(empty.iterdir()) == []
