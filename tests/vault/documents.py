"""Synthetic evidence files made in the tests: PDFs (with a text layer, scanned, mixed),
DOCX, HTML, text in several encodings, and photographs with EXIF. Nothing is fetched.

The scans are text drawn with the Noto fonts of fonts-noto-core (Persian shaped right to
left by Pillow's raqm layout) and saved as image-only PDFs, so that extraction must OCR them.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

NOTO = Path("/usr/share/fonts/truetype/noto")
PERSIAN_FONT = NOTO / "NotoNaskhArabic-Regular.ttf"
LATIN_FONT = NOTO / "NotoSans-Regular.ttf"

PERSIAN_LINES = ("زندان اوین در تابستان", "کمیسیون مرگ")
ENGLISH_LINES = ("Witness statement from Evin prison", "The death commission")


def normalise(text: str) -> str:
    """Arabic yeh and kaf to their Persian forms, as OCR may give either."""
    return text.replace("\u064a", "\u06cc").replace("\u0643", "\u06a9")


def text_pdf(pages: Sequence[Sequence[str]], title: str = "") -> bytes:
    """A PDF with a real text layer (Helvetica, ASCII), one list of lines per page."""
    objects: list[bytes] = [b"", b""]  # catalog and page tree, filled in below
    kids: list[int] = []
    font_number = 3
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for lines in pages:
        escaped = [
            line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") for line in lines
        ]
        content = (
            "BT /F1 14 Tf 72 720 Td 20 TL "
            + " ".join(f"({line}) Tj T*" for line in escaped)
            + " ET"
        ).encode("latin-1")
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
        content_number = len(objects)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
            b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (content_number, font_number)
        )
        kids.append(len(objects))
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(kids),
    )
    info = b""
    if title:
        objects.append(b"<< /Title (%s) /CreationDate (D:19880814093000Z) >>" % title.encode())
        info = b" /Info %d 0 R" % len(objects)
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n"
        % (len(objects) + 1, info, xref)
    )
    return out.getvalue()


def text_image(
    lines: Sequence[str], persian: bool = False, size: tuple[int, int] = (1240, 420)
) -> Image.Image:
    """Black text on white, large enough for tesseract; Persian lines right-aligned, RTL."""
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(PERSIAN_FONT if persian else LATIN_FONT), 48 if persian else 36)
    for index, line in enumerate(lines):
        y = 70 + index * 110
        if persian:
            draw.text(
                (size[0] - 80, y), line, font=font, fill="black", anchor="ra", direction="rtl"
            )
        else:
            draw.text((80, y), line, font=font, fill="black")
    return image


def scanned_pdf(pages: Sequence[Image.Image]) -> bytes:
    """An image-only PDF: no text layer at all."""
    out = io.BytesIO()
    first, *rest = pages
    first.save(out, "PDF", resolution=150, save_all=True, append_images=rest)
    return out.getvalue()


def mixed_pdf() -> bytes:
    """Page 1 has a text layer; pages 2 (Persian) and 3 (English) are scans."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for data in (
        text_pdf([["Testimony of a former prisoner", "Gohardasht prison, August 1988"]]),
        scanned_pdf([text_image(PERSIAN_LINES, persian=True), text_image(ENGLISH_LINES)]),
    ):
        for page in PdfReader(io.BytesIO(data)).pages:
            writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def docx_bytes() -> bytes:
    import docx

    document = docx.Document()
    document.core_properties.title = "Synthetic letter"
    document.core_properties.author = "Synthetic author"
    document.add_heading("Letter from a family", level=1)
    document.add_paragraph("We ask what happened to our son in the summer of 1988.")
    document.add_paragraph("پسر ما در زندان اوین بود.")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Prison"
    table.rows[0].cells[1].text = "Evin"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def html_bytes(encoding: str = "utf-8") -> bytes:
    page = f"""<!doctype html>
<html lang="fa"><head><meta charset="{encoding}"><title>گزارش یک شاهد</title>
<style>.x {{ color: red }} STYLE-SHOULD-NOT-SHOW</style>
<script>var leaked = "SCRIPT-SHOULD-NOT-SHOW";</script></head>
<body><h1>گزارش یک شاهد</h1>
<p>اعدام‌های تابستان ۱۳۶۷ در زندان اوین</p>
<p hidden>HIDDEN-SHOULD-NOT-SHOW</p>
<div><p>Second paragraph in English.</p></div>
<noscript>NOSCRIPT-SHOULD-NOT-SHOW</noscript>
</body></html>"""
    if encoding.replace("-", "").lower() in ("windows1256", "cp1256"):
        # Windows-1256 has the Arabic yeh, not the Persian one, and no Persian digits:
        # files in it write Persian that way.
        page = page.replace("\u06cc", "\u064a").translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789"))
    return page.encode(encoding)


def jpeg_with_exif(
    *,
    latitude: tuple[float, float, float] = (35, 47, 51),
    latitude_ref: str = "N",
    longitude: tuple[float, float, float] = (51, 23, 31.2),
    longitude_ref: str = "E",
    image: Image.Image | None = None,
) -> bytes:
    """A photograph with EXIF: date taken, camera make and model, GPS position."""
    picture = image if image is not None else Image.new("RGB", (640, 480), (120, 140, 160))
    exif = Image.Exif()
    exif[0x010F] = "SyntheticCam"
    exif[0x0110] = "SyntheticCam Model 7"
    exif[0x0132] = "2024:01:02 03:04:05"
    sub = exif.get_ifd(0x8769)
    sub[0x9003] = "1988:08:14 09:30:00"
    sub[0x9011] = "+03:30"
    gps = exif.get_ifd(0x8825)
    gps[1] = latitude_ref
    gps[2] = latitude
    gps[3] = longitude_ref
    gps[4] = longitude
    out = io.BytesIO()
    picture.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()
