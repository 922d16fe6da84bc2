"""The backup file: a manifest, the secret key and a database copy in one tar.gz.

Members, in this order:

- `manifest.json`: format version, backend, Alembic revision, when, which matcher version,
  and a SHA-256 checksum of each other member;
- `secret_key`: the key that signs sessions and links;
- `database.sqlite` (SQLite's online backup API) or `database.pgdump` (pg_dump's custom
  format): see `matcher.services.platform.snapshots`.

The file is written with mode 0600 under a temporary name, synced and renamed when whole,
so a file with the final name is never half-written. It is read in one pass, manifest
first, and nothing in it is trusted before every checksum matched; only members it names
are unpacked, never `extractall`.
"""

import hashlib
import io
import json
import os
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO

from matcher.services.platform import snapshots

FORMAT = "matcher-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
KEY_MEMBER = "secret_key"
DATABASE_MEMBER = {snapshots.SQLITE: "database.sqlite", snapshots.POSTGRESQL: "database.pgdump"}
_CHUNK = 1 << 20


class BackupError(Exception):
    """A backup could not be made, read or restored; the message says why, for the operator."""


@dataclass(frozen=True)
class Manifest:
    """What a backup says about itself."""

    backend: str
    alembic_revisions: tuple[str, ...]
    created_at: str
    app_version: str
    database: str
    checksums: dict[str, str]
    details: dict[str, str] = field(default_factory=dict)
    format: str = FORMAT
    format_version: int = FORMAT_VERSION

    def to_json(self) -> bytes:
        """The manifest as the archive stores it."""
        return json.dumps(asdict(self), indent=2, sort_keys=True).encode() + b"\n"

    @classmethod
    def from_json(cls, data: bytes) -> "Manifest":
        """Read a manifest; a newer format or a damaged one is refused."""
        try:
            raw = json.loads(data)
        except ValueError:
            raise BackupError("its manifest is not valid JSON") from None
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise BackupError("its manifest is not a matcher backup's")
        version = raw.get("format_version")
        if not isinstance(version, int) or version > FORMAT_VERSION:
            raise BackupError(
                f"it was written in backup format {version!r}, newer than this matcher "
                f"reads ({FORMAT_VERSION}): restore it with the matcher version that made it "
                f"({raw.get('app_version', 'unknown')}) or newer"
            )
        try:
            manifest = cls(
                backend=str(raw["backend"]),
                alembic_revisions=tuple(str(r) for r in raw["alembic_revisions"]),
                created_at=str(raw["created_at"]),
                app_version=str(raw["app_version"]),
                database=str(raw["database"]),
                checksums={str(k): str(v) for k, v in dict(raw["checksums"]).items()},
                details={str(k): str(v) for k, v in dict(raw.get("details", {})).items()},
                format_version=version,
            )
        except (KeyError, TypeError, ValueError):
            raise BackupError("its manifest lacks required fields") from None
        if manifest.database != DATABASE_MEMBER.get(manifest.backend):
            raise BackupError(f"its manifest names an unknown backend {manifest.backend!r}")
        if set(manifest.checksums) != {manifest.database, KEY_MEMBER}:
            raise BackupError("its manifest lists other members than a database and a key")
        return manifest


@dataclass(frozen=True)
class Opened:
    """A backup read and verified: its manifest, its database copy unpacked, its key."""

    path: Path
    manifest: Manifest
    database: Path
    secret_key: str


def write(path: Path, manifest: Manifest, copy: Path, key: bytes, overwrite: bool) -> None:
    """Write the file under a temporary name (mode 0600), sync it, then rename it to `path`."""
    fd, partial = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as raw:
            with tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6) as tar:
                mtime = int(datetime.fromisoformat(manifest.created_at).timestamp())
                _add_bytes(tar, MANIFEST, manifest.to_json(), mtime)
                _add_bytes(tar, KEY_MEMBER, key, mtime)
                with copy.open("rb") as data:
                    tar.addfile(_member(manifest.database, copy.stat().st_size, mtime), data)
            raw.flush()
            os.fsync(raw.fileno())
        if path.exists() and not overwrite:
            raise BackupError(f"{path} appeared while the backup was written; it was left alone")
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    sync_folder(path.parent)


