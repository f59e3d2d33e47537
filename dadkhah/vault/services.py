"""Storing and recording evidence, and every other act on it that the custody ledger records.

``Preserver`` stores and records items for ``vault.ingest.Ingest`` (files, folders, zip
archives, ``.eml`` messages, uploads and URLs) and for extraction. Each item is its own
atomic unit, in this order:

1. the bytes go to a temporary file, hashed while they are written, fsynced (``store.stage``);
2. an intent marker is written, and the file is linked into the store under its SHA-256
   (``store.publish``: the same bytes are stored once);
3. ONE database transaction creates the Item (unless those bytes are known already), the
   Receipt holding the preservation record, and the ``ingest`` ledger entry that hashes it;
4. the marker is removed.

A process killed at any point leaves either nothing, or a temporary file, or a blob with a
marker and no item: ``repair()`` (run at the start of every ingest) removes those and says
so. It never leaves an item without its blob, receipt or ledger entry.

Other acts: ``store_derivative`` (extraction's text, OCR, thumbnails: a ``derive`` entry),
``record_view`` and ``record_download`` (``view`` and ``download`` entries), ``open_item``
(the original's plaintext, decrypted for restricted items).
"""

from __future__ import annotations

import atexit
import functools
import io
import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from dadkhah.core.confidentiality import Level
from dadkhah.vault import crypto, keys, ledger, unpack
from dadkhah.vault.canonical import canonical_json
from dadkhah.vault.models import Item, LedgerEntry, Receipt
from dadkhah.vault.store import (
    CHUNK,
    FileStore,
    RepairReport,
    S3Store,
    Session,
    Staged,
    WorkArea,
    open_store,
    sync_files,
)

__all__ = [
    "EMPTY_WARNING",
    "TOOL",
    "IngestError",
    "Origin",
    "Pending",
    "Preserver",
    "detect_mime",
    "get_store",
    "ingest_path",
    "ingest_upload",
    "ingest_url",
    "open_item",
    "plain_name",
    "record_download",
    "record_view",
    "repair",
    "store_derivative",
    "tool_version",
]

TOOL = "dadkhah"
INGEST_PURPOSE = "preserve evidence as received"
RESTRICTED_NOTE = "restricted: encrypted at rest (AES-256-GCM); restricted clearance only"
EMPTY_WARNING = "empty file (0 bytes): preserved, since receiving an empty file is a fact too"
ProgressFn = Callable[[str, str], None]


class IngestError(Exception):
    """Input that cannot be preserved as asked; the message names the file or URL."""


@functools.cache
def tool_version() -> str:
    try:
        return metadata.version("dadkhah")
    except metadata.PackageNotFoundError:
        return "0"


# ------------------------------------------------------------------ store, keys, sessions

_stores: dict[tuple[str, str, str], FileStore | S3Store] = {}
_sessions: dict[tuple[int, str], Session] = {}
_lock = threading.Lock()


def get_store() -> FileStore | S3Store:
    """The blob store that DADKHAH_BLOBS names (under the current DADKHAH_HOME)."""
    cfg = settings.CONFIG
    key = (str(cfg.home), cfg.blobs, cfg.s3_endpoint)
    with _lock:
        if key not in _stores:
            _stores[key] = open_store(cfg.blobs, Path(cfg.home), cfg.s3_endpoint)
        return _stores[key]


def _session(store: FileStore | S3Store) -> Session:
    """This process's session in the store's work area: locked while the process lives, so
    that ``repair`` in another process never takes its work for a crash's leftovers."""
    key = (os.getpid(), str(store.work_root))
    with _lock:
        session = _sessions.get(key)
        if session is None or session.closed:
            for other_key, other in list(_sessions.items()):
                if other.closed:
                    pass
                elif other_key[0] != key[0]:
                    other.forget()  # inherited through fork: the parent's to close
                elif not other.dirty:
                    other.close()
                else:
                    continue
                del _sessions[other_key]
            session = _sessions[key] = WorkArea(store.work_root).session()
            atexit.register(session.close)
        return session


def _data_keys() -> dict[bytes, bytes]:
    key = keys.data_key()
    return {crypto.key_id(key): key}


def open_item(item: Item) -> IO[bytes]:
    """The original bytes of ``item`` (decrypted when it is encrypted), as a file object."""
    raw = get_store().open(item.hex)
    if item.encrypted:
        return io.BufferedReader(crypto.DecryptingReader(raw, _data_keys()), CHUNK)
    return raw


_magic = threading.local()


