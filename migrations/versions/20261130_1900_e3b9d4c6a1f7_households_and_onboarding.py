"""households and volunteer onboarding

A newcomer entry can be a family: household size (1 to 15), the children's age bands and
the family's needs (childcare, school, accessibility). A volunteer says whether families
are welcome, how many people at most and the children's ages they like to meet. The CHECKs
keep the rows consistent: children's age bands only with `minors` set (the certificate
rule reads it); a maximum household and children's ages only from someone who welcomes
families.

Each agency keeps an onboarding checklist (`onboarding_steps`) and the steps each
volunteer has done (`onboarding_done`). Existing agencies get the default German steps,
none of them required before matching, so no volunteer stops taking part until the agency
chooses.

Existing rows stay valid: one-person households without children or needs; volunteers
who have not said they welcome families.

On SQLite the columns are added with ALTER TABLE and their CHECKs inline: recreating the
tables (batch mode) would cascade to languages and consents.

Revision ID: e3b9d4c6a1f7
Revises: e4b19d7c6a20
Create Date: 2026-11-30 16:00:00.000000

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = 'e3b9d4c6a1f7'
down_revision = "e4b19d7c6a20"
branch_labels = None
depends_on = None

# Copied, not imported: a migration must keep meaning what it meant when it was written.
DEFAULT_STEPS = (
    'Erstgespräch',
    'Schulung',
    'Unterschriebene Ehrenamtsvereinbarung',
    '§72a-Verpflichtungserklärung',
)

# JSONB on PostgreSQL: its values compare with `=`, as a server default's comparison needs.
JSON_LIST = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')

CHECKS = {
    'newcomers': {
        'ck_newcomers_household_size_range': (
            'household_size', 'household_size BETWEEN 1 AND 15'
        ),
        'ck_newcomers_children_are_minors': (
            'child_age_bands', "minors OR CAST(child_age_bands AS TEXT) = '[]'"
        ),
    },
    'volunteers': {
        'ck_volunteers_max_household_range': (
            'max_household',
            'max_household IS NULL OR (families_welcome AND max_household BETWEEN 2 AND 15)',
        ),
        'ck_volunteers_child_age_bands_for_families': (
            'child_age_bands', "families_welcome OR CAST(child_age_bands AS TEXT) = '[]'"
        ),
    },
}

COLUMNS = {
    'newcomers': (
        ('household_size', sa.Integer(), dict(nullable=False, server_default='1'),
         "INTEGER DEFAULT '1' NOT NULL"),
        ('child_age_bands', JSON_LIST, dict(nullable=False, server_default=sa.text("'[]'")),
         "JSON DEFAULT '[]' NOT NULL"),
        ('household_needs', JSON_LIST, dict(nullable=False, server_default=sa.text("'[]'")),
         "JSON DEFAULT '[]' NOT NULL"),
    ),
    'volunteers': (
        ('families_welcome', sa.Boolean(), dict(nullable=False, server_default=sa.false()),
         'BOOLEAN DEFAULT 0 NOT NULL'),
        ('max_household', sa.Integer(), dict(nullable=True), 'INTEGER'),
        ('child_age_bands', JSON_LIST, dict(nullable=False, server_default=sa.text("'[]'")),
         "JSON DEFAULT '[]' NOT NULL"),
    ),
}


def upgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    for table, columns in COLUMNS.items():
        for name, type_, options, sqlite_definition in columns:
            if sqlite:
                checks = ' '.join(
                    f'CONSTRAINT {check} CHECK ({condition})'
                    for check, (column, condition) in CHECKS[table].items()
                    if column == name
                )
                op.execute(
                    f'ALTER TABLE {table} ADD COLUMN {name} {sqlite_definition} {checks}'.strip()
                )
            else:
                op.add_column(table, sa.Column(name, type_, **options))
        if not sqlite:
            for check, (_column, condition) in CHECKS[table].items():
                op.create_check_constraint(check, table, condition)

    op.create_table(
        'onboarding_steps',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('required_for_matching', sa.Boolean(), server_default=sa.false(),
                  nullable=False),
        sa.Column('position', sa.Integer(), server_default=sa.text('0'), nullable=False),
        sa.Column('archived_at', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.CheckConstraint("name <> ''", name=op.f('ck_onboarding_steps_name_given')),
        sa.CheckConstraint('position >= 0', name=op.f('ck_onboarding_steps_position_positive')),
        sa.ForeignKeyConstraint(
            ['agency_id'], ['agencies.id'], name=op.f('fk_onboarding_steps_agency_id_agencies'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_onboarding_steps')),
        sqlite_autoincrement=True,
    )
    op.create_index(
        'ix_onboarding_steps_agency_position', 'onboarding_steps', ['agency_id', 'position'],
        unique=False,
    )
    op.create_table(
        'onboarding_done',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('volunteer_id', sa.Integer(), nullable=False),
        sa.Column('step_id', sa.Integer(), nullable=False),
        sa.Column('done_at', sa.DateTime(), nullable=False),
        sa.Column('done_by_id', sa.Integer(), nullable=True),
        sa.Column('note', sa.String(length=300), server_default=sa.text("''"), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['agency_id'], ['agencies.id'], name=op.f('fk_onboarding_done_agency_id_agencies'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['done_by_id'], ['users.id'], name=op.f('fk_onboarding_done_done_by_id_users'),
            ondelete='SET NULL',
        ),
        sa.ForeignKeyConstraint(
            ['step_id'], ['onboarding_steps.id'],
            name=op.f('fk_onboarding_done_step_id_onboarding_steps'),
        ),
        sa.ForeignKeyConstraint(
            ['volunteer_id'], ['volunteers.id'],
            name=op.f('fk_onboarding_done_volunteer_id_volunteers'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_onboarding_done')),
        sa.UniqueConstraint('volunteer_id', 'step_id', name='uq_onboarding_done_volunteer_step'),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f('ix_onboarding_done_agency_id'), 'onboarding_done', ['agency_id'], unique=False
    )
    op.create_index(
        op.f('ix_onboarding_done_step_id'), 'onboarding_done', ['step_id'], unique=False
    )
    _default_steps()


def _default_steps():
    """Every existing agency gets the default checklist, nothing required before matching."""
    conn = op.get_bind()
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    for (agency_id,) in conn.execute(sa.text('SELECT id FROM agencies ORDER BY id')).all():
        for position, name in enumerate(DEFAULT_STEPS):
            conn.execute(
                sa.text(
                    'INSERT INTO onboarding_steps (agency_id, name, required_for_matching, '
                    'position, created_at) VALUES (:agency, :name, :required, :position, :now)'
                ),
                dict(agency=agency_id, name=name, required=False, position=position, now=now),
            )


def downgrade():
    op.drop_index(op.f('ix_onboarding_done_step_id'), table_name='onboarding_done')
    op.drop_index(op.f('ix_onboarding_done_agency_id'), table_name='onboarding_done')
    op.drop_table('onboarding_done')
    op.drop_index('ix_onboarding_steps_agency_position', table_name='onboarding_steps')
    op.drop_table('onboarding_steps')
    sqlite = op.get_bind().dialect.name == 'sqlite'
    for table, columns in reversed(list(COLUMNS.items())):
        if not sqlite:
            for check in reversed(list(CHECKS[table])):
                op.drop_constraint(check, table, type_='check')
        # SQLite (3.35+) drops a column with the CHECKs written inline with it, as long as
        # no other column's CHECK names it: the last added goes first.
        for name, _type, _options, _sqlite in reversed(columns):
            op.drop_column(table, name)
