"""Scale-free methods give the same answer at any magnitude (issue 6, numerical robustness).

z-scores, skewness and kurtosis do not depend on the unit of a column, and min-max style
scores do not depend on where the values sit on the float line. Near the float limits the plain
formulas fail (squared deviations of 1e-300-scale values are exactly 0; of 1e300-scale values,
inf; the range of -1e308 .. 1e308 is inf): each case here has a literal expected value, and
ordinary columns must still take the plain formulas bit for bit.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from innolab.errors import ComputationError
from innolab.scoring.normalise import fit_bounds, normalise
from innolab.scoring.treat import check_skew_kurt, kurtosis, log_ct, skewness, treat, winsorise

LIMIT = 1.7e308  # close to the largest float, 1.797e308
SCALES = [1e-300, 1e-200, 1e-120, 1e120, 1e200, 1e300]


def _norm(values, method="minmax", direction=1, **kw):
    df = pd.DataFrame({"a": np.asarray(values, dtype=float)})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow / invalid-value warning on the way
        return normalise(df, method, directions={"a": direction}, **kw).data["a"].to_numpy()


# --- ranges beyond the float range (minmax, distance_to_max, distance_to_target, goalposts) ---
WIDE = [-1.5e308, 0.0, 1.5e308, 7.5e307]


def test_minmax_range_wider_than_the_float_range():
    assert _norm(WIDE).tolist() == [0.0, 50.0, 100.0, 75.0]
    assert _norm(WIDE, params={"lower": 1, "upper": 11}).tolist() == [1.0, 6.0, 11.0, 8.5]
    assert _norm(WIDE, direction=-1).tolist() == [100.0, 50.0, 0.0, 25.0]
    assert _norm([-LIMIT, LIMIT]).tolist() == [0.0, 100.0]


def test_distance_to_max_range_wider_than_the_float_range():
    assert _norm(WIDE, "distance_to_max").tolist() == [0.0, 0.5, 1.0, 0.75]


def test_distance_to_target_span_wider_than_the_float_range():
    out = _norm(WIDE, "distance_to_target", targets={"a": 1.5e308})
    assert out.tolist() == [0.0, 0.5, 1.0, 0.75]
    # x - min overflows for values beyond the target: (1.5e308 + 1.5e308) / 1.5e308 = 2
    beyond = _norm(WIDE, "distance_to_target", targets={"a": 0.0})
    assert beyond.tolist() == [0.0, 1.0, 2.0, 1.5]
    capped = _norm(WIDE, "distance_to_target", targets={"a": 0.0}, params={"cap": True})
    assert capped.tolist() == [0.0, 1.0, 1.0, 1.0]


def test_goalposts_wider_than_the_float_range():
    out = _norm(WIDE, "goalposts", goalposts={"a": (-1.6e308, 1.6e308)})
    # (x + 1.6e308) / 3.2e308 * 100
    assert out.tolist() == pytest.approx([3.125, 50.0, 96.875, 73.4375], rel=1e-15)


def test_wide_ranges_fitted_once_apply_to_other_data():
    ref = pd.DataFrame({"a": [-1.5e308, 1.5e308]})
    b = fit_bounds(ref, "minmax", directions={"a": 1})
    new = pd.DataFrame({"a": [0.0, -7.5e307, 1.5e308]})
    out = normalise(new, bounds=b, directions={"a": 1}).data["a"].tolist()
    assert out == [50.0, 25.0, 100.0]
    # a narrow reference range, new values far beyond it: x - min overflows, the score does not
    b = fit_bounds(pd.DataFrame({"a": [-1e308, 0.0]}), "minmax", directions={"a": 1})
    out = normalise(pd.DataFrame({"a": [1.5e308]}), bounds=b, directions={"a": 1}).data["a"]
    assert out.tolist() == [250.0]


# --- z-scores ---------------------------------------------------------------------------------


@pytest.mark.parametrize("scale", SCALES)
def test_zscore_at_any_magnitude(scale):
    z = _norm(np.array([1.0, 2.0, 3.0]) * scale, "zscore")
    assert z.tolist() == pytest.approx([-1.0, 0.0, 1.0], abs=1e-14)
    z = _norm(np.array([2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]) * scale, "zscore")
    # mean 5, sample sd sqrt(32 / 7)
    want = (np.array([2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]) - 5) / math.sqrt(32 / 7)
    assert z.tolist() == pytest.approx(want.tolist(), rel=1e-13, abs=1e-14)


def test_zscore_at_the_float_limit_and_below_the_normal_range():
    assert _norm([-LIMIT, 0.0, LIMIT], "zscore").tolist() == pytest.approx([-1.0, 0.0, 1.0])
    # subnormal values (below 2.2e-308) still standardise (to their coarser precision)
    z = _norm([1e-310, 2e-310, 3e-310], "zscore")
    assert z.tolist() == pytest.approx([-1.0, 0.0, 1.0], abs=1e-9)


def test_zscore_target_mean_and_sd_and_direction_at_extremes():
    z = _norm([1e-300, 2e-300, 3e-300], "zscore", direction=-1, params={"mean": 10, "sd": 2})
    assert z.tolist() == pytest.approx([12.0, 10.0, 8.0], abs=1e-13)


def test_zscore_extreme_bounds_are_recorded_and_reused():
    ref = pd.DataFrame({"a": [1e300, 2e300, 3e300]})
    res = normalise(ref, "zscore", directions={"a": 1})
    row = res.details.iloc[0]
    assert row["scale"] == 3e300 and row["n"] == 3
    assert row["mean"] == pytest.approx(2e300) and row["sd"] == pytest.approx(1e300)
    assert row["scaled_sd"] == pytest.approx(1 / 3)
    new = pd.DataFrame({"a": [4e300, 0.0, 2.5e300]})
    out = normalise(new, bounds=res.extras["bounds"], directions={"a": 1}).data["a"]
    assert out.tolist() == pytest.approx([2.0, -2.0, 0.5], abs=1e-14)


def test_zscore_sd_beyond_the_float_range_reads_inf_but_scores_are_finite():
    res = normalise(pd.DataFrame({"a": [-LIMIT, LIMIT]}), "zscore", directions={"a": 1})
    assert res.details.loc[0, "sd"] == np.inf  # sqrt(2) * 1.7e308 is beyond the float range
    z = res.data["a"].to_numpy()
    assert z.tolist() == pytest.approx([-math.sqrt(0.5), math.sqrt(0.5)], rel=1e-15)


def test_zscore_constant_tiny_column_is_still_degenerate():
    assert np.isnan(_norm([1e-300, 1e-300, 1e-300], "zscore")).all()
    with pytest.raises(ComputationError, match="a: zscore is undefined"):
        _norm([1e300, 1e300], "zscore", constant="error")


ORDINARY = st.lists(
    st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=False), min_size=2, max_size=12
)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(ORDINARY, st.sampled_from([1e-90, 1e-3, 1.0, 1e5, 1e90]))
def test_ordinary_columns_take_the_plain_formulas_bit_for_bit(values, scale):
    x = np.array(values) * scale
    assume(1e-100 <= np.abs(x).max() <= 1e100)  # ordinary magnitudes (SAFE_MAGNITUDE)
    v = x.copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (v - v.mean()) / v.std(ddof=1)
        mm = (v - v.min()) / (v.max() - v.min()) * 100.0 + 0.0
    got_z = _norm(x, "zscore") if v.std(ddof=1) > 0 else None
    if got_z is not None:
        assert np.array_equal(got_z, z)
        details = normalise(pd.DataFrame({"a": x}), "zscore", directions={"a": 1}).details
        assert "scale" not in details.columns
    if v.max() > v.min():
        assert np.array_equal(_norm(x), mm)


# --- skewness, kurtosis, Winsorisation, log_ct ----------------------------------------------

SKEWED = np.array([1.0, 2.0, 3.0, 10.0])  # skew 1.7636326148, kurtosis 3.228 (docstrings)


@pytest.mark.parametrize("scale", [*SCALES, 1.7e307 / 10, -1e300])
def test_skewness_and_kurtosis_are_scale_free(scale):
    x = SKEWED * scale
    sign = 1.0 if scale > 0 else -1.0
    assert skewness(x) == pytest.approx(sign * 1.7636326148, rel=1e-10)
    assert kurtosis(x) == pytest.approx(3.228, rel=1e-10)


def test_moments_at_the_float_limit():
    # the sum of the values, and x - mean, overflow: the moments of x / max|x| are used
    x = np.array([LIMIT, LIMIT, -LIMIT, 0.0, 1.0, 1.6e308])
    u = x / LIMIT
    assert skewness(x) == pytest.approx(skewness(u), rel=1e-12)
    assert kurtosis(x) == pytest.approx(kurtosis(u), rel=1e-12)
    assert np.isfinite([skewness(x), kurtosis(x)]).all()


def test_moments_of_a_constant_column_stay_missing_at_any_magnitude():
    for v in (1e-300, 1.0, 1e300, LIMIT):
        ok, s, k = check_skew_kurt(np.full(5, v))
        assert ok and np.isnan(s) and np.isnan(k)


@pytest.mark.parametrize("scale", [1e-300, 1.0, 1e300])
def test_winsorise_treats_the_same_points_at_any_magnitude(scale):
    x = np.array([1.0, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 50.0]) * scale
    y, info = winsorise(x)
    assert info["treatment"] == "winsorise" and info["nwin"] == 1
    assert info["points"].tolist()[-1] == "winhi" and y[-1] == x[-2]
    # the unit-scale statistics (scipy.stats.skew / kurtosis with bias=False)
    assert info["skew0"] == pytest.approx(2.8030368904943197, rel=1e-12)
    assert info["kurt0"] == pytest.approx(7.893215376657388, rel=1e-12)


def test_treat_reports_finite_statistics_for_tiny_values():
    df = pd.DataFrame({"a": np.array([1.0, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 50.0]) * 1e-300})
    res = treat(df, "winsorise")
    row = res.details.iloc[0]
    assert row["treatment"] == "winsorise" and bool(row["pass1"])
    assert np.isfinite(row[["skew0", "kurt0", "skew1", "kurt1"]].to_numpy(float)).all()
    assert res.audit["action"].tolist() == ["winsorised_high"]


def test_log_ct_range_wider_than_the_float_range():
    x = np.array([-LIMIT, 0.0, LIMIT, np.nan])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y, _ = log_ct(x)
    # ln(x + 1.7e308 + 0.01 * 3.4e308)
    want = [math.log(3.4e306), math.log(1.734e308), math.log(3.434) + 308 * math.log(10)]
    assert y[:3].tolist() == pytest.approx(want, rel=1e-14)
    assert np.isnan(y[3])
    # ordinary ranges: the plain formula, bit for bit
    z = np.array([0.0, 1.0, 100.0])
    assert np.array_equal(log_ct(z)[0], np.log(z - 0.0 + 0.01 * (100.0 - 0.0)))


# --- regression/EM imputation and PCA weights standardise too --------------------------------
IMPUTE_X = np.array([[1, 4, -1], [2, 1, 4], [3, 5, 2], [4, 2, 7], [6, 3, np.nan], [5, np.nan, 4.0]])


@pytest.mark.parametrize("kind", ["em", "regression"])
@pytest.mark.parametrize("scale", [1e-300, 1e-150, 1e150, 1e300])
def test_regression_and_em_imputation_are_scale_free(kind, scale):
    from innolab.scoring.impute import impute_em, impute_regression

    fn = impute_em if kind == "em" else impute_regression
    base, _ = fn(IMPUTE_X)
    big = IMPUTE_X.copy()
    big[:, 1] *= scale  # one column of extreme magnitude among ordinary ones
    got, info = fn(big)
    assert info["converged"] and np.isfinite(got).all()
    expected = base.copy()
    expected[:, 1] *= scale
    np.testing.assert_allclose(got, expected, rtol=1e-9)
    assert got[4, 2] == pytest.approx(base[4, 2], rel=1e-9)  # the other column's fill unchanged


@pytest.mark.parametrize("scale", [1e-300, 1e300])
def test_pca_weights_are_scale_free(scale):
    from innolab.framework import Framework
    from innolab.scoring.weights import pca_weights

    fw = Framework.from_mapping(
        {
            "code": "t",
            "nodes": [
                {"code": "I"},
                {"code": "P", "parent": "I"},
                {"code": "a", "parent": "P"},
                {"code": "b", "parent": "P"},
                {"code": "c", "parent": "P"},
            ],
        }
    )
    data = pd.DataFrame({"a": [1.0, 2, 3, 4, 6], "b": [2.0, 1, 4, 3, 5], "c": [5.0, 3, 4, 1, 2]})
    base = pca_weights(fw, data=data)
    got = pca_weights(fw, data=data.assign(b=data["b"] * scale))
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got.to_numpy(), base.to_numpy(), rtol=1e-9)
