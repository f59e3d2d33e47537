"""Known-answer tests for dadkhah.counting.loglinear against published Rcapture results.

Sources (all public; values copied as printed):

- ``Rcapture-Ex.Rout.save``: the saved output of Rcapture's own examples (cran/Rcapture,
  tests/Examples/Rcapture-Ex.Rout.save, R 2.15.0, 2012). Printed precision: abundance and
  stderr 1 decimal, deviance 3, AIC 3 (2 or 3 when R drops a trailing zero).
- ``testPapersResults.R``: Rcapture's tests reproducing papers (cran/Rcapture,
  inst/tests/testPapersResults.R): Rivest (2011) on the diabetes data of Bruno et al. (1994)
  and the R3 data of Darroch et al. (1993); Cormack, Chang and Smith (2000) Tables 3a/3b.
  Their data are written inline there, in ``histpos.t`` order (111..1 first).
- HIV: Abeni, Brancato and Perucci (1994), Rcapture's ``data(HIV)``. The .rda is binary; the
  15 counts are as transcribed in a public analysis script (``dat.abeni``), and the test
  checks them against Rcapture's printed ``descriptive(HIV)`` (n, f_i, n_i) before use.
- Snowshoe hare (Rcapture's ``data(hare)``, Cormack 1989): the 68 histories are only in the
  binary .rda. Rcapture's printed ``descriptive(hare)`` gives f_i (number caught i times) and
  n_i (caught on occasion i), the sufficient statistics of M0, Mt, Mh and Mth; HARE below is
  a table with exactly those f_i and n_i. So estimates, standard errors and the profile
  interval must match exactly, and deviance and AIC up to one constant for the table.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import statsmodels.api as sm

from dadkhah.counting import loglinear as ll
from dadkhah.counting.table import CaptureTable, all_patterns

# statsmodels, the oracle, warns about saturated fits and empty cells that the tests mean
pytestmark = [
    pytest.mark.filterwarnings("ignore::RuntimeWarning:statsmodels"),
    pytest.mark.filterwarnings("ignore:Perfect separation"),
]


def histpos(k: int, counts: list[int]) -> CaptureTable:
    """A table from counts in Rcapture's ``histpos.t(k)`` order (11..1, 11..0, ..., 0..01)."""
    return CaptureTable(
        tuple(f"c{i + 1}" for i in range(k)), all_patterns(k)[::-1], np.array(counts)
    )


def printed(value: float, shown: float, decimals: int) -> bool:
    """``value`` prints as ``shown`` at ``decimals`` decimals."""
    return abs(value - shown) <= 0.5 * 10**-decimals + 1e-9


def model(*pairs: str, h: str | None = None, theta: float | None = None) -> ll.Model:
    """``model("12", "34")`` is Rcapture's ``mX = ~ . + c1:c2 + c3:c4``."""
    return ll.Model(tuple((int(p[0]) - 1, int(p[1]) - 1) for p in pairs), h, theta)


ALL_PAIRS_4 = ("12", "13", "14", "23", "24", "34")

# Abeni et al. (1994), Rcapture data(HIV), lists c1..c4.
HIV = CaptureTable.from_counts(
    ("c1", "c2", "c3", "c4"),
    {
        "1111": 0, "1110": 3, "1101": 1, "1100": 33, "1011": 0, "1010": 20, "1001": 6,
        "1000": 403, "0111": 3, "0110": 35, "0101": 10, "0100": 545, "0011": 11,
        "0010": 621, "0001": 205,
    },
)  # fmt: skip

DIABETES = histpos(4, [58, 157, 18, 104, 46, 650, 12, 709, 14, 20, 7, 74, 8, 182, 10])
DARROCH_R3 = histpos(3, [72, 155, 7, 71, 13, 53, 43])
CORMACK_4 = histpos(4, [72, 5, 29, 53, 24, 3, 12, 14, 0, 0, 0, 1, 0, 0, 2])
CORMACK_3 = histpos(3, [72, 5, 29, 54, 24, 3, 14])
SEBER = CaptureTable.from_counts(("c1", "c2"), {"11": 167, "10": 781, "01": 254})

