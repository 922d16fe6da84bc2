"""A consistent copy of the configured database, and putting one back.

SQLite: the online backup API (`sqlite3.Connection.backup`) copies one snapshot while the
app keeps writing (WAL lets readers and one writer go on together), including what still
sits in the `-wal` file, which a plain `cp` of the database file misses. A restore goes
through the same API into the configured file, in one write transaction: it succeeds
whole or not at all, and connections the app holds open read the restored content next.

PostgreSQL: `pg_dump --format=custom` of the configured database (one consistent snapshot).
A restore drops matcher's tables and loads the dump (`pg_restore` into SQL, run by `psql
--single-transaction`): all or nothing. The client programs are found in `PG_BIN_DIR`
when set, else on PATH, else in the newest `/usr/lib/postgresql/*/bin`. The password goes
to them in `PGPASSWORD`, never on the command line, where every user of the machine could
read it.
"""

import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from sqlalchemy import text
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import SQLAlchemyError

from matcher.models.base import Base

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
#: Where Debian's postgresql packages put their programs, one folder per major version.
PG_LIB = Path("/usr/lib/postgresql")
_TAIL = 1500  # characters of a tool's error output worth showing


class SnapshotError(Exception):
    """The database could not be copied or put back; the message says why, for the operator."""


@dataclass(frozen=True)
class Snapshot:
    """What a copy holds: its schema's Alembic revisions, and facts for the manifest."""

    revisions: tuple[str, ...]
    details: dict[str, str] = field(default_factory=dict)


def backend_of(engine: Engine) -> str:
    """`sqlite` or `postgresql`; any other database cannot be backed up by matcher."""
    name = engine.dialect.name
    if name not in (SQLITE, POSTGRESQL):
        raise SnapshotError(f"backups support SQLite and PostgreSQL, not {name}")
    return name


def dump(engine: Engine, target: Path, *, bin_dir: str | None = None) -> Snapshot:
    """Write a consistent copy of the engine's database to `target` (a new file)."""
    if backend_of(engine) == SQLITE:
        return _dump_sqlite(engine.url, target)
    try:
        return _dump_postgresql(engine, target, bin_dir)
    except SQLAlchemyError as e:
        raise SnapshotError(f"the database cannot be read: {_reason(e)}") from None


def load(engine: Engine, source: Path, *, bin_dir: str | None = None) -> None:
    """Replace the content of the engine's database with the copy in `source`."""
    if backend_of(engine) == SQLITE:
        engine.dispose()  # this process's connections hold nothing the restore waits for
        _load_sqlite(engine.url, source)
        return
    try:
        _load_postgresql(engine, source, bin_dir)
    except SQLAlchemyError as e:
        raise SnapshotError(f"the database cannot be reached: {_reason(e)}") from None


def _reason(error: SQLAlchemyError) -> str:
    """The driver's own words, without SQLAlchemy's wrapping and links."""
    return str(getattr(error, "orig", None) or error).strip()


def describe(url: URL) -> str:
    """The database in words an operator recognises, without its password."""
    if url.get_backend_name() == SQLITE:
        return str(_sqlite_path(url))
    return url.render_as_string(hide_password=True)


# --------------------------------------------------------------------------- SQLite


def _sqlite_path(url: URL) -> Path:
    name = url.database
    if not name or name == ":memory:" or url.query.get("mode") == "memory":
        raise SnapshotError("the database lives in memory; there is no file to back up or restore")
    return Path(name)


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def _dump_sqlite(url: URL, target: Path) -> Snapshot:
    path = _sqlite_path(url)
    if not path.is_file():
        raise SnapshotError(f"the database file {path} does not exist")
    try:
        source = _read_only(path)
        try:
            copy = sqlite3.connect(target)
            try:
                # One step (pages=-1): the whole copy comes from a single read transaction.
                source.backup(copy)
                copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal
                _check_sqlite(copy, f"the copy of {path}")
                revisions = _sqlite_revisions(copy)
            finally:
                copy.close()
        finally:
            source.close()
    except sqlite3.Error as e:
        raise SnapshotError(f"SQLite could not copy {path}: {e}") from None
    return Snapshot(revisions, {"sqlite_version": sqlite3.sqlite_version})


def _load_sqlite(url: URL, source: Path) -> None:
    path = _sqlite_path(url)
    if not path.parent.is_dir():
        raise SnapshotError(f"the folder {path.parent} of the database file does not exist")
    created = not path.exists()
    if created:
        # A new database file holds personal data: readable by its owner only.
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        backup = _read_only(source)
        try:
            live = sqlite3.connect(path, timeout=30)
            try:
                # One write transaction: other connections see the old content or the new.
                backup.backup(live)
                _check_sqlite(live, str(path))
            finally:
                live.close()
        finally:
            backup.close()
    except sqlite3.Error as e:
        if created:
            path.unlink(missing_ok=True)
        raise SnapshotError(f"SQLite could not restore into {path}: {e}") from None


def _check_sqlite(conn: sqlite3.Connection, what: str) -> None:
    result = conn.execute("PRAGMA quick_check").fetchone()[0]
    if result != "ok":
        raise SnapshotError(f"{what} fails SQLite's check: {result}")


def _sqlite_revisions(conn: sqlite3.Connection) -> tuple[str, ...]:
    has_table = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
    ).fetchone()
    if not has_table:
        return ()
    return tuple(sorted(row[0] for row in conn.execute("SELECT version_num FROM alembic_version")))


# --------------------------------------------------------------------------- PostgreSQL


