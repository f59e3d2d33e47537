"""Poisson log-linear regression, as R's ``glm(family = poisson)`` fits it, plus the checks
that R leaves to the reader.

:func:`fit_poisson` is iteratively reweighted least squares with R's start (``mu = y + 0.1``)
and R's stopping rule (relative change of deviance below 1e-8), so its deviance, AIC and
coefficients agree with R's — and so with Rcapture, which fits every model with ``glm``.

Two things R does not tell you, and this module does:

- **aliased columns**: a column that is a combination of earlier ones is dropped (R reports
  ``NA`` for it) and named in ``aliased``;
- **no maximum likelihood estimate**: with empty cells, some parameters can run off to
  infinity (e.g. nobody is on lists A and B together). R then stops on a slowly drifting
  answer. Here a linear program finds the cells whose fitted value tends to zero (the
  *facial set* of Fienberg and Rinaldo, 2012), the model is refitted without them (the
  *extended* MLE), and :attr:`PoissonFit.estimable` tells whether a given parameter — for
  capture–recapture, the intercept, i.e. the number unseen — is still determined.

Pure numpy/scipy: no Django import.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linprog
from scipy.special import gammaln

__all__ = ["PoissonFit", "fit_poisson", "irls", "independent_columns", "facial_cells"]

EPSILON = 1e-8  # R's glm.control(epsilon)
MAXIT = 200  # Rcapture's glm(control = list(maxit = 200))
ALIAS_TOL = 1e-7  # relative norm of what a column adds to the ones before it
ETA_MAX = 700.0


@dataclass
class PoissonFit:
    """A fitted Poisson log-linear model ``log E[y] = offset + X @ coef``."""

    coef: np.ndarray  # over all columns of X; aliased columns hold nan
    cov: np.ndarray  # over the kept columns (see ``kept``)
    kept: np.ndarray  # indices of the columns actually estimated
    fitted: np.ndarray
    deviance: float
    loglik: float
    rank: int
    df: int
    converged: bool
    iterations: int
    aliased: list[int] = field(default_factory=list)
    facial: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    @property
    def aic(self) -> float:
        """R's AIC: -2 log-likelihood + 2 × rank."""
        return -2.0 * self.loglik + 2.0 * self.rank

    @property
    def on_boundary(self) -> bool:
        """True when some cells' fitted values are zero at the (extended) MLE."""
        return bool(self.facial.any())

    def estimable(self, j: int) -> bool:
        """Whether coefficient ``j`` is determined by the data (finite and unique)."""
        return bool(np.isfinite(self.coef[j]))

    def variance(self, j: int) -> float:
        """The (unscaled) variance of coefficient ``j``; nan when it is not estimable."""
        where = np.flatnonzero(self.kept == j)
        if not self.estimable(j) or not len(where):
            return float("nan")
        return float(self.cov[where[0], where[0]])


def independent_columns(x: np.ndarray, tol: float = ALIAS_TOL) -> np.ndarray:
    """Indices of the columns kept when each column that is (numerically) a combination of
    the columns before it is dropped, as R's pivoted QR does."""
    if np.linalg.matrix_rank(x) == x.shape[1]:
        return np.arange(x.shape[1], dtype=np.int64)
    kept: list[int] = []
    basis = np.zeros((x.shape[0], 0))
    for j in range(x.shape[1]):
        column = x[:, j].astype(float)
        norm = float(np.linalg.norm(column))
        if norm == 0.0:
            continue
        residual = column - basis @ (basis.T @ column)
        if float(np.linalg.norm(residual)) > tol * norm:
            basis = np.column_stack([basis, residual / np.linalg.norm(residual)])
            kept.append(j)
    return np.array(kept, dtype=np.int64)


def _deviance(y: np.ndarray, mu: np.ndarray) -> float:
    positive = y > 0
    term = np.zeros(len(y))
    term[positive] = y[positive] * np.log(y[positive] / mu[positive])
    return float(2.0 * np.sum(term - (y - mu)))


def _loglik(y: np.ndarray, mu: np.ndarray) -> float:
    positive = y > 0
    term = np.zeros(len(y))
    term[positive] = y[positive] * np.log(mu[positive])
    return float(np.sum(term - mu - gammaln(y + 1.0)))


