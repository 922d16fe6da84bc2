"""`flask --app wsgi match …`: run the matching, send check-in reminders."""

import click
from flask.cli import AppGroup

from matcher import jobs_tasks, tenancy
from matcher.cli import every_agency, unit_of_work
from matcher.extensions import db
from matcher.models import MatchRun, today
from matcher.services.matching import checkins, runs
from matcher.services.platform import administration

group = AppGroup("match", help="Run the matching and follow the Patenschaften.")


@group.command("run")
@click.option("--agency", "slug", required=True, help="The agency's slug.")
def run_command(slug: str) -> None:
    """Run the matching for one agency now, in this process (the same work as the button's
    job, without the queue), and print a summary. One run per agency: if one is under
    way, say so and stop."""
    agency = administration.agency_by_slug(slug)
    if agency is None:
        raise click.ClickException(f"no agency with the slug {slug}")
    with unit_of_work(agency.id):
        started = runs.start(agency, None, on=today(), background=False)
        run_id, status = started.run.id, started.run.status
    if not started.created:
        raise click.ClickException(
            f"a matching run for {slug} is already under way (run {run_id}, {status});"
            " wait until it has ended"
        )
    jobs_tasks.perform_run(run_id, agency.id)
    with tenancy.for_agency(agency.id):
        result = db.session.get(MatchRun, run_id)
        assert result is not None
    if result.status != "finished":
        raise click.ClickException(
            f"the matching could not run: {result.failure} — {result.failure_detail}"
        )
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
