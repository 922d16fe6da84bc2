"""PostgreSQL's client programs: how they are found and how they are told where to connect."""

from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from matcher.services.platform import snapshots


def test_the_password_travels_in_the_environment_never_on_the_command_line() -> None:
    url = make_url("postgresql+psycopg://matcher:s3cr%27et@db.example:5433/matcher?sslmode=require")
    conninfo, env = snapshots.connection_for_tools(url)
    assert conninfo == (
        "host='db.example' port='5433' user='matcher' dbname='matcher' sslmode='require'"
    )
    assert env["PGPASSWORD"] == "s3cr'et" and "s3cr" not in conninfo
    # A password given as a query parameter, and a socket folder as the host.
    url = make_url("postgresql+psycopg://matcher@/matcher?host=/run/postgresql&password=pw")
    conninfo, env = snapshots.connection_for_tools(url)
    assert conninfo == "user='matcher' dbname='matcher' host='/run/postgresql'"
    assert env["PGPASSWORD"] == "pw"


def test_a_quote_or_backslash_in_a_name_cannot_break_out_of_its_value() -> None:
    url = make_url("postgresql+psycopg://o'brien@localhost/a\\b' host=evil")
    conninfo, _ = snapshots.connection_for_tools(url)
    assert conninfo == "host='localhost' user='o\\'brien' dbname='a\\\\b\\' host=evil'"


def test_client_programs_are_found_in_pg_bin_dir_on_path_or_in_debians_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def program(folder: Path) -> Path:
        folder.mkdir(parents=True)
        path = folder / "pg_dump"
        path.write_text("#!/bin/sh\n")
        path.chmod(0o755)
        return path

    lib = tmp_path / "lib"
    older, newer = program(lib / "9" / "bin"), program(lib / "15" / "bin")
    on_path, chosen = program(tmp_path / "path"), program(tmp_path / "chosen")
    monkeypatch.setattr(snapshots, "PG_LIB", lib)
    monkeypatch.setenv("PATH", str(tmp_path / "path"))
    assert snapshots.find_tool("pg_dump", str(chosen.parent)) == chosen
    assert snapshots.find_tool("pg_dump") == on_path
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert snapshots.find_tool("pg_dump") == newer != older  # 15 before 9: numbers, not text
    with pytest.raises(snapshots.SnapshotError, match="not found in PG_BIN_DIR"):
        snapshots.find_tool("pg_dump", str(tmp_path / "empty"))
