"""Time ``dadkhah verify`` over a vault of N items (default 100,000).

Builds a throwaway ``DADKHAH_HOME`` directly, without the ingest service: N small synthetic
blobs (64 B to 4 KiB of random bytes) written into the file store, and for each an Item, an
ingest ledger entry whose body holds the preservation record, and a Receipt, in bulk
transactions; one view entry per ten items; a signed checkpoint every 10,000 entries. Then
runs ``dadkhah verify --json`` in a subprocess, which re-hashes every blob, rebuilds the
Merkle tree from every body, checks every receipt and checkpoint, and verifies an inclusion
proof for every entry, and prints its summary and wall time.

    .venv/bin/python bench/vault_verify.py [--items 100000] [--seed N] [--keep]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

BATCH = 5000


def build(items: int, seed: int) -> tuple[int, int]:
    """Fill the vault; return (ledger entries, blob bytes)."""
    from django.conf import settings
    from django.db import transaction

    from dadkhah.vault import ledger, merkle
    from dadkhah.vault.canonical import canonical_json
    from dadkhah.vault.models import Item, LedgerEntry, Receipt
    from dadkhah.vault.store import FileStore

    store = FileStore(settings.CONFIG.home / "blobs")
    rng = random.Random(seed)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    seq = 0
    total = 0
    next_checkpoint = 10_000
    for first in range(0, items, BATCH):
        entries: list[LedgerEntry] = []
        rows: list[Item] = []
        records: list[tuple[int, dict[str, object], datetime]] = []
        for i in range(first, min(items, first + BATCH)):
            data = rng.randbytes(rng.randint(64, 4096)) + i.to_bytes(8, "big")
            hex_ = hashlib.sha256(data).hexdigest()
            path = store.path(hex_)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            total += len(data)
            sha = f"sha256:{hex_}"
            when = start + timedelta(seconds=i)
            record = {
                "sha256": sha,
                "size": len(data),
                "mime": "application/octet-stream",
                "original_name": f"synthetic-{i:06d}.bin",
                "original_path": f"/bench/synthetic-{i:06d}.bin",
                "source": "bench/vault_verify.py (synthetic)",
                "collector": "bench",
                "capture_tool": "bench/vault_verify.py",
                "capture_tool_version": "1",
                "received_at": ledger.rfc3339(when),
                "kind": "original",
                "parent": None,
                "consent": "synthetic data",
                "restrictions": "",
                "note": "",
            }
            rows.append(
                Item(
                    uid=f"it-{hex_[:12]}",
                    sha256=sha,
                    size=len(data),
                    mime="application/octet-stream",
                    name=record["original_name"],
                )
            )
            for event, actor, details in (
                ("ingest", "bench", {"record": record}),
                *([("view", "reviewer", {})] if i % 10 == 0 else []),
            ):
                body = ledger.entry_body(seq, when, event, actor, "bench", sha, details)
                entries.append(
                    LedgerEntry(
                        seq=seq,
                        event=event,
                        actor=actor,
                        purpose="bench",
                        item_sha256=sha,
                        created_at=when,
                        body=body.decode(),
                        leaf_hash=merkle.leaf_hash(body).hex(),
                    )
                )
                if event == "ingest":
                    records.append((len(entries) - 1, record, when))
                seq += 1
        with transaction.atomic():
            Item.objects.bulk_create(rows)
            LedgerEntry.objects.bulk_create(entries)
            by_seq = dict(
                LedgerEntry.objects.filter(seq__gte=entries[0].seq).values_list("seq", "id")
            )
            Receipt.objects.bulk_create(
                Receipt(
                    item=item,
                    original_name=str(record["original_name"]),
                    original_path=str(record["original_path"]),
                    source=str(record["source"]),
                    collector="bench",
                    capture_tool="bench/vault_verify.py",
                    capture_tool_version="1",
                    received_at=when,
                    consent="synthetic data",
                    record=canonical_json(record).decode(),
                    ledger_entry_id=by_seq[entries[index].seq],
                )
                for item, (index, record, when) in zip(rows, records, strict=True)
            )
        if seq >= next_checkpoint:
            ledger.checkpoint()
            next_checkpoint += 10_000
        print(f"  built {min(items, first + BATCH):,} items, {seq:,} entries", file=sys.stderr)
    ledger.checkpoint()
    return seq, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--keep", action="store_true", help="Keep the throwaway home.")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(2**31)
    home = Path(tempfile.mkdtemp(prefix="dadkhah-bench-verify-"))
    os.environ["DADKHAH_HOME"] = str(home)
    print(f"seed {seed}; home {home}", file=sys.stderr)
    try:
        from dadkhah.cli import setup

        setup()
        started = time.perf_counter()
        entries, total = build(args.items, seed)
        built = time.perf_counter() - started
        print(f"built in {built:.1f} s: {entries:,} entries, {total:,} blob bytes")
        cli = Path(sys.executable).with_name("dadkhah")
        started = time.perf_counter()
        result = subprocess.run(
            [str(cli), "verify", "--json", "--actor", "bench"],
            capture_output=True,
            text=True,
            env={**os.environ, "DADKHAH_HOME": str(home)},
        )
        wall = time.perf_counter() - started
        lines = result.stdout.strip().splitlines()
        summary = json.loads(lines[-1]) if lines else {}
        print(f"dadkhah verify --json: exit {result.returncode}, {wall:.1f} s wall")
        print(json.dumps(summary))
        if result.returncode != 0:
            print(result.stdout[-2000:], result.stderr[-2000:], file=sys.stderr)
            sys.exit(1)
    finally:
        if not args.keep:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
