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

Keys are numbers (``int32``), not strings: a million records have about fifteen million keys,
and the engine receives them as one Arrow ``list<int32>`` column. The work is done on numpy
arrays, per distinct value where values repeat (names, fathers' names, places); no Python
object is made per key. Pure Python over numpy and pandas; no Django, no engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd  # type: ignore[import-untyped]  # no pandas-stubs in the environment

from dadkhah.names import match_keys

__all__ = ["Blocks", "narrow"]


@dataclass(frozen=True)
class Blocks:
    """The blocking keys of ``n`` records. Record ``i`` has the keys
    ``keys[offsets[i]:offsets[i + 1]]`` (whole-name and match keys, narrowed; two records
    sharing a number share a block) and the year-and-place block ``places[i]`` (-1: none)."""

    offsets: np.ndarray  # int32, n + 1
    keys: np.ndarray  # int32
    places: np.ndarray  # int32, n
    stats: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.places)

    def keys_of(self, i: int) -> list[int]:
        """The keys of record ``i``."""
        return self.keys[self.offsets[i] : self.offsets[i + 1]].tolist()  # type: ignore[no-any-return]

    def place_of(self, i: int) -> int | None:
        """The year-and-place block of record ``i``, or None."""
        p = int(self.places[i])
        return None if p < 0 else p


def _skeleton(name: str) -> str | None:
    """The consonant skeleton of a (father's) name, the same in both scripts."""
    whole = [k for k in match_keys(name) if k.startswith("c:")]
    return whole[0][2:] if whole else None


