"""Tests for dadkhah.names.match_keys: blocking keys that agree across scripts."""

from __future__ import annotations

import random

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dadkhah.names import keys, match_keys, normalize
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


# "th" writes ث (Othman) or two letters, ت/ط then ح/ه (Fathollah فتح‌الله): keys read it both ways.
TH = [
    ("Fathollah", "فتح‌الله"),
    ("Fathollah Khamenei", "فتح‌الله خامنه‌ای"),
    ("Fathi, Nariman", "نریمان فتحی"),
    ("Abolfath Rezaei", "ابوالفتح رضایی"),
    ("Othman Rezaei", "عثمان رضایی"),
    ("Thuraya Karimi", "ثریا کریمی"),
]


@pytest.mark.parametrize(("latin", "persian"), TH, ids=[p[0] for p in TH])
def test_th_is_read_as_one_letter_and_as_two(latin: str, persian: str) -> None:
    assert match_keys(latin) & match_keys(persian), (match_keys(latin), match_keys(persian))


def test_th_adds_keys_only_to_words_with_th() -> None:
    assert "d:fthl|km" in match_keys("Fathollah Khamenei")  # the reading as two letters
    assert "c:fslkmn" in match_keys("Fathollah Khamenei")  # the reading as one, unchanged
    assert match_keys("Mohammad Rezaei") & match_keys("Fathollah Rezaei") == set()


_WORDS = [
    *("Ali", "Reza", "Mohammad", "Hossein", "Fathollah", "Zahra", "Omid", "Abbas"),
    *("Rezaei", "Rahimi", "Hosseini", "Pour", "Mohammadi", "Zadeh", "Ali-Zadeh", "Khamenei"),
    *("علی", "رضا", "محمد", "حسین", "رضایی", "پور", "محمدی", "زاده", "اي", "خامنه", "الله"),
    *("Seyyed", "Haj", "سید", "حاج", "Hojjat-ol-Eslam", "Abdol", "Seyedali", "Rezaie,"),
    *("Hosesini", "Mohamad", "رضابی", "Hachemi", "X", "ع", "😀", "-"),
    *("کیا", "رستمی", "خانی", "تقی", "Hossein-Ali", "Husain", "Alizadeh"),  # known compounds
    *("Ali,", "آبادي", "Nejad", "ol", "Lajevardi", "قطب"),
]
written = st.lists(
    st.tuples(st.sampled_from(_WORDS), st.sampled_from([str, str.upper, str.lower])).map(
        lambda pair: pair[1](pair[0])
    ),
    min_size=1,
    max_size=4,
).map(" ".join)


# one of each case of the quick path and of what it leaves to the general one; later names
# reuse the words of earlier ones (a name of seen words takes the quick path)
_PATHS = [
    *("Ali Rezaei", "علی رضایی", "ALI REZAEI", "Reza Ali", "کیا رستمی", "علی خانی", "Hossein Ali"),
    *(
        "Ali Zadeh",
        "Ali Pour",
        "Pour Mohammadi",
        "Rezaei, Ali",
        "Seyyed Ali Rezaei",
        "سید علی رضایی",
    ),
    *(
        "Haj Hossein Ali",
        "Seyyed Rezaei, Ali",
        "Seyyed Seyyed Ali",
        "Seyedali Rezaei",
        "Ali Fathollah",
    ),
    *("Hojjat-ol-Eslam Ali Rezaei", "Ali Reza Rezaei", "Seyyed Ali", "Ali", "Omid Hosesini"),
    *("Ayatollah Olozma Rezaei", "Eng Ineer Karimi", "Ayatollah Olozma Karimi"),  # longer titles
    *("Eng Ineer Rezaei", "Seyyed Ali Karimi", "Haj Hossein Karimi", "Omid Karimi", "کیا رضایی"),
    # three words that make two tokens: a bound part, a known join; a title before "Family,"
    *("مصطفي قطب زاده", "روح الله جعفرپور", "علي خامنه اي", "قطب زاده علی", "زاده علی رضا"),
    *("گاظم علي آبادي", "Mohammad Reza Lajevardi", "Ali Reza Zadeh", "Hossein Ali Zadeh"),
    *("Ali Seyyed Rezaei", "Sayed Sarafi, Asghar", "HAJ DAVOUDPOUR, HENGAMEH", "Haj Ali, Reza"),
    *("Seyyed Ali, Ali", "Haj Abdol, Reza", "Ali Zadeh, Reza", "علی الله زاده", "Ali Ol Reza"),
]


@settings(max_examples=300, deadline=None)
@example(_PATHS)
@example(_PATHS[::-1])
@given(st.lists(written, min_size=1, max_size=12))
def test_the_quick_path_gives_the_keys_of_the_general_one(names: list[str]) -> None:
    # oracle: names of two words, or a title and two words, take a quick path in match_keys;
    # keys._make (which every name may take) must give the same keys, from any cache state
    clear_caches()
    quick = [match_keys(name) for name in names]
    clear_caches()
    general = [set(keys._make(name).split("\x00")) - {""} for name in names]
    assert quick == general


def test_the_caches_stay_bounded_and_the_keys_right(monkeypatch: pytest.MonkeyPatch) -> None:
    # every cache of match_keys is emptied past its bound (here made small), and the keys made
    # after that are those of an empty cache; seeded, so the names are the same each run
    from dadkhah.names import tokens

    monkeypatch.setattr(keys, "_KEYS_MAX", 50)
    monkeypatch.setattr(tokens, "_WORDS_MAX", 40)
    monkeypatch.setattr(tokens, "_RAW_MAX", 40)
    match_keys("Ali Rezaei")  # the lexicon's tables are loaded with the first word
    clear_caches()
    lexicon_parts = len(tokens._SKELETON_PARTS)
    monkeypatch.setattr(tokens, "_PARTS_MAX", lexicon_parts + 30)
    rng = random.Random(4)
    letters = "bdfghklmnprstvz"
    names = [
        " ".join("".join(rng.choice(letters) + "a" for _ in range(3)) for _ in range(2))
        for _ in range(300)
    ] + ["Seyyed Ali Rezaei", "Ali-Reza Karimi", "قطب زاده علی"] * 20
    seen = [match_keys(name) for name in names]
    assert len(keys._KEYS) <= 50
    assert len(tokens.PLAIN_WORDS) <= 40
    assert lexicon_parts <= len(tokens._SKELETON_PARTS) <= lexicon_parts + 30
    for name, found in zip(names[::37], seen[::37], strict=True):
        clear_caches()
        assert match_keys(name) == found, name
