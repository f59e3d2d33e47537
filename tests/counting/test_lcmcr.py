"""LCMCR: the random variates against scipy, the convergence diagnostics against known answers,
the sampler on the Kosovo table shipped with the R package LCMCR and on simulated populations
of known size, and its handling of bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from scipy.special import gammaln

from dadkhah.counting import convergence, lcmcr, sampler
from dadkhah.counting.table import CaptureTable, read_capture_csv

DATA = Path(__file__).parent / "data"
KOSOVO = read_capture_csv(DATA / "kosovo.csv")[None]
# A shortened run (7,500 iterations per chain instead of 110,500): still enough to tell a
# correct sampler (posterior median about 10,400) from a wrong one.
SHORT = {"burnin": 2000, "samples": 500, "thinning": 10, "warmup": 500}


_VARIATES = {
    0: lambda s, a, b: sampler.binomial(s, int(a), b),
    1: lambda s, a, b: sampler.gamma(s, a, b),
    2: lambda s, a, b: np.exp(sampler.log_gamma(s, a)),
    3: lambda s, a, b: sampler.beta(s, a, b),
    4: lambda s, a, b: sampler.poisson(s, a),
    5: lambda s, a, b: sampler.negative_binomial(s, a, b),
    6: lambda s, a, b: sampler.normal(s),
    7: lambda s, a, b: sampler.uniform(s),
}


def _draws(kind: int, s: np.ndarray, a: float, b: float, size: int) -> np.ndarray:
    # Called from Python: the compiled (cached) variates themselves, no test-only kernel.
    draw = _VARIATES[kind]
    return np.array([draw(s, float(a), float(b)) for _ in range(size)])


def _state(seed: int) -> np.ndarray:
    return sampler.new_state(np.random.default_rng(seed))


def _chi2_pvalue(x: np.ndarray, pmf: np.ndarray) -> float:
    """Goodness of fit of integer draws ``x`` to ``pmf`` over 0..len(pmf)-1, pooling small cells."""
    observed = np.bincount(x.astype(np.int64), minlength=len(pmf))[: len(pmf)]
    expected = pmf * len(x)
    big = expected >= 5
    obs = np.append(observed[big], observed[~big].sum() + (len(x) - observed.sum()))
    exp = np.append(expected[big], len(x) - expected[big].sum())
    keep = exp > 0
    return float(stats.chisquare(obs[keep], exp[keep] * obs[keep].sum() / exp[keep].sum()).pvalue)


# Each branch of the binomial sampler: Bernoulli sum, inversion, BTPE (and their mirror for
# p > 1/2), including the parallelogram, the exponential tails and the squeeze.
@pytest.mark.parametrize(
    ("n", "p"),
    [(7, 0.3), (40, 0.1), (13, 0.95), (60, 0.3), (1131, 0.02), (1131, 0.6), (100000, 0.0003)],
)
def test_binomial_matches_scipy(n, p):
    x = _draws(0, _state(n), n, p, 60_000)
    assert _chi2_pvalue(x, stats.binom.pmf(np.arange(n + 1), n, p)) > 1e-3


@pytest.mark.parametrize("lam", [0.7, 6.0, 25.0, 6000.0])
def test_poisson_matches_scipy(lam):
    x = _draws(4, _state(int(lam * 10)), lam, 0.0, 60_000)
    top = int(lam + 12 * np.sqrt(lam) + 20)
    assert _chi2_pvalue(x, stats.poisson.pmf(np.arange(top), lam)) > 1e-3


def test_negative_binomial_is_gsls_failures_before_n_successes():
    x = _draws(5, _state(3), 40.0, 0.4, 60_000)
    assert _chi2_pvalue(x, stats.nbinom.pmf(np.arange(400), 40, 0.4)) > 1e-3


@pytest.mark.parametrize(
    ("kind", "a", "b", "dist"),
    [
        (1, 0.3, 1.0, stats.gamma(0.3)),
        (1, 4.0, 2.0, stats.gamma(4.0, scale=2.0)),
        (1, 900.0, 1.0, stats.gamma(900.0)),
        (2, 0.05, 0.0, stats.gamma(0.05)),
        (2, 3.0, 0.0, stats.gamma(3.0)),
        (3, 1.0, 7.0, stats.beta(1.0, 7.0)),
        (3, 4.0, 1.0, stats.beta(4.0, 1.0)),
        (3, 31.0, 412.0, stats.beta(31.0, 412.0)),
        (3, 1.5, 1.2, stats.beta(1.5, 1.2)),
        (3, 4000.0, 3.0, stats.beta(4000.0, 3.0)),
        (3, 0.4, 2.5, stats.beta(0.4, 2.5)),
        (6, 0.0, 0.0, stats.norm()),
        (7, 0.0, 0.0, stats.uniform()),
    ],
)
def test_continuous_variates_match_scipy(kind, a, b, dist):
    x = _draws(kind, _state(kind * 1000 + int(a)), a, b, 40_000)
    assert stats.kstest(x, dist.cdf).pvalue > 1e-3


def test_normal_tail_beyond_the_ziggurat_base():
    x = _draws(6, _state(99), 0.0, 0.0, 400_000)
    beyond = np.mean(np.abs(x) > 3.0)
    assert beyond == pytest.approx(2 * stats.norm.sf(3.0), rel=0.2)


def test_multinomial_counts_and_categorical_weights():
    s = _state(5)
    weights = np.array([0.5, 0.0, 3.0, 1.0, 0.25, 0.25])
    out = np.zeros(6, dtype=np.int64)
    totals = np.zeros(6)
    for _ in range(3000):
        sampler.multinomial(s, 40, weights, out)
        assert out.sum() == 40 and out[1] == 0
        totals += out
    expected = 40 * 3000 * weights / weights.sum()
    assert totals == pytest.approx(expected, rel=0.05)
    picks = np.bincount([sampler.categorical(s, weights) for _ in range(20_000)], minlength=6)
    assert picks[1] == 0
    assert picks / 20_000 == pytest.approx(weights / weights.sum(), abs=0.015)


def test_streams_are_reproducible_and_distinct():
    a = _draws(7, _state(1), 0.0, 0.0, 5)
    assert np.array_equal(a, _draws(7, _state(1), 0.0, 0.0, 5))
    assert not np.array_equal(a, _draws(7, _state(2), 0.0, 0.0, 5))


# Convergence diagnostics.


def test_rhat_and_ess_of_independent_chains():
    rng = np.random.default_rng(0)
    draws = rng.normal(size=(4, 1000))
    assert convergence.split_rhat(draws) == pytest.approx(1.0, abs=0.01)
    assert convergence.ess_bulk(draws) == pytest.approx(4000, rel=0.15)
    assert convergence.ess_tail(draws) == pytest.approx(4000, rel=0.25)


def test_ess_of_an_autoregressive_chain():
    # AR(1) with phi = 0.8: integrated autocorrelation time (1 + phi) / (1 - phi) = 9.
    rng = np.random.default_rng(1)
    phi, n = 0.8, 20_000
    chains = np.zeros((2, n))
    noise = rng.normal(size=(2, n))
    for t in range(1, n):
        chains[:, t] = phi * chains[:, t - 1] + noise[:, t]
    assert convergence.ess(chains) == pytest.approx(2 * n / 9, rel=0.15)


def test_rhat_flags_chains_that_disagree():
    rng = np.random.default_rng(2)
    draws = rng.normal(size=(2, 500))
    draws[1] += 1.0
    assert convergence.split_rhat(draws) > 1.05
    report = convergence.summary(draws, "N")
    assert any("did not converge" in w for w in report["warnings"])


def test_summary_warns_about_one_chain_and_few_draws():
    rng = np.random.default_rng(3)
    walk = np.cumsum(rng.normal(size=400))[None, :]
    report = convergence.summary(walk, "N")
    assert report["rhat"] is None
    assert any("at least 2 chains" in w for w in report["warnings"])
    assert any("too few effective draws" in w for w in report["warnings"])


# The sampler.


def test_kosovo_posterior_median_in_the_reference_band():
    # LCMCR 0.4.x on kosovo_aggregate (K = 10, 10,000 burn-in, 1,000 draws thinned by 100):
    # posterior median about 10,400-10,600, 95% interval about 9,000-14,000. A short run is
    # noisier, so the band here is wider; a sampler with a wrong step lands far outside it.
    estimate = lcmcr.estimate(KOSOVO, seed=20260521, **SHORT)
    assert estimate.method == "lcmcr" and estimate.model == "LCMCR K=10"
    assert estimate.observed == 4400
    assert 9600 <= estimate.estimate <= 11400
    low, high = estimate.interval
    assert 7800 <= low <= 9800
    assert 12000 <= high <= 17500
    d = estimate.diagnostics
    assert d["version"] == "lcmcr-v1" and d["seed"] == 20260521
    assert d["K"] == 10 and d["a_alpha"] == 0.25 and d["b_alpha"] == 0.25
    assert d["rhat"] >= 0.99 and d["ess_bulk"] > 0  # diagnostics computed (short: not judged)
    assert len(d["draws"]) == 2 * SHORT["samples"]


def test_one_class_matches_the_exact_posterior():
    # With K = 1 the model is independent lists with uniform priors on each list's capture
    # probability and p(N) ∝ 1/N, whose posterior is known in closed form:
    # p(N | x) ∝ N^-1 · N!/(N-n)! · Π_j n_j! (N-n_j)! / (N+1)!.
    table = read_capture_csv(
        "A,B,C,count\n1,0,0,60\n0,1,0,50\n0,0,1,40\n1,1,0,12\n1,0,1,9\n0,1,1,7\n1,1,1,3\n"
    )[None]
    n, totals = table.observed, table.counts @ table.patterns
    grid = np.arange(n, 20_000)
    log_p = -np.log(grid) + gammaln(grid + 1) - gammaln(grid - n + 1)
    for n_j in totals:
        log_p += gammaln(grid - n_j + 1) - gammaln(grid + 2)
    cdf = np.cumsum(np.exp(log_p - log_p.max()))
    cdf /= cdf[-1]
    exact = [grid[np.searchsorted(cdf, q)] for q in (0.025, 0.5, 0.975)]
    posterior = lcmcr.sample(table, K=1, seed=3, burnin=1000, samples=4000, thinning=4)
    assert posterior.quantiles() == pytest.approx(exact, rel=0.015)


def _individual_gibbs(table: CaptureTable, k: int, iterations: int, burnin: int, seed: int):
    """An independent, plain-numpy version of the same model that samples every person's
    class (the paper's formulation), against which the pattern-count sampler is checked."""
    rng = np.random.default_rng(seed)
    x = np.repeat(table.patterns, table.counts, axis=0).astype(float)
    n, lists = x.shape
    lam = np.full((lists, k), 0.5)
    nu = np.full(k, 1.0 / k)
    alpha, n0, z0 = 1.0, 0, np.zeros(k, dtype=np.int64)
    kept = []
    for it in range(iterations):
        like = nu * np.exp(x @ np.log(lam) + (1 - x) @ np.log1p(-lam))
        cum = np.cumsum(like, axis=1)
        z = (rng.random(n)[:, None] * cum[:, -1:] > cum).sum(axis=1)
        sizes = np.bincount(z, minlength=k) + z0
        ones = np.stack([np.bincount(z, weights=x[:, j], minlength=k) for j in range(lists)])
        lam = rng.beta(1 + ones, 1 + sizes - ones)
        rest = sizes[::-1].cumsum()[::-1] - sizes
        # V ~ Beta(1 + n_k, alpha + n_>k) from two log-gammas (tiny shapes underflow).
        shapes = np.stack([1.0 + sizes[:-1], alpha + rest[:-1]])
        small = shapes < 0.5
        with np.errstate(divide="ignore"):  # np.where evaluates both branches
            log_g = np.where(
                small,
                np.log(rng.random(shapes.shape)) / shapes + np.log(rng.gamma(shapes + small)),
                np.log(rng.gamma(shapes)),
            )
        total = np.logaddexp(log_g[0], log_g[1])
        log_v, log_1mv = log_g[0] - total, log_g[1] - total
        log_nu = np.append(log_v, 0.0) + np.concatenate([[0.0], np.cumsum(log_1mv)])
        nu = np.exp(log_nu)
        zero = nu * np.prod(1 - lam, axis=0)
        n0 = rng.negative_binomial(n, 1 - zero.sum())
        z0 = rng.multinomial(n0, zero / zero.sum())
        alpha = rng.gamma(0.25 + k - 1, 1 / (0.25 - log_nu[-1]))
        if it >= burnin:
            kept.append(n + n0)
    return np.array(kept)


def test_pattern_counts_agree_with_a_person_level_sampler():
    table, _ = _latent_class_population(5, 800)
    slow = _individual_gibbs(table, 4, 10_000, 1_500, seed=1)
    fast = lcmcr.sample(table, K=4, seed=2, burnin=2000, samples=5000, thinning=4, chains=2)
    for q in (0.1, 0.5, 0.9):
        assert np.quantile(fast.pooled, q) == pytest.approx(np.quantile(slow, q), rel=0.04)


def test_same_seed_same_draws_other_seed_other_draws():
    options = {"burnin": 100, "samples": 50, "thinning": 2, "warmup": 50}
    a = lcmcr.sample(KOSOVO, seed=7, **options)
    b = lcmcr.sample(KOSOVO, seed=7, **options)
    c = lcmcr.sample(KOSOVO, seed=8, **options)
    assert np.array_equal(a.draws, b.draws)
    assert not np.array_equal(a.draws, c.draws)
    assert not np.array_equal(a.draws[0], a.draws[1])  # chains get different streams


def _latent_class_population(seed: int, size: int) -> tuple[CaptureTable, int]:
    """A population from the model LCMCR assumes: two classes, five lists."""
    rng = np.random.default_rng(seed)
    easy = rng.random(size) < 0.3
    p = np.where(easy[:, None], [0.6, 0.5, 0.55, 0.45, 0.5], [0.15, 0.2, 0.1, 0.2, 0.15])
    x = (rng.random((size, 5)) < p).astype(np.int64)
    seen = x[x.sum(axis=1) > 0]
    patterns, counts = np.unique(seen, axis=0, return_counts=True)
    return CaptureTable(tuple("ABCDE"), patterns, counts), size


def test_recovers_a_known_population():
    table, size = _latent_class_population(11, 3000)
    estimate = lcmcr.estimate(table, seed=3, burnin=3000, samples=500, thinning=10)
    low, high = estimate.interval
    assert low <= size <= high
    assert estimate.estimate == pytest.approx(size, rel=0.12)
    assert estimate.observed < low  # the unseen are estimated, not ignored


def test_posterior_quantiles_and_json():
    posterior = lcmcr.sample(KOSOVO, seed=1, burnin=200, samples=100, thinning=2, chains=3)
    assert posterior.draws.shape == (3, 100)
    assert (posterior.draws >= 4400).all()
    low, median, high = posterior.quantiles()
    assert low <= median <= high
    line = posterior.estimate().to_json()
    assert line["method"] == "lcmcr" and line["diagnostics"]["chains"] == 3
    assert line["diagnostics"]["iterations_per_chain"] == 500 + 200 + 100 * 2


def test_two_lists_warns_that_the_model_is_not_identified():
    table = CaptureTable.from_counts("AB", {"10": 300, "01": 250, "11": 90})
    estimate = lcmcr.estimate(table, seed=1, burnin=200, samples=100, thinning=2)
    assert any("not identified" in w for w in estimate.warnings)


def test_short_run_warns_instead_of_giving_a_silent_number():
    estimate = lcmcr.estimate(KOSOVO, seed=4, burnin=0, samples=60, thinning=1, warmup=0)
    assert any("effective draws" in w or "did not converge" in w for w in estimate.warnings)


def test_lists_that_do_not_overlap_get_a_warning():
    # Disjoint lists: nothing in the data bounds the unseen count.
    table = CaptureTable.from_counts("ABC", {"100": 200, "010": 150, "001": 100})
    estimate = lcmcr.estimate(table, seed=2, burnin=300, samples=50, thinning=2)
    assert any("do not overlap" in w for w in estimate.warnings)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"K": 0}, "K must be"),
        ({"samples": 2}, "samples must be"),
        ({"thinning": 0}, "thinning must be"),
        ({"chains": 0}, "chains must be"),
        ({"a_alpha": 0.0}, "must be positive"),
    ],
)
def test_bad_options(options, message):
    with pytest.raises(ValueError, match=message):
        lcmcr.sample(KOSOVO, **options)


def test_empty_table_is_refused():
    table = CaptureTable.from_counts("ABC", {"100": 0, "010": 0})
    with pytest.raises(ValueError, match="records nobody"):
        lcmcr.sample(table, seed=1)
