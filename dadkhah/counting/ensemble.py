"""The methods side by side: where they disagree, and the estimate Dadkhah recommends.

Every method rests on assumptions the data can only partly check. The ensemble runs them all
on the same table (or takes the estimates already made), reports where they disagree, and
recommends one estimate with the reason in plain words (``diagnostics["why"]``):

- **two lists**: Chapman's estimate, the only one two lists allow; it assumes the lists are
  independent, which two lists cannot test;
- **LCMCR** when its chains converged (R-hat <= 1.05, enough effective draws, the unseen count
  bounded): the latent classes allow people to differ in how likely they are to be listed
  (heterogeneity) and absorb much of the dependence between lists. The reason says whether
  heterogeneity was detected (a heterogeneity term chosen by AIC among the log-linear models, or
  Chao's lower bound above the log-linear estimate);
- otherwise the **log-linear model chosen by AIC**, with its profile-likelihood interval, and
  the reason why LCMCR was not used.

With strata, the same choice is made between the stratified totals.

**The interval** is the hull of the chosen estimate's interval and that of the other main
method (the BIC-weighted average of the log-linear models next to LCMCR; with strata, the
stratified log-linear total): the range the credible models support. In the simulation study
(``bench/counting/simulation.py``, ``docs/benchmarks.md``) LCMCR's own interval misses the
truth in most replicates when capture is low and heterogeneous, the model average's much less
often, and the hull covers it in every scenario but one whose lists depend on a covariate
(which the stratified estimate handles). The point estimate stays the chosen method's.

**Disagreement** is reported, not hidden: the ratio of the largest to the smallest estimate,
each pair of intervals that do not overlap (with a warning), and any estimate below Chao's
lower bound (which holds under heterogeneity).

Pure Python over the counting core.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from dadkhah.counting import convergence, lcmcr, loglinear, simple
from dadkhah.counting.result import Estimate
from dadkhah.counting.table import CaptureTable

__all__ = ["VERSION", "SPREAD", "disagreement", "ensemble", "recommend"]

VERSION = "ensemble-v1"
SPREAD = 1.25
"""Estimates further apart than this ratio (largest / smallest) are flagged as disagreeing."""


def _finite(x: float) -> bool:
    return isinstance(x, float | int) and math.isfinite(x)


def _label(e: Estimate) -> str:
    return f"{e.method} ({e.model})"


def disagreement(estimates: Sequence[Estimate]) -> dict[str, Any]:
    """How far apart the estimates are: spread ratio, disjoint interval pairs, and estimates
    below Chao's lower bound. Chao itself and Chapman are compared only to the floor."""
    compared = [e for e in estimates if e.method in ("loglinear", "lcmcr", "stratified")]
    compared = [e for e in compared if _finite(e.estimate)]
    values = [e.estimate for e in compared]
    out: dict[str, Any] = {
        "methods": [
            {
                "method": e.method,
                "model": e.model,
                "estimate": e.estimate,
                "interval": list(e.interval),
            }
            for e in compared
        ]
    }
    if values and min(values) > 0:
        out["spread"] = max(values) / min(values)
    disjoint: list[list[str]] = []
    for i, a in enumerate(compared):
        for b in compared[i + 1 :]:
            if a.interval[1] < b.interval[0] or b.interval[1] < a.interval[0]:
                disjoint.append([_label(a), _label(b)])
    out["disjoint_intervals"] = disjoint
    floor = next((e for e in estimates if e.method == "chao"), None)
    below = []
    if floor is not None and _finite(floor.estimate):
        below = [_label(e) for e in compared if e.estimate < floor.estimate]
        out["chao_lower_bound"] = floor.estimate
    out["below_lower_bound"] = below
    out["disagree"] = bool(disjoint) or out.get("spread", 1.0) > SPREAD
    return out


