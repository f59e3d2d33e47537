"""The delivery package's PDF, fast at 100,000 signatures.

WeasyPrint lays out every line through Pango, so the cost is in the number of boxes and
lines, not in the bytes. The PDF is made in parts:

- the *cover* (texts, target, totals, chart, organisations): one WeasyPrint document from
  ``campaign/delivery/package.html``;
- the *signatories*: one line of text per signature (``12. name — city, IR, 2026-03-01``),
  ten lines to a block with ``white-space: pre-wrap`` (no per-name element, no table cell,
  no CSS columns), :data:`CHUNK` signatures to a WeasyPrint document
  (``campaign/delivery/signatories.html``). The name and the city are each wrapped in
  Unicode isolates (FSI … PDI), so a Persian name is shaped and laid out right to left
  while the line keeps its order. Chunks are rendered by up to ``workers`` processes;
- the parts are joined with pypdf, then every page is stamped with the footer
  ``Content sha256:… · page N / M`` in one embedded subset of Noto Sans (made once with
  fontTools), so numbering runs on across the parts and the hash is the same on every
  page.

The same input gives the same bytes: nothing depends on the time, the number of workers
or the order in which the workers finish. No Django import at module level: the worker
processes import this module and WeasyPrint only.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from multiprocessing import get_context

__all__ = [
    "CHUNK",
    "LINES_PER_BLOCK",
    "FooterFont",
    "default_workers",
    "display_text",
    "footer_font",
    "join_and_stamp",
    "render_documents",
]

CHUNK = 2000  # signatures per WeasyPrint document
LINES_PER_BLOCK = 10  # lines of text per block element
FSI, PDI = "\u2068", "\u2069"
# Bidirectional controls and line breaks in a signer's text would escape its isolate or
# break the line: shown as nothing (controls) or a space (breaks). The CSV keeps them.
_CONTROLS = {cp: None for cp in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F)}
_CONTROLS.update({cp: " " for cp in (*range(0x00, 0x20), 0x7F, 0x85, 0x2028, 0x2029)})

FOOTER_SIZE = 6.5  # pt
FOOTER_RGB = "0.333 0.357 0.388"  # #555b63
FOOTER_BASELINE = 26.0  # pt above the page's bottom edge (inside the 20 mm margin)
FOOTER_CHARS = "Content sha256:0123456789abcdef\u00b7pg/ "
FONT_NAME = "DKFOOT+NotoSans-Regular"
FONT_KEY = "/DkFooter"


def display_text(text: str) -> str:
    """``text`` as one isolated run of a line: no line breaks, no stray direction controls."""
    return FSI + text.translate(_CONTROLS) + PDI


def default_workers() -> int:
    """Processes for the chunks: the machine's cores, at most 2."""
    return max(1, min(2, os.cpu_count() or 1))


# ---------------------------------------------------------------------------- rendering


def _render_one(document: str) -> bytes:
    from dadkhah.counting.pdf import render_pdf

    return render_pdf(document, _faces())


@lru_cache(maxsize=1)
def _faces() -> list:  # type: ignore[type-arg]
    from dadkhah.counting.pdf import find_fonts

    return find_fonts()


def render_documents(documents: Sequence[str], workers: int = 1) -> list[bytes]:
    """Each HTML document as PDF bytes, in order; several at once when ``workers`` > 1."""
    if workers <= 1 or len(documents) <= 1:
        return [_render_one(d) for d in documents]
    # spawn, not fork: the caller may be a threaded task consumer holding database handles.
    with ProcessPoolExecutor(
        max_workers=min(workers, len(documents)), mp_context=get_context("spawn")
    ) as pool:
        return list(pool.map(_render_one, documents))


# ---------------------------------------------------------------------------- the footer


@dataclass(frozen=True)
class FooterFont:
    """A subset of Noto Sans holding the footer's characters, as a simple TrueType font
    with WinAnsi encoding (the footer's characters are all in it)."""

    data: bytes  # the subset font file
    widths: dict[str, int]  # character → advance in 1/1000 em
    bbox: tuple[int, int, int, int]
    ascent: int
    descent: int
    cap_height: int

    def width(self, text: str, size: float) -> float:
        return sum(self.widths[ch] for ch in text) * size / 1000.0


