"""Aggregate: every mean on hand-computed rows, Copeland exactly as COINr, domain errors,
level-by-level order and the batched (Monte Carlo) kernel path."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from scoring_helpers import tiny_framework

from innolab.errors import ComputationError, ParameterError, UnknownMethodError
from innolab.scoring.aggregate import (
    aggregate,
    aggregate_arrays,
    arithmetic_mean,
    compile_plan,
    copeland,
    generalised_mean,
    geometric_mean,
    harmonic_mean,
)

NA = np.nan


@pytest.fixture
def fw():
    return tiny_framework()  # I <- P(a, b, c[w=2]), Q(d, e)


@pytest.fixture
def scores():
    return pd.DataFrame(
        {"a": [10.0, 20.0], "b": [30.0, NA], "c": [40.0, 10.0], "d": [50.0, NA], "e": [70.0, NA]},
        index=pd.Index(["X", "Y"], name="iso3"),
    )


def test_arithmetic_levels_order_and_skipping(fw, scores):
    r = aggregate(scores, fw)
    assert list(r.data.columns) == ["a", "b", "c", "d", "e", "P", "Q", "I"]
    x, y = r.data.loc["X"], r.data.loc["Y"]
    assert (x["P"], x["Q"], x["I"]) == (30.0, 60.0, 45.0)  # (10 + 30 + 2*40)/4, (50+70)/2
    assert y["P"] == pytest.approx(40 / 3) and np.isnan(y["Q"])  # (20 + 2*10)/3; Q all missing
    assert y["I"] == pytest.approx(40 / 3)  # the index skips the missing pillar
    assert r.details.to_dict("list") == {
        "code": ["P", "Q", "I"],
        "level": [2, 2, 3],
        "method": ["arithmetic"] * 3,
        "n_children": [3, 2, 2],
        "n_scored": [2, 1, 2],
    }
    assert r.audit.empty and list(scores.columns) == ["a", "b", "c", "d", "e"]


def test_geometric_harmonic_generalised_literal(fw, scores):
    row = scores.loc[["X"]]
    g = aggregate(row, fw, "geometric").data.loc["X"]
    assert g["P"] == pytest.approx((10 * 30 * 40**2) ** 0.25, rel=1e-14)
    assert g["Q"] == pytest.approx(np.sqrt(50 * 70), rel=1e-14)
    h = aggregate(row, fw, "harmonic").data.loc["X"]
    assert h["P"] == pytest.approx(240 / 11, rel=1e-14)  # 4 / (1/10 + 1/30 + 2/40)
    assert h["Q"] == pytest.approx(175 / 3, rel=1e-14)  # 2 / (1/50 + 1/70)
    p2 = aggregate(row, fw, "generalised", params={"p": 2}).data.loc["X"]
    assert p2["P"] == pytest.approx(np.sqrt(1050), rel=1e-14)  # (100 + 900 + 2*1600)/4
    for p, ref in ((1, "arithmetic"), (-1, "harmonic"), (0, "geometric")):
        gen = aggregate(row, fw, "generalised", params={"p": p}).data
        assert np.allclose(gen, aggregate(row, fw, ref).data, rtol=1e-13), p


def test_generalised_skips_missing_children_unlike_coinr(fw, scores):
    y = aggregate(scores, fw, "generalised", params={"p": 2}).data.loc["Y"]
    assert y["P"] == pytest.approx(np.sqrt((400 + 2 * 100) / 3), rel=1e-14)


def test_kernels_on_arrays():
    x = np.array([[1.0, 4.0], [2.0, NA], [NA, NA]])
    w = np.array([1.0, 3.0])
    assert arithmetic_mean(x, w).tolist()[:2] == [3.25, 2.0]
    assert np.isnan(arithmetic_mean(x, w)[2])
    assert geometric_mean(x[:2], w).tolist() == pytest.approx([4**0.75, 2.0])
    assert harmonic_mean(x[:2], w).tolist() == pytest.approx([4 / (1 + 3 / 4), 2.0])
    assert generalised_mean(np.array([[-1.0, -1.0]]), w, p=3).tolist() == pytest.approx([-1.0])


@pytest.mark.parametrize(
    ("method", "params", "value"),
    [
        ("geometric", None, 0.0),
        ("harmonic", None, -5.0),
        ("generalised", {"p": -2}, 0.0),
        ("generalised", {"p": 0.5}, -1.0),
    ],
)
def test_domain_errors_name_aggregate_children_and_units(fw, scores, method, params, value):
    bad = scores.copy()
    bad.loc["Y", "c"] = value
    with pytest.raises(ComputationError, match=r"cannot aggregate P: .* c has values .* for Y"):
        aggregate(bad, fw, method, params=params)


def test_zero_child_weight_and_weight_overrides(fw, scores):
    r = aggregate(scores, fw, weights={"c": 0.0, "Q": 3.0}).data.loc["X"]
    assert r["P"] == 20.0 and r["I"] == (20 + 3 * 60) / 4
    with pytest.raises(ParameterError, match="finite and >= 0"):
        aggregate(scores, fw, weights={"a": -1.0})
    with pytest.raises(ParameterError, match="not in the framework"):
        aggregate(scores, fw, weights={"zz": 1.0})


def test_method_per_level_and_min_coverage(fw, scores):
    r = aggregate(scores, fw, {2: "arithmetic", 3: "geometric"}).data.loc["X"]
    assert r["I"] == pytest.approx(np.sqrt(30 * 60))
    r = aggregate(scores, fw, min_coverage=0.7).data.loc["Y"]
    assert np.isnan(r["P"]) and np.isnan(r["I"])  # P has 2 of 3 children (< 0.7)


def test_missing_indicator_columns_count_as_missing(fw, scores):
    r = aggregate(scores.drop(columns=["b"]), fw).data.loc["X"]
    assert r["P"] == 30.0  # (10 + 2*40) / 3


def test_errors(fw, scores):
    with pytest.raises(UnknownMethodError, match="arithmetic"):
        aggregate(scores, fw, "median")
    with pytest.raises(ParameterError, match="already has aggregate"):
        aggregate(aggregate(scores, fw).data, fw)
    with pytest.raises(ParameterError, match="unknown aggregation parameters"):
        aggregate(scores, fw, params={"q": 2})
    with pytest.raises(ParameterError, match="levels"):
        aggregate(scores, fw, {"top": "geometric"})
    # levels given as strings (YAML) work
    assert aggregate(scores, fw, {"3": "geometric"}).data.equals(
        aggregate(scores, fw, {3: "geometric"}).data
    )


# ----------------------------------------------------------------------------- Copeland
def copeland_reference(x: np.ndarray, w: list) -> list:
    """COINr's a_copeland, straight from ALGORITHMS.md 6.2, in exact fractions."""
    n, k = x.shape
    wh = [Fraction(v) / sum(Fraction(v) for v in w) for v in w]
    s = [[0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            o = Fraction(0)
            for c in range(k):
                if x[i, c] > x[j, c]:
                    o += wh[c]
                elif x[i, c] == x[j, c]:
                    o += wh[c] / 2
            s[i][j] = 1 if o > Fraction(1, 2) else (-1 if o < Fraction(1, 2) else 0)
            s[j][i] = -s[i][j]
    return [float(sum(r)) for r in s]


def test_copeland_literal():
    x = np.array([[3.0, 1.0], [2.0, 2.0], [1.0, 3.0], [0.0, 0.0]])
    assert copeland(x, np.array([1.0, 1.0])).tolist() == [1, 1, 1, -3]
    assert copeland(x, np.array([2.0, 1.0])).tolist() == [3, 1, -1, -3]


def test_copeland_exact_half():
    # 7 equal weights: A beats B on one child, ties on five, loses on one: o = 1/7 + 5/14 = 1/2
    # exactly (summing normalised float weights gives 0.49999999999999994)
    x = np.array([[2.0, 1, 1, 1, 1, 1, 0], [1.0, 1, 1, 1, 1, 1, 1]])
    assert copeland(x, np.ones(7)).tolist() == [0, 0]
    assert copeland(x, np.full(7, 1 / 7)).tolist() == [0, 0]  # fractional weights: fsum path


def test_copeland_matches_exact_reference_with_ties_and_nans():
    rng = np.random.default_rng(3)
    for _ in range(25):
        x = rng.integers(0, 4, size=(7, 4)).astype(float)
        x[rng.random(x.shape) < 0.15] = NA
        x[0] = NA if rng.random() < 0.3 else x[0]
        w = list(rng.integers(1, 4, size=4) / rng.choice([1, 2, 4, 10]))
        ours = copeland(x, np.array(w))
        ref = copeland_reference(x, w)
        empty = np.isnan(x).all(axis=1)
        keep = ~empty
        ref_sub = copeland_reference(x[keep], w)
        assert np.isnan(ours[empty]).all()
        assert ours[keep].tolist() == ref_sub
        if not empty.any():
            assert ours.tolist() == ref


def test_copeland_verb_levels_and_unit_order(fw, scores):
    df = pd.DataFrame(
        np.arange(15.0).reshape(5, 3).repeat(2, axis=1)[:, :5],
        columns=list("abcde"),
        index=pd.Index(list("VWXYZ"), name="iso3"),
    )
    r = aggregate(df, fw, "copeland").data
    assert r["P"].tolist() == [-4, -2, 0, 2, 4] and r["I"].tolist() == [-4, -2, 0, 2, 4]
    shuffled = aggregate(df.iloc[[3, 0, 4, 2, 1]], fw, "copeland").data
    assert shuffled.loc[list("VWXYZ")].equals(r)


# ----------------------------------------------------------------------------- batching
def test_batch_with_different_weights_equals_one_call_each(fw):
    rng = np.random.default_rng(0)
    x = rng.uniform(1, 100, size=(6, 5))
    x[2, 1] = NA
    df = pd.DataFrame(x, columns=list("abcde"), index=pd.Index(list("UVWXYZ"), name="iso3"))
    plan = compile_plan(fw)
    assert plan.columns == ("a", "b", "c", "d", "e", "P", "Q", "I")
    w = rng.uniform(0.5, 2.0, size=(20, len(plan.columns)))
    methods = ["arithmetic", "geometric", "harmonic", "copeland"] * 5
    out = aggregate_arrays(x, plan, w, methods)
    assert out.shape == (20, 6, 8)
    for r in range(20):
        weights = dict(zip(plan.columns, w[r], strict=True))
        one = aggregate(df, fw, methods[r], weights=weights).data
        assert np.allclose(out[r], one.to_numpy(), rtol=1e-13, equal_nan=True), r
    same = aggregate_arrays(np.broadcast_to(x, (20, 6, 5)), plan, w, "arithmetic")
    assert np.allclose(same, aggregate_arrays(x, plan, w, "arithmetic"), equal_nan=True)


def test_panel_copeland_is_per_year(fw):
    idx = pd.MultiIndex.from_product([["A", "B"], [2020, 2021]], names=["iso3", "year"])
    df = pd.DataFrame({c: [1.0, 5.0, 2.0, 0.0] for c in "abcde"}, index=idx)
    r = aggregate(df, fw, "copeland").data
    assert r["I"].tolist() == [-1, 1, 1, -1]
