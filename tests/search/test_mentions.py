"""Known names in text (Aho-Corasick + similarity), offsets, overlaps and candidate names."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from dadkhah.names import similarity
from dadkhah.names.lexicon import lexicon
from dadkhah.search.mentions import NameIndex, TextMap, candidates, variants

SEED = 19880719


def _index(*entries: tuple[str, str, str], **kw: float) -> NameIndex:
    return NameIndex.build(entries, **kw)


def _quotes(index: NameIndex, text: str) -> list[tuple[str, str]]:
    found = index.scan(text)
    for f in found:
        assert text[f.start : f.end] == f.quote
    return [(f.quote, f.record_uid) for f in found]


def test_every_spelling_across_scripts_with_original_offsets() -> None:
    index = _index(("person", "p-raisi", "Ebrahim Raisi"), ("person", "p-pm", "مصطفی پورمحمدی"))
    text = (
        "Ibrahim Ra'isi met Mostafa Pour-Mohammadi; later EBRAHIM  RAISI and "
        "Mustafa Pourmohammadi.\nابراهيم رئيسي و مصطفی پور\u200cمحمدی و مصطفی پور محمدی."
    )
    assert _quotes(index, text) == [
        ("Ibrahim Ra'isi", "p-raisi"),
        ("Mostafa Pour-Mohammadi", "p-pm"),
        ("EBRAHIM  RAISI", "p-raisi"),
        ("Mustafa Pourmohammadi", "p-pm"),
        ("ابراهيم رئيسي", "p-raisi"),
        ("مصطفی پور\u200cمحمدی", "p-pm"),
        ("مصطفی پور محمدی", "p-pm"),
    ]


def test_scores_are_the_similarity_to_the_records_name_and_low_ones_are_dropped() -> None:
    entries = [("person", "p1", "Ebrahim Raisi"), ("place", "pl1", "Gohardasht")]
    text = "Ebrahim Raeisi visited Gohardasht and Ibrahim Raisi left."
    found = NameIndex.build(entries).scan(text)
    names = dict((uid, name) for _, uid, name in entries)
    assert len(found) == 3
    for f in found:
        assert f.score == similarity(f.quote, names[f.record_uid])
    strict = NameIndex.build(entries, min_score=1.01).scan(text)
    assert strict == []


def test_whole_words_only() -> None:
    index = _index(("place", "evin", "Evin"), ("person", "p1", "Ali Rezaei"))
    assert _quotes(index, "Kevin and Evinson wrote; Ali Rezaeian left; Evin-based staff") == [
        ("Evin", "evin")
    ]


def test_longest_match_wins_and_ties_are_kept() -> None:
    index = _index(
        ("person", "short", "Mohammad Reza"),
        ("person", "long", "Mohammad Reza Rezaei"),
        ("place", "twin-a", "Ghezel Hesar"),
        ("place", "twin-b", "Ghezel Hesar"),
    )
    text = "Mohammad Reza Rezaei was moved to Ghezel Hesar."
    assert _quotes(index, text) == [
        ("Mohammad Reza Rezaei", "long"),
        ("Ghezel Hesar", "twin-a"),
        ("Ghezel Hesar", "twin-b"),
    ]


def test_surname_alone_needs_the_full_name_or_a_title() -> None:
    index = _index(("person", "p1", "Hossein-Ali Montazeri"))
    assert _quotes(index, "Montazeri objected.") == []
    assert _quotes(index, "Ayatollah Montazeri objected.") == [("Montazeri", "p1")]
    found = index.scan("Hosseinali Montazeri wrote. Montazeri objected.")
    assert [(f.quote, round(f.score, 2)) for f in found] == [
        ("Hosseinali Montazeri", 1.0),
        ("Montazeri", 0.85),
    ]


def test_possessive_arabic_forms_and_ligatures_keep_offsets() -> None:
    index = _index(("person", "p1", "Ebrahim Raisi"), ("body", "b1", "Death Commission"))
    text = "The \ufb01rst: Ebrahim Raisi's death commission; ﻻ ابراهيم رئيسي"
    assert _quotes(index, text) == [
        ("Ebrahim Raisi", "p1"),
        ("death commission", "b1"),
        ("ابراهيم رئيسي", "p1"),
    ]


def test_variants_cover_compounds_in_both_scripts() -> None:
    found = variants("Mostafa Pour-Mohammadi")
    for spelling in ("mostafa pourmohammadi", "mostafa pour mohammadi", "مصطفی پورمحمدی"):
        assert spelling in found
    assert {"حسینعلی منتظری", "حسین علی منتظری", "hosseinali montazeri"} <= variants(
        "Hossein-Ali Montazeri"
    )


_TEXT = st.text(
    alphabet=st.sampled_from(list("ab ر'ی-\u200c\u064e  .,\n") + ["ي", "A", "ـ", "s"]),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_fast_offset_map_agrees_with_the_character_by_character_one(text: str) -> None:
    fast, slow = TextMap(text), TextMap(text, slow=True)
    assert fast.text == slow.text
    for i in range(len(fast.text)):
        assert fast.position(i) == slow.position(i)
        if fast.text[i] != " ":
            assert fast.position(i) < len(text)


def test_random_names_in_random_text_are_all_found_at_their_offsets() -> None:
    rng = random.Random(SEED)
    lex = lexicon()
    given_names = sorted(k for k in lex.given if len(k) >= 3)
    surnames = sorted(k for k in lex.surnames if len(k) >= 4)
    people = {}
    while len(people) < 60:
        name = f"{rng.choice(given_names)} {rng.choice(surnames)}"
        people[name] = f"p{len(people)}"
    index = NameIndex.build(("person", uid, name) for name, uid in people.items())
    filler = ["و", "در", "گزارش", "the", "report", "of", "1988", "—", "(", ")"]
    parts: list[str] = []
    expected: list[tuple[int, int, str]] = []
    chosen = rng.sample(sorted(people), 30)
    for name in chosen:
        parts.append(" ".join(rng.choice(filler) for _ in range(rng.randint(1, 4))) + " ")
        start = sum(map(len, parts))
        written = rng.choice([name, name.replace("ی", "ي").replace("ک", "ك")])
        parts.append(written)
        expected.append((start, start + len(written), people[name]))
        parts.append(rng.choice([" ", ". ", "، ", "\n"]))
    text = "".join(parts)
    found = {(f.start, f.end, f.record_uid) for f in index.scan(text)}
    assert set(expected) <= found, f"seed={SEED}: missed {set(expected) - found}"


def test_candidates_are_name_like_unknown_spans() -> None:
    index = _index(("person", "p1", "Ebrahim Raisi"))
    text = (
        "The Human Rights Council heard Justice Minister Alireza Avaei, Ebrahim Raisi and "
        "Morgan Ortagus. In August, Asma Jahangir wrote. علی رضایی و در زندان اوین."
    )
    known = index.scan(text)
    quotes = [c.quote for c in candidates(text, known)]
    assert quotes == ["Alireza Avaei", "Asma Jahangir", "علی رضایی"]
    assert all(c.kind == "candidate" and 0 < c.score <= 1 for c in candidates(text, known))


def test_empty_and_odd_input() -> None:
    index = _index(("person", "p1", "Ebrahim Raisi"), ("person", "blank", "  "))
    assert index.scan("") == []
    assert index.scan("\x00\x01 '' -- \u200c") == []
    assert NameIndex.build([]).scan("Ebrahim Raisi") == []
    assert candidates("") == []
    assert index.names == 1
