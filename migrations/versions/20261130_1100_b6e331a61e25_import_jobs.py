"""import jobs: a large list's dry run or import as a background job

A job records what was asked (dry run or import, the list, the stashed upload's token,
the column mapping, the admin's language), how far it is (queued → checking → importing
→ finished | failed, the rows done, a heartbeat), and its result (the counts and the
first problems, or why it failed). At most one job per agency is under way (a partial
unique index), so a double submit finds the one under way.

Revision ID: b6e331a61e25
Revises: c5e81f0a2b47
Create Date: 2026-11-30 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b6e331a61e25'
down_revision = 'c5e81f0a2b47'
branch_labels = None
depends_on = None

ACTIVE = "status IN ('queued', 'checking', 'importing')"


def upgrade():
    op.create_table(
        'import_jobs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('started_by_id', sa.Integer(), nullable=True),
        sa.Column('dry_run', sa.Boolean(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('mapping', sa.JSON(), nullable=False),
        sa.Column('locale', sa.String(length=8), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('rows_total', sa.Integer(), nullable=False),
        sa.Column('rows_done', sa.Integer(), nullable=False),
        sa.Column('new', sa.Integer(), nullable=False),
        sa.Column('existing', sa.Integer(), nullable=False),
        sa.Column('without_consent', sa.Integer(), nullable=False),
        sa.Column('error_count', sa.Integer(), nullable=False),
        sa.Column('errors', sa.JSON(), nullable=False),
        sa.Column('job_id', sa.String(length=64), nullable=True),
        sa.Column('heartbeat_at', sa.DateTime(), nullable=True),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.Column('failure', sa.String(length=32), nullable=True),
        sa.Column('failure_detail', sa.Text(), nullable=True),
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "failure IS NULL OR failure IN ('error', 'worker_lost', 'not_picked_up',"
            " 'queue_unavailable', 'interrupted', 'rows_taken', 'upload_gone')",
            name=op.f('ck_import_jobs_failure_valid'),
        ),
        sa.CheckConstraint(
            "kind IN ('volunteers', 'newcomers')", name=op.f('ck_import_jobs_kind_valid')
        ),
        sa.CheckConstraint(
            "status <> 'failed' OR failure IS NOT NULL",
            name=op.f('ck_import_jobs_failed_has_failure'),
        ),
        sa.CheckConstraint(
            "status IN ('queued', 'checking', 'importing', 'finished', 'failed')",
            name=op.f('ck_import_jobs_status_valid'),
        ),
        sa.ForeignKeyConstraint(
            ['agency_id'], ['agencies.id'], name=op.f('fk_import_jobs_agency_id_agencies'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['started_by_id'], ['users.id'], name=op.f('fk_import_jobs_started_by_id_users'),
            ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_import_jobs')),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_jobs_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(
            'uq_import_jobs_active_agency',
            ['agency_id'],
            unique=True,
            sqlite_where=sa.text(ACTIVE),
            postgresql_where=sa.text(ACTIVE),
        )


def downgrade():
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.drop_index(
            'uq_import_jobs_active_agency',
            sqlite_where=sa.text(ACTIVE),
            postgresql_where=sa.text(ACTIVE),
        )
        batch_op.drop_index(batch_op.f('ix_import_jobs_agency_id'))
    op.drop_table('import_jobs')
