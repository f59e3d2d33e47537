"""Keeping the index current: extraction indexes an item's pages (through huey), records
and claims re-index on commit, ``reindex`` rebuilds everything; encrypted items never enter."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dadkhah.core.confidentiality import Level
from dadkhah.records import claims
from dadkhah.search.indexing import reindex, split_parts
from dadkhah.search.models import SearchEntry
from dadkhah.search.services import search
from tests.factories import cite, make_person, make_source
from tests.search import found_ids

pytestmark = pytest.mark.django_db


@pytest.fixture
def immediate() -> Any:
    from huey.contrib.djhuey import HUEY

    before = HUEY.immediate
    HUEY.immediate = True
    try:
        yield HUEY
    finally:
        HUEY.immediate = before


def _ingest(tmp_path: Path, name: str, text: str, **kw: Any) -> Any:
    from dadkhah.vault import services, tasks

    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    (item,) = services.ingest_path(path, collector="test-investigator", **kw)
    assert tasks.run_extraction(item.pk) == "done"
    return item


def test_extraction_indexes_the_pages(home, tmp_path, immediate) -> None:
    item = _ingest(tmp_path, "letter.txt", "A synthetic letter that names Lajevardi at Evin.")
    assert SearchEntry.objects.filter(item=item, kind="page").count() == 1
    assert found_ids(search("Lajevardi", Level.INTERNAL)) == {f"{item.uid}:1"}


def test_encrypted_items_are_never_indexed(home, tmp_path, immediate) -> None:
    item = _ingest(
        tmp_path, "sealed.txt", "A sealed synthetic note about Lajevardi.", restricted=True
    )
    assert item.encrypted
    assert not SearchEntry.objects.filter(item=item).exists()
    assert search("Lajevardi", Level.PROTECTED).total_hits == 0
    reindex()
    assert not SearchEntry.objects.filter(item=item).exists()


def test_records_reindex_on_commit(django_capture_on_commit_callbacks) -> None:
    source = make_source("src-idx", Level.PUBLIC)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        person = make_person("Morteza Eshraghi", source, Level.PUBLIC, uid="person-idx")
    assert len(callbacks) == 1  # once per record, however many rows were written
    assert "person-idx" in found_ids(search("Eshraghi", Level.PUBLIC))
    assert "person-idx" in found_ids(search("اشراقی", Level.PUBLIC))
    with django_capture_on_commit_callbacks(execute=True):
        claims.add_claim(
            person,
            "name",
            {"text": "مرتضی اشراقی", "kind": "alias"},
            citations=cite(source),
            confidentiality=Level.PUBLIC,
        )
    claim = person.claims().get(value__text="مرتضی اشراقی")
    assert claim.uid in found_ids(search("مرتضی", Level.PUBLIC))
    with django_capture_on_commit_callbacks(execute=True):
        claims.set_status(claim, "rejected", reason="a test")
    assert claim.uid not in found_ids(search("مرتضی", Level.PUBLIC))  # rejected: gone
    with django_capture_on_commit_callbacks(execute=True):
        person.confidentiality = int(Level.RESTRICTED)
        person.save()
    assert search("Eshraghi", Level.PUBLIC).total_hits == 0


def test_reindex_rebuilds_everything(db) -> None:
    from tests.search import make_item

    make_item("doc-r", ["Page one about Nayyeri.", "Page two."])
    source = make_source("src-r", Level.PUBLIC)
    make_person("Hossein-Ali Nayyeri", source, Level.PUBLIC, uid="person-r")
    done = reindex()
    assert (done.pages, done.records) == (2, 1)
    assert found_ids(search("Nayyeri", Level.INTERNAL)) >= {"doc-r:1", "person-r"}


def test_split_parts_keeps_offsets() -> None:
    text = ("word " * 50 + "\n") * 40
    parts = list(split_parts(text, size=300))
    assert "".join(p for _, p in parts) == text
    for offset, part in parts:
        assert text[offset : offset + len(part)] == part and len(part) <= 300