def _lcmcr_problem(e: Estimate) -> str | None:
    """Why an LCMCR (or LCMCR-based) estimate should not be used, or None.

    Non-convergence (R-hat above 1.05, one chain only, an unbounded unseen count) rules it
    out. Few effective draws only make its interval noisy: that stays a warning."""
    d = e.diagnostics
    rhat = d.get("rhat")
    if rhat is None and d.get("combines") != "lcmcr":
        return "its convergence was not checked (one chain)"
    if rhat is not None and not rhat <= convergence.RHAT_MAX:
        return f"its chains did not converge (R-hat {rhat:.3f} > {convergence.RHAT_MAX})"
    for w in e.warnings:
        if "cap" in w or "did not converge" in w:
            return w
    return None


def _heterogeneity(selected: Estimate | None, chao: Estimate | None) -> list[str]:
    found: list[str] = []
    if selected is not None and selected.diagnostics.get("heterogeneity"):
        found.append(
            f"the log-linear model with the smallest AIC has a heterogeneity term "
            f"({selected.diagnostics['heterogeneity']})"
        )
    if (
        selected is not None
        and chao is not None
        and _finite(selected.estimate)
        and chao.estimate > selected.estimate
    ):
        found.append(
            f"Chao's lower bound ({chao.estimate:,.0f}) is above the log-linear estimate "
            f"({selected.estimate:,.0f})"
        )
    return found


def _partner(estimates: Sequence[Estimate], chosen: Estimate) -> Estimate | None:
    """The other main method whose interval the recommended one also covers."""
    if chosen.method == "stratified":
        want = "loglinear" if chosen.diagnostics.get("combines") == "lcmcr" else None
        return next(
            (
                e
                for e in estimates
                if e.method == "stratified" and e.diagnostics.get("combines") == want
            ),
            None,
        )
    if chosen.method in ("lcmcr", "loglinear"):
        return next(
            (
                e
                for e in estimates
                if e.method == "loglinear"
                and e.diagnostics.get("selected_by") is None
                and e is not chosen
                and all(_finite(v) for v in e.interval)
            ),
            None,
        )
    return None


def _pick(estimates: Sequence[Estimate], k: int) -> tuple[Estimate, str, dict[str, Any]]:
    chapman = next((e for e in estimates if e.method == "chapman"), None)
    chao = next((e for e in estimates if e.method == "chao"), None)
    stratified = [e for e in estimates if e.method == "stratified"]
    if stratified:
        bayes = next((e for e in stratified if e.diagnostics.get("combines") == "lcmcr"), None)
        selected = next(
            (e for e in stratified if e.diagnostics.get("combines") == "loglinear"), None
        )
    else:
        bayes = next((e for e in estimates if e.method == "lcmcr"), None)
        selected = next(
            (
                e
                for e in estimates
                if e.method == "loglinear"
                and e.diagnostics.get("selected_by") in ("smallest AIC", "given")
            ),
            None,
        )
    facts: dict[str, Any] = {}
    if k == 2 and chapman is not None:
        return (
            chapman,
            "with two lists only Chapman's estimate is possible; it assumes the two lists are "
            "independent and everyone equally likely to be listed, which two lists cannot test",
            facts,
        )
    heterogeneity = _heterogeneity(selected if not stratified else None, chao)
    facts["heterogeneity"] = heterogeneity
    problem = _lcmcr_problem(bayes) if bayes is not None else "it was not run"
    facts["lcmcr_problem"] = problem
    strata = " summed over strata" if stratified else ""
    if bayes is not None and problem is None:
        why = f"LCMCR{strata}: its chains converged (R-hat <= {convergence.RHAT_MAX})"
        ess = [
            v for v in (bayes.diagnostics.get("ess_bulk"), bayes.diagnostics.get("ess_tail")) if v
        ]
        if ess and min(ess) < convergence.ESS_MIN:
            why += f", though with few effective draws ({min(ess):.0f}): its interval is noisy"
        if heterogeneity:
            why += "; heterogeneity was detected (" + "; ".join(heterogeneity) + ")"
            why += ", which LCMCR's latent classes allow for"
        else:
            why += (
                "; no heterogeneity was detected, and LCMCR still allows for it and for some "
                "dependence between lists"
            )
        return bayes, why, facts
    if selected is not None and _finite(selected.estimate):
        why = (
            f"the log-linear model with the smallest AIC{strata}, because LCMCR "
            f"{problem}; its interval is the profile likelihood interval"
            if not stratified
            else f"the log-linear models{strata}, because LCMCR {problem}"
        )
        return selected, why, facts
    if bayes is not None:
        return (
            bayes,
            f"LCMCR{strata}, although {problem}: no log-linear model could be estimated",
            facts,
        )
    if chao is not None:
        return chao, "only Chao's lower bound could be computed: treat it as a minimum", facts
    raise loglinear.LoglinearError("no estimate to recommend")