def detect_mime(head: bytes) -> str:
    """The MIME type from the content (libmagic), never from the name."""
    import magic

    if not hasattr(_magic, "handle"):
        _magic.handle = magic.Magic(mime=True)
    if not head:
        return "application/x-empty"
    try:
        return str(_magic.handle.from_buffer(head))
    except magic.MagicException:  # libmagic gave up on these bytes: say only that they are bytes
        return "application/octet-stream"


# ------------------------------------------------------------------ repair


def _referenced(hexes: Iterable[str]) -> set[str]:
    wanted = [f"sha256:{h}" for h in hexes]
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        batch = wanted[start : start + 500]
        found |= {
            s.removeprefix("sha256:")
            for s in Item.objects.filter(sha256__in=batch).values_list("sha256", flat=True)
        }
    return found


def repair(remove: bool = True, full_scan: bool = False) -> RepairReport:
    """Find (and with ``remove``, delete) what interrupted writers left: temporary files and
    blobs that no item owns. With ``full_scan`` every stored blob is checked against the
    items, not only those an interrupted writer marked. A repair that removed something is
    itself an ``audit`` entry in the ledger."""
    store = get_store()
    report = WorkArea(store.work_root).repair(
        store, _referenced, remove=remove, full_scan=full_scan
    )
    if remove and not report.clean:
        with transaction.atomic():
            ledger.append(
                "audit",
                "dadkhah-repair",
                "remove what an interrupted write left behind",
                details={
                    "repair": {
                        "temporary_files": len(report.temp_files),
                        "orphan_blobs": [f"sha256:{h}" for h in report.orphan_blobs],
                    }
                },
            )
    return report


# ------------------------------------------------------------------ one item


@dataclass
class Origin:
    """How one item came to us: what its preservation record says besides the hash."""

    name: unpack.DecodedName
    path: str
    url: str = ""
    source: str = ""
    parent: Item | None = None
    derivation: str = ""
    is_derivative: bool = False
    container: dict[str, Any] | None = None
    details: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


@dataclass
class Pending:
    """A staged blob waiting for its batch to be committed."""

    staged: Staged
    origin: Origin
    mime: str | Future[str]

    @property
    def mime_type(self) -> str:
        return self.mime if isinstance(self.mime, str) else self.mime.result()


def plain_name(text: str) -> unpack.DecodedName:
    return unpack.DecodedName(text, "utf-8", text.encode("utf-8", "surrogateescape"))


def _new_uid(hex_: str, taken: set[str]) -> str:
    for length in range(16, 65, 4):
        uid = f"it-{hex_[:length]}"
        if uid not in taken and not Item.objects.filter(uid=uid).exists():
            return uid
    raise IngestError(f"no free item id for sha256:{hex_}")


