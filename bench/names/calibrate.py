"""Fit the calibration of ``dadkhah.names.similarity`` and write ``data/calibration.yaml``.

A logistic regression (Newton's method, a small L2 penalty) over the features of
``dadkhah.names.compare.FEATURES``, on the calibration half of the evaluation set
(``evalset.py``). The fitted model turns the features into a probability that two written names
are the same name, given the mix of pairs in the evaluation set; the threshold stays 0.5.

    .venv/bin/python bench/names/calibrate.py [--groups 1200] [--seed N] [--version V] [--write]
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import random
from pathlib import Path

import yaml
from evalset import generate

from dadkhah.names.compare import FEATURES, features
from dadkhah.names.lexicon import DATA
from dadkhah.names.tokens import parse

PENALTY = 1e-3


def _solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting."""
    n = len(vector)
    a = [row[:] + [vector[i]] for i, row in enumerate(matrix)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
        a[col], a[pivot] = a[pivot], a[col]
        for r in range(col + 1, n):
            f = a[r][col] / a[col][col]
            for c in range(col, n + 1):
                a[r][c] -= f * a[col][c]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        x[r] = (a[r][n] - sum(a[r][c] * x[c] for c in range(r + 1, n))) / a[r][r]
    return x


def fit(rows: list[tuple[float, ...]], labels: list[bool]) -> list[float]:
    """Coefficients [intercept, w1, …] of an L2-penalised logistic regression."""
    d = len(rows[0]) + 1
    w = [0.0] * d
    data = [((1.0, *x), 1.0 if y else 0.0) for x, y in zip(rows, labels, strict=True)]
    for _ in range(60):
        grad = [PENALTY * w[i] if i else 0.0 for i in range(d)]
        hess = [[(PENALTY if i == j and i else 0.0) for j in range(d)] for i in range(d)]
        for x, y in data:
            z = sum(wi * xi for wi, xi in zip(w, x, strict=True))
            p = 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, z))))
            g, h = p - y, p * (1.0 - p)
            for i in range(d):
                grad[i] += g * x[i]
                hi = h * x[i]
                row = hess[i]
                for j in range(d):
                    row[j] += hi * x[j]
        step = _solve(hess, grad)
        w = [wi - si for wi, si in zip(w, step, strict=True)]
        if max(abs(s) for s in step) < 1e-8:
            break
    return w


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--groups", type=int, default=1200)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--version", type=int, default=1)
    parser.add_argument("--write", action="store_true", help="write data/calibration.yaml")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    pairs = [p for p in generate(args.groups, seed) if p.split == "calibration"]
    rows: list[tuple[float, ...]] = []
    labels: list[bool] = []
    for pair in pairs:
        values = features(parse(pair.a), parse(pair.b))
        if values is not None:
            rows.append(values)
            labels.append(pair.same)
    w = fit(rows, labels)
    print(f"seed {seed}: fitted on {len(rows)} pairs ({sum(labels)} positive)")
    print(f"  intercept {w[0]:+.3f}")
    for name, value in zip(FEATURES, w[1:], strict=True):
        print(f"  {name:10} {value:+.3f}")
    if args.write:
        path = Path(DATA) / "calibration.yaml"
        header = (
            "# Calibration of dadkhah.names.similarity: a logistic model over the features in\n"
            "# dadkhah.names.compare.FEATURES. Written by bench/names/calibrate.py; do not edit by\n"
            "# hand. Bump `version` (--version) whenever it is refitted.\n"
        )
        body = {
            "version": args.version,
            "intercept": round(w[0], 4),
            "weights": {n: round(v, 4) for n, v in zip(FEATURES, w[1:], strict=True)},
            "threshold": 0.5,
            "fitted_on": {
                "command": f"bench/names/calibrate.py --groups {args.groups} --seed {seed} "
                f"--version {args.version} --write",
                "pairs": len(rows),
                "positive": sum(labels),
                "date": dt.date.today().isoformat(),
            },
        }
        path.write_text(header + yaml.safe_dump(body, sort_keys=False, allow_unicode=True))
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
