"""SQLite never reuses an id: every table with an integer id gets AUTOINCREMENT.

Without it SQLite hands the id of the newest deleted row to the next row, so a person
whose sign-up was purged passed their audit trail on to the next person (feat B5). The
tables are recreated with AUTOINCREMENT, and each sequence starts above the highest id the
audit log names, so ids deleted before this upgrade are not handed out again either.
PostgreSQL's sequences never reuse an id: there, nothing changes.

Revision ID: 3a657ca5c7f3
Revises: 3292a92098b6
Create Date: 2026-11-29 12:30:00.000000

"""
from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3a657ca5c7f3'
down_revision = '3292a92098b6'
branch_labels = None
depends_on = None

# Every table with an integer id, and the object_type its ids have in the audit log.
TABLES = {
    'agencies': 'agency',
    'users': 'user',
    'volunteers': 'volunteer',
    'newcomers': 'newcomer',
    'match_runs': 'match_run',
    'matches': 'match',
    'match_events': None,
    'check_ins': 'checkin',
    'consent_records': None,
    'audit_events': None,
    'outbox_messages': None,
}


def upgrade():
    if op.get_bind().dialect.name != 'sqlite':
        return
    with _foreign_keys_off():
        _recreate(autoincrement=True)
    _start_sequences_above_the_audit_log()


def downgrade():
    if op.get_bind().dialect.name != 'sqlite':
        return
    with _foreign_keys_off():
        _recreate(autoincrement=False)


def _recreate(autoincrement):
    """Copy each table into a new one with (or without) AUTOINCREMENT, indexes and all."""
    for table in TABLES:
        with op.batch_alter_table(
            table, recreate='always', table_kwargs={'sqlite_autoincrement': autoincrement}
        ):
            pass


@contextmanager
def _foreign_keys_off():
    """Recreating a table drops the old one; with foreign keys on, SQLite would cascade
    that drop to every row referring to it (languages, consents, matches, check-ins).

    The pragma works only outside a transaction, hence the autocommit blocks. Afterwards
    every reference is checked before enforcement is switched back on.
    """
    context = op.get_context()
    conn = op.get_bind()
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


def _start_sequences_above_the_audit_log():
    """Ids deleted before this upgrade may still be named in the audit log: skip them."""
    conn = op.get_bind()
    for table, kind in TABLES.items():
        if kind is None:
            continue
        named = conn.execute(
            sa.text('SELECT max(object_id) FROM audit_events WHERE object_type = :kind'),
            {'kind': kind},
        ).scalar()
        if named is None:
            continue
        seq = conn.execute(
            sa.text('SELECT seq FROM sqlite_sequence WHERE name = :table'), {'table': table}
        ).scalar()
        if seq is None:
            conn.execute(
                sa.text('INSERT INTO sqlite_sequence (name, seq) VALUES (:table, :seq)'),
                {'table': table, 'seq': named},
            )
        elif seq < named:
            conn.execute(
                sa.text('UPDATE sqlite_sequence SET seq = :seq WHERE name = :table'),
                {'table': table, 'seq': named},
            )
