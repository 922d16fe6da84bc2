"""`flask --app wsgi …` commands. Each command is one unit of work in a scope it names.

`command_transaction(scope)` runs a command body as one transaction — committed at its
end, rolled back on any error — in an explicit tenancy scope (`matcher.tenancy`), and
turns a refused use case into its one message (`matcher.web.messages`), never a
traceback.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, TypeVar

import click
from flask import Flask
from flask_babel import force_locale

from matcher import tenancy
from matcher.domain.errors import ServiceError
from matcher.extensions import db

F = TypeVar("F", bound=Callable[..., Any])


@contextmanager
def unit_of_work(scope: tenancy.Scope) -> Iterator[None]:
    """One transaction in one tenancy scope: commit at the end, roll back on error."""
    try:
        with tenancy._scoped(scope):
            yield
        db.session.commit()
    except ServiceError as e:
        db.session.rollback()
        from matcher.web import messages

        with force_locale("en"):
            raise click.ClickException(messages.text(e)) from None
    except BaseException:
        db.session.rollback()
        raise


def every_agency(command: F) -> F:
    """Run a command over every agency's rows, as one transaction."""

    @wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        with unit_of_work(tenancy.Everyone.ALL_AGENCIES):
            return command(*args, **kwargs)

    return run  # type: ignore[return-value]


def register(app: Flask) -> None:
    """Add the commands to the app's CLI."""
    from matcher.cli import backup, digest, jobs, lists, matching, outbox, security, setup

    for command in (setup.create_agency, setup.create_user, setup.demo_data, setup.demo_logins):
        app.cli.add_command(command)
    app.cli.add_command(setup.reset_two_factor)
    app.cli.add_command(lists.export_command)
    app.cli.add_command(lists.gdpr_group)
    app.cli.add_command(outbox.group)
    app.cli.add_command(matching.group)
    app.cli.add_command(backup.group)
    app.cli.add_command(jobs.group)
    app.cli.add_command(security.group)
    app.cli.add_command(digest.group)
