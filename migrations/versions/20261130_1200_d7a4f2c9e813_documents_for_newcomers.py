"""documents for newcomers: the agency's own texts, kept by version, and the first meeting

`document_texts` keeps every saved version of a document (privacy notice, consent form,
introduction letter, "what is a Patenschaft") in one language for one agency; none is
ever changed. A translation records the German version it was made or reviewed against.
`first_meetings` holds when and where a Patenschaft's pair meets first (one per match).

Revision ID: d7a4f2c9e813
Revises: b6e331a61e25
Create Date: 2026-11-30 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd7a4f2c9e813'
down_revision = 'b6e331a61e25'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('document_texts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('german_version', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_by_name', sa.String(length=200), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("(reviewed_at IS NULL) = (reviewed_by_name = '')", name=op.f('ck_document_texts_review_has_reviewer')),
    sa.CheckConstraint("kind IN ('privacy_notice', 'consent_form', 'introduction_letter', 'patenschaft_sheet')", name=op.f('ck_document_texts_kind_valid')),
    sa.CheckConstraint("language IN ('de', 'en', 'ar', 'fa', 'prs', 'ps', 'uk', 'ru', 'tr', 'kmr', 'ckb', 'ti', 'so', 'fr')", name=op.f('ck_document_texts_language_valid')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_document_texts_version_positive')),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_document_texts_agency_id_agencies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_document_texts_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], name=op.f('fk_document_texts_reviewed_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_texts')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('document_texts', schema=None) as batch_op:
        batch_op.create_index('uq_document_texts_version', ['agency_id', 'kind', 'language', 'version'], unique=True)

    op.create_table('first_meetings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('match_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('place', sa.String(length=300), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('duration_minutes BETWEEN 15 AND 480', name=op.f('ck_first_meetings_duration_valid')),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_first_meetings_agency_id_agencies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['match_id'], ['matches.id'], name=op.f('fk_first_meetings_match_id_matches'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_first_meetings_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_first_meetings')),
    sa.UniqueConstraint('match_id', name=op.f('uq_first_meetings_match_id')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('first_meetings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_first_meetings_agency_id'), ['agency_id'], unique=False)



def downgrade():
    with op.batch_alter_table('first_meetings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_first_meetings_agency_id'))

    op.drop_table('first_meetings')
    with op.batch_alter_table('document_texts', schema=None) as batch_op:
        batch_op.drop_index('uq_document_texts_version')

    op.drop_table('document_texts')
