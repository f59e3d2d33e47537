"""Stratified estimation: estimate each stratum on its own, then add them up.

When the chance of being listed depends on who the person was (a city, a prison, a period),
estimating from the pooled table mixes people with different capture probabilities and can be
biased. Estimating per stratum, where capture is more alike, and summing removes the part of
that bias which the strata explain (Sekar and Deming 1949; Manrique-Vallier, Price and
Gohdes 2013 stratify the same way).

The total's interval is propagated by simulation, never by adding interval ends:

- **LCMCR**: each stratum's posterior draws of N are shuffled (with the seeded generator) and
  added draw by draw; strata are independent a posteriori, so the sums are draws from the
  posterior of the total. The estimate is their median, the interval their 2.5% and 97.5%
  quantiles.
- **log-linear** (the model chosen per stratum, by AIC or ``--terms``): a parametric
  bootstrap. For each stratum, ``B`` populations of N̂ people are simulated from the fitted model
  (multinomial over every cell, the unobserved one included), the same model is
  refitted to the simulated observed table, and the ratio of estimated to true unseen counts
  is recorded; dividing the stratum's own estimate of the unseen by each ratio gives ``B``
  draws of its N (:func:`parametric_bootstrap`). The strata's draws are added and the
  total's interval is their 2.5% and 97.5% quantiles; the estimate is the sum of the strata's
  estimates. The model is kept fixed, not reselected, in each replicate. Without the tables,
  each stratum's unseen count is drawn log-normal from its estimate and SE instead.

Pure numpy/scipy.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from dadkhah.counting import loglinear
from dadkhah.counting.result import Estimate
from dadkhah.counting.table import CaptureTable

__all__ = ["BOOTSTRAP", "SMALL_STRATUM", "VERSION", "combine", "parametric_bootstrap"]

VERSION = "stratified-v1"
BOOTSTRAP = 1000
"""Parametric bootstrap replicates per stratum for the log-linear total."""
SMALL_STRATUM = 50
"""Strata with fewer people recorded get a warning: their estimates are unstable."""
LEVEL = 0.95


def _is_selected_loglinear(e: Estimate) -> bool:
    return e.method == "loglinear" and e.diagnostics.get("selected_by") in ("smallest AIC", "given")


def _model_of(estimate: Estimate, table: CaptureTable) -> loglinear.Model | None:
    """The log-linear model an estimate was made with, rebuilt from its name and diagnostics
    (None when that cannot be done exactly)."""
    d = estimate.diagnostics
    equal = estimate.model.startswith(("M0", "Mh"))
    terms = d.get("terms") or []
    try:
        pairs = () if equal else loglinear.parse_terms(",".join(terms), table.lists)
    except loglinear.LoglinearError:
        return None
    label = d.get("heterogeneity")
    heterogeneity = None
    theta = None
    if label:
        for key, name in loglinear.LABEL.items():
            if str(label).startswith(name):
                heterogeneity = key
                rest = str(label)[len(name) :]
                if re.fullmatch(r"[0-9.]+", rest):
                    theta = float(rest)
                break
        if heterogeneity is None:
            return None
    try:
        model = loglinear.Model(pairs, heterogeneity, theta, equal)
    except loglinear.LoglinearError:
        return None
    return model if model.name(table.k) == estimate.model else None


def parametric_bootstrap(
    table: CaptureTable, model: loglinear.Model, rng: np.random.Generator, replicates: int
) -> tuple[float, np.ndarray]:
    """(N̂, ``replicates`` simulated values of N) for ``table`` under the fitted ``model``.

    Each replicate simulates a population of N̂ people from the fitted model (a multinomial
    over every cell, the unobserved one included), refits the model to the simulated observed
    table, and records the ratio ``r = (f̂0* + 1/2) / (f0* + 1/2)`` of estimated to true
    unseen counts. ``n + f̂0 / r`` is then a draw of N: the estimate corrected by one error of
    the size the model makes. Working with ratios keeps the skew of the unseen count."""
    fitted = loglinear.fit(table, model)
    if not fitted.identified:
        raise loglinear.LoglinearError(
            f"model {fitted.name} does not determine the unseen count in stratum {table.stratum!r}"
        )
    n = table.observed
    unseen = fitted.estimate - n
    size = int(round(fitted.estimate))
    probs = np.append(fitted.glm.fitted, unseen) / (fitted.glm.fitted.sum() + unseen)
    patterns, _ = table.full()
    ratios = np.empty(replicates)
    for b in range(replicates):
        cells = rng.multinomial(size, probs)
        y, truth = cells[:-1], float(cells[-1])
        keep = y > 0
        if not keep.any():
            ratios[b] = 0.5 / (truth + 0.5)
            continue
        simulated = CaptureTable(table.lists, patterns[keep], y[keep], table.stratum)
        refit = loglinear.fit(simulated, model)
        guess = refit.estimate - simulated.observed if refit.identified else math.inf
        ratios[b] = (guess + 0.5) / (truth + 0.5)
    with np.errstate(divide="ignore"):
        draws = n + (unseen + 0.5) / ratios - 0.5
    return float(fitted.estimate), np.maximum(draws, n)


def _lognormal_draws(e: Estimate, rng: np.random.Generator, size: int) -> np.ndarray:
    """Draws of N with the unseen count log-normal, the estimate's mean and SE."""
    se = e.diagnostics.get("SE")
    unseen = e.estimate - e.observed
    if se is None or not (isinstance(se, float | int) and math.isfinite(se)) or unseen <= 0:
        return np.full(size, float(e.estimate))
    sigma2 = math.log1p((float(se) / unseen) ** 2)
    mu = math.log(unseen) - sigma2 / 2.0
    return e.observed + np.exp(rng.normal(mu, math.sqrt(sigma2), size))


