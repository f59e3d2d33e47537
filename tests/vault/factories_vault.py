"""Builders for the custody tests (ledger, verify, bundles). Everything they make is synthetic.

``make_item`` preserves bytes the way an ingest does: the blob through the blob store, then
one transaction with the Item, the ledger entry and the Receipt whose record is hashed into
that entry. It is independent of the ingest service so that the ledger and its checks are
tested on their own.
"""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dadkhah.core.confidentiality import Level
from dadkhah.vault import keys, ledger
from dadkhah.vault.canonical import canonical_json
from dadkhah.vault.crypto import Encryptor
from dadkhah.vault.models import Item, Receipt
from dadkhah.vault.store import open_store


def use_home(settings: Any, home: Path) -> Path:
    """Point DADKHAH_HOME (keys, blobs, the checkpoint copy) at a per-test directory."""
    settings.CONFIG = dataclasses.replace(settings.CONFIG, home=home)
    return home


def put_blob(data: bytes, encrypt: bool = False) -> tuple[str, int]:
    """Store bytes through the configured blob store (encrypted with the data key if asked)."""
    config = settings.CONFIG
    store = open_store(config.blobs, config.home, config.s3_endpoint)
    work = store.work_root / "factories"
    work.mkdir(parents=True, exist_ok=True)
    staged = store.stage(io.BytesIO(data), work, Encryptor(keys.data_key()) if encrypt else None)
    store.publish(staged)
    return staged.hex, staged.size


def make_item(
    data: bytes,
    name: str = "letter.txt",
    *,
    collector: str = "test-investigator",
    level: Level = Level.INTERNAL,
    mime: str = "text/plain",
    note: str = "",
    uid: str | None = None,
    restricted: bool = False,
) -> Item:
    hex_, size = put_blob(data, encrypt=restricted)
    if restricted:
        level = max(level, Level.RESTRICTED)
    sha = f"sha256:{hex_}"
    now = timezone.now()
    record = {
        "sha256": sha,
        "size": size,
        "mime": mime,
        "original_name": name,
        "original_path": f"/synthetic/{name}",
        "source": "synthetic test source",
        "collector": collector,
        "capture_tool": "dadkhah-tests",
        "capture_tool_version": "0",
        "received_at": ledger.rfc3339(now),
        "kind": "original",
        "parent": None,
        "consent": "synthetic data",
        "restrictions": "restricted: encrypted at rest" if restricted else "",
        "note": note,
    }
    with transaction.atomic():
        item = Item.objects.create(
            uid=uid or f"it-{hex_[:12]}",
            sha256=sha,
            size=size,
            mime=mime,
            name=name,
            confidentiality=int(level),
            encrypted=restricted,
        )
        entry = ledger.append("ingest", collector, "preserve", sha, {"record": record})
        Receipt.objects.create(
            item=item,
            original_name=name,
            original_path=record["original_path"],
            source=record["source"],
            collector=collector,
            capture_tool="dadkhah-tests",
            capture_tool_version="0",
            received_at=now,
            consent=record["consent"],
            restrictions=record["restrictions"],
            note=note,
            record=canonical_json(record).decode(),
            ledger_entry=entry,
        )
    return item