def recommend(
    estimates: Sequence[Estimate],
    tables: Mapping[str | None, CaptureTable] | None = None,
    seed: int | None = None,
) -> Estimate:
    """The recommended estimate among ``estimates`` (overall ones, or the stratified totals
    when there are strata), marked ``recommended`` and explained in ``diagnostics["why"]``."""
    overall = [e for e in estimates if e.stratum is None]
    if not overall:
        raise loglinear.LoglinearError("no overall estimate to recommend")
    k = next(iter(tables.values())).k if tables else 3
    chosen, why, facts = _pick(overall, k)
    report = disagreement(overall)
    warnings: list[str] = list(chosen.warnings)
    for a, b in report["disjoint_intervals"]:
        if _label(chosen) in (a, b):
            other = b if a == _label(chosen) else a
            warnings.append(
                f"the methods disagree: the interval of {other} does not overlap the "
                "recommended one; the lists may break an assumption one of them relies on "
                "(see docs/counting.md)"
            )
    if _label(chosen) in report["below_lower_bound"]:
        warnings.append(
            "the recommended estimate is below Chao's lower bound, which holds when people "
            "differ in how likely they are to be listed: it is likely too low"
        )
    interval = chosen.interval
    partner = _partner(overall, chosen)
    hull: dict[str, Any] = {"method": "the chosen estimate's own interval"}
    if partner is not None:
        low = min(chosen.interval[0], partner.interval[0])
        high = max(chosen.interval[1], partner.interval[1])
        interval = (low, high)
        hull = {
            "method": f"hull of the intervals of {_label(chosen)} and {_label(partner)}",
            "own": list(chosen.interval),
            "other": list(partner.interval),
        }
        if (low, high) != tuple(chosen.interval):
            why += (
                f". The interval also covers that of {_label(partner)}, so that it spans what "
                "the credible models support, not one model's assumptions only"
            )
    diagnostics: dict[str, Any] = {
        "version": VERSION,
        "why": why,
        "chosen": {"method": chosen.method, "model": chosen.model},
        "interval_method": hull,
        "seed": seed,
        "disagreement": report,
        **facts,
        "warnings": warnings,
    }
    if "draws" in chosen.diagnostics:
        diagnostics["draws"] = chosen.diagnostics["draws"]
    return replace(
        chosen,
        method="ensemble",
        model=f"recommended: {chosen.method} ({chosen.model})",
        interval=interval,
        diagnostics=diagnostics,
        recommended=True,
        stratum=None,
    )


def ensemble(
    table: CaptureTable, *, seed: int | None = None, lcmcr_options: Mapping[str, Any] | None = None
) -> list[Estimate]:
    """Run every method on ``table`` and append the recommended estimate (last)."""
    found: list[Estimate] = []
    if table.k == 2:
        found.append(simple.chapman(table))
    found.append(simple.chao(table))
    failed: str | None = None
    try:
        found.extend(loglinear.estimate_selected(table))
    except loglinear.LoglinearError as exc:
        failed = f"no log-linear model could be used: {exc}"
    found.append(lcmcr.estimate(table, seed=seed, **dict(lcmcr_options or {})))
    best = recommend(found, {table.stratum: table}, seed)
    if failed is not None:
        best.warn(failed)
    return [*found, best]
