"""The delivery package: the signatures of a campaign as the recipients receive them.

:func:`make_package` writes into a directory:

- ``signatures.csv``: ``name, country, city, signed`` for every validated signature, in
  the order they were confirmed. Public and private signers by name; anonymous signers as
  ``Anonymous`` with their country only; signers whose data was erased after the retention
  date as ``Erased`` with their country only. Never an email or a network address. Plain
  UTF-8 (no byte-order mark), RFC 4180 quoting, ``\\n`` line ends. A cell that a
  spreadsheet would read as a formula (starting ``= + - @``, tab or carriage return) gets
  a leading apostrophe.
- ``totals.csv``: ``scope, key, signatures``: one ``total`` row, one ``removed`` row
  (signatures confirmed and later removed by a moderator), one row per ``country`` and one
  per ``day`` (UTC date of confirmation).
- ``organisations.csv`` when organisations signed (approved ones only): name, Persian
  name, country, website, ECOSOC status. No contact person, no contact email.
- ``package.pdf``: a cover with the text (main language, and Persian when there is one),
  the target, the dates and the totals (by country, and over time as a chart and a table),
  then the organisations and the signatories. Every page carries its number and the
  package's content hash; a synthetic campaign says "Synthetic" on every page.
- ``manifest.json``: the campaign, the counts, the content hash and each file's SHA-256.
- ``MANIFEST.sha256``: ``sha256sum`` lines for every other file (check it with
  ``sha256sum -c MANIFEST.sha256`` inside the directory).

The *content hash* is the SHA-256 of the ``sha256sum`` lines of the data files (the CSVs),
so the PDF can print it. The same data gives byte-identical files: nothing in them depends
on when the package was made. Each package is recorded in the custody ledger as a
``campaign-delivery`` entry (actor, requester, campaign, counts, the SHA-256 of
``MANIFEST.sha256``) with a signed checkpoint. Files are written in a private directory and
moved into place only after the ledger entry is written.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from django.db import transaction
from django.template.loader import render_to_string

from dadkhah.campaign.models import Campaign, OrgSignature, Signature, Visibility

__all__ = [
    "DATA_FILES",
    "Built",
    "DeliveryError",
    "Package",
    "build_files",
    "check_request",
    "log_delivery",
    "make_package",
    "package_rows",
    "signatory_line",
    "zip_files",
    "zip_package",
]

DATA_FILES = ("signatures.csv", "totals.csv", "organisations.csv")
ANONYMOUS = "Anonymous"
ERASED = "Erased"
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class DeliveryError(Exception):
    """The package cannot be made as asked; the message says why."""


@dataclass(frozen=True)
class Signatory:
    name: str
    country: str
    city: str
    signed: date | None

    def row(self) -> list[str]:
        return [
            _cell(self.name),
            self.country,
            _cell(self.city),
            self.signed.isoformat() if self.signed else "",
        ]


@dataclass(frozen=True)
class Rows:
    """What a package holds, read from the database."""

    signatories: list[Signatory]
    by_country: list[tuple[str, int]]
    by_day: list[tuple[date, int]]
    removed: int
    anonymous: int
    organisations: list[OrgSignature]


@dataclass(frozen=True)
class Package:
    """What :func:`make_package` wrote and logged."""

    directory: Path
    campaign: str
    files: dict[str, str]  # name → sha256:hex
    content_hash: str
    manifest_sha256: str
    signatures: int
    anonymous: int
    removed: int
    organisations: int
    ledger_seq: int
    countries: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "directory": str(self.directory),
            "campaign": self.campaign,
            "files": dict(self.files),
            "content_hash": self.content_hash,
            "manifest_sha256": self.manifest_sha256,
            "signatures": self.signatures,
            "anonymous": self.anonymous,
            "removed": self.removed,
            "organisations": self.organisations,
            "countries": dict(self.countries),
            "ledger_seq": self.ledger_seq,
        }


def _cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA) else text


def _utc_day(moment: datetime | None) -> date | None:
    return moment.astimezone(UTC).date() if moment is not None else None


def package_rows(campaign: Campaign) -> Rows:
    """The validated signatures in confirmation order, the totals, and the organisations."""
    rows = (
        Signature.objects.filter(campaign=campaign, state=Signature.State.VALIDATED)
        .order_by("confirmed_at", "id")
        .values_list("name", "country", "city", "visibility", "confirmed_at", "anonymized_at")
    )
    signatories: list[Signatory] = []
    countries: Counter[str] = Counter()
    days: Counter[date] = Counter()
    anonymous = 0
    for name, country, city, visibility, confirmed_at, anonymized_at in rows.iterator(2000):
        signed = _utc_day(confirmed_at)
        countries[country] += 1
        if signed is not None:
            days[signed] += 1
        if visibility == Visibility.ANONYMOUS:
            anonymous += 1
            signatories.append(Signatory(ANONYMOUS, country, "", None))
        elif anonymized_at is not None or not name:
            signatories.append(Signatory(ERASED, country, "", None))
        else:
            signatories.append(Signatory(name, country, city, signed))
    removed = Signature.objects.filter(
        campaign=campaign, state=Signature.State.INVALIDATED, confirmed_at__isnull=False
    ).count()
    organisations = list(
        OrgSignature.objects.filter(campaign=campaign, state=OrgSignature.State.APPROVED).order_by(
            "name", "id"
        )
    )
    return Rows(
        signatories=signatories,
        by_country=sorted(countries.items(), key=lambda kv: (-kv[1], kv[0])),
        by_day=sorted(days.items()),
        removed=removed,
        anonymous=anonymous,
        organisations=organisations,
    )


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _data_files(rows: Rows) -> dict[str, bytes]:
    files = {
        "signatures.csv": _csv(
            ["name", "country", "city", "signed"], [s.row() for s in rows.signatories]
        ),
        "totals.csv": _csv(
            ["scope", "key", "signatures"],
            [
                ["total", "", str(len(rows.signatories))],
                ["removed", "", str(rows.removed)],
                *[["country", code, str(n)] for code, n in rows.by_country],
                *[["day", day.isoformat(), str(n)] for day, n in rows.by_day],
            ],
        ),
    }
    if rows.organisations:
        files["organisations.csv"] = _csv(
            ["name", "name_fa", "country", "website", "ecosoc_status"],
            [
                [_cell(o.name), _cell(o.name_fa), o.country, _cell(o.website), o.ecosoc_status]
                for o in rows.organisations
            ],
        )
    return files


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _manifest_lines(files: dict[str, bytes]) -> bytes:
    return "".join(f"{_sha256(data)}  {name}\n" for name, data in sorted(files.items())).encode(
        "ascii"
    )


# ---------------------------------------------------------------------------- the PDF


def _chart(by_day: list[tuple[date, int]]) -> str:
    """Signatures per day as SVG bars, one per calendar day from the first to the last; no
    text in the SVG (the table beside it carries the numbers)."""
    if not by_day:
        return ""
    first, last = by_day[0][0], by_day[-1][0]
    span = (last - first).days + 1
    counts = dict(by_day)
    top = max(counts.values())
    width, height = 480.0, 120.0
    step = width / span
    bars = []
    for i in range(span):
        n = counts.get(date.fromordinal(first.toordinal() + i), 0)
        if n:
            h = height * n / top
            bars.append(
                f'<rect x="{i * step:.2f}" y="{height - h:.2f}" '
                f'width="{max(step * 0.8, 0.6):.2f}" height="{h:.2f}" fill="#2f5d8a"/>'
            )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height + 1:.0f}" '
        f'viewBox="0 0 {width:.0f} {height + 1:.0f}" role="img">'
        f'<line x1="0" y1="{height + 0.5}" x2="{width:.0f}" y2="{height + 0.5}" '
        f'stroke="#555b63" stroke-width="1"/>{"".join(bars)}</svg>'
    )


def signatory_line(number: int, signatory: Signatory) -> str:
    """One signature as a line of the PDF: ``12. name — city, IR, 2026-03-01``. The name and
    the city are isolated runs (a Persian name reads right to left inside its place)."""
    from dadkhah.campaign.delivery_pdf import display_text

    parts = [display_text(signatory.name), " — "]
    if signatory.city:
        parts += [display_text(signatory.city), ", "]
    parts.append(signatory.country)
    if signatory.signed is not None:
        parts.append(", " + signatory.signed.isoformat())
    return f"{number}. " + "".join(parts)


def _pdf(
    campaign: Campaign,
    rows: Rows,
    content_hash: str,
    *,
    chunk: int | None = None,
    workers: int | None = None,
) -> bytes:
    """The cover and the signatories in chunks of ``chunk`` names (one WeasyPrint document
    each, rendered by ``workers`` processes), joined, with every page's footer stamped."""
    from dadkhah.campaign import delivery_pdf
    from dadkhah.campaign.signing import country_name
    from dadkhah.counting.pdf import find_fonts, print_css

    chunk = delivery_pdf.CHUNK if chunk is None else chunk
    workers = delivery_pdf.default_workers() if workers is None else workers
    if chunk < 1:
        raise DeliveryError(f"chunk must be a positive number of names, not {chunk}")
    texts = {t.language: t for t in campaign.texts.all()}
    main = texts.get(campaign.default_language) or next(iter(texts.values()), None)
    persian = texts.get("fa") if main is None or main.language != "fa" else None
    countries = [
        (code, country_name(code, "en"), country_name(code, "fa"), n) for code, n in rows.by_country
    ]
    css = print_css(find_fonts())
    documents = [
        render_to_string(
            "campaign/delivery/package.html",
            {
                "c": campaign,
                "main": main,
                "persian": persian,
                "rows": rows,
                "total": len(rows.signatories),
                "countries": countries,
                "chart": _chart(rows.by_day),
                "hash": content_hash,
                "css": css,
                "opens": _utc_day(campaign.opens_at),
                "closes": _utc_day(campaign.closes_at),
            },
        )
    ]
    title = main.title if main else campaign.slug
    total = len(rows.signatories)
    step = delivery_pdf.LINES_PER_BLOCK
    for first in range(0, max(total, 1), chunk):
        lines = [
            signatory_line(first + i + 1, s)
            for i, s in enumerate(rows.signatories[first : first + chunk])
        ]
        blocks = ["\n".join(lines[i : i + step]) for i in range(0, len(lines), step)]
        documents.append(
            render_to_string(
                "campaign/delivery/signatories.html",
                {
                    "c": campaign,
                    "title": title,
                    "hash": content_hash,
                    "css": css,
                    "heading": first == 0,
                    "blocks": blocks,
                    "first": first + 1,
                    "last": first + len(lines),
                },
            )
        )
    parts = delivery_pdf.render_documents(documents, workers)
    return delivery_pdf.join_and_stamp(parts, content_hash)


