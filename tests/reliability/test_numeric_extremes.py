"""Numerical robustness across the scoring stages (issue 6 §4).

Hypothesis draws wide frames of 1, 2, 3 or 6 units whose columns are each one of: values of a
magnitude from 1e-300 to 1e300 (signed or positive), a constant, all missing, or values with
holes. Every stage must give results that are finite or explicitly missing -- a whole column
left missing because it is degenerate (fewer than two distinct values: the documented
``constant="nan"`` policy), or a cell missing in the input -- and never an infinity, a
silently missing cell of a usable column or a silently wrong constant; otherwise it must
raise a typed innolab error naming the column.

Failures once found are kept as deterministic ``@example``s (the ``*_BUGS`` frames).
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from innolab.errors import InnolabError
from innolab.framework import Framework
from innolab.scoring.aggregate import aggregate
from innolab.scoring.impute import impute
from innolab.scoring.normalise import normalise
from innolab.scoring.pipeline import build
from innolab.scoring.treat import treat

SETTINGS = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    derandomize=True,
)
CODES = ["a", "b", "c", "d", "e"]
DIRS = {"a": 1, "b": 1, "c": 1, "d": -1, "e": 1}
FW = Framework.from_mapping(
    {
        "code": "x",
        "nodes": [
            {"code": "I"},
            {"code": "P", "parent": "I"},
            {"code": "Q", "parent": "I"},
            {"code": "a", "parent": "P", "direction": 1},
            {"code": "b", "parent": "P", "direction": 1},
            {"code": "c", "parent": "P", "direction": 1, "weight": 2},
            {"code": "d", "parent": "Q", "direction": -1},
            {"code": "e", "parent": "Q", "direction": 1},
        ],
    }
)
MAGNITUDES = [1e-300, 1e-150, 1e-10, 1.0, 1e10, 1e150, 1e300]
KINDS = ["values", "values", "constant", "missing", "holes"]


def _index(n: int) -> pd.Index:
    return pd.Index([f"U{i:02d}" for i in range(n)], name="iso3")


@st.composite
def extreme_frames(draw, positive: bool = False, units=(1, 2, 3, 6)):
    n = draw(st.sampled_from(units))
    cols = {}
    for c in CODES:
        kind = draw(st.sampled_from(KINDS))
        mag = draw(st.sampled_from(MAGNITUDES))
        lo = 0.1 if positive else -1.0
        unit = draw(st.lists(st.floats(lo, 1.0), min_size=n, max_size=n))
        x = np.asarray(unit, dtype=float) * mag
        if kind == "constant":
            x = np.full(n, x[0] if x[0] != 0 else mag)
        elif kind == "missing":
            x = np.full(n, np.nan)
        elif kind == "holes":
            holes = draw(st.lists(st.booleans(), min_size=n, max_size=n))
            x = np.where(holes, np.nan, x)
        cols[c] = x
    return pd.DataFrame(cols, index=_index(n))


def _usable(x: np.ndarray) -> bool:
    """At least two distinct finite values: a column a method can work with."""
    v = x[np.isfinite(x)]
    return len(np.unique(v)) >= 2


def _names_a_column(err: Exception) -> bool:
    codes = [*CODES, "P", "Q", "I"]
    return any(re.search(rf"\b{c}\b", str(err)) for c in codes)


def _run(fn, df):
    """The stage result, or None after checking a typed error names a column."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return fn(df)
    except InnolabError as err:
        assert _names_a_column(err), f"error does not name a column: {err}"
        return None


def _check_cells(inp: pd.DataFrame, out: pd.DataFrame, *, fill: bool = False) -> None:
    """Finite or explicitly missing; missing only where the input is or the column is degenerate."""
    for c in CODES:
        x, y = inp[c].to_numpy(float), out[c].to_numpy(float)
        assert not np.isinf(y).any(), (c, x, y)
        if not fill:
            assert np.isnan(y[np.isnan(x)]).all(), (c, "a missing cell was filled", x, y)
        if _usable(x):
            lost = np.isfinite(x) & np.isnan(y)
            assert not lost.any(), (c, "values of a usable column became missing", x, y)
        elif not fill:
            stay = np.isfinite(y) | np.isnan(x)
            assert stay.all() or np.isnan(y).all(), (c, x, y)


# --- normalise ---------------------------------------------------------------------------------

ROBUST_NORMALISERS = ["minmax", "rank", "percentile_rank", "distance_to_max", "borda"]


