"""The audit log's entries: who saw, changed, approved or exported what — the fact, never the data.

The actor is always passed explicitly (None for the system or a volunteer acting on
their own profile): the same call writes the same row in a request, a command or a job.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, insert
from sqlalchemy.orm import Session, object_session, scoped_session

from matcher.models import AuditEvent, utcnow

if TYPE_CHECKING:
    from matcher.models import User

#: The object type written for a subject, by its table.
OBJECT_TYPES = {
    "volunteers": "volunteer",
    "newcomers": "newcomer",
    "matches": "match",
    "check_ins": "checkin",
    "match_runs": "match_run",
    "import_jobs": "import_job",
    "agencies": "agency",
    "users": "user",
    "document_texts": "document_text",
    "first_meetings": "first_meeting",
    "pair_rules": "pair_rule",
    "onboarding_steps": "onboarding_step",
    # Notes and contacts on a timeline (matcher.services.people.notes): never their text.
    "notes": "note",
}


def record(
    session: Session | scoped_session[Any],
    action: str,
    *,
    actor: User | None,
    object_type: str = "",
    object_id: int | None = None,
    agency_id: int | None = None,
) -> AuditEvent:
    """Add one audit entry to the session's transaction (the boundary commits it)."""
    event = AuditEvent(
        action=action,
        object_type=object_type,
        object_id=object_id,
        agency_id=agency_id,
        actor_id=actor.id if actor is not None else None,
    )
    session.add(event)
    return event


def about(action: str, subject: object, actor: User | None) -> AuditEvent:
    """Audit an action on a loaded row (a person, match, check-in, run, agency or user)."""
    session = object_session(subject)
    if session is None:
        raise ValueError(f"{subject!r} is not in a session")
    table = getattr(subject, "__tablename__", "")
    object_id = getattr(subject, "id", None)
    agency_id = object_id if table == "agencies" else getattr(subject, "agency_id", None)
    return record(
        session,
        action,
        actor=actor,
        object_type=OBJECT_TYPES[table],
        object_id=object_id,
        agency_id=agency_id,
    )


def record_apart(bind: Engine, action: str, subject: User, actor: User | None) -> None:
    """Write one audit entry about a user in a transaction of its own, committed now.

    For refusals (a wrong second-factor code): the request answers 4xx and rolls its own
    work back, and the entry must stay all the same. It inserts only, so it waits for no
    lock of the request's transaction.
    """
    with bind.begin() as conn:
        conn.execute(
            insert(AuditEvent).values(
                at=utcnow(),
                action=action,
                object_type=OBJECT_TYPES["users"],
                object_id=subject.id,
                agency_id=subject.agency_id,
                actor_id=actor.id if actor is not None else None,
            )
        )
