"""Every stage of COINr 1.1.14's default ASEM build, reproduced to <= 1e-9.

Inputs are read losslessly from ../shared/data/coinr-asem; expected values are COINr's outputs in
../shared/reference/coinr-asem/default (see ALGORITHMS.md there). Each stage is checked twice:
from COINr's own previous stage (per-stage parity) and along innolab's chain from the raw data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scoring_helpers import asem_example

from innolab.scoring.aggregate import aggregate
from innolab.scoring.denominate import denominate
from innolab.scoring.impute import impute
from innolab.scoring.normalise import normalise
from innolab.scoring.rank import rank
from innolab.scoring.screen import screen
from innolab.scoring.treat import treat

pytestmark = pytest.mark.shared

TOL = 1e-9
WINSORISE = {"max_points": 5, "skew": 2.0, "kurtosis": 3.5, "fallback": "log"}


def assert_same(ours: pd.DataFrame, ref: pd.DataFrame, cols: list[str], tol: float = TOL):
    assert list(ours.index) == list(ref.index)
    a = ours[cols].to_numpy(dtype=float)
    b = ref[cols].to_numpy(dtype=float)
    assert (np.isnan(a) == np.isnan(b)).all()
    diff = np.nanmax(np.abs(a - b))
    assert diff <= tol, diff


def _stages(asem):
    fw = asem.framework
    d = denominate(asem.raw, fw)
    i = impute(d.data, "group_mean", groups="EurAsia_group", columns=fw.indicators)
    s = screen(i.data, min_coverage=0.9, framework=fw)
    t = treat(s.data, "winsorise", params=WINSORISE, framework=fw)
    n = normalise(
        t.data,
        "minmax",
        directions=fw.directions(),
        params={"lower": 0, "upper": 100},
        columns=fw.indicators,
    )
    a = aggregate(n.data[fw.indicators], fw)
    return {
        "Denominated": d,
        "Imputed": i,
        "Screened": s,
        "Treated": t,
        "Normalised": n,
        "scores_all_levels": a,
    }


@pytest.fixture(scope="module")
def asem():
    return asem_example()


@pytest.fixture(scope="module")
def chain(asem):
    return _stages(asem)


@pytest.mark.parametrize(
    "stage", ["Denominated", "Imputed", "Screened", "Treated", "Normalised", "scores_all_levels"]
)
def test_chain_matches_coinr(asem, chain, stage):
    ref = asem.ref(stage)
    assert_same(chain[stage].data, ref, list(ref.columns))


def test_output_columns_in_coinr_order(asem, chain):
    assert list(chain["scores_all_levels"].data.columns) == list(
        asem.ref("scores_all_levels").columns
    )


def test_ranks_identical(asem, chain):
    ours = rank(chain["scores_all_levels"].data)
    ref = asem.ref("ranks_all_levels")
    assert (ours.to_numpy(dtype=float) == ref.to_numpy(dtype=float)).all()


def test_worked_example_aus(chain):
    row = chain["scores_all_levels"].data.loc["AUS"]
    assert row["Conn"] == pytest.approx(38.3648, abs=1e-4)
    assert row["Index"] == pytest.approx(45.7662, abs=1e-4)


# ----------------------------------------------------------------- per stage, from COINr's input
def test_denominate_from_raw(asem):
    ours = denominate(asem.raw, asem.framework).data
    assert_same(ours, asem.ref("Denominated"), asem.indicators)
    # the raw stage itself is the iData columns unchanged
    assert_same(asem.raw, asem.ref("Raw"), asem.indicators)


def test_impute_from_denominated(asem):
    den = asem.ref("Denominated")
    groups = asem.idata["EurAsia_group"]
    r = impute(den, "group_mean", groups=groups)
    assert_same(r.data, asem.ref("Imputed"), asem.indicators)
    assert len(r.audit) == int(den.isna().sum().sum()) == 65  # 63 raw NAs + LAO's Elec, Gas
    # ConSpeed: 8 Asian gaps take the mean of the other 13 Asian values
    cs = r.audit[r.audit["code"] == "ConSpeed"]
    assert sorted(cs["iso3"]) == ["BGD", "BRN", "KAZ", "KHM", "LAO", "MMR", "MNG", "PAK"]
    assert np.allclose(cs["after"], 12.9153846153846, atol=1e-12)
    assert set(cs["detail"]) == {"group_mean Asia"}


def test_screen_from_imputed(asem):
    r = screen(asem.ref("Imputed"), min_coverage=0.9, by="unit")
    assert_same(r.data, asem.ref("Screened"), asem.indicators)
    ref = asem.ref("screening_DataSummary")
    assert list(r.details.columns) == list(ref.columns)
    for c in ref.columns:
        if ref[c].dtype == bool:
            assert (r.details[c].to_numpy() == ref[c].to_numpy()).all(), c
        else:
            assert np.allclose(
                r.details[c].to_numpy(float), ref[c].to_numpy(float), rtol=0, atol=1e-13
            ), c


def test_screen_denominated_not_imputed(asem, chain):
    """ALGORITHMS.md section 3: at 0.9, 5+ missing (44/49 < 0.9) go, 4 missing (45/49) stay."""
    den = chain["Denominated"].data[asem.indicators]
    r = screen(den, min_coverage=0.9)
    n_missing = den.isna().sum(axis=1)
    assert set(r.data.index) == set(n_missing.index[n_missing <= 4])
    removed = r.audit[r.audit["action"] == "unit_removed"]
    assert set(removed["iso3"]) == set(n_missing.index[n_missing >= 5])
    assert removed["code"].isna().all()


def test_treat_from_screened(asem):
    fw = asem.framework
    r = treat(asem.ref("Screened"), "winsorise", params=WINSORISE, framework=fw)
    assert_same(r.data, asem.ref("Treated"), asem.indicators, tol=1e-12)
    ref = asem.ref("treatment_details", index="iCode")
    det = r.details.set_index("code")
    assert list(det.index) == list(ref.index)
    assert (det["pass0"].to_numpy(bool) == ref["check_SkewKurt0.Pass"].to_numpy(bool)).all()
    for ours, theirs in [
        ("skew0", "check_SkewKurt0.Skew"),
        ("kurt0", "check_SkewKurt0.Kurt"),
        ("skew1", "check_SkewKurt1.Skew"),
        ("kurt1", "check_SkewKurt1.Kurt"),
        ("nwin", "winsorise.nwin"),
    ]:
        a, b = det[ours].to_numpy(float, na_value=np.nan), ref[theirs].to_numpy(float)
        assert (np.isnan(a) == np.isnan(b)).all(), ours
        assert np.nanmax(np.abs(a - b)) <= 1e-12, ours
    p1 = det["pass1"].dropna()
    assert p1.all() and list(p1.index) == list(ref["check_SkewKurt1.Pass"].dropna().index)
    assert not {"pass2", "skew2", "kurt2"} & set(det.columns)  # no log fallback needed
    assert (det["treatment"] == "winsorise").sum() == 15


def test_treatment_points(asem, chain):
    pts = chain["Treated"].extras["points"]
    ref = pd.read_csv(asem.ref_dir / "treatment_points.csv", keep_default_na=False)
    assert list(pts.columns) == list(ref.columns)
    assert (pts.to_numpy() == ref.to_numpy()).all()
    # and the audit records exactly those cells
    aud = chain["Treated"].audit
    marked = int((ref != "").sum().sum())
    assert len(aud) == marked
    assert set(aud["action"]) == {"winsorised_high", "winsorised_low"}


def test_worked_winsorisation_examples(chain):
    aud = chain["Treated"].audit
    bord = aud[aud["code"] == "Bord"]
    assert sorted(bord["iso3"]) == ["BEL", "LUX", "SGP"]
    assert bord["after"].nunique() == 1  # all moved to CHE's value
    fem = aud[aud["code"] == "FemLab"]
    assert fem[["iso3", "action"]].values.tolist() == [["PAK", "winsorised_low"]]


def test_normalise_from_treated(asem):
    fw = asem.framework
    r = normalise(
        asem.ref("Treated"), "minmax", directions=fw.directions(), params={"lower": 0, "upper": 100}
    )
    assert_same(r.data, asem.ref("Normalised"), asem.indicators)
    co2 = r.data.loc["AUS", "CO2"]
    assert co2 == pytest.approx(30.9452, abs=1e-4)


def test_aggregate_from_normalised(asem):
    r = aggregate(asem.ref("Normalised"), asem.framework)
    ref = asem.ref("scores_all_levels")
    assert list(r.data.columns) == list(ref.columns)
    assert_same(r.data, ref, list(ref.columns))


@pytest.mark.parametrize(
    ("winmax", "logged"),
    [
        (
            1,
            {
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
            },
        ),
        (2, {"Bord", "Gas", "Services", "ForPort", "Tariff", "CultServ", "Poverty", "NGOs"}),
        (3, {"Services"}),
        (5, set()),
    ],
)
def test_winmax_variants_log_fallback(asem, chain, winmax, logged):
    """ALGORITHMS.md 4.5: which indicators fall back to log_CT for smaller winmax."""
    params = {**WINSORISE, "max_points": winmax}
    r = treat(chain["Screened"].data, "winsorise", params=params, framework=asem.framework)
    det = r.details.set_index("code")
    assert set(det.index[det["treatment"] == "log_ct"]) == logged
    pts = r.extras["points"]
    for code in logged:
        x = chain["Screened"].data[code]
        expected = np.log(x - x.min() + 0.01 * (x.max() - x.min()))
        assert np.allclose(r.data[code], expected, rtol=0, atol=1e-14)
        assert pts[code].str.endswith("+log_CT").all()
        assert (pts[code] == "+log_CT").sum() == len(pts) - int(det.loc[code, "nwin"])
    if logged:
        assert {"pass2", "skew2", "kurt2"} <= set(det.columns)
