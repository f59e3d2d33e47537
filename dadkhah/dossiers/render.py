"""A ``Dossier`` as HTML and PDF, and the whole act of making one (``make_dossier``).

HTML: one self-contained page (``templates/dossiers/dossier.html``), in English, Persian
or both, with ``lang`` and ``dir`` on every piece of text, Latin words inside Persian text
isolated in ``<bdi>``, and the figures (``dossiers.figures``) inline. It fetches nothing.

PDF: the same page printed by WeasyPrint with the local Noto fonts and the URL fetcher
that refuses the network (``counting.pdf``). Every page carries its number, the dossier's
content hash (SHA-256 of its canonical JSON) and the generation time.

``make_dossier`` assembles, renders, writes the evidence bundle of the vault items it relies
on, and records the generation in the custody ledger (who, for whom, what it contained);
the files appear only once the ledger entry is written.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string

from dadkhah.core.confidentiality import Level, parse_level
from dadkhah.dossiers.assemble import assemble, content_hash
from dadkhah.dossiers.parts import Dossier, DossierError

__all__ = ["LABELS", "Made", "make_dossier", "render_html", "render_pdf"]

LANGS = {"en": ["en"], "fa": ["fa"], "both": ["en", "fa"]}
FORMATS = ("pdf", "html")
PHOTO_LIMIT = 8 * 1024 * 1024  # larger images are listed, not embedded

LABELS: dict[str, tuple[str, str]] = {
    "perpetrator": ("Perpetrator dossier", "پروندهٔ عامل"),
    "family": ("Family file", "پروندهٔ خانواده"),
    "incident": ("Incident dossier", "پروندهٔ رویداد"),
    "prepared_for": ("Prepared for", "تهیه‌شده برای"),
    "clearance": ("Clearance", "سطح دسترسی"),
    "generated": ("Generated", "تاریخ تهیه"),
    "content_hash": ("Content hash", "چکیدهٔ محتوا"),
    "period": ("Period", "بازه"),
    "synthetic_banner": (
        "SYNTHETIC — this file contains invented records (demo); they describe no real person.",
        "ساختگی — این پرونده شامل سوابق ساختگی (نمایشی) است و هیچ شخص واقعی را توصیف نمی‌کند.",
    ),
    "how_to_read": (
        "Every statement below is a claim that cites its sources, with the reliability of "
        "each source (A–F) and the confidence of each citation. Where sources disagree, "
        "the claims are shown side by side. Protected identities appear only as pseudonyms.",
        "هر گزاره در این پرونده ادعایی است که به منابعش استناد می‌کند، با اعتبار هر منبع "
        "(الف تا و) و میزان اطمینان هر استناد. هرجا منابع اختلاف دارند، ادعاها کنار هم "
        "آمده‌اند. هویت‌های حفاظت‌شده فقط با نام مستعار آمده‌اند.",
    ),
    "missing": ("What the record does not contain", "آنچه در پرونده نیست"),
    "identity": ("Identity", "هویت"),
    "photographs": ("Photographs", "عکس‌ها"),
    "posts": ("Posts over time", "سمت‌ها در طول زمان"),
    "role": ("Role", "سمت"),
    "body": ("Body", "نهاد"),
    "from": ("From", "از"),
    "to": ("To", "تا"),
    "sources": ("Sources", "منابع"),
    "command": (
        "Command responsibility: bodies, posts, who sat with whom",
        "مسئولیت فرماندهی: نهادها، سمت‌ها، چه کسی با چه کسی",
    ),
    "events": ("Events", "رویدادها"),
    "date": ("Date", "تاریخ"),
    "event": ("Event", "رویداد"),
    "place": ("Place", "مکان"),
    "mode": ("Mode of participation", "نحوهٔ مشارکت"),
    "testimonies": (
        "Testimonies and documents that mention them",
        "شهادت‌ها و اسنادی که از آنان نام می‌برند",
    ),
    "claims": ("Every claim, with its sources", "همهٔ ادعاها، با منابعشان"),
    "property": ("Property", "ویژگی"),
    "value": ("Value", "مقدار"),
    "status": ("Status", "وضعیت"),
    "conflict": ("Sources disagree", "منابع اختلاف دارند"),
    "evidence": ("Evidence items relied on", "اقلام مدرکی مورد استناد"),
    "withheld": (
        "items are withheld at this clearance",
        "قلم در این سطح دسترسی کنار گذاشته شده است",
    ),
    "custody": ("Custody", "زنجیرهٔ نگهداری"),
    "proof": ("Inclusion proof", "اثبات شمول"),
    "not_in_bundle": (
        "Not in the bundle: it would identify a protected witness.",
        "در بستهٔ مدارک نیست: هویت شاهد حفاظت‌شده را آشکار می‌کند.",
    ),
    "bibliography": ("Sources cited", "منابع مورد استناد"),
    "reliability": ("Reliability", "اعتبار"),
    "known": ("What is known, and where it comes from", "آنچه می‌دانیم و از کجا"),
    "unknown": ("What is not known", "آنچه نمی‌دانیم"),
    "graves": ("Possible burial sites and their condition", "محل‌های احتمالی دفن و وضعیت آن‌ها"),
    "why_listed": ("Why it is listed", "چرا آمده است"),
    "contribute": (
        "How to share what you know, safely",
        "چگونه آنچه می‌دانید را با امنیت در میان بگذارید",
    ),
    "witnesses": ("Witnesses", "شاهدان"),
    "participants": ("Participants", "مشارکت‌کنندگان"),
    "victims": ("Victims known by name", "قربانیانی که نامشان معلوم است"),
    "counts": ("Counts", "شمار"),
    "named_victims": ("Victims known by name", "قربانیان با نام"),
    "map": ("Map", "نقشه"),
    "timeline": ("Timeline", "خط زمان"),
    "members": ("Members and posts", "اعضا و سمت‌ها"),
    "within": ("date within the period", "تاریخ در این بازه"),
    "overlaps": (
        "date known only roughly; it may fall within the period",
        "تاریخ تقریبی است؛ ممکن است در این بازه باشد",
    ),
    "none": ("None recorded.", "چیزی ثبت نشده است."),
    "verified": ("verified", "تأییدشده"),
    "not_verified": ("does NOT verify", "تأیید نمی‌شود"),
}

CONTRIBUTE: list[tuple[str, str]] = [
    (
        "If you know something about this person — where they were held, when they were "
        "killed, where they are buried, who saw them last — it can help other families and "
        "future trials. You decide what to share and whether your name is recorded.",
        "اگر چیزی دربارهٔ این عزیز می‌دانید — کجا زندانی بود، کی کشته شد، کجا به خاک سپرده شد، "
        "چه کسی آخرین بار او را دید — می‌تواند به خانواده‌های دیگر و به دادرسی‌های آینده کمک "
        "کند. شما تصمیم می‌گیرید چه چیزی را بگویید و آیا نامتان ثبت شود یا نه.",
    ),
    (
        "Share it through the person or organisation that gave you this file, in person if "
        "you can. Do not send it from a phone, computer or account that may be watched, and "
        "do not post it on social media.",
        "آن را از طریق همان فرد یا سازمانی که این پرونده را به شما داد، و اگر می‌شود حضوری، "
        "در میان بگذارید. از تلفن، رایانه یا حسابی که ممکن است زیر نظر باشد نفرستید و در "
        "شبکه‌های اجتماعی منتشر نکنید.",
    ),
    (
        "Keep copies of documents, photographs and letters; do not send the only copy. A "
        "photograph of a document is enough to start. Every item is kept with its hash and "
        "a record of who handled it.",
        "از اسناد، عکس‌ها و نامه‌ها نسخه نگه دارید و تنها نسخه را نفرستید. عکسی از یک سند "
        "برای شروع کافی است. هر مدرک با چکیدهٔ رمزنگاری و سابقهٔ کسانی که به آن دست زده‌اند "
        "نگهداری می‌شود.",
    ),
    (
        "You may ask that what you tell us stay confidential. Witnesses whose safety is at "
        "risk appear in every document only under a pseudonym.",
        "می‌توانید بخواهید آنچه می‌گویید محرمانه بماند. شاهدانی که امنیتشان در خطر است در "
        "همهٔ اسناد فقط با نام مستعار می‌آیند.",
    ),
]


def _langs(lang: str) -> list[str]:
    try:
        return LANGS[lang]
    except KeyError:
        raise DossierError(f"unknown language {lang!r}; use en, fa or both") from None


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _figures(dossier: Dossier, langs: list[str]) -> dict[str, str]:
    """The figures' markup (``dossiers.figures``), in the document's first language."""
    from dadkhah.dossiers import figures, graph

    lang = langs[0]
    spans: list[Any] = []
    for post in dossier.posts:
        start = _day(post.start.start) if post.start else None
        end = _day(post.end.end) if post.end else None
        approximate = bool(
            (post.start and post.start.approximate) or (post.end and post.end.approximate)
        )
        spans.append(
            figures.Span(
                post.role or post.body.label,
                post.body.label_fa or post.body.label,
                post.body.label,
                start,
                end,
                approximate,
                "post",
            )
        )
    for event in dossier.events:
        if event.date is None:
            continue
        spans.append(
            figures.Span(
                event.ref.label,
                event.ref.label_fa or event.ref.label,
                event.type_label,
                _day(event.date.start),
                _day(event.date.end),
                event.date.approximate,
                "event",
            )
        )
    points = [
        figures.Point(
            p.ref.label,
            p.ref.label_fa or p.ref.label,
            p.lat,
            p.lon,
            p.type_label,
            "; ".join(p.statuses),
        )
        for p in (dossier.graves or dossier.places)
    ]
    seats = [
        figures.Seat(
            s.person.label,
            s.person.label_fa or s.person.label,
            s.body.label,
            s.body.label_fa or s.body.label,
            s.role,
            _day(s.start),
            _day(s.end),
            s.focus,
        )
        for s in dossier.seats
    ]
    return {
        "timeline": figures.timeline(spans, lang) if spans else "",
        "map": figures.place_map(points, lang) if points else "",
        "command": graph.command_graph(seats, lang) if seats else "",
    }


def _photos(dossier: Dossier) -> list[dict[str, str]]:
    """The photographs as ``data:`` URIs read from the vault (none fetched from elsewhere)."""
    if not dossier.photographs:
        return []
    from dadkhah.vault.models import Item
    from dadkhah.vault.verify import original_opener

    opener = original_opener()
    out = []
    for item in Item.objects.filter(uid__in=dossier.photographs).order_by("uid"):
        if item.size > PHOTO_LIMIT:
            continue
        with opener(item.hex, item.encrypted) as stream:
            data = stream.read()
        uri = f"data:{item.mime};base64,{base64.b64encode(data).decode('ascii')}"
        out.append({"uid": item.uid, "uri": uri, "sha256": item.sha256})
    return out


def _context(dossier: Dossier, langs: list[str], generated: datetime, pdf: bool) -> dict[str, Any]:
    numbers = {s.key: i for i, s in enumerate(dossier.sources, start=1)}
    return {
        "d": dossier,
        "langs": langs,
        "both": len(langs) == 2,
        "fa_only": langs == ["fa"],
        "labels": LABELS,
        "numbers": numbers,
        "hash": content_hash(dossier),
        "generated": generated.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "figures": _figures(dossier, langs),
        "photos": _photos(dossier),
        "contribute": CONTRIBUTE,
        "pdf": pdf,
        "css": _css(pdf),
        "doc_lang": "fa" if langs == ["fa"] else "en",
        "doc_dir": "rtl" if langs == ["fa"] else "ltr",
    }


def _css(pdf: bool) -> str:
    css = (Path(__file__).parent / "static" / "dossiers" / "dossier.css").read_text("utf-8")
    if not pdf:
        return css
    from dadkhah.counting.pdf import find_fonts, print_css

    return print_css(find_fonts()) + "\n" + css


def render_html(
    dossier: Dossier, lang: str = "both", generated: datetime | None = None, *, pdf: bool = False
) -> str:
    """The dossier as one self-contained HTML page."""
    generated = generated or datetime.now(UTC)
    return render_to_string(
        "dossiers/dossier.html", _context(dossier, _langs(lang), generated, pdf)
    )


def render_pdf(dossier: Dossier, lang: str = "both", generated: datetime | None = None) -> bytes:
    """The dossier as PDF bytes (WeasyPrint, local Noto fonts, nothing fetched)."""
    from dadkhah.counting.pdf import find_fonts
    from dadkhah.counting.pdf import render_pdf as print_pdf

    document = render_html(dossier, lang, generated, pdf=True)
    return print_pdf(document, find_fonts())


@dataclass(frozen=True)
class Made:
    """What ``make_dossier`` wrote and logged."""

    path: Path
    fmt: str
    kind: str
    subject: str
    sha256: str
    content_hash: str
    claims: int
    items: list[str]
    withheld: int
    bundle: Path | None
    ledger_seq: int
    missing: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "dossier": str(self.path),
            "format": self.fmt,
            "kind": self.kind,
            "subject": self.subject,
            "sha256": self.sha256,
            "content_hash": self.content_hash,
            "claims": self.claims,
            "items": self.items,
            "withheld": self.withheld,
            "bundle": str(self.bundle) if self.bundle else None,
            "ledger_seq": self.ledger_seq,
            "missing": self.missing,
        }


def _private_temp(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.partial")


def make_dossier(
    record_kind: str,
    uid: str,
    *,
    fmt: str,
    out: Path,
    clearance: Level,
    actor: str,
    requester: str = "",
    lang: str = "both",
    kind: str | None = None,
    date_from: str = "",
    date_to: str = "",
    bundle: Path | None = None,
    with_bundle: bool = True,
) -> Made:
    """Assemble, render and write a dossier (and its evidence bundle), and log it.

    Nothing is left behind when any step fails: files are written under temporary names
    and moved into place only after the ledger entry is written.
    """
    from dadkhah.dossiers.evidence import EvidenceEntry, log_generation, write_evidence_bundle

    if fmt not in FORMATS:
        raise DossierError(f"unknown format {fmt!r}; use pdf or html")
    _langs(lang)
    out = Path(out)
    if not out.parent.is_dir():
        raise DossierError(f"{out.parent}: no such directory")
    dossier = assemble(
        record_kind,
        uid,
        clearance,
        kind=kind,
        date_from=date_from,
        date_to=date_to,
        requester=requester,
    )
    generated = datetime.now(UTC)
    data = (
        render_pdf(dossier, lang, generated)
        if fmt == "pdf"
        else render_html(dossier, lang, generated).encode("utf-8")
    )
    bundled = [e for e in dossier.evidence if e.in_bundle]
    bundle_path = None
    if with_bundle and bundled:
        bundle_path = Path(bundle) if bundle else out.with_name(out.stem + ".evidence.zip")
        if not bundle_path.parent.is_dir():
            raise DossierError(f"{bundle_path.parent}: no such directory")
    tmp_out, tmp_bundle = _private_temp(out), _private_temp(bundle_path) if bundle_path else None
    try:
        tmp_out.write_bytes(data)
        if bundle_path is not None and tmp_bundle is not None:
            write_evidence_bundle(
                [
                    EvidenceEntry(
                        e.item_uid,
                        e.name,
                        e.sha256,
                        e.mime,
                        e.size,
                        parse_level(e.level),
                        e.sources,
                    )
                    for e in bundled
                ],
                tmp_bundle,
                actor,
                f"evidence bundle of the {dossier.kind} dossier on {dossier.subject.uid}"
                + (f" for {dossier.requester}" if dossier.requester else ""),
            )
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        seq = log_generation(
            actor=actor,
            requester=dossier.requester or actor,
            kind=dossier.kind,
            subject=dossier.subject.uid,
            fmt=fmt,
            output_sha256=digest,
            content_hash=content_hash(dossier),
            items=[e.item_uid for e in dossier.evidence],
            claims=dossier.claim_count,
            level=clearance,
        )
        tmp_out.replace(out)
        if bundle_path is not None and tmp_bundle is not None:
            tmp_bundle.replace(bundle_path)
    finally:
        tmp_out.unlink(missing_ok=True)
        if tmp_bundle is not None:
            tmp_bundle.unlink(missing_ok=True)
    return Made(
        path=out,
        fmt=fmt,
        kind=dossier.kind,
        subject=dossier.subject.uid,
        sha256=digest,
        content_hash=content_hash(dossier),
        claims=dossier.claim_count,
        items=[e.item_uid for e in dossier.evidence],
        withheld=dossier.evidence_withheld,
        bundle=bundle_path,
        ledger_seq=seq,
        missing=[n.en for n in dossier.missing],
    )
