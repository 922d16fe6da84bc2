"""Search keys: a person's names folded once, in Python, when they are written.

SQLite's lower() folds ASCII letters only, and PostgreSQL's depends on the database's
ctype, so "Öztürk" would be found by "öztürk" on one database and not on the other. Each
searchable person therefore stores a key folded here (Unicode NFKC, case-folded so that
Ö = ö and ß = ss, whitespace collapsed), and a search folds the query the same way and
compares plain strings: every database answers alike.

A search asks `LIKE '%word%'`, which no B-tree can answer. On PostgreSQL the key has a
trigram index (`pg_trgm`, shipped with PostgreSQL itself, e.g. in Debian's postgresql-15
package): for words of three letters or more it finds the matching rows among every
agency's people without reading them all, which the admin's search across agencies needs.
A coordinator's search reads only their agency's rows anyway. SQLite keeps a plain index.
"""

import unicodedata
from typing import Any

from sqlalchemy import ColumnElement, Connection, Index, MetaData, and_, event, text, true
from sqlalchemy.orm import QueryableAttribute

# Typed on a phone or copied from a letter, the same name has different apostrophes.
_APOSTROPHES = str.maketrans(dict.fromkeys("\u2018\u2019\u02bc`", "'"))


def fold(text: str) -> str:
    """Text as compared by search: NFKC, case-folded (ß = ss), one space between words."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    # "İ" (Turkish capital dotted I) folds to "i" + a combining dot; "ilhan" finds İlhan.
    folded = folded.replace("i\u0307", "i").translate(_APOSTROPHES)
    return " ".join(unicodedata.normalize("NFKC", folded).split())


def search_key(*parts: str | None) -> str:
    """The stored key of a person: the given fields folded, separated by spaces."""
    return fold(" ".join(part for part in parts if part))


def matches_every_word(key: QueryableAttribute[str], query: str) -> ColumnElement[bool]:
    """Every word of the query occurs somewhere in the key, in any order."""
    words = fold(query).split()
    return and_(true(), *(key.contains(word, autoescape=True) for word in words))


def search_index(table: str) -> Index:
    """The index of a table's `search_key`: trigrams (GIN) on PostgreSQL, plain on SQLite."""
    return Index(
        f"ix_{table}_search_key",
        "search_key",
        postgresql_using="gin",
        postgresql_ops={"search_key": "gin_trgm_ops"},
    )


def need_trigrams(metadata: MetaData) -> None:
    """Create the `pg_trgm` extension before the tables (`create_all`, as the tests do;
    the migrations create it themselves)."""

    def create_extension(_target: MetaData, connection: Connection, **_kw: Any) -> None:
        if connection.dialect.name == "postgresql":
            connection.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))

    event.listen(metadata, "before_create", create_extension)


def keep_search_key(model: type[Any], fields: tuple[str, ...]) -> None:
    """Keep `model.search_key` equal to the folded `fields` whenever one of them is set.

    It is emptied once the person is anonymised (`anonymised_at` set): nothing of an
    erased person stays searchable.
    """
    watched = (*fields, "anonymised_at")

    def refresh(target: Any, value: Any, _old: Any, initiator: Any) -> None:
        # A "set" event comes before the value is stored: take the new one from the event.
        values = {name: getattr(target, name) for name in watched}
        values[initiator.key] = value
        target.search_key = (
            "" if values["anonymised_at"] is not None else search_key(*map(values.get, fields))
        )

    for name in watched:
        event.listen(getattr(model, name), "set", refresh)
