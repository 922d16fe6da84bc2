"""consent per purpose: interpreter channel and role, who recorded a withdrawal, one in force

A consent can be given through an interpreter (channel "interpreter"), whose role — never
the name — is kept; the CHECKs keep a role exactly on interpreted consents. A withdrawal
recorded by staff keeps who recorded it. At most one consent per person and purpose is in
force (partial unique indexes). A Patenschaft can be flagged because the newcomer withdrew
her consent to matching.

Existing rows stay valid: none has the new channel, and a person with two consents in
force for one purpose (only possible before this revision) keeps the newest in force; the
older ones are marked withdrawn when the newer was given, which is when they stopped being
the one that counted.

Revision ID: d7a3f19c2e58
Revises: d7a4f2c9e813
Create Date: 2026-11-30 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd7a3f19c2e58'
down_revision = 'd7a4f2c9e813'
branch_labels = None
depends_on = None

CHANNELS_OLD = "channel IN ('online', 'paper', 'in_person')"
CHANNELS_NEW = "channel IN ('online', 'paper', 'in_person', 'interpreter')"
ROLES = (
    "interpreter_role IS NULL OR interpreter_role IN ('professional', 'language_mediator',"
    " 'social_worker', 'family_or_friend', 'other')"
)
ATTENTION_OLD = "attention IS NULL OR attention IN ('volunteer_withdrew_consent')"
ATTENTION_NEW = (
    "attention IS NULL OR attention IN ('volunteer_withdrew_consent',"
    " 'newcomer_withdrew_consent')"
)


def _in_force(person):
    return f"withdrawn_at IS NULL AND {person} IS NOT NULL"


def _supersede_duplicates(person):
    """Of several consents in force for one person and purpose, keep the newest."""
    op.execute(
        f"UPDATE consent_records SET withdrawn_at = ("
        f" SELECT MIN(newer.given_at) FROM consent_records newer"
        f" WHERE newer.{person} = consent_records.{person}"
        f" AND newer.purpose = consent_records.purpose AND newer.withdrawn_at IS NULL"
        f" AND newer.id > consent_records.id)"
        f" WHERE {_in_force(person)} AND EXISTS ("
        f" SELECT 1 FROM consent_records newer"
        f" WHERE newer.{person} = consent_records.{person}"
        f" AND newer.purpose = consent_records.purpose AND newer.withdrawn_at IS NULL"
        f" AND newer.id > consent_records.id)"
    )


def upgrade():
    _supersede_duplicates('volunteer_id')
    _supersede_duplicates('newcomer_id')
    # Recreated on SQLite (foreign keys and CHECKs): keep its ids never reused.
    with op.batch_alter_table(
        'consent_records', schema=None, table_kwargs={'sqlite_autoincrement': True}
    ) as batch_op:
        batch_op.add_column(sa.Column('interpreter_role', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_consent_records_withdrawn_by_id_users'), 'users',
            ['withdrawn_by_id'], ['id'], ondelete='SET NULL',
        )
        batch_op.drop_constraint('channel_valid', type_='check')
        batch_op.create_check_constraint('channel_valid', CHANNELS_NEW)
        batch_op.create_check_constraint(
            'interpreter_role_iff_interpreter',
            "(channel = 'interpreter') = (interpreter_role IS NOT NULL)",
        )
        batch_op.create_check_constraint('interpreter_role_valid', ROLES)
        batch_op.create_check_constraint(
            'withdrawn_by_withdrawn', "withdrawn_by_id IS NULL OR withdrawn_at IS NOT NULL"
        )
    for person in ('volunteer_id', 'newcomer_id'):
        op.create_index(
            f'uq_consent_records_{person}_purpose_in_force', 'consent_records',
            [person, 'purpose'], unique=True,
            sqlite_where=sa.text(_in_force(person)), postgresql_where=sa.text(_in_force(person)),
        )
    with op.batch_alter_table(
        'matches', schema=None, table_kwargs={'sqlite_autoincrement': True}
    ) as batch_op:
        batch_op.drop_constraint('attention_valid', type_='check')
        batch_op.create_check_constraint('attention_valid', ATTENTION_NEW)


def downgrade():
    # Back to the older vocabularies: what they cannot say is said as closely as they can.
    op.execute(
        "UPDATE matches SET attention = NULL, attention_since = NULL"
        " WHERE attention = 'newcomer_withdrew_consent'"
    )
    with op.batch_alter_table(
        'matches', schema=None, table_kwargs={'sqlite_autoincrement': True}
    ) as batch_op:
        batch_op.drop_constraint('attention_valid', type_='check')
        batch_op.create_check_constraint('attention_valid', ATTENTION_OLD)
    for person in ('newcomer_id', 'volunteer_id'):
        op.drop_index(f'uq_consent_records_{person}_purpose_in_force', 'consent_records')
    op.execute(
        "UPDATE consent_records SET channel = 'in_person', interpreter_role = NULL"
        " WHERE channel = 'interpreter'"
    )
    with op.batch_alter_table(
        'consent_records', schema=None, table_kwargs={'sqlite_autoincrement': True}
    ) as batch_op:
        batch_op.drop_constraint('withdrawn_by_withdrawn', type_='check')
        batch_op.drop_constraint('interpreter_role_valid', type_='check')
        batch_op.drop_constraint('interpreter_role_iff_interpreter', type_='check')
        batch_op.drop_constraint('channel_valid', type_='check')
        batch_op.create_check_constraint('channel_valid', CHANNELS_OLD)
        batch_op.drop_constraint(
            batch_op.f('fk_consent_records_withdrawn_by_id_users'), type_='foreignkey'
        )
        batch_op.drop_column('withdrawn_by_id')
        batch_op.drop_column('interpreter_role')
