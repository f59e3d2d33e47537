"""Stratified totals: draws added across strata, the log-linear parametric bootstrap, and the
end-to-end path from a CSV with a strata column through ``dadkhah.counting.run``."""

from __future__ import annotations

import numpy as np
import pytest

from dadkhah.counting import lcmcr, loglinear, stratified
from dadkhah.counting.result import Estimate
from dadkhah.counting.run import run
from dadkhah.counting.table import CaptureTable, read_capture_csv


def _posterior(stratum: str, mean: float, sd: float, seed: int) -> Estimate:
    draws = np.random.default_rng(seed).normal(mean, sd, 4000)
    return Estimate(
        method="lcmcr",
        model="LCMCR K=10",
        observed=int(mean / 2),
        estimate=float(np.median(draws)),
        interval=(float(np.quantile(draws, 0.025)), float(np.quantile(draws, 0.975))),
        diagnostics={"draws": draws, "rhat": 1.0, "warnings": []},
        stratum=stratum,
    )


def test_lcmcr_totals_add_draws_not_interval_ends():
    # Independent normal posteriors: the total is normal with the summed mean and variance,
    # so its interval is narrower than the sum of the strata's intervals.
    per = {
        "north": [_posterior("north", 1000, 60, 1)],
        "south": [_posterior("south", 3000, 80, 2)],
    }
    (total,) = stratified.combine(per, seed=5)
    assert total.method == "stratified" and total.stratum is None
    assert total.diagnostics["combines"] == "lcmcr"
    assert total.estimate == pytest.approx(4000, abs=10)
    half = 1.96 * np.hypot(60, 80)
    assert total.interval[0] == pytest.approx(4000 - half, abs=12)
    assert total.interval[1] == pytest.approx(4000 + half, abs=12)
    naive = sum(e[0].interval[1] - e[0].interval[0] for e in per.values())
    assert total.interval[1] - total.interval[0] < 0.8 * naive
    assert total.observed == 500 + 1500
    assert [s["stratum"] for s in total.diagnostics["strata"]] == ["north", "south"]


def _independent_stratum(rng: np.random.Generator, size: int, p: list[float], name: str):
    x = (rng.random((size, len(p))) < p).astype(np.int64)
    seen = x[x.sum(axis=1) > 0]
    patterns, counts = np.unique(seen, axis=0, return_counts=True)
    return CaptureTable(("A", "B", "C"), patterns, counts, name)


def test_loglinear_bootstrap_total_covers_the_truth():
    # Two strata of 3,000 and 1,000 people with different capture probabilities. Over 12
    # simulated populations the 95% interval of the total should miss 4,000 at most twice.
    rng = np.random.default_rng(8)
    covered = 0
    for replicate in range(12):
        tables = {
            "city": _independent_stratum(rng, 3000, [0.3, 0.25, 0.35], "city"),
            "prison": _independent_stratum(rng, 1000, [0.1, 0.15, 0.12], "prison"),
        }
        per = {s: [loglinear.estimate_model(t, loglinear.Model())] for s, t in tables.items()}
        (total,) = stratified.combine(per, tables=tables, seed=replicate, replicates=200)
        assert total.diagnostics["combines"] == "loglinear"
        assert "parametric bootstrap" in total.diagnostics["interval_method"]
        assert total.estimate == pytest.approx(sum(e[0].estimate for e in per.values()))
        low, high = total.interval
        assert low < total.estimate < high
        covered += low <= 4000 <= high
    assert covered >= 10
    # The pooled table mixes two capture regimes (heterogeneity) and falls short.
    pooled = tables["city"].merged(tables["prison"])
    assert loglinear.fit(pooled, loglinear.Model()).estimate < 3900


def test_without_tables_the_loglinear_total_simulates_from_the_se():
    rng = np.random.default_rng(9)
    tables = {s: _independent_stratum(rng, 800, [0.3, 0.3, 0.3], s) for s in ("a", "b")}
    per = {s: [loglinear.estimate_model(t, loglinear.Model())] for s, t in tables.items()}
    (total,) = stratified.combine(per, seed=1, replicates=500)
    assert "log-normal" in total.diagnostics["interval_method"]
    assert total.interval[0] < total.estimate < total.interval[1]


@pytest.mark.parametrize(
    "model",
    [
        loglinear.Model(),
        loglinear.Model(((0, 1),)),
        loglinear.Model(((0, 1), (2, 3)), "poisson"),
        loglinear.Model(heterogeneity="darroch"),
        loglinear.Model(((1, 2),), "gamma"),
        loglinear.Model(equal=True),
        loglinear.Model(equal=True, heterogeneity="darroch"),
    ],
)
def test_the_model_is_rebuilt_from_its_estimate(model):
    table = read_capture_csv(
        "A,B,C,D,count\n1,0,0,0,90\n0,1,0,0,80\n0,0,1,0,70\n0,0,0,1,60\n1,1,0,0,25\n"
        "1,0,1,0,20\n0,1,1,0,18\n0,0,1,1,15\n1,0,0,1,12\n0,1,0,1,10\n1,1,1,0,6\n"
        "1,1,0,1,4\n1,0,1,1,3\n0,1,1,1,3\n1,1,1,1,2\n"
    )[None]
    estimate = loglinear.estimate_model(table, model)
    assert stratified._model_of(estimate, table) == model


def test_an_empty_stratum_is_refused():
    with pytest.raises(ValueError, match="empty stratum 'b'"):
        stratified.combine({"a": [_posterior("a", 100, 5, 1)], "b": []})


def test_small_strata_are_flagged():
    small = _posterior("tiny", 60, 10, 4)
    (total,) = stratified.combine({"tiny": [small], "big": [_posterior("big", 900, 30, 5)]})
    assert any("stratum tiny: only 30 people" in w for w in total.warnings)


def test_run_with_strata_ends_with_totals_and_a_recommendation(monkeypatch):
    # Shorter LCMCR runs than the default keep the test fast; the path is the CLI's.
    real = lcmcr.estimate
    monkeypatch.setattr(
        lcmcr,
        "estimate",
        lambda table, **kw: real(table, **{**kw, "burnin": 1000, "samples": 300, "thinning": 5}),
    )
    rng = np.random.default_rng(12)
    lines = ["region,A,B,C,count"]
    for name, size, p in (("east", 1500, [0.3, 0.2, 0.25]), ("west", 900, [0.15, 0.2, 0.1])):
        table = _independent_stratum(rng, size, p, name)
        for pattern, count in zip(table.patterns, table.counts, strict=True):
            lines.append(f"{name}," + ",".join(map(str, pattern)) + f",{count}")
    tables = read_capture_csv("\n".join(lines) + "\n", strata="region")
    result = run(tables, method="all", seed=42)
    methods = [(e.method, e.stratum) for e in result.estimates]
    assert ("lcmcr", "east") in methods and ("lcmcr", "west") in methods
    totals = [e for e in result.estimates if e.method == "stratified"]
    assert {e.diagnostics["combines"] for e in totals} == {"lcmcr", "loglinear"}
    for total in totals:  # 2,400 people in all, 1,300 of them recorded
        assert total.interval[0] < total.estimate < total.interval[1]
        assert 1800 < total.estimate < 3200
    last = result.estimates[-1]
    assert last.recommended and last.diagnostics["why"]
    assert "summed over strata" in last.diagnostics["why"] or "strata" in last.diagnostics["why"]
