"""Measure the m probabilities of the linkage model's full-name levels; write ``name_m.yaml``.

m of a comparison level is P(level | the two records name the same person). For the full name
it is measured here, on the labelled pairs of ``dadkhah.names``' own evaluation set
(``bench/names/evalset.py``: the same name written twice, in Persian script and in Latin
transliterations, with Arabic letter forms, typos, reversed order and titles), instead of being
left to expectation maximisation (which, on pairs blocked on birth year and place, converges on
"same place", not on "same person"; see ``docs/benchmarks.md``):

- only the *test* half of the name groups is used (``names.similarity`` was calibrated on the
  calibration half, ``bench/names/calibrate.py``), with another seed than the calibration;
- each positive pair is put through the levels of ``linkage.model``: the same whole-name key
  (``prepare.name_tf_key``), else ``names.similarity`` of the normalized names >= 0.9, >= 0.7,
  >= 0.5, else "all other"; cross-script and same-script pairs are counted apart and together
  (the evaluation set has 6 cross-script pairs for 4 same-script ones per name, about the mix
  of four lists, two in each script); the model uses the pooled values.

The father's name is left to EM (its exact level compares normalized text, so its m depends on
how many lists share a script). The model floors every "all other" m (``LinkConfig.m_floor``):
lists contain errors that no writing model produces (a wrong name copied from another record).

    .venv/bin/python bench/linkage/name_m.py [--groups 3000] [--seed 1988] [--write]
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import random
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from dadkhah.linkage.prepare import name_tf_key  # noqa: E402
from dadkhah.names import VERSION as NAMES_VERSION  # noqa: E402
from dadkhah.names import normalize, similarity  # noqa: E402

OUT = ROOT / "dadkhah" / "linkage" / "data" / "name_m.yaml"
NAME_LEVELS = ("same whole-name key", "similarity >= 0.9", "similarity >= 0.7",
               "similarity >= 0.5", "all other")  # fmt: skip


def evalset() -> ModuleType:
    path = ROOT / "bench" / "names" / "evalset.py"
    spec = importlib.util.spec_from_file_location("names_evalset", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["names_evalset"] = module
    spec.loader.exec_module(module)
    return module


def name_level(a: str, b: str) -> str | None:
    na, nb = normalize(a) or None, normalize(b) or None
    if na is None or nb is None:
        return None
    if name_tf_key(a) == name_tf_key(b):
        return NAME_LEVELS[0]
    s = similarity(na, nb)
    for at, label in zip((0.9, 0.7, 0.5), NAME_LEVELS[1:4], strict=True):
        if s >= at:
            return label
    return NAME_LEVELS[4]


def proportions(counts: Counter[str], levels: tuple[str, ...]) -> dict[str, float]:
    total = sum(counts[k] for k in levels)
    return {k: round(counts[k] / total, 5) for k in levels}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--groups", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1988)
    parser.add_argument("--version", type=int, default=1)
    parser.add_argument("--write", action="store_true", help=f"write {OUT.relative_to(ROOT)}")
    args = parser.parse_args()
    ev = evalset()
    pairs = [p for p in ev.generate(args.groups, args.seed) if p.same and p.split == "test"]
    name_counts: dict[str, Counter[str]] = {"cross-script": Counter(), "same script": Counter()}
    examples: list[tuple[str, str, str]] = []
    for p in pairs:
        level = name_level(p.a, p.b)
        if level is None:
            continue
        name_counts["cross-script" if p.cross else "same script"][level] += 1
        if level == NAME_LEVELS[4]:
            examples.append((p.a, p.b, level))
    name_counts["all"] = name_counts["cross-script"] + name_counts["same script"]

    body = {
        "version": args.version,
        "names_version": NAMES_VERSION,
        "name": {
            "levels": list(NAME_LEVELS),
            "m": proportions(name_counts["all"], NAME_LEVELS),
            "pairs": sum(name_counts["all"].values()),
            "by_script": {
                k: {"m": proportions(name_counts[k], NAME_LEVELS), "pairs": sum(c.values())}
                for k, c in name_counts.items()
                if k != "all"
            },
        },
        "measured": {
            "command": f"bench/linkage/name_m.py --groups {args.groups} --seed {args.seed} "
            f"--version {args.version} --write",
            "date": dt.date.today().isoformat(),
        },
    }
    print(yaml.safe_dump(body, sort_keys=False, allow_unicode=True))
    for a, b, level in random.Random(args.seed).sample(examples, min(8, len(examples))):
        print(f"  {level}: {a!r} / {b!r}")
    if args.write:
        header = (
            "# m probabilities of the full-name levels of dadkhah.linkage.model:\n"
            "# P(level | same person), measured on dadkhah.names' labelled evaluation set (test\n"
            "# half). Written by bench/linkage/name_m.py; do not edit by hand. Bump `version`\n"
            "# (--version) and measure again when dadkhah.names or the levels change.\n"
        )
        OUT.write_text(header + yaml.safe_dump(body, sort_keys=False, allow_unicode=True))
        print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
