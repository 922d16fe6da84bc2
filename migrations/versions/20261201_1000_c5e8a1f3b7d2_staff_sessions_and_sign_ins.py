"""staff sessions kept on the server, and the log of sign-ins

Each signed-in browser of a staff member is a row (the cookie holds a random key, the row
its SHA-256 digest), so staff can list and end their sessions and admins any user's; every
sign-in attempt is a row, so admins see each user's failed and successful sign-ins (issue
14). Sessions that were open before this migration end: their cookies name no row.

Revision ID: c5e8a1f3b7d2
Revises: 8b39b8545c5d
Create Date: 2026-12-01 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c5e8a1f3b7d2'
down_revision = '8b39b8545c5d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'staff_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('key_digest', sa.String(length=64), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(), nullable=False),
        sa.Column('ended_at', sa.DateTime(), nullable=True),
        sa.Column('end_reason', sa.String(length=16), nullable=True),
        sa.Column('ended_by_id', sa.Integer(), nullable=True),
        sa.Column('address', sa.String(length=64), nullable=False),
        sa.Column('agent', sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "end_reason IS NULL OR end_reason IN "
            "('logout', 'ended', 'admin', 'idle', 'expired')",
            name=op.f('ck_staff_sessions_end_reason_valid'),
        ),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'], name=op.f('fk_staff_sessions_user_id_users'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['ended_by_id'], ['users.id'], name=op.f('fk_staff_sessions_ended_by_id_users'),
            ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_sessions')),
        sa.UniqueConstraint('key_digest', name=op.f('uq_staff_sessions_key_digest')),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f('ix_staff_sessions_user_id'), 'staff_sessions', ['user_id'], unique=False
    )
    op.create_table(
        'sign_ins',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('outcome', sa.String(length=24), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=False),
        sa.Column('agent', sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('success', 'recovery_code', 'wrong_password', 'wrong_code', "
            "'inactive', 'unknown_account')",
            name=op.f('ck_sign_ins_outcome_valid'),
        ),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'], name=op.f('fk_sign_ins_user_id_users'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_ins')),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f('ix_sign_ins_user_id'), 'sign_ins', ['user_id'], unique=False)
    op.create_index(op.f('ix_sign_ins_at'), 'sign_ins', ['at'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_sign_ins_at'), table_name='sign_ins')
    op.drop_index(op.f('ix_sign_ins_user_id'), table_name='sign_ins')
    op.drop_table('sign_ins')
    op.drop_index(op.f('ix_staff_sessions_user_id'), table_name='staff_sessions')
    op.drop_table('staff_sessions')
