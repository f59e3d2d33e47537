"""Evidence bundles: a zip that a court, or a defence expert, can check with only Python.

A bundle holds, for the items asked for:

    verify_bundle.py                 the standard-library verifier (``bundle_verifier``)
    README.txt                       how to check the bundle
    manifest.html                    for people: items, hashes, receipts, custody events
    manifest.json                    for the verifier: where everything is
    checkpoint.txt                   the signed checkpoint (C2SP signed note, Ed25519)
    public-key.txt                   the vault's verifier key
    items/<id>/original/<name>       the original, as received (plaintext)
    items/<id>/receipt-<n>.json      each preservation record, exactly as hashed
    ledger/<seq>.json                each ledger entry about the items, exactly as hashed
    proofs/<seq>.json                its RFC 6962 inclusion proof to the checkpoint

Decisions (see docs/design/2026-11-21-vault.md):
- Originals are exported in plaintext, also restricted ones that are encrypted at rest: a
  bundle is made to be handed over, and a court must be able to open and hash the file.
  Exporting restricted items therefore needs a stated purpose.
- Making a bundle is itself a custody event: an ``export`` entry naming the actor, the
  purpose and the items is appended first, and the checkpoint the bundle carries is signed
  after it, so the bundle proves its own export.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import IO, Any

from django.db import transaction
from django.db.models import Q

from dadkhah.core.confidentiality import Level
from dadkhah.vault import keys, ledger
from dadkhah.vault.bundle_verifier import FORMAT
from dadkhah.vault.checkpoint import open_checkpoint
from dadkhah.vault.models import Item, LedgerEntry, Receipt
from dadkhah.vault.verify import original_opener

__all__ = ["BundleError", "BundleSummary", "write_bundle"]

CHUNK = 1 << 20


class BundleError(Exception):
    """The bundle cannot be made (unknown item, missing purpose, unreadable original)."""


@dataclass(frozen=True)
class BundleSummary:
    path: Path
    sha256: str
    items: list[str]
    entries: int
    checkpoint: int
    export_seq: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "bundle": str(self.path),
            "sha256": self.sha256,
            "items": self.items,
            "entries": self.entries,
            "checkpoint": self.checkpoint,
            "export_seq": self.export_seq,
        }


def safe_name(name: str) -> str:
    """A file name that is safe inside a zip on any system (letters of any script kept)."""
    base = re.split(r"[\\/]", name)[-1]
    cleaned = re.sub(r"[^\w.\- ]", "_", base).strip(" .")[:120]
    return cleaned or "original"


def _restricted(item: Item) -> bool:
    return item.encrypted or item.confidentiality >= Level.RESTRICTED


def _resolve(item_uids: Sequence[str]) -> list[Item]:
    wanted = list(dict.fromkeys(item_uids))
    if not wanted:
        raise BundleError("name at least one item")
    found = {item.uid: item for item in Item.objects.filter(uid__in=wanted)}
    missing = [uid for uid in wanted if uid not in found]
    if missing:
        raise BundleError(f"no such item: {', '.join(missing)}")
    return [found[uid] for uid in wanted]


def _info(name: str, moment: datetime, compress: int = zipfile.ZIP_DEFLATED) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=moment.timetuple()[:6])
    info.compress_type = compress
    info.external_attr = 0o644 << 16
    return info


def write_bundle(
    item_uids: Sequence[str],
    out: Path,
    actor: str,
    purpose: str = "",
    *,
    opener: Callable[[str, bool], IO[bytes]] | None = None,
) -> BundleSummary:
    """Log the export, sign a checkpoint that covers it, and write the bundle to ``out``."""
    items = _resolve(item_uids)
    restricted = [item.uid for item in items if _restricted(item)]
    if restricted and not purpose.strip():
        raise BundleError(
            f"restricted items ({', '.join(restricted)}) are exported only with a purpose"
        )
    if not actor:
        raise BundleError("name who makes the bundle")
    out = Path(out)
    if not out.parent.is_dir():
        raise BundleError(f"{out.parent}: no such directory")
    shas = [item.sha256 for item in items]
    with transaction.atomic():
        export = ledger.append(
            "export",
            actor,
            purpose,
            "",
            {
                "items": shas,
                "ids": [item.uid for item in items],
                "restricted": [item.sha256 for item in items if _restricted(item)],
                "bundle": out.name,
                "plaintext": True,
            },
        )
    signed = ledger.checkpoint()
    assert signed is not None and signed.size > export.seq
    tree = ledger.load_tree(signed.size)
    entries = list(
        LedgerEntry.objects.filter(Q(item_sha256__in=shas) | Q(seq=export.seq))
        .filter(seq__lt=signed.size)
        .order_by("seq")
    )
    receipts = list(
        Receipt.objects.filter(item__in=items).select_related("ledger_entry").order_by("id")
    )
    verifier = keys.verifier()
    checkpoint_data = open_checkpoint(signed.note, verifier)
    moment = export.created_at
    open_original = opener or original_opener()

    manifest_items: list[dict[str, Any]] = []
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        with zipfile.ZipFile(tmp, "w", allowZip64=True) as zf:
            for item in items:
                folder = f"items/{item.uid}"
                original = f"{folder}/original/{safe_name(item.name)}"
                _copy_original(zf, _info(original, moment, zipfile.ZIP_STORED), item, open_original)
                mine = [r for r in receipts if r.item_id == item.pk]
                for n, receipt in enumerate(mine, start=1):
                    zf.writestr(_info(f"{folder}/receipt-{n}.json", moment), receipt.record)
                manifest_items.append(
                    {
                        "uid": item.uid,
                        "sha256": item.sha256,
                        "size": item.size,
                        "mime": item.mime,
                        "name": item.name,
                        "confidentiality": Level(item.confidentiality).label,
                        "encrypted_at_rest": item.encrypted,
                        "derivative": item.is_derivative,
                        "original": original,
                        "receipts": [
                            {"file": f"{folder}/receipt-{n}.json", "seq": r.ledger_entry.seq}
                            for n, r in enumerate(mine, start=1)
                        ],
                        "entries": [e.seq for e in entries if e.item_sha256 == item.sha256],
                    }
                )
            manifest_entries = []
            for entry in entries:
                proof = {
                    "seq": entry.seq,
                    "size": signed.size,
                    "leaf_hash": tree.leaf(entry.seq).hex(),
                    "hashes": [h.hex() for h in tree.inclusion_proof(entry.seq)],
                }
                zf.writestr(_info(f"ledger/{entry.seq}.json", moment), entry.body)
                zf.writestr(_info(f"proofs/{entry.seq}.json", moment), json.dumps(proof, indent=1))
                manifest_entries.append(
                    {
                        "seq": entry.seq,
                        "event": entry.event,
                        "file": f"ledger/{entry.seq}.json",
                        "proof": f"proofs/{entry.seq}.json",
                    }
                )
            manifest = {
                "format": FORMAT,
                "created": ledger.rfc3339(moment),
                "actor": actor,
                "purpose": purpose,
                "export_seq": export.seq,
                "origin": checkpoint_data.origin,
                "size": checkpoint_data.size,
                "root": checkpoint_data.root.hex(),
                "checkpoint": "checkpoint.txt",
                "public_key": "public-key.txt",
                "items": manifest_items,
                "entries": manifest_entries,
            }
            zf.writestr(
                _info("manifest.json", moment), json.dumps(manifest, indent=1, ensure_ascii=False)
            )
            zf.writestr(_info("checkpoint.txt", moment), signed.note)
            zf.writestr(_info("public-key.txt", moment), str(verifier) + "\n")
            zf.writestr(_info("verify_bundle.py", moment), _verifier_source())
            zf.writestr(_info("README.txt", moment), _readme(manifest))
            zf.writestr(
                _info("manifest.html", moment),
                _manifest_html(manifest, items, receipts, entries, str(verifier)),
            )
        with tmp.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    digest = hashlib.sha256()
    with out.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return BundleSummary(
        path=out,
        sha256=f"sha256:{digest.hexdigest()}",
        items=[item.uid for item in items],
        entries=len(entries),
        checkpoint=signed.size,
        export_seq=export.seq,
    )


def _copy_original(
    zf: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    item: Item,
    open_original: Callable[[str, bool], IO[bytes]],
) -> None:
    """Stream the plaintext into the zip, refusing an original that no longer matches."""
    digest = hashlib.sha256()
    try:
        with (
            open_original(item.hex, item.encrypted) as src,
            zf.open(info, "w", force_zip64=True) as dst,
        ):
            while chunk := src.read(CHUNK):
                digest.update(chunk)
                dst.write(chunk)
    except FileNotFoundError as exc:
        raise BundleError(f"item {item.uid}: the original is missing from the store") from exc
    if f"sha256:{digest.hexdigest()}" != item.sha256:
        raise BundleError(
            f"item {item.uid}: the stored original no longer matches {item.sha256}; "
            "run `dadkhah verify`"
        )


def _verifier_source() -> bytes:
    return resources.files("dadkhah.vault").joinpath("bundle_verifier.py").read_bytes()


def _readme(manifest: dict[str, Any]) -> str:
    return (
        "Dadkhah evidence bundle\n"
        "=======================\n\n"
        f"Made {manifest['created']} by {manifest['actor']}"
        + (f" for: {manifest['purpose']}" if manifest["purpose"] else "")
        + ".\n\n"
        "To check it, with Python 3 and nothing else:\n\n"
        "    python3 verify_bundle.py THIS_BUNDLE.zip\n\n"
        "It checks the Ed25519 signature on checkpoint.txt, that every ledger entry here is in\n"
        "the signed ledger (RFC 6962 inclusion proofs), that every original has the SHA-256\n"
        "recorded when it was received, and that every preservation record is the one in the\n"
        "ledger. Compare public-key.txt with the key the vault published elsewhere, or pass\n"
        "that key with --key. manifest.html lists the items, receipts and custody events.\n"
    )


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _manifest_html(
    manifest: dict[str, Any],
    items: Sequence[Item],
    receipts: Sequence[Receipt],
    entries: Sequence[LedgerEntry],
    public_key: str,
) -> str:
    e = html.escape
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<title>Evidence bundle</title><style>body{font-family:sans-serif;max-width:70em;"
        "margin:2em auto;padding:0 1em}table{border-collapse:collapse;margin:.5em 0 1.5em}"
        "td,th{border:1px solid #999;padding:.25em .5em;text-align:left;vertical-align:top}"
        "code{word-break:break-all}</style></head><body>",
        "<h1>Evidence bundle</h1>",
        f"<p>Exported {e(manifest['created'])} by <b>{e(manifest['actor'])}</b>"
        + (f", purpose: {e(manifest['purpose'])}" if manifest["purpose"] else "")
        + f". The export is ledger entry {manifest['export_seq']}.</p>",
        "<p>Check this bundle with <code>python3 verify_bundle.py BUNDLE.zip</code> "
        "(Python 3, standard library only).</p>",
        "<h2>Signed checkpoint</h2>",
        _table(
            ["ledger", "entries", "root (SHA-256)", "verifier key"],
            [[manifest["origin"], manifest["size"], manifest["root"], public_key]],
        ),
    ]
    for item, listed in zip(items, manifest["items"], strict=True):
        parts.append(f"<h2>{e(item.name)} <small>({e(item.uid)})</small></h2>")
        parts.append(
            _table(
                ["SHA-256", "size", "type", "confidentiality", "file in this bundle"],
                [
                    [
                        item.sha256,
                        f"{item.size:,} bytes",
                        item.mime,
                        listed["confidentiality"],
                        listed["original"],
                    ]
                ],
            )
        )
        rows = []
        for receipt in (r for r in receipts if r.item_id == item.pk):
            record = json.loads(receipt.record)
            rows.append(
                [
                    record.get("received_at", ""),
                    record.get("collector", ""),
                    record.get("source", ""),
                    record.get("original_name", ""),
                    record.get("original_path", ""),
                    f"{record.get('capture_tool', '')} {record.get('capture_tool_version', '')}",
                    record.get("consent", ""),
                    record.get("restrictions", ""),
                    record.get("note", ""),
                ]
            )
        parts.append("<h3>Preservation records</h3>")
        parts.append(
            _table(
                [
                    "received (UTC)",
                    "collector",
                    "source",
                    "original name",
                    "original path",
                    "capture tool",
                    "consent",
                    "restrictions",
                    "note",
                ],
                rows,
            )
        )
        parts.append("<h3>Custody events</h3>")
        parts.append(
            _table(
                ["entry", "time (UTC)", "event", "actor", "purpose"],
                [
                    [x.seq, ledger.rfc3339(x.created_at), x.event, x.actor, x.purpose]
                    for x in entries
                    if x.item_sha256 == item.sha256 or x.seq == manifest["export_seq"]
                ],
            )
        )
    parts.append("</body></html>\n")
    return "".join(parts)
