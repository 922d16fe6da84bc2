"""profile history and pairs marked "not a duplicate"

Every change to a volunteer's or newcomer's details (by a coordinator, by the volunteer
themselves, or by a merge of two records) becomes one row per changed field in
`profile_changes`. Pairs of people a coordinator marked "kein Duplikat" are kept in
`duplicate_dismissals`, so they are not flagged again. Two new tables: nothing existing
changes.

Revision ID: e3b9c4d2a715
Revises: e3b9d41f7a20
Create Date: 2026-11-30 16:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e3b9c4d2a715'
down_revision = "e3b9d41f7a20"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'profile_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('volunteer_id', sa.Integer(), nullable=True),
        sa.Column('newcomer_id', sa.Integer(), nullable=True),
        sa.Column('field', sa.String(length=32), nullable=False),
        sa.Column('old_value', sa.Text(), nullable=False),
        sa.Column('new_value', sa.Text(), nullable=False),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.CheckConstraint(
            '(volunteer_id IS NULL) <> (newcomer_id IS NULL)',
            name=op.f('ck_profile_changes_exactly_one_person'),
        ),
        sa.CheckConstraint(
            "source IN ('coordinator', 'self', 'merge')",
            name=op.f('ck_profile_changes_source_valid'),
        ),
        sa.ForeignKeyConstraint(
            ['actor_id'], ['users.id'],
            name=op.f('fk_profile_changes_actor_id_users'), ondelete='SET NULL',
        ),
        sa.ForeignKeyConstraint(
            ['agency_id'], ['agencies.id'],
            name=op.f('fk_profile_changes_agency_id_agencies'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['newcomer_id'], ['newcomers.id'],
            name=op.f('fk_profile_changes_newcomer_id_newcomers'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['volunteer_id'], ['volunteers.id'],
            name=op.f('fk_profile_changes_volunteer_id_volunteers'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_profile_changes')),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table('profile_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_profile_changes_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_profile_changes_newcomer_id'), ['newcomer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_profile_changes_volunteer_id'), ['volunteer_id'], unique=False)

    op.create_table(
        'duplicate_dismissals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('first_id', sa.Integer(), nullable=False),
        sa.Column('second_id', sa.Integer(), nullable=False),
        sa.Column('by_id', sa.Integer(), nullable=True),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('volunteer', 'newcomer')", name=op.f('ck_duplicate_dismissals_kind_valid')
        ),
        sa.CheckConstraint('first_id < second_id', name=op.f('ck_duplicate_dismissals_ordered')),
        sa.ForeignKeyConstraint(
            ['agency_id'], ['agencies.id'],
            name=op.f('fk_duplicate_dismissals_agency_id_agencies'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['by_id'], ['users.id'],
            name=op.f('fk_duplicate_dismissals_by_id_users'), ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_duplicate_dismissals')),
        sa.UniqueConstraint(
            'agency_id', 'kind', 'first_id', 'second_id', name='uq_duplicate_dismissals_pair'
        ),
        sqlite_autoincrement=True,
    )


def downgrade():
    op.drop_table('duplicate_dismissals')
    with op.batch_alter_table('profile_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_profile_changes_volunteer_id'))
        batch_op.drop_index(batch_op.f('ix_profile_changes_newcomer_id'))
        batch_op.drop_index(batch_op.f('ix_profile_changes_agency_id'))
    op.drop_table('profile_changes')
