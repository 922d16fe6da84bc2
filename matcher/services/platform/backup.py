"""Backups: making one of the database and the secret key, and restoring one.

A backup holds every person's data and the secret key: whoever has the file has both.
Its format is `matcher.services.platform.backup_file`, the database copy
`matcher.services.platform.snapshots`.

A restore checks everything it can before it changes anything: the file's checksums, the
backend, and that the code knows the schema's revision (an older one is fine, `flask db
upgrade` brings it to head). It puts the database back, then the secret key into the
instance folder — unless SECRET_KEY is configured, in which case it says whether the
configured key is the backup's.
"""

import enum
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from flask import Config, current_app

from matcher import database
from matcher.domain import audit
from matcher.extensions import db
from matcher.services.platform import snapshots
from matcher.services.platform.backup_file import (
    DATABASE_MEMBER,
    KEY_MEMBER,
    BackupError,
    Manifest,
    Opened,
    sha256,
    sha256_file,
    sync_folder,
    write,
)
from matcher.services.platform.snapshots import SnapshotError


@dataclass(frozen=True)
class Created:
    """A backup just written."""

    path: Path
    manifest: Manifest
    size: int


class Schema(enum.Enum):
    """How a backup's schema revision relates to the migrations this code has."""

    CURRENT = "current"  # at head: the app can use it as it is
    OLDER = "older"  # known, not head: `flask db upgrade` after the restore
    UNVERSIONED = "unversioned"  # no alembic_version (made without migrations)


class KeyOutcome(enum.Enum):
    """What the restore did with the backup's secret key."""

    WRITTEN = "written"  # the instance file now holds it (a running app needs a restart)
    ALREADY = "already"  # the instance file held it already
    CONFIGURED_SAME = "configured_same"  # SECRET_KEY is configured, and is the backup's
    CONFIGURED_DIFFERENT = "configured_different"  # SECRET_KEY is configured, and is not


# --------------------------------------------------------------------------- create


def default_name(now: datetime) -> str:
    """The file name `create` picks in a folder: matcher-backup-20261130T030000Z.tar.gz."""
    return f"matcher-backup-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}.tar.gz"


def create(destination: Path, *, overwrite: bool = False, now: datetime | None = None) -> Created:
    """Write a backup of the configured database and secret key to `destination`.

    `destination` is a file, or a folder to write a file named by the time into. An
    existing file is replaced only with `overwrite`. Audited as `platform.backup_created`.
    """
    now = now or datetime.now(UTC)
    path = destination / default_name(now) if destination.is_dir() else destination
    if not path.parent.is_dir():
        raise BackupError(f"the folder {path.parent} does not exist")
    if path.exists() and not overwrite:
        raise BackupError(f"{path} exists already; choose another name or pass --overwrite")
    engine = db.engine
    try:
        backend = snapshots.backend_of(engine)
        member = DATABASE_MEMBER[backend]
        # The copy is made beside the backup (same file system), in a folder only we can enter.
        with tempfile.TemporaryDirectory(prefix=".matcher-backup-", dir=path.parent) as work:
            copy = Path(work) / member
            snapshot = snapshots.dump(engine, copy, bin_dir=current_app.config.get("PG_BIN_DIR"))
            key = _configured_key().encode() + b"\n"
            manifest = Manifest(
                backend=backend,
                alembic_revisions=snapshot.revisions,
                created_at=now.astimezone(UTC).isoformat(timespec="seconds"),
                app_version=_app_version(),
                database=member,
                checksums={member: sha256_file(copy), KEY_MEMBER: sha256(key)},
                details={"source": snapshots.describe(engine.url), **snapshot.details},
            )
            write(path, manifest, copy, key, overwrite=overwrite)
    except SnapshotError as e:
        raise BackupError(str(e)) from None
    except OSError as e:
        raise BackupError(f"the backup could not be written: {e}") from None
    if manifest.alembic_revisions == heads():
        # Who exported everyone's data, and when (the fact, never the data). Only at head:
        # an older schema's audit table need not take this code's rows.
        audit.record(db.session, "platform.backup_created", actor=None)
        db.session.flush()
    return Created(path, manifest, path.stat().st_size)


def _app_version() -> str:
    try:
        return metadata.version("matcher")
    except metadata.PackageNotFoundError:
        return "unknown"


# --------------------------------------------------------------------------- restore


def heads() -> tuple[str, ...]:
    """The newest schema revisions this code's migrations know."""
    return tuple(sorted(ScriptDirectory(str(database.MIGRATIONS_DIR)).get_heads()))


