"""Background work on the vault (huey): text extraction of each new item.

``enqueue_extraction(item)`` queues ``extract_item`` once the caller's transaction has
committed, so the consumer process finds the item. ``run_extraction`` does the work: it
moves the item through ``pending → running → done`` (or ``failed`` with the reason, or
``skipped`` for types without text), keeps ``extraction_progress`` in percent for the item
page, writes one ``Page`` per page, and stores the extracted text, the OCR text, a
thumbnail and the metadata (EXIF, PDF info) as derivative items through
``services.store_derivative``, each one a ``derive`` entry in the custody ledger.

Text of an encrypted (restricted) item stays encrypted at rest: its pages are recorded
without their text, and the text lives only in its encrypted derivatives.
"""

from __future__ import annotations

import logging
import tempfile
import threading
from typing import Any

from django.conf import settings
from django.db import transaction
from huey.contrib.djhuey import db_task, on_startup

from dadkhah.vault import extract
from dadkhah.vault.canonical import canonical_json
from dadkhah.vault.models import Item, Page

__all__ = [
    "EXTRACTION_ACTOR",
    "STATUSES",
    "enqueue_extraction",
    "enqueue_extractions",
    "extract_item",
    "queue_extractions",
    "requeue_interrupted",
    "requeue_stranded",
    "run_extraction",
]

log = logging.getLogger(__name__)

EXTRACTION_ACTOR = "dadkhah-extraction"
STATUSES = ("pending", "running", "done", "failed", "skipped")
# Derivations that are extraction's own output: nothing to extract from them again.
OWN_OUTPUT = frozenset({"text", "ocr", "thumbnail", "metadata"})
SPOOL_BYTES = 64 * 1024 * 1024  # larger originals are copied to a file under DADKHAH_HOME/tmp
READING_SHARE = 90  # percent of the progress bar given to reading pages; storing is the rest


def enqueue_extraction(item: Item) -> None:
    """Queue the extraction of ``item`` when the current transaction commits."""
    item_id = item.pk
    transaction.on_commit(lambda: extract_item(item_id))


@db_task(retries=0)
def extract_item(item_id: int) -> None:
    run_extraction(item_id)


def enqueue_extractions(items: list[Item]) -> None:
    """Queue several new items with one write to the queue (an ingest batch): a task that
    queues one ``extract_item`` each, in the consumer, once the transaction has committed."""
    ids = [item.pk for item in items]
    if ids:
        transaction.on_commit(lambda: queue_extractions(ids))


@db_task(retries=0)
def queue_extractions(item_ids: list[int]) -> None:
    for item_id in item_ids:
        extract_item(item_id)


_resume_once = threading.Lock()  # taken by the first worker thread, never released


def requeue_interrupted() -> list[int]:
    """Queue again what a stopped consumer left ``running``; returns the item ids."""
    ids = list(
        Item.objects.filter(extraction_status="running").order_by("id").values_list("pk", flat=True)
    )
    for item_id in ids:
        _set(item_id, extraction_status="pending", extraction_progress=0)
        extract_item(item_id)
    return ids


def requeue_stranded(skip: set[int]) -> list[int]:
    """Queue again the originals still ``pending`` once the queue has been drained: their task
    was lost (a queued message that could not be read back). ``skip`` holds the ids queued
    this way before, which are not queued twice; returns the ids queued now. Call it only with
    the queue empty and no consumer running (``dadkhah work``)."""
    ids = [
        pk
        for pk in Item.objects.filter(extraction_status="pending", is_derivative=False)
        .order_by("id")
        .values_list("pk", flat=True)
        if pk not in skip
    ]
    for item_id in ids:
        extract_item(item_id)
    return ids


@on_startup()
def _on_consumer_start() -> None:
    if _resume_once.acquire(blocking=False):  # the first worker thread does it
        requeue_interrupted()


def _set(item_id: int, **fields: Any) -> None:
    """Extraction status is the one thing on an item that is updated in place."""
    Item.objects.filter(pk=item_id).update(**fields)


def run_extraction(item_id: int) -> str:
    """Extract ``item_id`` now; returns the final status. Never raises for a bad file."""
    item = Item.objects.filter(pk=item_id).first()
    if item is None:
        log.warning("extraction: no item %s", item_id)
        return "failed"
    if item.is_derivative and item.derivation in OWN_OUTPUT:
        _set(item.pk, extraction_status="skipped", extraction_progress=100, extraction_error="")
        return "skipped"
    if extract.kind_of(item.mime, item.name) is None:
        _set(
            item.pk,
            extraction_status="skipped",
            extraction_progress=100,
            extraction_error=f"no text to extract from {item.mime}",
        )
        return "skipped"
    _set(item.pk, extraction_status="running", extraction_progress=0, extraction_error="")
    shown = {"percent": 0}

    def progress(done: int, total: int) -> None:
        percent = min(READING_SHARE, READING_SHARE * done // max(total, 1))
        if percent != shown["percent"]:
            shown["percent"] = percent
            _set(item.pk, extraction_progress=percent)

    try:
        with _original(item) as source:
            result = extract.extract(source, item.mime, item.name, progress)
        _save(item, result)
    except extract.ExtractionError as exc:
        _set(item.pk, extraction_status="failed", extraction_error=str(exc))
        return "failed"
    except Exception as exc:
        log.exception("extraction of %s failed", item.uid)
        _set(item.pk, extraction_status="failed", extraction_error=f"{type(exc).__name__}: {exc}")
        return "failed"
    from dadkhah.search.tasks import enqueue_index_item  # search indexes the new pages

    enqueue_index_item(item.pk)
    return "done"


class _original:
    """The original's plaintext bytes in a spooled temporary file (decrypted if need be)."""

    def __init__(self, item: Item) -> None:
        self.item = item
        self.spool: Any = None

    def __enter__(self) -> Any:
        from dadkhah.vault import services

        tmp = settings.CONFIG.home / "tmp"
        tmp.mkdir(parents=True, exist_ok=True)
        self.spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES, dir=tmp)
        with services.open_item(self.item) as stream:
            while chunk := stream.read(1024 * 1024):
                self.spool.write(chunk)
        self.spool.seek(0)
        return self.spool

    def __exit__(self, *exc: object) -> None:
        self.spool.close()


def _save(item: Item, result: extract.Extraction) -> None:
    from dadkhah.vault import services

    derivatives = list(result.derivatives)
    if result.metadata:
        derivatives.append(
            extract.Derivative("metadata", canonical_json(result.metadata), "application/json")
        )
    keep_text = not item.encrypted
    with transaction.atomic():
        Page.objects.filter(item=item).delete()
        Page.objects.bulk_create(
            Page(
                item=item,
                number=page.number,
                text=page.text if keep_text else "",
                method=page.method,
                language=page.language,
            )
            for page in result.pages
        )
        for count, derivative in enumerate(derivatives, 1):
            made = services.store_derivative(
                item, derivative.data, derivative.kind, derivative.mime, EXTRACTION_ACTOR
            )
            Item.objects.filter(pk=made.pk, extraction_status="pending").update(
                extraction_status="skipped", extraction_progress=100
            )
            _set(
                item.pk,
                extraction_progress=READING_SHARE
                + (100 - READING_SHARE) * count // (len(derivatives) + 1),
            )
        _set(
            item.pk,
            extraction_status="done",
            extraction_progress=100,
            extraction_error="",
            language=result.language,
        )
