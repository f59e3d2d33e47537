"""The query language of search, parsed safely into terms the backends compile.

- words: all must match (a word also matches its stem as a prefix, and, when it is
  name-like, its cross-script key: "Raisi" finds "رئیسی");
- "a phrase": the words next to each other;
- -word or -"a phrase": leave out what matches;
- ``a OR b``: either (``OR`` in capitals, between two terms).

Every other character is text: quotes that do not pair, ``*``, parentheses, ``NEAR``,
``AND``, ``NOT``, column filters. Nothing the user types reaches an engine raw, because the
backends build their own query from ``Term`` values made only of normalized words.
Pure Python (no Django).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dadkhah.search.text import key_of, normalize_words, stem

__all__ = ["MAX_CHARS", "MAX_TERMS", "Query", "QueryError", "Term", "parse"]

MAX_CHARS = 500
MAX_TERMS = 32


class QueryError(ValueError):
    """A query that cannot be searched for; the message says why, for the user."""


@dataclass(frozen=True)
class Term:
    """One word or phrase: normalized ``words``; ``prefix`` for a single word that may be
    widened; ``keys`` (one per word, or the joined word's) when every word has one."""

    text: str
    words: tuple[str, ...]
    prefix: str | None = None
    keys: tuple[str, ...] = ()

    @property
    def phrase(self) -> bool:
        return len(self.words) > 1


@dataclass
class Query:
    """``clauses`` must all match (each is a list of alternatives); ``excluded`` must not."""

    text: str
    clauses: list[list[Term]] = field(default_factory=list)
    excluded: list[Term] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def terms(self) -> list[Term]:
        return [term for clause in self.clauses for term in clause]


_PIECE = re.compile(r'(-?)"([^"]*)"|(\S+)')


def _term(text: str, quoted: bool) -> Term | None:
    words = tuple(normalize_words(text))
    if not words:
        return None
    if len(words) == 1:
        key = key_of(words)
        return Term(text, words, stem(words[0]), (key,) if key else ())
    if not quoted:  # one written word with parts: Pour-Mohammadi
        key = key_of(words)
        return Term(text, words, None, (key,) if key else ())
    keys = tuple(key_of((w,)) for w in words)
    return Term(text, words, None, keys if all(keys) else ())


def parse(text: str) -> Query:
    """Parse what a user typed. Raises ``QueryError`` when there is nothing to look for."""
    if not isinstance(text, str):
        raise QueryError("the query must be text")
    query = Query(text)
    stripped = text.strip()
    if not stripped:
        raise QueryError('type a word, a name or a "phrase" to search for')
    if len(stripped) > MAX_CHARS:
        stripped = stripped[:MAX_CHARS]
        query.notes.append(f"the query was cut to its first {MAX_CHARS} characters")
    if stripped.count('"') % 2:  # an unpaired quote is just a character
        last = stripped.rfind('"')
        stripped = stripped[:last] + " " + stripped[last + 1 :]
    pending_or = False
    count = 0
    for match in _PIECE.finditer(stripped):
        if match.group(3) is not None:
            raw = match.group(3)
            if raw == "OR":
                pending_or = bool(query.clauses)
                continue
            negated = raw.startswith("-") and len(raw) > 1
            term = _term(raw[1:] if negated else raw, quoted=False)
        else:
            negated = match.group(1) == "-"
            term = _term(match.group(2), quoted=True)
        if term is None:
            pending_or = False
            continue
        if count >= MAX_TERMS:
            query.notes.append(f"only the first {MAX_TERMS} words and phrases were used")
            break
        count += 1
        if negated:
            query.excluded.append(term)
        elif pending_or and query.clauses:
            query.clauses[-1].append(term)
        else:
            query.clauses.append([term])
        pending_or = False
    if not query.clauses:
        if query.excluded:
            raise QueryError("say what to look for, not only what to leave out (-word)")
        raise QueryError(f"nothing to search for in {text[:80]!r}: type a word or a name")
    return query
