"""`flask --app wsgi backup …`: write a backup file, check one, restore one.

The work is done by `matcher.services.platform.backup`; these commands word its outcome
for the operator and ask before a restore overwrites the database.
"""

import os
from pathlib import Path

import click
from flask.cli import AppGroup

from matcher import tenancy
from matcher.cli import unit_of_work
from matcher.services.platform import backup, backup_file

PERSONAL_DATA = (
    "A backup holds the personal data of every person in the database and the secret key "
    "that signs links: keep it encrypted, off this machine, readable by as few people as "
    "possible, and delete old ones."
)

group = AppGroup(
    "backup",
    help=f"Back up and restore the database and the secret key.\n\n{PERSONAL_DATA}",
)


def _show(manifest: backup_file.Manifest) -> None:
    for name, value in backup.summary(manifest).items():
        click.echo(f"  {name + ':':<17} {value}")


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    value = float(size)
    for unit in ("KiB", "MiB", "GiB"):
        value /= 1024
        if value < 1024 or unit == "GiB":
            break
    return f"{value:.1f} {unit}"


@group.command(
    "create",
    short_help="Write a backup of the database and the secret key.",
    help=(
        "Write a backup of the database and the secret key to PATH (a file, or a folder to "
        "create matcher-backup-<UTC time>.tar.gz in). Safe while the app runs: the copy is "
        "one consistent snapshot. The file gets mode 0600 and appears only when complete.\n\n"
        + PERSONAL_DATA
    ),
)
@click.argument("target", metavar="PATH", type=click.Path())
@click.option("--overwrite", is_flag=True, help="Replace PATH if it is an existing file.")
def create(target: str, overwrite: bool) -> None:
    """Write a backup."""
    path = Path(target)
    if target.endswith(("/", os.sep)) and not path.is_dir():
        # "/var/backups/matcher/" names a folder: never write a file of that name instead.
        raise click.ClickException(f"no backup was written: the folder {path} does not exist")
    try:
        with unit_of_work(tenancy.Everyone.ALL_AGENCIES):
            created = backup.create(path, overwrite=overwrite)
    except backup_file.BackupError as e:
        raise click.ClickException(f"no backup was written: {e}") from None
    click.echo(f"Backup written: {created.path} ({_size(created.size)})")
    _show(created.manifest)
    click.echo(PERSONAL_DATA, err=True)


@group.command(
    "check",
    short_help="Verify a backup without restoring it.",
    help="Read the backup at PATH and verify its checksums and schema, without restoring it.",
)
@click.argument("path", type=click.Path(path_type=Path))
def check(path: Path) -> None:
    """Verify a backup."""
    try:
        with backup_file.opened(path) as archive:
            schema = backup.schema_of(archive.manifest)
    except backup_file.BackupError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"{path}: complete, every checksum matches.")
    _show(archive.manifest)
    if schema is backup.Schema.OLDER:
        click.echo("Its schema is older than this code's: after a restore, run `db upgrade`.")


@group.command(
    "restore",
    short_help="Replace all data with a backup's.",
    help=(
        "Replace ALL data in the configured database with the backup at PATH, and restore "
        "its secret key into the instance folder (unless SECRET_KEY is configured). Checks "
        "the file, the backend and the schema revision first, and asks before it changes "
        "anything. Stop the web server and the workers first: what they write meanwhile "
        "is lost."
    ),
)
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore(path: Path, yes: bool) -> None:
    """Restore a backup."""
    try:
        with backup_file.opened(path) as archive:
            schema = backup.check_target(archive.manifest)
            click.echo(f"Backup {path}:")
            _show(archive.manifest)
            click.echo(f"Restore into: {backup.target()}")
            if not yes:
                click.confirm(
                    "This replaces ALL data in that database with the backup's. Continue?",
                    abort=True,
                )
            with unit_of_work(tenancy.Everyone.ALL_AGENCIES):
                outcome = backup.restore(archive)
    except backup_file.BackupError as e:
        raise click.ClickException(str(e)) from None
    click.echo("The database was restored.")
    _tell_schema(schema, archive.manifest)
    _tell_key(outcome)


def _tell_schema(schema: backup.Schema, manifest: backup_file.Manifest) -> None:
    revisions = ", ".join(manifest.alembic_revisions)
    if schema is backup.Schema.OLDER:
        click.echo(
            f"Its schema ({revisions}) is older than this code's ({', '.join(backup.heads())}): "
            "run `flask --app wsgi db upgrade` now, before the app serves again."
        )
    elif schema is backup.Schema.UNVERSIONED:
        click.echo(
            "The backup records no schema revision (its database was not made by the "
            "migrations): check it before the app serves again."
        )
    else:
        click.echo(f"Its schema is at this code's head ({revisions}).")


def _tell_key(outcome: backup.KeyOutcome) -> None:
    path = backup.key_file()
    if outcome is backup.KeyOutcome.WRITTEN:
        click.echo(
            f"The backup's secret key was written to {path}. Restart the web server and the "
            "workers so that they sign and check links with it."
        )
    elif outcome is backup.KeyOutcome.ALREADY:
        click.echo(f"The secret key in {path} is the backup's already.")
    elif outcome is backup.KeyOutcome.CONFIGURED_SAME:
        click.echo("SECRET_KEY is set in the configuration and is the backup's key.")
    else:
        click.echo(
            "SECRET_KEY is set in the configuration and DIFFERS from the backup's key: links "
            "mailed before the backup will not open. To keep them working, set SECRET_KEY to "
            "the backup's key (`tar -xzOf BACKUP secret_key`) and restart the app."
        )
