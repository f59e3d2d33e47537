"""``dadkhah verify``: re-check everything the vault has promised, and name what broke.

What is checked, in order:

1. every original: its blob is there, and streamed through SHA-256 (decrypted first for
   restricted items) it gives the item's hash and size;
2. every ledger entry: ``seq`` is gapless; the stored body hashes to the stored leaf hash;
   the body's own ``seq`` is the row's (an entry moved or swapped no longer fits); the
   columns copied out of the body agree with it;
3. every receipt: its preservation record is byte for byte the canonical form of the record
   inside its ledger entry, and names the same item;
4. every checkpoint: its Ed25519 signature verifies with the vault's key, and the tree
   rebuilt from the bodies has exactly the signed root at the signed size; consecutive
   checkpoints are joined by a verified RFC 6962 consistency proof;
5. the copy of the latest checkpoint kept outside the database (``checkpoints/latest``):
   a ledger smaller than it, or with another root at its size, was truncated or restored
   from an old backup;
6. every entry below the latest good checkpoint has an inclusion proof that verifies
   against the signed root; every item appears in the ledger.

When all is intact, verify signs a checkpoint of the current ledger (if it grew) and
updates the copy outside the database.
"""

from __future__ import annotations

import hashlib
import io
import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from dadkhah.vault import keys, ledger, merkle
from dadkhah.vault.canonical import canonical_json
from dadkhah.vault.checkpoint import CheckpointData, NoteError, open_checkpoint
from dadkhah.vault.crypto import DecryptingReader
from dadkhah.vault.store import open_store

__all__ = ["Problem", "Report", "original_opener", "verify_all"]

CHUNK = 1 << 20
BATCH = 512


@dataclass(frozen=True)
class Problem:
    """One thing found wrong, with whatever names it: item, entry, receipt or checkpoint."""

    kind: str
    message: str
    item: str | None = None
    sha256: str | None = None
    seq: int | None = None
    receipt: int | None = None
    checkpoint: int | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"problem": self.kind}
        for name in ("item", "sha256", "seq", "receipt", "checkpoint"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        out["message"] = self.message
        return out

    def __str__(self) -> str:
        names = []
        if self.item is not None:
            names.append(f"item {self.item}")
        if self.seq is not None:
            names.append(f"entry {self.seq}")
        if self.receipt is not None:
            names.append(f"receipt {self.receipt}")
        if self.checkpoint is not None:
            names.append(f"checkpoint {self.checkpoint}")
        where = f" [{', '.join(names)}]" if names else ""
        return f"{self.kind}{where}: {self.message}"


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    items: int = 0
    bytes: int = 0
    entries: int = 0
    receipts: int = 0
    checkpoints: int = 0
    proofs: int = 0
    signed: int | None = None  # size of the checkpoint that now covers the ledger
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, kind: str, message: str, **names: Any) -> None:
        self.problems.append(Problem(kind, message, **names))

    def summary(self) -> dict[str, Any]:
        return {
            "summary": "intact" if self.ok else "problems",
            "ok": self.ok,
            "problems": len(self.problems),
            "items": self.items,
            "bytes": self.bytes,
            "entries": self.entries,
            "receipts": self.receipts,
            "checkpoints": self.checkpoints,
            "proofs": self.proofs,
            "signed": self.signed,
            "warnings": self.warnings,
            "seconds": round(self.seconds, 2),
        }


# -- originals ----------------------------------------------------------------------------


def _hash_stream(stream: IO[bytes]) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def original_opener(home: Path | None = None) -> Callable[[str, bool], IO[bytes]]:
    """A function that opens an original's plaintext through the configured blob store
    (decrypting restricted items with the data key); FileNotFoundError when it is gone."""
    from django.conf import settings

    config = settings.CONFIG
    store = open_store(config.blobs, keys.home_dir(home), config.s3_endpoint)
    data_keys: list[bytes] = []

    def opener(hex_: str, encrypted: bool) -> IO[bytes]:
        raw = store.open(hex_)
        if not encrypted:
            return raw
        if not data_keys:
            data_keys.append(keys.data_key(home))
        return io.BufferedReader(DecryptingReader(raw, data_keys[0]), buffer_size=CHUNK)

    return opener


def _check_blob(
    row: tuple[str, str, int, bool], opener: Callable[[str, bool], IO[bytes]]
) -> tuple[tuple[str, str, int, bool], str | None, int, str | None]:
    uid, sha, size, encrypted = row
    try:
        with opener(sha.removeprefix("sha256:"), encrypted) as stream:
            got, got_size = _hash_stream(stream)
    except FileNotFoundError:
        return row, None, 0, "missing"
    except Exception as exc:  # a blob that cannot be read or decrypted is a finding
        return row, None, 0, f"unreadable: {exc}"
    return row, got, got_size, None


