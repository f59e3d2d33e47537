"""Convergence diagnostics for Markov chain Monte Carlo draws: R-hat and effective sample size.

Draws come as an array of shape ``(chains, draws per chain)``. The formulas are those of
Vehtari, Gelman, Simpson, Carpenter and Bürkner (2021), "Rank-normalization, folding, and
localization: an improved R-hat for assessing convergence of MCMC", Bayesian Analysis 16(2),
which Stan and ArviZ use:

- **split R-hat** (Gelman and Rubin 1992, Gelman et al. 2013, BDA3 §11.4): each chain is cut in
  half, and the between-half variance is compared with the within-half variance;
- **rank-normalized R-hat**: the same on normal scores of the pooled ranks, and on the folded
  draws ``|x - median|``; the larger of the two is reported. Values above 1.01 to 1.05 mean the
  chains have not mixed;
- **bulk ESS** on the rank-normalized split chains and **tail ESS** (the smaller of the ESS of
  the indicators of the 5% and 95% quantiles), each with Geyer's (1992) initial monotone
  positive-pair-sum estimate of the autocorrelation time.

Pure numpy/scipy.
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

__all__ = [
    "ESS_MIN",
    "RHAT_MAX",
    "autocorrelation",
    "ess",
    "ess_bulk",
    "ess_tail",
    "rank_normalize",
    "rhat",
    "split_rhat",
    "summary",
]

RHAT_MAX = 1.05
"""Above this, the chains have not converged to one distribution (warning threshold)."""

ESS_MIN = 200.0
"""Below this many effective draws, quantiles of the posterior are too noisy (warning)."""


def _chains(draws: np.ndarray) -> np.ndarray:
    x = np.asarray(draws, dtype=np.float64)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2:
        raise ValueError("draws must have shape (chains, draws per chain)")
    return x


def _split(x: np.ndarray) -> np.ndarray:
    half = x.shape[1] // 2
    if half < 2:
        raise ValueError("each chain needs at least 4 draws")
    # Drop the middle draw of an odd-length chain, as Stan does.
    return np.concatenate([x[:, :half], x[:, -half:]], axis=0)


def rank_normalize(draws: np.ndarray) -> np.ndarray:
    """Normal scores of the pooled ranks (average ranks for ties), same shape as ``draws``."""
    x = _chains(draws)
    ranks = stats.rankdata(x, method="average").reshape(x.shape)
    total = x.size
    return np.asarray(special.ndtri((ranks - 0.375) / (total + 0.25)), dtype=np.float64)


def rhat(chains: np.ndarray) -> float:
    """Classic potential scale reduction of already-split chains, shape (chains, draws)."""
    x = _chains(chains)
    m, n = x.shape
    within = float(np.mean(np.var(x, axis=1, ddof=1)))
    between = float(n * np.var(np.mean(x, axis=1), ddof=1)) if m > 1 else 0.0
    if within <= 0.0:
        # Constant chains: converged only if they all sit at the same value.
        return 1.0 if between <= 0.0 else float("inf")
    var_plus = (n - 1) / n * within + between / n
    return float(np.sqrt(var_plus / within))


def split_rhat(draws: np.ndarray) -> float:
    """Rank-normalized split R-hat: the larger of the bulk and the folded (tail) versions."""
    x = _chains(draws)
    bulk = rhat(_split(rank_normalize(x)))
    folded = np.abs(x - np.median(x))
    tail = rhat(_split(rank_normalize(folded)))
    return max(bulk, tail)


def autocorrelation(chain: np.ndarray) -> np.ndarray:
    """Autocorrelation of one chain at lags 0..n-1 (FFT, biased estimator as in Stan)."""
    x = np.asarray(chain, dtype=np.float64)
    n = len(x)
    centred = x - x.mean()
    size = 1 << (2 * n - 1).bit_length()
    spectrum = np.fft.rfft(centred, size)
    acov = np.fft.irfft(spectrum * np.conjugate(spectrum), size)[:n] / n
    if acov[0] <= 0.0:
        out = np.zeros(n)
        out[0] = 1.0
        return out
    return np.asarray(acov / acov[0], dtype=np.float64)


def ess(chains: np.ndarray) -> float:
    """Effective sample size of chains (shape (chains, draws)), Geyer's initial monotone
    sequence on the multi-chain autocorrelation of Vehtari et al. (2021), eq. 10."""
    x = _chains(chains)
    m, n = x.shape
    if n < 4:
        return float("nan")
    chain_var = np.var(x, axis=1, ddof=1)
    within = float(np.mean(chain_var))
    if within <= 0.0:
        return float("nan")
    var_plus = (n - 1) / n * within
    if m > 1:
        var_plus += float(np.var(np.mean(x, axis=1), ddof=1))
    acov = np.stack([autocorrelation(row) * var for row, var in zip(x, chain_var, strict=True)])
    # Autocovariances use the ddof=1 variance scaled back to the biased one.
    acov *= (n - 1) / n
    rho = 1.0 - (within - acov.mean(axis=0)) / var_plus
    rho[0] = 1.0
    # Sums of adjacent pairs, kept while positive, forced monotone (Geyer 1992).
    pairs = rho[: (n // 2) * 2].reshape(-1, 2).sum(axis=1)
    positive = np.flatnonzero(pairs <= 0.0)
    last = int(positive[0]) if positive.size else len(pairs)
    pairs = np.minimum.accumulate(pairs[:last]) if last else pairs[:1]
    tau = -1.0 + 2.0 * float(np.sum(pairs))
    tau = max(tau, 1.0 / np.log10(m * n))
    return float(m * n / tau)


def ess_bulk(draws: np.ndarray) -> float:
    """Bulk effective sample size: ESS of the rank-normalized split chains."""
    return ess(_split(rank_normalize(_chains(draws))))


def ess_tail(draws: np.ndarray) -> float:
    """Tail effective sample size: the smaller ESS of the 5% and 95% quantile indicators."""
    x = _chains(draws)
    low, high = np.quantile(x, [0.05, 0.95])
    values = []
    for indicator in (x <= low, x <= high):
        values.append(ess(_split(indicator.astype(np.float64))))
    finite = [v for v in values if np.isfinite(v)]
    return float(min(finite)) if finite else float("nan")


def summary(draws: np.ndarray, name: str = "the draws") -> dict[str, object]:
    """R-hat, bulk and tail ESS of ``draws``, with warnings past the thresholds."""
    x = _chains(draws)
    out: dict[str, object] = {"chains": int(x.shape[0]), "draws_per_chain": int(x.shape[1])}
    warnings: list[str] = []
    if x.shape[0] >= 2:
        r = split_rhat(x)
        out["rhat"] = r
        if not r <= RHAT_MAX:
            warnings.append(
                f"the sampler did not converge: R-hat of {name} is {r:.3f} (above {RHAT_MAX}); "
                "run longer (more burn-in and draws) before using this number"
            )
    else:
        out["rhat"] = None
        warnings.append("R-hat needs at least 2 chains; convergence was not checked")
    bulk = ess_bulk(x)
    tail = ess_tail(x)
    out["ess_bulk"] = bulk
    out["ess_tail"] = tail
    finite = [v for v in (bulk, tail) if np.isfinite(v)]
    low = min(finite) if finite else 0.0
    if low < ESS_MIN:
        warnings.append(
            f"too few effective draws of {name} ({low:.0f}, fewer than {ESS_MIN:.0f}): the "
            "interval is noisy; draw more samples or thin more"
        )
    out["warnings"] = warnings
    return out
