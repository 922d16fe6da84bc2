"""Coordinators screen volunteers: activate after the interview, pause, let them go.

The status changes are the domain's (`matcher.domain.transitions.VOLUNTEER`): activation
needs a confirmed address and consent to matching; letting someone go ends their
Patenschaften and removes their certificate record.
"""

from datetime import date

from matcher.domain import audit, transitions
from matcher.models import ConsentRecord, User, Volunteer


def change_status(volunteer: Volunteer, change: str, actor: User, *, on: date) -> None:
    """Activate (only confirmed and consenting volunteers), pause or deactivate a volunteer."""
    transitions.VOLUNTEER.check_button(change)
    transitions.apply(volunteer, change, actor=actor, on=on)


def view(volunteer: Volunteer, actor: User) -> None:
    """Record that a coordinator opened the volunteer's profile."""
    audit.about("volunteer.view", volunteer, actor)


def consents(volunteer: Volunteer) -> list[ConsentRecord]:
    """Every consent record of a volunteer, newest first."""
    return sorted(volunteer.consents, key=lambda c: c.given_at, reverse=True)
