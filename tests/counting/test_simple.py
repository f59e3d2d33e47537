"""Chapman and Chao's lower bound: hand-computable cases and Rcapture's printed results."""

from __future__ import annotations

import math

import pytest

from dadkhah.counting import loglinear as ll
from dadkhah.counting import simple
from dadkhah.counting.table import CaptureTable

# Seber (1982) p.107, as in Rcapture's examples: 167 on both lists, 781 on the first only,
# 254 on the second only.
SEBER = CaptureTable.from_counts(("first", "second"), {"11": 167, "10": 781, "01": 254})


def test_chapman_matches_rcapture_closedp_bc():
    # closedp.bc(X, dfreq=TRUE, m="Mt") in Rcapture-Ex.Rout.save: 2382.8 (s.e. 129.1)
    estimate = simple.chapman(SEBER)
    assert round(estimate.estimate, 1) == 2382.8
    assert round(estimate.diagnostics["SE"], 1) == 129.1
    # by hand: (n1 + 1)(n2 + 1) / (m + 1) - 1 with n1 = 948, n2 = 421, m = 167
    assert estimate.estimate == pytest.approx(949 * 422 / 168 - 1)
    assert estimate.diagnostics["lincoln_petersen"] == pytest.approx(948 * 421 / 167)
    assert estimate.interval[0] < estimate.estimate < estimate.interval[1]
    assert estimate.diagnostics["warnings"] == []


def test_lincoln_petersen_is_the_two_list_independence_model():
    fit = ll.fit(SEBER, ll.Model())
    assert fit.estimate == pytest.approx(simple.chapman(SEBER).diagnostics["lincoln_petersen"])


def test_chapman_warns_about_little_or_no_overlap():
    none = simple.chapman(CaptureTable.from_counts("AB", {"10": 50, "01": 40}))
    assert none.estimate == pytest.approx(51 * 41 - 1)
    assert "share nobody" in none.diagnostics["warnings"][0]
    assert none.to_json()["diagnostics"]["lincoln_petersen"] is None  # infinite
    few = simple.chapman(CaptureTable.from_counts("AB", {"10": 50, "01": 40, "11": 3}))
    assert "only 3 people are on both lists" in few.diagnostics["warnings"][0]


def test_chapman_needs_two_lists():
    with pytest.raises(simple.SimpleEstimateError, match="exactly 2 lists, this table has 3"):
        simple.chapman(CaptureTable.from_counts("ABC", {"100": 5, "011": 2}))


def test_chao_two_lists_is_rcapture_m0():
    # with two lists, M0's estimate is n + f1^2 / (4 f2): closedp.t prints M0 2805.6 (164.1)
    estimate = simple.chao(SEBER)
    assert round(estimate.estimate, 1) == 2805.6
    assert round(estimate.diagnostics["SE"], 1) == 164.1
    f1, f2 = 781 + 254, 167
    assert estimate.estimate == pytest.approx(1202 + 0.5 * f1**2 / (2 * f2))


def test_chao_is_rcapture_mh_chao_lower_bound():
    # snowshoe hares: f1 = 25, f2 = 22 over 6 occasions; closedp(hare) prints Mh Chao (LB)
    # 79.8 (s.e. 6.4). Only f1, f2 and n matter, so a table with those is enough.
    table = CaptureTable.from_counts(
        "ABCDEF", {"100000": 25, "110000": 22, "111000": 13, "111100": 5, "111110": 1, "111111": 2}
    )
    estimate = simple.chao(table)
    assert round(estimate.estimate, 1) == 79.8
    assert round(estimate.diagnostics["SE"], 1) == 6.4
    assert estimate.estimate == pytest.approx(68 + (5 / 6) * 25**2 / (2 * 22))


def test_chao_equals_the_loglinear_mh_chao_model_when_no_eta_is_dropped():
    # Darroch et al. (1993) R3 data from Rcapture's testPapersResults.R
    table = CaptureTable.from_counts(
        "ABC", {"111": 72, "110": 155, "101": 7, "100": 71, "011": 13, "010": 53, "001": 43}
    )
    fit = ll.fit(table, ll.Model(heterogeneity="chao", equal=True))
    assert fit.removed == []
    assert simple.chao(table).estimate == pytest.approx(fit.estimate, rel=1e-8)


def test_chao_without_pairs_uses_the_bias_corrected_form():
    table = CaptureTable.from_counts("ABC", {"100": 10, "010": 6, "001": 4, "111": 3})
    estimate = simple.chao(table)
    assert estimate.estimate == pytest.approx(23 + (2 / 3) * 20 * 19 / 2)
    assert "f2 = 0" in estimate.diagnostics["warnings"][0]
    assert math.isfinite(estimate.interval[1])


def test_chao_without_singletons_is_the_number_seen():
    estimate = simple.chao(CaptureTable.from_counts("ABC", {"110": 10, "111": 3}))
    assert estimate.estimate == 13
    assert estimate.interval == (13, 13)
    assert any("f1 = 0" in w for w in estimate.diagnostics["warnings"])


def test_lognormal_interval_by_hand():
    lo, hi = simple.lognormal_interval(100, 150, 10)
    c = math.exp(1.959963984540054 * math.sqrt(math.log(1 + (10 / 50) ** 2)))
    assert (lo, hi) == pytest.approx((100 + 50 / c, 100 + 50 * c))
