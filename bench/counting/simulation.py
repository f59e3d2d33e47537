"""Simulation study: bias and 95% interval coverage of the estimators on populations of known size.

Each scenario draws a population of N people, gives each person a probability of being on
each list (heterogeneous, list-dependent, or both), draws the lists, and tabulates the
observed capture patterns. Every method then estimates N from the table alone:

- ``loglinear``: the log-linear model with the smallest AIC (profile-likelihood interval);
- ``lcmcr``: LCMCR, K = 10, with the reference run length unless ``--quick``;
- ``chao``: Chao's lower bound (a lower bound: it is expected to under-cover);
- ``ensemble``: the estimate ``dadkhah.counting.ensemble`` recommends;
- ``stratified`` / ``stratified LL`` (covariate scenario only): LCMCR / the log-linear model
  chosen by AIC per region, summed; ``ensemble (strata)``: the recommendation between them,
  as ``dadkhah estimate --strata`` makes it.

Run:  .venv/bin/python bench/counting/simulation.py --replicates 20 --seed 20260521
Prints the seed, one line per fit (stderr), and a Markdown table (stdout) for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import secrets
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dadkhah.counting import ensemble, lcmcr, loglinear, simple, stratified
from dadkhah.counting.result import Estimate
from dadkhah.counting.table import CaptureTable

LISTS = ("A", "B", "C", "D", "E", "F")


@dataclass(frozen=True)
class Scenario:
    name: str
    lists: int
    size: int
    description: str
    draw: Callable[[np.random.Generator, int, int], tuple[np.ndarray, np.ndarray]]
    """(captures 0/1 of shape (N, lists), region of each person)"""


def _logit(p: np.ndarray) -> np.ndarray:
    return np.log(p / (1 - p))


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _independent(rng: np.random.Generator, n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    p = np.array([0.30, 0.25, 0.20, 0.25, 0.20, 0.15])[:k]
    return (rng.random((n, k)) < p).astype(np.int64), np.zeros(n, dtype=np.int64)


def _two_groups(rng: np.random.Generator, n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    # 75% hard to record (p about 0.1), 25% easy (p about 0.5): strong heterogeneity.
    easy = rng.random(n) < 0.25
    low = np.array([0.10, 0.08, 0.12, 0.10, 0.09, 0.11])[:k]
    high = np.array([0.50, 0.45, 0.55, 0.50, 0.40, 0.45])[:k]
    p = np.where(easy[:, None], high, low)
    return (rng.random((n, k)) < p).astype(np.int64), np.zeros(n, dtype=np.int64)


def _dependent(rng: np.random.Generator, n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    # List B draws on list A: P(B | on A) = 0.6, P(B | not on A) = 0.15; C, D ... independent.
    p = np.array([0.30, 0.0, 0.25, 0.20, 0.25, 0.20])[:k]
    x = (rng.random((n, k)) < p).astype(np.int64)
    x[:, 1] = (rng.random(n) < np.where(x[:, 0] == 1, 0.6, 0.15)).astype(np.int64)
    return x, np.zeros(n, dtype=np.int64)


def _continuous(rng: np.random.Generator, n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    # Logit-normal individual effect (sd 1) plus a positive A-B dependence.
    base = _logit(np.array([0.20, 0.15, 0.18, 0.12, 0.15, 0.10])[:k])
    effect = rng.normal(0.0, 1.0, n)
    p = _expit(base[None, :] + effect[:, None])
    x = (rng.random((n, k)) < p).astype(np.int64)
    boost = _expit(base[1] + effect + 1.5)
    x[:, 1] = np.where(x[:, 0] == 1, (rng.random(n) < boost).astype(np.int64), x[:, 1])
    return x, np.zeros(n, dtype=np.int64)


def _sparse(rng: np.random.Generator, n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    # Six small lists (5% to 20%) and a logit-normal effect (sd 0.8).
    base = _logit(np.array([0.05, 0.08, 0.10, 0.12, 0.15, 0.20])[:k])
    effect = rng.normal(0.0, 0.8, n)
    p = _expit(base[None, :] + effect[:, None])
    return (rng.random((n, k)) < p).astype(np.int64), np.zeros(n, dtype=np.int64)


def _regions(rng: np.random.Generator, n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    # Two regions: lists record region 0 well and region 1 poorly (capture depends on a
    # covariate the tables carry as strata).
    region = (rng.random(n) < 0.5).astype(np.int64)
    good = np.array([0.40, 0.35, 0.30, 0.35, 0.30, 0.30])[:k]
    poor = np.array([0.10, 0.06, 0.08, 0.12, 0.08, 0.08])[:k]
    p = np.where(region[:, None] == 0, good, poor)
    return (rng.random((n, k)) < p).astype(np.int64), region


SCENARIOS = (
    Scenario("independent", 3, 2000, "3 lists, homogeneous, independent", _independent),
    Scenario("two groups", 4, 2000, "4 lists, 25% easy / 75% hard to record", _two_groups),
    Scenario("dependent", 4, 2000, "4 lists, list B depends on list A", _dependent),
    Scenario(
        "continuous + dependent", 5, 2000, "5 lists, logit-normal heterogeneity, A-B", _continuous
    ),
    Scenario("sparse", 6, 3000, "6 small lists, logit-normal heterogeneity", _sparse),
    Scenario("two regions", 4, 2000, "4 lists, capture depends on region (strata)", _regions),
)


def _table(x: np.ndarray, k: int, stratum: str | None = None) -> CaptureTable:
    seen = x[x.sum(axis=1) > 0]
    patterns, counts = np.unique(seen, axis=0, return_counts=True)
    return CaptureTable(LISTS[:k], patterns, counts, stratum)


def _fit_all(
    table: CaptureTable,
    strata: dict[str | None, CaptureTable] | None,
    seed: int,
    options: dict[str, int],
) -> dict[str, Estimate]:
    found: list[Estimate] = [simple.chao(table)]
    with contextlib.suppress(loglinear.LoglinearError):
        found.extend(loglinear.estimate_selected(table))
    found.append(lcmcr.estimate(table, seed=seed, **options))
    out: dict[str, Estimate] = {}
    for e in found:
        if e.method == "loglinear" and e.diagnostics.get("selected_by") is None:
            out["loglinear BMA"] = e
        else:
            out[e.method] = e
    pool = list(found)
    if strata is not None:
        per: dict[str | None, list[Estimate]] = {}
        for i, (name, part) in enumerate(strata.items()):
            per[name] = [lcmcr.estimate(part, seed=seed + i + 1, **options)]
            with contextlib.suppress(loglinear.LoglinearError):
                per[name].extend(loglinear.estimate_selected(part))
        totals = stratified.combine(per, tables=strata, seed=seed)
        for total in totals:
            out["stratified" if total.diagnostics["combines"] == "lcmcr" else "stratified LL"] = (
                total
            )
        # What `dadkhah estimate --strata` recommends: a choice between the totals.
        out["ensemble (strata)"] = ensemble.recommend(totals, strata, seed)
    out["ensemble"] = ensemble.recommend(pool, {None: table}, seed)
    return out


METHODS = (
    "loglinear",
    "loglinear BMA",
    "lcmcr",
    "chao",
    "ensemble",
    "stratified",
    "stratified LL",
    "ensemble (strata)",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=20)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--quick", action="store_true", help="short LCMCR runs (smoke test)")
    parser.add_argument("--only", default=None, help="run one scenario by name")
    parser.add_argument("--json", type=Path, default=None, help="write every fit here")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else secrets.randbits(32)
    print(f"seed {seed}", file=sys.stderr)
    options = (
        {"burnin": 1000, "samples": 200, "thinning": 10}
        if args.quick
        else {"burnin": lcmcr.BURNIN, "samples": lcmcr.SAMPLES, "thinning": lcmcr.THINNING}
    )
    scenarios = [s for s in SCENARIOS if args.only in (None, s.name)]
    children = np.random.SeedSequence(seed).spawn(len(SCENARIOS))
    rows: list[dict[str, object]] = []
    started = time.perf_counter()
    for scenario, child in zip(SCENARIOS, children, strict=True):
        if scenario not in scenarios:
            continue
        for r, rep_seq in enumerate(child.spawn(args.replicates)):
            rng = np.random.default_rng(rep_seq)
            x, region = scenario.draw(rng, scenario.size, scenario.lists)
            table = _table(x, scenario.lists)
            strata = None
            if scenario.name == "two regions":
                strata = {
                    f"region {g}": _table(x[region == g], scenario.lists, f"region {g}")
                    for g in (0, 1)
                }
            fit_seed = int(rep_seq.generate_state(1)[0])
            results = _fit_all(table, strata, fit_seed, options)
            for method, e in results.items():
                lo, hi = e.interval
                row = {
                    "scenario": scenario.name,
                    "replicate": r,
                    "method": method,
                    "model": e.model,
                    "N": scenario.size,
                    "observed": table.observed,
                    "estimate": float(e.estimate),
                    "low": float(lo),
                    "high": float(hi),
                    "covered": bool(lo <= scenario.size <= hi),
                    "chosen": e.diagnostics.get("chosen", {}).get("method")
                    if method.startswith("ensemble")
                    else None,
                }
                rows.append(row)
            summary = ", ".join(f"{m} {results[m].estimate:,.0f}" for m in METHODS if m in results)
            print(
                f"{scenario.name} #{r}: N={scenario.size} observed={table.observed}: {summary} "
                f"[{time.perf_counter() - started:.0f}s]",
                file=sys.stderr,
                flush=True,
            )
    if args.json is not None:
        args.json.write_text(json.dumps({"seed": seed, "options": options, "rows": rows}))
    print(markdown(rows, seed, args.replicates, options))
    return 0


def markdown(
    rows: list[dict[str, object]], seed: int, replicates: int, options: dict[str, int]
) -> str:
    lines = [
        f"Seed {seed}; {replicates} replicates per scenario; LCMCR K=10, burn-in "
        f"{options['burnin']:,}, {options['samples']:,} draws × 2 chains thinned by "
        f"{options['thinning']}.",
        "",
        "| scenario | N | mean observed | method | mean estimate | relative bias | RMSE / N | "
        "95% coverage | mean interval width / N |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    scenarios = list(dict.fromkeys(str(r["scenario"]) for r in rows))
    for s in scenarios:
        for m in METHODS:
            sel = [r for r in rows if r["scenario"] == s and r["method"] == m]
            if not sel:
                continue
            n = float(sel[0]["N"])  # type: ignore[arg-type]
            est = np.array([float(r["estimate"]) for r in sel])  # type: ignore[arg-type]
            width = np.array([float(r["high"]) - float(r["low"]) for r in sel])  # type: ignore[arg-type]
            cover = np.mean([bool(r["covered"]) for r in sel])
            obs = np.mean([float(r["observed"]) for r in sel])  # type: ignore[arg-type]
            finite = np.isfinite(est)
            bias = (est[finite].mean() - n) / n if finite.any() else float("nan")
            rmse = np.sqrt(np.mean((est[finite] - n) ** 2)) / n if finite.any() else float("nan")
            extra = ""
            if m.startswith("ensemble"):
                chosen = [str(r["chosen"]) for r in sel]
                counts = {c: chosen.count(c) for c in dict.fromkeys(chosen)}
                extra = " (" + ", ".join(f"{c} ×{k}" for c, k in counts.items()) + ")"
            lines.append(
                f"| {s} | {n:,.0f} | {obs:,.0f} | {m}{extra} | {np.nanmean(est):,.0f} | "
                f"{bias:+.1%} | {rmse:.1%} | {cover:.0%} ({int(cover * len(sel))}/{len(sel)}) | "
                f"{np.median(width) / n:.2f} |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
