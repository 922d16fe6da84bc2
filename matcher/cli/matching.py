"""`flask --app wsgi match …`: run the matching, send check-in reminders."""

import click
from flask.cli import AppGroup

from matcher.cli import every_agency, unit_of_work
from matcher.models import today
from matcher.services.matching import checkins, run
from matcher.services.platform import administration

group = AppGroup("match", help="Run the matching and follow the Patenschaften.")


@group.command("run")
@click.option("--agency", "slug", required=True, help="The agency's slug.")
def run_command(slug: str) -> None:
    """Run the matching for one agency (the same as the button) and print a summary."""
    agency = administration.agency_by_slug(slug)
    if agency is None:
        raise click.ClickException(f"no agency with the slug {slug}")
    with unit_of_work(agency.id):
        result = run.run(agency, None, on=today())
    if result.status == "failed":
        raise click.ClickException(f"the matching could not run: {result.parameters['error']}")
    click.echo(
        f"Run {result.id} for {agency.slug}: {result.volunteers} volunteers, "
        f"{result.newcomers} newcomers, {result.feasible_pairs} possible pairs."
    )
    click.echo(f"Proposals: {result.pairs}")
    click.echo(f"Unmatched newcomers: {len(result.unmatched)}")
    for entry in result.unmatched:
        detail = f" — {entry['detail']}" if entry.get("detail") else ""
        click.echo(f"  newcomer {entry['newcomer']}: {entry.get('reason')}{detail}")
    click.echo(f"Seconds: {result.seconds or 0:.2f}")


@group.command("remind")
@every_agency
def remind() -> None:
    """Queue one reminder mail per check-in that is due soon or overdue."""
    count = checkins.remind(today())
    click.echo(f"Queued {count} check-in reminder(s).")
