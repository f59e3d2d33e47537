"""Blocking keys (dadkhah.linkage.blocking): caps, narrowing, and who still meets whom."""

from __future__ import annotations

import itertools
import random
from collections import Counter
from typing import Any

import pandas as pd
import pytest

from dadkhah.linkage.blocking import Blocks, narrow
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


def meet(found: Blocks) -> set[tuple[int, int]]:
    """The pairs of records (by position) that share a block."""
    blocks: dict[tuple[str, int], list[int]] = {}
    for i in range(len(found)):
        place = found.place_of(i)
        for k in [
            *(("key", k) for k in found.keys_of(i)),
            *([("place", place)] if place is not None else []),
        ]:
            blocks.setdefault(k, []).append(i)
    return {pair for members in blocks.values() for pair in itertools.combinations(members, 2)}


def sizes_of(found: Blocks) -> Counter[int]:
    """Records per key."""
    return Counter(k for i in range(len(found)) for k in found.keys_of(i))


def test_small_blocks_are_kept_whole() -> None:
    frame = frame_of(
        [row(0, "Bahman Yazdanpanah"), row(1, "بهمن یزدان‌پناه"), row(2, "Bahram Yazdani")]
    )
    found = narrow(frame, 300, 30, 30)
    pairs = meet(found)
    assert (0, 1) in pairs  # across scripts
    assert found.stats["narrowed_keys"] == found.stats["narrowed_match_keys"] == 0
    assert found.keys.dtype == found.offsets.dtype == found.places.dtype == "int32"


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
    found = narrow(frame, 10, 10, 30)
    print(found.stats)  # noqa: T201
    assert found.stats["narrowed_keys"] == 1  # the one whole-name key
    assert found.stats["narrowed_match_keys"] > 0
    assert max(sizes_of(found).values()) <= 10  # no block above its cap
    pairs = meet(found)
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
    found = narrow(frame, 300, 30, 30)
    assert found.keys_of(0) == [] and found.place_of(0) is None
    assert found.keys_of(1) != [] and found.place_of(1) is not None
    assert found.stats["records_without_block"] == 1


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
    found = narrow(frame_of(rows), cap, cap, cap)
    assert max(sizes_of(found).values()) <= cap, found.stats
    place_sizes = Counter(p for p in found.places.tolist() if p >= 0)
    assert not place_sizes or max(place_sizes.values()) <= cap


def reference(frame: Any, max_block: int, max_key_block: int, max_place_block: int) -> set[Any]:
    """The pairs that meet, by the rules of the module docstring, in plain Python (strings
    and dictionaries): the oracle for the numbered, vectorized ``narrow``."""
    from dadkhah.linkage.blocking import _skeleton

    def value(v: Any) -> Any:
        return None if v is None or pd.isna(v) else v

    agree = []
    for y, c, p, f in zip(
        frame["birth_year"],
        frame["city_key"],
        frame["prison_key"],
        frame["father_norm"],
        strict=True,
    ):
        y, c, p, f = value(y), value(c), value(p), value(f)
        skeleton = _skeleton(f) if f else None
        agree.append(
            {
                *(() if y is None else (("y", y), ("y", y + 1))),
                *(() if c is None else (("c", c),)),
                *(() if p is None else (("p", p),)),
                *(() if skeleton is None else (("f", skeleton),)),
            }
        )

    def narrowed(keys: list[set[Any]], cap: int) -> list[set[Any]]:
        size = Counter(k for ks in keys for k in ks)
        keys = [
            {(k, a) for k in ks if size[k] > cap for a in agree[i]}
            | {k for k in ks if size[k] <= cap}
            for i, ks in enumerate(keys)
        ]
        size = Counter(k for ks in keys for k in ks)
        return [{k for k in ks if size[k] <= cap} for ks in keys]

    whole = narrowed([{("t", t)} if value(t) else set() for t in frame["name_tf"]], max_block)
    match = narrowed([{("m", k) for k in ks} for ks in frame["name_keys"]], max_key_block)
    places: list[Any] = [
        (value(y), value(c)) if value(y) is not None and value(c) is not None else None
        for y, c in zip(frame["birth_year"], frame["city_key"], strict=True)
    ]
    for column in ("gender", "prison_key"):
        size = Counter(p for p in places if p is not None)
        big = {p for p, n in size.items() if n > max_place_block}
        if not big:
            break
        places = [
            ((p, value(e)) if value(e) is not None else None) if p in big else p
            for p, e in zip(places, frame[column], strict=True)
        ]
    size = Counter(p for p in places if p is not None)
    blocks: dict[Any, list[int]] = {}
    for i, (w, m, p) in enumerate(zip(whole, match, places, strict=True)):
        for k in [
            *w,
            *m,
            *([("place", p)] if p is not None and size[p] <= max_place_block else []),
        ]:
            blocks.setdefault(k, []).append(i)
    return {pair for members in blocks.values() for pair in itertools.combinations(members, 2)}


