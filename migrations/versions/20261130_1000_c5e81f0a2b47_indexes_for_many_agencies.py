"""indexes for many agencies in one database: composite indexes leading with agency_id

With 200 agencies (600,000 people) in one database, an index of `status` alone finds all
agencies' rows with that status, and a list sorted by name sorts an agency's people on
every page. Every query on an agency's rows carries `agency_id` (matcher.tenancy), so:

- volunteers, newcomers, matches: (agency_id, status) instead of (status) — counts,
  who is active or waiting, proposals, Patenschaften by status; the plain agency_id
  index goes, the composite serves lookups by agency alone;
- matches (agency_id, id): the Patenschaften newest first, instead of a backward walk
  through every agency's newest matches;
- volunteers (agency_id, last_name, first_name, id) and newcomers (agency_id,
  waiting_since, id), both without erased people: a list page and its count straight from
  the index, and the admin's volunteers per agency;
- check_ins (agency_id, due_on) of those not yet held, instead of (due_on);
- audit_events (agency_id, at) instead of (agency_id): one agency's log, newest first;
- on PostgreSQL, the search keys get a trigram index (pg_trgm, part of PostgreSQL's own
  package) for `LIKE '%word%'`; without the extension they keep a plain index, as on SQLite.

benchmarks/scale.py measures what they are for. This migration took 8 s on its
600,000-person dataset (PostgreSQL); writes to a table wait while its index is built.

Revision ID: c5e81f0a2b47
Revises: c4e7a2d91f35
Create Date: 2026-11-29 15:00:00.000000

"""
import logging

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c5e81f0a2b47'
down_revision = 'c4e7a2d91f35'
branch_labels = None
depends_on = None

log = logging.getLogger('alembic.runtime.migration')

NOT_ERASED = sa.text('anonymised_at IS NULL')
NOT_HELD = sa.text('done_at IS NULL')
SEARCHED = ('volunteers', 'newcomers')


def _partial(name, table, columns, where):
    op.create_index(name, table, columns, sqlite_where=where, postgresql_where=where)


def _trigrams():
    """Whether pg_trgm is there or could be created; it is part of PostgreSQL itself, but
    a hosted or trimmed server may lack it or refuse it to this user: then say so and go on."""
    bind = op.get_bind()
    if bind.dialect.name != 'postgresql':
        return False
    if bind.scalar(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")):
        return True
    if not bind.scalar(sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")):
        log.warning('pg_trgm is not installed: a name search reads every person it searches')
        return False
    try:
        with bind.begin_nested():
            bind.execute(sa.text('CREATE EXTENSION IF NOT EXISTS pg_trgm'))
    except sa.exc.DBAPIError as e:
        reason = str(getattr(e, 'orig', e)).splitlines()[0]
        log.warning('pg_trgm could not be created (%s): a name search reads every person', reason)
        return False
    return True


def upgrade():
    for table in ('volunteers', 'newcomers', 'matches'):
        op.drop_index(f'ix_{table}_status', table_name=table)
        op.drop_index(f'ix_{table}_agency_id', table_name=table)
        op.create_index(f'ix_{table}_agency_status', table, ['agency_id', 'status'])
    _partial('ix_volunteers_agency_name', 'volunteers',
             ['agency_id', 'last_name', 'first_name', 'id'], NOT_ERASED)
    _partial('ix_newcomers_agency_waiting', 'newcomers',
             ['agency_id', 'waiting_since', 'id'], NOT_ERASED)
    op.drop_index('ix_check_ins_due_on', table_name='check_ins')
    _partial('ix_check_ins_pending', 'check_ins', ['agency_id', 'due_on'], NOT_HELD)
    op.drop_index('ix_audit_events_agency_id', table_name='audit_events')
    op.create_index('ix_audit_events_agency_at', 'audit_events', ['agency_id', 'at'])
    op.create_index('ix_matches_agency_newest', 'matches', ['agency_id', 'id'])
    if _trigrams():
        for table in SEARCHED:
            op.drop_index(f'ix_{table}_search_key', table_name=table)
            op.create_index(
                f'ix_{table}_search_key', table, ['search_key'], postgresql_using='gin',
                postgresql_ops={'search_key': 'gin_trgm_ops'},
            )


def downgrade():
    # The pg_trgm extension stays: other database objects may use it by now.
    if op.get_bind().dialect.name == 'postgresql':
        for table in SEARCHED:
            op.drop_index(f'ix_{table}_search_key', table_name=table)
            op.create_index(f'ix_{table}_search_key', table, ['search_key'])
    op.drop_index('ix_matches_agency_newest', table_name='matches')
    op.drop_index('ix_audit_events_agency_at', table_name='audit_events')
    op.create_index('ix_audit_events_agency_id', 'audit_events', ['agency_id'])
    op.drop_index('ix_check_ins_pending', table_name='check_ins')
    op.create_index('ix_check_ins_due_on', 'check_ins', ['due_on'])
    op.drop_index('ix_newcomers_agency_waiting', table_name='newcomers')
    op.drop_index('ix_volunteers_agency_name', table_name='volunteers')
    for table in ('volunteers', 'newcomers', 'matches'):
        op.drop_index(f'ix_{table}_agency_status', table_name=table)
        op.create_index(f'ix_{table}_agency_id', table, ['agency_id'])
        op.create_index(f'ix_{table}_status', table, ['status'])
