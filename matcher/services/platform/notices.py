"""Telling coordinators what happened without them: a mail to each coordinator of the agency.

The domain decides *that* a coordinator must hear of something (`transitions.Notice`, e.g.
a volunteer paused, withdrew their consent or deleted their data while Patenschaften were
open); this module decides *how*: one mail per notice to every active coordinator of the
agency, in German (the language agencies work in), with a link to the person's page. The
mail names no one: coordinators open the link to see who it is.
"""

from collections.abc import Iterable

from sqlalchemy import select

from matcher import i18n
from matcher.domain.transitions import Notice
from matcher.extensions import db
from matcher.models import User
from matcher.services.platform import outbox

STAFF_LANGUAGE = "de"


def coordinators(agency_id: int) -> list[User]:
    """The active coordinators of an agency."""
    return list(
        db.session.scalars(
            select(User).where(
                User.agency_id == agency_id, User.role == "coordinator", User.active.is_(True)
            )
        )
    )


def send(notices: Iterable[Notice]) -> None:
    """Queue one mail per notice to each coordinator of its agency."""
    for notice in notices:
        for user in coordinators(notice.agency_id):
            subject, body = i18n.render_mail(
                "coordinator_notice", STAFF_LANGUAGE, notice=notice, user=user
            )
            outbox.enqueue("coordinator_notice", user.email, subject, body)
