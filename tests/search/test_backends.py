"""The engines behind one interface: the same tests run on SQLite FTS5 and PostgreSQL
(``scripts/postgres.sh`` runs this module with DATABASE_URL set)."""

from __future__ import annotations

import pytest
from django.db import connection

from dadkhah.core.confidentiality import Level
from dadkhah.records import claims
from dadkhah.search.backends import Filters, backend
from dadkhah.search.query import parse
from dadkhah.search.services import search
from tests.factories import cite
from tests.search import found_ids, make_item

pytestmark = pytest.mark.django_db

ADMIN = Level.PROTECTED


@pytest.fixture
def corpus(db):
    make_item(
        "doc-en",
        [
            "Ebrahim Ra'isi sat on the commission at Gohardasht in 1988.",
            "The executions continued through the summer. Pour-Mohammadi was there.",
        ],
        name="english-report.txt",
    )
    make_item(
        "doc-fa",
        ["ابراهیم رئیسی و پور\u200cمحمدی در زندان گوهردشت بودند. اعدام‌ها در ۱۳۶۷ ادامه یافت."],
        name="persian-letter.txt",
    )
    make_item("doc-other", ["A letter about the weather and gardens."], name="other.txt")


def test_backend_matches_the_vendor() -> None:
    assert (
        backend().name == {"sqlite": "sqlite-fts5", "postgresql": "postgresql"}[connection.vendor]
    )


@pytest.mark.parametrize(
    "query, expected",
    [
        ("Raisi", {"doc-en:1", "doc-fa:1"}),
        ("Ra'isi", {"doc-en:1", "doc-fa:1"}),
        ("رئیسی", {"doc-en:1", "doc-fa:1"}),
        ("رييسي", {"doc-en:1", "doc-fa:1"}),  # Arabic yeh
        ("Pour-Mohammadi", {"doc-en:2", "doc-fa:1"}),
        ("Pourmohammadi", {"doc-en:2", "doc-fa:1"}),
        ("پورمحمدی", {"doc-en:2", "doc-fa:1"}),
        ("Gohardasht", {"doc-en:1", "doc-fa:1"}),
        ("execution", {"doc-en:2"}),  # prefix of the stem
        ("executed", {"doc-en:2"}),
        ("اعدام", {"doc-fa:1"}),  # اعدام‌ها with a non-joiner
        ("1367", {"doc-fa:1"}),
        ("۱۳۶۷", {"doc-fa:1"}),
        ('"summer executions"', set()),  # not side by side
        ('"the summer"', {"doc-en:2"}),
        ("Raisi -Gohardasht", set()),
        ("weather OR Gohardasht", {"doc-en:1", "doc-fa:1", "doc-other:1"}),
        ("weather gardens", {"doc-other:1"}),
        ("nothinglikethis", set()),
    ],
)
def test_queries_find_across_scripts(corpus, query: str, expected: set[str]) -> None:
    assert found_ids(search(query, ADMIN)) == expected


def test_exact_spelling_ranks_above_the_other_script(corpus) -> None:
    results = search("Raisi", ADMIN)
    ranks = {hit.id: hit.rank for g in results.groups for hit in g.hits}
    assert ranks["doc-en:1"] > ranks["doc-fa:1"]
    results = search("رئیسی", ADMIN)
    ranks = {hit.id: hit.rank for g in results.groups for hit in g.hits}
    assert ranks["doc-fa:1"] > ranks["doc-en:1"]


@pytest.mark.parametrize(
    "query",
    ['"', "*", "NEAR(a b)", "((", ")", "a AND", "OR", "NOT x", "col:foo", "'", "\\", "{a b}:x",
     "raisi*", "-", "^x", "x:*AB", "!x", "a & b | c", "' OR 1=1 --", "\x00"],
)  # fmt: skip
def test_engine_syntax_never_reaches_the_engine(corpus, query: str) -> None:
    from dadkhah.search.query import QueryError

    try:
        search(query, ADMIN)
    except QueryError as exc:
        assert str(exc)  # a clear message, not an engine error


def test_filters(corpus) -> None:
    only_fa = Filters(source="doc-fa")
    assert found_ids(search("Raisi", ADMIN, only_fa)) == {"doc-fa:1"}
    assert found_ids(search("Raisi", ADMIN, Filters(kinds=frozenset({"person"})))) == set()
    assert found_ids(search("Raisi", ADMIN, Filters(level=0))) == set()  # items are internal


