"""Extraction on synthetic files made here: text layers, real OCR in Persian and English,
DOCX, HTML, encodings, EXIF, thumbnails, and files that cannot be read."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from dadkhah.vault import extract
from dadkhah.vault.extract import DOCX_MIME, ExtractionError
from tests.conftest import require_tool
from tests.vault import documents
from tests.vault.documents import normalise


@pytest.fixture(scope="module")
def tesseract() -> str:
    return require_tool("tesseract")


def test_pdf_reads_the_text_layer_and_ocrs_the_scanned_pages(tesseract):
    seen: list[tuple[int, int]] = []
    result = extract.extract(
        documents.mixed_pdf(), "application/pdf", progress=lambda d, t: seen.append((d, t))
    )
    assert [p.number for p in result.pages] == [1, 2, 3]
    assert [p.method for p in result.pages] == ["text-layer", "ocr", "ocr"]
    assert result.pages[0].text == "Testimony of a former prisoner\nGohardasht prison, August 1988"
    persian = normalise(result.pages[1].text)
    for word in ("زندان", "اوین", "تابستان", "کمیسیون"):
        assert word in persian
    assert "Witness statement" in result.pages[2].text
    assert "death commission" in result.pages[2].text
    assert [p.language for p in result.pages] == ["en", "fa", "en"]
    assert seen == [(1, 3), (2, 3), (3, 3)]
    assert result.metadata["pages"] == 3
    kinds = {d.kind: d for d in result.derivatives}
    assert set(kinds) == {"text", "ocr", "thumbnail"}
    assert (
        "Gohardasht" in kinds["text"].data.decode() and "زندان" not in kinds["text"].data.decode()
    )
    assert "Witness statement" in kinds["ocr"].data.decode()
    thumb = Image.open(io.BytesIO(kinds["thumbnail"].data))
    assert thumb.format == "PNG" and max(thumb.size) == extract.THUMBNAIL_PX


def test_rotated_and_coarse_scans_are_read_too(tesseract):
    """A page turned a quarter (read from its own pixels, turned back) and a 72 dpi scan
    (rendered at 300 dpi for tesseract)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(
        io.BytesIO(documents.scanned_pdf([documents.text_image(documents.ENGLISH_LINES)]))
    ).pages:
        page.rotate(90)
        writer.add_page(page)
    coarse = io.BytesIO()
    documents.text_image(documents.ENGLISH_LINES).save(coarse, "PDF", resolution=72)
    for page in PdfReader(coarse).pages:
        writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    result = extract.extract(out.getvalue(), "application/pdf")
    for page in result.pages:
        assert page.method == "ocr"
        assert page.text.split("\n\n") == list(documents.ENGLISH_LINES)


def test_pdf_metadata_from_the_info_dictionary():
    result = extract.extract(
        documents.text_pdf([["One page"]], title="Synthetic report"), "application/pdf"
    )
    assert result.metadata["title"] == "Synthetic report"
    assert result.metadata["created"] == "1988-08-14T09:30:00Z"
    assert [(p.text, p.method) for p in result.pages] == [("One page", "text-layer")]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"hello, not a PDF", "no %PDF- header"),
        (b"%PDF-1.4\n1 0 obj << /Type /Catalog", "corrupt PDF"),
        (documents.text_pdf([["cut short"]])[:160], "corrupt PDF"),
    ],
)
def test_an_unreadable_pdf_raises_with_the_reason(data, reason):
    with pytest.raises(ExtractionError, match=reason):
        extract.extract(data, "application/pdf")


def test_a_password_protected_pdf_says_so():
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(documents.text_pdf([["secret"]]))).pages:
        writer.add_page(page)
    writer.encrypt("a password")
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(ExtractionError, match="encrypted with a password"):
        extract.extract(out.getvalue(), "application/pdf")


def test_docx_paragraphs_tables_and_properties():
    result = extract.extract(documents.docx_bytes(), DOCX_MIME)
    (page,) = result.pages
    assert page.method == "docx"
    lines = page.text.split("\n")
    assert "We ask what happened to our son in the summer of 1988." in lines
    assert "پسر ما در زندان اوین بود." in lines
    assert "Prison | Evin" in lines
    assert result.metadata["title"] == "Synthetic letter"
    assert result.metadata["author"] == "Synthetic author"
    # A DOCX that libmagic calls a zip is still read, by its name.
    assert extract.kind_of("application/zip", "letter.docx") == "docx"


def test_docx_that_is_not_a_zip_fails_clearly():
    with pytest.raises(ExtractionError, match="corrupt DOCX"):
        extract.extract(b"PK\x03\x04 not really", DOCX_MIME)