@lru_cache(maxsize=1)
def footer_font() -> FooterFont:
    from fontTools import subset  # type: ignore[import-untyped]
    from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

    from dadkhah.counting.pdf import find_fonts

    path = next(f.path for f in find_fonts() if f.family == "Noto Sans" and f.weight == 400)
    font = TTFont(str(path), recalcTimestamp=False)
    options = subset.Options()
    options.layout_features = []
    options.hinting = False
    options.notdef_outline = True
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6]
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=FOOTER_CHARS)
    subsetter.subset(font)
    scale = 1000.0 / font["head"].unitsPerEm
    cmap = font.getBestCmap()
    widths = {ch: round(font["hmtx"][cmap[ord(ch)]][0] * scale) for ch in FOOTER_CHARS}
    head, os2 = font["head"], font["OS/2"]
    out = io.BytesIO()
    font.save(out)
    return FooterFont(
        data=out.getvalue(),
        widths=widths,
        bbox=(
            round(head.xMin * scale),
            round(head.yMin * scale),
            round(head.xMax * scale),
            round(head.yMax * scale),
        ),
        ascent=round(os2.sTypoAscender * scale),
        descent=round(os2.sTypoDescender * scale),
        cap_height=round(getattr(os2, "sCapHeight", 714) * scale),
    )


def _font_object(writer: object, font: FooterFont) -> object:
    from pypdf import PdfWriter
    from pypdf.generic import (
        ArrayObject,
        DictionaryObject,
        NameObject,
        NumberObject,
        StreamObject,
    )

    assert isinstance(writer, PdfWriter)
    file_stream = StreamObject()
    file_stream.set_data(font.data)
    file_stream[NameObject("/Length1")] = NumberObject(len(font.data))
    file_stream = file_stream.flate_encode()
    descriptor = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/FontDescriptor"),
            NameObject("/FontName"): NameObject("/" + FONT_NAME),
            NameObject("/Flags"): NumberObject(32),
            NameObject("/FontBBox"): ArrayObject(NumberObject(v) for v in font.bbox),
            NameObject("/ItalicAngle"): NumberObject(0),
            NameObject("/Ascent"): NumberObject(font.ascent),
            NameObject("/Descent"): NumberObject(font.descent),
            NameObject("/CapHeight"): NumberObject(font.cap_height),
            NameObject("/StemV"): NumberObject(80),
            NameObject("/FontFile2"): writer._add_object(file_stream),
        }
    )
    first, last = 32, 0xB7
    widths = [0] * (last - first + 1)
    for ch, w in font.widths.items():
        widths[ch.encode("cp1252")[0] - first] = w
    return writer._add_object(
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/TrueType"),
                NameObject("/BaseFont"): NameObject("/" + FONT_NAME),
                NameObject("/FirstChar"): NumberObject(first),
                NameObject("/LastChar"): NumberObject(last),
                NameObject("/Widths"): ArrayObject(NumberObject(w) for w in widths),
                NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
                NameObject("/FontDescriptor"): writer._add_object(descriptor),
            }
        )
    )


def footer_text(content_hash: str, number: int, total: int) -> str:
    return f"Content {content_hash} \u00b7 page {number} / {total}"


def join_and_stamp(
    parts: Sequence[bytes],
    content_hash: str,
    footer: Callable[[str, int, int], str] = footer_text,
) -> bytes:
    """Join the PDFs ``parts`` in order and stamp every page's footer (``footer(hash, N,
    M)``, centred at the bottom): page numbers run on across the parts."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, StreamObject

    font = footer_font()
    writer = PdfWriter()
    for part in parts:
        writer.append(PdfReader(io.BytesIO(part)))
    font_ref = _font_object(writer, font)
    save = StreamObject()
    save.set_data(b"q\n")
    save_ref = writer._add_object(save)
    total = len(writer.pages)
    for number, page in enumerate(writer.pages, start=1):
        text = footer(content_hash, number, total)
        width = float(page.mediabox.width)
        x = float(page.mediabox.left) + (width - font.width(text, FOOTER_SIZE)) / 2
        y = float(page.mediabox.bottom) + FOOTER_BASELINE
        literal = text.encode("cp1252").replace(b"\\", b"\\\\")
        literal = literal.replace(b"(", b"\\(").replace(b")", b"\\)")
        stamp = StreamObject()
        stamp.set_data(
            b"\nQ\nq %s rg BT %s %.1f Tf %.2f %.2f Td (%s) Tj ET Q\n"
            % (FOOTER_RGB.encode(), FONT_KEY.encode(), FOOTER_SIZE, x, y, literal)
        )
        contents = page.get(NameObject("/Contents"))
        streams = ArrayObject([save_ref])
        if contents is not None:
            inner = contents.get_object()
            streams.extend(inner if isinstance(inner, ArrayObject) else [contents])
        streams.append(writer._add_object(stamp))
        page[NameObject("/Contents")] = streams
        resources = page.get(NameObject("/Resources"))
        if resources is None:
            resources = DictionaryObject()
            page[NameObject("/Resources")] = resources
        held = resources.get_object()
        assert isinstance(held, DictionaryObject), "a page's resources are a dictionary"
        fonts = held.get(NameObject("/Font"))
        if fonts is None:
            fonts = DictionaryObject()
            held[NameObject("/Font")] = fonts
        table = fonts.get_object()
        assert isinstance(table, DictionaryObject), "a page's fonts are a dictionary"
        table[NameObject(FONT_KEY)] = font_ref
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
