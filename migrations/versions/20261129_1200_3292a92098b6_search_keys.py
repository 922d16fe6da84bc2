"""Volunteers and newcomers: search_key, the names folded once in Python for search.

SQLite's lower() folds ASCII only and PostgreSQL's depends on the ctype, so "Öztürk" and
"Weißmüller" were not found by "öztürk" and "weissmüller". The key is written by the models
(matcher.models.search) and filled here for the people already stored.

Revision ID: 3292a92098b6
Revises: 5c3e9a1b7d20
Create Date: 2026-11-29 12:00:00.000000

"""
import unicodedata

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3292a92098b6'
down_revision = '5c3e9a1b7d20'
branch_labels = None
depends_on = None

# The names each table's key is made of, in order.
KEYS = {
    'volunteers': ('first_name', 'last_name', 'email'),
    'newcomers': ('first_name',),
}

_APOSTROPHES = str.maketrans(dict.fromkeys('\u2018\u2019\u02bc`', "'"))


def _fold(text):
    """matcher.models.search.fold as of this revision (frozen: migrations import no app code)."""
    folded = unicodedata.normalize('NFKC', text).casefold()
    folded = folded.replace('i\u0307', 'i').translate(_APOSTROPHES)
    return ' '.join(unicodedata.normalize('NFKC', folded).split())


def upgrade():
    # Not in batch mode: SQLite adds a column in place, while recreating the tables would
    # drop the old ones, and with foreign keys on, that drop cascades to their languages,
    # consents and matches.
    for table in KEYS:
        op.add_column(table, sa.Column('search_key', sa.Text(), server_default='', nullable=False))
        op.create_index(f'ix_{table}_search_key', table, ['search_key'], unique=False)
    conn = op.get_bind()
    for name, fields in KEYS.items():
        table = sa.table(
            name,
            sa.column('id'),
            sa.column('anonymised_at'),
            sa.column('search_key'),
            *(sa.column(field) for field in fields),
        )
        people = conn.execute(
            sa.select(table.c.id, *(table.c[field] for field in fields)).where(
                table.c.anonymised_at.is_(None)
            )
        ).all()
        if people:
            conn.execute(
                table.update()
                .where(table.c.id == sa.bindparam('person'))
                .values(search_key=sa.bindparam('key')),
                [
                    {'person': row[0], 'key': _fold(' '.join(part for part in row[1:] if part))}
                    for row in people
                ],
            )


def downgrade():
    # Not in batch mode either (see upgrade): SQLite drops a column in place since 3.35.
    for table in reversed(KEYS):
        op.drop_index(f'ix_{table}_search_key', table_name=table)
        op.drop_column(table, 'search_key')
