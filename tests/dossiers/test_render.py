"""Dossiers as HTML and PDF: languages and directions, both calendars, page furniture, the
Synthetic label, and no protected string anywhere (HTML and the PDF's text)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from dadkhah.core.confidentiality import Level
from dadkhah.dossiers.assemble import assemble, content_hash
from dadkhah.dossiers.protect import protected_strings
from dadkhah.dossiers.render import render_html, render_pdf
from tests.dossiers.conftest import text_of_pdf

MOMENT = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
SUBJECTS = [
    ("person", "person-mostafa-pour-mohammadi", None),
    ("person", "person-ebrahim-raisi", None),
    ("person", "person-syn-bahram-sadeghpour", None),
    ("person", "person-syn-kamran-rostami", "family"),
    ("event", "event-commission-gohardasht-1988", None),
    ("event", "event-syn-execution-bahram-sadeghpour", None),
    ("place", "place-gohardasht-prison", None),
    ("body", "body-death-commission-tehran", None),
]


def _leaks(text: str, strings: list[str]) -> list[str]:
    folded = text.casefold()
    return [s for s in strings if s.casefold() in folded]


def test_html_dossiers_never_contain_a_protected_string(demo, db):
    strings = protected_strings()
    assert len(strings) >= 5
    for record_kind, uid, kind in SUBJECTS:
        for level in Level:
            for lang in ("en", "fa", "both"):
                d = assemble(record_kind, uid, level, kind=kind)
                page = render_html(d, lang, MOMENT)
                assert _leaks(page, strings) == [], (uid, level, lang)


def test_html_languages_directions_and_calendars(demo, db):
    d = assemble("person", "person-syn-bahram-sadeghpour", Level.PUBLIC)
    both = render_html(d, "both", MOMENT)
    assert '<html lang="en" dir="ltr">' in both
    assert '<span lang="fa" dir="rtl">' in both
    # the Latin name inside the Persian cover sentence is isolated, after the Persian name
    cover = re.search(r'<p lang="fa" dir="rtl" class="cover-fa">(.*?)</p>', both).group(1)
    assert cover.index("بهرام صادق‌پور") < cover.index(
        '<bdi dir="ltr" lang="en">Bahram Sadeghpour</bdi>'
    )
    assert "10 Mordad 1367 (1 August 1988)" in both  # entry calendar, then the other
    assert "۱۰ مرداد ۱۳۶۷" in both
    assert both.count('class="badge synthetic"') >= 3
    assert "SYNTHETIC — this file contains invented records" in both
    assert content_hash(d) in both and "2026-11-21 09:30:00 UTC" in both
    fa = render_html(d, "fa", MOMENT)
    assert '<html lang="fa" dir="rtl">' in fa and "What is known" not in fa
    assert "آنچه می‌دانیم و از کجا" in fa
    en = render_html(d, "en", MOMENT)
    assert "آنچه می‌دانیم" not in en and "What is not known" in en
    for page in (both, fa, en):
        assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")
        assert "<script" not in page and "<link" not in page


@pytest.mark.parametrize(
    ("record_kind", "uid", "level"),
    [
        ("person", "person-mostafa-pour-mohammadi", Level.PUBLIC),
        ("person", "person-syn-bahram-sadeghpour", Level.PROTECTED),
        ("event", "event-commission-gohardasht-1988", Level.PROTECTED),
    ],
)
def test_pdf_pages_carry_number_hash_and_time_and_read_in_logical_order(
    demo, db, tmp_path, record_kind, uid, level
):
    d = assemble(record_kind, uid, level)
    path = tmp_path / "dossier.pdf"
    path.write_bytes(render_pdf(d, "both", MOMENT))
    text = text_of_pdf(path)
    pages = [p for p in text.split("\f") if p.strip()]
    assert len(pages) >= 2
    digest = content_hash(d)
    for n, page in enumerate(pages, start=1):
        flat = " ".join(page.split())
        assert digest in flat.replace(" ", "") or digest in flat, n
        assert "Generated 2026-11-21 09:30:00 UTC" in flat, n
        assert f"page {n} / {len(pages)}" in flat, n
        if d.synthetic:
            assert "SYNTHETIC" in flat, n
    assert _leaks(text, protected_strings()) == []
    if uid == "person-mostafa-pour-mohammadi":
        assert "مصطفی پورمحمدی" in text  # Persian in logical order, shaped from Noto Naskh
        assert "Minister of Justice" in text
    if uid == "person-syn-bahram-sadeghpour":
        # pdftotext drops the zero-width non-joiner (it draws nothing) and marks RTL runs
        plain = re.sub("[\u200c\u202a-\u202e]", "", text)
        assert "بهرام صادقپور" in plain
        assert "How to share what you know, safely" in text
        assert "Protected witness P-" in text
