"""check-in reminders: remember when the volunteer was reminded

Revision ID: 5c3e9a1b7d20
Revises: 1f7d8f88edf8
Create Date: 2026-11-26 06:01:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c3e9a1b7d20'
down_revision = '1f7d8f88edf8'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('check_ins', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminded_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('check_ins', schema=None) as batch_op:
        batch_op.drop_column('reminded_at')