@pytest.mark.parametrize("encoding", ["utf-8", "windows-1256"])
def test_html_visible_text_and_title(encoding):
    result = extract.extract(documents.html_bytes(encoding), "text/html")
    (page,) = result.pages
    text = normalise(page.text)
    assert page.method == "html"
    assert page.language == "fa"
    assert "گزارش یک شاهد" in text
    assert "زندان اوین" in text
    assert "Second paragraph in English." in page.text.split("\n")
    for hidden in ("SCRIPT", "STYLE", "HIDDEN", "NOSCRIPT"):
        assert f"{hidden}-SHOULD-NOT-SHOW" not in page.text
    assert normalise(result.metadata["title"]) == "گزارش یک شاهد"
    assert result.metadata["encoding"] == encoding


PERSIAN = "نامه‌ای از زندان گوهردشت، مرداد ۱۳۶۷"
# What a Windows-1256 file holds: the Arabic yeh and Western digits.
PERSIAN_1256 = PERSIAN.replace("ی", "ي").replace("۱۳۶۷", "1367")


@pytest.mark.parametrize(
    ("data", "text", "encoding"),
    [
        (PERSIAN.encode("utf-8"), PERSIAN, "utf-8"),
        (b"\xef\xbb\xbf" + PERSIAN.encode("utf-8"), PERSIAN, "utf-8-sig"),
        (PERSIAN.encode("utf-16"), PERSIAN, "utf-16"),  # with its byte-order mark
        (b"\xfe\xff" + PERSIAN.encode("utf-16-be"), PERSIAN, "utf-16"),
        (PERSIAN.encode("utf-16-le"), PERSIAN, "utf-16-le"),  # no byte-order mark
        (PERSIAN_1256.encode("cp1256"), PERSIAN_1256, "cp1256"),
        ("Café déjà vu, Zürich".encode("cp1252"), "Café déjà vu, Zürich", "cp1252"),
    ],
)
def test_plain_text_encodings_are_detected(data, text, encoding):
    assert extract.decode_text(data) == (text, encoding)
    result = extract.extract(data, "text/plain")
    assert result.pages[0].text == text
    assert result.pages[0].method == "plain"
    assert result.metadata["encoding"] == encoding


def test_photograph_exif_date_camera_and_gps_in_decimal_degrees(tesseract):
    result = extract.extract(documents.jpeg_with_exif(), "image/jpeg")
    assert result.metadata["taken"] == "1988-08-14T09:30:00+03:30"
    assert result.metadata["camera"] == "SyntheticCam Model 7"
    # 35° 47' 51" N, 51° 23' 31.2" E
    assert result.metadata["gps"] == {"latitude": 35.7975, "longitude": 51.392}
    assert result.pages == []  # a photograph without writing: no OCR noise is kept
    thumb = Image.open(io.BytesIO(result.derivatives[0].data))
    assert result.derivatives[0].kind == "thumbnail" and thumb.size == (480, 360)


def test_southern_and_western_positions_are_negative(tesseract):
    data = documents.jpeg_with_exif(
        latitude=(33, 51, 0), latitude_ref="S", longitude=(151, 12, 36), longitude_ref="W"
    )
    gps = extract.extract(data, "image/jpeg").metadata["gps"]
    assert gps == {"latitude": pytest.approx(-33.85), "longitude": pytest.approx(-151.21)}


def test_an_image_of_writing_is_ocred(tesseract):
    picture = documents.text_image(documents.PERSIAN_LINES, persian=True)
    out = io.BytesIO()
    picture.save(out, "PNG")
    result = extract.extract(out.getvalue(), "image/png")
    (page,) = result.pages
    assert page.method == "image-ocr"
    assert page.language == "fa"
    assert "زندان" in normalise(page.text) and "کمیسیون" in normalise(page.text)
    assert {d.kind for d in result.derivatives} == {"ocr", "thumbnail"}


def test_a_corrupt_image_raises():
    with pytest.raises(ExtractionError, match="corrupt image"):
        extract.extract(b"\xff\xd8\xff\xe0 broken jpeg", "image/jpeg")


def test_language_detection_is_seeded_and_script_aware():
    english = "The prisoners were taken before the commission and asked about their beliefs."
    assert {extract.detect_language(english) for _ in range(5)} == {"en"}
    assert extract.detect_language("زندانیان را به کمیسیون بردند و از عقایدشان پرسیدند") == "fa"
    assert extract.detect_language("اوین") == "fa"  # too short for statistics: the script decides
    assert extract.detect_language("1367/05/23") == ""
    assert extract.detect_language("") == ""


def test_unsupported_types_give_nothing_and_say_why():
    result = extract.extract(b"\x00\x01", "application/x-executable")
    assert result.pages == [] and result.derivatives == []
    assert result.metadata == {"unsupported": "application/x-executable"}


def test_presentation_forms_become_letters():
    # What some PDF text layers give for Persian: isolated and final forms.
    assert extract.clean("\ufedf\ufe8e\ufee1") == "لام"