# f_i = 25, 22, 13, 5, 1, 2 and n_i = 16, 28, 20, 26, 23, 32, as descriptive(hare) prints.
HARE = CaptureTable.from_counts(
    ("c1", "c2", "c3", "c4", "c5", "c6"),
    {
        "111111": 2, "111110": 1, "101011": 1, "010111": 2, "011011": 1, "011101": 1,
        "010011": 2, "011001": 1, "000111": 2, "001110": 2, "011010": 1, "101100": 1,
        "100110": 1, "010101": 1, "001101": 1, "101001": 1, "011000": 1, "000011": 2,
        "010100": 3, "001001": 1, "010001": 2, "001100": 1, "100001": 4, "110000": 1,
        "000101": 2, "100010": 2, "101000": 1, "001010": 2, "100000": 1, "010000": 9,
        "001000": 1, "000100": 6, "000010": 2, "000001": 6,
    },
)  # fmt: skip


def test_hiv_counts_match_rcapture_descriptive():
    # Rcapture-Ex.Rout.save, descriptive(HIV, dfreq=TRUE)
    assert HIV.observed == 1896
    assert HIV.times_recorded().tolist() == [0, 1774, 115, 7, 0]
    assert list(HIV.list_totals().values()) == [466, 630, 693, 236]


@pytest.mark.parametrize(
    ("pairs", "abundance", "stderr", "deviance", "df", "aic", "ci"),
    [
        # closedpCI.t(HIV, dfreq=TRUE, mX= ~ . + c1:c2, mname="Mt interaction 1,2")
        (("12",), 12318.5, 1188.7, 7.614, 9, (86.65, 2), (12308, 10266, 14992.3)),
        # closedpCI.t(HIV, dfreq=TRUE, mX= ~ (c1+c2+c3+c4)^2, mname="Mt double interaction")
        (ALL_PAIRS_4, 23443.5, 9594.9, 3.037, 4, (92.073, 3), (23269.8, 10027.6, 50046.3)),
    ],
)
def test_hiv_closedpci(pairs, abundance, stderr, deviance, df, aic, ci):
    fit = ll.fit(HIV, model(*pairs))
    assert printed(fit.estimate, abundance, 1)
    assert printed(fit.se, stderr, 1)
    assert printed(fit.deviance, deviance, 3)
    assert fit.df == df
    assert printed(fit.aic, *aic)
    nmax, lower, upper, warnings = ll.profile_interval(fit)
    assert printed(nmax, ci[0], 0 if ci[0] == round(ci[0]) else 1)
    assert printed(lower, ci[1], 0 if ci[1] == round(ci[1]) else 1)
    assert printed(upper, ci[2], 1)
    assert warnings == []


def test_hiv_double_interaction_coefficients():
    # summary(cp.m1$fit)$coefficients in Rcapture-Ex.Rout.save
    expected = [
        (9.9780167, 0.4452368), (-3.9758604, 0.4438850), (-3.6785194, 0.4437085),
        (-3.5469201, 0.4440686), (-4.6582017, 0.4453831), (1.1545857, 0.4329136),
        (0.4810600, 0.4305346), (0.3339371, 0.5168483), (0.8266913, 0.4291786),
        (0.7884198, 0.4612659), (0.6951611, 0.4705025),
    ]  # fmt: skip
    fit = ll.fit(HIV, model(*ALL_PAIRS_4))
    assert fit.columns == [
        "intercept", "beta1", "beta2", "beta3", "beta4",
        "lambda1_2", "lambda1_3", "lambda1_4", "lambda2_3", "lambda2_4", "lambda3_4",
    ]  # fmt: skip
    for j, (coef, se) in enumerate(expected):
        assert printed(fit.glm.coef[j], coef, 7)
        assert printed(math.sqrt(fit.glm.variance(j)), se, 7)


def test_seber_two_occasions_closedp():
    # closedp.t(X, dfreq=TRUE) for Seber (1982) p.107, Rcapture-Ex.Rout.save
    m0 = ll.fit(SEBER, ll.Model(equal=True))
    mt = ll.fit(SEBER, ll.Model())
    for fit, row in (
        (m0, (2805.6, 164.1, 281.334, 1, 308.166)),
        (mt, (2389.9, 130.4, 0.0, 0, 28.831)),
    ):
        assert printed(fit.estimate, row[0], 1)
        assert printed(fit.se, row[1], 1)
        assert printed(fit.deviance, row[2], 3)
        assert fit.df == row[3]
        assert printed(fit.aic, row[4], 3)
    # the independence model of two lists is Lincoln-Petersen: n1 n2 / m
    assert mt.estimate == pytest.approx(948 * 421 / 167, rel=1e-9)