def _draws_of(e: Estimate) -> np.ndarray | None:
    values = e.diagnostics.get("draws")
    if values is None:
        return None
    array = np.asarray(values, dtype=float).ravel()
    return array if array.size else None


def _stratum_warnings(chosen: Mapping[str | None, Estimate]) -> list[str]:
    warnings: list[str] = []
    for stratum, e in chosen.items():
        if e.observed < SMALL_STRATUM:
            warnings.append(
                f"stratum {stratum}: only {e.observed} people recorded; its estimate is "
                "unstable and weighs on the total's interval"
            )
        for w in e.warnings:
            warnings.append(f"stratum {stratum}: {w}")
    return warnings


def _summary(chosen: Mapping[str | None, Estimate]) -> list[dict[str, Any]]:
    return [
        {
            "stratum": stratum,
            "model": e.model,
            "observed": e.observed,
            "estimate": e.estimate,
            "interval": list(e.interval),
        }
        for stratum, e in chosen.items()
    ]


def _combine_lcmcr(
    chosen: Mapping[str | None, Estimate], rng: np.random.Generator, seed: int | None
) -> Estimate | None:
    draws = {s: _draws_of(e) for s, e in chosen.items()}
    if any(d is None for d in draws.values()):
        return None
    size = min(len(d) for d in draws.values() if d is not None)
    total = np.zeros(size)
    for d in draws.values():
        assert d is not None
        total += rng.permutation(d)[:size]
    low, median, high = np.quantile(total, [0.025, 0.5, 0.975])
    first = next(iter(chosen.values()))
    return Estimate(
        method="stratified",
        model=f"sum of {first.model} over {len(chosen)} strata",
        observed=sum(e.observed for e in chosen.values()),
        estimate=float(median),
        interval=(float(low), float(high)),
        diagnostics={
            "version": VERSION,
            "combines": "lcmcr",
            "seed": seed,
            "interval_method": "posterior draws of each stratum shuffled and added",
            "draws": total,
            "strata": _summary(chosen),
            "warnings": _stratum_warnings(chosen),
        },
    )


def _combine_loglinear(
    chosen: Mapping[str | None, Estimate],
    tables: Mapping[str | None, CaptureTable] | None,
    rng: np.random.Generator,
    seed: int | None,
    replicates: int,
) -> Estimate:
    total = np.zeros(replicates)
    point = 0.0
    methods: list[str] = []
    warnings = _stratum_warnings(chosen)
    for stratum, e in chosen.items():
        table = tables.get(stratum) if tables is not None else None
        model = _model_of(e, table) if table is not None else None
        if table is not None and model is not None:
            n_hat, draws = parametric_bootstrap(table, model, rng, replicates)
            methods.append("parametric bootstrap")
        else:
            n_hat, draws = e.estimate, _lognormal_draws(e, rng, replicates)
            methods.append("log-normal from the SE")
        point += n_hat
        total += draws
    unbounded = float(np.mean(~np.isfinite(total)))
    if unbounded > 0.025:
        warnings.append(
            f"in {unbounded:.0%} of the bootstrap replicates some stratum's model could not "
            "estimate the unseen count: the upper end of the interval is unbounded"
        )
    low_q, high_q = np.quantile(total, [0.025, 0.975])
    observed = sum(e.observed for e in chosen.values())
    low, high = float(low_q), float(high_q)
    how = sorted(set(methods))
    return Estimate(
        method="stratified",
        model=f"sum of log-linear models over {len(chosen)} strata",
        observed=observed,
        estimate=point,
        interval=(low, high),
        diagnostics={
            "version": VERSION,
            "combines": "loglinear",
            "seed": seed,
            "replicates": replicates,
            "interval_method": " and ".join(how)
            + " per stratum; simulated totals added draw by draw",
            "strata": _summary(chosen),
            "warnings": warnings,
        },
    )


def combine(
    per_stratum: Mapping[str | None, Sequence[Estimate]],
    *,
    tables: Mapping[str | None, CaptureTable] | None = None,
    seed: int | None = None,
    replicates: int = BOOTSTRAP,
) -> list[Estimate]:
    """Stratified totals from per-stratum estimates: one for LCMCR (when every stratum has
    one, with its draws) and one for the selected log-linear model (when every stratum has
    one). ``tables`` enables the log-linear parametric bootstrap."""
    if not per_stratum:
        return []
    empty = [s for s, found in per_stratum.items() if not found]
    if empty:
        raise ValueError(f"empty stratum {empty[0]!r}: no estimate to add up")
    rng = np.random.default_rng(seed)
    out: list[Estimate] = []
    lcmcr = {
        s: next((e for e in found if e.method == "lcmcr"), None) for s, found in per_stratum.items()
    }
    if all(e is not None for e in lcmcr.values()):
        total = _combine_lcmcr({s: e for s, e in lcmcr.items() if e is not None}, rng, seed)
        if total is not None:
            out.append(total)
    selected = {
        s: next((e for e in found if _is_selected_loglinear(e)), None)
        for s, found in per_stratum.items()
    }
    if all(e is not None for e in selected.values()):
        chosen = {s: e for s, e in selected.items() if e is not None}
        out.append(_combine_loglinear(chosen, tables, rng, seed, replicates))
    return out
