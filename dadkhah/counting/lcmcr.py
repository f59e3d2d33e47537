"""LCMCR: Bayesian non-parametric latent-class capture-recapture (Manrique-Vallier 2016).

The model (D. Manrique-Vallier, "Bayesian population size estimation using Dirichlet process
mixtures", Biometrics 72(4), 2016, 1246-1254): each of the N people belongs to one of K latent
classes; within a class the lists record people independently, list j with probability
``lambda[j, k]``. Class weights follow a truncated stick-breaking prior (a Dirichlet process
truncated at K classes) with concentration ``alpha ~ Gamma(a_alpha, b_alpha)``; every
``lambda[j, k] ~ Beta(1, 1)``; and ``p(N) ∝ 1/N``. Heterogeneity (some people are harder to
record on every list) and some list dependence are absorbed by the classes.

The Gibbs sampler works on pattern counts, never on individuals. One iteration, in the order
of LCMCR's ``CNPLCM_CR_Basic_Freq::Update``:

1. for each observed pattern, split its count among the classes by one multinomial draw with
   weights ``nu[k] * prod_j lambda[j,k]^x_j (1 - lambda[j,k])^(1 - x_j)``;
2. ``lambda[j, k] ~ Beta(1 + recorded, 1 + not recorded)`` from the counts of step 1 plus the
   imputed unobserved people of each class;
3. stick-breaking weights ``V_k ~ Beta(1 + n_k, alpha + sum_{l>k} n_l)``, drawn as log-gammas;
4. ``p0 = sum_k nu[k] prod_j (1 - lambda[j, k])``, the probability of being on no list;
5. ``n0 ~ NegBin(n, 1 - p0)`` (failures before the n-th success): the unobserved count, whose
   marginal posterior under ``p(N) ∝ 1/N`` is exactly this;
6. the n0 unobserved people are split among classes by a multinomial draw with weights
   ``nu[k] prod_j (1 - lambda[j, k])``;
7. ``alpha ~ Gamma(a_alpha + K - 1, rate = b_alpha - log nu[K-1])``.

Initialisation follows ``CNPLCM_CR_Basic_Freq::Initializes``: ``lambda`` at each list's
share of the observed records, class weights 0.225 for the first four classes and
``0.1 / (K - 4)`` for the rest, ``alpha = 0.3 / K``, ``n0 = 0``; 500 warm-up iterations
without the ``alpha`` step; then classes are relabelled by decreasing weight. The posterior of
N is ``n + n0`` recorded every ``thinning`` iterations after ``burnin`` iterations, as
``lcmCR_PostSampl`` does.

Followed: the R package LCMCR 0.4.13 (CRAN mirror ``cran/LCMCR``), files
``src/NPLCM_CR_Basic_Freq.cpp`` (the sampler above), ``src/CData_DM.h`` (only occupied cells
are tabulated), ``src/daniel2/dan_math_gsl.h`` (``dan_log_gamma_1``, the log-sum), and
``R/Lcm_CR_fn.R`` (``lcmCR``: ``a_alpha = b_alpha = 0.25``; ``lcmCR_PostSampl``:
``burnin = 10000``, ``samples = 1000``). Defaults here are those of the package's own Kosovo
example (``man/lcmCR.Rd``): ``K = 10``, ``thinning = 100`` (``lcmCR``'s own defaults are K = 5
and thinning 10). LCMCR's ``buffer_size`` only sizes its trace buffer; here every kept draw is
stored. Differences: several chains (2 by default) with R-hat and ESS
(:mod:`dadkhah.counting.convergence`) where LCMCR runs one; the random streams
(:mod:`dadkhah.counting.sampler`) are not GSL's, so results agree in distribution, not draw
for draw; LCMCR also draws (and discards) initial stick-breaking weights, which is skipped.
Added: the unobserved count is capped at :data:`N0_CAP` (with a warning) instead of
overflowing, and tables without overlap or with two lists get a warning.

Checked (``tests/counting/test_lcmcr.py``): with K = 1 the posterior of N matches its closed
form; with K = 4 it matches an independent person-level sampler; on the Kosovo table LCMCR
ships (``tests/counting/data/kosovo.csv``, source in the README beside it) the posterior
median falls in the reference band (``docs/benchmarks.md`` has the full-length runs).

Pure numpy + numba (compiled on first use, cached in ``__pycache__``).
"""

from __future__ import annotations

import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dadkhah.counting import convergence
from dadkhah.counting.result import Estimate
from dadkhah.counting.sampler import N0_CAP, new_state, run_chain
from dadkhah.counting.table import CaptureTable

__all__ = [
    "A_ALPHA",
    "BURNIN",
    "B_ALPHA",
    "CHAINS",
    "K_DEFAULT",
    "LCMCRPosterior",
    "N0_CAP",
    "SAMPLES",
    "THINNING",
    "VERSION",
    "WARMUP",
    "estimate",
    "sample",
]

VERSION = "lcmcr-v1"
K_DEFAULT = 10
A_ALPHA = 0.25
B_ALPHA = 0.25
BURNIN = 10_000
SAMPLES = 1_000
THINNING = 100
WARMUP = 500
CHAINS = 2