# closedp(hare), Rcapture-Ex.Rout.save: abundance, stderr, deviance, df, AIC
HARE_CLOSEDP = {
    "M0": (75.4, 3.5, 68.516, 61, 154.707),
    "[1,2,3,4,5,6]": (75.1, 3.4, 58.314, 56, 154.505),  # Mt
    "Mh Chao (LB)": (79.8, 6.4, 58.023, 58, 150.214),
    "Mh Poisson2": (81.5, 5.7, 59.107, 60, 147.298),
    "Mh Darroch": (90.4, 11.6, 61.600, 60, 149.791),
    "Mh Gamma3.5": (100.6, 21.7, 62.771, 60, 150.961),
    "[1,2,3,4,5,6] Chao (LB)": (79.6, 6.3, 47.115, 52, 151.305),  # Mth Chao (LB)
    "[1,2,3,4,5,6] Poisson2": (81.1, 5.6, 48.137, 55, 146.327),
    "[1,2,3,4,5,6] Darroch": (90.5, 11.7, 50.706, 55, 148.896),
    "[1,2,3,4,5,6] Gamma3.5": (101.6, 22.4, 51.956, 55, 150.147),
}


def test_hare_matches_rcapture_descriptive():
    assert HARE.observed == 68
    assert HARE.times_recorded().tolist() == [0, 25, 22, 13, 5, 1, 2]
    assert list(HARE.list_totals().values()) == [16, 28, 20, 26, 23, 32]


def test_hare_closedp_table():
    fits = {fit.name: fit for fit in ll.closedp(HARE)}
    assert set(fits) == set(HARE_CLOSEDP)
    deviance_shift = fits["M0"].deviance - HARE_CLOSEDP["M0"][2]
    aic_shift = fits["M0"].aic - HARE_CLOSEDP["M0"][4]
    for name, (abundance, stderr, deviance, df, aic) in HARE_CLOSEDP.items():
        fit = fits[name]
        assert printed(fit.estimate, abundance, 1), name
        assert printed(fit.se, stderr, 1), name
        assert fit.df == df, name
        assert abs(fit.deviance - deviance_shift - deviance) < 0.0015, name
        assert abs(fit.aic - aic_shift - aic) < 0.0015, name
    # Mh Chao: Rcapture sets the negative eta to zero (neg = TRUE)
    assert fits["Mh Chao (LB)"].removed == ["eta5"]


def test_hare_profile_interval_mth_poisson2():
    # closedpCI.t(hare, m="Mth", h="Poisson", h.control=list(theta=2)): 80.1, 71.8, 93.8
    fit = ll.fit(HARE, ll.Model(heterogeneity="poisson"))
    nmax, lower, upper, _ = ll.profile_interval(fit)
    assert (printed(nmax, 80.1, 1), printed(lower, 71.8, 1), printed(upper, 93.8, 1)) == (True,) * 3


I_SET = ("13", "24", "34")  # "chosen interaction set" of Rivest (2011)


@pytest.mark.parametrize(
    ("pairs", "h", "theta", "abundance", "stderr", "deviance", "df"),
    [
        (tuple(p for p in ALL_PAIRS_4 if p != "14"), None, None, 2771, 145, 7.62, 5),  # Bruno
        (I_SET, None, None, 2472, 53, 21.97, 7),
        (I_SET, "chao", None, 2588, 75, 3.13, 6),  # h = "LB"
        (I_SET, "poisson", None, 2573, 76, 12.88, 6),
        (I_SET, "darroch", None, 2752, 133, 8.32, 6),
        (I_SET, "gamma", None, 2964, 219, 6.74, 6),
        (I_SET, "gamma", 0.5, 4238, 952, 5.49, 6),
    ],
)
def test_diabetes_rivest_2011(pairs, h, theta, abundance, stderr, deviance, df):
    # testPapersResults.R: "Rcapture reproduces Rivest (2011) results for the diabetes data"
    fit = ll.fit(DIABETES, model(*pairs, h=h, theta=theta))
    assert round(fit.estimate) == abundance
    assert round(fit.se) == stderr
    assert round(fit.deviance, 2) == deviance
    assert fit.df == df