def _member(name: str, size: int, mtime: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, mtime, 0o600
    return info


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes, mtime: int) -> None:
    tar.addfile(_member(name, len(data), mtime), io.BytesIO(data))


def sync_folder(folder: Path) -> None:
    """Make a rename in `folder` survive a crash."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sha256(data: bytes) -> str:
    """The SHA-256 of some bytes, in hex."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file's content, in hex."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@contextmanager
def opened(path: Path) -> Iterator[Opened]:
    """Read and verify a backup, unpacking its database copy into a temporary folder.

    The folder is the system's (TMPDIR) and needs room for one uncompressed copy.
    """
    with tempfile.TemporaryDirectory(prefix="matcher-restore-") as work:
        yield _read(path, Path(work))


def _read(path: Path, work: Path) -> Opened:
    if not path.exists():
        raise BackupError(f"{path}: no such file")
    if not path.is_file():
        raise BackupError(f"{path} is not a file")
    try:
        # Read as a stream, in one pass: the manifest comes first and is checked first.
        with tarfile.open(path, mode="r|*") as tar:
            manifest, digests, key = _read_members(tar, work)
    except PermissionError as e:
        raise BackupError(f"{path} cannot be read: {e}") from None
    except (tarfile.TarError, EOFError, zlib.error, OSError, UnicodeError) as e:
        raise BackupError(
            f"{path} is not a matcher backup, or it is damaged (truncated or altered): {e}"
        ) from None
    except BackupError as e:
        raise BackupError(f"{path} cannot be restored: {e}") from None
    for name, expected in manifest.checksums.items():
        if digests.get(name) is None:
            raise BackupError(f"{path} is damaged: it lacks its member {name}")
        if digests[name] != expected:
            raise BackupError(f"{path} is damaged: the checksum of {name} does not match")
    if not key:  # read, since its checksum matched, but nothing to sign with
        raise BackupError(f"{path} is damaged: its secret key is empty")
    return Opened(path, manifest, work / manifest.database, key)


def _read_members(tar: tarfile.TarFile, work: Path) -> tuple[Manifest, dict[str, str], str | None]:
    manifest: Manifest | None = None
    digests: dict[str, str] = {}
    key: str | None = None
    for member in tar:
        if member.name == MANIFEST and manifest is None:
            manifest = Manifest.from_json(_read_small(tar, member))
        elif manifest is None:
            raise BackupError("its first member is not a manifest")
        elif member.name == KEY_MEMBER and member.isfile():
            data = _read_small(tar, member)
            digests[KEY_MEMBER] = sha256(data)
            key = data.decode().strip()
        elif member.name == manifest.database and member.isfile():
            source = tar.extractfile(member)
            assert source is not None  # a regular file
            digests[member.name] = _unpack(source, work / member.name)
    if manifest is None:
        raise BackupError("it has no manifest")
    return manifest, digests, key


def _read_small(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    if not member.isfile() or member.size > _CHUNK:
        raise BackupError(f"its member {member.name} is not a small file")
    source = tar.extractfile(member)
    assert source is not None
    return source.read()


def _unpack(source: IO[bytes], target: Path) -> str:
    """Copy one member out (only regular files we name; never `extractall`), hashing it."""
    digest = hashlib.sha256()
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise BackupError(f"it holds {target.name} twice") from None
    with os.fdopen(fd, "wb") as out:
        while chunk := source.read(_CHUNK):  # a damaged archive raises here
            digest.update(chunk)
            try:
                out.write(chunk)
            except OSError as e:  # here it is the temporary folder, e.g. full
                message = f"its database cannot be unpacked into {target.parent}: {e}"
                raise BackupError(message) from None
    return digest.hexdigest()
