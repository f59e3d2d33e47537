"""Text for the index: words with offsets into the original, normalization, keys, stems."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from dadkhah.search.text import analyze, key_of, normalize_words, stem, words

SEED = random.randrange(1 << 30)


def test_seed_is_reported() -> None:
    print(f"search text tests: seed {SEED}")  # noqa: T201 - replay a failure with this seed


def test_offsets_point_into_the_original() -> None:
    text = "Ebrahim Ra'isi, پور\u200cمحمدی — ۱۳۶۷/۰۵/۲۳ Pour-Mohammadi"
    found = words(text)
    assert [text[w.start : w.end] for w in found] == [
        "Ebrahim", "Ra'isi", "پور\u200cمحمدی", "۱۳۶۷", "۰۵", "۲۳", "Pour-Mohammadi",
    ]  # fmt: skip
    assert [w.parts for w in found][:3] == [("ebrahim",), ("raisi",), ("پورمحمدی",)]
    assert found[3].parts == ("1367",)
    assert found[-1].parts == ("pour", "mohammadi")


def test_the_same_key_across_scripts_and_spellings() -> None:
    for group in (
        ("Raisi", "Ra'isi", "رئیسی", "رييسي"),
        ("Pour-Mohammadi", "Pourmohammadi", "پورمحمدی", "پور\u200cمحمدی"),
        ("Gohardasht", "گوهردشت"),
    ):
        keys = {w.key for text in group for w in words(text) if w.key} | {
            k for text in group for k in analyze(text).keys.split()
        }
        assert len({analyze(text).keys.split()[-1] for text in group}) == 1, (group, keys)


def test_compounds_written_apart_get_the_joined_key() -> None:
    assert analyze("Pour Mohammadi").keys.split()[-1] == analyze("Pourmohammadi").keys
    assert analyze("پور محمدی").keys.split()[-1] == analyze("Pourmohammadi").keys


def test_common_words_get_no_key() -> None:
    assert analyze("The Prison and the").keys == analyze("Prison").keys == "prsn"
    assert key_of(("از",)) == ""


def test_persian_forms_normalize_alike() -> None:
    assert normalize_words("علي كريمي") == normalize_words("علی کریمی")
    assert normalize_words("اعدام‌ها") == ["اعدامها"]
    assert normalize_words("Évin") == ["evin"]


def test_stems() -> None:
    assert stem("executions") == "execut" and stem("executed") == "execut"
    assert stem("zandaniyan") is not None and stem("az") is None
    assert stem("زندانیان") == "زندانی" and stem("اعدامها") == "اعدام"
    assert stem("1367") is None


@given(st.text(max_size=200))
def test_words_are_within_the_text_and_in_order(text: str) -> None:
    last = 0
    for word in words(text):
        assert last <= word.start < word.end <= len(text)
        last = word.end
        assert all(" " not in part and part for part in word.parts)


def test_random_mixed_text_round_trips_its_offsets() -> None:
    rng = random.Random(SEED)
    assert SEED >= 0, f"seed {SEED}"
    pieces = ["Raisi", "رئیسی", "Ra'isi", "۱۳۶۷", "—", "(", "Pour-Mohammadi", "\u200c", " ", "\n"]
    text = "".join(rng.choice(pieces) for _ in range(500))
    analysis = analyze(text)
    assert analysis.normalized.split() == normalize_words(text)
