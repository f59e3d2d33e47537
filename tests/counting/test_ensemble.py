"""The ensemble: which estimate it recommends and why, how it reports disagreement, and a
full run of every method on a simulated table."""

from __future__ import annotations

import numpy as np
import pytest

from dadkhah.counting import ensemble
from dadkhah.counting.result import Estimate
from dadkhah.counting.table import CaptureTable


def _e(method: str, estimate: float, interval: tuple[float, float], **diagnostics) -> Estimate:
    model = {
        "lcmcr": "LCMCR K=10",
        "chao": "Chao lower bound",
        "chapman": "Chapman (2 lists)",
    }.get(method, diagnostics.pop("model", "[12,3]"))
    diagnostics.setdefault("warnings", [])
    return Estimate(method, model, 1000, estimate, interval, diagnostics)


def _set(rhat: float = 1.01, heterogeneity: str | None = None, lcmcr_at: float = 2100):
    return [
        _e("chao", 1800, (1700, 1950)),
        _e(
            "loglinear",
            2000,
            (1850, 2200),
            selected_by="smallest AIC",
            heterogeneity=heterogeneity,
            terms=["A:B"],
        ),
        _e("loglinear", 2050, (1800, 2400), model="BMA over 64 models (BIC weights)"),
        _e("lcmcr", lcmcr_at, (1900, 2350), rhat=rhat, ess_bulk=800, ess_tail=600, draws=[1, 2]),
    ]


def test_converged_lcmcr_is_recommended_and_heterogeneity_is_named():
    best = ensemble.recommend(_set(heterogeneity="Darroch"), seed=4)
    assert best.recommended and best.method == "ensemble"
    assert best.diagnostics["chosen"] == {"method": "lcmcr", "model": "LCMCR K=10"}
    assert best.estimate == 2100
    why = best.diagnostics["why"]
    assert "converged" in why and "heterogeneity was detected" in why and "Darroch" in why
    # The interval spans LCMCR's and the model average's.
    assert best.interval == (1800, 2400)
    assert "hull" in best.diagnostics["interval_method"]["method"]
    assert best.diagnostics["seed"] == 4
    assert best.diagnostics["draws"] == [1, 2]
    line = best.to_json()
    assert line["recommended"] is True and "stratum" not in line


def test_without_heterogeneity_the_reason_says_so():
    best = ensemble.recommend(_set())
    assert best.diagnostics["chosen"]["method"] == "lcmcr"
    assert "no heterogeneity was detected" in best.diagnostics["why"]


def test_chao_above_the_loglinear_estimate_counts_as_heterogeneity():
    found = _set()
    found[0] = _e("chao", 2050, (1950, 2150))
    best = ensemble.recommend(found)
    assert "Chao's lower bound (2,050) is above" in best.diagnostics["why"]


def test_unconverged_lcmcr_falls_back_to_loglinear_and_says_why():
    best = ensemble.recommend(_set(rhat=1.2))
    assert best.diagnostics["chosen"]["model"] == "[12,3]"
    assert "R-hat 1.200" in best.diagnostics["why"]
    assert best.estimate == 2000
    assert best.interval == (1800, 2400)  # with the model average's interval


def test_two_lists_recommend_chapman():
    found = [_e("chapman", 1500, (1400, 1650)), _e("chao", 1450, (1400, 1550))]
    table = CaptureTable.from_counts("AB", {"10": 300, "01": 250, "11": 90})
    best = ensemble.recommend(found, {None: table})
    assert best.diagnostics["chosen"]["method"] == "chapman"
    assert "two lists" in best.diagnostics["why"]


def test_disagreement_is_reported_and_warned():
    found = _set(lcmcr_at=3000)
    found[3] = _e("lcmcr", 3000, (2700, 3400), rhat=1.0, ess_bulk=900, ess_tail=900)
    report = ensemble.disagreement(found)
    assert report["disagree"] is True
    assert report["spread"] == pytest.approx(1.5)
    assert ["loglinear ([12,3])", "lcmcr (LCMCR K=10)"] in report["disjoint_intervals"]
    best = ensemble.recommend(found)
    assert any("the methods disagree" in w for w in best.warnings)


def test_an_estimate_below_chaos_lower_bound_is_flagged():
    found = _set(lcmcr_at=1750)
    found[3] = _e("lcmcr", 1750, (1650, 1900), rhat=1.0, ess_bulk=900, ess_tail=900)
    best = ensemble.recommend(found)
    assert "lcmcr (LCMCR K=10)" in best.diagnostics["disagreement"]["below_lower_bound"]
    assert any("below Chao's lower bound" in w for w in best.warnings)


def test_nothing_to_recommend_is_an_error():
    with pytest.raises(ValueError, match="no overall estimate"):
        ensemble.recommend([])


def test_every_method_on_a_simulated_table():
    rng = np.random.default_rng(21)
    easy = rng.random(2500) < 0.3
    p = np.where(easy[:, None], [0.5, 0.6, 0.45, 0.5], [0.15, 0.1, 0.2, 0.15])
    x = (rng.random((2500, 4)) < p).astype(np.int64)
    seen = x[x.sum(axis=1) > 0]
    patterns, counts = np.unique(seen, axis=0, return_counts=True)
    table = CaptureTable(tuple("ABCD"), patterns, counts)
    found = ensemble.ensemble(
        table, seed=9, lcmcr_options={"burnin": 2000, "samples": 400, "thinning": 10}
    )
    assert [e.method for e in found] == ["chao", "loglinear", "loglinear", "lcmcr", "ensemble"]
    best = found[-1]
    assert best.recommended and best.diagnostics["why"]
    assert best.interval[0] <= 2500 <= best.interval[1]
    assert best.interval[0] <= best.estimate <= best.interval[1]