def test_darroch_r3_rivest_2011():
    # testPapersResults.R: Rivest (2011) for the R3 data of Darroch et al. (1993)
    saturated = ll.fit(DARROCH_R3, model("12", "13", "23"))
    assert (round(saturated.estimate), round(saturated.se)) == (1240, 451)
    inter2 = ll.fit(DARROCH_R3, model("12", "23"))
    assert (round(inter2.estimate), round(inter2.se), round(inter2.deviance, 1), inter2.df) == (
        850, 186, 3.8, 1,
    )  # fmt: skip
    lb = ll.fit(DARROCH_R3, model("12", h="chao"))
    assert (round(lb.estimate), round(lb.se), round(lb.deviance, 2), lb.df) == (681, 78, 3.45, 1)
    darroch = ll.fit(DARROCH_R3, model("12", h="darroch"))
    assert (round(darroch.estimate, 1), round(darroch.se, 1)) == (1181.8, 404.2)


@pytest.mark.parametrize(
    ("pairs", "abundance", "deviance", "df"),
    [
        ((), 215, 87.1, 10),
        (("34",), 215, None, 9),
        (("34", "13"), None, 7.7, 8),
        (("12", "13", "34"), 218, 2.6, 7),
    ],
)
def test_cormack_chang_smith_table_3a(pairs, abundance, deviance, df):
    fit = ll.fit(CORMACK_4, model(*pairs))
    if abundance is not None:
        assert round(fit.estimate) == abundance
    if deviance is not None:
        assert round(fit.deviance, 1) == deviance
    assert fit.df == df


@pytest.mark.parametrize(
    ("pairs", "deviance", "df"), [(ALL_PAIRS_4, 1.3, 4), (("12", "13", "14", "34"), None, 6)]
)
def test_cormack_table_3a_models_that_do_not_identify_n(pairs, deviance, df):
    # Rcapture prints an abundance over 1,000,000 for these: the MLE does not exist and N is
    # not determined. We say so instead of printing a number.
    fit = ll.fit(CORMACK_4, model(*pairs))
    assert not fit.identified
    assert fit.df == df
    if deviance is not None:
        assert round(fit.deviance, 1) == deviance
    assert any("do not determine" in w for w in fit.warnings)
    assert any("no finite maximum likelihood estimate" in w for w in fit.warnings)


@pytest.mark.parametrize(
    ("pairs", "abundance", "deviance", "df", "lower", "upper"),
    [
        ((), 209, 75.1, 3, 203, 217),
        (("23",), None, 1.2, 2, 210, None),
        (("12", "23"), None, 0.6, 1, None, None),
        (("13", "23"), 233, None, 1, 204, None),
        (("12", "13", "23"), None, 0.0, 0, None, None),
    ],
)
def test_cormack_chang_smith_table_3b(pairs, abundance, deviance, df, lower, upper):
    fit = ll.fit(CORMACK_3, model(*pairs))
    if abundance is not None:
        assert round(fit.estimate) == abundance
    if deviance is not None:
        assert round(fit.deviance, 1) == deviance
    assert fit.df == df
    _, lo, hi, _ = ll.profile_interval(fit)
    if lower is not None:
        assert round(lo) == lower
    if upper is not None:
        assert round(hi) == upper


# ---- oracle: statsmodels' Poisson GLM -------------------------------------------------------


def random_table(rng: np.random.Generator, k: int, size: int = 2000) -> CaptureTable:
    rates = rng.uniform(0.2, 0.6, size=k)
    frailty = rng.gamma(2.0, 0.5, size=size)
    caught = rng.uniform(size=(size, k)) < np.clip(rates[None, :] * frailty[:, None], 0, 1)
    caught = caught[caught.any(axis=1)].astype(int)
    patterns, counts = np.unique(caught, axis=0, return_counts=True)
    return CaptureTable(tuple("ABCDE"[:k]), patterns, counts)


