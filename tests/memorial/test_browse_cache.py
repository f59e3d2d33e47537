"""The cached counts of a search (number of matches, facet counts) follow the index: a new
publication, a withdrawal or a refresh changes them at once, and nothing seen inside a
transaction is cached. Committed data, hence ``transaction=True``."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from dadkhah.memorial import browse
from dadkhah.memorial.browse import BrowseParams
from dadkhah.memorial.publication import PublicationInput, publish, withdraw
from dadkhah.records import claims
from tests.factories import cite, make_place, make_source, make_users, make_victim

pytestmark = pytest.mark.django_db(transaction=True)

STORY = PublicationInput(narrative_en="Synthetic narrative.", narrative_fa="روایت ساختگی.")


def _facet(listing: browse.Browse, facet: str) -> dict[str, int]:
    return {v.value: v.count for v in listing.facets[facet]}


def _queries(params: BrowseParams) -> tuple[browse.Browse, int]:
    with CaptureQueriesContext(connection) as queries:
        listing = browse.browse(params)
        listing.facets  # noqa: B018 (computed already; the entries are not read)
    return listing, len(queries)


def test_counts_are_cached_until_the_index_changes() -> None:
    cache.clear()
    users = make_users()
    source = make_source("src-cache")
    evin = make_place("Evin Prison", "زندان اوین", source, "prison")
    tabriz = make_place("Tabriz", "تبریز", source, "city")
    people: list[Any] = []
    for names, gender in ((("Parvin Alizadeh", "پروین علیزاده"), "female"),
                          (("Kamran Rostami", "کامران رستمی"), "male")):  # fmt: skip
        person = make_victim(names, source, prison=evin, gender=gender, executed="1367/05/10")
        publish(person, STORY, users["reviewer"])
        people.append(person)
    everyone = BrowseParams()
    first, cold = _queries(everyone)
    assert (first.total, _facet(first, "gender")) == (2, {"female": 1, "male": 1})
    second, warm = _queries(everyone)
    assert (second.total, _facet(second, "gender")) == (2, {"female": 1, "male": 1})
    assert warm < cold  # answered from the cache: the index state is the only query

    # A third victim: the counts follow at once.
    third = make_victim(("Nasrin Jafari", "نسرین جعفری"), source, prison=evin, gender="female")
    publish(third, STORY, users["reviewer"])
    assert (browse.browse(everyone).total, _facet(browse.browse(everyone), "gender")) == (
        3,
        {"female": 2, "male": 1},
    )
    # A refresh (a hometown added to the record) changes the city facet.
    claims.add_claim(people[1], "hometown", tabriz.uid, citations=cite(source))
    assert _facet(browse.browse(everyone), "city") == {tabriz.uid: 1}
    # A withdrawal takes the victim out of every count.
    withdraw(people[0], users["reviewer"], "test: the family asked to wait")
    after = browse.browse(BrowseParams(gender="female"))
    assert after.total == 1
    assert [e.uid for e in after.entries] == [third.uid]


def test_nothing_is_cached_inside_a_transaction() -> None:
    cache.clear()
    users = make_users()
    source = make_source("src-cache-tx")
    person = make_victim(("Davood Moradi", "داوود مرادی"), source, gender="male")
    publish(person, STORY, users["reviewer"])
    params = BrowseParams(gender="male")
    with transaction.atomic():
        _, inside = _queries(params)
        _, again = _queries(params)
        assert again == inside  # counted each time
        transaction.set_rollback(True)
    _, cold = _queries(params)
    _, warm = _queries(params)
    assert warm < cold


class _Racing(dict):  # type: ignore[type-arg]
    """The table store as another thread leaves it: right after a table is stored, that
    thread replaces it with the table of its own (other) index state."""

    def __setitem__(self, key: Any, value: Any) -> None:
        super().clear()
        super().__setitem__((0, 0, 0), value)


def test_a_facet_table_replaced_meanwhile_by_another_thread_is_no_error(monkeypatch) -> None:
    """Each worker keeps the table of the latest index state only; a thread whose table is
    replaced by another thread's right after it stored it still counts with its own."""
    cache.clear()
    users = make_users()
    source = make_source("src-race")
    evin = make_place("Evin Prison", "زندان اوین", source, "prison")
    person = make_victim(("Parvin Alizadeh", "پروین علیزاده"), source, prison=evin)
    publish(person, STORY, users["reviewer"])
    monkeypatch.setattr(browse, "_TABLES", _Racing())
    assert browse.browse(BrowseParams()).total == 1
