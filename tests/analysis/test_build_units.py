"""The Build wrappers on builds that dropped indicators and on transformed/capped indicators.

Hand-made data chosen so that every expected value can be worked out on paper:

* ``c`` (transform log1p): values 0, 9, 99, 999, 9999 are ``ln 1, ln 10, ..., ln 10^4`` after
  the transform, so min-max gives exactly 0, 25, 50, 75, 100 points;
* ``m`` (cap upper 120): values 50, 85, 120, 130, 150 are capped to 50, 85, 120, 120, 120,
  so min-max gives 0, 50, 100, 100, 100 points;
* ``b`` has 2 of 5 values and falls to the indicator screen (coverage 0.6); ``e`` is optional
  and absent from the data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from analysis_helpers import make_framework
from hypothesis import given, settings
from hypothesis import strategies as st

from innolab.analysis import builds as bw
from innolab.analysis import whatif as wi
from innolab.analysis._maps import DataRule, IndicatorMap, as_rules
from innolab.analysis.gaps import gaps as gaps_of
from innolab.errors import ParameterError
from innolab.scoring.pipeline import build
from innolab.scoring.select import select

UNITS = ["A", "B", "C", "D", "E"]
NODES = [
    {"code": "I"},
    {"code": "P", "parent": "I"},
    {"code": "Q", "parent": "I"},
    {"code": "a", "parent": "P", "unit": "%"},
    {"code": "b", "parent": "P"},
    {"code": "c", "parent": "Q", "transform": "log1p", "unit": "per million"},
    {"code": "e", "parent": "Q", "optional": True},
    {"code": "m", "parent": "Q", "cap": {"upper": 120}, "unit": "per 100"},
]
FW = make_framework(NODES)
DATA = pd.DataFrame(
    {
        "iso3": UNITS,
        "a": [10.0, 20.0, 30.0, 40.0, 50.0],
        "b": [np.nan, np.nan, np.nan, 1.0, 2.0],
        "c": [0.0, 9.0, 99.0, 999.0, 9999.0],
        "m": [50.0, 85.0, 130.0, 120.0, 150.0],
    }
)
SPEC = {
    "screen": {"indicator_coverage": 0.6, "min_coverage": 0.0},
    "treat": {"method": "none"},
    "normalise": {"method": "minmax", "lower": 0, "upper": 100},
    "aggregate": {"method": "arithmetic"},
}


@pytest.fixture(scope="module")
def wide():
    return build(DATA, FW, SPEC)


@pytest.fixture(scope="module")
def tidy_build():
    """The same data through a tidy selection (cap and transform applied when selecting)."""
    long = DATA.melt(id_vars="iso3", var_name="indicator", value_name="value").dropna()
    sel = select(long.assign(year=2020), FW, 2020)
    return build(sel, FW, SPEC)


def test_build_inputs_drop_screened_and_absent_indicators(wide):
    bi = bw.build_inputs(wide)
    assert bi.dropped == ("b", "e")
    assert list(bi.framework.indicators) == ["a", "c", "m"]
    assert bi.values.columns.tolist() == ["a", "c", "m"]
    # own units: the values as given (the cap and the transform come after this table)
    assert bi.values["c"].tolist() == [0.0, 9.0, 99.0, 999.0, 9999.0]
    assert bi.values["m"].tolist() == [50.0, 85.0, 130.0, 120.0, 150.0]
    assert bi.rules["c"].transforms == ("log1p",) and bi.rules["m"].steps == (("cap", None, 120.0),)
    assert wide.scores["c"].round(9).tolist() == [0.0, 25.0, 50.0, 75.0, 100.0]
    assert wide.scores["m"].round(9).tolist() == [0.0, 50.0, 100.0, 100.0, 100.0]


def test_gaps_for_works_on_the_remaining_indicators_and_says_which_were_dropped(wide):
    g = bw.gaps_for(wide, "B", peers=UNITS, region=None)
    assert g.attrs["dropped"] == ["b", "e"]
    assert set(g["code"]) == {"a", "c", "m", "P", "Q", "I"}
    g = g.set_index(["code", "reference"])
    # c in own units: peers' median 99, best 9999 (not ln 100, ln 10^4)
    assert g.loc[("c", "peer_median"), ["value", "reference_value", "gap_value"]].tolist() == [
        9.0,
        99.0,
        90.0,
    ]
    assert g.loc[("c", "peer_best"), "gap_value"] == 9990.0
    assert g.loc[("c", "peer_median"), "gap_points"] == pytest.approx(25.0, abs=1e-9)
    # m: the median of the own values (50, 85, 120, 130, 150) is 120
    assert g.loc[("m", "peer_median"), "reference_value"] == 120.0
    with pytest.raises(ParameterError, match=r"dropped: \['b'\]"):
        bw.gaps_for(wide, "B", peers=UNITS, region=None, targets={"b": 1.0})


def test_gap_targets_in_own_units_are_exact_for_transformed_indicators(wide):
    g = bw.gaps_for(wide, "B", peers=UNITS, region=None, targets={"c": 999.0, "m": 200.0})
    t = g[g["reference"] == "target"].set_index("code")
    # 999 is ln 1000 after the transform: 75 points exactly (a chord through own units
    # between 99 and 9999 would give 50 + 25 * 900/9900 = 52.27)
    assert t.loc["c", "reference_score"] == pytest.approx(75.0, abs=1e-9)
    assert t.loc["c", "gap_value"] == 990.0
    # beyond the cap scores what the cap scores
    assert t.loc["m", "reference_score"] == pytest.approx(100.0, abs=1e-9)


def test_what_if_in_own_units_on_a_transformed_indicator(wide):
    res = bw.what_if_build(wide, "B", {"c": 999.0}).table.set_index("code")
    assert res.loc["c", ["value_before", "value_after"]].tolist() == [9.0, 999.0]
    assert res.loc["c", "score_after"] == pytest.approx(75.0, abs=1e-9)
    refit = bw.what_if_build(wide, "B", {"c": 999.0}, bounds="refit").table.set_index("code")
    assert refit.loc["c", "score_after"] == pytest.approx(75.0, abs=1e-9)
    for code in ("Q", "I"):
        assert res.loc[code, "score_after"] == pytest.approx(refit.loc[code, "score_after"])
    with pytest.raises(ParameterError, match="dropped"):
        bw.what_if_build(wide, "B", {"b": 3.0})
    with pytest.raises(ParameterError, match="outside the domain"):
        bw.what_if_build(wide, "B", {"c": -5.0})


def test_close_gap_build_states_the_plan_in_raw_units_within_bounds(wide):
    # A: c at 0 points; reaching 75 points on c needs c = 999 (ln 1000), in raw units
    plan = bw.close_gap_build(wide, "A", code="c", target=75.0)
    assert plan.reached and plan.dropped == ("b", "e")
    assert plan.plan["code"].tolist() == ["c"]
    assert plan.plan["value_after"].iloc[0] == pytest.approx(999.0, rel=1e-9)
    # m is capped at 120: the most the solver proposes is the cap, not the best raw value 150
    full = bw.close_gap_build(wide, "A", code="m", target=100.0)
    assert full.plan["value_after"].iloc[0] == pytest.approx(120.0, rel=1e-12)
    # the whole index: rank 1; dropped indicators are never candidates
    top = bw.close_gap_build(wide, "A", rank=1)
    assert top.reached and not set(top.plan["code"]) & {"b", "e"}
    applied = bw.what_if_build(wide, "A", top.changes)
    assert applied.ranks.loc["A", "I"] == 1
    # a limit in raw units below the best observed value bounds the move
    lim = bw.close_gap_build(wide, "A", code="c", target=100.0, limits={"c": 99.0})
    assert not lim.reached and lim.plan["value_after"].iloc[0] == pytest.approx(99.0)
    # and the refit check (min-max bounds move with the data) reaches it too
    refit = bw.close_gap_build(wide, "A", rank=1, bounds="refit")
    assert refit.reached and refit.dropped == ("b", "e")


def test_tidy_selection_build_gives_values_back_in_own_units(tidy_build, wide):
    bi = bw.build_inputs(tidy_build)
    # the selection applied log1p and the cap; the analysis layer undoes both
    assert tidy_build.raw.loc["E", "m"] == 120.0
    assert tidy_build.raw.loc["B", "c"] == pytest.approx(np.log(10.0))
    assert bi.values["c"].to_numpy() == pytest.approx([0.0, 9.0, 99.0, 999.0, 9999.0], rel=1e-12)
    assert bi.values["m"].tolist() == [50.0, 85.0, 130.0, 120.0, 150.0]
    assert bi.dropped == ("b", "e")
    pd.testing.assert_frame_equal(tidy_build.scores, wide.scores, check_names=False)
    g = bw.gaps_for(tidy_build, "B", peers=UNITS, region=None)
    ref = bw.gaps_for(wide, "B", peers=UNITS, region=None)
    pd.testing.assert_frame_equal(g, ref, check_exact=False, rtol=1e-12)
    plan = bw.close_gap_build(tidy_build, "A", code="c", target=75.0)
    assert plan.plan["value_after"].iloc[0] == pytest.approx(999.0, rel=1e-9)


def test_data_rules_parse_and_invert():
    r = DataRule.from_parts("None..120.0", "log1p")
    assert r.steps == (("cap", None, 120.0), ("transform", "log1p"))
    assert r.forward(150.0) == pytest.approx(np.log1p(120.0))
    assert r.inverse(np.log1p(99.0)) == pytest.approx(99.0)
    assert not DataRule.from_parts(None, "none")
    assert DataRule.from_parts({"lower": 0}).forward(-3.0) == 0.0
    with pytest.raises(ParameterError, match="no inverse"):
        DataRule.from_parts(transform="boxcox")
    assert set(as_rules("framework", FW)) == {"c", "m"}
    with pytest.raises(ParameterError, match="unknown keys"):
        as_rules({"c": {"shift": 1}})
    m = IndicatorMap.fit("c", pd.Series([0.0, 9.0, 99.0]), pd.Series([0.0, 50.0, 100.0]), 1, r)
    assert m.best_value == pytest.approx(99.0) and m.to_value(50.0) == pytest.approx(9.0)


# --- properties with data rules -----------------------------------------------------------
_RULES = st.sampled_from(
    [
        {},
        {"transform": "log1p"},
        {"transform": "sqrt"},
        {"cap": (None, 60.0)},
        {"cap": (5.0, 70.0), "transform": "log1p"},
    ]
)
PFW = make_framework(
    [
        {"code": "I"},
        {"code": "P", "parent": "I"},
        {"code": "x", "parent": "P"},
        {"code": "y", "parent": "P", "direction": -1, "weight": 2},
        {"code": "Q", "parent": "I"},
        {"code": "z", "parent": "Q"},
    ]
)


@st.composite
def _ruled_case(draw):
    n = draw(st.integers(3, 6))
    vals = pd.DataFrame(
        {
            c: draw(st.lists(st.floats(0, 100, allow_nan=False), min_size=n, max_size=n))
            for c in "xyz"
        },
        index=[f"U{i}" for i in range(n)],
    )
    rules = as_rules({c: draw(_RULES) for c in "xyz"})
    pts = {}
    for c in "xyz":
        d = float(PFW.directions()[c])
        t = d * (rules[c].forward(vals[c].to_numpy()) if c in rules else vals[c].to_numpy())
        rng = t.max() - t.min()
        pts[c] = (t - t.min()) / rng * 100 if rng > 0 else np.full(n, 50.0)
    scores = wi.aggregate_scores(pd.DataFrame(pts, index=vals.index), PFW)
    return vals, rules, scores, draw(st.integers(0, n - 1))


@settings(max_examples=25, deadline=None)
@given(case=_ruled_case(), which=st.sampled_from("xyz"), step=st.floats(0, 150))
def test_improving_never_lowers_the_score_with_data_rules(case, which, step):
    vals, rules, s, k = case
    iso3 = vals.index[k]
    better = float(vals.loc[iso3, which]) + float(PFW.directions()[which]) * step
    if which in rules and np.isnan(rules[which].forward(better)):
        return  # outside the transform's domain: refused, tested elsewhere
    res = wi.what_if(iso3, {which: better}, s, vals, PFW, rules=rules)
    for code in [which, *PFW.ancestors(which)]:
        assert res.scores.loc[iso3, code] >= s.loc[iso3, code] - 1e-9


@settings(max_examples=25, deadline=None)
@given(case=_ruled_case(), rank=st.integers(1, 3))
def test_solver_answer_in_own_units_reaches_the_goal_with_data_rules(case, rank):
    vals, rules, s, k = case
    iso3 = vals.index[k]
    plan = wi.close_gap(iso3, s, vals, PFW, rank=rank, rules=rules)
    goal = wi.goal_score(iso3, s, "I", rank=rank)
    applied = wi.what_if(iso3, plan.changes, s, vals, PFW, rules=rules)
    model = wi.FixedBoundsModel.fit(s, vals, PFW, rules=rules)
    for row in plan.plan.itertuples():  # within bounds: never past the best observed value
        d = float(PFW.directions()[row.code])
        best = model.maps[row.code].best_value
        assert d * row.value_after <= d * best + 1e-9 * max(1.0, abs(best))
        if row.code in rules and rules[row.code].steps[0][0] == "cap":
            hi = rules[row.code].steps[0][2]
            assert row.value_after <= hi + 1e-9 * hi
    if plan.reached:
        assert applied.scores.loc[iso3, "I"] >= goal - 1e-9
        assert applied.ranks.loc[iso3, "I"] <= rank
    else:
        best = {c: m.best_value for c, m in model.maps.items()}
        assert wi.what_if(iso3, best, s, vals, PFW, rules=rules).scores.loc[iso3, "I"] < goal


@settings(max_examples=25, deadline=None)
@given(case=_ruled_case(), which=st.sampled_from("xyz"))
def test_gap_is_zero_for_the_frontier_country_with_data_rules(case, which):
    vals, rules, s, _ = case
    d = float(PFW.directions()[which])
    best = (d * vals[which]).idxmax()  # the most favourable own value
    g = gaps_of(
        best, s, vals, PFW, peers=[best], region=list(vals.index), codes=[which], rules=rules
    )
    row = g[g["reference"] == "region_frontier"].iloc[0]
    assert row["gap_points"] == 0.0 and row["gap_value"] == 0.0


# --- export of every table -----------------------------------------------------------------
def test_flatten_spec_of_a_pipeline_spec_gives_one_row_per_setting(wide):
    from innolab.analysis.export import flatten_spec

    rows = dict(flatten_spec(wide.spec))
    assert rows["normalise.method"] == "minmax" and rows["normalise.upper"] == "100"
    assert rows["screen.indicator_coverage"] == "0.6" and "steps" not in rows


def test_analysis_tables_known_answers(wide):
    t = bw.analysis_tables(wide, "B", peers=UNITS, region=None)
    # I = (P + Q)/2 with P = a (b dropped), Q = (c + m)/2 (e absent):
    # A 0, B 31.25, C 62.5, D 81.25, E 100; mean 55
    pg = t["performance_groups"].set_index("iso3")
    assert pg["ratio"].round(6).tolist() == [0.0, 56.818182, 113.636364, 147.727273, 181.818182]
    assert pg["group"].tolist() == ["emerging", "emerging", "strong", "leader", "leader"]
    mb = t["maturity_bands"].set_index(["iso3", "code"])
    assert mb.loc[("B", "P"), "band"] == "emerging" and mb.loc[("B", "Q"), "score"] == 37.5
    assert t["notes"]["item"].tolist() == ["b", "e"]
    assert t["scores"].set_index("iso3").loc["B", "rank"] == 4
    ps = t["peer_strengths"].set_index("code")
    # B's c: 25 against A, C, D, E = 0, 50, 75, 100 (mean 56.25, sd 43.30): no verdict
    assert ps.loc["c", "peer_mean"] == 56.25 and ps.loc["c", "kind"] == ""
    assert {"gaps", "strengths", "cronbach", "correlations"} <= set(t)
    assert t["strengths"].set_index("code").loc["c", "value"] == 9.0  # own units


def test_export_analysis_writes_csvs_and_a_workbook_with_units_and_spec(wide, tmp_path):
    paths = bw.export_analysis(wide, "B", tmp_path, peers=UNITS, region=None)
    assert paths[-1].name == "analysis.xlsx" and (tmp_path / "gaps.csv") in paths
    about = pd.read_excel(paths[-1], sheet_name="About")
    units = dict(about[about["section"] == "unit"][["item", "value"]].values.tolist())
    assert units["c"] == "per million" and units["m"] == "per 100"
    assert units["gap_value"].startswith("own units, direction-aware")
    spec = dict(about[about["section"] == "spec"][["item", "value"]].values.tolist())
    assert spec["aggregate.method"] == "arithmetic"
    gaps_csv = pd.read_csv(tmp_path / "gaps.csv")
    row = gaps_csv[(gaps_csv["code"] == "c") & (gaps_csv["reference"] == "peer_best")]
    assert row["reference_value"].tolist() == [9999.0]
    more = bw.export_analysis(
        wide,
        "B",
        tmp_path / "more",
        peers=UNITS,
        region=None,
        coherence=False,
        extra={"trends": pd.DataFrame({"iso3": ["B"], "change": [1.5]})},
    )
    assert [p.name for p in more][-2:] == ["trends.csv", "analysis.xlsx"]
    with pytest.raises(ParameterError, match="already exported"):
        bw.export_analysis(
            wide, "B", tmp_path, peers=UNITS, region=None, extra={"gaps": pd.DataFrame()}
        )


def test_nearest_gdp_peers_use_the_builds_own_gdp_per_capita():
    fw = make_framework(
        [
            {"code": "I"},
            {"code": "a", "parent": "I"},
            {"code": "NY.GDP.PCAP.PP.KD", "parent": "I", "transform": "log1p"},
        ]
    )
    df = pd.DataFrame(
        {
            "iso3": UNITS,
            "a": [1.0, 2.0, 3.0, 4.0, 5.0],
            "NY.GDP.PCAP.PP.KD": [1000.0, 1500.0, 4000.0, 9000.0, 16000.0],
        }
    )
    b = build(df, fw, {k: v for k, v in SPEC.items() if k != "screen"})
    g = bw.gaps_for(b, "C", peers="nearest_gdp", region=None, k=2)
    # ln(9000/4000) = 0.81 < ln(4000/1500) = 0.98 < ln 4 = 1.39: D and B
    assert g[g["reference"] == "peer_best"]["n_reference"].iloc[0] == 2
    best = g[(g["code"] == "a") & (g["reference"] == "peer_best")]["reference_value"].iloc[0]
    assert best == 4.0  # D's value: the best of D and B


def test_refit_on_a_tidy_selection_build_applies_the_rules_to_the_change(tidy_build, wide):
    if "data" not in __import__("inspect").signature(tidy_build.rebuild).parameters:
        pytest.skip("Build.rebuild(data=...) is not available")
    new = bw.refit_with(tidy_build, "B", {"c": 999.0, "m": 140.0})
    # the recorded raw table is on the selection's scale: log1p, and the cap at 120
    assert new.raw.loc["B", "c"] == pytest.approx(np.log1p(999.0))
    assert new.raw.loc["B", "m"] == 120.0
    res = bw.what_if_build(tidy_build, "B", {"c": 999.0}, bounds="refit").table.set_index("code")
    ref = bw.what_if_build(wide, "B", {"c": 999.0}, bounds="refit").table.set_index("code")
    assert res.loc["c", "score_after"] == pytest.approx(75.0, abs=1e-9)
    pd.testing.assert_frame_equal(res, ref, check_exact=False, rtol=1e-12)
    plan = bw.close_gap_build(tidy_build, "A", rank=1, bounds="refit")
    assert plan.reached and plan.rank_after == 1


def test_a_pillar_without_any_scored_indicator_is_dropped_with_them():
    data = DATA.assign(a=[np.nan, np.nan, np.nan, 1.0, 2.0])  # P loses a and b
    b = build(data, FW, SPEC)
    bi = bw.build_inputs(b)
    assert bi.dropped == ("a", "b", "e", "P") and "P" not in bi.scores.columns
    # I = Q alone (weights re-normalised): Q = (c + m)/2
    assert bi.scores["I"].tolist() == bi.scores["Q"].tolist() == [0.0, 37.5, 75.0, 87.5, 100.0]
    fixed = bw.what_if_build(b, "A", {"c": 99.0}).table.set_index("code")
    assert fixed.index.tolist() == ["c", "m", "Q", "I"]
    assert fixed.loc["I", "score_after"] == pytest.approx(25.0)  # c 50 points, m 0
    # refit: B's ln 10 becomes the minimum, so A's ln 100 is 1/3 of the way to ln 10^4
    res = bw.what_if_build(b, "A", {"c": 99.0}, bounds="refit").table.set_index("code")
    assert res.index.tolist() == ["c", "m", "Q", "I"]
    assert res.loc["I", "score_after"] == pytest.approx(100.0 / 6.0, rel=1e-12)
    assert bw.close_gap_build(b, "A", rank=1).reached
    t = bw.analysis_tables(b, "A", peers=UNITS, region=None, coherence=False)
    assert t["notes"]["item"].tolist() == ["a", "b", "e", "P"]
