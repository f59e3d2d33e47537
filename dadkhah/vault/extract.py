"""Text, metadata and thumbnails out of evidence files. Pure: no Django import.

``extract(source, mime, name)`` reads a PDF, DOCX, HTML, plain text or image and returns
an ``Extraction``: the text of each page with how it was obtained (``text-layer``,
``ocr``, ``docx``, ``html``, ``plain``, ``image-ocr``) and its language, the file's
metadata (PDF info, DOCX core properties, HTML title, EXIF date, camera and GPS as
decimal degrees) and derivatives as bytes (a thumbnail PNG for images and for the first
page of a PDF). A PDF page without a text layer is rendered with pdfium and read by
tesseract in Persian and English. A file that cannot be read raises ``ExtractionError``
with the reason; nothing here writes anywhere.
"""

from __future__ import annotations

import io
import logging
import os
import re
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from pathlib import Path
from typing import IO, Any

__all__ = [
    "OCR_LANG",
    "THUMBNAIL_PX",
    "clean",
    "Derivative",
    "Extraction",
    "ExtractionError",
    "PageText",
    "decode_text",
    "detect_language",
    "extract",
    "kind_of",
]

OCR_LANG = "fas+eng"
THUMBNAIL_PX = 480  # the longer side of a thumbnail
OCR_DPI = 300
SCAN_DPI = (145, 400)  # a scan in this range (150 dpi and up, give or take) is read as it is
OCR_MAX_PX = 3600  # the longer side of a page rendered for OCR (A4 at 300 dpi is 3508)
OCR_TIMEOUT_S = 180  # per page
IMAGE_OCR_MIN_CONFIDENCE = 45.0  # below this, an image (a photograph) is taken to hold no text
MIN_TEXT_LAYER_CHARS = 3  # fewer visible characters than this: the page is a scan

Source = bytes | Path | IO[bytes]
Progress = Callable[[int, int], None]

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
IMAGE_MIMES = {
    "image/jpeg",
    "image/png",
    "image/tiff",
    "image/gif",
    "image/webp",
    "image/bmp",
    "image/x-ms-bmp",
}
HTML_MIMES = {"text/html", "application/xhtml+xml"}

log = logging.getLogger(__name__)


class ExtractionError(Exception):
    """The file cannot be read as what its type says; the message says why."""


@dataclass(frozen=True)
class PageText:
    number: int
    text: str
    method: str
    language: str


@dataclass(frozen=True)
class Derivative:
    """A working copy made from the original: ``kind`` is text, ocr or thumbnail."""

    kind: str
    data: bytes
    mime: str


@dataclass
class Extraction:
    pages: list[PageText] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    derivatives: list[Derivative] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n\n".join(p.text for p in self.pages if p.text)

    @property
    def language(self) -> str:
        """The language of most of the text, weighted by length."""
        weights: Counter[str] = Counter()
        for page in self.pages:
            if page.language:
                weights[page.language] += len(page.text)
        return weights.most_common(1)[0][0] if weights else ""

    def text_derivatives(self) -> list[Derivative]:
        """The whole text as UTF-8, split by how it was obtained: read (text) or OCR (ocr)."""
        out: list[Derivative] = []
        read = [p for p in self.pages if p.text and p.method not in ("ocr", "image-ocr")]
        ocr = [p for p in self.pages if p.text and p.method in ("ocr", "image-ocr")]
        for kind, pages in (("text", read), ("ocr", ocr)):
            if pages:
                body = "\n\n".join(f"--- page {p.number} ---\n{p.text}" for p in pages)
                out.append(Derivative(kind, body.encode("utf-8"), "text/plain; charset=utf-8"))
        return out


# ------------------------------------------------------------------ dispatch


def kind_of(mime: str, name: str = "") -> str | None:
    """Which extractor reads this type: pdf, docx, html, text, image, or None."""
    base = mime.split(";", 1)[0].strip().lower()
    if base == "application/pdf":
        return "pdf"
    if base == DOCX_MIME:
        return "docx"
    if base in HTML_MIMES:
        return "html"
    if base in IMAGE_MIMES:
        return "image"
    if base.startswith("text/") or base in ("application/json", "application/xml"):
        return "text"
    if base in ("application/zip", "application/octet-stream") and name.lower().endswith(".docx"):
        return "docx"
    return None