class Preserver:
    """Stages, publishes and records items for one actor with one set of record fields."""

    def __init__(
        self,
        collector: str,
        *,
        note: str = "",
        source: str = "",
        consent: str = "",
        restricted: bool = False,
        purpose: str = INGEST_PURPOSE,
        extract: bool = True,
        progress: ProgressFn | None = None,
    ) -> None:
        if not collector.strip():
            raise IngestError("every item needs a collector (who received it)")
        self.collector = collector.strip()
        self.note = note
        self.source = source
        self.consent = consent
        self.restricted = restricted
        self.purpose = purpose
        self.extract = extract
        self.progress = progress
        self.store = get_store()
        self.area = WorkArea(self.store.work_root)
        self.session = _session(self.store)

    def _step(self, step: str, name: str) -> None:
        if self.progress is not None:
            self.progress(step, name)

    def stage(self, source: Path | IO[bytes], encrypted: bool | None = None) -> Staged:
        """Copy and hash into a temporary file; ``commit_many`` fsyncs it with its batch."""
        encrypt = self.restricted if encrypted is None else encrypted
        encryptor = crypto.Encryptor(keys.data_key()) if encrypt else None
        return self.store.stage(source, self.session.dir, encryptor, sync=False)

    def commit(
        self,
        staged: Staged,
        origin: Origin,
        mime: str,
        event: str = "ingest",
        level: Level | None = None,
    ) -> Item:
        return self.commit_many([Pending(staged, origin, mime)], event, level)[0]

    def commit_many(
        self, batch: list[Pending], event: str = "ingest", level: Level | None = None
    ) -> list[Item]:
        """Publish the blobs, then record every item with its receipt and ledger entry in one
        transaction. Each item is whole or absent: a crash loses the batch's records, and
        ``repair`` then removes the batch's blobs."""
        if not batch:
            return []
        try:
            for pending in batch:
                pending.mime = pending.mime_type  # wait for libmagic before taking any lock
                self._step("staged", pending.origin.name.text)
            self._check_known(batch)
            sync_files(p.staged.temp for p in batch)
            with self.area.guard(exclusive=False):
                markers = self.session.intend_many(p.staged.hex for p in batch)
                self.store.publish_many([p.staged for p in batch])
        finally:
            for pending in batch:
                pending.staged.temp.unlink(missing_ok=True)
        for pending in batch:
            self._step("published", pending.origin.name.text)
        for attempt in (1, 2):
            try:
                items = self._record(batch, event, level)
                break
            except IntegrityError:  # the same bytes committed by another process just now
                if attempt == 2:
                    raise
        session = self.session
        transaction.on_commit(lambda: session.settle(*markers))
        for pending in batch:
            self._step("committed", pending.origin.name.text)
        return items

    def _check_known(self, batch: list[Pending]) -> None:
        """Bytes already in the vault keep the encryption they were stored with."""
        shas = [f"sha256:{p.staged.hex}" for p in batch]
        known = {
            sha: (uid, encrypted)
            for sha, uid, encrypted in Item.objects.filter(sha256__in=shas).values_list(
                "sha256", "uid", "encrypted"
            )
        }
        for pending in batch:
            found = known.get(f"sha256:{pending.staged.hex}")
            if found is None or found[1] == pending.staged.encrypted:
                continue
            if not self.store.exists(pending.staged.hex):
                raise IngestError(
                    f"{pending.origin.path}: item {found[0]} is recorded but its blob is "
                    "missing; run `dadkhah verify`"
                )
            if pending.staged.encrypted:
                pending.origin.warnings.append(
                    f"these bytes were preserved before without encryption (item {found[0]}); "
                    "a stored original is never rewritten"
                )

    def _record(self, batch: list[Pending], event: str, level: Level | None) -> list[Item]:
        now = timezone.now()
        if level is None:
            level = Level.RESTRICTED if self.restricted else Level.INTERNAL
        shas = list(dict.fromkeys(f"sha256:{p.staged.hex}" for p in batch))
        with transaction.atomic():
            items = {item.sha256: item for item in Item.objects.filter(sha256__in=shas)}
            wanted = {sha: f"it-{sha[7:19]}" for sha in shas if sha not in items}
            taken = set(Item.objects.filter(uid__in=wanted.values()).values_list("uid", flat=True))
            new: list[Item] = []
            for pending in batch:
                staged, origin = pending.staged, pending.origin
                sha = f"sha256:{staged.hex}"
                if sha in items:
                    continue
                uid = wanted[sha]
                if uid in taken:
                    uid = _new_uid(staged.hex, taken)
                taken.add(uid)
                items[sha] = Item(
                    uid=uid,
                    sha256=sha,
                    size=staged.size,
                    mime=pending.mime_type[:200],
                    name=origin.name.text[:500] or "unnamed",
                    is_derivative=origin.is_derivative,
                    parent=origin.parent,
                    derivation=origin.derivation[:40],
                    confidentiality=int(level),
                    encrypted=staged.encrypted,
                )
                new.append(items[sha])
            Item.objects.bulk_create(new)
            receipts = []
            for pending in batch:
                item = items[f"sha256:{pending.staged.hex}"]
                receipts.append(self._receipt(item, pending, event, now))
                self._step("recorded", pending.origin.name.text)
            Receipt.objects.bulk_create(receipts)
            if self.extract and new:
                from dadkhah.vault import tasks

                tasks.enqueue_extractions(new)  # one write to the queue for the batch
        return [items[f"sha256:{p.staged.hex}"] for p in batch]

    def _receipt(self, item: Item, pending: Pending, event: str, now: datetime) -> Receipt:
        """The preservation record of one act of receiving, hashed into its ledger entry."""
        staged, origin, mime = pending.staged, pending.origin, pending.mime_type
        restrictions = RESTRICTED_NOTE if self.restricted or item.encrypted else ""
        record: dict[str, Any] = {
            "sha256": item.sha256,
            "size": staged.size,
            "mime": mime,
            "original_name": origin.name.text,
            "original_path": origin.path,
            "source": origin.source or self.source,
            "url": origin.url or None,
            "collector": self.collector,
            "capture_tool": TOOL,
            "capture_tool_version": tool_version(),
            "received_at": ledger.rfc3339(now),
            "kind": "derivative" if origin.is_derivative else "original",
            "parent": origin.parent.sha256 if origin.parent is not None else None,
            "derivation": origin.derivation or None,
            "container": origin.container,
            "consent": self.consent,
            "restrictions": restrictions,
            "encrypted": item.encrypted,
            "note": self.note,
            "warnings": list(origin.warnings),
            **origin.name.record(),
            **origin.details,
        }
        entry = ledger.append(
            event, self.collector, self.purpose, item.sha256, {"record": record, "item": item.uid}
        )
        return Receipt(
            item=item,
            original_name=origin.name.text[:500],
            original_path=origin.path[:2000],
            source=(origin.source or self.source or origin.url)[:2000],
            collector=self.collector[:200],
            capture_tool=TOOL,
            capture_tool_version=tool_version(),
            received_at=now,
            consent=self.consent,
            restrictions=restrictions,
            note=self.note,
            record=canonical_json(record).decode("utf-8"),
            ledger_entry=entry,
        )