@dataclass(frozen=True)
class LCMCRPosterior:
    """Posterior draws of the population size from several chains, shape (chains, samples)."""

    table: CaptureTable
    draws: np.ndarray
    alpha: np.ndarray
    occupied: np.ndarray
    seed: int
    settings: dict[str, Any]
    seconds: float
    capped: int = 0
    extra_warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def pooled(self) -> np.ndarray:
        """All draws of N, chains one after another."""
        return self.draws.reshape(-1)

    def quantiles(self, q: tuple[float, ...] = (0.025, 0.5, 0.975)) -> np.ndarray:
        """Posterior quantiles of N over the pooled chains."""
        return np.asarray(np.quantile(self.pooled, q), dtype=np.float64)

    def estimate(self) -> Estimate:
        """The posterior median and 95% equal-tailed interval, with diagnostics."""
        low, median, high = (float(v) for v in self.quantiles())
        checks = convergence.summary(self.draws, name="N")
        warnings = list(self.extra_warnings) + list(checks.pop("warnings"))  # type: ignore[call-overload]
        if self.capped:
            warnings.insert(
                0,
                f"the unobserved count reached the cap of {N0_CAP:,} in {self.capped} "
                "iterations: the data do not bound the population size (too little overlap "
                "between lists); this number is not an estimate",
            )
        pooled = self.pooled
        diagnostics: dict[str, Any] = {
            "version": VERSION,
            "seed": self.seed,
            **self.settings,
            **checks,
            "posterior_mean": float(pooled.mean()),
            "posterior_sd": float(pooled.std(ddof=1)) if pooled.size > 1 else None,
            "alpha_median": float(np.median(self.alpha)),
            "occupied_classes_median": float(np.median(self.occupied)),
            "seconds": round(self.seconds, 3),
            "draws": pooled,
            "warnings": warnings,
        }
        return Estimate(
            method="lcmcr",
            model=f"LCMCR K={self.settings['K']}",
            observed=self.table.observed,
            estimate=median,
            interval=(low, high),
            diagnostics=diagnostics,
            stratum=self.table.stratum,
        )


def _check(value: int, name: str, minimum: int) -> int:
    if int(value) != value or value < minimum:
        raise ValueError(f"{name} must be a whole number of at least {minimum}, got {value!r}")
    return int(value)


def sample(
    table: CaptureTable,
    *,
    K: int = K_DEFAULT,  # noqa: N803 - the model's own name for the number of classes
    burnin: int = BURNIN,
    samples: int = SAMPLES,
    thinning: int = THINNING,
    chains: int = CHAINS,
    seed: int | None = None,
    a_alpha: float = A_ALPHA,
    b_alpha: float = B_ALPHA,
    warmup: int = WARMUP,
) -> LCMCRPosterior:
    """Run ``chains`` LCMCR chains (in parallel threads) on ``table``.

    ``seed`` seeds everything; without it a random seed is drawn and recorded in the result.
    Chain ``c`` uses the ``c``-th child of ``numpy.random.SeedSequence(seed)``. ``K = 1`` is
    the model of independent lists with equal catchability (Rcapture's Mt) in Bayesian form.
    """
    k_max = _check(K, "K", 1)
    burnin = _check(burnin, "burnin", 0)
    samples = _check(samples, "samples", 4)
    thinning = _check(thinning, "thinning", 1)
    chains = _check(chains, "chains", 1)
    warmup = _check(warmup, "warmup", 0)
    if not (a_alpha > 0 and b_alpha > 0):
        raise ValueError("a_alpha and b_alpha must be positive")
    keep = table.counts > 0
    cells = np.ascontiguousarray(table.patterns[keep], dtype=np.int64)
    freq = np.ascontiguousarray(table.counts[keep], dtype=np.int64)
    if freq.sum() == 0:
        raise ValueError("the capture table records nobody; there is nothing to estimate")
    if seed is None:
        seed = secrets.randbits(32)
    children = np.random.SeedSequence(seed).spawn(chains)
    states = [new_state(np.random.default_rng(child)) for child in children]
    n0 = np.zeros((chains, samples), dtype=np.int64)
    alpha = np.zeros((chains, samples))
    occupied = np.zeros((chains, samples), dtype=np.int64)

    def run(c: int) -> int:
        return int(
            run_chain(
                states[c],
                cells,
                freq,
                k_max,
                float(a_alpha),
                float(b_alpha),
                warmup,
                burnin,
                thinning,
                n0[c],
                alpha[c],
                occupied[c],
            )  # fmt: skip
        )

    started = time.perf_counter()
    if chains == 1:
        capped = [run(0)]
    else:
        with ThreadPoolExecutor(max_workers=chains) as pool:
            capped = list(pool.map(run, range(chains)))
    seconds = time.perf_counter() - started
    extra: list[str] = []
    if int(freq[cells.sum(axis=1) >= 2].sum()) == 0:
        extra.append(
            "nobody is on more than one list: the lists do not overlap, so nothing in the data "
            "bounds the number unseen; the interval reflects the prior, not the data"
        )
    if table.k == 2:
        extra.append(
            "with 2 lists the latent-class model is not identified: the interval reflects "
            "the prior as much as the data"
        )
    settings = {
        "K": k_max,
        "a_alpha": float(a_alpha),
        "b_alpha": float(b_alpha),
        "burnin": burnin,
        "samples": samples,
        "thinning": thinning,
        "warmup": warmup,
        "iterations_per_chain": warmup + burnin + samples * thinning,
    }
    return LCMCRPosterior(
        table=table,
        draws=n0 + int(freq.sum()),
        alpha=alpha,
        occupied=occupied,
        seed=int(seed),
        settings=settings,
        seconds=seconds,
        capped=int(sum(capped)),
        extra_warnings=tuple(extra),
    )


def estimate(table: CaptureTable, **options: Any) -> Estimate:
    """LCMCR estimate of ``table`` (posterior median, 95% interval); options as :func:`sample`."""
    return sample(table, **options).estimate()
