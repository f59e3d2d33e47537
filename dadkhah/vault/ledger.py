"""The custody ledger: an append-only log of who did what to which item, and why.

Every entry's ``body`` is the canonical JSON (RFC 8785) of::

    {"seq", "time", "event", "actor", "purpose", "item": "sha256:<hex>" | null, "details"}

and its leaf in the RFC 6962 Merkle tree is SHA-256(0x00 || body). ``seq`` is the leaf index:
gapless, 0, 1, 2, … Entries are not chained to each other by hash: the Merkle tree commits to
their order, and every signed checkpoint commits to all entries below its size. A body holds
its own ``seq``, so an entry moved to another place no longer fits there.

``append`` runs inside the caller's transaction and takes the ledger lock: on PostgreSQL a
transaction-level advisory lock; SQLite transactions are already ``BEGIN IMMEDIATE`` and so
serialize writers. The unique ``seq`` catches anything that slips past.

``checkpoint`` signs the current size and root (C2SP checkpoint, Ed25519) after checking
that the ledger still matches the previous checkpoint, stores it, and, once the transaction
commits, copies it to ``DADKHAH_HOME/checkpoints/latest`` outside the database, where
``verify`` looks for it to catch a database rolled back to an old backup.
"""

from __future__ import annotations

import fcntl
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from dadkhah.vault import keys, merkle
from dadkhah.vault.canonical import canonical_json
from dadkhah.vault.checkpoint import NoteError, open_checkpoint, sign_checkpoint
from dadkhah.vault.models import Checkpoint, LedgerEntry

__all__ = [
    "EVENTS",
    "ConsistencyProof",
    "InclusionProof",
    "LedgerError",
    "append",
    "checkpoint",
    "consistency",
    "entry_body",
    "latest_published",
    "load_tree",
    "proof",
    "publish",
    "publish_on_commit",
    "rfc3339",
]

EVENTS = (
    "ingest",
    "view",
    "download",
    "derive",
    "export",
    "annotate",
    "transfer",
    "audit",
    "dossier",  # a case file generated from items (dadkhah.dossiers.evidence)
    "campaign-delivery",  # a campaign's delivery package (dadkhah.campaign.delivery)
    "campaign-invalidation",  # a bulk removal of signatures (dadkhah.campaign.abuse)
    "security",  # a permission change, recorded in the audit trail (dadkhah.accounts.audit)
)
SHA256 = re.compile(r"sha256:[0-9a-f]{64}")
LOCK_KEY = 0x646164_6B6C6564  # "dadkled": the PostgreSQL advisory lock of the ledger
LATEST_FILE = "latest"


class LedgerError(Exception):
    """The ledger cannot do what was asked, or no longer matches what it signed."""


def rfc3339(moment: datetime) -> str:
    """UTC, microseconds, trailing Z: ``2026-11-21T09:30:00.000000Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_body(
    seq: int,
    time: datetime,
    event: str,
    actor: str,
    purpose: str,
    item_sha256: str,
    details: dict[str, Any],
) -> bytes:
    """The canonical bytes of an entry, exactly what is hashed into the tree."""
    return canonical_json(
        {
            "seq": seq,
            "time": rfc3339(time),
            "event": event,
            "actor": actor,
            "purpose": purpose,
            "item": item_sha256 or None,
            "details": details,
        }
    )


def _lock() -> None:
    """Serialize ledger writers until the end of the current transaction."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


def append(
    event: str,
    actor: str,
    purpose: str,
    item_sha256: str = "",
    details: dict[str, Any] | None = None,
) -> LedgerEntry:
    """Append one custody event; it commits or rolls back with the caller's transaction."""
    if event not in EVENTS:
        raise LedgerError(f"unknown ledger event {event!r}; one of {', '.join(EVENTS)}")
    if not actor:
        raise LedgerError("every ledger entry names its actor")
    if item_sha256 and not SHA256.fullmatch(item_sha256):
        raise LedgerError(f"item must be written sha256:<64 hex>, not {item_sha256!r}")
    with transaction.atomic():
        _lock()
        last = LedgerEntry.objects.order_by("-seq").values_list("seq", flat=True).first()
        seq = 0 if last is None else last + 1
        now = timezone.now()
        body = entry_body(seq, now, event, actor, purpose, item_sha256, details or {})
        return LedgerEntry.objects.create(
            seq=seq,
            event=event,
            actor=actor,
            purpose=purpose,
            item_sha256=item_sha256,
            created_at=now,
            body=body.decode("utf-8"),
            leaf_hash=merkle.leaf_hash(body).hex(),
        )


def load_tree(size: int | None = None) -> merkle.Tree:
    """The tree of the stored leaf hashes, in ``seq`` order (``size`` first entries)."""
    rows = LedgerEntry.objects.order_by("seq")
    if size is not None:
        rows = rows.filter(seq__lt=size)
    tree = merkle.Tree()
    for seq, leaf in rows.values_list("seq", "leaf_hash").iterator(chunk_size=5000):
        if seq != tree.size:
            raise LedgerError(f"ledger entry {tree.size} is missing (next is {seq})")
        tree.append(bytes.fromhex(leaf))
    if size is not None and tree.size != size:
        raise LedgerError(f"the ledger has {tree.size} entries, fewer than {size}")
    return tree


def _latest_path(home: Path | None = None) -> Path:
    return keys.checkpoints_dir(home) / LATEST_FILE


