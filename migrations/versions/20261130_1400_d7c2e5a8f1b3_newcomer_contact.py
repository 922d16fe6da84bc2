"""newcomer contact without e-mail: phone, preferred channel, interpreter, letters' language

Newcomers rarely have e-mail. A newcomer gets a phone number (E.164), the channel she
prefers (phone, SMS, WhatsApp, through a social worker, in person) with the social
worker's contact, whether she needs an interpreter and for which language, and the
language her letters and messages are written in.

Existing rows stay valid: no number, no channel recorded, no interpreter. Their letters'
language is the best language they speak that matcher writes in (the order in which they
were registered was not kept: the highest level first), else German.

On SQLite the columns are added with ALTER TABLE and their CHECKs inline: recreating the
table (batch mode) would cascade to her languages and consents. SQLite checks these
column constraints like table constraints.

Revision ID: d7c2e5a8f1b3
Revises: d7a3f19c2e58
Create Date: 2026-11-30 15:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd7c2e5a8f1b3'
down_revision = 'd7a3f19c2e58'
branch_labels = None
depends_on = None

# Copied, not imported: a migration must keep meaning what it meant when it was written.
DOCUMENT_LANGUAGES = (
    'de', 'en', 'ar', 'fa', 'prs', 'ps', 'uk', 'ru', 'tr', 'kmr', 'ckb', 'ti', 'so', 'fr',
)
LEVELS = ('native', 'fluent', 'good', 'basic')


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


CHECKS = {
    'ck_newcomers_contact_channel_valid': (
        'contact_channel IS NULL OR '
        + _in('contact_channel', ('phone', 'sms', 'whatsapp', 'social_worker', 'in_person'))
    ),
    'ck_newcomers_contact_channel_phone': (
        "contact_channel IS NULL OR phone <> '' OR NOT "
        + _in('contact_channel', ('phone', 'sms', 'whatsapp'))
    ),
    'ck_newcomers_contact_channel_social_worker': (
        "contact_channel IS NULL OR contact_channel <> 'social_worker' "
        "OR social_worker_contact <> ''"
    ),
    'ck_newcomers_interpreter_language_needed': (
        '(interpreter_language IS NOT NULL) = interpreter_needed'
    ),
    'ck_newcomers_correspondence_language_valid': _in(
        'correspondence_language', DOCUMENT_LANGUAGES
    ),
}

COLUMNS = (
    ('phone', sa.String(length=16), dict(nullable=False, server_default='')),
    ('contact_channel', sa.String(length=16), dict(nullable=True)),
    ('social_worker_contact', sa.String(length=120), dict(nullable=False, server_default='')),
    ('interpreter_needed', sa.Boolean(), dict(nullable=False, server_default=sa.false())),
    ('interpreter_language', sa.String(length=8), dict(nullable=True)),
    ('correspondence_language', sa.String(length=8), dict(nullable=False, server_default='de')),
)
# On SQLite, each CHECK goes inline with the last column it names.
SQLITE_CHECK_AFTER = {
    'ck_newcomers_contact_channel_valid': 'contact_channel',
    'ck_newcomers_contact_channel_phone': 'contact_channel',
    'ck_newcomers_contact_channel_social_worker': 'social_worker_contact',
    'ck_newcomers_interpreter_language_needed': 'interpreter_language',
    'ck_newcomers_correspondence_language_valid': 'correspondence_language',
}
SQLITE_COLUMNS = {
    'phone': "VARCHAR(16) DEFAULT '' NOT NULL",
    'contact_channel': 'VARCHAR(16)',
    'social_worker_contact': "VARCHAR(120) DEFAULT '' NOT NULL",
    'interpreter_needed': 'BOOLEAN DEFAULT 0 NOT NULL',
    'interpreter_language': 'VARCHAR(8)',
    'correspondence_language': "VARCHAR(8) DEFAULT 'de' NOT NULL",
}


def upgrade():
    if op.get_bind().dialect.name == 'sqlite':
        for name, definition in SQLITE_COLUMNS.items():
            checks = ' '.join(
                f'CONSTRAINT {check} CHECK ({CHECKS[check]})'
                for check, column in SQLITE_CHECK_AFTER.items()
                if column == name
            )
            op.execute(f'ALTER TABLE newcomers ADD COLUMN {name} {definition} {checks}'.strip())
    else:
        for name, type_, options in COLUMNS:
            op.add_column('newcomers', sa.Column(name, type_, **options))
        for check, condition in CHECKS.items():
            op.create_check_constraint(check, 'newcomers', condition)
    _letters_in_the_best_language()


def _letters_in_the_best_language():
    conn = op.get_bind()
    rows = conn.execute(
        sa.text('SELECT newcomer_id, code, level FROM newcomer_languages')
    ).all()
    best = {}
    for newcomer_id, code, level in rows:
        if code not in DOCUMENT_LANGUAGES:
            continue
        rank = (LEVELS.index(level) if level in LEVELS else len(LEVELS),
                DOCUMENT_LANGUAGES.index(code))
        if newcomer_id not in best or rank < best[newcomer_id][0]:
            best[newcomer_id] = (rank, code)
    for newcomer_id, (_rank, code) in sorted(best.items()):
        conn.execute(
            sa.text('UPDATE newcomers SET correspondence_language = :code WHERE id = :id'),
            {'code': code, 'id': newcomer_id},
        )


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite (3.35+) drops a column with the CHECKs written inline with it, as long as
        # no other column's CHECK names it: the last added goes first.
        for name in reversed(list(SQLITE_COLUMNS)):
            op.execute(f'ALTER TABLE newcomers DROP COLUMN {name}')
        return
    for check in reversed(list(CHECKS)):
        op.drop_constraint(check, 'newcomers', type_='check')
    for name, _type, _options in reversed(COLUMNS):
        op.drop_column('newcomers', name)
