"""COINr parity: innolab reproduces COINr 1.1.14's ASEM example build at every stage.

Inputs ``shared/data/coinr-asem``; expected outputs ``shared/reference/coinr-asem/default`` (15
significant digits, so values are compared to 1e-9 absolute or 1e-12 relative). The documented
alternatives of ``ALGORITHMS.md`` (log fallback with smaller winmax, screening non-imputed
data, no imputation, other normalisers and aggregators) are checked against the numbers and
formulas given there, computed independently here with numpy.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from conftest import shared_path
from scipy.stats import rankdata

from innolab.errors import ComputationError
from innolab.framework import load_framework
from innolab.scoring import COINR_ASEM_SPEC, build, treatment_points

pytestmark = pytest.mark.shared

COINR_DEFAULT = COINR_ASEM_SPEC


def ref(name: str) -> pd.DataFrame:
    path = shared_path("reference", "coinr-asem", "default", f"{name}.csv")
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def ref_wide(name: str) -> pd.DataFrame:
    return ref(name).set_index("uCode").rename_axis("iso3")


@pytest.fixture(scope="module")
def idata() -> pd.DataFrame:
    path = shared_path("data", "coinr-asem", "ASEM_iData.csv")
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


@pytest.fixture(scope="module")
def fw():
    return load_framework("asem")


@pytest.fixture(scope="module")
def default(idata, fw):
    return build(idata, fw, COINR_DEFAULT)


def assert_frame_close(got: pd.DataFrame, want: pd.DataFrame, *, what: str) -> None:
    """Same units, columns and NaN pattern; values within 1e-9 absolute or 1e-12 relative."""
    assert list(got.index) == list(want.index), f"{what}: unit order"
    assert list(got.columns) == list(want.columns), f"{what}: column order"
    g = got.to_numpy(dtype=float)
    w = want.to_numpy(dtype=float)
    assert np.array_equal(np.isnan(g), np.isnan(w)), f"{what}: NaN pattern"
    ok = np.isclose(g, w, rtol=1e-12, atol=1e-9) | (np.isnan(g) & np.isnan(w))
    bad = np.argwhere(~ok)
    assert not bad.size, (
        f"{what}: {len(bad)} cells differ, e.g. {got.index[bad[0][0]]}/{got.columns[bad[0][1]]}"
        f" {g[tuple(bad[0])]!r} vs {w[tuple(bad[0])]!r}"
    )


# --- the default build, stage by stage ---------------------------------------------------------
@pytest.mark.parametrize(
    "table, name",
    [
        ("raw", "Raw"),
        ("denominated", "Denominated"),
        ("imputed", "Imputed"),
        ("screened", "Screened"),
        ("treated", "Treated"),
        ("normalised", "Normalised"),
        ("aggregated", "scores_all_levels"),
    ],
)
def test_stage_tables(default, table, name):
    assert_frame_close(default.table(table), ref_wide(name), what=name)


def test_scores_and_ranks_all_levels(default):
    assert_frame_close(default.scores, ref_wide("scores_all_levels"), what="scores")
    want = ref_wide("ranks_all_levels")
    got = default.ranks
    assert list(got.columns) == list(want.columns)
    assert (got.to_numpy(dtype=float) == want.to_numpy(dtype=float)).all()


def test_results_table(default):
    want = ref("results_table_aggs").set_index("uCode").rename_axis("iso3")
    got = default.summary()
    assert list(got.columns) == list(want.columns)
    got = got.loc[want.index]
    assert (got["Rank"].to_numpy() == want["Rank"].to_numpy()).all()
    # this file is rounded to 8 decimals
    np.testing.assert_allclose(
        got.drop(columns="Rank").to_numpy(dtype=float),
        want.drop(columns="Rank").to_numpy(dtype=float),
        rtol=0,
        atol=5e-9,
    )


def test_treatment_details(default):
    want = ref("treatment_details").set_index("iCode")
    got = default.details["treat"].set_index("code")
    cols = {
        "check_SkewKurt0.Pass": "pass0",
        "check_SkewKurt0.Skew": "skew0",
        "check_SkewKurt0.Kurt": "kurt0",
        "winsorise.nwin": "nwin",
        "check_SkewKurt1.Pass": "pass1",
        "check_SkewKurt1.Skew": "skew1",
        "check_SkewKurt1.Kurt": "kurt1",
    }
    assert list(got.index) == list(want.index)
    for c_ref, c_got in cols.items():
        w, g = want[c_ref], got[c_got]
        assert (w.isna().to_numpy() == g.isna().to_numpy()).all(), c_ref
        m = w.notna().to_numpy()
        if w.dtype == bool or c_ref.endswith(".Pass"):
            assert (w[m].astype(bool).to_numpy() == g[m].astype(bool).to_numpy()).all(), c_ref
        else:
            np.testing.assert_allclose(
                g[m].astype(float), w[m].astype(float), rtol=1e-12, atol=1e-9, err_msg=c_ref
            )
    assert "pass2" not in got.columns  # no indicator needed the log in the default build
    assert (got["treatment"] == "winsorise").sum() == 15


def test_treatment_points(default):
    want = ref("treatment_points").astype(object).fillna("")
    got = treatment_points_of(default)
    assert list(got.columns) == list(want.columns)
    assert (got.to_numpy() == want.to_numpy()).all()


def treatment_points_of(b) -> pd.DataFrame:
    from innolab.scoring.result import StageResult

    pts = b.extras["treat"]["points"]
    return treatment_points(StageResult(b.treated, b.audit, None, {"points": pts})).reset_index(
        drop=True
    )


def test_screening_summary(default):
    want = ref("screening_DataSummary").set_index("uCode").rename_axis("iso3")
    got = default.details["screen"]
    assert list(got.columns) == list(want.columns)
    assert list(got.index) == list(want.index)
    for c in want.columns:
        if want[c].dtype == bool:
            assert (got[c].to_numpy() == want[c].to_numpy()).all(), c
        else:
            np.testing.assert_allclose(
                got[c].astype(float), want[c].astype(float), rtol=1e-12, err_msg=c
            )


def test_weights_and_lineage(default, fw):
    want = ref("weights_original")
    w = default.weights
    got = pd.DataFrame(
        {"iCode": w.index, "Level": [fw.node(c).level for c in w.index], "Weight": w.to_numpy()}
    )
    key = ["iCode"]
    pd.testing.assert_frame_equal(
        got.sort_values(key).reset_index(drop=True),
        want.sort_values(key).reset_index(drop=True),
        check_dtype=False,
    )
    lin = ref("lineage")
    mine = default.framework.lineage()
    cols = list(lin.columns)
    pd.testing.assert_frame_equal(
        mine.sort_values(cols).reset_index(drop=True), lin.sort_values(cols).reset_index(drop=True)
    )


# --- worked examples of ALGORITHMS.md -------------------------------------------------------
def test_worked_examples(default, fw):
    asia = ["BGD", "BRN", "KAZ", "KHM", "LAO", "MMR", "MNG", "PAK"]
    assert default.denominated.loc[asia, "ConSpeed"].isna().all()
    np.testing.assert_allclose(default.imputed.loc[asia, "ConSpeed"], 12.9153846153846, rtol=1e-13)
    assert default.normalised.loc["AUS", "CO2"] == pytest.approx(30.9452, abs=5e-5)
    aus = default.scores.loc["AUS"]
    assert aus["Conn"] == pytest.approx(38.3648, abs=5e-5)
    assert aus["Sust"] == pytest.approx(53.1677, abs=5e-5)
    assert aus["Index"] == pytest.approx(45.7662, abs=5e-5)
    assert default.ranks.loc["AUS", "Index"] == 35
    assert fw.effective_weights()["Goods"] == pytest.approx(0.02, rel=1e-15)
    t = default.details["treat"].set_index("code")
    assert (t.loc["Flights", "nwin"], t.loc["Bord", "nwin"], t.loc["FemLab", "nwin"]) == (1, 3, 1)
    pts = treatment_points_of(default)
    pts.index = default.treated.index
    assert pts.loc["MLT", "Flights"] == "winhi"
    assert sorted(pts.index[pts["Bord"] == "winhi"]) == ["BEL", "LUX", "SGP"]
    assert pts.loc["PAK", "FemLab"] == "winlo"


def test_rebuild_reproduces_exactly(default):
    again = default.rebuild()
    for name in ("denominated", "imputed", "screened", "treated", "normalised", "aggregated"):
        pd.testing.assert_frame_equal(again.table(name), default.table(name), check_exact=True)
    pd.testing.assert_frame_equal(again.ranks, default.ranks)
    assert again.spec == default.spec


# --- documented alternatives -----------------------------------------------------------------
@pytest.mark.parametrize(
    "winmax, expected",
    [
        (
            1,
            [
                "Bord",
                "Gas",
                "Services",
                "FDI",
                "ForPort",
                "Tariff",
                "StMob",
                "CultServ",
                "Forest",
                "Poverty",
                "NGOs",
            ],
        ),
        (2, ["Bord", "Gas", "Services", "ForPort", "Tariff", "CultServ", "Poverty", "NGOs"]),
        (3, ["Services"]),
        (5, []),
    ],
)
def test_log_fallback_with_smaller_winmax(default, winmax, expected):
    b = default.rebuild(treat={"max_points": winmax})
    det = b.details["treat"].set_index("code")
    logged = [c for c in det.index if det.loc[c, "treatment"] not in ("winsorise", "none")]
    assert sorted(logged) == sorted(expected)
    # the log column is COINr's log_CT of the *original* (screened) column
    x = b.screened
    for code in expected:
        v = x[code].to_numpy(dtype=float)
        lo, hi = np.nanmin(v), np.nanmax(v)
        np.testing.assert_allclose(b.treated[code], np.log(v - lo + 0.01 * (hi - lo)), rtol=1e-13)
    if expected:
        pts = treatment_points_of(b)
        plain = [c for c in expected if (pts[c] == "+log_CT").all()]
        assert plain or all(pts[c].str.endswith("log_CT").all() for c in expected)
        assert "pass2" in det.columns


def test_screening_non_imputed_data(idata, fw):
    spec = {"denominate": {}, "screen": {"min_coverage": 0.9, "by": "unit"}}
    b = build(idata, fw, spec)
    n_missing = b.denominated.isna().sum(axis=1)
    removed = sorted(set(b.raw.index) - set(b.screened.index))
    assert removed == sorted(n_missing.index[n_missing >= 5])
    assert removed  # the example has such units
    four = n_missing.index[n_missing == 4]
    assert set(four) <= set(b.screened.index)  # 45/49 = 0.918 stays
    summ = b.details["screen"]
    np.testing.assert_allclose(summ["Dat_Avail"], 1 - n_missing / 49, rtol=1e-15)
    assert ((summ["Dat_Avail"] < 0.9) == ~summ["Included"]).all()


def test_no_imputation_skips_and_renormalises(idata, fw):
    spec = {k: v for k, v in COINR_DEFAULT.items() if k != "impute"}
    b = build(idata, fw, spec)
    norm = b.normalised
    assert norm.isna().any().any()
    expect = {}
    for lvl in (2, 3, 4):
        for agg in fw.aggregates(level=lvl):
            kids = fw.children(agg)
            src = pd.concat([norm, pd.DataFrame(expect)], axis=1)[kids]
            expect[agg] = src.mean(axis=1, skipna=True)
    for agg, col in expect.items():
        np.testing.assert_allclose(b.scores[agg], col, rtol=1e-12, err_msg=agg)


@pytest.fixture(scope="module")
def treated(default):
    return default.treated, default.framework.directions()


def _xprime(treated):
    x, d = treated
    return x * d


@pytest.mark.parametrize(
    "spec, formula",
    [
        (
            {"method": "zscore", "mean": 10, "sd": 2},
            lambda v: (v - np.nanmean(v)) / np.nanstd(v, ddof=1) * 2 + 10,
        ),
        ({"method": "rank"}, lambda v: _rank_min(v)),
        ({"method": "borda"}, lambda v: _rank_min(v) - 1),
        ({"method": "percentile_rank"}, lambda v: (_rank_min(v) - 1) / (np.sum(~np.isnan(v)) - 1)),
        (
            {"method": "distance_to_max"},
            lambda v: 1 - (np.nanmax(v) - v) / (np.nanmax(v) - np.nanmin(v)),
        ),
        (
            {"method": "minmax", "lower": 1, "upper": 100},
            lambda v: (v - np.nanmin(v)) / (np.nanmax(v) - np.nanmin(v)) * 99 + 1,
        ),
    ],
)
def test_other_normalisers(default, treated, spec, formula):
    b = default.rebuild(normalise=spec)
    xp = _xprime(treated)
    for code in xp.columns:
        want = formula(xp[code].to_numpy(dtype=float))
        np.testing.assert_allclose(b.normalised[code], want, rtol=1e-12, atol=1e-12, err_msg=code)


def _rank_min(v):
    out = np.full(v.shape, np.nan)
    m = ~np.isnan(v)
    out[m] = rankdata(v[m], method="min")
    return out


def test_fraction_of_max_with_overrides(default, treated):
    """COINr's n_fracmax is degenerate for d = -1 (x' <= 0); innolab rejects it there, so the
    'lower is better' indicators get an override (distance_to_max)."""
    x, d = treated
    neg = {c: "distance_to_max" for c in x.columns if d[c] == -1}
    with pytest.raises(ComputationError, match="CostImpEx"):
        default.rebuild(normalise={"method": "fraction_of_max"})
    b = default.rebuild(normalise={"method": "fraction_of_max", "overrides": neg})
    for code in x.columns:
        v = d[code] * x[code].to_numpy(dtype=float)
        if d[code] == 1:
            want = v / np.nanmax(v)
        else:
            want = 1 - (np.nanmax(v) - v) / (np.nanmax(v) - np.nanmin(v))
        np.testing.assert_allclose(b.normalised[code], want, rtol=1e-12, err_msg=code)


def test_distance_to_target_uses_framework_targets(default, treated, fw):
    b = default.rebuild(normalise={"method": "distance_to_target"})
    x, d = treated
    t = fw.targets()
    for code in x.columns:
        v = d[code] * x[code].to_numpy(dtype=float)
        tt = d[code] * t[code]
        want = (v - np.nanmin(v)) / (tt - np.nanmin(v))
        np.testing.assert_allclose(b.normalised[code], want, rtol=1e-12, err_msg=code)
    assert (b.normalised.max() > 1).any()  # no cap at 1, as COINr


def _tree_aggregate(fw, norm, fn):
    out = {}
    for lvl in (2, 3, 4):
        for agg in fw.aggregates(level=lvl):
            kids = fw.children(agg)
            src = pd.concat([norm, pd.DataFrame(out, index=norm.index)], axis=1)[kids]
            src = src.to_numpy(dtype=float)
            out[agg] = fn(src)
    return out


@pytest.mark.parametrize(
    "method, params, fn",
    [
        ("geometric", {}, lambda a: np.exp(np.log(a).mean(axis=1))),
        ("harmonic", {}, lambda a: a.shape[1] / (1 / a).sum(axis=1)),
        ("generalised", {"p": 2}, lambda a: np.sqrt((a**2).mean(axis=1))),
    ],
)
def test_other_aggregators(default, fw, method, params, fn):
    b = default.rebuild(
        normalise={"method": "minmax", "lower": 1, "upper": 100},
        aggregate={"method": method, **params},
    )
    want = _tree_aggregate(fw, b.normalised, fn)
    for agg, col in want.items():
        np.testing.assert_allclose(b.scores[agg], col, rtol=1e-12, err_msg=agg)


def test_geometric_on_zeros_is_an_error_naming_the_indicator(default):
    with pytest.raises(ComputationError) as info:
        default.rebuild(aggregate={"method": "geometric"})  # min-max 0-100 has zeros
    assert any(
        code in str(info.value)
        for code in default.framework.indicators + default.framework.aggregates()
    )


def _copeland_exact(x: np.ndarray) -> np.ndarray:
    """Independent Copeland (ALGORITHMS.md 6.2) with exact fractions, equal weights."""
    n, k = x.shape
    w = Fraction(1, k)
    score = np.zeros(n, dtype=int)
    for i in range(n):
        for j in range(i + 1, n):
            o = Fraction(0)
            for c in range(k):
                a, b = x[i, c], x[j, c]
                if np.isnan(a) or np.isnan(b):
                    continue
                if a > b:
                    o += w
                elif a == b:
                    o += w / 2
            s = (o > Fraction(1, 2)) - (o < Fraction(1, 2))
            score[i] += s
            score[j] -= s
    return score


def test_copeland_through_the_pipeline(default, fw):
    b = default.rebuild(aggregate={"method": "copeland"})
    out = {}
    norm = b.normalised
    for lvl in (2, 3, 4):
        for agg in fw.aggregates(level=lvl):
            kids = fw.children(agg)
            src = pd.concat([norm, pd.DataFrame(out, index=norm.index)], axis=1)[kids]
            out[agg] = _copeland_exact(src.to_numpy(dtype=float))
    for agg, col in out.items():
        assert (b.scores[agg].to_numpy() == col).all(), agg
    n = len(norm)
    assert b.scores["Index"].abs().max() <= n - 1
