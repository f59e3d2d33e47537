"""Blocking keys of the linkage: which pairs of records are compared at all.

Two records are compared when they share a key of one of three kinds:

- the **whole-name key** (``name_tf``: the skeletons of the name's words, in any order), which
  finds most records of one person (in the synthetic lists, 82 % of the true pairs);
- a **match key** (``names.match_keys``: consonant skeletons that survive scripts, spellings,
  and a typo in one word), which finds the rest; there are about ten per name, and one
  common given name with any surname that begins alike shares one ("Mohammad R…"), so these
  blocks are kept small;
- the **birth year and city**, a recall aid for names misspelled in every word.

A block larger than its cap (``max_block`` for whole-name keys, ``max_key_block`` for match
keys) is narrowed: its key is replaced by one key per thing the record could agree on with
another record of the same person: its birth year and the next year (two records one year apart
still meet, as a Solar Hijri year spans two Gregorian ones), its city, its prison, and the
consonant skeleton of its father's name (the same in both scripts). Two records then meet when
they share the name key and any one of these. A narrowed block still too large is left out.
A year-and-city block above ``max_place_block`` is narrowed by the gender, then the prison, then
left out. Every record of a block meets every other, so the caps bound the comparisons per
record, whatever the number of records: the cost grows about linearly. The counts of narrowed
and dropped keys are reported.

On the synthetic lists (``bench/linkage``, 100,000 records over 5 lists) this compares 28 pairs
per record and leaves out 1.8 % of the true pairs, against 105 and 1.2 % with a cap of 300 and
the birth year alone (the narrowing before).

Pure Python over pandas; no Django, no engine.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped]  # no pandas-stubs in the environment

from dadkhah.names import match_keys

__all__ = ["narrow"]

_SEP = "\x1e"


def _values(column: Any) -> list[str | None]:
    return [
        None if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v) for v in column
    ]


def _skeleton(name: str) -> str | None:
    """The consonant skeleton of a (father's) name, the same in both scripts."""
    whole = [k for k in match_keys(name) if k.startswith("c:")]
    return whole[0][2:] if whole else None


def _codes(values: list[list[str]]) -> tuple[np.ndarray, np.ndarray, int]:
    """(record, code) of every value of every record, codes dense from 0; and their count."""
    records = np.repeat(np.arange(len(values), dtype=np.int64), [len(v) for v in values])
    codes, uniques = pd.factorize(pd.Series([v for vs in values for v in vs], dtype=object))
    return records, codes.astype(np.int64), len(uniques)


def _narrowed(
    keys: list[list[str]], cap: int, agree: list[list[str]], stages: int, prefix: str
) -> tuple[list[list[str]], int, int, int]:
    """``keys`` per record with every key of a block above ``cap`` replaced by one key per
    value the record has in ``agree`` (key + value), ``stages`` times, then left out if still
    above ``cap``. Keys are numbered (``prefix`` + a number), in integer arrays, as a million
    records make tens of millions of them. Returns the keys per record, the distinct keys,
    how many were narrowed and how many dropped."""
    n = len(keys)
    records, codes, distinct = _codes(keys)
    agree_records, agree_values, n_values = _codes(agree)
    first = np.searchsorted(agree_records, np.arange(n + 1))  # each record's values
    narrowed = 0
    next_code = distinct
    for _ in range(stages):
        counts = np.bincount(codes, minlength=next_code)
        big = counts[codes] > cap
        if not big.any():
            break
        if narrowed == 0:
            narrowed = int(np.count_nonzero(counts > cap))
        big_records, big_codes = records[big], codes[big]
        start = first[big_records]
        many = first[big_records + 1] - start
        which = np.repeat(np.arange(len(big_records)), many)
        offset = np.arange(len(which)) - np.repeat(np.cumsum(many) - many, many)
        combined = big_codes[which] * n_values + agree_values[start[which] + offset]
        _, dense = np.unique(combined, return_inverse=True)
        new_codes = dense.astype(np.int64) + next_code
        next_code = int(new_codes.max()) + 1 if len(new_codes) else next_code
        records = np.concatenate([records[~big], big_records[which]])
        codes = np.concatenate([codes[~big], new_codes])
    counts = np.bincount(codes, minlength=next_code)
    over = counts[codes] > cap
    dropped = int(np.count_nonzero(counts > cap))
    records, codes = records[~over], codes[~over]
    order = np.argsort(records, kind="stable")
    records, codes = records[order], codes[order]
    bounds = np.searchsorted(records, np.arange(n + 1))
    names = [f"{prefix}{c}" for c in codes.tolist()]
    out = [names[bounds[i] : bounds[i + 1]] for i in range(n)]
    return out, distinct, narrowed, dropped


def narrow(
    frame: pd.DataFrame, max_block: int, max_key_block: int, max_place_block: int
) -> tuple[list[list[str]], list[str | None], dict[str, int]]:
    """The blocking keys of each record of the prepared ``frame`` (whole-name and match keys,
    narrowed; one list per record) and its year-and-place block (or None), with the counts."""
    years = [None if pd.isna(y) else int(y) for y in frame["birth_year"]]
    genders = _values(frame["gender"])
    cities = _values(frame["city_key"])
    prisons = _values(frame["prison_key"])
    fathers = _values(frame["father_norm"])
    skeleton = {f: _skeleton(f) for f in set(fathers) if f}
    # a pair meets in a narrowed block when it agrees on any of these (each value, one key)
    agree = [
        [
            *(() if y is None else (f"y{y}", f"y{y + 1}")),
            *(() if c is None else (f"c{c}",)),
            *(() if p is None else (f"p{p}",)),
            *(() if not f or not skeleton[f] else (f"f{skeleton[f]}",)),
        ]
        for y, c, p, f in zip(years, cities, prisons, fathers, strict=True)
    ]

    whole = [[t] if t else [] for t in _values(frame["name_tf"])]
    whole, n_whole, narrowed_whole, dropped_whole = _narrowed(whole, max_block, agree, 1, "t")
    match: list[list[str]] = [
        sorted(set(k)) if isinstance(k, list | tuple | set) else [] for k in frame["name_keys"]
    ]
    match, n_match, narrowed_match, dropped_match = _narrowed(match, max_key_block, agree, 1, "m")
    keys = [a + b for a, b in zip(whole, match, strict=True)]
    stats = {
        "keys": n_whole,
        "narrowed_keys": narrowed_whole,
        "dropped_keys": dropped_whole,
        "match_keys": n_match,
        "narrowed_match_keys": narrowed_match,
        "dropped_match_keys": dropped_match,
    }

    # the year-and-place block, narrowed by gender, then prison, when too large
    places: list[str | None] = [
        f"{y}{_SEP}{c}" if y is not None and c is not None else None
        for y, c in zip(years, cities, strict=True)
    ]
    stats["narrowed_year_place_blocks"] = 0
    for extra in (genders, prisons):
        place_counts = Counter(p for p in places if p is not None)
        big = {p for p, n in place_counts.items() if n > max_place_block}
        if not big:
            break
        stats["narrowed_year_place_blocks"] += len(big)
        places = [
            (None if e is None else f"{p}{_SEP}{e}") if p in big else p
            for p, e in zip(places, extra, strict=True)
        ]
    place_counts = Counter(p for p in places if p is not None)
    big = {p for p, n in place_counts.items() if n > max_place_block}
    stats["dropped_year_place_blocks"] = len(big)
    places = [None if p in big else p for p in places]
    stats["records_without_block"] = sum(
        1 for ks, p in zip(keys, places, strict=True) if not ks and p is None
    )
    return keys, places, stats