def _check_items(report: Report, opener: Callable[[str, bool], IO[bytes]], workers: int) -> None:
    from dadkhah.vault.models import Item

    rows = Item.objects.order_by("id").values_list("uid", "sha256", "size", "encrypted")

    def batches() -> Iterator[list[tuple[str, str, int, bool]]]:
        batch: list[tuple[str, str, int, bool]] = []
        for row in rows.iterator(chunk_size=2000):
            batch.append(row)
            if len(batch) == BATCH:
                yield batch
                batch = []
        if batch:
            yield batch

    with ThreadPoolExecutor(max_workers=workers) as pool:
        for batch in batches():
            for (uid, sha, size, _enc), got, got_size, error in pool.map(
                lambda r: _check_blob(r, opener), batch
            ):
                report.items += 1
                report.bytes += got_size
                if error == "missing":
                    report.add(
                        "blob-missing", "the original is not in the store", item=uid, sha256=sha
                    )
                elif error is not None:
                    report.add("blob-unreadable", error, item=uid, sha256=sha)
                elif f"sha256:{got}" != sha:
                    report.add(
                        "blob-altered",
                        f"the stored bytes hash to sha256:{got}, not to the item's hash",
                        item=uid,
                        sha256=sha,
                    )
                elif got_size != size:
                    report.add(
                        "item-size",
                        f"the item says {size} bytes, the original has {got_size}",
                        item=uid,
                        sha256=sha,
                    )


# -- ledger and receipts ------------------------------------------------------------------


def _check_entries(report: Report) -> tuple[merkle.Tree, set[str]]:
    """Rebuild the tree from the stored bodies (not from the stored leaf hashes)."""
    from dadkhah.vault.models import LedgerEntry

    tree = merkle.Tree()
    logged: set[str] = set()
    rows = LedgerEntry.objects.order_by("seq").values_list(
        "seq",
        "body",
        "leaf_hash",
        "event",
        "actor",
        "item_sha256",
        "created_at",
        "receipt__id",
        "receipt__record",
        "receipt__item__uid",
        "receipt__item__sha256",
    )
    expected = 0
    for (
        seq,
        body,
        stored_leaf,
        event,
        actor,
        item_sha,
        created,
        r_id,
        record,
        r_uid,
        r_sha,
    ) in rows.iterator(chunk_size=2000):
        report.entries += 1
        if seq != expected:
            gap = f"{expected}" if seq == expected + 1 else f"{expected} to {seq - 1}"
            report.add("entry-missing", f"ledger entries {gap} are missing", seq=expected)
        expected = seq + 1
        raw = body.encode("utf-8")
        leaf = merkle.leaf_hash(raw)
        tree.append(leaf)
        if leaf.hex() != stored_leaf:
            report.add(
                "entry-altered",
                "the entry's body no longer hashes to its leaf hash",
                seq=seq,
                sha256=item_sha or None,
            )
        try:
            parsed = json.loads(body)
            if not isinstance(parsed, dict):
                raise ValueError("not an object")
        except ValueError:
            report.add("entry-altered", "the entry's body is not a JSON object", seq=seq)
            continue
        if parsed.get("seq") != seq:
            report.add(
                "entry-moved",
                f"the body at position {seq} is entry {parsed.get('seq')!r}: entries were moved or swapped",
                seq=seq,
            )
        copies = {
            "event": event,
            "actor": actor,
            "item": item_sha or None,
            "time": ledger.rfc3339(created),
        }
        wrong = sorted(k for k, v in copies.items() if parsed.get(k) != v)
        if wrong:
            report.add(
                "entry-columns",
                f"the columns {', '.join(wrong)} differ from the hashed body",
                seq=seq,
            )
        if isinstance(parsed.get("item"), str):
            logged.add(parsed["item"])
        if r_id is not None:
            report.receipts += 1
            _check_receipt(report, parsed, seq, r_id, record, r_uid, r_sha)
    return tree, logged


def _check_receipt(
    report: Report,
    parsed: dict[str, Any],
    seq: int,
    receipt: int,
    record: str,
    uid: str,
    sha: str,
) -> None:
    details = parsed.get("details")
    logged = details.get("record") if isinstance(details, dict) else None
    if not isinstance(logged, dict):
        report.add(
            "receipt-unlogged",
            "the receipt's ledger entry holds no preservation record",
            item=uid,
            seq=seq,
            receipt=receipt,
        )
        return
    if record.encode("utf-8") != canonical_json(logged):
        report.add(
            "receipt-altered",
            "the preservation record differs from the one hashed into the ledger",
            item=uid,
            sha256=sha,
            seq=seq,
            receipt=receipt,
        )
    if logged.get("sha256") != sha or parsed.get("item") != sha:
        report.add(
            "receipt-item",
            f"the receipt belongs to {sha} but its ledger record names {logged.get('sha256')!r}",
            item=uid,
            seq=seq,
            receipt=receipt,
        )


# -- checkpoints --------------------------------------------------------------------------


