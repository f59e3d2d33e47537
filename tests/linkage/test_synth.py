"""The synthetic victim lists of bench/linkage: seeded, reproducible, and their truth consistent.

Also the scores of bench/linkage/metrics.py on hand-computed examples.
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import random
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

from dadkhah.core.dates import parse_partial_date
from dadkhah.names import match_keys, normalize

BENCH = Path(__file__).resolve().parents[2] / "bench" / "linkage"
SEED = 6


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"linkage_{name}", BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


synth = _load("synth")
metrics = _load("metrics")


@pytest.fixture(scope="module")
def drawn() -> tuple[list[list[dict[str, str]]], dict[tuple[str, str], str]]:
    sys.stdout.write(f"seed {SEED}\n")
    return synth.generate(600, 5, SEED)  # type: ignore[no-any-return]


def test_same_seed_same_lists_other_seed_other_lists(drawn: tuple) -> None:
    again = synth.generate(600, 5, SEED)
    assert again == drawn
    other = synth.generate(600, 5, SEED + 1)
    assert other[0] != drawn[0]


def test_truth_names_every_row_once_and_rows_follow_the_contract(drawn: tuple) -> None:
    lists, truth = drawn
    keys = [(row["list"], row["record_id"]) for rows in lists for row in rows]
    assert len(keys) == len(set(keys)) == len(truth)
    assert set(keys) == set(truth)
    names = [rows[0]["list"] for rows in lists]
    assert names == synth.list_names(5)
    assert all(name.startswith("synthetic-") for name in names)
    for rows in lists:
        assert len(rows) > 50
        assert all(tuple(row) == synth.COLUMNS for row in rows)
        assert all(row["record_id"] and row["full_name"] for row in rows)
        # nobody twice on one list
        people = Counter(truth[(row["list"], row["record_id"])] for row in rows)
        assert people.most_common(1)[0][1] == 1
    on_lists = len(set(truth.values()))
    assert 300 < on_lists <= 600  # some persons are on no list
    assert Counter(Counter(truth.values()).values())[1] < on_lists  # overlaps exist


def _year(text: str) -> int:
    year = int(normalize(text))
    return year + 621 if year < 1500 else year


def test_rows_of_one_person_agree_and_rows_of_two_persons_mostly_do_not(drawn: tuple) -> None:
    lists, truth = drawn
    rows = {(row["list"], row["record_id"]): row for rs in lists for row in rs}
    by_person: dict[str, list[dict[str, str]]] = {}
    for key, pid in truth.items():
        by_person.setdefault(pid, []).append(rows[key])
    same_keys = same_pairs = 0
    for group in by_person.values():
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                same_pairs += 1
                same_keys += bool(match_keys(a["full_name"]) & match_keys(b["full_name"]))
                if a["birth_year"] and b["birth_year"]:
                    assert abs(_year(a["birth_year"]) - _year(b["birth_year"])) <= 2
                if a["gender"] and b["gender"]:
                    male = {"M", "male", "مرد"}
                    assert (a["gender"] in male) == (b["gender"] in male)
    assert same_pairs > 300
    assert same_keys / same_pairs > 0.85
    rng = random.Random(SEED)
    flat = list(rows.values())
    other_keys = 0
    for _ in range(2000):
        a, b = rng.sample(flat, 2)
        if truth[(a["list"], a["record_id"])] != truth[(b["list"], b["record_id"])]:
            other_keys += bool(match_keys(a["full_name"]) & match_keys(b["full_name"]))
    assert other_keys / 2000 < 0.1


def test_dates_years_and_styles(drawn: tuple) -> None:
    lists, _truth = drawn
    by_list = {rows[0]["list"]: rows for rows in lists}
    for rows in lists:
        for row in rows:
            if row["death_date"]:
                date = parse_partial_date(row["death_date"])
                assert dt.date(1988, 7, 1) <= date.start <= dt.date(1988, 10, 1), row
            if row["birth_year"]:
                assert 1938 <= _year(row["birth_year"]) <= 1972, row
    fa_rows = by_list["synthetic-families"]
    assert all(any("\u0600" <= c <= "\u06ff" for c in r["full_name"]) for r in fa_rows)
    assert any("ي" in r["full_name"] or "ك" in r["full_name"] for r in fa_rows)
    ngo = by_list["synthetic-ngo"]
    assert all(r["full_name"].isascii() for r in ngo)
    assert any(r["death_date"][:4] == "1988" for r in ngo)
    assert any("1367" in r["death_date"] for r in fa_rows)
    un = by_list["synthetic-un"]
    assert all(r["full_name"] == r["full_name"].upper() for r in un)
    # fields go missing at list-dependent rates
    missing = {
        name: sum(not r["death_date"] for r in rows) / len(rows) for name, rows in by_list.items()
    }
    assert missing["synthetic-survivors"] > missing["synthetic-families"] + 0.2


def test_capture_depends_on_the_list_and_the_prison() -> None:
    rng = random.Random(SEED)
    persons = synth.population(3000, rng)
    lists, truth = synth.generate(3000, 4, SEED, persons=persons)
    tehran = synth.capital_prisons()
    assert {"evin", "gohardasht"} <= tehran
    in_tehran = {p.pid for p in persons if p.prison in tehran}
    on = {name: set() for name in synth.list_names(4)}
    for (name, _rid), pid in truth.items():
        on[name].add(pid)
    survivors = on["synthetic-survivors"]
    rate_t = len(survivors & in_tehran) / len(in_tehran)
    rate_o = len(survivors - in_tehran) / (len(persons) - len(in_tehran))
    assert rate_t > rate_o + 0.1
    sizes = sorted(len(v) for v in on.values())
    assert sizes[-1] > 1.3 * sizes[0]


def test_csv_files_in_their_encodings_read_back(tmp_path: Path, drawn: tuple) -> None:
    lists, _truth = drawn
    paths = synth.write_csvs(lists, tmp_path)
    assert [p.name for p in paths][-1] == "synthetic-all.csv"
    raw = {p.name: p.read_bytes() for p in paths}
    assert raw["synthetic-survivors.csv"][:2] in (b"\xff\xfe", b"\xfe\xff")
    assert raw["synthetic-press.csv"][:3] == b"\xef\xbb\xbf"
    with pytest.raises(UnicodeDecodeError):
        raw["synthetic-families.csv"].decode("utf-8")
    for rows, path in zip(lists, paths, strict=False):
        encoding = synth.style_of(rows[0]["list"]).encoding
        with path.open(encoding=encoding, newline="") as handle:
            assert list(csv.DictReader(handle)) == rows
    with paths[-1].open(encoding="utf-8", newline="") as handle:
        assert len(list(csv.DictReader(handle))) == sum(len(r) for r in lists)


def test_the_list_reader_reads_every_generated_file(tmp_path: Path) -> None:
    lists_module = pytest.importorskip("dadkhah.linkage.lists")
    lists, _truth = synth.generate(150, 5, SEED)
    for rows, path in zip(lists, synth.write_csvs(lists, tmp_path), strict=False):
        records, problems = lists_module.read_records(path)
        assert problems == []
        assert [r.record_id for r in records] == [r["record_id"] for r in rows]
        assert [normalize(r.full_name) for r in records] == [
            normalize(r["full_name"]) for r in rows
        ]


def test_pairwise_and_bcubed_on_a_hand_computed_example() -> None:
    truth = {"a1": "p1", "a2": "p1", "a3": "p1", "b1": "p2", "b2": "p2", "c1": "p3"}
    found = {"a1": "x", "a2": "x", "a3": "y", "b1": "z", "b2": "z", "c1": "z"}
    pw = metrics.pairwise(found, truth)
    assert (pw.true_positives, pw.predicted, pw.actual) == (2, 4, 4)
    assert pw.precision == pw.recall == pw.f1 == 0.5
    b3 = metrics.bcubed(found, truth)
    assert b3.precision == pytest.approx(14 / 18)
    assert b3.recall == pytest.approx(14 / 18)
    perfect = metrics.bcubed(truth, truth)
    assert perfect.precision == perfect.recall == 1.0
    one = metrics.pairwise({k: "all" for k in truth}, truth)
    assert one.recall == 1.0 and one.precision == pytest.approx(4 / 15)
    links = metrics.pair_links([("a1", "a2"), ("a2", "a1"), ("a1", "b1")], truth)
    assert (links.true_positives, links.predicted) == (1, 2)
    assert links.recall == pytest.approx(1 / 4)
    with pytest.raises(ValueError, match="different records"):
        metrics.pairwise({"a1": "x"}, truth)
    assert metrics.true_pairs(truth) == {
        frozenset(p) for p in (("a1", "a2"), ("a1", "a3"), ("a2", "a3"), ("b1", "b2"))
    }
