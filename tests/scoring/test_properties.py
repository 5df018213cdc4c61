"""Hypothesis properties of the scoring kernels and verbs: bounds, monotonicity in each
indicator's direction, invariance to the order of units and indicators, NaN policy,
aggregation of equal children, and monotonicity of the means."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scoring_helpers import tiny_framework

from innolab.scoring.aggregate import (
    aggregate,
    arithmetic_mean,
    generalised_mean,
    geometric_mean,
    harmonic_mean,
)
from innolab.scoring.impute import impute
from innolab.scoring.normalise import normalise
from innolab.scoring.treat import treat

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FW = tiny_framework()
CODES = list("abcde")
DIRS = {"a": 1, "b": 1, "c": 1, "d": -1, "e": 1}
MONOTONE = ["minmax", "zscore", "rank", "percentile_rank", "borda", "distance_to_max", "goalposts"]

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
positive = st.floats(0.01, 1e4, allow_nan=False, allow_infinity=False)


def frames(elements=finite, n_min=3, n_max=9, nan=True):
    @st.composite
    def build(draw):
        n = draw(st.integers(n_min, n_max))
        x = draw(arrays(float, (n, 5), elements=elements))
        if nan:
            mask = draw(arrays(bool, (n, 5), elements=st.booleans()))
            mask[:2] = False  # keep two values per column
            x = np.where(mask & (draw(st.integers(0, 3)) == 0), np.nan, x)
        return pd.DataFrame(
            x, columns=CODES, index=pd.Index([f"U{i:02d}" for i in range(n)], name="iso3")
        )

    return build()


def _params(method):
    return {"goalposts": (-1e5, 1e5)} if method == "goalposts" else None


@SETTINGS
@given(frames(), st.floats(-100, 100), st.floats(0.5, 200))
def test_minmax_within_bounds(df, lower, width):
    out = normalise(
        df, "minmax", directions=DIRS, params={"lower": lower, "upper": lower + width}
    ).data.to_numpy()
    ok = out[~np.isnan(out)]
    tol = 1e-9 * (abs(lower) + width)
    assert (ok >= lower - tol).all() and (ok <= lower + width + tol).all()


@SETTINGS
@given(frames(), st.sampled_from(MONOTONE))
def test_monotone_in_direction(df, method):
    out = normalise(df, method, directions=DIRS, params=_params(method)).data
    for c in CODES:
        x, y = df[c].to_numpy(), out[c].to_numpy()
        ok = ~np.isnan(x) & ~np.isnan(y)
        x, y = x[ok], y[ok]
        i, j = np.meshgrid(np.arange(len(x)), np.arange(len(x)), indexing="ij")
        better = (DIRS[c] * x[i]) < (DIRS[c] * x[j])
        assert (y[i][better] <= y[j][better] + 1e-9).all(), (c, method)


@SETTINGS
@given(frames(), st.sampled_from(MONOTONE), st.randoms(use_true_random=False))
def test_normalise_invariant_to_unit_and_indicator_order(df, method, rnd):
    rows, cols = list(df.index), list(df.columns)
    rnd.shuffle(rows)
    rnd.shuffle(cols)
    a = normalise(df, method, directions=DIRS, params=_params(method)).data
    b = normalise(df.loc[rows, cols], method, directions=DIRS, params=_params(method)).data
    pd.testing.assert_frame_equal(a, b.loc[df.index, df.columns])


@SETTINGS
@given(
    frames(nan=False),
    st.sampled_from(MONOTONE + ["fraction_of_max"]),
    st.integers(0, 8),
    st.sampled_from(CODES),
)
def test_nan_in_is_nan_out_at_that_cell_only(df, method, row, col):
    if method == "fraction_of_max":
        df = df.abs() + 1.0
        dirs = dict.fromkeys(CODES, 1)
    else:
        dirs = DIRS
    row = row % len(df)
    holed = df.copy()
    holed.iloc[row, CODES.index(col)] = np.nan
    out = normalise(holed, method, directions=dirs, params=_params(method)).data
    ref = normalise(df, method, directions=dirs, params=_params(method)).data
    expected_nan = ref.isna().to_numpy().copy()  # constant columns are NaN by policy
    expected_nan[row, CODES.index(col)] = True
    got = out.isna().to_numpy()
    # a column that became constant after removing its only distinct value may turn NaN
    const = holed.nunique() <= 1
    assert (got[:, ~const.to_numpy()] == expected_nan[:, ~const.to_numpy()]).all()


@SETTINGS
@given(
    frames(elements=positive),
    st.sampled_from(["arithmetic", "geometric", "harmonic", "copeland"]),
    st.randoms(use_true_random=False),
)
def test_aggregate_invariant_to_unit_and_indicator_order(df, method, rnd):
    rows, cols = list(df.index), list(df.columns)
    rnd.shuffle(rows)
    rnd.shuffle(cols)
    a = aggregate(df, FW, method).data
    b = aggregate(df.loc[rows, cols], FW, method).data
    pd.testing.assert_frame_equal(a, b.loc[df.index, a.columns])


@SETTINGS
@given(frames(elements=positive))
def test_aggregate_nan_child_never_poisons_parent(df):
    out = aggregate(df, FW).data
    for parent, kids in (("P", ["a", "b", "c"]), ("Q", ["d", "e"])):
        all_missing = df[kids].isna().all(axis=1)
        assert (out[parent].isna() == all_missing).all()
    assert out["I"].isna().sum() == (out[["P", "Q"]].isna().all(axis=1)).sum()


@SETTINGS
@given(
    positive,
    arrays(float, st.integers(1, 6), elements=st.floats(0.01, 10)),
    st.sampled_from(["arithmetic", "geometric", "harmonic", "generalised"]),
)
def test_equal_children_aggregate_to_that_value(v, w, method):
    x = np.full((1, len(w)), v)
    fn = {
        "arithmetic": arithmetic_mean,
        "geometric": geometric_mean,
        "harmonic": harmonic_mean,
        "generalised": generalised_mean,
    }[method]
    assert np.isclose(fn(x, w)[0], v, rtol=1e-12)


@SETTINGS
@given(
    arrays(float, st.integers(2, 6), elements=positive),
    st.data(),
    st.sampled_from([arithmetic_mean, geometric_mean, harmonic_mean]),
)
def test_improving_a_child_never_lowers_the_parent(x, data, fn):
    k = data.draw(st.integers(0, len(x) - 1))
    delta = data.draw(st.floats(0, 1e3))
    w = data.draw(arrays(float, len(x), elements=st.floats(0.01, 10)))
    better = x.copy()
    better[k] += delta
    assert fn(better[None], w)[0] >= fn(x[None], w)[0] * (1 - 1e-12)


@SETTINGS
@given(frames(), st.randoms(use_true_random=False))
def test_impute_and_treat_invariant_to_order(df, rnd):
    rows, cols = list(df.index), list(df.columns)
    rnd.shuffle(rows)
    rnd.shuffle(cols)
    groups = pd.Series(["x", "y"] * len(df), index=[f"U{i:02d}" for i in range(2 * len(df))])
    for verb in (
        lambda d: impute(d, "group_mean", groups=groups).data,
        lambda d: treat(d, "winsorise").data,
    ):
        a, b = verb(df), verb(df.loc[rows, cols])
        pd.testing.assert_frame_equal(a, b.loc[df.index, df.columns])
