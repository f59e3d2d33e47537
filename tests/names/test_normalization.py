"""Tests for dadkhah.names.normalize: one spelling of the letters, in the script written."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dadkhah.names import normalize, spelling
from dadkhah.names.normalization import _MIXED, _letters, _letters_slow, is_persian_char

ZWNJ = "\u200c"


@pytest.mark.parametrize(
    ("written", "normalized"),
    [
        # Arabic letter forms become Persian; hamza and madda marks leave their carrier
        ("علي رضائي", "علی رضایی"),
        ("كاظم", "کاظم"),
        ("فاطمة", "فاطمه"),
        ("مؤمن", "مومن"),
        ("آزاده", "ازاده"),
        ("رئيسي", "رییسی"),
        # harakat, tashdid, superscript alef and tatweel go
        ("مُحَمَّد", "محمد"),
        ("رحمٰن", "رحمن"),
        ("حســـین", "حسین"),
        # the zero-width non-joiner joins, wherever it was typed or dropped
        (f"پور{ZWNJ}محمدی", "پورمحمدی"),
        (f"خامنه{ZWNJ}ای", "خامنهای"),
        # Persian and Arabic digits become ASCII
        ("۱۳۶۷", "1367"),
        ("١٣٦٧", "1367"),
        # Latin: lower case, accents and the marks for ʿayn and hamza go
        ("Ibrahim Ra'isi", "ibrahim raisi"),
        ("Jaʿfar", "jafar"),
        ("Ra’isi", "raisi"),
        ("RAʾISI", "raisi"),
        ("Ra´isi", "raisi"),
        ("Mohammad Rezā Rezāʾī", "mohammad reza rezai"),
        # hyphens stay inside a word, as one ASCII hyphen; spaces around them go
        ("Pour - Mohammadi", "pour-mohammadi"),
        ("Hojjat\u2011ol\u2011Eslam", "hojjat-ol-eslam"),
        ("-Ali-", "ali"),
        # "Family, Given" becomes "Given Family"; Arabic comma too
        ("Pour-Mohammadi, Mostafa", "mostafa pour-mohammadi"),
        ("رضایی، محمد", "محمد رضایی"),
        # Latin and Persian letters that touch become two words
        ("Aliرضایی", "ali رضایی"),
        # punctuation, symbols and emoji become spaces
        ("Ali 😀 Rezaei!", "ali rezaei"),
        ("  Ali\t\nRezaei  ", "ali rezaei"),
        ("", ""),
        ("😀", ""),
    ],
)
def test_known_answers(written: str, normalized: str) -> None:
    assert normalize(written) == normalized


def test_arabic_and_persian_typing_of_one_name_agree() -> None:
    assert normalize("حسينعلي") == normalize(f"حسین{ZWNJ}علی") == normalize("حسینعلی")


# ----------------------------------------------------------------------- generated inputs
names = st.text(
    alphabet=st.one_of(
        st.characters(),
        st.sampled_from(list("ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهیيكةأإؤئءآ ‌-,'ـًٌٍَُِّْ٠١۲")),
        st.sampled_from(list("aeiouAEIOU -,'ʿʾ’´")),
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(names)
def test_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


@settings(max_examples=300, deadline=None)
@given(names)
def test_output_has_single_spaces_and_no_edge_hyphens(text: str) -> None:
    out = normalize(text)
    assert out == out.strip()
    assert "  " not in out
    assert not any(word.startswith("-") or word.endswith("-") for word in out.split())
    assert "," not in out and ZWNJ not in out


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.characters(max_codepoint=0x7FF).map(str)
        | st.sampled_from([chr(c) for c in range(0x600, 0x700)]),
        max_size=30,
    )
)
def test_fast_path_agrees_with_the_general_one(text: str) -> None:
    slow = _letters_slow(text)
    if is_persian_char(slow):
        slow = _MIXED.sub(" ", slow)
    assert _letters(text) == slow


def test_full_tables_translate_as_the_tables_they_complete() -> None:
    text = "".join(chr(c) for c in [*range(0x80), *range(0x600, 0x700), 0x200C, 0x1F600])
    fold = str.maketrans({"c": "k", "C": "c", "w": "v", "o": "u", "e": "i", "y": "i"})
    pairs = [
        (spelling.full_table(fold), fold),
        (spelling._SKELETON_CHARS, spelling._SKELETON_MAP),
        (spelling._FA_CLASSES, spelling._FA_LETTERS),
    ]
    for full, table in pairs:
        assert set(range(0x80)) <= set(full)
        assert text.translate(full) == text.translate(table)