def find_tool(name: str, bin_dir: str | None = None) -> Path:
    """Where PostgreSQL's client program `name` is: PG_BIN_DIR, PATH, or Debian's folders."""
    if bin_dir:
        candidate = Path(bin_dir) / name
        if os.access(candidate, os.X_OK):
            return candidate
        raise SnapshotError(f"{name} was not found in PG_BIN_DIR ({bin_dir})")
    found = shutil.which(name)
    if found:
        return Path(found)
    versions = [p for p in PG_LIB.glob(f"*/bin/{name}") if p.parent.parent.name.isdigit()]
    if versions:
        return max(versions, key=lambda p: int(p.parent.parent.name))
    raise SnapshotError(
        f"{name} was not found on PATH or in {PG_LIB}/*/bin: install PostgreSQL's client "
        "programs in the server's major version or newer (Debian: apt-get install "
        "postgresql-client), or set PG_BIN_DIR to their folder"
    )


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def connection_for_tools(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string without the password, and the environment that carries it."""
    params: dict[str, str] = {}
    if url.host:
        params["host"] = url.host
    if url.port:
        params["port"] = str(url.port)
    if url.username:
        params["user"] = url.username
    if url.database:
        params["dbname"] = url.database
    # Query parameters are libpq's own (host=/run/postgresql for a socket, sslmode, …).
    for key, value in url.query.items():
        params[key] = value if isinstance(value, str) else ",".join(value)
    password = params.pop("password", None)
    if url.password is not None:
        password = str(url.password)
    conninfo = " ".join(f"{key}={_quote(value)}" for key, value in params.items())
    env = dict(os.environ)
    if password is not None:
        env["PGPASSWORD"] = password
    return conninfo, env


def _run_tool(
    tool: Path, args: list[str], env: dict[str, str] | None = None, out: IO[str] | None = None
) -> str:
    """Run a client program; its output (or into `out`), or a SnapshotError with its complaint."""
    try:
        result = subprocess.run(
            [str(tool), *args],
            env=env,
            stdout=out if out is not None else subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    except OSError as e:
        raise SnapshotError(f"{tool} could not be started: {e}") from None
    if result.returncode != 0:
        message = (result.stderr or result.stdout or "").strip()[-_TAIL:]
        raise SnapshotError(f"{tool.name} failed (exit code {result.returncode}):\n{message}")
    return result.stdout or ""


def _dump_postgresql(engine: Engine, target: Path, bin_dir: str | None) -> Snapshot:
    tool = find_tool("pg_dump", bin_dir)
    with engine.connect() as conn:
        server = str(conn.execute(text("SHOW server_version")).scalar_one())
        has_table = conn.execute(text("SELECT to_regclass('alembic_version')")).scalar()
        revisions: tuple[str, ...] = ()
        if has_table is not None:
            rows = conn.execute(text("SELECT version_num FROM alembic_version"))
            revisions = tuple(sorted(str(r) for r in rows.scalars()))
    conninfo, env = connection_for_tools(engine.url)
    # Uncompressed: the archive around it is compressed once, as a whole.
    args = ["--format=custom", "--compress=0", "--no-password", f"--file={target}"]
    _run_tool(tool, [*args, f"--dbname={conninfo}"], env)
    version = _run_tool(tool, ["--version"]).strip()
    return Snapshot(revisions, {"server_version": server, "pg_dump": version})


def _load_postgresql(engine: Engine, source: Path, bin_dir: str | None) -> None:
    """Drop matcher's tables and load the dump's, in one transaction (psql --single-transaction).

    Not `pg_restore --clean`: it drops only what the dump has, in the dump's order, so over
    a newer schema (a constraint added since) it fails, and a newer table stays behind.
    """
    pg_restore = find_tool("pg_restore", bin_dir)
    psql = _beside(pg_restore, "psql", bin_dir)
    conninfo, env = connection_for_tools(engine.url)
    with engine.connect() as conn:
        live = {(row.schemaname, row.tablename) for row in conn.execute(_TABLES)}
    engine.dispose()  # this process's connections hold nothing the restore waits for
    known = _tables_in_dump(pg_restore, source) | set(Base.metadata.tables) | {"alembic_version"}
    foreign = sorted(name for _, name in live if name not in known)
    if foreign:
        raise SnapshotError(
            f"the database has tables matcher does not know ({', '.join(foreign)}): restore "
            "into an empty database (createdb, then point DATABASE_URL at it), or drop them"
        )
    script = source.with_suffix(".sql")
    with script.open("w") as out:
        if live:
            # No CASCADE: a view someone built on these tables stops the restore instead.
            tables = ", ".join(f"{_ident(schema)}.{_ident(name)}" for schema, name in sorted(live))
            out.write(f"DROP TABLE {tables};\n")
            out.flush()
        # --no-owner/--no-acl: the roles of the machine the backup came from need not exist.
        _run_tool(pg_restore, ["--no-owner", "--no-acl", "--file=-", str(source)], out=out)
    # One transaction: on any error nothing is dropped and nothing is loaded.
    args = ["-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "--no-password"]
    _run_tool(psql, [*args, f"--dbname={conninfo}", f"--file={script}"], env)


def _beside(tool: Path, name: str, bin_dir: str | None) -> Path:
    """Another client program of the same installation (and so the same version) as `tool`."""
    sibling = tool.parent / name
    return sibling if os.access(sibling, os.X_OK) else find_tool(name, bin_dir)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_TABLES = text(
    "SELECT schemaname, tablename FROM pg_tables WHERE schemaname = ANY (current_schemas(false))"
)
#: A table in `pg_restore --list`: "215; 1259 16390 TABLE public agencies owner".
_TABLE_ENTRY = re.compile(r"^\d+; \d+ \d+ TABLE (?!DATA )(\S+) (\S+) ")


def _tables_in_dump(tool: Path, source: Path) -> set[str]:
    listing = _run_tool(tool, ["--list", str(source)])
    return {m.group(2) for line in listing.splitlines() if (m := _TABLE_ENTRY.match(line))}
