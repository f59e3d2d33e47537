"""Simple baselines: two-list Chapman and Chao's lower bound.

- **Chapman** (1951), for two lists: ``N = (n1 + 1)(n2 + 1) / (m + 1) - 1`` where ``n1``, ``n2``
  are the list sizes and ``m`` the people on both; standard error from Seber (1970), as
  Rcapture's ``closedp.bc(m = "Mt")`` for two occasions. It assumes the two lists are
  independent and everyone equally likely to be listed. Lincoln–Petersen's ``n1 n2 / m``, the
  independence log-linear model's estimate, is given in the diagnostics.
- **Chao's lower bound** (Chao 1987), for any number K of lists: ``f1`` people are on exactly
  one list and ``f2`` on exactly two; at least ``((K - 1) / K) f1² / (2 f2)`` were on none.
  This is the estimate of Rcapture's ``Mh Chao (LB)`` model (Rivest and Baillargeon 2007). It
  stays a lower bound when people differ in how likely they are to be listed; it does not
  allow for lists that depend on each other.

Intervals are Chao's (1987) log-normal interval for the unseen count. Pure Python: no Django.
"""

from __future__ import annotations

import math

from scipy.stats import norm

from dadkhah.counting.result import Estimate
from dadkhah.counting.table import CaptureTable

__all__ = ["VERSION", "SimpleEstimateError", "chapman", "chao", "lognormal_interval"]

VERSION = "simple-v1"
LEVEL = 0.95


class SimpleEstimateError(ValueError):
    """The baseline does not apply to this table."""


def lognormal_interval(
    observed: float, estimate: float, se: float, level: float = LEVEL
) -> tuple[float, float]:
    """Chao's (1987) interval: the unseen count ``f0 = N - observed`` is taken as
    log-normal, giving ``[observed + f0 / C, observed + f0 * C]`` with
    ``C = exp(z sqrt(log(1 + se² / f0²)))``."""
    unseen = estimate - observed
    if not math.isfinite(estimate) or not math.isfinite(se):
        return observed, math.inf
    if unseen <= 0 or se <= 0:
        return estimate, estimate
    z = float(norm.ppf(0.5 + level / 2))
    c = math.exp(z * math.sqrt(math.log(1.0 + (se / unseen) ** 2)))
    return observed + unseen / c, observed + unseen * c


def chapman(table: CaptureTable, level: float = LEVEL) -> Estimate:
    """Chapman's estimate for a two-list table."""
    if table.k != 2:
        raise SimpleEstimateError(
            f"Chapman's estimate needs exactly 2 lists, this table has {table.k} "
            f"({', '.join(table.lists)})"
        )
    _, counts = table.full()  # patterns 01, 10, 11
    only_b, only_a, both = (int(v) for v in counts)
    n1, n2, m = only_a + both, only_b + both, both
    estimate = (n1 + 1) * (n2 + 1) / (m + 1) - 1
    se = math.sqrt((n1 + 1) * (n2 + 1) * (n1 - m) * (n2 - m) / ((m + 2) * (m + 1) ** 2))
    warnings: list[str] = []
    if m == 0:
        warnings.append(
            "the two lists share nobody: the estimate only says the population is large; "
            "it is not a usable number"
        )
    elif m < 7:
        warnings.append(
            f"only {m} people are on both lists: the estimate is unstable (fewer than 7 recaptures)"
        )
    lp = n1 * n2 / m if m else math.inf
    return Estimate(
        method="chapman",
        model="Chapman (2 lists)",
        observed=table.observed,
        estimate=estimate,
        interval=lognormal_interval(table.observed, estimate, se, level),
        diagnostics={
            "version": VERSION,
            "SE": se,
            "n1": n1,
            "n2": n2,
            "both": m,
            "lincoln_petersen": lp,
            "interval_method": "log-normal for the unseen count (Chao 1987)",
            "assumes": "the two lists are independent and everyone is equally likely to be listed",
            "warnings": warnings,
        },
        stratum=table.stratum,
    )


def chao(table: CaptureTable, level: float = LEVEL) -> Estimate:
    """Chao's lower bound from the people on exactly one and exactly two lists."""
    k = table.k
    f = table.times_recorded()
    f1, f2 = int(f[1]), int(f[2])
    n = table.observed
    a = (k - 1) / k
    warnings: list[str] = []
    if f2 > 0:
        unseen = a * f1 * f1 / (2 * f2)
        r = f1 / f2
        variance = f2 * (a * r**2 / 2 + a**2 * r**3 + a**2 * r**4 / 4)
        form = "((K-1)/K) f1^2 / (2 f2)"
    else:
        unseen = a * f1 * (f1 - 1) / 2
        total = n + unseen
        variance = (
            a * f1 * (f1 - 1) / 2
            + a**2 * f1 * (2 * f1 - 1) ** 2 / 4
            - (a**2 * f1**4 / (4 * total) if total > 0 else 0.0)
        )
        form = "((K-1)/K) f1 (f1 - 1) / 2 (bias-corrected, as f2 = 0)"
        warnings.append(
            "nobody is on exactly two lists (f2 = 0): the bias-corrected form is used and "
            "the bound is very uncertain"
        )
    if f1 == 0:
        warnings.append("nobody is on only one list (f1 = 0): the lower bound is the number seen")
    estimate = n + unseen
    se = math.sqrt(max(variance, 0.0))
    return Estimate(
        method="chao",
        model="Chao lower bound",
        observed=n,
        estimate=estimate,
        interval=lognormal_interval(n, estimate, se, level),
        diagnostics={
            "version": VERSION,
            "SE": se,
            "f1": f1,
            "f2": f2,
            "lists": k,
            "formula": form,
            "classic": n + (f1 * f1 / (2 * f2) if f2 else math.inf),
            "lower_bound": True,
            "interval_method": "log-normal for the unseen count (Chao 1987)",
            "assumes": "lists independent given the person; people may differ in how likely "
            "they are to be listed (then it is a lower bound)",
            "warnings": warnings,
        },
        stratum=table.stratum,
    )