def test_date_and_place_filters(db) -> None:
    from datetime import date

    from dadkhah.search.indexing import index_item
    from dadkhah.search.mentioning import scan_item

    for item in (  # as after extraction: dates found on the page, then the page indexed
        make_item("doc-mordad", ["Nayyeri signed the lists on 23 Mordad 1367 at Evin."]),
        make_item("doc-1990", ["Nayyeri was promoted on 14 March 1990."]),
        make_item("doc-undated", ["Nayyeri, without any date."]),
    ):
        scan_item(item)
        index_item(item)
    summer = Filters(date_from=date(1988, 7, 1), date_to=date(1988, 9, 30))
    assert found_ids(search("Nayyeri", ADMIN, summer)) == {"doc-mordad:1"}
    later = Filters(date_from=date(1989, 1, 1))
    assert found_ids(search("Nayyeri", ADMIN, later)) == {"doc-1990:1"}
    everything = found_ids(search("Nayyeri", ADMIN))
    assert everything == {"doc-mordad:1", "doc-1990:1", "doc-undated:1"}


def test_place_filter_finds_pages_that_mention_the_place(db) -> None:
    from dadkhah.search.indexing import index_item, reindex
    from dadkhah.search.mentioning import scan_item
    from tests.factories import make_record, make_source

    source = make_source()
    evin = make_record("place", uid="place-evin")
    claims.add_claim(evin, "name", "Evin", citations=cite(source))
    qezel = make_record("place", uid="place-qezel")
    claims.add_claim(qezel, "name", "Qezel Hesar", citations=cite(source))
    pages = [
        make_item("doc-evin", ["Nayyeri came to Evin in the summer."]),
        make_item("doc-fa-evin", ["نیری به زندان اوین آمد."]),
        make_item("doc-qezel", ["Nayyeri did not come to Qezel Hesar."]),
    ]
    for item in pages:
        scan_item(item)
        index_item(item)
    reindex()
    at_evin = found_ids(
        search("Nayyeri", ADMIN, Filters(place="place-evin", kinds=frozenset({"page"})))
    )
    assert at_evin == {"doc-evin:1", "doc-fa-evin:1"}
    assert found_ids(search("Nayyeri", ADMIN, Filters(place="place-qezel"))) == {"doc-qezel:1"}
    assert found_ids(search("Nayyeri", ADMIN, Filters(place="place-%"))) == set()
    facets = dict((uid, n) for uid, _label, n in search("Nayyeri", ADMIN).facets["place"])
    assert facets == {"place-evin": 2, "place-qezel": 1}


def test_backend_cuts_on_level(corpus) -> None:
    ids = backend().match(parse("Raisi"), int(Level.PUBLIC), Filters(), 100)
    assert ids == []
    assert len(backend().match(parse("Raisi"), int(Level.INTERNAL), Filters(), 100)) == 2


def test_snippet_highlights_the_original(corpus) -> None:
    hit = next(h for g in search("Raisi", ADMIN).groups for h in g.hits if h.id == "doc-fa:1")
    assert "<mark>رئیسی</mark>" in hit.snippet_html  # the original letters, not normalized
    start, end = hit.marks[0]
    assert hit.snippet[start:end] == "رئیسی"
    hit = next(
        h for g in search("pourmohammadi", ADMIN).groups for h in g.hits if h.id == "doc-en:2"
    )
    assert "<mark>Pour-Mohammadi</mark>" in hit.snippet_html


def test_snippet_escapes_html(db) -> None:
    make_item("doc-html", ["<script>alert(1)</script> Lajevardi & <b>Evin</b>"])
    hit = search("Lajevardi", ADMIN).groups[0].hits[0]
    assert "<script>" not in hit.snippet_html and "&lt;script&gt;" in hit.snippet_html
    assert "<mark>Lajevardi</mark> &amp; &lt;b&gt;" in hit.snippet_html


def test_grouped_by_document(db) -> None:
    make_item("doc-many", ["Nayyeri first.", "Nothing.", "Nayyeri again.", "And Nayyeri."])
    results = search("Nayyeri", ADMIN)
    assert results.total_groups == 1 and results.total_hits == 3
    assert {h.page for h in results.groups[0].hits} == {1, 3, 4}


def test_long_page_is_indexed_in_parts(db) -> None:
    filler = "word " * 9000
    make_item("doc-long", [filler + "Eshraghi " + filler + " Nayyeri"])
    results = search("Eshraghi", ADMIN)
    assert results.total_hits == 1
    hit = results.groups[0].hits[0]
    assert hit.page == 1 and "<mark>Eshraghi</mark>" in hit.snippet_html
    assert search("Nayyeri", ADMIN).total_hits == 1


def test_too_many_matches_come_newest_first_with_a_note(corpus, monkeypatch) -> None:
    from dadkhah.search import backends

    monkeypatch.setattr(backends, "RANK_LIMIT", 1)
    results = search("Raisi", ADMIN)
    assert found_ids(results) == {"doc-en:1", "doc-fa:1"}
    assert any("too many matches to rank" in note for note in results.notes)
    assert [g.key for g in results.groups] == ["item:doc-fa", "item:doc-en"]  # newest first