# ---------------------------------------------------------------------------- package


def log_delivery(
    campaign: Campaign,
    *,
    actor: str,
    requester: str,
    counts: dict[str, int],
    content_hash: str,
    manifest_sha256: str,
    on_entry: Callable[[int], None] | None = None,
) -> int:
    """Append a ``campaign-delivery`` entry to the custody ledger, sign a checkpoint over
    it, and return the entry's ``seq``. ``on_entry(seq)`` runs in the entry's transaction
    (what it writes is committed with the entry, or not at all)."""
    from dadkhah.vault import ledger

    details = {
        "requester": requester,
        "campaign": campaign.slug,
        "kind": campaign.kind,
        "synthetic": campaign.is_synthetic,
        "counts": counts,
        "content_hash": content_hash,
        "manifest": manifest_sha256,
    }
    with transaction.atomic():
        entry = ledger.append(
            "campaign-delivery",
            actor,
            f"delivery package of {campaign.slug} for {requester}",
            "",
            details,
        )
        if on_entry is not None:
            on_entry(int(entry.seq))
    ledger.checkpoint()
    return int(entry.seq)


@dataclass(frozen=True)
class Built:
    """A package's files, made in memory and not yet logged."""

    campaign: str
    files: dict[str, bytes]  # name → bytes, every file including the manifests
    counts: dict[str, int]
    countries: dict[str, int]
    content_hash: str
    manifest_sha256: str


