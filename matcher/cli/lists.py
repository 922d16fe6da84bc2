"""`flask export …` and `flask gdpr purge`: the admin's jobs from the command line."""

from datetime import date
from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import force_locale

from matcher.cli import every_agency, unit_of_work
from matcher.models import Agency
from matcher.services.lists import exports
from matcher.services.people import gdpr
from matcher.services.platform import administration


@click.command("export")
@with_appcontext
@click.argument("kind", type=click.Choice(exports.KINDS))
@click.option("--agency", "slug", required=True, help="The agency (its short name).")
@click.option("--format", "fmt", type=click.Choice(exports.FORMATS), default="xlsx",
              show_default=True)  # fmt: skip
@click.option("--status", default="", help="Only this status (e.g. active).")
@click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]), help="YYYY-MM-DD")
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), help="YYYY-MM-DD")
@click.option("--pseudonymised", is_flag=True, help="No names or contacts, for statistics.")
@click.option("--delimiter", type=click.Choice([";", ","]), default=";", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True)
def export_command(
    kind: str, slug: str, fmt: str, status: str, date_from: object, date_to: object,
    pseudonymised: bool, delimiter: str, output: str,
) -> None:  # fmt: skip
    """Export the KIND list (matches, volunteers or newcomers) of an agency to a file."""
    agency = administration.agency_by_slug(slug)
    if agency is None:
        raise click.ClickException(f"no agency with the short name {slug}")
    with unit_of_work(agency.id):
        _export(agency, kind, fmt, status, date_from, date_to, pseudonymised, delimiter, output)


def _export(
    agency: Agency, kind: str, fmt: str, status: str, date_from: object, date_to: object,
    pseudonymised: bool, delimiter: str, output: str,
) -> None:  # fmt: skip
    request = exports.ExportRequest(
        kind=kind,
        agency=agency,
        fmt=fmt,
        status=status,
        date_from=_day(date_from),
        date_to=_day(date_to),
        pseudonymised=pseudonymised,
        delimiter=delimiter,
        locale="de",
    )
    # The file speaks German, as the agencies do; a refusal is printed by `unit_of_work`.
    with force_locale("de"):
        result = exports.export(request, actor=None)
    Path(output).write_bytes(result.data)
    click.echo(f"Wrote {result.rows} rows to {output}.")


def _day(value: object) -> date | None:
    return value.date() if hasattr(value, "date") else None


@click.group("gdpr")
def gdpr_group() -> None:
    """Data protection jobs."""


@gdpr_group.command("purge")
@with_appcontext
@click.option(
    "--unconfirmed-days",
    type=click.IntRange(1),
    default=None,
    help="Delete unconfirmed sign-ups older than this (default: the configured days).",
)
@every_agency
def purge_command(unconfirmed_days: int | None) -> None:
    """Anonymise people past retention, remove stale certificate records and old sign-ups."""
    report = gdpr.purge(unconfirmed_days=unconfirmed_days)
    click.echo(
        f"Anonymised {report.volunteers_anonymised} volunteers and "
        f"{report.newcomers_anonymised} newcomers; removed {report.certificates_removed} "
        f"certificate records, {report.unconfirmed_deleted} unconfirmed sign-ups, "
        f"{report.mails_deleted} old mails, {report.uploads_deleted} abandoned uploads and "
        f"{report.sign_ins_deleted} old staff sign-ins and sessions."
    )
