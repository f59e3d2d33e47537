"""The compiled part of LCMCR: random variates and the Gibbs sampler, in one numba module.

Everything numba compiles for the sampler lives in this one file on purpose: numba's on-disk
cache (``__pycache__``) is invalidated by the modification time of the file that defines a
function, not of the functions it calls, so a kernel calling variates from another module could
keep running stale compiled code after that module changed.

**Random numbers.** The sampler draws about 200 binomial, beta and gamma variates per iteration.
numba's binding of ``numpy.random.Generator`` costs 100-250 ns per binomial draw (each uniform
goes through the bit generator's function pointer), more than the reference C++ sampler spends
on a whole iteration. So each chain runs its own xoshiro256** stream (Blackman and Vigna, 2018,
"Scrambled linear pseudorandom number generators"), whose 256-bit state is drawn from that
chain's seeded ``numpy.random.Generator``: a chain is still fully determined by its seed.
The variates:

- uniform on (0, 1): the top 52 bits of a xoshiro256** output plus half an ulp (never 0 or 1);
- standard normal: the ziggurat method with 256 layers as in Doornik (2005), "An improved
  ziggurat method to generate normal random samples" (tail by Marsaglia's 1964 method);
- gamma: Marsaglia and Tsang (2000) for shape >= 1, boosted by ``U**(1/shape)`` below 1;
  ``log_gamma`` returns the logarithm directly, finite even for tiny shapes (LCMCR's
  ``dan_log_gamma_1``, after Robert and Casella 2004, p. 45);
- beta: Cheng's (1978) algorithm BB when both parameters exceed 1 (as R's ``rbeta``),
  inversion when one is 1, a ratio of gammas otherwise;
- binomial: a sum of Bernoulli draws below 12 trials, inversion when ``n·min(p, 1-p) < 14``
  (GSL's cut-off), otherwise BTRD (Hörmann, 1993, "The generation of binomial random
  variates", J. Statist. Comput. Simul. 46), whose fast path takes one uniform;
- Poisson: multiplication below 10, otherwise PTRS (Hörmann, 1993, "The transformed rejection
  method for generating Poisson random variables");
- negative binomial: a gamma-mixed Poisson, as in numpy and GSL;
- multinomial: conditional binomials in decreasing order of weight (as GSL's
  ``gsl_ran_multinomial``, reordered), the last few draws placed one at a time.

``tests/counting/test_lcmcr.py`` checks each against scipy's distribution functions.

**The Gibbs sampler** (:func:`run_chain`) is described in :mod:`dadkhah.counting.lcmcr`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = [
    "N0_CAP",
    "beta",
    "binomial",
    "categorical",
    "gamma",
    "log_gamma",
    "multinomial",
    "negative_binomial",
    "new_state",
    "normal",
    "poisson",
    "run_chain",
    "uniform",
]

_U12 = np.uint64(12)
_U17 = np.uint64(17)
_U45 = np.uint64(45)
_U7 = np.uint64(7)
_FIVE = np.uint64(5)
_NINE = np.uint64(9)
_TWO_M52 = 2.0**-52
_LOG_2PI = 1.8378770664093453


def new_state(rng: np.random.Generator) -> np.ndarray:
    """A xoshiro256** state (4 uint64, not all zero) drawn from ``rng``."""
    while True:
        state = rng.integers(0, 2**64, size=4, dtype=np.uint64)
        if state.any():
            return state


@njit(cache=True, nogil=True, inline="always", error_model="numpy")
def _rotl(x: np.uint64, k: np.uint64) -> np.uint64:
    return (x << k) | (x >> (np.uint64(64) - k))


@njit(cache=True, nogil=True, error_model="numpy")
def _next(s: np.ndarray) -> np.uint64:
    result = _rotl(s[1] * _FIVE, _U7) * _NINE
    t = s[1] << _U17
    s[2] ^= s[0]
    s[3] ^= s[1]
    s[1] ^= s[2]
    s[0] ^= s[3]
    s[2] ^= t
    s[3] = _rotl(s[3], _U45)
    return result


@njit(cache=True, nogil=True, error_model="numpy")
def uniform(s: np.ndarray) -> float:
    """Uniform on the open interval (0, 1)."""
    return ((_next(s) >> _U12) + 0.5) * _TWO_M52


def _ziggurat(layers: int, r: float, v: float) -> tuple[np.ndarray, np.ndarray]:
    # Layer edges x[0..layers] and the ratios x[i+1]/x[i] (Doornik 2005, ZIGNOR).
    x = np.empty(layers + 1)
    x[0] = v / math.exp(-0.5 * r * r)
    x[1] = r
    for i in range(2, layers):
        x[i] = math.sqrt(-2.0 * math.log(v / x[i - 1] + math.exp(-0.5 * x[i - 1] ** 2)))
    x[layers] = 0.0
    return x, x[1:] / x[:-1]


_ZIG_R = 3.6541528853610088
_ZIG_X, _ZIG_RATIO = _ziggurat(256, _ZIG_R, 0.00492867323399)
_LAYER = np.uint64(255)


@njit(cache=True, nogil=True, error_model="numpy")
def normal(s: np.ndarray) -> float:
    """Standard normal (ziggurat)."""
    while True:
        bits = _next(s)
        i = int(bits & _LAYER)
        u = 2.0 * (((bits >> _U12) + 0.5) * _TWO_M52) - 1.0
        if abs(u) < _ZIG_RATIO[i]:
            return float(u * _ZIG_X[i])
        if i == 0:
            # The tail beyond r.
            while True:
                a = -math.log(uniform(s)) / _ZIG_R
                b = -math.log(uniform(s))
                if b + b > a * a:
                    return _ZIG_R + a if u > 0.0 else -(_ZIG_R + a)
        x = float(u * _ZIG_X[i])
        f0 = math.exp(-0.5 * (_ZIG_X[i] * _ZIG_X[i] - x * x))
        f1 = math.exp(-0.5 * (_ZIG_X[i + 1] * _ZIG_X[i + 1] - x * x))
        if f1 + uniform(s) * (f0 - f1) < 1.0:
            return x


@njit(cache=True, nogil=True, error_model="numpy")
def _gamma_large(s: np.ndarray, shape: float) -> float:
    # Marsaglia and Tsang (2000), shape >= 1.
    d = shape - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    while True:
        x = normal(s)
        v = 1.0 + c * x
        if v <= 0.0:
            continue
        v = v * v * v
        u = uniform(s)
        x2 = x * x
        if u < 1.0 - 0.0331 * x2 * x2:
            return d * v
        if math.log(u) < 0.5 * x2 + d * (1.0 - v + math.log(v)):
            return d * v


@njit(cache=True, nogil=True, error_model="numpy")
def gamma(s: np.ndarray, shape: float, scale: float) -> float:
    """Gamma(shape, scale); mean shape·scale."""
    if shape >= 1.0:
        return scale * _gamma_large(s, shape)
    if shape <= 0.0:
        return 0.0
    return float(scale * _gamma_large(s, shape + 1.0) * uniform(s) ** (1.0 / shape))


@njit(cache=True, nogil=True, error_model="numpy")
def log_gamma(s: np.ndarray, shape: float) -> float:
    """log of a Gamma(shape, 1) variate, finite even when the variate underflows."""
    if shape < 0.5:
        return math.log(uniform(s)) / shape + math.log(_gamma_large(s, shape + 1.0))
    return math.log(gamma(s, shape, 1.0))


@njit(cache=True, nogil=True, error_model="numpy")
def beta(s: np.ndarray, a: float, b: float) -> float:
    """Beta(a, b) (a, b > 0): inversion when a or b is 1, Cheng's BB when both exceed 1,
    a ratio of gammas otherwise."""
    if a == 1.0:
        if b == 1.0:
            return uniform(s)
        return -math.expm1(math.log(uniform(s)) / b)
    if b == 1.0:
        return math.exp(math.log(uniform(s)) / a)
    if a > 1.0 and b > 1.0:
        return _beta_cheng(s, a, b)
    x = gamma(s, a, 1.0)
    y = gamma(s, b, 1.0)
    total = x + y
    if total <= 0.0:
        # Both underflowed (tiny a and b): decide on the log scale.
        lx = log_gamma(s, a)
        ly = log_gamma(s, b)
        return 1.0 / (1.0 + math.exp(ly - lx))
    return x / total


@njit(cache=True, nogil=True, error_model="numpy")
def _beta_cheng(s: np.ndarray, aa: float, bb: float) -> float:
    # Cheng (1978), "Generating beta variates with nonintegral shape parameters", CACM 21(4),
    # algorithm BB for min(a, b) > 1 (as R's rbeta).
    a = min(aa, bb)
    b = max(aa, bb)
    alpha = a + b
    scale = math.sqrt((alpha - 2.0) / (2.0 * a * b - alpha))
    shift = a + 1.0 / scale
    while True:
        u1 = uniform(s)
        u2 = uniform(s)
        v = scale * math.log(u1 / (1.0 - u1))
        if v > 700.0:
            continue
        w = a * math.exp(v)
        z = u1 * u1 * u2
        r = shift * v - 1.3862943611198906
        t = a + r - w
        if t + 2.6094379124341003 >= 5.0 * z:
            break
        log_z = math.log(z)
        if t > log_z:
            break
        if r + alpha * math.log(alpha / (b + w)) >= log_z:
            break
    return w / (b + w) if aa == a else b / (b + w)


@njit(cache=True, nogil=True, error_model="numpy")
def _loggam(x: float) -> float:
    # log Gamma(x) for x >= 1 by Stirling's series (as numpy's random_loggam).
    if x == 1.0 or x == 2.0:
        return 0.0
    n = int(7.0 - x) if x < 7.0 else 0
    x0 = x + n
    x2 = 1.0 / (x0 * x0)
    gl0 = -1.39243221690590e00
    gl0 = gl0 * x2 + 1.796443723688307e-01
    gl0 = gl0 * x2 - 2.955065359477124e-02
    gl0 = gl0 * x2 + 6.410256410256410e-03
    gl0 = gl0 * x2 - 1.917526917526918e-03
    gl0 = gl0 * x2 + 8.417508417508418e-04
    gl0 = gl0 * x2 - 5.952380952380952e-04
    gl0 = gl0 * x2 + 7.936507936507937e-04
    gl0 = gl0 * x2 - 2.777777777777778e-03
    gl0 = gl0 * x2 + 8.333333333333333e-02
    gl = gl0 / x0 + 0.5 * _LOG_2PI + (x0 - 0.5) * math.log(x0) - x0
    for _ in range(n):
        x0 -= 1.0
        gl -= math.log(x0)
    return gl


@njit(cache=True, nogil=True, error_model="numpy")
def poisson(s: np.ndarray, lam: float) -> int:
    """Poisson(lam): multiplication below 10, PTRS above."""
    if lam <= 0.0:
        return 0
    if lam < 10.0:
        limit = math.exp(-lam)
        k = 0
        prod = uniform(s)
        while prod > limit:
            k += 1
            prod *= uniform(s)
        return k
    slam = math.sqrt(lam)
    loglam = math.log(lam)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    invalpha = 1.1239 + 1.1328 / (b - 3.4)
    vr = 0.9277 - 3.6224 / (b - 2.0)
    while True:
        u = uniform(s) - 0.5
        v = uniform(s)
        us = 0.5 - abs(u)
        k = int(math.floor((2.0 * a / us + b) * u + lam + 0.43))
        if us >= 0.07 and v <= vr:
            return k
        if k < 0 or (us < 0.013 and v > us):
            continue
        if math.log(v) + math.log(invalpha) - math.log(a / (us * us) + b) <= (
            -lam + k * loglam - _loggam(k + 1.0)
        ):
            return k


@njit(cache=True, nogil=True, error_model="numpy")
def negative_binomial(s: np.ndarray, n: float, p: float) -> int:
    """Failures before the n-th success with success probability p (GSL's convention)."""
    if p >= 1.0:
        return 0
    return poisson(s, gamma(s, n, (1.0 - p) / p))


_RECIPROCAL = 1.0 / np.arange(1, 4097, dtype=np.float64)
"""1/i for i = 1..4096: the inversion and BTRD recurrences multiply instead of dividing."""


@njit(cache=True, nogil=True, inline="always", error_model="numpy")
def _over(x: float, i: int) -> float:
    # x / i, from the table when it reaches.
    return x * _RECIPROCAL[i - 1] if i <= 4096 else x / i


@njit(cache=True, nogil=True, error_model="numpy")
def _binomial_inversion(s: np.ndarray, n: int, p: float) -> int:
    q = 1.0 - p
    ratio = p / q
    qn = math.exp(n * math.log1p(-p))
    mean = n * p
    bound = min(float(n), mean + 10.0 * math.sqrt(mean * q + 1.0))
    x = 0
    px = qn
    u = uniform(s)
    while u > px:
        x += 1
        if x > bound:
            x = 0
            px = qn
            u = uniform(s)
        else:
            u -= px
            px *= _over((n - x + 1) * ratio, x)
    return x


def _stirling_corrections(size: int) -> np.ndarray:
    # fc(k) = log k! - (k + 1/2) log(k + 1) + (k + 1) - log(2 pi) / 2, for k < size.
    k = np.arange(size, dtype=np.float64)
    log_fact = np.cumsum(np.log(np.maximum(k, 1.0)))
    return log_fact - (k + 0.5) * np.log(k + 1.0) + (k + 1.0) - 0.5 * _LOG_2PI


_FC = _stirling_corrections(10)


@njit(cache=True, nogil=True, error_model="numpy")
def _fc(k: float) -> float:
    if k < 10.0:
        return float(_FC[int(k)])
    r = 1.0 / (k + 1.0)
    r2 = r * r
    return (1.0 / 12.0 - (1.0 / 360.0 - 1.0 / 1260.0 * r2) * r2) * r


@njit(cache=True, nogil=True, error_model="numpy")
def _binomial_btrd(s: np.ndarray, n: int, p: float) -> int:
    # Hörmann (1993), "The generation of binomial random variates", J. Statist. Comput.
    # Simul. 46, algorithm BTRD, for n·p >= 10 and p <= 1/2.
    q = 1.0 - p
    m = int(math.floor((n + 1) * p))
    r = p / q
    nr = (n + 1) * r
    npq = n * p * q
    snpq = math.sqrt(npq)
    b = 1.15 + 2.53 * snpq
    a = -0.0873 + 0.0248 * b + 0.01 * p
    c = n * p + 0.5
    alpha = (2.83 + 5.1 / b) * snpq
    vr = 0.92 - 4.2 / b
    urvr = 0.86 * vr
    while True:
        v = uniform(s)
        if v <= urvr:
            u = v / vr - 0.43
            return int(math.floor((2.0 * a / (0.5 - abs(u)) + b) * u + c))
        if v >= vr:
            u = uniform(s) - 0.5
        else:
            u = v / vr - 0.93
            u = math.copysign(0.5, u) - u
            v = uniform(s) * vr
        us = 0.5 - abs(u)
        k = int(math.floor((2.0 * a / us + b) * u + c))
        if k < 0 or k > n:
            continue
        v = v * alpha / (a / (us * us) + b)
        km = abs(k - m)
        if km <= 15:
            # Recursive evaluation of f(k) / f(m).
            f = 1.0
            if m < k:
                for i in range(m + 1, k + 1):
                    f *= _over(nr, i) - r
            elif m > k:
                for i in range(k + 1, m + 1):
                    v *= _over(nr, i) - r
            if v <= f:
                return k
            continue
        # Squeeze on the log scale, then the exact bound with Stirling corrections.
        v = math.log(v)
        rho = (km / npq) * (((km / 3.0 + 0.625) * km + 1.0 / 6.0) / npq + 0.5)
        t = -km * km / (2.0 * npq)
        if v < t - rho:
            return k
        if v > t + rho:
            continue
        nm = n - m + 1.0
        h = (m + 0.5) * math.log((m + 1.0) / (r * nm)) + _fc(m) + _fc(n - m)
        nk = n - k + 1.0
        if v <= h + (n + 1.0) * math.log(nm / nk) + (k + 0.5) * math.log(nk * r / (k + 1.0)) - _fc(
            k
        ) - _fc(n - k):
            return k


@njit(cache=True, nogil=True, error_model="numpy")
def _bernoulli_sum(s: np.ndarray, n: int, p: float) -> int:
    x = 0
    for _ in range(n):
        if uniform(s) < p:
            x += 1
    return x


_DIRECT = 12
"""Below this many trials a binomial is a sum of Bernoulli draws (cheaper than any setup)."""

_SMALL_MEAN = 14.0
"""Below this mean, binomials are drawn by inversion, above by BTRD (GSL's cut-off between
inversion and its rejection method; BTRD is exact from a mean of 10 on)."""


@njit(cache=True, nogil=True, error_model="numpy")
def binomial(s: np.ndarray, n: int, p: float) -> int:
    """Binomial(n, p)."""
    if n <= 0 or p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    if n < _DIRECT:
        return _bernoulli_sum(s, n, p)
    if p <= 0.5:
        if n * p < _SMALL_MEAN:
            return _binomial_inversion(s, n, p)
        return _binomial_btrd(s, n, p)
    q = 1.0 - p
    if n * q < _SMALL_MEAN:
        return n - _binomial_inversion(s, n, q)
    return n - _binomial_btrd(s, n, q)


@njit(cache=True, nogil=True, error_model="numpy")
def categorical(s: np.ndarray, weights: np.ndarray) -> int:
    """An index drawn with probability proportional to the non-negative ``weights``."""
    total = 0.0
    for w in weights:
        total += w
    u = uniform(s) * total
    last = len(weights) - 1
    for k in range(last):
        u -= weights[k]
        if u < 0.0:
            return k
    return last


@njit(cache=True, nogil=True, error_model="numpy")
def multinomial(s: np.ndarray, total: int, weights: np.ndarray, out: np.ndarray) -> None:
    """``out`` := Multinomial(total, weights / sum(weights)).

    Conditional binomials over the categories in decreasing weight, so that the count left
    over is soon small; the last few people are then placed one by one (categorical draws).
    """
    size = len(weights)
    order = np.empty(size, dtype=np.int64)
    norm = 0.0
    for k in range(size):
        out[k] = 0
        norm += weights[k]
        # Insertion sort, largest weight first.
        i = k
        while i > 0 and weights[order[i - 1]] < weights[k]:
            order[i] = order[i - 1]
            i -= 1
        order[i] = k
    remaining = total
    pos = 0
    while remaining >= _DIRECT and pos < size - 1:
        k = order[pos]
        share = weights[k] / norm if norm > 0.0 else 1.0
        x = binomial(s, remaining, share) if share < 1.0 else remaining
        out[k] = x
        remaining -= x
        norm -= weights[k]
        pos += 1
    if remaining == 0:
        return
    if pos == size - 1 or norm <= 0.0:
        out[order[pos]] += remaining
        return
    # Place the last few one at a time among the categories not yet drawn.
    for _ in range(remaining):
        u = uniform(s) * norm
        chosen = order[size - 1]
        for i in range(pos, size - 1):
            u -= weights[order[i]]
            if u < 0.0:
                chosen = order[i]
                break
        out[chosen] += 1


N0_CAP = 10**9
"""Unobserved counts are capped here; reaching it means the posterior of N is not proper."""


@njit(cache=True, nogil=True, error_model="numpy")
def _log_sum(a: float, b: float) -> float:
    if a < b:
        return b + math.log1p(math.exp(a - b))
    return a + math.log1p(math.exp(b - a))


@njit(cache=True, nogil=True, error_model="numpy")
def _relabel(
    nu: np.ndarray,
    log_nu: np.ndarray,
    lam: np.ndarray,
    count_mk: np.ndarray,
    count0: np.ndarray,
) -> None:
    # Classes in decreasing weight (LCMCR's permute_latent_classes_by_nu), stable order.
    k_max = nu.shape[0]
    order = np.empty(k_max, dtype=np.int64)
    for k in range(k_max):
        i = k
        while i > 0 and nu[order[i - 1]] < nu[k]:
            order[i] = order[i - 1]
            i -= 1
        order[i] = k
    old_nu = nu.copy()
    old_log_nu = log_nu.copy()
    old_lam = lam.copy()
    old_mk = count_mk.copy()
    old_0 = count0.copy()
    for new in range(k_max):
        k = order[new]
        nu[new] = old_nu[k]
        log_nu[new] = old_log_nu[k]
        count0[new] = old_0[k]
        for j in range(lam.shape[0]):
            lam[j, new] = old_lam[j, k]
        for m in range(count_mk.shape[0]):
            count_mk[m, new] = old_mk[m, k]


@njit(cache=True, nogil=True, error_model="numpy")
def run_chain(
    s: np.ndarray,
    cells: np.ndarray,
    freq: np.ndarray,
    k_max: int,
    a_alpha: float,
    b_alpha: float,
    warmup: int,
    burnin: int,
    thinning: int,
    out_n0: np.ndarray,
    out_alpha: np.ndarray,
    out_occupied: np.ndarray,
) -> int:
    """Run one LCMCR chain on the occupied ``cells`` (0/1, shape (M, J)) with counts ``freq``.

    Fills the ``out_*`` arrays (one entry per kept draw) and returns the number of kept
    iterations in which the unobserved count hit :data:`N0_CAP`.
    """
    n_cells, n_lists = cells.shape
    n = 0
    for m in range(n_cells):
        n += freq[m]
    # Initial values (CNPLCM_CR_Basic_Freq::Initializes).
    lam = np.empty((n_lists, k_max))
    for j in range(n_lists):
        recorded = 0
        for m in range(n_cells):
            if cells[m, j] == 1:
                recorded += freq[m]
        for k in range(k_max):
            lam[j, k] = recorded / n
    nu = np.empty(k_max)
    for k in range(k_max):
        if k_max <= 4:
            nu[k] = 1.0 / k_max
        elif k < 4:
            nu[k] = 0.25 * 0.9
        else:
            nu[k] = 0.1 / (k_max - 4)
    log_nu = np.empty(k_max)
    for k in range(k_max):
        log_nu[k] = math.log(nu[k])
    count_mk = np.zeros((n_cells, k_max), dtype=np.int64)
    count0 = np.zeros(k_max, dtype=np.int64)
    count_k = np.zeros(k_max, dtype=np.int64)
    ones = np.zeros((n_lists, k_max), dtype=np.int64)
    weights = np.empty(k_max)
    alpha = 0.3 / k_max
    n0 = 0
    capped_total = 0
    kept = 0
    samples = out_n0.shape[0]
    total = warmup + burnin + samples * thinning
    for it in range(total):
        if it == warmup and warmup > 0:
            _relabel(nu, log_nu, lam, count_mk, count0)
        # 1. Latent classes of the observed pattern counts.
        for m in range(n_cells):
            for k in range(k_max):
                p = nu[k]
                for j in range(n_lists):
                    p *= lam[j, k] if cells[m, j] == 1 else 1.0 - lam[j, k]
                weights[k] = p
            if freq[m] == 1:
                for k in range(k_max):
                    count_mk[m, k] = 0
                count_mk[m, categorical(s, weights)] = 1
            else:
                multinomial(s, freq[m], weights, count_mk[m])
        # 2. Capture probabilities, from the observed and imputed people of each class.
        for k in range(k_max):
            count_k[k] = count0[k]
            for j in range(n_lists):
                ones[j, k] = 0
        for m in range(n_cells):
            for k in range(k_max):
                c = count_mk[m, k]
                if c == 0:
                    continue
                count_k[k] += c
                for j in range(n_lists):
                    if cells[m, j] == 1:
                        ones[j, k] += c
        for j in range(n_lists):
            for k in range(k_max):
                lam[j, k] = beta(s, 1.0 + ones[j, k], 1.0 + count_k[k] - ones[j, k])
        # 3. Stick-breaking weights (n0 and the imputed classes from the last iteration).
        occupied = 0
        for k in range(k_max):
            if count_k[k] > 0:
                occupied += 1
        acc = 0
        log_rest = 0.0
        for k in range(k_max - 1):
            acc += count_k[k]
            lg1 = log_gamma(s, 1.0 + count_k[k])
            lg2 = log_gamma(s, alpha + (n0 + n - acc))
            both = _log_sum(lg1, lg2)
            log_nu[k] = lg1 - both + log_rest
            log_rest += lg2 - both
            nu[k] = math.exp(log_nu[k])
        log_nu[k_max - 1] = log_rest
        nu[k_max - 1] = math.exp(log_rest)
        # 4-6. The unobserved: probability of being on no list, their count, their classes.
        p0 = 0.0
        for k in range(k_max):
            p = nu[k]
            for j in range(n_lists):
                p *= 1.0 - lam[j, k]
            weights[k] = p
            p0 += p
        if p0 >= 1.0 or n * p0 / (1.0 - p0) > N0_CAP:
            n0 = N0_CAP
            if it >= warmup + burnin:
                capped_total += 1
        else:
            n0 = min(negative_binomial(s, float(n), 1.0 - p0), N0_CAP)
        multinomial(s, n0, weights, count0)
        # 7. Concentration of the stick-breaking prior (not during warm-up).
        if it >= warmup:
            alpha = gamma(s, a_alpha + k_max - 1.0, 1.0 / (b_alpha - log_nu[k_max - 1]))
        done = it - warmup - burnin + 1
        if done > 0 and done % thinning == 0:
            out_n0[kept] = n0
            out_alpha[kept] = alpha
            out_occupied[kept] = occupied
            kept += 1
    return capped_total
