"""The Build wrappers on the real pipeline: COINr's default ASEM build end to end."""

from __future__ import annotations

import pandas as pd
import pytest
from analysis_helpers import shared_or_skip

from innolab.analysis import builds as bw
from innolab.errors import ParameterError
from innolab.framework import load_framework
from innolab.scoring import COINR_ASEM_SPEC

SPEC = COINR_ASEM_SPEC


@pytest.fixture(scope="module")
def asem_build():
    from innolab.scoring.pipeline import build

    fw = load_framework(shared_or_skip("data", "coinr-asem", "ASEM_iMeta.csv"))
    data = pd.read_csv(shared_or_skip("data", "coinr-asem", "ASEM_iData.csv"))
    return build(data, fw, SPEC)


def test_coherence_tables_of_the_build_match_coinr(asem_build, asem):
    t = bw.coherence_tables(asem_build)
    ref = pd.read_csv(asem["analysis"] / "cronbach_normalised_by_pillar.csv").set_index("group")
    got = t["cronbach"].set_index("group")["cronbach_alpha"].reindex(ref.index)
    assert (got - ref["cronbach_alpha"]).abs().max() <= 1e-12
    corr = pd.read_csv(asem["analysis"] / "corr_pillars_vs_index.csv")
    diff = t["corr_pillars_index"]["Correlation_unfiltered"] - corr["Correlation_unfiltered"]
    assert diff.abs().max() <= 1e-12


def test_fixed_and_refit_agree_inside_the_observed_range(asem_build):
    fixed = bw.what_if_build(asem_build, "AUS", {"CO2": 5.0}).table.set_index("code")
    refit = bw.what_if_build(asem_build, "AUS", {"CO2": 5.0}, bounds="refit").table.set_index(
        "code"
    )
    for c in ("CO2", "Environ", "Sust", "Index"):
        assert fixed.loc[c, "score_after"] == pytest.approx(refit.loc[c, "score_after"], abs=1e-9)
    assert fixed.loc["Index", "rank_after"] == refit.loc["Index", "rank_after"] == 34
    with pytest.raises(ParameterError, match="bounds"):
        bw.what_if_build(asem_build, "AUS", {"CO2": 5.0}, bounds="loose")


def test_refit_converts_denominated_values_back_to_raw(asem_build):
    new = bw.refit_with(asem_build, "AUS", {"Flights": 0.002})
    assert new.table("denominated").loc["AUS", "Flights"] == pytest.approx(0.002, rel=1e-12)
    assert new.raw.loc["AUS", "Flights"] == pytest.approx(0.002 * 24450.561, rel=1e-6)


def test_close_gap_with_refit_reaches_the_rank(asem_build):
    gp = bw.close_gap_build(asem_build, "AUS", rank=10, bounds="refit")
    assert gp.reached and gp.rank_after <= 10 and gp.rank_before == 35
    final = {}
    for row in gp.plan.itertuples():
        final[row.code] = row.value_after
    check = bw.refit_with(asem_build, "AUS", final)
    assert check.ranks.loc["AUS", "Index"] <= 10


def test_gaps_and_strengths_on_the_build(asem_build):
    cls = pd.Series("Europe", index=asem_build.scores.index)
    cls[["AUS", "NZL", "JPN", "KOR", "CHN"]] = "AsiaPac"
    g = bw.gaps_for(asem_build, "AUS", peers="grp", region="grp", classifications={"grp": cls})
    idx = g[(g["code"] == "Index") & (g["reference"] == "peer_best")].iloc[0]
    assert idx["n_reference"] == 5
    assert (
        idx["reference_score"] == asem_build.scores.loc[cls.index[cls == "AsiaPac"], "Index"].max()
    )
    coinr = bw.strengths_for(asem_build, "AUS", n=5, rule="coinr", table="raw")
    assert coinr["code"].tolist()[:2] == ["StMob", "Tariff"]