def schema_of(manifest: Manifest) -> Schema:
    """How the backup's schema relates to this code; a revision it does not know is refused."""
    if not manifest.alembic_revisions:
        return Schema.UNVERSIONED
    script = ScriptDirectory(str(database.MIGRATIONS_DIR))
    known = {revision.revision for revision in script.walk_revisions()}
    unknown = [r for r in manifest.alembic_revisions if r not in known]
    if unknown:
        raise BackupError(
            f"its database is at schema revision {', '.join(unknown)}, which this code does "
            f"not know (it knows up to {', '.join(heads())}): it was made by a newer matcher "
            f"({manifest.app_version}). Install that version or a newer one, then restore"
        )
    if manifest.alembic_revisions == heads():
        return Schema.CURRENT
    return Schema.OLDER


def check_target(manifest: Manifest) -> Schema:
    """Refuse a backup the configured database cannot take; return its schema's state."""
    try:
        backend = snapshots.backend_of(db.engine)
    except SnapshotError as e:
        raise BackupError(str(e)) from None
    if manifest.backend != backend:
        raise BackupError(
            f"this is a backup of a {_BACKEND_NAMES[manifest.backend]} database, but the "
            f"configured database ({target()}) is {_BACKEND_NAMES[backend]}: restore it where "
            f"DATABASE_URL names a {_BACKEND_NAMES[manifest.backend]} database"
        )
    return schema_of(manifest)


_BACKEND_NAMES = {snapshots.SQLITE: "SQLite", snapshots.POSTGRESQL: "PostgreSQL"}


def target() -> str:
    """The configured database, as the restore would overwrite it (no password)."""
    try:
        return snapshots.describe(db.engine.url)
    except SnapshotError as e:
        raise BackupError(str(e)) from None


def restore(backup: Opened) -> KeyOutcome:
    """Replace the configured database's content with the backup's, then restore the key.

    Call `check_target` first. Audited as `platform.backup_restored` when the restored
    schema is at head (an older one cannot take this code's rows before `db upgrade`).
    """
    schema = check_target(backup.manifest)
    try:
        snapshots.load(db.engine, backup.database, bin_dir=current_app.config.get("PG_BIN_DIR"))
    except SnapshotError as e:
        raise BackupError(f"{e}\nThe database was left as it was.") from None
    try:
        outcome = restore_secret_key(backup.secret_key)
    except OSError as e:
        raise BackupError(
            f"the database was restored, but the secret key could not be written: {e}"
        ) from None
    if schema is Schema.CURRENT:
        audit.record(db.session, "platform.backup_restored", actor=None)
        db.session.flush()
    return outcome


def key_file() -> Path:
    """The instance folder's secret key file (`matcher.config` reads it when none is set)."""
    return Path(current_app.instance_path) / "secret_key"


def _configured_key() -> str:
    return str(current_app.config["SECRET_KEY"])


def key_is_configured() -> bool:
    """Whether SECRET_KEY comes from the configuration rather than the instance file."""
    if os.environ.get("SECRET_KEY") or os.environ.get("MATCHER_SECRET_KEY"):
        return True
    instance_config = Config(current_app.instance_path)
    if instance_config.from_pyfile("config.py", silent=True) and instance_config.get("SECRET_KEY"):
        return True
    try:
        on_file = key_file().read_text().strip()
    except FileNotFoundError:
        return True  # the app makes the file when nothing else gives a key
    return on_file != _configured_key()


def restore_secret_key(key: str) -> KeyOutcome:
    """Put the backup's key where the app reads it, or say how it compares with the configured."""
    if key_is_configured():
        same = key == _configured_key()
        return KeyOutcome.CONFIGURED_SAME if same else KeyOutcome.CONFIGURED_DIFFERENT
    path = key_file()
    if path.read_text().strip() == key:
        return KeyOutcome.ALREADY
    fd, partial = tempfile.mkstemp(prefix=".secret_key.", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, "w") as f:
            f.write(key + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    sync_folder(path.parent)
    return KeyOutcome.WRITTEN


def summary(manifest: Manifest) -> dict[str, Any]:
    """The manifest's facts an operator reads before restoring."""
    return {
        "created": manifest.created_at,
        "backend": _BACKEND_NAMES.get(manifest.backend, manifest.backend),
        "schema revision": ", ".join(manifest.alembic_revisions) or "none",
        "matcher version": manifest.app_version,
        **manifest.details,
    }
