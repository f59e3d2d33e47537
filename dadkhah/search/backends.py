"""The engines behind search: SQLite FTS5 and PostgreSQL full text, behind one interface.

``backend()`` picks the one for the default database. ``Backend.match`` takes a parsed
``Query``, the highest confidentiality level to consider and the filters, and returns
``(entry id, rank)`` pairs, best first (a higher rank is better), at most ``cap`` of them;
past ``RANK_LIMIT`` matches, newest first and unranked (``Backend.ranked`` says which).
Each backend compiles the query itself from normalized words; what the user typed never
reaches the engine. The index structures are made by migration 0001 (``SQLITE_SCHEMA``,
``POSTGRES_SCHEMA``) and kept in step with ``search_entry`` by the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection

from dadkhah.search.query import Query, Term

__all__ = [
    "Backend",
    "Filters",
    "PostgresBackend",
    "SqliteBackend",
    "backend",
    "POSTGRES_SCHEMA",
    "SQLITE_SCHEMA",
]

_COLUMNS = "title_normalized, normalized, keys"
SQLITE_SCHEMA = [
    "CREATE VIRTUAL TABLE search_fts USING fts5(title_normalized, normalized, keys, "
    "content='search_entry', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2', prefix='2 3')",
    "CREATE TRIGGER search_entry_ai AFTER INSERT ON search_entry BEGIN "
    f"INSERT INTO search_fts(rowid, {_COLUMNS}) "
    "VALUES (new.id, new.title_normalized, new.normalized, new.keys); END",
    "CREATE TRIGGER search_entry_ad AFTER DELETE ON search_entry BEGIN "
    f"INSERT INTO search_fts(search_fts, rowid, {_COLUMNS}) "
    "VALUES ('delete', old.id, old.title_normalized, old.normalized, old.keys); END",
    "CREATE TRIGGER search_entry_au AFTER UPDATE ON search_entry BEGIN "
    f"INSERT INTO search_fts(search_fts, rowid, {_COLUMNS}) "
    "VALUES ('delete', old.id, old.title_normalized, old.normalized, old.keys); "
    f"INSERT INTO search_fts(rowid, {_COLUMNS}) "
    "VALUES (new.id, new.title_normalized, new.normalized, new.keys); END",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS search_entry_ai",
    "DROP TRIGGER IF EXISTS search_entry_ad",
    "DROP TRIGGER IF EXISTS search_entry_au",
    "DROP TABLE IF EXISTS search_fts",
]
POSTGRES_SCHEMA = [
    "ALTER TABLE search_entry ADD COLUMN tsv tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('simple', title_normalized), 'A') || "
    "setweight(to_tsvector('simple', normalized), 'B') || "
    "setweight(to_tsvector('simple', keys), 'D')) STORED",
    "CREATE INDEX search_entry_tsv ON search_entry USING GIN (tsv)",
]
POSTGRES_DROP = [
    "DROP INDEX IF EXISTS search_entry_tsv",
    "ALTER TABLE search_entry DROP COLUMN IF EXISTS tsv",
]


@dataclass(frozen=True)
class Filters:
    """What to search in. ``kinds`` None means every kind; dates are an inclusive overlap."""

    kinds: frozenset[str] | None = None
    source: str = ""
    date_from: date | None = None
    date_to: date | None = None
    place: str = ""
    level: int | None = None  # at most this confidentiality level (within the clearance)


def _listed(uid: str) -> str:
    """A LIKE pattern for ``uid`` in a ``' uid uid '`` column (its wildcards escaped)."""
    escaped = uid.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"% {escaped} %"


def _where(max_level: int, filters: Filters) -> tuple[str, list[Any]]:
    sql = ["e.confidentiality <= %s"]
    params: list[Any] = [max_level]
    if filters.level is not None:
        sql.append("e.confidentiality <= %s")
        params.append(filters.level)
    if filters.kinds is not None:
        kinds = sorted(filters.kinds) or [""]
        sql.append(f"e.kind IN ({', '.join(['%s'] * len(kinds))})")
        params.extend(kinds)
    if filters.source:
        sql.append("e.sources LIKE %s ESCAPE '\\'")
        params.append(_listed(filters.source))
    if filters.date_from is not None:
        sql.append("e.date_hi >= %s")
        params.append(filters.date_from)
    if filters.date_to is not None:
        sql.append("e.date_lo <= %s")
        params.append(filters.date_to)
    if filters.place:
        sql.append("e.place_uid LIKE %s ESCAPE '\\'")
        params.append(_listed(filters.place))
    return " AND ".join(sql), params


#: Above this many matches (before filters), ranking every one would be slow and says
#: little: the newest entries come first instead, and ``ranked`` is False.
RANK_LIMIT = 10_000


class Backend:
    name = ""
    ranked = True  # whether the last ``match`` ranked its matches

    def compile(self, query: Query) -> str:
        raise NotImplementedError

    def match(
        self, query: Query, max_level: int, filters: Filters, cap: int
    ) -> list[tuple[int, float]]:
        raise NotImplementedError


class SqliteBackend(Backend):
    """FTS5: ``bm25`` with column weights title 10, text 5, keys 1 (keys rank below words)."""

    name = "sqlite-fts5"
    _TEXT = "{title_normalized normalized}"

    @staticmethod
    def _quote(word: str) -> str:
        return '"' + word.replace('"', '""') + '"'

    def _term(self, term: Term, widen: bool = True) -> str:
        """The words (and, with ``widen``, the stem as a prefix), or the keys."""
        alternatives = [self._quote(" ".join(term.words))]
        if widen and term.prefix:
            alternatives.append(self._quote(term.prefix) + "*")
        text = f"{self._TEXT} : ({' OR '.join(alternatives)})"
        if term.keys:
            return f"({text} OR keys : {self._quote(' '.join(term.keys))})"
        return f"({text})"

    def compile(self, query: Query) -> str:
        clauses = [
            "(" + " OR ".join(self._term(t) for t in clause) + ")" for clause in query.clauses
        ]
        expression = " AND ".join(clauses)
        for term in query.excluded:
            expression += " NOT " + self._term(term, widen=False)
        return expression

    def match(
        self, query: Query, max_level: int, filters: Filters, cap: int
    ) -> list[tuple[int, float]]:
        where, params = _where(max_level, filters)
        expression = self.compile(query)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM (SELECT rowid FROM search_fts WHERE search_fts MATCH %s "
                "LIMIT %s)",
                [expression, RANK_LIMIT + 1],
            )
            self.ranked = cursor.fetchone()[0] <= RANK_LIMIT
            rank = "bm25(search_fts, 10.0, 5.0, 1.0)" if self.ranked else "0.0"
            order = "r" if self.ranked else "search_fts.rowid DESC"
            cursor.execute(
                f"SELECT e.id, {rank} AS r FROM search_fts "
                "JOIN search_entry e ON e.id = search_fts.rowid "
                f"WHERE search_fts MATCH %s AND {where} ORDER BY {order} LIMIT %s",
                [expression, *params, cap],
            )
            return [(row[0], -float(row[1])) for row in cursor.fetchall()]


class PostgresBackend(Backend):
    """``tsvector`` ('simple', weights A title, B text, D keys), ``ts_rank_cd``."""

    name = "postgresql"

    @staticmethod
    def _lexeme(word: str, suffix: str) -> str:
        return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'" + suffix

    def _term(self, term: Term, widen: bool = True) -> str:
        text = " <-> ".join(self._lexeme(w, ":AB") for w in term.words)
        alternatives = [f"({text})"]
        if widen and term.prefix:
            alternatives.append(self._lexeme(term.prefix, ":*AB"))
        if term.keys:
            alternatives.append("(" + " <-> ".join(self._lexeme(k, ":D") for k in term.keys) + ")")
        return "(" + " | ".join(alternatives) + ")"

    def compile(self, query: Query) -> str:
        parts = ["(" + " | ".join(self._term(t) for t in clause) + ")" for clause in query.clauses]
        parts += ["!" + self._term(t, widen=False) for t in query.excluded]
        return " & ".join(parts)

    def match(
        self, query: Query, max_level: int, filters: Filters, cap: int
    ) -> list[tuple[int, float]]:
        where, params = _where(max_level, filters)
        expression = self.compile(query)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM (SELECT 1 FROM search_entry "
                "WHERE tsv @@ CAST(%s AS tsquery) LIMIT %s) t",
                [expression, RANK_LIMIT + 1],
            )
            self.ranked = cursor.fetchone()[0] <= RANK_LIMIT
            rank = "ts_rank_cd(e.tsv, q)" if self.ranked else "0.0"
            order = "r DESC, e.id" if self.ranked else "e.id DESC"
            cursor.execute(
                f"SELECT e.id, {rank} AS r FROM search_entry e, CAST(%s AS tsquery) q "
                f"WHERE e.tsv @@ q AND {where} ORDER BY {order} LIMIT %s",
                [expression, *params, cap],
            )
            return [(row[0], float(row[1])) for row in cursor.fetchall()]


def backend() -> Backend:
    """The backend of the default database."""
    if connection.vendor == "postgresql":
        return PostgresBackend()
    if connection.vendor == "sqlite":
        return SqliteBackend()
    raise RuntimeError(f"search has no backend for {connection.vendor}")