def extract(
    source: Source, mime: str, name: str = "", progress: Progress | None = None
) -> Extraction:
    """Read ``source`` (bytes, a path or a binary file) as ``mime``.

    ``progress(done, total)`` is called as pages are read. An unsupported type gives an
    empty ``Extraction`` with ``metadata["unsupported"]``.
    """
    report = progress or (lambda done, total: None)
    kind = kind_of(mime, name)
    if kind is None:
        return Extraction(metadata={"unsupported": mime})
    reader = {
        "pdf": _pdf,
        "docx": _docx,
        "html": _html,
        "text": _plain,
        "image": _image,
    }[kind]
    result = reader(source, report)
    result.derivatives[:0] = result.text_derivatives()
    return result


def _read_all(source: Source) -> bytes:
    if isinstance(source, bytes):
        return source
    if isinstance(source, Path):
        return source.read_bytes()
    return source.read()


def _as_file(source: Source) -> IO[bytes]:
    if isinstance(source, bytes):
        return io.BytesIO(source)
    if isinstance(source, Path):
        return source.open("rb")
    return source


# ------------------------------------------------------------------ text clean-up and language

_PRESENTATION_FORMS = re.compile("[\ufb50-\ufdff\ufe70-\ufeff]+")
_BLANK_RUNS = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")
_ARABIC_LETTER = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff]")
_PERSIAN_ONLY = re.compile("[\u067e\u0686\u0698\u06af\u06cc\u06a9]")  # پ چ ژ گ ی ک
_LATIN_LETTER = re.compile("[A-Za-z\u00c0-\u024f]")


def clean(text: str) -> str:
    """Arabic presentation forms to letters, no NULs, at most one blank line in a row."""
    text = _PRESENTATION_FORMS.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
    text = text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return _BLANK_RUNS.sub("\n\n", text).strip()


def detect_language(text: str) -> str:
    """An ISO 639-1 code ("fa", "en", …) or "" when there is too little text to tell.

    langdetect is seeded, so the answer is the same on every run. Text in Arabic script
    with Persian letters is Persian even when langdetect leans to Arabic or Urdu, since
    the archive's documents are Persian; short text is judged by its script.
    """
    arabic = len(_ARABIC_LETTER.findall(text))
    latin = len(_LATIN_LETTER.findall(text))
    if arabic + latin < 3:
        return ""
    persian_letters = bool(_PERSIAN_ONLY.search(text))
    if arabic + latin < 20:
        if arabic >= latin:
            return "fa" if persian_letters or arabic else "ar"
        return "en"
    from langdetect import DetectorFactory, detect
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0
    try:
        code = str(detect(text))
    except LangDetectException:
        return ""
    if code in ("ar", "ur", "ps") and persian_letters:
        return "fa"
    return code.split("-", 1)[0]


def _page(number: int, text: str, method: str) -> PageText:
    text = clean(text)
    return PageText(number, text, method, detect_language(text))


# ------------------------------------------------------------------ OCR


def _ocr(image: Any) -> tuple[str, float]:
    """Tesseract on a Pillow image: the text and the mean word confidence (0-100)."""
    import pytesseract

    # Debian's tesseract is built with OpenMP, whose threads spin against each other and
    # against a second tesseract: one thread each is 4x faster here (0.6 s against 2.7 s
    # for an A4 page on 2 cores). A value set by the user is kept.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    try:
        text, tsv = pytesseract.run_and_get_multiple_output(
            image, extensions=["txt", "tsv"], lang=OCR_LANG, timeout=OCR_TIMEOUT_S
        )
    except pytesseract.TesseractNotFoundError as exc:
        raise ExtractionError("OCR needs tesseract, which is not installed") from exc
    except RuntimeError as exc:  # pytesseract's timeout
        raise ExtractionError(f"OCR gave up after {OCR_TIMEOUT_S} s: {exc}") from exc
    confidences: list[float] = []
    for line in tsv.splitlines()[1:]:
        cells = line.split("\t")
        if len(cells) == 12 and cells[11].strip():
            try:
                conf = float(cells[10])
            except ValueError:
                continue
            if conf >= 0:
                confidences.append(conf)
    mean = sum(confidences) / len(confidences) if confidences else 0.0
    return text, mean


# ------------------------------------------------------------------ PDF