@SETTINGS
@given(extreme_frames(), st.sampled_from(ROBUST_NORMALISERS))
def test_normalise_extremes_finite_or_explicitly_missing(df, method):
    out = _run(lambda d: normalise(d, method, directions=DIRS).data, df)
    if out is None:
        return
    _check_cells(df, out)


@SETTINGS
@given(extreme_frames(units=(2, 3, 6)))
def test_minmax_spans_its_bounds_at_any_magnitude(df):
    out = _run(lambda d: normalise(d, "minmax", directions=DIRS).data, df)
    if out is None:
        return
    for c in CODES:
        x, y = df[c].to_numpy(float), out[c].to_numpy(float)
        if not _usable(x):
            continue
        ok = np.isfinite(y)
        assert np.nanmin(y) == pytest.approx(0.0, abs=1e-9) or DIRS[c] < 0
        assert np.nanmax(y) == pytest.approx(100.0, abs=1e-9)
        assert ((y[ok] >= -1e-9) & (y[ok] <= 100 + 1e-9)).all()


ZSCORE_BUGS = [
    # sd of 1e-300-scale values underflowed to 0: the column was treated as constant (all NaN)
    pd.DataFrame({c: [1e-300, 2e-300, 3e-300] for c in CODES}, index=_index(3)),
    # the variance of 1e300-scale values overflowed: every z-score was silently 0.0
    pd.DataFrame({c: [1e300, -1e300, 1.7e308] for c in CODES}, index=_index(3)),
    # values at the float limit of both signs: even x - mean overflows
    pd.DataFrame({c: [1.7e308, -1.7e308, 0.0, 1e308] for c in CODES}, index=_index(4)),
]


@SETTINGS
@given(extreme_frames(units=(2, 3, 6)))
@example(ZSCORE_BUGS[0])
@example(ZSCORE_BUGS[1])
@example(ZSCORE_BUGS[2])
def test_zscore_has_mean_zero_and_sd_one_at_any_magnitude(df):
    out = _run(lambda d: normalise(d, "zscore", directions=DIRS).data, df)
    if out is None:
        return
    _check_cells(df, out)
    for c in CODES:
        x, y = df[c].to_numpy(float), out[c].to_numpy(float)
        if _usable(x):
            z = y[np.isfinite(y)]
            assert abs(z.mean()) < 1e-6 and z.std(ddof=1) == pytest.approx(1.0, rel=1e-6), (c, x, y)


# --- impute, treat -----------------------------------------------------------------------------


@SETTINGS
@given(extreme_frames(), st.sampled_from(["mean", "median"]))
def test_impute_extremes(df, method):
    out = _run(lambda d: impute(d, method).data, df)
    if out is None:
        return
    _check_cells(df, out, fill=True)
    for c in CODES:
        x, y = df[c].to_numpy(float), out[c].to_numpy(float)
        assert np.array_equal(y[np.isfinite(x)], x[np.isfinite(x)])  # observed cells untouched
        if np.isfinite(x).any():
            assert np.isfinite(y).all(), (c, "a column with data kept a hole", x, y)
            assert (y >= np.nanmin(x)).all() and (y <= np.nanmax(x)).all()
        else:
            assert np.isnan(y).all()  # nothing to impute from: explicitly missing


TREAT_BUGS = [
    pd.DataFrame({c: [1e300, -1e300, 1.7e308, 1.0, 2.0, 3.0] for c in CODES}, index=_index(6)),
    # deviations near 1e-300 square to exactly 0: skew and kurtosis were silently NaN
    pd.DataFrame({c: [1e-300, 2e-300, 2e-300, 3e-300, 4e-300, 9e-299] for c in CODES}, _index(6)),
    # the sum of the values (and x - mean) overflows at the float limit
    pd.DataFrame({c: [1.7e308, 1.7e308, -1.7e308, 0.0, 1.0, 1.6e308] for c in CODES}, _index(6)),
]


@SETTINGS
@given(extreme_frames(units=(1, 2, 3)))
def test_treat_small_samples_are_left_alone(df):
    out = _run(lambda d: treat(d).data, df)
    if out is None:
        return
    _check_cells(df, out)


@SETTINGS
@given(extreme_frames(units=(6,)))
@example(TREAT_BUGS[0])
@example(TREAT_BUGS[1])
@example(TREAT_BUGS[2])
def test_treat_decides_on_finite_moments(df):
    res = _run(lambda d: treat(d), df)
    if res is None:
        return
    _check_cells(df, res.data)
    details = res.details
    assert details is not None
    num = details.select_dtypes("number")
    assert not np.isinf(num.to_numpy(float)).any(), details
    for c in CODES:
        x = df[c].to_numpy(float)
        if _usable(x) and np.isfinite(x).sum() >= 3:
            row = details[details["code"] == c]
            skew_cols = [k for k in details.columns if "skew" in k.lower()]
            assert skew_cols and np.isfinite(row[skew_cols[0]].to_numpy(float)).all(), row


