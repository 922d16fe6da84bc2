"""Writing the audit log: the fact of an action, never the data it touched."""

from flask_login import current_user

from matcher.extensions import db
from matcher.models import AuditEvent, User


def record(
    action: str,
    *,
    object_type: str = "",
    object_id: int | None = None,
    agency_id: int | None = None,
    actor: User | None = None,
) -> AuditEvent:
    """Add an audit event to the current transaction (the caller commits)."""
    if actor is None and current_user and current_user.is_authenticated:
        actor = current_user._get_current_object()
    event = AuditEvent(
        action=action,
        object_type=object_type,
        object_id=object_id,
        agency_id=agency_id,
        actor_id=actor.id if actor is not None else None,
    )
    db.session.add(event)
    return event
