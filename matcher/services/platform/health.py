"""Is the service able to work: the cheap check a load balancer asks every few seconds."""

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from matcher.extensions import db


def database_answers() -> bool:
    """Whether the database answers a trivial query."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return False
    return True
