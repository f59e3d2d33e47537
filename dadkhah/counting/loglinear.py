"""Log-linear models for multiple systems estimation, as the R package Rcapture fits them.

A capture table over K lists has 2**K - 1 observable cells. A log-linear model says
``log E[count of pattern w] = intercept + sum of terms``; the unobservable all-zeros cell has
only the intercept, so the number nobody recorded is ``exp(intercept)`` and the population
``N = observed + exp(intercept)`` (Baillargeon and Rivest 2007, section 2).

Models (:class:`Model`):

- **hierarchical models up to two-way interactions**: a main effect per list (Rcapture's Mt)
  plus any set of list pairs (``[12,13,4]`` in Rcapture's naming: lists 1 and 2 dependent,
  1 and 3 dependent, 4 independent of the rest);
- **heterogeneity** as extra columns, functions of the number of lists ``k`` a person is on
  (Rcapture's ``Xclosedp``): Chao's lower bound ``max(k - j + 1, 0)`` for j = 3..K (negative
  eta parameters are set to zero, one at a time, as Rcapture's ``neg = TRUE``); Darroch
  ``k**2 / 2``; Poisson ``theta**k - 1`` (theta = 2); Gamma ``-log(theta + k) + log(theta)``
  (theta = 3.5);
- ``equal=True`` gives Rcapture's M0 / Mh models (one capture rate for every list).

Each fit gives N, its standard error ``sqrt(exp(g) + exp(2g) var(g))`` (Rcapture's delta
method, g the intercept), deviance, df, AIC (R's), and BIC = AIC + (log(observed) - 2) × rank
(Rcapture's ``closedpMS.t``). :func:`profile_interval` is Rcapture's ``closedpCI``: the
multinomial profile likelihood of N with Cormack's (1992) correction.

:func:`select` fits every hierarchical model (K <= 5) or searches stepwise (K = 6), and
:func:`average` averages them with weights exp(-BIC/2).

Pure numpy/scipy: no Django import.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import brentq, minimize_scalar
from scipy.special import gammaln
from scipy.stats import chi2, norm

from dadkhah.counting.poisson import PoissonFit, fit_poisson
from dadkhah.counting.result import Estimate
from dadkhah.counting.table import CaptureTable, all_patterns

__all__ = [
    "VERSION",
    "HETEROGENEITY",
    "LoglinearError",
    "Model",
    "Fit",
    "Selection",
    "fit",
    "profile_interval",
    "parse_terms",
    "select",
    "average",
    "estimate_model",
    "estimate_selected",
    "closedp",
]

VERSION = "loglinear-v1"
HETEROGENEITY = ("chao", "poisson", "darroch", "gamma")
DEFAULT_THETA = {"poisson": 2.0, "gamma": 3.5}
LABEL = {"chao": "Chao (LB)", "poisson": "Poisson", "darroch": "Darroch", "gamma": "Gamma"}
ENUMERATE_UP_TO = 5  # lists; beyond, a stepwise search
LEVEL = 0.95


class LoglinearError(ValueError):
    """A model that cannot be fitted to this table (the message says why)."""


@dataclass(frozen=True)
class Model:
    """Which columns the design has besides the intercept."""

    pairs: tuple[tuple[int, int], ...] = ()
    heterogeneity: str | None = None
    theta: float | None = None
    equal: bool = False

    def __post_init__(self) -> None:
        pairs = tuple(sorted({(min(a, b), max(a, b)) for a, b in self.pairs}))
        if any(a == b for a, b in pairs):
            raise LoglinearError("an interaction needs two different lists")
        if self.heterogeneity is not None and self.heterogeneity not in HETEROGENEITY:
            raise LoglinearError(
                f"unknown heterogeneity {self.heterogeneity!r}; one of {', '.join(HETEROGENEITY)}"
            )
        if self.equal and pairs:
            raise LoglinearError("interactions need a main effect per list (equal=False)")
        theta = self.theta
        if self.heterogeneity in DEFAULT_THETA and theta is None:
            theta = DEFAULT_THETA[self.heterogeneity]
        if self.heterogeneity not in DEFAULT_THETA:
            theta = None
        object.__setattr__(self, "pairs", pairs)
        object.__setattr__(self, "theta", theta)

    def name(self, k: int) -> str:
        """Rcapture's name: ``M0``, ``Mh Darroch``, ``[12,13,4]``, ``[12,3] Poisson2``..."""
        suffix = ""
        if self.heterogeneity is not None:
            suffix = LABEL[self.heterogeneity]
            if self.theta is not None:
                suffix += f"{self.theta:g}"
        if self.equal:
            return f"Mh {suffix}" if suffix else "M0"
        return f"{_bracket(self.pairs, k)} {suffix}".strip()

    def terms(self, lists: Sequence[str]) -> list[str]:
        """The interactions with list names, ``["A:B", ...]``."""
        return [f"{lists[a]}:{lists[b]}" for a, b in self.pairs]


