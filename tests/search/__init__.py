"""Builders shared by the search tests. Every text here is synthetic."""

from __future__ import annotations

import hashlib
from typing import Any

from dadkhah.core.confidentiality import Level


def make_item(uid: str, pages: list[str], level: Level = Level.INTERNAL, **kw: Any) -> Any:
    """A vault item with extracted pages, indexed (no blob: search reads only the pages)."""
    from dadkhah.search.indexing import index_item

    kw.setdefault("extraction_status", "done")
    item = _with_pages(uid, pages, level, name=kw.pop("name", f"{uid}.txt"), **kw)
    index_item(item)
    return item


def make_document(name: str, pages: list[str], level: Level = Level.INTERNAL, **kw: Any) -> Any:
    """A vault item with extracted pages, not indexed; its id comes from its text and name."""
    uid = "it-" + hashlib.sha256(("|".join(pages) + name).encode()).hexdigest()[:12]
    return _with_pages(uid, pages, level, name=name, **kw)


def _with_pages(uid: str, pages: list[str], level: Level, **kw: Any) -> Any:
    from dadkhah.vault.models import Item, Page

    item = Item.objects.create(
        uid=uid,
        sha256="sha256:" + hashlib.sha256(uid.encode()).hexdigest(),
        size=sum(len(p) for p in pages),
        mime="text/plain",
        confidentiality=int(level),
        **kw,
    )
    for number, text in enumerate(pages, 1):
        Page.objects.create(item=item, number=number, text=text, method="plain")
    return item


def index_all() -> None:
    from dadkhah.search.indexing import reindex

    reindex()


def found_ids(results: Any) -> set[str]:
    return {hit.id for group in results.groups for hit in group.hits}
