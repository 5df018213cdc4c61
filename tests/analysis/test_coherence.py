"""Coherence: correlations, Cronbach's alpha, PCA, effective weights, flags (known answers)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from analysis_helpers import make_framework
from scipy import stats

from innolab.analysis import coherence as co
from innolab.errors import ComputationError, ParameterError

A = [1.0, 2.0, 3.0, 4.0]
B = [1.0, 3.0, 2.0, 4.0]


def test_correlation_hand_values_and_pairwise_complete():
    r, n, p = co.correlation(pd.Series(A), pd.Series([2.0, 4.0, 5.0, 9.0]))
    assert n == 4
    assert r == pytest.approx(11 / math.sqrt(130), abs=1e-15)
    assert p == pytest.approx(stats.pearsonr(A, [2.0, 4.0, 5.0, 9.0]).pvalue, rel=1e-12)
    rho, _, _ = co.correlation(pd.Series(A), pd.Series(B), method="spearman")
    assert rho == pytest.approx(0.8, abs=1e-15)
    # a missing value drops that pair only
    x = pd.Series([1.0, 2.0, 3.0, 4.0, 5.0], index=list("abcde"))
    y = pd.Series([2.0, 4.0, 5.0, 9.0, np.nan], index=list("abcde"))
    r2, n2, _ = co.correlation(x, y)
    assert n2 == 4 and r2 == pytest.approx(11 / math.sqrt(130), abs=1e-15)
    # too few pairs or a constant series: NaN, not an error
    assert math.isnan(co.correlation(pd.Series([1.0, 2.0]), pd.Series([3.0, 1.0]))[0])
    assert math.isnan(co.correlation(pd.Series(A), pd.Series([1.0] * 4))[0])
    with pytest.raises(ParameterError, match="kendall"):
        co.correlation(pd.Series(A), pd.Series(B), method="kendall")


def test_get_corr_matches_coinr_on_asem(asem):
    ref = pd.read_csv(asem["analysis"] / "corr_pillars_vs_index.csv")
    got = co.get_corr(asem["scores"], asem["framework"], (2, 4))
    assert got[["Var1", "Var2"]].values.tolist() == ref[["Var1", "Var2"]].values.tolist()
    for col in ("Correlation", "Correlation_unfiltered"):
        assert got[col].isna().tolist() == ref[col].isna().tolist()
        assert np.nanmax(np.abs(got[col].to_numpy() - ref[col].to_numpy())) <= 1e-12
    wide = co.get_corr(asem["scores"], asem["framework"], (4, 2), wide=True)
    assert list(wide.index) == sorted(ref["Var2"])
    assert wide["Index"].isna().sum() == 2 and np.isnan(wide.loc["Environ", "Index"])
    # pval=None blanks nothing
    assert (
        co.get_corr(asem["scores"], asem["framework"], (2, 4), pval=None)["Correlation"]
        .notna()
        .all()
    )


def test_cronbach_hand_value_and_errors():
    d = pd.DataFrame({"a": A, "b": [2.0, 2.0, 4.0, 4.0], "c": B})
    assert co.cronbach_alpha(d) == pytest.approx(15 / 17, abs=1e-15)
    assert co.cronbach_alpha(pd.DataFrame({"a": A, "b": [3.0, 4.0, 1.0, 2.0]})) == pytest.approx(
        -3.0
    )
    with pytest.raises(ComputationError, match="at least 2"):
        co.cronbach_alpha(d[["a"]])
    with pytest.raises(ComputationError, match="zero"):
        co.cronbach_alpha(pd.DataFrame({"a": [1.0] * 3, "b": [2.0] * 3}))


def test_cronbach_matches_coinr_on_asem(asem):
    ref = pd.read_csv(asem["analysis"] / "cronbach_normalised_by_pillar.csv").set_index("group")
    got = co.cronbach_by_aggregate(asem["scores"], asem["framework"]).set_index("group")
    assert set(got.index) == set(ref.index)
    diff = (got["cronbach_alpha"] - ref["cronbach_alpha"].reindex(got.index)).abs()
    assert diff.max() <= 1e-12
    assert got.loc["ALL_level1", "k"] == 49 and got.loc["Social", "k"] == 9


def test_pca_two_columns_hand_values():
    d = pd.DataFrame({"a": A, "b": B, "c": [1.0, np.nan, 2.0, 3.0]}, index=list("wxyz"))
    res = co.pca(d[["a", "b"]])
    assert res.variance["eigenvalue"].tolist() == pytest.approx([1.8, 0.2], abs=1e-14)
    assert res.variance["proportion"].tolist() == pytest.approx([0.9, 0.1], abs=1e-14)
    s = 1 / math.sqrt(2)
    assert res.loadings.to_numpy() == pytest.approx(np.array([[s, s], [s, -s]]), abs=1e-14)
    res3 = co.pca(d)
    assert res3.dropped_units == ("x",) and res3.n_units == 3
    res_c = co.pca(d.assign(k=5.0)[["a", "b", "k"]])
    assert res_c.dropped_codes == ("k",)
    with pytest.raises(ComputationError, match="at least 2"):
        co.pca(d[["a"]])


def test_pca_by_pillar_matches_eigen_decomposition(asem):
    fw, s = asem["framework"], asem["scores"]
    out = co.pca_by_aggregate(s, fw)
    kids = fw.children("Physical")
    eig = np.sort(np.linalg.eigvalsh(s[kids].corr().to_numpy()))[::-1]
    got = out["variance"].query("group == 'Physical'")["eigenvalue"].to_numpy()
    assert got == pytest.approx(eig, abs=1e-12)
    assert set(out["variance"]["group"]) == set(fw.aggregates(2))
    assert out["dropped"].empty
    pc1 = out["loadings"].query("group == 'Physical' and component == 'PC1'")["loading"]
    assert (pc1**2).sum() == pytest.approx(1.0, abs=1e-12) and pc1.sum() > 0


def _tiny():
    fw = make_framework(
        [
            {"code": "I"},
            {"code": "P", "parent": "I"},
            {"code": "Q", "parent": "I"},
            {"code": "a", "parent": "P"},
            {"code": "b", "parent": "P"},
            {"code": "c", "parent": "Q"},
            {"code": "d", "parent": "Q"},
            {"code": "e", "parent": "Q"},
        ]
    )
    s = pd.DataFrame(
        {
            "a": A,
            "b": B,
            "c": A,
            "d": [3.0, 5.0, 7.0, 9.0],
            "e": [3.0, 4.0, 1.0, 2.0],
            "P": [1.0, 2.0, 3.0, 5.0],
            "Q": A,
            "I": A,
        },
        index=list("wxyz"),
    )
    return fw, s


def test_correlation_weights_hand_values():
    fw, s = _tiny()
    cw = co.correlation_weights(s, fw).set_index("code")
    assert cw.loc["a", "r"] == pytest.approx(6.5 / math.sqrt(5 * 8.75), abs=1e-14)
    assert cw.loc["a", "corr_weight"] == pytest.approx(169 / 290, abs=1e-14)
    assert cw.loc["b", "corr_weight"] == pytest.approx(121 / 290, abs=1e-14)
    assert cw.loc["a", "nominal_weight"] == 0.5
    assert cw.loc["a", "ratio"] == pytest.approx(338 / 290, abs=1e-14)


def test_coherence_flags_hand_values():
    fw, s = _tiny()
    f = co.coherence_flags(s, fw)
    q = f[f["parent"] == "Q"].set_index(["code", "other"])
    assert q.loc[("c", "d"), "flag"] == "redundant"  # d = 2c + 1
    assert q.loc[("c", "e"), "r"] == pytest.approx(-0.6, abs=1e-14)
    assert q.loc[("c", "e"), "flag"] == "negative"
    assert q.loc[("e", "Q"), "relation"] == "parent" and q.loc[("e", "Q"), "flag"] == "negative"
    assert q.loc[("c", "Q"), "flag"] == ""
    assert set(f.loc[f["flag"] != "", "parent"]) == {"I", "Q"}
    top = f[f["parent"] == "I"].set_index(["code", "other"])
    assert top.loc[("P", "Q"), "flag"] == "redundant"  # r = 0.983
    with pytest.raises(ParameterError):
        co.coherence_flags(s, fw, redundant=1.5)


def test_correlations_with_every_ancestor(asem):
    fw, s = _tiny()
    c = co.correlations(s, fw, method="spearman")
    assert len(c) == 5 * 2 + 2  # five indicators x (pillar, index) + two pillars x index
    row = c[(c["code"] == "b") & (c["ancestor"] == "I")].iloc[0]
    assert row["r"] == pytest.approx(0.8, abs=1e-15) and row["ancestor_level"] == 3