def irls(
    y: np.ndarray,
    x: np.ndarray,
    offset: np.ndarray | None = None,
    *,
    maxit: int = MAXIT,
    epsilon: float = EPSILON,
) -> tuple[np.ndarray, np.ndarray, float, int, bool]:
    """R's ``glm.fit`` for the Poisson family and log link, on a full-rank ``x``.

    Returns (coefficients, fitted values, deviance, iterations, converged)."""
    y = np.asarray(y, dtype=float)
    off = np.zeros(len(y)) if offset is None else np.asarray(offset, dtype=float)
    mu = y + 0.1
    eta = np.log(mu)
    deviance_old = _deviance(y, mu)
    beta = np.zeros(x.shape[1])
    converged = False
    iterations = 0
    for iterations in range(1, maxit + 1):  # noqa: B007 - the count is returned
        z = eta - off + (y - mu) / mu
        xw = x * mu[:, None]
        try:
            beta = np.linalg.solve(x.T @ xw, xw.T @ z)
        except np.linalg.LinAlgError:
            w = np.sqrt(mu)
            beta = np.linalg.lstsq(x * w[:, None], z * w, rcond=None)[0]
        eta = np.minimum(x @ beta + off, ETA_MAX)
        mu = np.exp(eta)
        deviance = _deviance(y, mu)
        if abs(deviance - deviance_old) / (abs(deviance) + 0.1) < epsilon:
            converged = True
            break
        deviance_old = deviance
    return beta, mu, _deviance(y, mu), iterations, converged


def facial_cells(y: np.ndarray, x: np.ndarray, tol: float = 1e-9) -> np.ndarray:
    """Cells whose fitted value is zero at the extended MLE (a boolean mask over cells).

    A direction ``d`` with ``x[y>0] @ d == 0`` and ``x[y==0] @ d <= 0`` raises the Poisson
    likelihood without bound when some ``x[y==0] @ d < 0``: the MLE does not exist and those
    cells tend to zero. Repeated linear programs collect every such cell."""
    zero = np.asarray(y) == 0
    facial = np.zeros(len(y), dtype=bool)
    if not zero.any():
        return facial
    scale = np.maximum(np.abs(x).max(axis=0), 1.0)
    xs = x / scale
    positive = xs[~zero]
    while True:
        candidates = zero & ~facial
        if not candidates.any():
            return facial
        result = linprog(
            c=xs[candidates].sum(axis=0),
            A_ub=xs[zero],
            b_ub=np.zeros(int(zero.sum())),
            A_eq=positive if len(positive) else None,
            b_eq=np.zeros(len(positive)) if len(positive) else None,
            bounds=[(-1.0, 1.0)] * x.shape[1],
            method="highs",
        )
        if result.status != 0 or result.fun > -tol:
            return facial
        found = (xs @ result.x < -tol) & zero & ~facial
        if not found.any():
            return facial
        facial |= found


def fit_poisson(
    y: np.ndarray,
    x: np.ndarray,
    offset: np.ndarray | None = None,
    *,
    maxit: int = MAXIT,
    check_boundary: bool = True,
) -> PoissonFit:
    """Fit ``log E[y] = offset + x @ coef`` (``x`` includes the intercept column).

    Aliased columns are dropped; with ``check_boundary``, cells in the facial set are
    excluded and coefficients that the remaining cells do not determine are nan."""
    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float)
    n_cells, n_cols = x.shape
    off = np.zeros(n_cells) if offset is None else np.asarray(offset, dtype=float)
    kept = independent_columns(x)
    aliased = [j for j in range(n_cols) if j not in set(kept.tolist())]
    rank = len(kept)
    facial = facial_cells(y, x[:, kept]) if check_boundary else np.zeros(n_cells, dtype=bool)
    rows = ~facial
    x_rows = x[rows][:, kept]
    estimated = kept[independent_columns(x_rows)] if facial.any() else kept
    beta, mu_rows, _, iterations, converged = irls(
        y[rows], x[rows][:, estimated], off[rows], maxit=maxit
    )
    coef = np.full(n_cols, np.nan)
    coef[estimated] = beta
    if facial.any():
        # a coefficient is determined only if its unit vector is in the row space of the
        # remaining design; otherwise its value along the unbounded directions is arbitrary
        basis = x_rows
        for j in estimated:
            unit = np.zeros(n_cols)
            unit[j] = 1.0
            stacked = np.vstack([basis, unit[kept]])
            if np.linalg.matrix_rank(stacked) > np.linalg.matrix_rank(basis):
                coef[j] = np.nan
    fitted = np.zeros(n_cells)
    fitted[rows] = mu_rows
    w = mu_rows
    xe = x[rows][:, estimated]
    information = xe.T @ (xe * w[:, None])
    try:
        cov = np.linalg.inv(information)
    except np.linalg.LinAlgError:
        cov = np.linalg.pinv(information)
    return PoissonFit(
        coef=coef,
        cov=cov,
        kept=estimated,
        fitted=fitted,
        deviance=_deviance(y, fitted),
        loglik=_loglik(y, fitted),
        rank=rank,
        df=n_cells - rank,
        converged=converged,
        iterations=iterations,
        aliased=aliased,
        facial=facial,
    )
