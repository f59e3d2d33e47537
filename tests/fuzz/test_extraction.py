"""Arbitrary evidence files for text extraction: an ``Extraction`` or ``ExtractionError``.

Whatever the bytes and the type they claim (plain text, HTML with any declared charset,
DOCX, PDF), extraction returns pages of clean text or refuses with ``ExtractionError``
and its reason; never another exception. Seeded (``SEED``, printed) and bounded.
"""

from __future__ import annotations

import encodings.aliases
import io
import zipfile

import pytest
from hypothesis import HealthCheck, example, given, seed, settings
from hypothesis import strategies as st

from dadkhah.vault.extract import DOCX_MIME, Extraction, ExtractionError, extract

SEED = 1367
FUZZ = settings(
    max_examples=60,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
CODECS = sorted({*encodings.aliases.aliases.values(), "undefined", "rot13", "base64", "nope"})
TEXTS = st.text(max_size=200) | st.sampled_from(["سلام دنیا", "\x00\x00", "\ufeff", "a\r\nb"])


@pytest.fixture(autouse=True)
def print_seed() -> None:
    print(f"hypothesis seed {SEED}")  # noqa: T201 (the seed, to replay a failure)


def outcome(data: bytes, mime: str, name: str = "") -> Extraction | None:
    try:
        result = extract(data, mime, name)
    except ExtractionError as err:
        assert str(err).strip()
        return None
    for page in result.pages:
        assert "\x00" not in page.text
    return result


@st.composite
def html_files(draw: st.DrawFn) -> bytes:
    charset = draw(st.sampled_from(CODECS))
    body = draw(TEXTS).encode(draw(st.sampled_from(["utf-8", "utf-16", "cp1256"])), "replace")
    head = f'<html><head><meta charset="{charset}"><title>t</title></head><body><p>'.encode()
    return head + body + draw(st.sampled_from([b"</p></body></html>", b"", b"<div"]))


@seed(SEED)
@FUZZ
@given(data=html_files())
@example(data=b'<html><head><meta charset="undefined"></head><body>x</body></html>')
def test_html_with_any_charset_is_read_or_refused(data: bytes) -> None:
    assert outcome(data, "text/html") is not None  # HTML always reads, however broken


@seed(SEED)
@FUZZ
@given(
    data=st.binary(max_size=300) | TEXTS.map(lambda t: t.encode("utf-16")),
    mime=st.sampled_from(["text/plain", "text/csv", "application/json", "text/html"]),
)
def test_any_bytes_as_text_are_read(data: bytes, mime: str) -> None:
    assert outcome(data, mime) is not None


@st.composite
def broken_documents(draw: st.DrawFn) -> tuple[bytes, str]:
    kind = draw(st.sampled_from(["pdf", "docx"]))
    if kind == "pdf":
        data = b"%PDF-1." + draw(st.binary(max_size=200))
        return data, "application/pdf"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member in draw(
            st.lists(
                st.sampled_from(["word/document.xml", "[Content_Types].xml", "docProps/core.xml"]),
                unique=True,
            )
        ):
            archive.writestr(member, draw(st.binary(max_size=80)))
    data = buffer.getvalue()
    if draw(st.booleans()) and data:
        data = data[: draw(st.integers(0, len(data) - 1))]
    return data, DOCX_MIME


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member, content in members.items():
            archive.writestr(member, content)
    return buffer.getvalue()


@seed(SEED)
@FUZZ
@given(document=broken_documents())
@example(document=(_zip({"[Content_Types].xml": b""}), DOCX_MIME))  # XML that is not there
def test_broken_pdf_and_docx_are_refused_by_reason(document: tuple[bytes, str]) -> None:
    outcome(*document)