def _pdf(source: Source, progress: Progress) -> Extraction:
    import pypdf
    import pypdfium2 as pdfium
    from pypdf.errors import PyPdfError

    data = _read_all(source)
    if not data:
        raise ExtractionError("not a PDF: the file is empty")
    if not data.lstrip()[:5].startswith(b"%PDF-"):
        raise ExtractionError("not a PDF: no %PDF- header")
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ExtractionError("the PDF is encrypted with a password")
        pdf_pages = list(reader.pages)
        info = reader.metadata
    except ExtractionError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        raise ExtractionError(f"corrupt PDF: {exc or type(exc).__name__}") from exc
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise ExtractionError(f"corrupt PDF: {exc}") from exc
    total = len(document)
    if total == 0:
        raise ExtractionError("corrupt PDF: it has no pages")
    metadata: dict[str, Any] = {"pages": total}
    if info is not None:
        for key, label in (("/Title", "title"), ("/Author", "author"), ("/Producer", "producer")):
            value = info.get(key)
            if value:
                metadata[label] = str(value)
        for key, label in (("/CreationDate", "created"), ("/ModDate", "modified")):
            when = _pdf_date(str(info.get(key) or ""))
            if when:
                metadata[label] = when
    pages: list[PageText] = []
    derivatives: list[Derivative] = []
    try:
        for index in range(total):
            text = ""
            if index < len(pdf_pages):
                try:
                    text = pdf_pages[index].extract_text() or ""
                except Exception as exc:  # pypdf raises many kinds on damaged content
                    log.warning("page %d: no text layer read (%s)", index + 1, exc)
            pdf_page = document[index]
            if index == 0:
                derivatives.append(_thumbnail(_render(pdf_page, THUMBNAIL_PX * 2)))
            if len(clean(text).replace("\n", "").replace(" ", "")) >= MIN_TEXT_LAYER_CHARS:
                pages.append(_page(index + 1, text, "text-layer"))
            else:
                image = _scan_image(pdf_page) or _render(pdf_page, OCR_MAX_PX, dpi=OCR_DPI)
                ocr_text, _ = _ocr(_for_ocr(image))
                pages.append(_page(index + 1, ocr_text, "ocr"))
            progress(index + 1, total)
    except pdfium.PdfiumError as exc:
        raise ExtractionError(
            f"corrupt PDF: page {len(pages) + 1} cannot be rendered ({exc})"
        ) from exc
    finally:
        document.close()
    return Extraction(pages, metadata, derivatives)


def _scan_image(pdf_page: Any) -> Any | None:
    """The scan itself, at its own resolution, when the page is one image that covers it
    at SCAN_DPI; else None, and the page is rendered. Rendering a 150 dpi scan at 300 dpi
    only blurs it, and tesseract reads the original pixels better."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    try:
        images = list(pdf_page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2))
        if len(images) != 1:
            return None
        left, bottom, right, top = images[0].get_bounds()
        width, height = pdf_page.get_size()
        if (right - left) * (top - bottom) < 0.8 * width * height:
            return None
        px_width, _ = images[0].get_px_size()
        dpi = px_width / max((right - left) / 72, 1e-6)
        if not SCAN_DPI[0] <= dpi <= SCAN_DPI[1]:
            return None
        bitmap = images[0].get_bitmap(render=True, scale_to_original=True).to_pil()
    except pdfium.PdfiumError:
        return None
    rotation = pdf_page.get_rotation()
    return bitmap.rotate(-rotation, expand=True) if rotation else bitmap


def _render(pdf_page: Any, max_px: int, dpi: int | None = None) -> Any:
    width, height = pdf_page.get_size()
    longest = max(width, height, 1.0)
    scale = max_px / longest
    if dpi is not None:
        scale = min(scale, dpi / 72)
    return pdf_page.render(scale=scale).to_pil()


_PDF_DATE = re.compile(
    r"D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?([Zz]|[+-]\d{2}'?\d{2}'?)?"
)


def _pdf_date(raw: str) -> str:
    """A PDF date (D:YYYYMMDDHHmmSS+HH'mm') as ISO 8601, or ""."""
    match = _PDF_DATE.match(raw.strip())
    if not match:
        return ""
    year, month, day, hour, minute, second, zone = match.groups()
    text = f"{year}-{month or '01'}-{day or '01'}T{hour or '00'}:{minute or '00'}:{second or '00'}"
    if zone in ("Z", "z"):
        text += "Z"
    elif zone:
        digits = zone.replace("'", "")
        text += f"{digits[:3]}:{digits[3:5]}"
    return text


# ------------------------------------------------------------------ DOCX


def _docx(source: Source, progress: Progress) -> Extraction:
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from lxml.etree import LxmlError

    try:
        document = docx.Document(_as_file(source))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, LxmlError) as exc:
        raise ExtractionError(f"corrupt DOCX: {exc or type(exc).__name__}") from exc
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            cells: list[str] = []
            for cell in row.cells:
                if cell.text not in cells:  # merged cells repeat
                    cells.append(cell.text)
            lines.append(" | ".join(cells))
    core = document.core_properties
    metadata: dict[str, Any] = {}
    for label in ("title", "author", "subject", "language"):
        value = getattr(core, label, None)
        if value:
            metadata[label] = str(value)
    for label in ("created", "modified"):
        when = getattr(core, label, None)
        if isinstance(when, datetime):
            metadata[label] = when.isoformat()
    progress(1, 1)
    return Extraction([_page(1, "\n".join(lines), "docx")], metadata, [])


# ------------------------------------------------------------------ plain text and HTML

_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# Windows-1256 letters; bytes in 0xC0-0xFF that are Arabic letters there are accented
# Latin letters in Windows-1252, so a run of them decides between the two.
_CP1256_ARABIC = re.compile("[\u0621-\u064a\u067e\u0686\u0698\u06af\u06a9\u06cc\u06be\u06c1]")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


def decode_text(data: bytes, declared: str = "") -> tuple[str, str]:
    """Bytes to text: (text, encoding). BOMs first, then ``declared``, then UTF-8, UTF-16
    without a BOM, Windows-1256 when the bytes read as Persian there, else Windows-1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return data.decode("utf-32", errors="replace"), "utf-32"
    if data.startswith(_UTF16_BOMS):
        return data.decode("utf-16", errors="replace"), "utf-16"
    if declared:
        try:
            return data.decode(declared), declared.lower()
        except (LookupError, UnicodeError):  # UnicodeError: codecs such as "undefined"
            pass
    sample = data[:4096]
    utf16 = _utf16_without_bom(sample)
    if utf16:
        return data.decode(utf16, errors="replace"), utf16
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    as_1256 = data.decode("cp1256", errors="replace")
    high = sum(1 for b in sample if b >= 0x80)
    if high and len(_CP1256_ARABIC.findall(as_1256[: len(sample)])) * 2 >= high:
        return as_1256, "cp1256"
    return data.decode("cp1252", errors="replace"), "cp1252"


