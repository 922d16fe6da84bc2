"""Queueing mail in the outbox, inside the caller's transaction."""

from matcher.extensions import db
from matcher.models import OutboxMessage


def enqueue(kind: str, to_address: str, subject: str, body: str) -> OutboxMessage:
    """Add a mail to the outbox; it is sent only if the caller's transaction commits."""
    message = OutboxMessage(kind=kind, to_address=to_address, subject=subject, body=body)
    db.session.add(message)
    return message
