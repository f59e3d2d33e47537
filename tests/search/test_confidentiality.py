"""Nothing above a viewer's clearance leaks through search: not in results, snippets,
counts, facets or group titles, for every role. One secret word sits in material at each
level; every role searches for every secret word."""

from __future__ import annotations

import pytest

from dadkhah.core.confidentiality import CLEARANCE, Level, Role
from dadkhah.records import claims
from dadkhah.search.indexing import reindex
from dadkhah.search.services import Filters, search
from tests.factories import cite, make_record, make_source
from tests.search import make_item

pytestmark = pytest.mark.django_db

# A made-up place name per level, used in documents, records and claims of that level.
SECRET = {
    Level.PUBLIC: "Zarrinabad",
    Level.INTERNAL: "Golestanak",
    Level.RESTRICTED: "Sorkhdareh",
    Level.PROTECTED: "Mahtabkuh",
}
COMMON = "Vahidieh"  # in everything: counts and facets must not reveal the hidden rows


@pytest.fixture
def material(db):
    public_source = make_source("src-public", Level.PUBLIC)
    for level, word in SECRET.items():
        name = level.label
        make_item(f"doc-{name}", [f"Report on {word} and {COMMON}."], level, name=f"{word}.txt")
        source = make_source(f"src-lvl-{name}", level, title=f"Source about {word}")
        place = make_record("place", level, uid=f"place-{name}")
        claims.add_claim(
            place, "name", f"{word} {COMMON}", citations=cite(source), confidentiality=level
        )
        # a hidden claim on a public record: its text must not make the record findable
        public_place = make_record("place", Level.PUBLIC, uid=f"place-pub-{name}")
        claims.add_claim(
            public_place,
            "name",
            f"Plain {name}",
            citations=cite(public_source),
            confidentiality=Level.PUBLIC,
        )
        claims.add_claim(
            public_place,
            "name",
            {"text": f"{word} alias", "kind": "alias"},
            citations=cite(source),
            confidentiality=level,
        )
        # a public claim whose only citation is a hidden source: shown_claims hides it
        claims.add_claim(
            public_place,
            "name",
            {"text": f"{word} cited", "kind": "alias"},
            citations=cite(source),
            confidentiality=Level.PUBLIC,
        )
        event = make_record("event", Level.PUBLIC, uid=f"event-{name}")
        claims.add_claim(
            event,
            "place",
            f"place-{name}",
            citations=cite(public_source),
            confidentiality=Level.PUBLIC,
        )
        claims.add_claim(
            event,
            "title",
            f"Gathering at {COMMON}",
            citations=cite(public_source),
            confidentiality=Level.PUBLIC,
        )
    # an encrypted item is never indexed, whatever the clearance
    make_item(
        "doc-encrypted", [f"Sealed {SECRET[Level.PUBLIC]} text"], Level.RESTRICTED, encrypted=True
    )
    reindex()


def _everything(results) -> str:
    """Every string a viewer gets from a search, joined."""
    parts = [str(results.total_hits), str(results.total_groups)]
    for group in results.groups:
        parts += [group.title, group.key, group.url]
        for hit in group.hits:
            parts += [hit.id, hit.title, hit.snippet, hit.snippet_html, hit.url]
    for values in results.facets.values():
        for key, label, count in values:
            parts += [key, label, str(count)]
    return "\n".join(parts)


@pytest.mark.parametrize("role", list(Role))
def test_no_leak_for_any_role(material, role: Role) -> None:
    clearance = CLEARANCE[role]
    for level, word in SECRET.items():
        results = search(word, clearance)
        if level > clearance:
            assert results.total_hits == 0 and results.groups == [], (role, word)
        else:
            assert results.total_hits > 0, (role, word)
    for query in [COMMON, "report", "place", "Plain", "alias", "Gathering"]:
        for kinds in (None, frozenset({"page"}), frozenset({"claim", "place", "event"})):
            results = search(query, clearance, Filters(kinds=kinds), limit=200)
            text = _everything(results)
            for level, word in SECRET.items():
                if level > clearance:
                    assert word not in text, (role, query, word)
                    assert f"doc-{level.label}" not in text
                    assert f"place-{level.label}" not in text.replace("place-pub", "")
    assert "Sealed" not in _everything(search("Sealed", Level.PROTECTED))


@pytest.mark.parametrize("role", list(Role))
def test_counts_and_facets_are_over_visible_rows(material, role: Role) -> None:
    clearance = CLEARANCE[role]
    results = search(COMMON, clearance, limit=200)
    visible_levels = [level for level in SECRET if level <= clearance]
    documents = len(visible_levels) if clearance >= Level.INTERNAL else 0
    kinds = dict((k, n) for k, _, n in results.facets["kind"])
    assert kinds.get("page", 0) == documents
    places = {uid for uid, _, _ in results.facets["place"]}
    assert places == {f"place-{level.label}" for level in visible_levels}
    assert results.total_hits == sum(n for _, _, n in results.facets["kind"])
    assert results.total_groups == len({g.key for g in results.groups})


def test_public_sees_no_documents_even_public_ones(material) -> None:
    results = search(SECRET[Level.PUBLIC], Level.PUBLIC)
    assert all(group.kind != "item" for group in results.groups)
    staff = search(SECRET[Level.PUBLIC], Level.INTERNAL)
    assert any(group.kind == "item" for group in staff.groups)


def test_users_get_their_role_clearance(material, users) -> None:
    from django.contrib.auth.models import AnonymousUser

    assert search(SECRET[Level.PROTECTED], users["administrator"]).total_hits > 0
    assert search(SECRET[Level.PROTECTED], users["investigator"]).total_hits == 0
    assert search(SECRET[Level.RESTRICTED], users["investigator"]).total_hits > 0
    assert search(SECRET[Level.RESTRICTED], users["reviewer"]).total_hits == 0
    assert search(SECRET[Level.INTERNAL], AnonymousUser()).total_hits == 0
