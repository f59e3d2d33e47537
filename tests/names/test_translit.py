"""Tests for dadkhah.names.transliterate: ranked candidates in the other script."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dadkhah.names import similarity, transliterate


@pytest.mark.parametrize(
    ("persian", "first", "also"),
    [
        ("ابراهیم رئیسی", "Ebrahim Raisi", "Ibrahim Raisi"),
        ("مصطفی پورمحمدی", "Mostafa Pourmohammadi", "Mustafa Pourmohammadi"),
        ("حسینعلی", "Hosseinali", "Hoseinali"),
        ("علي رضائي", "Ali Rezaei", "Ali Rezai"),
        ("فاطمه احمدی‌نژاد", "Fatemeh Ahmadinejad", "Fatemeh Ahmadinezhad"),
        # a title keeps its usual spelling
        ("سید علی خامنه‌ای", "Seyyed Ali Khamenei", "Seyyed Ali Khamenehei"),
    ],
)
def test_persian_to_latin(persian: str, first: str, also: str) -> None:
    candidates = transliterate(persian)
    assert candidates[0] == first
    assert also in candidates


@pytest.mark.parametrize(
    ("latin", "first"),
    [
        ("Ebrahim Raisi", "ابراهیم رئیسی"),
        ("Mostafa Pour-Mohammadi", "مصطفی پورمحمدی"),
        ("Hossein-Ali", "حسینعلی"),
        ("Nematollah Rezaeian", "نعمت‌الله رضاییان"),
        ("Seyyed Ali Khamenei", "سید علی خامنه‌ای"),
    ],
)
def test_latin_to_persian(latin: str, first: str) -> None:
    assert transliterate(latin, to="fa")[0] == first


def test_unknown_names_fall_back_on_letter_rules() -> None:
    # a surname the lexicon does not list: short vowels come from the syllable rule
    assert transliterate("کلانتری")[0] == "Kalantari"
    assert "کلانتری" in transliterate("Kalantari", to="fa")
    assert transliterate("Bozorgmehr", to="fa")[0] == "بزرگمهر"
    # a surname built from a known root and suffix is composed, not guessed
    assert transliterate("محمودنژاد")[0] == "Mahmoudnejad"


def test_limit_and_empty_input() -> None:
    assert len(transliterate("ابراهیم رئیسی", limit=2)) == 2
    assert transliterate("") == [] == transliterate("😀")
    with pytest.raises(ValueError, match="to must be"):
        transliterate("Ali", to="arabic")  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(
        ["ابراهیم رئیسی", "مصطفی پورمحمدی", "زهرا کاظمی", "حسن روحانی", "کلانتری", "مریم رجوی"]
    )
)
def test_a_transliteration_is_recognised_as_the_same_name(persian: str) -> None:
    for candidate in transliterate(persian, limit=3):
        assert similarity(persian, candidate) >= 0.5, candidate
        back = transliterate(candidate, to="fa")
        assert back and similarity(persian, back[0]) >= 0.5, (candidate, back)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=40), st.sampled_from(["latin", "fa"]))
def test_no_crash_on_arbitrary_text(text: str, to: str) -> None:
    out = transliterate(text, to=to)  # type: ignore[arg-type]
    assert isinstance(out, list) and len(out) <= 5