# High bytes of UTF-16 code units in Latin or Persian text: ASCII and Latin-1, the Arabic
# block, general punctuation (ZWNJ), Arabic presentation forms.
_UTF16_HIGH = frozenset({0x00, 0x06, 0x20, 0xFB, 0xFC, 0xFD, 0xFE})


def _utf16_without_bom(sample: bytes) -> str | None:
    """utf-16-le or utf-16-be when nearly every code unit's high byte is a usual one."""
    sample = sample[: len(sample) - len(sample) % 2]
    if len(sample) < 8:
        return None
    for encoding, highs, lows in (
        ("utf-16-le", sample[1::2], sample[0::2]),
        ("utf-16-be", sample[0::2], sample[1::2]),
    ):
        usual = sum(1 for b in highs if b in _UTF16_HIGH)
        if usual * 10 >= len(highs) * 9 and lows.count(0) * 2 < len(lows):
            try:
                sample.decode(encoding)
            except UnicodeDecodeError:
                continue
            return encoding
    return None


def _plain(source: Source, progress: Progress) -> Extraction:
    text, encoding = decode_text(_read_all(source))
    progress(1, 1)
    return Extraction([_page(1, text, "plain")], {"encoding": encoding}, [])


_INVISIBLE_TAGS = ("script", "style", "noscript", "template", "head", "svg", "iframe", "object")
_BLOCK_TAGS = (
    "p",
    "div",
    "br",
    "li",
    "tr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "section",
    "article",
    "header",
    "footer",
    "blockquote",
    "pre",
    "table",
    "ul",
    "ol",
    "dt",
    "dd",
)


def _html(source: Source, progress: Progress) -> Extraction:
    from selectolax.lexbor import LexborHTMLParser

    data = _read_all(source)
    declared = _META_CHARSET.search(data[:2048])
    html, encoding = decode_text(data, declared.group(1).decode("ascii") if declared else "")
    tree = LexborHTMLParser(html)
    title_node = tree.css_first("title")
    title = clean(title_node.text()) if title_node is not None else ""
    lang_node = tree.css_first("html")
    declared_lang = (lang_node.attributes.get("lang") or "") if lang_node is not None else ""
    tree.strip_tags(list(_INVISIBLE_TAGS))
    for node in tree.css("[hidden], [aria-hidden=true]"):
        node.decompose()
    for tag in _BLOCK_TAGS:
        for node in tree.css(tag):
            node.insert_before("\n")
            node.insert_after("\n")
    root = tree.body or tree.root
    text = root.text(separator="") if root is not None else ""
    text = "\n".join(" ".join(line.split()) for line in text.split("\n"))
    metadata: dict[str, Any] = {"encoding": encoding}
    if title:
        metadata["title"] = title
    if declared_lang:
        metadata["declared_language"] = declared_lang
    progress(1, 1)
    return Extraction([_page(1, text, "html")], metadata, [])