def _factorize(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes (int64, -1 for a missing value) and the distinct values of an object column."""
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    return codes.astype(np.int64), np.asarray(uniques, dtype=object)


def _csr_by_record(records: np.ndarray, n: int) -> np.ndarray:
    """Offsets of each record's run in ``records`` (sorted), n + 1 of them."""
    return np.searchsorted(records, np.arange(n + 1))


def _agree(frame: pd.DataFrame, years: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """(record, value) of everything a record could agree on with another record of its
    person, by record: its birth year and the next year, its city, its prison, the skeleton
    of its father's name; values numbered per field (disjoint ranges). And their range."""
    n = len(frame)
    known = years >= 0
    y0 = int(years[known].min()) if known.any() else 0
    span = int(years[known].max()) - y0 + 2 if known.any() else 0
    cities, city_values = _factorize(frame["city_key"])
    prisons, prison_values = _factorize(frame["prison_key"])
    fathers, father_values = _factorize(frame["father_norm"])
    skeletons = pd.Series([_skeleton(str(f)) if f else None for f in father_values], dtype=object)
    skeleton_codes, skeleton_values = _factorize(skeletons)
    known_father = fathers >= 0
    father_codes = np.full(n, -1, dtype=np.int64)
    father_codes[known_father] = skeleton_codes[fathers[known_father]]
    year = np.where(known, years - y0, -1)
    columns = [year, np.where(known, year + 1, -1)]  # the next year: the same numbers
    base = span
    for codes, size in (
        (cities, len(city_values)),
        (prisons, len(prison_values)),
        (father_codes, len(skeleton_values)),
    ):
        columns.append(np.where(codes >= 0, codes + base, -1))
        base += size
    matrix = np.stack(columns, axis=1) if n else np.zeros((0, 5), np.int64)
    valid = matrix >= 0
    records = np.repeat(np.arange(n, dtype=np.int64), valid.sum(axis=1))
    return records, matrix[valid], base


def _narrowed(
    records: np.ndarray,
    codes: np.ndarray,
    distinct: int,
    agree: tuple[np.ndarray, np.ndarray, int],
    cap: int,
    n: int,
) -> tuple[np.ndarray, np.ndarray, int, int, int]:
    """The (record, key) pairs with every key of a block above ``cap`` replaced by one key per
    value the record has in ``agree`` (key + value), then left out if still above ``cap``.
    Returns records and keys (sorted by record), the number of keys used (``0..used-1``), and
    how many keys were narrowed and dropped."""
    agree_records, agree_values, n_values = agree
    first = _csr_by_record(agree_records, n)  # each record's values
    next_code = distinct
    counts = np.bincount(codes, minlength=next_code)
    big = counts[codes] > cap
    narrowed = int(np.count_nonzero(counts > cap))
    if big.any():
        big_records, big_codes = records[big], codes[big]
        start = first[big_records]
        many = first[big_records + 1] - start
        which = np.repeat(np.arange(len(big_records)), many)
        offset = np.arange(len(which)) - np.repeat(np.cumsum(many) - many, many)
        combined = big_codes[which] * max(n_values, 1) + agree_values[start[which] + offset]
        _, dense = np.unique(combined, return_inverse=True)
        new_codes = dense.astype(np.int64).ravel() + next_code
        next_code = int(new_codes.max()) + 1 if len(new_codes) else next_code
        records = np.concatenate([records[~big], big_records[which]])
        codes = np.concatenate([codes[~big], new_codes])
        counts = np.bincount(codes, minlength=next_code)
    over = counts[codes] > cap
    dropped = int(np.count_nonzero(counts > cap))
    records, codes = records[~over], codes[~over]
    order = np.argsort(records, kind="stable")
    return records[order], codes[order], next_code, narrowed, dropped


def _match_keys(column: pd.Series, n: int) -> tuple[np.ndarray, np.ndarray, int]:
    """(record, key number) of every match key of every record, distinct within a record;
    and the number of distinct keys. The lists are read once per distinct list object
    (``prepare`` gives every record of one name the same list) and once per key string."""
    ids = np.fromiter((id(v) for v in column), dtype=np.int64, count=n)
    which, first = np.unique(ids, return_index=True)  # one row per distinct list object
    owner = np.searchsorted(which, ids)  # each record's distinct list
    lists = [column.iat[int(i)] for i in first]
    lists = [v if isinstance(v, list | tuple | set) else [] for v in lists]
    lengths = np.fromiter((len(v) for v in lists), dtype=np.int64, count=len(lists))
    flat = pd.Series([k for v in lists for k in v], dtype=object)
    codes, uniques = _factorize(flat)
    distinct = len(uniques)
    # distinct (list, key), sorted by list
    list_of = np.repeat(np.arange(len(lists), dtype=np.int64), lengths)
    pairs = np.unique(list_of * max(distinct, 1) + codes)
    list_of, codes = pairs // max(distinct, 1), pairs % max(distinct, 1)
    starts = _csr_by_record(list_of, len(lists))
    many = (starts[1:] - starts[:-1])[owner]
    records = np.repeat(np.arange(n, dtype=np.int64), many)
    offset = np.arange(len(records)) - np.repeat(np.cumsum(many) - many, many)
    return records, codes[starts[owner][records] + offset], distinct


def _places(years: np.ndarray, frame: pd.DataFrame, cap: int, stats: dict[str, int]) -> np.ndarray:
    """The year-and-city block of each record (-1: none), narrowed by gender, then prison,
    when above ``cap``, then left out if still above it."""
    cities, _ = _factorize(frame["city_key"])
    has = (years >= 0) & (cities >= 0)
    place = np.where(
        has, (years - (years.min() if len(years) else 0)) * (cities.max() + 1) + cities, -1
    )
    place = _dense(place)
    stats["narrowed_year_place_blocks"] = 0
    for column in ("gender", "prison_key"):
        extra, values = _factorize(frame[column])
        counts = np.bincount(place[place >= 0], minlength=1)
        big = (place >= 0) & (counts[np.maximum(place, 0)] > cap)
        if not big.any():
            break
        stats["narrowed_year_place_blocks"] += int(np.count_nonzero(counts > cap))
        width = len(values) + 1  # the last number: not narrowed
        place = np.where(
            big,
            np.where(extra >= 0, place * width + extra, -1),
            np.where(place >= 0, place * width + len(values), -1),
        )
        place = _dense(place)
    counts = np.bincount(place[place >= 0], minlength=1)
    over = (place >= 0) & (counts[np.maximum(place, 0)] > cap)
    stats["dropped_year_place_blocks"] = int(np.count_nonzero(counts > cap))
    return np.where(over, -1, place)


def _dense(codes: np.ndarray) -> np.ndarray:
    """The same grouping numbered 0, 1, 2… (-1 stays -1)."""
    out = np.full(len(codes), -1, dtype=np.int64)
    known = codes >= 0
    if known.any():
        out[known] = np.unique(codes[known], return_inverse=True)[1].ravel()
    return out


def narrow(frame: pd.DataFrame, max_block: int, max_key_block: int, max_place_block: int) -> Blocks:
    """The blocking keys of each record of the prepared ``frame`` (whole-name and match keys,
    narrowed) and its year-and-place block, with the counts of narrowed and dropped keys."""
    n = len(frame)
    birth = frame["birth_year"]
    years = np.where(birth.isna().to_numpy(), -1, birth.fillna(0).to_numpy(dtype=np.int64))
    agree = _agree(frame, years)

    whole, whole_values = _factorize(frame["name_tf"])
    has = whole >= 0
    w_records, w_codes, w_used, narrowed_whole, dropped_whole = _narrowed(
        np.flatnonzero(has).astype(np.int64), whole[has], len(whole_values), agree, max_block, n
    )
    m_records, m_codes, n_match = _match_keys(frame["name_keys"], n)
    m_records, m_codes, _, narrowed_match, dropped_match = _narrowed(
        m_records, m_codes, n_match, agree, max_key_block, n
    )
    records = np.concatenate([w_records, m_records])
    codes = np.concatenate([w_codes, m_codes + w_used])  # disjoint numbers
    order = np.argsort(records, kind="stable")
    records, codes = records[order], codes[order]
    if len(codes) and codes.max() >= 2**31:
        raise ValueError(f"too many blocking keys for int32: {int(codes.max())}")
    stats = {
        "keys": len(whole_values),
        "narrowed_keys": narrowed_whole,
        "dropped_keys": dropped_whole,
        "match_keys": n_match,
        "narrowed_match_keys": narrowed_match,
        "dropped_match_keys": dropped_match,
    }
    places = _places(years, frame, max_place_block, stats)
    offsets = _csr_by_record(records, n)
    stats["records_without_block"] = int(
        np.count_nonzero((offsets[1:] == offsets[:-1]) & (places < 0))
    )
    return Blocks(
        offsets.astype(np.int32),
        codes.astype(np.int32),
        places.astype(np.int32),
        stats,
    )