def _bracket(pairs: Sequence[tuple[int, int]], k: int) -> str:
    covered = {i for pair in pairs for i in pair}
    parts = [f"{a + 1}{b + 1}" for a, b in pairs] + [
        str(i + 1) for i in range(k) if i not in covered
    ]
    return "[" + ",".join(parts) + "]"


@functools.lru_cache(maxsize=8192)
def _design(k: int, model: Model) -> tuple[np.ndarray, tuple[str, ...]]:
    x, names = _build_design(k, model)
    x.setflags(write=False)
    return x, tuple(names)


def design(k: int, model: Model) -> tuple[np.ndarray, list[str]]:
    """The design matrix over the canonical 2**K - 1 patterns (intercept first) and its
    column names, Rcapture's ``Xclosedp``. The matrix is shared: do not write to it."""
    x, names = _design(k, model)
    return x, list(names)


def _build_design(k: int, model: Model) -> tuple[np.ndarray, list[str]]:
    patterns = all_patterns(k).astype(float)
    nbcap = patterns.sum(axis=1)
    columns: list[np.ndarray] = [np.ones(len(patterns))]
    names = ["intercept"]
    if model.equal:
        columns.append(nbcap)
        names.append("beta")
    else:
        columns.extend(patterns[:, i] for i in range(k))
        names.extend(f"beta{i + 1}" for i in range(k))
        for a, b in model.pairs:
            columns.append(patterns[:, a] * patterns[:, b])
            names.append(f"lambda{a + 1}_{b + 1}")
    h = model.heterogeneity
    if h == "chao":
        for j in range(3, k + 1):
            columns.append(np.maximum(nbcap - j + 1, 0.0))
            names.append(f"eta{j}")
    elif h == "poisson":
        assert model.theta is not None
        columns.append(model.theta**nbcap - 1.0)
        names.append("tau")
    elif h == "darroch":
        columns.append(nbcap**2 / 2.0)
        names.append("tau")
    elif h == "gamma":
        assert model.theta is not None
        columns.append(-np.log(model.theta + nbcap) + math.log(model.theta))
        names.append("tau")
    return np.column_stack(columns), names


@dataclass
class Fit:
    """One log-linear model fitted to one table."""

    model: Model
    table: CaptureTable
    glm: PoissonFit
    columns: list[str]  # the design's column names, after Chao's negative etas are removed
    design: np.ndarray
    estimate: float
    se: float
    bic: float
    removed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.model.name(self.table.k)

    @property
    def deviance(self) -> float:
        return self.glm.deviance

    @property
    def df(self) -> int:
        return self.glm.df

    @property
    def aic(self) -> float:
        return self.glm.aic

    @property
    def identified(self) -> bool:
        """Whether the data determine the number unseen under this model."""
        return bool(np.isfinite(self.estimate))

    def diagnostics(self) -> dict[str, object]:
        lists = self.table.lists
        out: dict[str, object] = {
            "version": VERSION,
            "deviance": self.deviance,
            "df": self.df,
            "AIC": self.aic,
            "BIC": self.bic,
            "SE": self.se,
            "unobserved": self.estimate - self.table.observed,
            "terms": self.model.terms(lists),
            "heterogeneity": self.model.name(self.table.k).split(" ", 1)[1]
            if self.model.heterogeneity
            else None,
            "parameters": self.glm.rank,
            "cells": 2**self.table.k - 1,
            "converged": self.glm.converged,
        }
        if self.removed:
            out["set_to_zero"] = list(self.removed)
        if self.glm.on_boundary:
            out["zero_cells"] = _pattern_names(self.table, self.glm.facial)
        out["warnings"] = list(self.warnings)
        return out


