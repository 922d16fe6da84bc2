"""domain rules: hand-picked proposals, flags on Patenschaften, check-in dates, mail language

Revision ID: b3d41c7e9a02
Revises: 3a657ca5c7f3
Create Date: 2026-11-29 14:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b3d41c7e9a02'
down_revision = '3a657ca5c7f3'
branch_labels = None
depends_on = None


def upgrade():
    # Recreated on SQLite (a foreign key and a CHECK): keep its ids never reused.
    with op.batch_alter_table(
        'matches', schema=None, table_kwargs={'sqlite_autoincrement': True}
    ) as batch_op:
        batch_op.add_column(sa.Column('picked_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('attention', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('attention_since', sa.DateTime(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_matches_picked_by_id_users'), 'users', ['picked_by_id'], ['id'],
            ondelete='SET NULL',
        )
        batch_op.create_check_constraint(
            'attention_valid',
            "attention IS NULL OR attention IN ('volunteer_withdrew_consent')",
        )
    with op.batch_alter_table('check_ins', schema=None) as batch_op:
        batch_op.add_column(sa.Column('held_on', sa.Date(), nullable=True))
    with op.batch_alter_table('volunteers', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('locale', sa.String(length=8), nullable=False, server_default='de')
        )


def downgrade():
    with op.batch_alter_table('volunteers', schema=None) as batch_op:
        batch_op.drop_column('locale')
    with op.batch_alter_table('check_ins', schema=None) as batch_op:
        batch_op.drop_column('held_on')
    # Recreated on SQLite (a foreign key and a CHECK): keep its ids never reused.
    with op.batch_alter_table(
        'matches', schema=None, table_kwargs={'sqlite_autoincrement': True}
    ) as batch_op:
        batch_op.drop_constraint('attention_valid', type_='check')
        batch_op.drop_constraint(batch_op.f('fk_matches_picked_by_id_users'), type_='foreignkey')
        batch_op.drop_column('attention_since')
        batch_op.drop_column('attention')
        batch_op.drop_column('picked_by_id')