@pytest.mark.parametrize("k", [3, 4, 5])
def test_fits_agree_with_statsmodels(k):
    rng = np.random.default_rng(k)
    table = random_table(rng, k)
    pairs = list(itertools.combinations(range(k), 2))
    for h in (None, "poisson", "darroch", "gamma"):
        chosen = [p for p in pairs if rng.uniform() < 0.4]
        if h == "darroch" and len(chosen) == len(pairs):
            chosen = chosen[:-1]
        m = ll.Model(tuple(chosen), h)
        fit = ll.fit(table, m)
        x, _ = ll.design(k, m)
        _, y = table.full()
        oracle = sm.GLM(y, x, family=sm.families.Poisson()).fit(tol=1e-12)
        assert fit.deviance == pytest.approx(oracle.deviance, abs=1e-6)
        assert fit.aic == pytest.approx(oracle.aic, abs=1e-6)
        assert fit.glm.coef == pytest.approx(oracle.params, rel=1e-5, abs=1e-7)
        assert fit.estimate == pytest.approx(table.observed + math.exp(oracle.params[0]), rel=1e-6)
        assert fit.glm.variance(0) == pytest.approx(oracle.bse[0] ** 2, rel=1e-5)
        assert fit.bic == pytest.approx(oracle.aic + (math.log(table.observed) - 2) * x.shape[1])


def test_heterogeneity_columns_are_rcapture_definitions():
    x, names = ll.design(4, ll.Model(heterogeneity="chao"))
    nbcap = all_patterns(4).sum(axis=1)
    assert names[-2:] == ["eta3", "eta4"]
    assert x[:, -2].tolist() == np.maximum(nbcap - 2, 0).tolist()
    assert x[:, -1].tolist() == np.maximum(nbcap - 3, 0).tolist()
    assert (
        ll.design(4, ll.Model(heterogeneity="darroch"))[0][:, -1].tolist()
        == (nbcap**2 / 2).tolist()
    )
    assert (
        ll.design(4, ll.Model(heterogeneity="poisson"))[0][:, -1].tolist()
        == (2.0**nbcap - 1).tolist()
    )
    gamma = ll.design(4, ll.Model(heterogeneity="gamma"))[0][:, -1]
    assert gamma == pytest.approx(-np.log(3.5 + nbcap) + np.log(3.5))


# ---- bad models and empty cells --------------------------------------------------------------


def test_more_parameters_than_cells_is_refused():
    with pytest.raises(ll.LoglinearError, match="4 parameters but the table has only 3 cells"):
        ll.fit(SEBER, model("12"))


def test_darroch_with_every_pair_is_aliased_and_excluded():
    # k**2/2 = (sum of c_i)/2 + sum of c_i c_j: a combination of the main effects and pairs
    fit = ll.fit(DIABETES, model(*ALL_PAIRS_4, h="darroch"))
    assert any("tau are combinations of the others" in w for w in fit.warnings)
    selection = ll.select(DIABETES, (None, "darroch"))
    name = "[12,13,14,23,24,34] Darroch"
    assert name not in {f.name for f in selection.fits}
    assert (name, "aliased columns (same as a smaller model)") in selection.excluded


def test_empty_cells_with_a_determined_n_match_the_fit_without_them():
    # nobody is on lists 1 and 2 together: lambda_12 runs to minus infinity, N stays finite
    table = CaptureTable.from_counts("ABC", {"100": 60, "010": 80, "001": 70, "101": 15, "011": 20})
    fit = ll.fit(table, model("12"))
    assert fit.identified
    assert any("110, 111 tend to zero" in w for w in fit.warnings)
    _, y = table.full()
    x, _ = ll.design(3, model("12"))
    keep = ~np.isin(np.arange(7), [5, 6])  # patterns 110 and 111
    oracle = sm.GLM(y[keep], x[keep][:, [0, 1, 2, 3]], family=sm.families.Poisson()).fit()
    assert fit.estimate == pytest.approx(table.observed + math.exp(oracle.params[0]), rel=1e-6)


def test_parse_terms():
    lists = ("families", "ngo", "press")
    assert ll.parse_terms("", lists) == ()
    assert ll.parse_terms("press:families, ngo:families,families:ngo", lists) == ((0, 1), (0, 2))
    with pytest.raises(ll.LoglinearError, match="no list 'court'"):
        ll.parse_terms("families:court", lists)
    with pytest.raises(ll.LoglinearError, match="only two-way"):
        ll.parse_terms("families:ngo:press", lists)
    with pytest.raises(ll.LoglinearError, match="two different lists"):
        ll.parse_terms("ngo:ngo", lists)