# --- aggregate ---------------------------------------------------------------------------------


def _normalised(df: pd.DataFrame) -> pd.DataFrame:
    return normalise(df, "minmax", directions=DIRS).data


@SETTINGS
@given(extreme_frames(), st.sampled_from(["arithmetic", "geometric", "harmonic"]))
def test_aggregate_normalised_extremes(df, method):
    norm = _normalised(df)
    if method != "arithmetic":
        norm = norm + 1.0  # the means need positive values; 0-100 scores shifted by one
    out = _run(lambda d: aggregate(d, FW, method=method).data, norm)
    if out is None:
        return
    for code in ["P", "Q", "I"]:
        v = out[code].to_numpy(float)
        assert not np.isinf(v).any(), (code, v)
    for parent, kids in {"P": ["a", "b", "c"], "Q": ["d", "e"]}.items():
        k = norm[kids].to_numpy(float)
        v = out[parent].to_numpy(float)
        has = np.isfinite(k).any(axis=1)
        assert np.isnan(v[~has]).all()  # no child value: explicitly missing
        ok = np.isfinite(v)
        lo, hi = np.nanmin(k[ok], axis=1, initial=np.inf), np.nanmax(k[ok], axis=1, initial=-np.inf)
        assert ((v[ok] >= lo - 1e-9) & (v[ok] <= hi + 1e-9)).all(), (parent, k, v)


AGG_BUGS = [pd.DataFrame({c: [1.7e308, 1e300, -1e300] for c in CODES}, index=_index(3))]


@SETTINGS
@given(extreme_frames())
@example(AGG_BUGS[0])
def test_aggregate_raw_extremes_stay_between_the_children(df):
    out = _run(lambda d: aggregate(d, FW, method="arithmetic").data, df)
    if out is None:
        return
    for parent, kids in {"P": ["a", "b", "c"], "Q": ["d", "e"]}.items():
        k = df[kids].to_numpy(float)
        v = out[parent].to_numpy(float)
        assert not np.isinf(v).any(), (parent, k, v)
        ok = np.isfinite(v)
        lo, hi = np.nanmin(k[ok], axis=1, initial=np.inf), np.nanmax(k[ok], axis=1, initial=-np.inf)
        assert ((v[ok] >= lo - abs(lo) * 1e-12) & (v[ok] <= hi + abs(hi) * 1e-12)).all()


# --- the whole pipeline ------------------------------------------------------------------------

AGG = {"aggregate": {"method": "arithmetic"}}
SPECS = [
    {"normalise": {"method": "minmax"}, **AGG},
    {"normalise": {"method": "rank"}, "aggregate": {"method": "geometric"}},
    {"impute": {"method": "median"}, "normalise": {"method": "percentile_rank"}, **AGG},
    {"treat": {"method": "winsorise"}, "normalise": {"method": "minmax"}, **AGG},
]


@SETTINGS
@given(extreme_frames(), st.sampled_from(range(len(SPECS))))
def test_build_extremes_scores_finite_or_missing(df, k):
    b = _run(lambda d: build(d, FW, SPECS[k]), df)
    if b is None:
        return
    scores = b.scores.select_dtypes("number").to_numpy(float)
    assert not np.isinf(scores).any(), b.scores
    for unit, row in zip(df.index, df.to_numpy(float), strict=True):
        usable = [c for c in CODES if _usable(df[c].to_numpy(float))]
        if usable and all(np.isfinite(row[CODES.index(c)]) for c in usable):
            assert np.isfinite(b.scores.loc[unit, "I"]), (unit, row, b.scores.loc[unit])


@pytest.mark.parametrize("n", [1, 2])
def test_single_and_two_unit_builds_are_explicit(n):
    df = pd.DataFrame({c: np.arange(1.0, n + 1) * 1e300 for c in CODES}, index=_index(n))
    b = _run(lambda d: build(d, FW, SPECS[0]), df)
    if b is None:
        return
    idx = b.scores["I"].to_numpy(float)
    if n == 1:  # one unit: minmax is undefined, every score is explicitly missing
        assert np.isnan(idx).all()
    else:  # two units: worst and best of every indicator; d is lower-is-better
        # P = 0 and 100; Q = mean(d, e) = 50 for both; I = mean(P, Q) = 25 and 75
        assert idx.tolist() == pytest.approx([25.0, 75.0])
