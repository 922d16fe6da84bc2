"""runs as background jobs: queued → building → solving → storing → finished | failed

A run now has progress (the solver's round, a heartbeat, when it finished), a failure
code with its detail, the queue's job id, and at most one run under way per agency (a
partial unique index). Old rows stay readable: a failed run's engine message moves from
`parameters["error"]` to `failure_detail` (failure "invalid_problem", the only way an old
run could fail), and a run left "running" by a killed web worker becomes failed as lost.

Revision ID: c4e7a2d91f35
Revises: b3d41c7e9a02
Create Date: 2026-11-30 09:00:00.000000

"""
import json
from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4e7a2d91f35'
down_revision = 'b3d41c7e9a02'
branch_labels = None
depends_on = None

OLD_STATUSES = "status IN ('running', 'finished', 'failed')"
NEW_STATUSES = "status IN ('queued', 'building', 'solving', 'storing', 'finished', 'failed')"
ACTIVE = "status IN ('queued', 'building', 'solving', 'storing')"
FAILURES = (
    "failure IS NULL OR failure IN ('invalid_problem', 'error', 'worker_lost', 'not_picked_up',"
    " 'queue_unavailable', 'changed_meanwhile', 'interrupted')"
)
LOST_DETAIL = 'the web worker running it was stopped before it finished (before background jobs)'


def upgrade():
    with op.batch_alter_table('match_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('job_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('solver_round', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('heartbeat_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('finished_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('failure', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('failure_detail', sa.Text(), nullable=True))

    conn = op.get_bind()
    runs = sa.table(
        'match_runs',
        sa.column('id', sa.Integer()),
        sa.column('status', sa.String()),
        sa.column('parameters', sa.JSON()),
        sa.column('failure', sa.String()),
        sa.column('failure_detail', sa.Text()),
    )
    for run_id, parameters in conn.execute(
        sa.select(runs.c.id, runs.c.parameters).where(runs.c.status == 'failed')
    ).all():
        if isinstance(parameters, str):
            parameters = json.loads(parameters or '{}')
        error = str((parameters or {}).get('error') or '')
        conn.execute(
            runs.update()
            .where(runs.c.id == run_id)
            .values(failure='invalid_problem', failure_detail=error[:2000])
        )
    conn.execute(
        runs.update()
        .where(runs.c.status == 'running')
        .values(status='failed', failure='worker_lost', failure_detail=LOST_DETAIL)
    )

    # Recreated on SQLite (CHECKs): keep its ids never reused, and keep the matches that
    # point at a run (dropping the old table would set their run_id to NULL).
    with _foreign_keys_off():
        with op.batch_alter_table(
            'match_runs', schema=None, table_kwargs={'sqlite_autoincrement': True}
        ) as batch_op:
            batch_op.drop_constraint(batch_op.f('ck_match_runs_status_valid'), type_='check')
            batch_op.create_check_constraint(batch_op.f('ck_match_runs_status_valid'), NEW_STATUSES)
            batch_op.create_check_constraint(batch_op.f('ck_match_runs_failure_valid'), FAILURES)
            batch_op.create_check_constraint(
                batch_op.f('ck_match_runs_failed_has_failure'),
                "status <> 'failed' OR failure IS NOT NULL",
            )
            batch_op.create_index(
                'uq_match_runs_active_agency',
                ['agency_id'],
                unique=True,
                sqlite_where=sa.text(ACTIVE),
                postgresql_where=sa.text(ACTIVE),
            )


def downgrade():
    conn = op.get_bind()
    conn.execute(
        sa.text(f"UPDATE match_runs SET status = 'running' WHERE {ACTIVE}")
    )
    with _foreign_keys_off():
        with op.batch_alter_table(
            'match_runs', schema=None, table_kwargs={'sqlite_autoincrement': True}
        ) as batch_op:
            batch_op.drop_index(
                'uq_match_runs_active_agency',
                sqlite_where=sa.text(ACTIVE),
                postgresql_where=sa.text(ACTIVE),
            )
            batch_op.drop_constraint(batch_op.f('ck_match_runs_failed_has_failure'), type_='check')
            batch_op.drop_constraint(batch_op.f('ck_match_runs_failure_valid'), type_='check')
            batch_op.drop_constraint(batch_op.f('ck_match_runs_status_valid'), type_='check')
            batch_op.create_check_constraint(batch_op.f('ck_match_runs_status_valid'), OLD_STATUSES)
            batch_op.drop_column('failure_detail')
            batch_op.drop_column('failure')
            batch_op.drop_column('finished_at')
            batch_op.drop_column('heartbeat_at')
            batch_op.drop_column('solver_round')
            batch_op.drop_column('job_id')


@contextmanager
def _foreign_keys_off():
    """On SQLite, recreating a table drops the old one; with foreign keys on, that drop
    would set `matches.run_id` to NULL. The pragma works only outside a transaction."""
    conn = op.get_bind()
    if conn.dialect.name != 'sqlite':
        yield
        return
    context = op.get_context()
    was_on = conn.exec_driver_sql('PRAGMA foreign_keys').scalar()
    with context.autocommit_block():
        op.execute('PRAGMA foreign_keys=OFF')
    yield
    broken = op.get_bind().exec_driver_sql('PRAGMA foreign_key_check').all()
    if broken:
        raise RuntimeError(f'rows refer to rows that do not exist: {broken[:10]}')
    if was_on:
        with context.autocommit_block():
            op.execute('PRAGMA foreign_keys=ON')
