"""two-factor sign-in for staff: TOTP secrets, recovery codes, an agency's requirement

A staff member's TOTP authenticator (its secret encrypted, the time step of the last code
accepted so no code counts twice) and ten single-use recovery codes (keyed SHA-256
digests); an agency's setting whether its coordinators must use a second factor (off for
existing agencies: nothing changes for them until an admin switches it on).

The agency column is added with ALTER TABLE on SQLite too: recreating `agencies` (batch
mode) would cascade to every row that belongs to an agency.

Revision ID: e3b9d41f7a20
Revises: e4b7c1d9a062
Create Date: 2026-11-30 16:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e3b9d41f7a20'
down_revision = "e4b7c1d9a062"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        'agencies',
        sa.Column('two_factor_required', sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.create_table(
        'second_factors',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('secret', sa.String(length=255), nullable=False),
        sa.Column('last_step', sa.BigInteger(), nullable=False),
        sa.Column('enrolled_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'], name=op.f('fk_second_factors_user_id_users'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_second_factors')),
        sa.UniqueConstraint('user_id', name=op.f('uq_second_factors_user_id')),
        sqlite_autoincrement=True,
    )
    op.create_table(
        'recovery_codes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('used_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'], name=op.f('fk_recovery_codes_user_id_users'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_codes')),
        sa.UniqueConstraint('digest', name=op.f('uq_recovery_codes_digest')),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f('ix_recovery_codes_user_id'), 'recovery_codes', ['user_id'], unique=False
    )


def downgrade():
    op.drop_index(op.f('ix_recovery_codes_user_id'), table_name='recovery_codes')
    op.drop_table('recovery_codes')
    op.drop_table('second_factors')
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite 3.35+ drops the column in place; batch mode would recreate `agencies`.
        op.execute('ALTER TABLE agencies DROP COLUMN two_factor_required')
        return
    op.drop_column('agencies', 'two_factor_required')
