"""Tests for dadkhah.names.match_keys: blocking keys that agree across scripts."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dadkhah.names import match_keys, normalize
from dadkhah.names.compare import clear_caches

ZWNJ = "\u200c"

SAME = [
    ["Ebrahim Raisi", "Ibrahim Ra'isi", "ابراهیم رئیسی", "ابراهيم رئيسي", "Raisi, Ebrahim"],
    ["Mostafa Pour-Mohammadi", "Mostafa Pour Mohammadi", "مصطفی پورمحمدی", f"مصطفی پور{ZWNJ}محمدی"],
    ["حسینعلی", "Hossein-Ali", "Husain Ali", "Hosseinali"],
    ["Ali Alizadeh", "Ali Ali Zadeh", "علی علیزاده", "Ali Ali-Zadeh"],
    ["Shahla Hashemi", "Chahla Hachemi", "شهلا هاشمی"],
]

# A typo or an unusual spelling of one consonant, against the usual writings.
TYPOS = [
    ("Mohammad Rezaei", ["Mohammad Resaei", "Mohammd Rezaei", "محمد رضابی", "ممد رضایی"]),
    ("محمد رضایی", ["Mohammad Resaei", "Mohannad Rezaei", "محمد رضابی", "Mohamad Rzaei"]),
    ("Vahid Ahmadi", ["وید احمدی", "Waid Ahmadi", "Vahid Ahmdi"]),
]


@pytest.mark.parametrize("group", SAME, ids=lambda g: g[0])
def test_writings_of_one_name_share_a_key(group: list[str]) -> None:
    for a in group:
        for b in group:
            assert match_keys(a) & match_keys(b), (a, b, match_keys(a), match_keys(b))


@pytest.mark.parametrize(("clean", "typos"), TYPOS, ids=lambda x: x if isinstance(x, str) else "")
def test_one_typo_keeps_a_shared_key(clean: str, typos: list[str]) -> None:
    for typo in typos:
        assert match_keys(clean) & match_keys(typo), (clean, typo)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Mohammad Rezaei", "Mohammad Rahimi"),
        ("Mohammad Rezaei", "محمد رحیمی"),
        ("Reza Mohammadi", "Ali Ahmadi"),
        ("Fatemeh Karimi", "Maryam Jafari"),
    ],
)
def test_names_that_share_only_a_common_given_name_share_no_key(a: str, b: str) -> None:
    assert not match_keys(a) & match_keys(b)


def test_keys_are_few_and_typed() -> None:
    keys = match_keys("Mostafa Pour-Mohammadi")
    assert 1 <= len(keys) <= 20
    assert all(key[:2] in ("c:", "d:") for key in keys)
    assert match_keys("") == set() == match_keys("😀 ,-")


def test_the_result_is_a_fresh_set() -> None:
    keys = match_keys("Ali Rezaei")
    keys.add("mine")
    assert "mine" not in match_keys("Ali Rezaei")


names = st.one_of(
    st.text(max_size=40),
    st.lists(
        st.sampled_from(["Ali", "رضایی", "Pour", "-", " ", "ي", ZWNJ, "Seyyed", "😀"]), max_size=6
    ).map("".join),
)


@settings(max_examples=300, deadline=None)
@given(names)
def test_keys_depend_only_on_the_normalized_name(name: str) -> None:
    assert match_keys(name) == match_keys(normalize(name))


@pytest.mark.parametrize("bad", ["A" * 500, "ع" * 500, " ".join(["Ali", "علی"] * 125), "😀" * 500])
def test_long_and_odd_names(bad: str) -> None:
    assert isinstance(match_keys(bad), set)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=600))
def test_any_text_gets_keys_and_the_same_keys_cold(text: str) -> None:
    # arbitrary Unicode (mixed scripts, emoji, controls, long runs): no crash, and the keys do
    # not depend on what the caches held before
    warm = match_keys(text)
    assert all(isinstance(key, str) and key for key in warm)
    clear_caches()
    assert match_keys(text) == warm
