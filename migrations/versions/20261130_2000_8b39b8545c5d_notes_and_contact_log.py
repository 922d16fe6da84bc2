"""notes and contact log: a timeline per volunteer, newcomer and Patenschaft

`notes` holds one entry each: a note (text) or a contact (the staff member, with whom,
when, the channel, a short text), about exactly one volunteer, newcomer or Patenschaft.
It carries a version for optimistic locking, the key of the form that saved it (a form
sent twice saves once), and who created, changed and deleted it (deletion is soft).
`note_versions` keeps every version an edit or a deletion replaced.

Two new tables: nothing existing changes, on SQLite and PostgreSQL alike.

Revision ID: 8b39b8545c5d
Revises: e3b9d4c6a1f7
Create Date: 2026-11-30 15:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8b39b8545c5d'
down_revision = "e3b9d4c6a1f7"
branch_labels = None
depends_on = None

# Copied, not imported: a migration must keep meaning what it meant when it was written.
KINDS = ('contact', 'note')
CHANNELS = (
    'phone', 'sms', 'whatsapp', 'email', 'in_person', 'video', 'letter', 'interpreter',
    'social_worker', 'other',
)
PARTIES = ('volunteer', 'newcomer', 'both', 'other')


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _entry_columns_and_checks(table):
    """The columns and CHECKs an entry and its kept versions share."""
    return [
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=True),
        sa.Column('party', sa.String(length=16), nullable=True),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('staff_id', sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(kind = 'contact' AND channel IS NOT NULL AND party IS NOT NULL) "
            "OR (kind = 'note' AND channel IS NULL AND party IS NULL)",
            name=op.f(f'ck_{table}_contact_fields'),
        ),
        sa.CheckConstraint(
            f"channel IS NULL OR {_in('channel', CHANNELS)}",
            name=op.f(f'ck_{table}_channel_valid'),
        ),
        sa.CheckConstraint(_in('kind', KINDS), name=op.f(f'ck_{table}_kind_valid')),
        sa.CheckConstraint(
            f"party IS NULL OR {_in('party', PARTIES)}", name=op.f(f'ck_{table}_party_valid')
        ),
        sa.ForeignKeyConstraint(
            ['staff_id'], ['users.id'], name=op.f(f'fk_{table}_staff_id_users'),
            ondelete='SET NULL',
        ),
    ]


def _by_user(table, column):
    return sa.ForeignKeyConstraint(
        [column], ['users.id'], name=op.f(f'fk_{table}_{column}_users'), ondelete='SET NULL'
    )


def upgrade():
    op.create_table(
        'notes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('volunteer_id', sa.Integer(), nullable=True),
        sa.Column('newcomer_id', sa.Integer(), nullable=True),
        sa.Column('match_id', sa.Integer(), nullable=True),
        *_entry_columns_and_checks('notes'),
        sa.Column('submission_key', sa.String(length=64), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=True),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.Column('deleted_at', sa.DateTime(), nullable=True),
        sa.Column('deleted_by_id', sa.Integer(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.CheckConstraint(
            '(CASE WHEN volunteer_id IS NULL THEN 0 ELSE 1 END)'
            ' + (CASE WHEN newcomer_id IS NULL THEN 0 ELSE 1 END)'
            ' + (CASE WHEN match_id IS NULL THEN 0 ELSE 1 END) = 1',
            name=op.f('ck_notes_one_subject'),
        ),
        sa.ForeignKeyConstraint(
            ['agency_id'], ['agencies.id'], name=op.f('fk_notes_agency_id_agencies'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['volunteer_id'], ['volunteers.id'], name=op.f('fk_notes_volunteer_id_volunteers'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['newcomer_id'], ['newcomers.id'], name=op.f('fk_notes_newcomer_id_newcomers'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['match_id'], ['matches.id'], name=op.f('fk_notes_match_id_matches'),
            ondelete='CASCADE',
        ),
        _by_user('notes', 'created_by_id'),
        _by_user('notes', 'updated_by_id'),
        _by_user('notes', 'deleted_by_id'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notes')),
        sa.UniqueConstraint(
            'agency_id', 'submission_key', name='uq_notes_agency_submission_key'
        ),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table('notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notes_match_id'), ['match_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notes_newcomer_id'), ['newcomer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notes_volunteer_id'), ['volunteer_id'], unique=False)

    op.create_table(
        'note_versions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('note_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        *_entry_columns_and_checks('note_versions'),
        sa.Column('saved_at', sa.DateTime(), nullable=False),
        sa.Column('saved_by_id', sa.Integer(), nullable=True),
        sa.Column('replaced_at', sa.DateTime(), nullable=False),
        sa.Column('replaced_by_id', sa.Integer(), nullable=True),
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['agency_id'], ['agencies.id'], name=op.f('fk_note_versions_agency_id_agencies'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['note_id'], ['notes.id'], name=op.f('fk_note_versions_note_id_notes'),
            ondelete='CASCADE',
        ),
        _by_user('note_versions', 'saved_by_id'),
        _by_user('note_versions', 'replaced_by_id'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_note_versions')),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table('note_versions', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_note_versions_agency_id'), ['agency_id'], unique=False
        )
        batch_op.create_index(batch_op.f('ix_note_versions_note_id'), ['note_id'], unique=False)


def downgrade():
    with op.batch_alter_table('note_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_note_versions_note_id'))
        batch_op.drop_index(batch_op.f('ix_note_versions_agency_id'))
    op.drop_table('note_versions')
    with op.batch_alter_table('notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notes_volunteer_id'))
        batch_op.drop_index(batch_op.f('ix_notes_newcomer_id'))
        batch_op.drop_index(batch_op.f('ix_notes_match_id'))
    op.drop_table('notes')