def check_request(campaign: Campaign, actor: str, requester: str) -> tuple[str, str]:
    """``(actor, requester)`` stripped; raises DeliveryError when a package cannot be made."""
    actor, requester = actor.strip(), requester.strip()
    if not actor:
        raise DeliveryError("name who makes the package (--actor)")
    if not requester:
        raise DeliveryError("name for whom the package is made (--requester)")
    if not campaign.is_public():
        raise DeliveryError(
            f"campaign {campaign.slug} is {campaign.get_state_display().lower()}: only a "
            "published or closed campaign has signatures to deliver"
        )
    return actor, requester


def build_files(
    campaign: Campaign, *, chunk: int | None = None, workers: int | None = None
) -> Built:
    """Every file of the package of ``campaign``, in memory (``chunk``, ``workers``: see
    :func:`_pdf`). Writes nothing and logs nothing."""
    rows = package_rows(campaign)
    files = _data_files(rows)
    content_hash = "sha256:" + _sha256(_manifest_lines(files))
    files["package.pdf"] = _pdf(campaign, rows, content_hash, chunk=chunk, workers=workers)
    counts = {
        "signatures": len(rows.signatories),
        "anonymous": rows.anonymous,
        "removed": rows.removed,
        "organisations": len(rows.organisations),
        "countries": len(rows.by_country),
    }
    text = campaign.text(campaign.default_language)
    manifest = {
        "campaign": campaign.slug,
        "kind": campaign.kind,
        "title": text.title if text else "",
        "target": campaign.target_label,
        "opens_at": campaign.opens_at.astimezone(UTC).isoformat() if campaign.opens_at else None,
        "closes_at": (
            campaign.closes_at.astimezone(UTC).isoformat() if campaign.closes_at else None
        ),
        "synthetic": campaign.is_synthetic,
        "counts": counts,
        "by_country": dict(rows.by_country),
        "content_hash": content_hash,
        "content_hash_of": "the sha256sum lines of the data files (the CSV files), sorted by name",
        "encoding": "UTF-8 without byte-order mark; RFC 4180 CSV with \\n line ends",
        "files": {name: "sha256:" + _sha256(data) for name, data in sorted(files.items())},
    }
    files["manifest.json"] = (
        json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    ).encode("utf-8")
    files["MANIFEST.sha256"] = _manifest_lines(files)
    return Built(
        campaign=campaign.slug,
        files=files,
        counts=counts,
        countries=dict(rows.by_country),
        content_hash=content_hash,
        manifest_sha256="sha256:" + _sha256(files["MANIFEST.sha256"]),
    )