# ------------------------------------------------------------------ receiving (vault.ingest)


def ingest_path(
    paths: Iterable[Path | str] | Path | str,
    collector: str,
    note: str = "",
    restricted: bool = False,
    source: str = "",
    **kwargs: Any,
) -> list[Item]:
    """Preserve files and folders (zips and .eml messages unpacked). Raises IngestError
    naming every problem, after preserving everything else. See ``vault.ingest.Ingest``."""
    from dadkhah.vault import ingest

    return ingest.ingest_path(paths, collector, note, restricted, source, **kwargs)


def ingest_url(url: str, collector: str, **kwargs: Any) -> list[Item]:
    """Capture a URL: the WARC (original), the page and the screenshot (derivatives)."""
    from dadkhah.vault import ingest

    return ingest.ingest_url(url, collector, **kwargs)


def ingest_upload(upload: Any, name: str, *, collector: str, **kwargs: Any) -> list[Item]:
    """Preserve one uploaded file (a zip or .eml is unpacked as on the command line)."""
    from dadkhah.vault import ingest

    return ingest.ingest_upload(upload, name, collector=collector, **kwargs)


# ------------------------------------------------------------------ acts on items


def store_derivative(
    parent: Item,
    data: bytes | IO[bytes] | Path,
    derivation: str,
    mime: str,
    actor: str,
    purpose: str = "",
) -> Item:
    """Store a working copy made from ``parent`` (text, OCR, thumbnail, redacted copy…) as
    an item of its own, linked to its parent, with a ``derive`` ledger entry. It is
    encrypted when the parent is. Storing the same bytes for the same parent and derivation
    again returns the item already there and records nothing new."""
    preserver = Preserver(
        actor,
        restricted=parent.encrypted,
        purpose=purpose or f"derive {derivation} from {parent.uid}",
        extract=False,
    )
    source = io.BytesIO(bytes(data)) if isinstance(data, bytes | bytearray) else data
    staged = preserver.stage(source, encrypted=parent.encrypted)
    try:
        same = Item.objects.filter(
            sha256=f"sha256:{staged.hex}", parent=parent, derivation=derivation
        ).first()
        if same is not None:
            return same
        origin = Origin(
            name=plain_name(_derivative_name(parent.name, derivation, mime)),
            path=f"{parent.uid}/{derivation}",
            source=f"derived from {parent.sha256}",
            parent=parent,
            derivation=derivation,
            is_derivative=True,
        )
        return preserver.commit(
            staged,
            origin,
            mime or detect_mime(staged.head),
            "derive",
            Level(parent.confidentiality),
        )
    finally:
        staged.temp.unlink(missing_ok=True)


_EXT = {
    "text/plain": ".txt",
    "application/json": ".json",
    "image/png": ".png",
    "image/jpeg": ".jpg",
}


def _derivative_name(parent_name: str, derivation: str, mime: str) -> str:
    stem = parent_name.rsplit(".", 1)[0] if "." in parent_name else parent_name
    return f"{stem}.{derivation}{_EXT.get(mime.split(';')[0].strip(), '')}"


def _act(event: str, item: Item, actor: str, purpose: str) -> LedgerEntry:
    with transaction.atomic():
        return ledger.append(event, actor, purpose, item.sha256, {"item": item.uid})


def record_view(item: Item, actor: str, purpose: str) -> LedgerEntry:
    """Someone looked at the item (its page, its text, a preview)."""
    return _act("view", item, actor, purpose)


def record_download(item: Item, actor: str, purpose: str) -> LedgerEntry:
    """Someone took a copy of the original out of the vault, for a stated purpose."""
    return _act("download", item, actor, purpose)
