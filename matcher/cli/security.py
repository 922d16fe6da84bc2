"""`flask --app wsgi security check`: the weak settings of this installation, with what to
do about each (`matcher.services.platform.security_check`). Exit status 1 when a finding
must be fixed before real people's data goes in."""

import os

import click
from flask import current_app
from flask.cli import AppGroup

from matcher import tenancy
from matcher.services.platform import security_check

group = AppGroup("security", help="Check this installation's security settings.")


def _workers() -> int:
    """The worker processes gunicorn.conf.py starts: WEB_CONCURRENCY, else one per core."""
    value = os.environ.get("WEB_CONCURRENCY", "").strip()
    return int(value) if value else len(os.sched_getaffinity(0))


@group.command("check")
@click.option(
    "--workers",
    type=click.IntRange(1),
    default=None,
    help="Worker processes serving the app (default: as gunicorn.conf.py starts them).",
)
def check_command(workers: int | None) -> None:
    """Report weak settings: secret key, https, debug, two-factor sign-in for admins,
    shared rate limits for several workers, and file modes of the instance folder."""
    with tenancy.all_agencies():
        findings = security_check.check(
            dict(current_app.config), current_app.instance_path, workers or _workers()
        )
    if not findings:
        click.echo("No weak settings found.")
        return
    for finding in findings:
        click.echo(f"[{finding.level}] {finding.setting}: {finding.problem}.")
        click.echo(f"    What to do: {finding.remedy}.")
    high = sum(f.level == "high" for f in findings)
    click.echo(f"{len(findings)} finding(s), {high} to fix before real data goes in.")
    if high:
        raise SystemExit(1)
