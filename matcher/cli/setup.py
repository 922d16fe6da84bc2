"""`flask --app wsgi …` commands to set up: agencies, users, demo data."""

import click
from flask.cli import with_appcontext

from matcher.cli import every_agency
from matcher.models import today
from matcher.services.platform import accounts, administration, demo, second_factor


@click.command("create-agency")
@with_appcontext
@click.argument("slug")
@click.argument("name")
@click.option("--city", default="", help="The agency's city.")
@every_agency
def create_agency(slug: str, name: str, city: str) -> None:
    """Create an agency SLUG called NAME."""
    agency = administration.create_agency(slug, name, city=city)
    click.echo(f"Created agency {agency.slug} ({agency.name}).")


@click.command("create-user")
@with_appcontext
@click.argument("email")
@click.option("--role", type=click.Choice(["admin", "coordinator"]), required=True)
@click.option("--agency", "agency_slug", help="The coordinator's agency (its slug).")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="For scripts; asked for (hidden, twice) when left out.",
)
@every_agency
def create_user(email: str, role: str, agency_slug: str | None, password: str) -> None:
    """Create a staff user with EMAIL."""
    agency = None
    if agency_slug:
        agency = administration.agency_by_slug(agency_slug)
        if agency is None:
            raise click.ClickException(f"no agency with the slug {agency_slug}")
    elif role == "coordinator":
        raise click.ClickException("a coordinator needs --agency SLUG")
    user = accounts.create_user(email, password, role, agency)
    click.echo(f"Created {user.role} {user.email}.")


@click.command("reset-two-factor")
@with_appcontext
@click.argument("email")
@every_agency
def reset_two_factor(email: str) -> None:
    """Remove the second factor of the user with EMAIL (a lost phone, a changed SECRET_KEY)."""
    user = accounts.user_by_email(email)
    if user is None:
        raise click.ClickException(f"no user with the email {email}")
    second_factor.reset(user, actor=None)
    click.echo(f"The second factor of {user.email} is reset; they set up a new one next time.")


@click.command("demo-data")
@with_appcontext
@click.option("--agency", "slug", default="koeln", show_default=True)
@click.option(
    "--volunteers", "n_volunteers", default=300, show_default=True, type=click.IntRange(0)
)
@click.option("--newcomers", "n_newcomers", default=250, show_default=True, type=click.IntRange(0))
@click.option("--seed", default=1, show_default=True, type=int)
@every_agency
def demo_data(slug: str, n_volunteers: int, n_newcomers: int, seed: int) -> None:
    """Load a realistic, deterministic demo agency in Cologne (once)."""
    agency = demo.load(slug, n_volunteers, n_newcomers, seed, today())
    if agency is None:
        click.echo(f"Demo agency {slug} already has people; nothing loaded.")
        return
    click.echo(
        f"Loaded demo agency {agency.slug}: {n_volunteers} volunteers, {n_newcomers} newcomers."
    )


@click.command("demo-logins")
@with_appcontext
@click.option("--agency", "slug", default="koeln", show_default=True)
@every_agency
def demo_logins(slug: str) -> None:
    """Give the demo logins fresh passwords and print them."""
    logins = demo.reset_logins(slug)
    if not logins:
        raise click.ClickException("no demo logins yet; run `flask demo-data` first")
    click.echo("Demo logins (fresh passwords, valid until the next `make demo`):")
    for role, email, password in logins:
        click.echo(f"  {role:<12} {email:<40} {password}")