def _pattern_names(table: CaptureTable, mask: np.ndarray) -> list[str]:
    rows = all_patterns(table.k)[mask]
    return ["".join(map(str, row)) for row in rows]


def _fit_rows(
    y: np.ndarray, x: np.ndarray, names: list[str], model: Model, k: int, check: bool = True
) -> tuple[PoissonFit, np.ndarray, list[str], list[str]]:
    """Fit, then (Chao models) drop the first negative eta and refit until none is negative."""
    glm = fit_poisson(y, x, check_boundary=check)
    removed: list[str] = []
    if model.heterogeneity == "chao":
        first_eta = 1 + (1 if model.equal else k + len(model.pairs))
        while True:
            etas = [j for j in range(first_eta, x.shape[1]) if glm.coef[j] < 0]
            if not etas:
                break
            removed.append(names[etas[0]])
            x = np.delete(x, etas[0], axis=1)
            names = names[: etas[0]] + names[etas[0] + 1 :]
            glm = fit_poisson(y, x, check_boundary=check)
    return glm, x, names, removed


def fit(table: CaptureTable, model: Model) -> Fit:
    """Fit ``model`` to ``table`` by Poisson regression on the 2**K - 1 observable cells.

    Raises :class:`LoglinearError` when the model has more parameters than cells."""
    k = table.k
    x, names = design(k, model)
    cells = x.shape[0]
    if x.shape[1] > cells:
        raise LoglinearError(
            f"model {model.name(k)} has {x.shape[1]} parameters but the table has only "
            f"{cells} cells ({2**k - 1} patterns over {k} lists): it cannot be estimated; "
            f"use fewer interactions"
        )
    _, y = table.full()
    glm, x, names, removed = _fit_rows(y.astype(float), x, names, model, k)
    warnings: list[str] = []
    if glm.aliased:
        warnings.append(
            "columns "
            + ", ".join(names[j] for j in glm.aliased)
            + " are combinations of the others and were dropped (the model is a smaller one)"
        )
    if not glm.converged:
        warnings.append(f"the fit did not converge in {glm.iterations} iterations")
    n = table.observed
    if glm.estimable(0):
        g = float(glm.coef[0])
        unseen = math.exp(min(g, 700.0))
        estimate = n + unseen
        variance = unseen + unseen**2 * glm.variance(0)
        se = math.sqrt(variance) if variance >= 0 else float("nan")
    else:
        estimate = se = float("nan")
    if glm.on_boundary:
        cells_text = ", ".join(_pattern_names(table, glm.facial))
        warnings.append(
            f"no finite maximum likelihood estimate: the fitted counts of patterns {cells_text} "
            "tend to zero (empty cells); the model was fitted without them"
        )
        if not np.isfinite(estimate):
            warnings.append(
                "the data do not determine the number no list recorded under this model "
                "(it could be anything); do not use it"
            )
    if np.isfinite(estimate) and estimate > 1e3 * max(n, 1):
        warnings.append(
            f"the estimate is over a thousand times the number recorded ({n}): the model does "
            "not constrain the unseen count"
        )
    bic = glm.aic + (math.log(n) - 2.0) * glm.rank if n > 0 else float("nan")
    return Fit(model, table, glm, names, x, estimate, se, bic, removed, warnings)