# ------------------------------------------------------------------ images

_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825
_MAKE, _MODEL, _DATETIME, _ORIENTATION = 0x010F, 0x0110, 0x0132, 0x0112
_DATETIME_ORIGINAL, _OFFSET_ORIGINAL = 0x9003, 0x9011


def _image(source: Source, progress: Progress) -> Extraction:
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(_as_file(source)) as opened:
            opened.load()
            metadata = exif_metadata(opened)
            metadata["width"], metadata["height"] = opened.size
            metadata["format"] = opened.format or ""
            image = ImageOps.exif_transpose(opened)
    except Image.DecompressionBombError as exc:
        raise ExtractionError(f"image too large to open safely: {exc}") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ExtractionError(f"corrupt image: {exc}") from exc
    derivatives = [_thumbnail(image)]
    text, confidence = _ocr(_for_ocr(image))
    metadata["ocr_confidence"] = round(confidence, 1)
    pages: list[PageText] = []
    if clean(text) and confidence >= IMAGE_OCR_MIN_CONFIDENCE:
        pages.append(_page(1, text, "image-ocr"))
    progress(1, 1)
    return Extraction(pages, metadata, derivatives)


def _for_ocr(image: Any) -> Any:
    """Flatten transparency onto white and drop palettes: tesseract wants RGB or grey."""
    from PIL import Image

    if image.mode in ("RGBA", "LA", "P", "PA"):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    if image.mode not in ("RGB", "L"):
        return image.convert("RGB")
    return image


def exif_metadata(image: Any) -> dict[str, Any]:
    """Date taken, camera and GPS position (decimal degrees) from a Pillow image's EXIF."""
    exif = image.getexif()
    out: dict[str, Any] = {}
    if not exif:
        return out
    sub = exif.get_ifd(_EXIF_IFD)
    taken = sub.get(_DATETIME_ORIGINAL) or exif.get(_DATETIME)
    if taken:
        when = _exif_date(str(taken), str(sub.get(_OFFSET_ORIGINAL) or ""))
        if when:
            out["taken"] = when
    make = str(exif.get(_MAKE) or "").strip("\x00 ")
    model = str(exif.get(_MODEL) or "").strip("\x00 ")
    if make or model:
        out["camera"] = model if make and model.startswith(make) else f"{make} {model}".strip()
    gps = exif.get_ifd(_GPS_IFD)
    latitude = _degrees(gps.get(2), gps.get(1))
    longitude = _degrees(gps.get(4), gps.get(3))
    if latitude is not None and longitude is not None:
        out["gps"] = {"latitude": latitude, "longitude": longitude}
        altitude = gps.get(6)
        if altitude is not None:
            try:
                sign = -1 if gps.get(5) in (1, b"\x01") else 1
                out["gps"]["altitude_m"] = round(sign * float(altitude), 1)
            except (TypeError, ValueError, ZeroDivisionError):
                pass
    return out


def _exif_date(raw: str, offset: str) -> str:
    try:
        when = datetime.strptime(raw.strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return ""
    text = when.isoformat()
    if re.fullmatch(r"[+-]\d{2}:\d{2}", offset.strip("\x00 ")):
        text += offset.strip("\x00 ")
    return text


def _degrees(value: Any, ref: Any) -> float | None:
    """EXIF (degrees, minutes, seconds) rationals and an N/S/E/W reference to a signed float."""
    if not value or ref is None:
        return None
    try:
        parts = [Fraction(float(v)).limit_denominator(10**6) for v in value]
        if len(parts) != 3:
            return None
        degrees = float(parts[0] + parts[1] / 60 + parts[2] / 3600)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    reference = ref.decode("ascii", "replace") if isinstance(ref, bytes) else str(ref)
    if reference.strip("\x00 ").upper() in ("S", "W"):
        degrees = -degrees
    return round(degrees, 7)


def _thumbnail(image: Any) -> Derivative:
    """A PNG whose longer side is at most THUMBNAIL_PX."""
    small = _for_ocr(image).copy()
    small.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
    buffer = io.BytesIO()
    small.save(buffer, format="PNG", optimize=True)
    return Derivative("thumbnail", buffer.getvalue(), "image/png")
