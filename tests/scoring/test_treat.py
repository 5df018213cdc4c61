"""Treat: COINr's Winsorisation rules on hand-made columns, log/Box-Cox, caps and transforms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scoring_helpers import tiny_framework

from innolab.errors import ComputationError, ParameterError, UnknownMethodError
from innolab.scoring.treat import (
    boxcox,
    check_skew_kurt,
    kurtosis,
    log,
    log1p,
    log_ct,
    skewness,
    treat,
    treatment_points,
    winsorise,
)

NA = np.nan
# 1..20 then 400, 800, 800: two tied maxima
TIED = np.array([*range(1, 21), 400, 800, 800], dtype=float)
# 1..20 then 100, 200, 400, 800: needs two steps on the high side
STEPS = np.array([*range(1, 21), 100, 200, 400, 800], dtype=float)


def test_skew_and_kurtosis_by_hand():
    # x = 1, 2, 3, 10: mean 4, S2 = 50, S3 = 180, S4 = 1394, n = 4
    # skew = sqrt(4)*180/50^1.5 * sqrt(12)/2 ; r = 4*1394/50^2 = 2.2304 ;
    # kurt = ((5)(r - 3) + 6) * 3 / (2 * 1) = 3.228
    x = np.array([1.0, 2.0, NA, 3.0, 10.0])
    assert skewness(x) == pytest.approx(2 * 180 / 50**1.5 * np.sqrt(12) / 2, rel=1e-14)
    assert kurtosis(x) == pytest.approx(3.228, rel=1e-14)
    assert np.isnan(skewness(np.array([1.0, 2.0]))) and np.isnan(kurtosis(np.array([1.0, 2, 3])))
    # matches scipy's bias-corrected estimators
    v = STEPS
    assert skewness(v) == pytest.approx(stats.skew(v, bias=False), rel=1e-12)
    assert kurtosis(v) == pytest.approx(stats.kurtosis(v, bias=False), rel=1e-12)


def test_check_fails_only_when_both_at_or_beyond_threshold():
    x = np.array([1.0, 2.0, 3.0, 10.0])
    s, k = skewness(x), kurtosis(x)
    assert check_skew_kurt(x, skew=s, kurtosis_=k)[0] is False  # boundaries fail (strict <)
    assert check_skew_kurt(x, skew=s + 1e-9, kurtosis_=k)[0] is True
    assert check_skew_kurt(x, skew=s, kurtosis_=k + 1e-9)[0] is True
    assert check_skew_kurt(-x, skew=s, kurtosis_=k)[0] is False  # |skew| is tested


def test_winsorise_single_point():
    x = np.array([1.0, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 50.0])
    y, info = winsorise(x)
    assert y.tolist() == [1.0, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 4.5]
    assert info["nwin"] == 1 and info["pass0"] is False and info["pass1"] is True
    assert info["points"].tolist() == [""] * 7 + ["winhi"]


def test_winsorise_steps_and_tied_extremes():
    y, info = winsorise(STEPS)
    assert y.tolist()[-4:] == [100.0, 200.0, 200.0, 200.0] and info["nwin"] == 2
    assert info["points"].tolist()[-3:] == ["", "winhi", "winhi"]
    y, info = winsorise(TIED)  # step 1: both 800s -> 400; step 2: three 400s -> 20
    assert y.tolist()[-4:] == [20.0, 20.0, 20.0, 20.0] and info["nwin"] == 3
    assert info["points"].tolist()[-4:] == ["", "winhi", "winhi", "winhi"]


def test_winsorise_low_side_by_current_skew():
    y, info = winsorise(-STEPS)
    assert y.tolist()[-4:] == [-100.0, -200.0, -200.0, -200.0]
    assert info["points"].tolist()[-3:] == ["", "winlo", "winlo"]


def test_log_fallback_on_original_column_and_points():
    # max_points 1: the tied pair counts 2 (overshoot), still failing -> log_CT of the original
    y, info = winsorise(TIED, max_points=1)
    assert info["nwin"] == 2 and info["pass1"] is False and info["treatment"] == "log_ct"
    expected = np.log(TIED - 1 + 0.01 * 799)
    assert np.allclose(y, expected, rtol=0, atol=1e-15)
    assert info["points"].tolist()[-4:] == ["+log_CT", "+log_CT", "winhi+log_CT", "winhi+log_CT"]
    assert {"pass2", "skew2", "kurt2"} <= set(info)
    # no fallback: the (still failing) Winsorised column is kept
    y, info = winsorise(TIED, max_points=1, fallback=None)
    assert y.tolist()[-3:] == [400.0, 400.0, 400.0] and info["treatment"] == "winsorise"


def test_log_family_literal_and_domain_errors():
    y, _ = log_ct(np.array([0.0, 1.0, NA, 100.0]))
    assert np.allclose(y, [np.log(1.0), np.log(2.0), NA, np.log(101.0)], equal_nan=True)
    assert log(np.array([1.0, np.e]))[0].tolist() == [0.0, 1.0]
    assert log1p(np.array([0.0]))[0].tolist() == [0.0]
    with pytest.raises(ComputationError, match="> 0"):
        log(np.array([1.0, 0.0]))
    with pytest.raises(ComputationError, match=">= 0"):
        log1p(np.array([1.0, -0.5]))
    with pytest.raises(ComputationError, match="constant"):
        log_ct(np.array([2.0, 2.0]))


def test_boxcox_given_and_fitted_lambda_and_shift():
    y, info = boxcox(np.array([1.0, 4.0, 9.0, NA]), lmbda=0.5)
    assert y[:3].tolist() == [0.0, 2.0, 4.0] and np.isnan(y[3])
    y, info = boxcox(np.array([-1.0, 0.0, 3.0]), lmbda=1)
    assert info["shift"] == 2.0 and np.allclose(y, [0.0, 1.0, 4.0], rtol=0, atol=1e-15)
    x = np.array([1.0, 2.0, 3.0, 10.0, 30.0])
    y, info = boxcox(x)
    ref, lam = stats.boxcox(x)
    assert info["lambda"] == lam and np.allclose(y, ref)


def test_treat_verb_log_errors_name_indicator_and_units():
    df = pd.DataFrame({"a": [1.0, -2.0, 3.0]}, index=pd.Index(["X", "Y", "Z"], name="iso3"))
    with pytest.raises(ComputationError, match=r"a: log needs values > 0 \(units Y\)"):
        treat(df, "log")


def test_treat_verb_audit_and_details():
    df = pd.DataFrame({"w": STEPS, "n": np.arange(24.0), "l": np.append(TIED, NA)})
    r = treat(df, "winsorise", overrides={"l": {"max_points": 1}})
    assert r.data["n"].tolist() == list(np.arange(24.0))
    aud = r.audit
    assert aud[aud["code"] == "w"][["iso3", "action", "before", "after"]].values.tolist() == [
        [22, "winsorised_high", 400.0, 200.0],
        [23, "winsorised_high", 800.0, 200.0],
    ]
    assert (aud[aud["code"] == "l"]["action"] == "log_ct").sum() == 23
    det = r.details.set_index("code")
    assert det.loc["w", "treatment"] == "winsorise" and det.loc["w", "nwin"] == 2
    assert det.loc["n", "treatment"] == "none" and pd.isna(det.loc["n", "nwin"])
    assert det.loc["l", "treatment"] == "log_ct" and det.loc["l", "pass2"] in (True, False)
    pts = treatment_points(r)
    assert pts["l"].tolist()[-3:] == ["winhi+log_CT", "winhi+log_CT", "+log_CT"]  # NA: +log_CT
    assert (pts["n"] == "").all()


def test_framework_cap_and_transform_then_method():
    fw = tiny_framework(a={"cap": {"upper": 3}}, b={"transform": "log1p"})
    df = pd.DataFrame({"a": [1.0, 5.0, NA], "b": [0.0, np.e - 1, 3.0], "c": [1.0, 2.0, 3.0]})
    r = treat(df, "none", framework=fw)
    assert r.data["a"].fillna(-1).tolist() == [1.0, 3.0, -1]
    assert np.allclose(r.data["b"], [0.0, 1.0, np.log(4.0)])
    assert r.audit[["code", "action"]].values.tolist() == [
        ["a", "capped"],
        ["b", "transformed"],
        ["b", "transformed"],
        ["b", "transformed"],
    ]
    det = r.details.set_index("code")
    assert det.loc["a", "cap"] == "None..3.0" and det.loc["b", "transform"] == "log1p"
    # overrides replace the framework's rules
    r = treat(df, "none", framework=fw, overrides={"a": {"cap": (2, 4)}, "b": {"transform": None}})
    assert r.data["a"].fillna(-1).tolist() == [2.0, 4.0, -1] and r.data["b"].iloc[2] == 3.0


def test_treat_errors():
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0]})
    with pytest.raises(UnknownMethodError, match="winsorise"):
        treat(df, "winsorize")
    with pytest.raises(ParameterError, match="max_points"):
        treat(df, "winsorise", params={"max_points": -1})
    with pytest.raises(ParameterError, match="cap"):
        treat(df, "none", overrides={"a": {"cap": (5, 1)}})
    with pytest.raises(ParameterError, match="transform"):
        treat(df, "none", overrides={"a": {"transform": "sqrt"}})
    with pytest.raises(ParameterError):
        treat(df, "winsorise", params={"winmax": 3})
