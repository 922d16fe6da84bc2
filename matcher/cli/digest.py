"""`flask --app wsgi digest …`: the weekly "Heute zu tun" mail to coordinators who opted in."""

import click
from flask import current_app
from flask.cli import AppGroup

from matcher.cli import every_agency
from matcher.models import today
from matcher.services.matching import digest, workqueue

group = AppGroup("digest", help="The weekly summary mail for coordinators.")


@group.command("send")
@click.option("--dry-run", is_flag=True, help="Only show who would get which counts.")
@every_agency
def send_command(dry_run: bool) -> None:
    """Queue this week's digest for every coordinator who opted in and has none yet (at
    most one per ISO week: a second run in the same week queues nothing)."""
    stale = int(current_app.config.get("PROPOSAL_STALE_DAYS", workqueue.PROPOSAL_STALE_DAYS))
    sent = digest.send(today(), stale_days=stale, dry_run=dry_run)
    for d in sent:
        figures = ", ".join(f"{k} {n}" for k, n in d.counts.items())
        click.echo(f"{d.email} (agency {d.agency_id}, {d.week}): {figures}")
    verb = "Would queue" if dry_run else "Queued"
    click.echo(f"{verb} {len(sent)} digest(s).")