def latest_published(home: Path | None = None) -> str | None:
    """The signed note kept outside the database, or None if there is none yet."""
    try:
        return _latest_path(home).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def publish(note: str, home: Path | None = None) -> bool:
    """Write ``note`` to ``checkpoints/latest`` unless a larger checkpoint is there already.

    Writers take an exclusive lock on ``checkpoints/.lock``, so that the copy never moves
    backwards. A copy that does not open with the current key is replaced; ``verify``
    reports it first.
    """
    verifier = keys.verifier(home)
    size = open_checkpoint(note, verifier).size
    path = _latest_path(home)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with (path.parent / ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        current = latest_published(home)
        if current is not None:
            try:
                if open_checkpoint(current, verifier).size >= size:
                    return False
            except NoteError:
                pass
        tmp = path.with_name(f".{LATEST_FILE}.{os.getpid()}.tmp")
        with tmp.open("w", encoding="utf-8") as handle:
            handle.write(note)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    return True


def publish_on_commit(note: str, home: Path | None = None) -> None:
    """Publish once the current transaction commits (at once outside a transaction)."""
    transaction.on_commit(lambda: publish(note, home))


def checkpoint() -> Checkpoint | None:
    """Sign and store the ledger's current size and root (None while the ledger is empty).

    Refuses (LedgerError) when the stored entries no longer match the latest checkpoint or
    the copy outside the database: signing over altered history would launder it.
    """
    with transaction.atomic():
        _lock()
        tree = load_tree()
        if tree.size == 0:
            return None
        signer = keys.signing_key()
        previous = Checkpoint.objects.order_by("-size").first()
        if previous is not None:
            try:  # what was signed counts, not the columns beside it
                signed = open_checkpoint(previous.note, signer.verifier, origin=signer.name)
            except NoteError as exc:
                raise LedgerError(f"checkpoint {previous.size}: {exc}") from exc
            if signed.size != previous.size or signed.size > tree.size:
                raise LedgerError(
                    f"checkpoint {signed.size} does not fit the ledger ({tree.size} entries)"
                )
            if tree.root(signed.size) != signed.root:
                raise LedgerError(f"the ledger no longer matches checkpoint {signed.size}")
        outside = latest_published()
        if outside is not None:
            try:
                data = open_checkpoint(outside, signer.verifier)
            except NoteError as exc:
                raise LedgerError(f"the checkpoint kept outside the database: {exc}") from exc
            if data.size > tree.size or tree.root(data.size) != data.root:
                raise LedgerError(
                    f"the ledger does not match the checkpoint kept outside the database "
                    f"(size {data.size}); run `dadkhah verify`"
                )
        if previous is not None and previous.size == tree.size:
            current = previous
        else:
            root = tree.root()
            note = sign_checkpoint(signer.name, tree.size, root, signer)
            current = Checkpoint.objects.create(size=tree.size, root_hash=root.hex(), note=note)
        publish_on_commit(current.note)
    return current


@dataclass(frozen=True)
class InclusionProof:
    """Entry ``seq`` is leaf ``seq`` of the tree of ``size`` leaves whose root is ``root``."""

    seq: int
    size: int
    leaf_hash: str
    hashes: list[str]
    root: str
    checkpoint: str  # the signed note for ``size``, or "" when none was signed at that size

    def verify(self) -> bool:
        return merkle.verify_inclusion(
            bytes.fromhex(self.leaf_hash),
            self.seq,
            self.size,
            [bytes.fromhex(h) for h in self.hashes],
            bytes.fromhex(self.root),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "size": self.size,
            "leaf_hash": self.leaf_hash,
            "hashes": self.hashes,
            "root": self.root,
            "checkpoint": self.checkpoint,
        }


@dataclass(frozen=True)
class ConsistencyProof:
    """The tree of ``m`` leaves (``root_m``) is a prefix of the tree of ``n`` (``root_n``)."""

    m: int
    n: int
    root_m: str
    root_n: str
    hashes: list[str]

    def verify(self) -> bool:
        return merkle.verify_consistency(
            self.m,
            self.n,
            bytes.fromhex(self.root_m),
            bytes.fromhex(self.root_n),
            [bytes.fromhex(h) for h in self.hashes],
        )


def proof(seq: int, size: int | None = None) -> InclusionProof:
    """Inclusion proof of entry ``seq``; by default to the latest checkpoint covering it
    (signing a new checkpoint when none covers it yet)."""
    if size is None:
        signed = Checkpoint.objects.filter(size__gt=seq).order_by("-size").first()
        if signed is None:
            signed = checkpoint()
            if signed is None or signed.size <= seq:
                raise LedgerError(f"there is no ledger entry {seq}")
        size = signed.size
    else:
        signed = Checkpoint.objects.filter(size=size).first()
    tree = load_tree(size)
    if not 0 <= seq < size:
        raise LedgerError(f"entry {seq} is not in a tree of {size} entries")
    return InclusionProof(
        seq=seq,
        size=size,
        leaf_hash=tree.leaf(seq).hex(),
        hashes=[h.hex() for h in tree.inclusion_proof(seq)],
        root=tree.root().hex(),
        checkpoint=signed.note if signed is not None else "",
    )


def consistency(m: int, n: int) -> ConsistencyProof:
    """Consistency proof between the ledger's first ``m`` and first ``n`` entries."""
    if not 0 <= m <= n:
        raise LedgerError(f"no consistency proof from {m} to {n}")
    tree = load_tree(n)
    return ConsistencyProof(
        m=m,
        n=n,
        root_m=tree.root(m).hex(),
        root_n=tree.root().hex(),
        hashes=[h.hex() for h in tree.consistency_proof(m)],
    )