# ---- selection, averaging, intervals ----------------------------------------------------------


def test_selection_enumerates_every_hierarchical_model():
    selection = ll.select(DIABETES, (None,))
    assert len(selection.fits) + len(selection.excluded) == 64
    best = selection.best("AIC")
    assert all(best.aic <= f.aic for f in selection.fits)
    assert selection.best("BIC").bic == min(f.bic for f in selection.fits)


def test_model_average_uses_normalised_bic_weights():
    selection = ll.select(DARROCH_R3, (None, "poisson"))
    bic = np.array([f.bic for f in selection.fits])
    weights = np.exp(-(bic - bic.min()) / 2)
    weights /= weights.sum()
    assert selection.weights("BIC") == pytest.approx(weights)
    averaged = ll.average(selection)
    assert averaged.estimate == pytest.approx(
        weights @ np.array([f.estimate for f in selection.fits])
    )
    assert averaged.interval[0] < averaged.estimate < averaged.interval[1]
    assert averaged.diagnostics["criterion"] == "BIC"


def test_six_lists_use_a_stepwise_search():
    rng = np.random.default_rng(6)
    rates = rng.uniform(0.2, 0.5, size=6)
    caught = rng.uniform(size=(3000, 6)) < rates
    caught = caught[caught.any(axis=1)].astype(int)
    patterns, counts = np.unique(caught, axis=0, return_counts=True)
    table = CaptureTable(tuple("ABCDEF"), patterns, counts)
    selection = ll.select(table, (None,))
    assert "stepwise" in selection.search
    assert 16 <= len(selection.fits) < 2**15
    # independent lists: the truth (3,000) is inside the chosen model's interval
    chosen = ll.estimate_selected(table, (None,))[0]
    assert chosen.interval[0] < 3000 < chosen.interval[1]


def test_profile_bounds_are_where_the_likelihood_drops_by_the_chi_square_cut():
    fit = ll.fit(DIABETES, model(*I_SET))
    nmax, lower, upper, _ = ll.profile_interval(fit)
    assert lower < nmax < upper
    assert lower < fit.estimate < upper


def test_estimate_json_has_the_documented_keys():
    chosen, averaged = ll.estimate_selected(DIABETES)
    line = chosen.to_json()
    assert set(line) == {"method", "model", "observed", "estimate", "interval", "diagnostics"}
    for key in ("deviance", "df", "AIC", "BIC", "SE", "version", "warnings"):
        assert key in line["diagnostics"]
    assert line["diagnostics"]["version"] == ll.VERSION
    assert averaged.model.startswith("BMA over")


def test_bias_correction_matches_rcapture_closedp_bc():
    # closedp.bc(X, dfreq=TRUE, m="M0") and m="Mt" for Seber (1982) p.107, Rcapture-Ex.Rout.save
    m0 = ll.bias_corrected(SEBER, ll.Model(equal=True))
    assert (round(m0[0], 1), round(m0[1], 1)) == (2794.5, 162.8)
    mt = ll.bias_corrected(SEBER, ll.Model())
    assert (round(mt[0], 1), round(mt[1], 1)) == (2382.8, 129.1)


def test_bias_correction_is_small_for_large_samples():
    for m in (
        ll.Model(),
        ll.Model(heterogeneity="darroch"),
        ll.Model(heterogeneity="darroch", equal=True),
    ):
        corrected, _ = ll.bias_corrected(DIABETES, m)
        assert abs(corrected - ll.fit(DIABETES, m).estimate) < 0.05 * DIABETES.observed


def test_two_lists_select_the_independence_model_and_say_what_it_assumes():
    chosen, averaged = ll.estimate_selected(SEBER)
    assert chosen.model == "[1,2]"
    assert chosen.estimate == pytest.approx(948 * 421 / 167)
    assert any("independence cannot be checked" in w for w in chosen.diagnostics["warnings"])
    assert chosen.diagnostics["selection"]["heterogeneity_considered"] == ["none"]
    assert averaged.model == "BMA over 1 model (BIC weights)"