def _cormack(n0: float, total: float) -> float:
    """Cormack's (1992) term turning the Poisson deviance into the multinomial profile
    log-likelihood, exactly as Rcapture's ``closedpCI`` computes it."""
    if total > 100:
        if n0 in (0.0, 1.0):
            return -total + 0.5 * math.log(2 * math.pi * total)
        return n0 - total - 0.5 * math.log(n0 / total)
    n0_log = n0 * math.log(n0) if n0 > 0 else 0.0
    return n0_log + float(gammaln(total + 1)) - total * math.log(total) - float(gammaln(n0 + 1))


def profile_interval(fitted: Fit, level: float = LEVEL) -> tuple[float, float, float, list[str]]:
    """Rcapture's profile likelihood interval for N: (multinomial estimate, lower, upper,
    warnings). The unobserved cell is added with count N - n and the model refitted for each
    N; the bounds are where the profile log-likelihood drops by chi2(1, level) / 2."""
    table = fitted.table
    n = float(table.observed)
    warnings: list[str] = []
    if not fitted.identified:
        return float("nan"), n, float("inf"), ["no interval: the model does not identify N"]
    _, y = table.full()
    full, names = design(table.k, fitted.model)  # Rcapture restarts from the whole design
    x = np.vstack([full, np.eye(1, full.shape[1])])

    def loglik(total: float) -> float:
        n0 = max(total - n, 0.0)
        glm, *_ = _fit_rows(
            np.append(y.astype(float), n0), x, names, fitted.model, table.k, check=False
        )
        return -glm.deviance / 2.0 + _cormack(n0, total)

    top = 3.0 * fitted.estimate
    best = minimize_scalar(
        lambda total: -loglik(total), bounds=(n, top), method="bounded", options={"xatol": 1e-4}
    )
    nmax = float(best.x)
    lmax = -float(best.fun)
    if loglik(n) > lmax:  # the maximum is at the boundary
        nmax, lmax = n, loglik(n)
    cut = lmax - float(chi2.ppf(level, 1)) / 2.0

    def drop(total: float) -> float:
        return loglik(total) - cut

    lower = n
    if nmax > n and drop(n) < 0:
        lower = brentq(drop, n, nmax, xtol=1e-4)
    upper = float("inf")
    for factor in (3.0, 10.0, 100.0, 1000.0):
        hi = factor * fitted.estimate
        if hi > nmax and drop(hi) < 0:
            upper = brentq(drop, nmax, hi, xtol=1e-4)
            if factor > 3.0:
                warnings.append(
                    f"upper bound beyond 3 x the estimate (Rcapture would print >{3 * fitted.estimate:.1f})"
                )
            break
    else:
        warnings.append("the profile likelihood does not fall enough: no finite upper bound")
    return nmax, float(lower), float(upper), warnings


def parse_terms(text: str, lists: Sequence[str]) -> tuple[tuple[int, int], ...]:
    """``"A:B,A:C"`` to list-index pairs; an empty text is the independence model."""
    pairs: list[tuple[int, int]] = []
    index = {name: i for i, name in enumerate(lists)}
    for raw in (part.strip() for part in text.split(",")):
        if not raw:
            continue
        names = [name.strip() for name in raw.split(":")]
        if len(names) != 2:
            raise LoglinearError(f"term {raw!r}: only two-way interactions (A:B) are supported")
        for name in names:
            if name not in index:
                raise LoglinearError(
                    f"term {raw!r}: no list {name!r}; the lists are {', '.join(lists)}"
                )
        if names[0] == names[1]:
            raise LoglinearError(f"term {raw!r}: an interaction needs two different lists")
        a, b = sorted((index[names[0]], index[names[1]]))
        pairs.append((a, b))
    return tuple(sorted(set(pairs)))


