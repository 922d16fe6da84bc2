"""work queue and weekly digest: a coordinator's opt-in, and more reasons to flag a match

A coordinator may opt in to a weekly mail with the counts of "Heute zu tun"
(`users.weekly_digest`); `users.last_digest_week` keeps the ISO week of the last one
queued, so a second run in the same week sends nothing. A Patenschaft can also be flagged
because its volunteer paused in their profile or deleted their data while it was open.

Existing rows stay valid: nobody is opted in, no digest was sent, no flag changes.

Revision ID: e4b19d7c6a20
Revises: e3b9c4d2a715
Create Date: 2026-11-30 16:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e4b19d7c6a20'
down_revision = "e3b9c4d2a715"
branch_labels = None
depends_on = None

ATTENTION_OLD = (
    "attention IS NULL OR attention IN ('volunteer_withdrew_consent',"
    " 'newcomer_withdrew_consent')"
)
ATTENTION_NEW = (
    "attention IS NULL OR attention IN ('volunteer_withdrew_consent',"
    " 'newcomer_withdrew_consent', 'volunteer_paused', 'volunteer_left')"
)


def upgrade():
    # Plain ALTER TABLE on SQLite too: recreating `users` would gain nothing.
    op.add_column(
        'users',
        sa.Column('weekly_digest', sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column('users', sa.Column('last_digest_week', sa.String(length=8), nullable=True))
    # Recreated on SQLite (foreign keys and CHECKs): keep its ids never reused.
    with op.batch_alter_table(
        'matches', schema=None, table_kwargs={'sqlite_autoincrement': True}
    ) as batch_op:
        batch_op.drop_constraint('attention_valid', type_='check')
        batch_op.create_check_constraint('attention_valid', ATTENTION_NEW)


def downgrade():
    # The older vocabulary cannot say these: the flags go.
    op.execute(
        "UPDATE matches SET attention = NULL, attention_since = NULL"
        " WHERE attention IN ('volunteer_paused', 'volunteer_left')"
    )
    with op.batch_alter_table(
        'matches', schema=None, table_kwargs={'sqlite_autoincrement': True}
    ) as batch_op:
        batch_op.drop_constraint('attention_valid', type_='check')
        batch_op.create_check_constraint('attention_valid', ATTENTION_OLD)
    with op.batch_alter_table(
        'users', schema=None, table_kwargs={'sqlite_autoincrement': True}
    ) as batch_op:
        batch_op.drop_column('last_digest_week')
        batch_op.drop_column('weekly_digest')