def make_package(
    campaign: Campaign,
    out_dir: Path,
    actor: str,
    requester: str,
    *,
    chunk: int | None = None,
    workers: int | None = None,
) -> Package:
    """Write the delivery package of ``campaign`` into ``out_dir`` (created; if it exists it
    must be empty) and record it in the custody ledger."""
    actor, requester = check_request(campaign, actor, requester)
    out_dir = Path(out_dir)
    if not out_dir.parent.is_dir():
        raise DeliveryError(f"{out_dir.parent}: no such directory")
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise DeliveryError(f"{out_dir}: exists and is not an empty directory")
    built = build_files(campaign, chunk=chunk, workers=workers)
    files, counts = built.files, built.counts
    content_hash, manifest_sha256 = built.content_hash, built.manifest_sha256
    staging = out_dir.with_name(f".{out_dir.name}.{os.getpid()}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        for name, data in files.items():
            (staging / name).write_bytes(data)
        seq = log_delivery(
            campaign,
            actor=actor,
            requester=requester,
            counts=counts,
            content_hash=content_hash,
            manifest_sha256=manifest_sha256,
        )
        if out_dir.exists():
            out_dir.rmdir()
        staging.replace(out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Package(
        directory=out_dir,
        campaign=campaign.slug,
        files={name: "sha256:" + _sha256(data) for name, data in sorted(files.items())},
        content_hash=content_hash,
        manifest_sha256=manifest_sha256,
        signatures=counts["signatures"],
        anonymous=counts["anonymous"],
        removed=counts["removed"],
        organisations=counts["organisations"],
        countries=dict(built.countries),
        ledger_seq=seq,
    )


def zip_files(campaign: str, files: dict[str, bytes]) -> bytes:
    """``files`` in a zip under ``<campaign>-delivery/`` (sorted, fixed timestamps: the same
    files give the same bytes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(f"{campaign}-delivery/{name}", ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name])
    return buffer.getvalue()


def zip_package(package: Package) -> bytes:
    """The package's files in a zip under ``<campaign>-delivery/`` (fixed timestamps)."""
    return zip_files(
        package.campaign, {name: (package.directory / name).read_bytes() for name in package.files}
    )