@dataclass
class Selection:
    """Every candidate model fitted to one table, for choosing and averaging."""

    table: CaptureTable
    fits: list[Fit]  # the usable fits (N identified, no aliasing)
    excluded: list[tuple[str, str]]  # (model name, why)
    search: str

    def ranked(self, criterion: str = "AIC") -> list[Fit]:
        """Best first. Criteria equal to 1e-6 (models that fit identically) are ordered by
        heterogeneity — none, Poisson, Darroch, Gamma: the smallest correction first — and
        then by name, so the choice does not depend on rounding."""
        key = _criterion(criterion)
        order = {None: 0, "poisson": 1, "darroch": 2, "gamma": 3, "chao": 4}
        return sorted(
            self.fits, key=lambda f: (round(key(f), 6), order[f.model.heterogeneity], f.name)
        )

    def best(self, criterion: str = "AIC") -> Fit:
        if not self.fits:
            raise LoglinearError("no log-linear model could be estimated from this table")
        return self.ranked(criterion)[0]

    def weights(self, criterion: str = "BIC") -> np.ndarray:
        values = np.array([_criterion(criterion)(f) for f in self.fits])
        values = values - values.min()
        w = np.exp(-values / 2.0)
        return np.asarray(w / w.sum())


def _criterion(name: str) -> Callable[[Fit], float]:
    if name.upper() == "AIC":
        return lambda f: f.aic
    if name.upper() == "BIC":
        return lambda f: f.bic
    raise LoglinearError(f"unknown criterion {name!r}: AIC or BIC")


def _all_pair_sets(k: int) -> Iterable[tuple[tuple[int, int], ...]]:
    pairs = list(itertools.combinations(range(k), 2))
    for size in range(len(pairs) + 1):
        yield from itertools.combinations(pairs, size)


def _usable(f: Fit) -> str | None:
    if f.glm.aliased:
        return "aliased columns (same as a smaller model)"
    if not f.identified:
        return "does not determine the number unseen"
    if f.estimate > 1e3 * max(f.table.observed, 1):
        return "does not constrain the number unseen (over 1,000 times the number recorded)"
    return None


def select(
    table: CaptureTable,
    heterogeneity: Sequence[str | None] = (None,),
    criteria: Sequence[str] = ("AIC", "BIC"),
) -> Selection:
    """Fit the candidate hierarchical models (up to two-way interactions), each with every
    heterogeneity variant in ``heterogeneity``.

    Up to 5 lists every set of pairs is fitted (2**10 = 1,024 models for 5 lists). For 6
    lists (2**15 = 32,768 sets) a stepwise search for each of ``criteria`` starts from
    independence, adds or removes the one pair that lowers the criterion most, and stops when
    no single change helps; every model the searches visit is kept for averaging."""
    k = table.k
    cells = 2**k - 1
    fits: dict[Model, Fit] = {}
    excluded: list[tuple[str, str]] = []

    def attempt(model: Model) -> Fit | None:
        if model in fits:
            return fits[model]
        if design_width(k, model) > cells:
            excluded.append((model.name(k), "more parameters than cells"))
            return None
        f = fit(table, model)
        why = _usable(f)
        if why is not None:
            excluded.append((model.name(k), why))
            return None
        fits[model] = f
        return f

    if k <= ENUMERATE_UP_TO:
        for pairs in _all_pair_sets(k):
            for h in heterogeneity:
                attempt(Model(pairs, h))
        search = f"every hierarchical model up to two-way interactions ({2 ** (k * (k - 1) // 2)} sets of pairs)"
    else:
        all_pairs = list(itertools.combinations(range(k), 2))
        for name in criteria:
            key = _criterion(name)
            for h in heterogeneity:
                current = attempt(Model((), h))
                if current is None:
                    continue
                while True:
                    here = set(current.model.pairs)
                    neighbours = [tuple(sorted(here ^ {pair})) for pair in all_pairs]
                    tried = [attempt(Model(pairs, h)) for pairs in neighbours]
                    better = [f for f in tried if f is not None and key(f) < key(current) - 1e-9]
                    if not better:
                        break
                    current = min(better, key=lambda f: (key(f), f.name))
        search = (
            f"stepwise by {' and by '.join(c.upper() for c in criteria)} from independence, "
            f"adding or removing one pair at a time ({len(fits)} models visited of "
            f"{2 ** (k * (k - 1) // 2)} sets of pairs)"
        )
    return Selection(table, list(fits.values()), excluded, search)


