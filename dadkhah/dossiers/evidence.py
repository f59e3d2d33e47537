"""The evidence behind a dossier: the vault items its sources stand for, what happened to
each item (custody), the proof that its preservation is in the signed ledger, the ledger
record of every dossier generated, and the evidence bundle that goes with a dossier.

- :func:`evidence_for` turns the sources a dossier cites into :class:`EvidenceEntry` rows:
  one per vault item (``Source.item``), with its SHA-256, a custody summary read from the
  custody ledger, and an RFC 6962 inclusion proof of its ingest entry against the current
  signed checkpoint. Items above the requester's clearance are withheld: counted, never
  named. A protected item therefore reaches only a protected clearance.
- :meth:`EvidenceEntry.verified` re-checks a proof with nothing but ``vault.merkle`` and the
  checkpoint's Ed25519 signature: the ingest entry names the item's hash, hashes to the
  leaf, the leaf sits at its index under the root, and the signed checkpoint has that root.
- :func:`log_generation` appends a ``dossier`` entry (who, for whom, what) to the ledger, as
  bundle export appends an ``export`` entry, and signs a checkpoint over it.
- :func:`write_evidence_bundle` exports the entries' items with ``vault.bundle``; the zip
  carries its own standard-library ``verify_bundle.py``.

Custody summary of an item, in ledger order: its own entries (ingest, view, download, …),
the ``derive`` entries of copies made from it (extracted text, OCR, thumbnails), the
``export`` and ``dossier`` entries that list it, and the latest verification of the whole
vault since it was received (``audit``), with the number of verifications in its note.
Purposes and bundle names are left out: they can say more than the dossier may.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import reduce
from operator import or_
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Q

from dadkhah.core.confidentiality import Level
from dadkhah.records.models import Source
from dadkhah.vault import bundle, keys, ledger, merkle
from dadkhah.vault.checkpoint import NoteError, Verifier, open_checkpoint
from dadkhah.vault.models import Item, LedgerEntry

__all__ = [
    "DOSSIER_FORMATS",
    "DOSSIER_KINDS",
    "CustodyStep",
    "EvidenceEntry",
    "EvidenceError",
    "evidence_for",
    "log_generation",
    "write_evidence_bundle",
]

DOSSIER_KINDS = ("perpetrator", "family", "incident")
DOSSIER_FORMATS = ("pdf", "html")
RECEIVED = ("ingest", "derive")  # the events whose entry preserves an item
_HEX = re.compile(r"(?:sha256:)?([0-9a-f]{64})")
_NOTES = {
    "ingest": "received and preserved",
    "view": "viewed",
    "download": "original downloaded",
    "annotate": "annotated",
    "transfer": "transferred",
    "export": "exported in an evidence bundle",
}


class EvidenceError(Exception):
    """The evidence cannot be listed, logged or bundled as asked; the message says why."""


@dataclass(frozen=True)
class CustodyStep:
    """One custody event of an item: ledger entry ``seq``, when, what, who."""

    when: datetime
    event: str
    actor: str
    seq: int
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "when": ledger.rfc3339(self.when),
            "event": self.event,
            "actor": self.actor,
            "seq": self.seq,
            "note": self.note,
        }


@dataclass(frozen=True)
class EvidenceEntry:
    """A vault item a dossier relies on, with its custody and inclusion proof.

    ``proof`` holds: ``seq`` and ``entry`` (the item's ingest entry and its canonical body),
    ``leaf_hash``, ``tree_size``, ``root``, ``audit_path`` (hex hashes, RFC 6962 order),
    ``checkpoint`` (the signed note of that size and root) and ``public_key`` (the vault's
    verifier key, also in every bundle).
    """

    item_uid: str
    name: str
    sha256: str
    mime: str
    size: int
    level: Level
    sources: list[str]
    custody: list[CustodyStep] = field(default_factory=list)
    proof: dict[str, Any] = field(default_factory=dict)

    def verified(self, key: str | None = None) -> bool:
        """Does the proof hold? ``key`` is a verifier key to trust instead of the one the
        proof carries (compare it with the key the vault published)."""
        p = self.proof
        try:
            raw = str(p["entry"]).encode("utf-8")
            leaf = merkle.leaf_hash(raw)
            body = json.loads(raw)
            seq, size = int(p["seq"]), int(p["tree_size"])
            if leaf.hex() != p["leaf_hash"] or not isinstance(body, dict):
                return False
            if (body.get("item"), body.get("seq")) != (self.sha256, seq):
                return False
            if body.get("event") not in RECEIVED:
                return False
            root = bytes.fromhex(p["root"])
            path = [bytes.fromhex(h) for h in p["audit_path"]]
            if not merkle.verify_inclusion(leaf, seq, size, path, root):
                return False
            signed = open_checkpoint(p["checkpoint"], Verifier.parse(key or p["public_key"]))
        except (KeyError, TypeError, ValueError, NoteError):  # NoteError is a ValueError too
            return False
        return signed.size == size and signed.root == root

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON values (the level by name, times in RFC 3339)."""
        return {
            "item_uid": self.item_uid,
            "name": self.name,
            "sha256": self.sha256,
            "mime": self.mime,
            "size": self.size,
            "level": self.level.label,
            "sources": list(self.sources),
            "custody": [step.as_dict() for step in self.custody],
            "proof": dict(self.proof),
        }


# ---------------------------------------------------------------------------- listing


def _visible_items(
    sources: Iterable[Source], clearance: Level
) -> tuple[list[tuple[Item, list[str]]], int]:
    """The items behind ``sources`` that ``clearance`` may see (with the visible sources
    that stand for each), and how many others there are."""
    by_item: dict[int, set[str]] = {}
    for source in sources:
        if source.item_id is None:
            continue
        shown = by_item.setdefault(source.item_id, set())
        if source.confidentiality <= clearance:
            shown.add(source.uid)
    visible: list[tuple[Item, list[str]]] = []
    withheld = 0
    for item in Item.objects.filter(pk__in=by_item).order_by("uid"):
        shown = by_item[item.pk]
        if item.confidentiality > clearance or not shown:
            withheld += 1
        else:
            visible.append((item, sorted(shown)))
    return visible, withheld


def _details(entry: LedgerEntry) -> dict[str, Any]:
    details = json.loads(entry.body).get("details")
    return details if isinstance(details, dict) else {}


def _shared_note(entry: LedgerEntry, details: dict[str, Any]) -> str:
    if entry.event == "dossier":
        return f"{details.get('kind', '')} dossier ({details.get('format', '')})".strip()
    return _NOTES.get(entry.event, str(entry.event))


def _custody(
    items: list[Item],
) -> tuple[dict[int, list[CustodyStep]], dict[int, LedgerEntry]]:
    """Custody steps of each item (by pk) and the entry that preserved it."""
    by_sha = {item.sha256: item for item in items}
    copies = {
        sha: (parent, uid, derivation)
        for sha, parent, uid, derivation in Item.objects.filter(
            parent__in=[item.pk for item in items]
        ).values_list("sha256", "parent_id", "uid", "derivation")
    }
    steps: dict[int, list[CustodyStep]] = {item.pk: [] for item in items}
    received: dict[int, LedgerEntry] = {}

    def add(pk: int, entry: LedgerEntry, note: str) -> None:
        steps[pk].append(CustodyStep(entry.created_at, entry.event, entry.actor, entry.seq, note))

    for entry in LedgerEntry.objects.filter(item_sha256__in=[*by_sha, *copies]).order_by("seq"):
        if entry.item_sha256 in copies:
            parent, uid, derivation = copies[entry.item_sha256]
            if entry.event == "derive":
                add(parent, entry, f"{derivation or 'copy'} made: item {uid}")
            continue
        item = by_sha[entry.item_sha256]
        if entry.event in RECEIVED and item.pk not in received:
            received[item.pk] = entry
        note = _NOTES.get(entry.event, "")
        if entry.event == "derive":
            note = f"made from its parent ({item.derivation or 'copy'})"
        add(item.pk, entry, note)

    listing = reduce(or_, (Q(body__contains=sha) for sha in by_sha))
    shared = LedgerEntry.objects.filter(listing, event__in=("export", "dossier"))
    for entry in shared.order_by("seq"):
        details = _details(entry)
        listed = details.get("items")
        for sha in listed if isinstance(listed, list) else []:
            if sha in by_sha:
                add(by_sha[sha].pk, entry, _shared_note(entry, details))

    audits = list(LedgerEntry.objects.filter(event="audit").order_by("seq"))
    seqs = [a.seq for a in audits]
    for item in items:
        first = received.get(item.pk)
        start = bisect.bisect_right(seqs, first.seq) if first is not None else len(seqs)
        since = len(audits) - start
        if since:
            add(
                item.pk,
                audits[-1],
                f"vault verified intact; {since} verification(s) since received",
            )
        steps[item.pk].sort(key=lambda step: step.seq)
    return steps, received


def evidence_for(sources: Iterable[Source], clearance: Level) -> tuple[list[EvidenceEntry], int]:
    """The evidence entries of the items behind ``sources`` that ``clearance`` may see, in
    item-id order, and the number of items withheld.

    An item is withheld when it is above the clearance, or when every given source that
    stands for it is. Signs a checkpoint when the ledger has grown since the last one.
    Raises EvidenceError when an item has no preserving entry in the ledger, and
    ``ledger.LedgerError`` when the ledger no longer matches what it signed.
    """
    visible, withheld = _visible_items(sources, Level(clearance))
    if not visible:
        return [], withheld
    items = [item for item, _ in visible]
    steps, received = _custody(items)
    signed = ledger.checkpoint()
    if signed is None:
        raise EvidenceError("the custody ledger is empty: no item was ever preserved")
    tree = ledger.load_tree(signed.size)
    root = tree.root().hex()
    public_key = str(keys.verifier())
    entries: list[EvidenceEntry] = []
    for item, source_uids in visible:
        entry = received.get(item.pk)
        if entry is None or entry.seq >= signed.size:
            raise EvidenceError(
                f"item {item.uid} ({item.sha256}) has no preserving entry in the signed "
                "ledger; run `dadkhah verify`"
            )
        entries.append(
            EvidenceEntry(
                item_uid=item.uid,
                name=item.name,
                sha256=item.sha256,
                mime=item.mime,
                size=item.size,
                level=Level(item.confidentiality),
                sources=source_uids,
                custody=steps[item.pk],
                proof={
                    "seq": entry.seq,
                    "entry": entry.body,
                    "leaf_hash": tree.leaf(entry.seq).hex(),
                    "tree_size": signed.size,
                    "root": root,
                    "audit_path": [h.hex() for h in tree.inclusion_proof(entry.seq)],
                    "checkpoint": signed.note,
                    "public_key": public_key,
                },
            )
        )
    return entries, withheld


# ---------------------------------------------------------------------------- logging


def _sha(value: str, what: str) -> str:
    match = _HEX.fullmatch(value.strip().lower())
    if match is None:
        raise EvidenceError(f"{what} must be sha256:<64 hex digits>, not {value!r}")
    return f"sha256:{match.group(1)}"


def log_generation(
    *,
    actor: str,
    requester: str,
    kind: str,
    subject: str,
    fmt: str,
    output_sha256: str,
    content_hash: str,
    items: Sequence[str],
    claims: int,
    level: Level,
) -> int:
    """Record in the custody ledger that ``actor`` generated a dossier for ``requester``:
    its kind, subject, format, the SHA-256 of the output file and of its content, the items
    it relies on, its number of claims and its level. Signs a checkpoint over the entry and
    returns the entry's ``seq``."""
    if not actor.strip():
        raise EvidenceError("name who generates the dossier")
    if not requester.strip():
        raise EvidenceError("name for whom the dossier is generated")
    if kind not in DOSSIER_KINDS:
        raise EvidenceError(f"dossier kind {kind!r}; one of {', '.join(DOSSIER_KINDS)}")
    if fmt not in DOSSIER_FORMATS:
        raise EvidenceError(f"dossier format {fmt!r}; one of {', '.join(DOSSIER_FORMATS)}")
    if not subject.strip():
        raise EvidenceError("name the dossier's subject (a record id)")
    if isinstance(claims, bool) or not isinstance(claims, int) or claims < 0:
        raise EvidenceError(f"claims must be a count, not {claims!r}")
    output = _sha(output_sha256, "output_sha256")
    content = _sha(content_hash, "content_hash")
    uids = list(dict.fromkeys(items))
    found = dict(Item.objects.filter(uid__in=uids).values_list("uid", "sha256"))
    unknown = [uid for uid in uids if uid not in found]
    if unknown:
        raise EvidenceError(f"no such item: {', '.join(unknown)}")
    details = {
        "requester": requester.strip(),
        "kind": kind,
        "subject": subject.strip(),
        "format": fmt,
        "output": output,
        "content_hash": content,
        "items": [found[uid] for uid in uids],
        "ids": uids,
        "claims": claims,
        "level": Level(level).label,
    }
    with transaction.atomic():
        entry = ledger.append(
            "dossier",
            actor.strip(),
            f"{kind} dossier for {requester.strip()}",
            "",
            details,
        )
    ledger.checkpoint()
    return int(entry.seq)


def write_evidence_bundle(
    entries: Sequence[EvidenceEntry], out: Path, actor: str, purpose: str
) -> bundle.BundleSummary:
    """Export the entries' items as an evidence bundle (``vault.bundle.write_bundle``):
    originals, preservation records, ledger entries, proofs, the signed checkpoint and
    ``verify_bundle.py``. The export is logged in the ledger before the bundle is signed."""
    if not entries:
        raise EvidenceError("the dossier relies on no vault item: there is nothing to bundle")
    uids = list(dict.fromkeys(entry.item_uid for entry in entries))
    stored = dict(Item.objects.filter(uid__in=uids).values_list("uid", "sha256"))
    for entry in entries:
        if stored.get(entry.item_uid) != entry.sha256:
            raise EvidenceError(
                f"item {entry.item_uid} is not in the vault as {entry.sha256}; "
                "list the evidence again"
            )
    return bundle.write_bundle(uids, Path(out), actor, purpose)