def _check_checkpoints(
    report: Report, tree: merkle.Tree, home: Path | None
) -> tuple[CheckpointData | None, set[int]]:
    """Return the largest checkpoint that matches the ledger, and every signed size."""
    from dadkhah.vault.models import Checkpoint

    verifier = keys.verifier(home)
    best: CheckpointData | None = None
    previous: CheckpointData | None = None
    sizes: set[int] = set()
    for size, root_hash, note in Checkpoint.objects.order_by("size").values_list(
        "size", "root_hash", "note"
    ):
        report.checkpoints += 1
        try:
            data = open_checkpoint(note, verifier, origin=verifier.name)
        except NoteError as exc:
            report.add("checkpoint-signature", str(exc), checkpoint=size)
            continue
        sizes.add(data.size)
        if data.size != size or data.root.hex() != root_hash:
            report.add(
                "checkpoint-columns",
                f"the stored size/root differ from the signed ones ({data.size}, {data.root.hex()})",
                checkpoint=size,
            )
        if data.size > tree.size:
            report.add(
                "ledger-truncated",
                f"checkpoint {data.size} was signed but the ledger has {tree.size} entries: "
                f"entries {tree.size} to {data.size - 1} are missing",
                checkpoint=data.size,
            )
            continue
        if tree.root(data.size) != data.root:
            since = previous.size if previous is not None else 0
            report.add(
                "checkpoint-mismatch",
                f"the ledger is not what checkpoint {data.size} signed: an entry between "
                f"{since} and {data.size - 1} was changed, removed, inserted or reordered",
                checkpoint=data.size,
            )
            continue
        if previous is not None:
            proof = tree.consistency_proof(previous.size, data.size)
            report.proofs += 1
            if not merkle.verify_consistency(
                previous.size, data.size, previous.root, data.root, proof
            ):
                report.add(
                    "consistency",
                    f"no consistency proof from checkpoint {previous.size} to {data.size}",
                    checkpoint=data.size,
                )
        previous = best = data
    return best, sizes


def _check_outside(report: Report, tree: merkle.Tree, sizes: set[int], home: Path | None) -> None:
    note = ledger.latest_published(home)
    if note is None:
        if sizes:
            report.warnings.append(
                "no copy of the latest checkpoint outside the database yet "
                f"({keys.checkpoints_dir(home) / ledger.LATEST_FILE}); verify writes it now"
            )
        return
    try:
        data = open_checkpoint(note, keys.verifier(home))
    except NoteError as exc:
        report.add("outside-checkpoint", f"the checkpoint kept outside the database: {exc}")
        return
    if data.size > tree.size:
        report.add(
            "ledger-rolled-back",
            f"the checkpoint kept outside the database covers {data.size} entries but the "
            f"ledger has {tree.size}: it was truncated or restored from an older backup",
            checkpoint=data.size,
        )
    elif tree.root(data.size) != data.root:
        report.add(
            "ledger-rolled-back",
            f"the first {data.size} entries are not those the checkpoint kept outside the "
            "database signed: the ledger was rewritten or restored from another backup",
            checkpoint=data.size,
        )
    elif data.size not in sizes:
        report.add(
            "checkpoint-missing",
            f"checkpoint {data.size}, kept outside the database, is missing from it",
            checkpoint=data.size,
        )


def _check_inclusion(report: Report, tree: merkle.Tree, signed: CheckpointData) -> None:
    for seq in range(signed.size):
        proof = tree.inclusion_proof(seq, signed.size)
        report.proofs += 1
        if not merkle.verify_inclusion(tree.leaf(seq), seq, signed.size, proof, signed.root):
            report.add("inclusion", f"no inclusion proof to checkpoint {signed.size}", seq=seq)


def _check_logged(report: Report, logged: set[str]) -> None:
    from dadkhah.vault.models import Item

    for uid, sha in Item.objects.order_by("id").values_list("uid", "sha256").iterator(2000):
        if sha not in logged:
            report.add("item-unlogged", "no ledger entry concerns this item", item=uid, sha256=sha)


def verify_all(
    *,
    publish: bool = True,
    actor: str | None = None,
    workers: int = 4,
    opener: Callable[[str, bool], IO[bytes]] | None = None,
    home: Path | None = None,
) -> Report:
    """Check every original, entry, receipt, checkpoint and proof; see the module doc.

    When everything is intact and ``publish`` is true, an ``actor`` given is recorded as an
    audit entry, and a checkpoint of the ledger is signed and copied outside the database.
    """
    started = time.perf_counter()
    report = Report()
    _check_items(report, opener or original_opener(home), workers)
    tree, logged = _check_entries(report)
    best, sizes = _check_checkpoints(report, tree, home)
    _check_outside(report, tree, sizes, home)
    if best is not None:
        _check_inclusion(report, tree, best)
    _check_logged(report, logged)
    if report.ok and publish and (tree.size or actor):
        try:
            if actor:
                ledger.append(
                    "audit",
                    actor,
                    "verify",
                    "",
                    {
                        "check": "verify",
                        "result": "intact",
                        "items": report.items,
                        "entries": report.entries,
                        "checkpoints": report.checkpoints,
                    },
                )
            current = ledger.checkpoint()  # also copied outside the database on commit
        except ledger.LedgerError as exc:
            report.add("checkpoint", str(exc))
        else:
            if current is not None:
                report.signed = current.size
    elif best is not None:
        report.signed = best.size
    report.seconds = time.perf_counter() - started
    return report