def design_width(k: int, model: Model) -> int:
    """The number of parameters of ``model`` over ``k`` lists (intercept included)."""
    width = 1 + (1 if model.equal else k + len(model.pairs))
    if model.heterogeneity == "chao":
        width += max(k - 2, 0)
    elif model.heterogeneity is not None:
        width += 1
    return width


def _lognormal_parameters(
    observed: float, estimates: np.ndarray, ses: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(mu, sigma) of log(N - observed) when the unseen count is log-normal with each
    model's estimate as mean and SE as standard deviation (sigma 0 when the SE is unknown)."""
    unseen = np.maximum(estimates - observed, 1e-12)
    ratio = np.where(np.isfinite(ses) & (ses > 0), ses / unseen, 0.0)
    sigma = np.sqrt(np.log1p(ratio**2))
    return np.log(unseen) - sigma**2 / 2.0, sigma


def average(selection: Selection, criterion: str = "BIC", level: float = LEVEL) -> Estimate:
    """Bayesian model averaging with weights exp(-BIC/2) (or AIC), normalised.

    The averaged N is the weighted mean; its SE adds the spread between models to each
    model's variance (Buckland et al. 1997); the interval is the central ``level`` range of
    the mixture of each model's log-normal distribution for the unseen count."""
    fits = selection.fits
    if not fits:
        raise LoglinearError("no log-linear model could be estimated from this table")
    w = selection.weights(criterion)
    estimates = np.array([f.estimate for f in fits])
    ses = np.array([f.se for f in fits])
    mean = float(w @ estimates)
    se = float(math.sqrt(w @ (np.nan_to_num(ses) ** 2 + (estimates - mean) ** 2)))
    observed = float(selection.table.observed)
    keep = w > 1e-6
    mu, sigma = _lognormal_parameters(observed, estimates[keep], ses[keep])
    wk = w[keep] / w[keep].sum()

    def mixture(value: float) -> float:
        if value <= observed:
            return 0.0
        z = np.log(value - observed) - mu
        with np.errstate(divide="ignore", invalid="ignore"):
            cdf = np.where(sigma > 0, norm.cdf(z / np.where(sigma > 0, sigma, 1.0)), z >= 0)
        return float(wk @ cdf)

    alpha = (1.0 - level) / 2.0
    top = float(estimates[keep].max() + 20 * np.nanmax(ses[keep]) + 10)
    lo = _quantile(mixture, alpha, observed, top)
    hi = _quantile(mixture, 1 - alpha, observed, top)
    order = np.argsort(-w)
    top_models = [
        {
            "model": fits[i].name,
            "estimate": fits[i].estimate,
            "SE": fits[i].se,
            "AIC": fits[i].aic,
            "BIC": fits[i].bic,
            "weight": float(w[i]),
        }
        for i in order[:5]
    ]
    warnings: list[str] = []
    best = fits[int(order[0])]
    if w[order[0]] < 0.5:
        warnings.append(
            f"no model dominates: the best ({best.name}) has {w[order[0]]:.0%} of the weight"
        )
    return Estimate(
        method="loglinear",
        model=f"BMA over {len(fits)} model{'s' if len(fits) != 1 else ''} "
        f"({criterion.upper()} weights)",
        observed=selection.table.observed,
        estimate=mean,
        interval=(lo, hi),
        diagnostics={
            "version": VERSION,
            "SE": se,
            "criterion": criterion.upper(),
            "weights": f"exp(-{criterion.upper()}/2), normalised",
            "models": len(fits),
            "search": selection.search,
            "excluded": len(selection.excluded),
            "interval_method": "mixture of per-model log-normal distributions of the unseen count",
            "top": top_models,
            "warnings": warnings,
        },
        stratum=selection.table.stratum,
    )


def _quantile(cdf: Callable[[float], float], p: float, lo: float, hi: float) -> float:
    while cdf(hi) < p:
        hi *= 2.0
        if hi > 1e12:
            return float("inf")
    if cdf(lo + 1e-9) >= p:
        return lo
    return float(brentq(lambda v: cdf(v) - p, lo + 1e-9, hi, xtol=1e-6))


def _to_estimate(f: Fit, level: float = LEVEL, label: str | None = None) -> Estimate:
    nmax, lo, hi, warnings = profile_interval(f, level)
    diagnostics = f.diagnostics()
    diagnostics["interval_method"] = "profile likelihood (Rcapture closedpCI, Cormack 1992)"
    diagnostics["multinomial_estimate"] = nmax
    diagnostics["warnings"] = list(f.warnings) + warnings
    if label:
        diagnostics["selected_by"] = label
    return Estimate(
        method="loglinear",
        model=f.name,
        observed=f.table.observed,
        estimate=f.estimate,
        interval=(lo, hi),
        diagnostics=diagnostics,
        stratum=f.table.stratum,
    )


def estimate_model(table: CaptureTable, model: Model, level: float = LEVEL) -> Estimate:
    """One named model (``--terms``), with its profile likelihood interval."""
    return _to_estimate(fit(table, model), level, label="given")


def estimate_selected(
    table: CaptureTable,
    heterogeneity: Sequence[str | None] = (None, "poisson", "darroch", "gamma"),
    level: float = LEVEL,
) -> list[Estimate]:
    """The model with the smallest AIC (with its profile interval) and the BIC-weighted
    average over all candidates, as two estimates."""
    if table.k < 3:  # heterogeneity needs three lists or more (Rcapture: "3 occasions")
        heterogeneity = (None,)
    selection = select(table, heterogeneity)
    best = selection.best("AIC")
    chosen = _to_estimate(best, level, label="smallest AIC")
    if table.k == 2:
        chosen.diagnostics["warnings"].append(
            "with two lists their independence cannot be checked: the estimate assumes it"
        )
    close = [f for f in selection.fits if f.aic - best.aic < 2.0]
    if len(close) > 1:
        low = min(close, key=lambda f: f.estimate)
        high = max(close, key=lambda f: f.estimate)
        chosen.diagnostics["warnings"].append(
            f"{len(close)} models are within 2 AIC points of the best and estimate from "
            f"{low.estimate:,.0f} ({low.name}) to {high.estimate:,.0f} ({high.name}): the data "
            "hardly tell them apart; see the model average"
        )
    by_bic = selection.best("BIC")
    chosen.diagnostics["selection"] = {
        "criterion": "AIC",
        "models": len(selection.fits),
        "excluded": len(selection.excluded),
        "search": selection.search,
        "best_by_BIC": {"model": by_bic.name, "estimate": by_bic.estimate, "BIC": by_bic.bic},
        "heterogeneity_considered": [h or "none" for h in heterogeneity],
    }
    return [chosen, average(selection, "BIC", level)]


def closedp(table: CaptureTable) -> list[Fit]:
    """Rcapture's ``closedp.t`` table (without the behavioural models Mb and Mbh, which
    depend on the order of the lists): M0, Mt, Mh and Mth with Chao, Poisson2, Darroch and
    Gamma3.5 heterogeneity. Heterogeneity needs at least 3 lists."""
    models = [Model(equal=True), Model()]
    if table.k >= 3:
        for equal in (True, False):
            for h in HETEROGENEITY:
                models.append(Model(heterogeneity=h, equal=equal))
    return [fit(table, model) for model in models]


def _heterogeneity_function(model: Model) -> Callable[[float], float]:
    theta = model.theta if model.theta is not None else 0.0
    functions: dict[str | None, Callable[[float], float]] = {
        "poisson": lambda k: theta**k - 1.0,
        "darroch": lambda k: k * k / 2.0,
        "gamma": lambda k: -math.log(theta + k) + math.log(theta),
    }
    return functions[model.heterogeneity]


def bias_corrected(table: CaptureTable, model: Model) -> tuple[float, float]:
    """Rcapture's ``closedp.bc``: (N, SE) with a small-sample bias correction, for M0, Mt,
    Mh and Mth models without interactions (Rivest and Lévesque 2001; Rivest and Baillargeon
    2007). Counts of people on 1, 2 and 3 lists are shifted by model-specific amounts and the
    model refitted; Mt and Mh Chao have closed forms (for two lists Mt is Chapman's)."""
    k, n = table.k, table.observed
    if model.pairs:
        raise LoglinearError("the bias correction is defined for models without interactions")
    if model.heterogeneity is not None and k < 3:
        raise LoglinearError("the bias correction of heterogeneity models needs 3 lists or more")
    f = table.times_recorded()
    if model.heterogeneity is None and not model.equal:  # Mt
        totals = np.array(list(table.list_totals().values()), dtype=float)
        if k == 2:
            m = totals.sum() - n
            estimate = (totals[0] + 1) * (totals[1] + 1) / (m + 1) - 1
            se = math.sqrt(
                (totals[0] + 1)
                * (totals[1] + 1)
                * (totals[0] - m)
                * (totals[1] - m)
                / ((m + 2) * (m + 1) ** 2)
            )
            return estimate, se
        ni, nc = totals + (k + 2) / (2 * k), n + k / 2
        start = fit(table, Model(equal=True)).estimate

        def equation(size: float) -> float:
            return float(np.prod(1 - ni / size) - (1 - nc / size))

        root = float(brentq(equation, max(n, float(ni.max())) + 1e-9, 2 * start))
        se = math.sqrt(1 / (1 / (root - nc) + (k - 1) / root - float(np.sum(1 / (root - ni)))))
        return root - k / 2, se
    if model.heterogeneity == "chao" and model.equal:  # Mh Chao: closed form
        f1, f2 = float(f[1]), float(f[2])
        unseen = (k - 1) * f1 * (f1 - 1) / (2 * k * (f2 + 1))
        variance = unseen + (k - 1) ** 2 * f1 * (f1 - 1) * (
            f1**2 + 4 * f1 * f2 + 3 * f1 - 6 * f2 - 6
        ) / (4 * k**2 * (f2 + 1) ** 2 * (f2 + 2))
        return n + unseen, math.sqrt(variance)
    if model.equal and model.heterogeneity is None:  # M0
        shift = (-0.5, 1.0, 0.0)
    elif model.equal:  # Mh
        h = _heterogeneity_function(model)
        c = (h(2) - 2 * h(1)) / (h(3) - 2 * h(2) + h(1))
        shift = (-(1 + c) / 2, 1 + c, (1 - c) / 2)
    elif model.heterogeneity == "chao":  # Mth
        shift = ((k - 2) / (2 * k), 2 / (k * (k - 1)), 0.0)
    elif model.heterogeneity == "poisson" and model.theta == 2.0:
        shift = ((2 * k - 5) / (4 * k), 3 / (k * (k - 1)), 3 / (2 * k * (k - 1) * (k - 2)))
    elif model.heterogeneity == "darroch":
        shift = ((k - 3) / (2 * k), 4 / (k * (k - 1)), 0.0)
    else:
        raise LoglinearError(f"Rcapture defines no bias correction for {model.name(k)}")
    if model.equal:  # Rcapture fits M0 and Mh to f_j, the counts by times listed
        times = np.arange(1, k + 1, dtype=float)
        y = f[1:].astype(float)
        offset = np.log([math.comb(k, j) for j in range(1, k + 1)])
        x, _ = design(k, model)
        nbcap_of_rows = all_patterns(k).sum(axis=1)
        x = np.vstack([x[np.flatnonzero(nbcap_of_rows == j)[0]] for j in range(1, k + 1)])
    else:
        patterns, counts = table.full()
        times = patterns.sum(axis=1).astype(float)
        y = counts.astype(float)
        offset = np.zeros(len(y))
        x, _ = design(k, model)
    delta = np.zeros(len(y))
    for j, amount in zip((1, 2, 3), shift, strict=True):
        delta[times == j] = amount
    glm = fit_poisson(np.maximum(y + delta, 0.0), x, offset)
    g = float(glm.coef[0])
    return n + math.exp(g), math.sqrt(math.exp(g) + math.exp(2 * g) * glm.variance(0))