@pytest.mark.parametrize("seed", [SEED, SEED + 1, SEED + 2])
def test_narrow_meets_as_the_plain_rules_say(seed: int) -> None:
    """The numbered keys bring together exactly the pairs the rules, applied to strings in
    plain Python, do: on lists with common names, every field sometimes missing."""
    from tests.linkage.test_model import generate

    rng = random.Random(seed)
    print(f"seed {seed}")  # noqa: T201
    rows = generate(people=150, lists=3, seed=seed)[0]
    for r in rows:  # more namesakes, and holes in every field
        if rng.random() < 0.3:
            r["full_name"] = rng.choice(["Mohammad Rezaei", "محمد رضایی", "Ali Ahmadi"])
        for field in ("birth_year", "city", "prison", "father_name", "gender"):
            if rng.random() < 0.3:
                r[field] = ""
    frame = frame_of(rows)
    caps = (rng.randint(4, 12), rng.randint(3, 8), rng.randint(3, 8))
    found = narrow(frame, *caps)
    print(caps, found.stats)  # noqa: T201
    assert found.stats["narrowed_keys"] + found.stats["narrowed_match_keys"] > 0
    assert meet(found) == reference(frame, *caps)


def test_the_engine_gets_numbered_keys_and_returns_pairs_without_them() -> None:
    """The engine's table holds the keys as list<int32> (the same blocks as ``narrow``), and
    the pairs come back ordered by id, without the blocking columns, each one a blocked pair."""
    import pyarrow as pa

    from dadkhah.linkage.model import LinkConfig, _engine_frame, link
    from tests.linkage.test_model import generate

    frame = frame_of(generate(people=80, lists=3, seed=SEED)[0])
    table, stats = _engine_frame(frame, 300, 30, 30)
    assert table.schema.field("block_keys").type == pa.list_(pa.int32())
    assert table.schema.field("year_place").type == pa.int32()
    assert table.schema.field("death_lo_d").type == pa.int64()
    assert table.column("unique_id").to_pylist() == frame["unique_id"].tolist()
    found = narrow(frame, 300, 30, 30)
    assert table.column("block_keys").to_pylist() == [found.keys_of(i) for i in range(len(found))]
    assert stats == found.stats

    result = link(frame, LinkConfig(seed=SEED, keep_pairs=0.0))
    pairs = result.pairs
    assert not [c for c in pairs.columns if c.startswith(("block_keys", "year_place"))]
    ordered = list(zip(pairs["unique_id_l"], pairs["unique_id_r"], strict=True))
    assert ordered == sorted(ordered)
    at = {u: i for i, u in enumerate(frame["unique_id"])}
    met = meet(found)
    assert len(pairs) == result.comparisons == len(met)
    assert {tuple(sorted((at[a], at[b]))) for a, b in ordered} == met
