"""The query language: words, phrases, exclusions, OR; engine syntax is only text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dadkhah.search.backends import PostgresBackend, SqliteBackend
from dadkhah.search.query import MAX_CHARS, MAX_TERMS, QueryError, parse


def test_words_phrases_exclusions_or() -> None:
    q = parse('Raisi "death commission" -Khomeini Evin OR Gohardasht')
    assert [[t.words for t in clause] for clause in q.clauses] == [
        [("raisi",)],
        [("death", "commission")],
        [("evin",), ("gohardasht",)],
    ]
    assert [t.words for t in q.excluded] == [("khomeini",)]


def test_name_words_carry_their_cross_script_key() -> None:
    assert parse("Raisi").clauses[0][0].keys == parse("رئیسی").clauses[0][0].keys == ("rs",)
    assert parse("Pour-Mohammadi").clauses[0][0].keys == parse("پورمحمدی").clauses[0][0].keys


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty(text: str) -> None:
    with pytest.raises(QueryError, match="type a word"):
        parse(text)


@pytest.mark.parametrize("text", ["***", "()", '""', "- - -", "!!!"])
def test_nothing_to_look_for(text: str) -> None:
    with pytest.raises(QueryError):
        parse(text)


def test_only_exclusions() -> None:
    with pytest.raises(QueryError, match="not only what to leave out"):
        parse("-Raisi")


def test_long_queries_are_cut_with_a_note() -> None:
    q = parse("Raisi " * 2000)
    assert q.notes and len(q.terms()) <= MAX_TERMS
    q = parse("x" * 10_000)
    assert any(str(MAX_CHARS) in note for note in q.notes)


def test_unbalanced_quote_is_a_character() -> None:
    q = parse('"death commission')
    assert [t.words for t in q.terms()] == [("death",), ("commission",)]


@given(st.text(max_size=300))
def test_compiled_queries_hold_only_our_syntax(text: str) -> None:
    try:
        q = parse(text)
    except QueryError:
        return
    fts = SqliteBackend().compile(q)
    pg = PostgresBackend().compile(q)
    for term in q.terms() + q.excluded:
        for word in term.words:
            assert '"' not in word and "'" not in word and " " not in word
    assert fts.count('"') % 2 == 0 and pg.count("(") == pg.count(")")
