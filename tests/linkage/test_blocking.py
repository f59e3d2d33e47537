"""Blocking keys (dadkhah.linkage.blocking): caps, narrowing, and who still meets whom."""

from __future__ import annotations

import itertools
import random
from collections import Counter

import pytest

from dadkhah.linkage.blocking import narrow
from tests.linkage.test_model import frame_of

SEED = 1367


def row(i: int, name: str, **fields: str) -> dict[str, str]:
    base = {
        "record_id": str(i),
        "list": "a",
        "full_name": name,
        "father_name": "",
        "birth_year": "",
        "gender": "",
        "city": "",
        "prison": "",
        "death_date": "",
    }
    return {**base, **fields}


def meet(keys: list[list[str]], places: list[str | None]) -> set[tuple[int, int]]:
    """The pairs of records (by position) that share a block."""
    blocks: dict[str, list[int]] = {}
    for i, (ks, p) in enumerate(zip(keys, places, strict=True)):
        for k in [*ks, *([f"place:{p}"] if p else [])]:
            blocks.setdefault(k, []).append(i)
    return {pair for members in blocks.values() for pair in itertools.combinations(members, 2)}


def test_small_blocks_are_kept_whole() -> None:
    frame = frame_of(
        [row(0, "Bahman Yazdanpanah"), row(1, "بهمن یزدان‌پناه"), row(2, "Bahram Yazdani")]
    )
    keys, places, stats = narrow(frame, 300, 30, 30)
    pairs = meet(keys, places)
    assert (0, 1) in pairs  # across scripts
    assert stats["narrowed_keys"] == stats["narrowed_match_keys"] == 0


def test_common_name_is_narrowed_and_namesakes_meet_on_any_agreement() -> None:
    rows = [
        row(i, "Mohammad Mohammadi", birth_year=str(1940 + 3 * (i % 10)), gender="m")
        for i in range(60)
    ]
    # four special records, each agreeing with record 0 (born 1940) on one thing only
    rows[10]["birth_year"] = "1941"  # the next year (1940 + 3*(10 % 10) = 1940 otherwise)
    rows[11].update(birth_year="1960", city="Tabriz")
    rows[0]["city"] = "تبریز"  # the same city, in the other script
    rows[12].update(birth_year="1961", father_name="Hossein")
    rows[0]["father_name"] = "حسین"
    rows[13].update(birth_year="1962", prison="Evin")
    rows[0]["prison"] = "اوین"
    frame = frame_of(rows)
    ids = frame["record_id"].tolist()
    at = {rid: i for i, rid in enumerate(ids)}
    keys, places, stats = narrow(frame, 10, 10, 30)
    print(stats)  # noqa: T201
    assert stats["narrowed_keys"] == 1  # the one whole-name key
    assert stats["narrowed_match_keys"] > 0
    sizes = Counter(k for ks in keys for k in ks)
    assert max(sizes.values()) <= 10  # no block above its cap
    pairs = meet(keys, places)
    zero = at["0"]

    def met(rid: str) -> bool:
        return tuple(sorted((zero, at[rid]))) in pairs

    assert met("10") and met("11") and met("12") and met("13")
    # born 1943 (record 1): no year within one, no city, prison or father in common
    assert not met("1")
    # namesakes of one birth year meet (1940 + 3*k: records k, k+10, ..., six of them)
    assert met("20") and met("30")


def test_missing_fields_and_no_name() -> None:
    frame = frame_of([row(0, ""), row(1, "Ali Rezaei", birth_year="1950", city="Tehran")])
    keys, places, stats = narrow(frame, 300, 30, 30)
    assert keys[0] == [] and places[0] is None
    assert stats["records_without_block"] == 1


@pytest.mark.parametrize("cap", [5, 20])
def test_caps_bound_every_block(cap: int) -> None:
    rng = random.Random(SEED + cap)
    given = ["Mohammad", "Ali", "Hossein", "Reza", "Mahmoud"]
    family = ["Rezaei", "Razavi", "Rahimi", "Mohammadi", "Ahmadi", "Karimi"]
    rows = [
        row(
            i,
            f"{rng.choice(given)} {rng.choice(family)}",
            birth_year=str(rng.randint(1945, 1950)),
            city=rng.choice(["Tehran", "Tabriz", ""]),
        )
        for i in range(300)
    ]
    keys, places, stats = narrow(frame_of(rows), cap, cap, cap)
    sizes = Counter(k for ks in keys for k in ks)
    assert max(sizes.values()) <= cap, stats
    place_sizes = Counter(p for p in places if p)
    assert not place_sizes or max(place_sizes.values()) <= cap
