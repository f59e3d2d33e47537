"""What ``dadkhah estimate`` runs: the methods over a capture table, stratum by stratum.

:func:`run` returns the estimates in output order, one JSON line each: per stratum the simple
baselines (with ``all``), the log-linear model chosen by AIC (or the one ``--terms`` names)
and the BIC-weighted model average, and LCMCR; then, with strata, the stratified totals
(:func:`dadkhah.counting.stratified.combine`); and with ``all`` the recommended estimate last,
marked ``recommended`` (:func:`dadkhah.counting.ensemble.recommend`).

Pure Python over the counting core: no Django import. LCMCR (numba) is imported only when
it runs.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from dadkhah.counting import loglinear, simple, stratified
from dadkhah.counting.result import Estimate
from dadkhah.counting.table import CaptureTable

__all__ = ["METHODS", "EstimateRun", "run"]

METHODS = ("loglinear", "lcmcr", "all")


@dataclass
class EstimateRun:
    """The estimates of one ``dadkhah estimate`` run and the seed it used."""

    estimates: list[Estimate]
    seed: int
    notes: list[str] = field(default_factory=list)


def _loglinear(table: CaptureTable, terms: str | None) -> list[Estimate]:
    if terms is None:
        return loglinear.estimate_selected(table)
    model = loglinear.Model(loglinear.parse_terms(terms, table.lists))
    return [loglinear.estimate_model(table, model)]


def run(
    tables: dict[str | None, CaptureTable],
    method: str = "all",
    terms: str | None = None,
    seed: int | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> EstimateRun:
    """Estimate every table (one per stratum) with ``method``; see the module docstring.

    Raises ``LoglinearError`` or ``SimpleEstimateError`` (bad model, bad table) and
    ``ValueError`` for an unknown method."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; one of {', '.join(METHODS)}")
    if seed is None:
        seed = secrets.randbits(32)
    say = on_progress or (lambda _message: None)
    estimates: list[Estimate] = []
    per_stratum: dict[str | None, list[Estimate]] = {}
    for stratum, table in tables.items():
        where = f" (stratum {stratum})" if stratum is not None else ""
        found: list[Estimate] = []
        if method == "all":
            if table.k == 2:
                found.append(simple.chapman(table))
            found.append(simple.chao(table))
        if method in ("loglinear", "all"):
            say(f"fitting log-linear models{where}")
            found.extend(_loglinear(table, terms))
        if method in ("lcmcr", "all"):
            from dadkhah.counting import lcmcr

            say(f"running LCMCR{where}, seed {seed}")
            found.append(lcmcr.estimate(table, seed=seed))
        per_stratum[stratum] = found
        estimates.extend(found)
    if len(tables) > 1 or next(iter(tables)) is not None:
        estimates.extend(stratified.combine(per_stratum, tables=tables, seed=seed))
    if method == "all":
        from dadkhah.counting import ensemble

        estimates.append(ensemble.recommend(estimates, tables, seed=seed))
    return EstimateRun(estimates, seed)
