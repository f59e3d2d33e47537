"""Builders shared by the search tests. Every text here is synthetic."""

from __future__ import annotations

import hashlib
from typing import Any

from dadkhah.core.confidentiality import Level


def make_item(uid: str, pages: list[str], level: Level = Level.INTERNAL, **kw: Any) -> Any:
    """A vault item with extracted pages, indexed (no blob: search reads only the pages)."""
    from dadkhah.search.indexing import index_item
    from dadkhah.vault.models import Item, Page

    digest = hashlib.sha256(uid.encode()).hexdigest()
    item = Item.objects.create(
        uid=uid,
        sha256=f"sha256:{digest}",
        size=sum(len(p) for p in pages),
        mime="text/plain",
        name=kw.pop("name", f"{uid}.txt"),
        confidentiality=int(level),
        extraction_status="done",
        **kw,
    )
    for number, text in enumerate(pages, 1):
        Page.objects.create(item=item, number=number, text=text, method="plain")
    index_item(item)
    return item


def index_all() -> None:
    from dadkhah.search.indexing import reindex

    reindex()


def found_ids(results: Any) -> set[str]:
    return {hit.id for group in results.groups for hit in group.hits}
