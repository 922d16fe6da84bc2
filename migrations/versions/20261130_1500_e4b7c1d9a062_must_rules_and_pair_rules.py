"""control over the matching: an agency's must-rules, a newcomer's mobility, interests, pair rules

Issue 13. An agency gains its must-rules for the matching (minimum score, minimum language
level, minimum shared slots, same-gender or women-only tandems, the age-band preference
switch) and its list of interests; a newcomer her own distance limit, her gender (for the
tandem rule) and interests; a volunteer interests. A new table keeps a coordinator's rule
about one pair: pinned (always proposed) or forbidden for good, with the reason.

Existing rows keep today's behaviour: minimum score 0, one shared slot, no other rule.

On SQLite the columns are added with ALTER TABLE and their CHECKs inline: recreating the
tables (batch mode) would cascade to the agencies' people and the newcomers' languages.

Revision ID: e4b7c1d9a062
Revises: d7c2e5a8f1b3
Create Date: 2026-11-30 16:00:00.000000

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = 'e4b7c1d9a062'
down_revision = 'd7c2e5a8f1b3'
branch_labels = None
depends_on = None

# Copied, not imported: a migration must keep meaning what it meant when it was written.
LEVELS = ('basic', 'good', 'fluent', 'native')
TANDEM_GENDERS = ('same', 'women_only')
GENDERS = ('female', 'male', 'diverse')


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


# table -> [(column, type, options, SQLite definition, {check name: condition})]
COLUMNS = {
    'agencies': [
        ('min_score', sa.Float(), dict(nullable=False, server_default=sa.text('0')),
         'FLOAT DEFAULT 0 NOT NULL',
         {'ck_agencies_min_score_range': 'min_score BETWEEN 0 AND 1'}),
        ('min_language_level', sa.String(length=16), dict(nullable=True), 'VARCHAR(16)',
         {'ck_agencies_min_language_level_valid':
          'min_language_level IS NULL OR ' + _in('min_language_level', LEVELS)}),
        ('min_shared_slots', sa.Integer(), dict(nullable=False, server_default=sa.text('1')),
         'INTEGER DEFAULT 1 NOT NULL',
         {'ck_agencies_min_shared_slots_range': 'min_shared_slots BETWEEN 0 AND 21'}),
        ('tandem_gender', sa.String(length=16), dict(nullable=True), 'VARCHAR(16)',
         {'ck_agencies_tandem_gender_valid':
          'tandem_gender IS NULL OR ' + _in('tandem_gender', TANDEM_GENDERS)}),
        ('age_band_preference', sa.Boolean(), dict(nullable=False, server_default=sa.false()),
         'BOOLEAN DEFAULT 0 NOT NULL', {}),
        ('interests', sa.JSON(), dict(nullable=True), 'JSON', {}),
    ],
    'newcomers': [
        ('max_distance_km', sa.Float(), dict(nullable=True), 'FLOAT',
         {'ck_newcomers_max_distance_positive': 'max_distance_km IS NULL OR max_distance_km > 0'}),
        ('gender', sa.String(length=16), dict(nullable=True), 'VARCHAR(16)',
         {'ck_newcomers_gender_valid': 'gender IS NULL OR ' + _in('gender', GENDERS)}),
        ('interests', sa.JSON(), dict(nullable=True), 'JSON', {}),
    ],
    'volunteers': [
        ('interests', sa.JSON(), dict(nullable=True), 'JSON', {}),
    ],
}


def upgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    for table, columns in COLUMNS.items():
        for name, type_, options, definition, checks in columns:
            if sqlite:
                inline = ' '.join(
                    f'CONSTRAINT {check} CHECK ({condition})'
                    for check, condition in checks.items()
                )
                op.execute(f'ALTER TABLE {table} ADD COLUMN {name} {definition} {inline}'.strip())
            else:
                op.add_column(table, sa.Column(name, type_, **options))
                for check, condition in checks.items():
                    op.create_check_constraint(check, table, condition)
    op.create_table(
        'pair_rules',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('volunteer_id', sa.Integer(), nullable=False),
        sa.Column('newcomer_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.CheckConstraint("kind IN ('pin', 'forbid')", name=op.f('ck_pair_rules_kind_valid')),
        sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'],
                                name=op.f('fk_pair_rules_agency_id_agencies'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_pair_rules_created_by_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['newcomer_id'], ['newcomers.id'],
                                name=op.f('fk_pair_rules_newcomer_id_newcomers'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['volunteer_id'], ['volunteers.id'],
                                name=op.f('fk_pair_rules_volunteer_id_volunteers'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_pair_rules')),
        sa.UniqueConstraint('volunteer_id', 'newcomer_id', name='uq_pair_rules_pair'),
        sqlite_autoincrement=True,
    )
    op.create_index('ix_pair_rules_agency_kind', 'pair_rules', ['agency_id', 'kind'])
    op.create_index(
        'uq_pair_rules_pinned_newcomer', 'pair_rules', ['newcomer_id'], unique=True,
        sqlite_where=sa.text("kind = 'pin'"), postgresql_where=sa.text("kind = 'pin'"),
    )


def downgrade():
    op.drop_index('uq_pair_rules_pinned_newcomer', table_name='pair_rules')
    op.drop_index('ix_pair_rules_agency_kind', table_name='pair_rules')
    op.drop_table('pair_rules')
    sqlite = op.get_bind().dialect.name == 'sqlite'
    for table, columns in reversed(list(COLUMNS.items())):
        for name, _type, _options, _definition, checks in reversed(columns):
            if sqlite:
                # SQLite (3.35+) drops a column with the CHECKs written inline with it.
                op.execute(f'ALTER TABLE {table} DROP COLUMN {name}')
                continue
            for check in checks:
                op.drop_constraint(check, table, type_='check')
            op.drop_column(table, name)
