"""What-if and closing the gap: hand cases, COINr aggregation parity, and properties."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from analysis_helpers import make_framework
from hypothesis import given, settings
from hypothesis import strategies as st

from innolab.analysis import whatif as wi
from innolab.errors import ComputationError, ParameterError

# I = (P + Q)/2, P = (a + b)/2, Q = c: effective weights a 1/4, b 1/4, c 1/2
FW = make_framework(
    [
        {"code": "I"},
        {"code": "P", "parent": "I"},
        {"code": "Q", "parent": "I"},
        {"code": "a", "parent": "P", "unit": "%"},
        {"code": "b", "parent": "P", "direction": -1},
        {"code": "c", "parent": "Q"},
    ]
)
VALS = pd.DataFrame(
    {"a": [0.0, 50.0, 100.0, 25.0], "b": [10.0, 0.0, 5.0, 10.0], "c": [1.0, 3.0, 5.0, 2.0]},
    index=pd.Index(["X", "Y", "Z", "W"], name="iso3"),
)


def _minmax(vals, fw):
    adj = vals * fw.directions()
    return (adj - adj.min()) / (adj.max() - adj.min()) * 100


def _scores(vals=VALS, fw=FW, method="arithmetic"):
    return wi.aggregate_scores(_minmax(vals, fw), fw, method=method)


def test_aggregate_scores_hand_and_coinr_parity(asem):
    s = _scores()
    # X: a 0, b 0, c 0 -> 0; Y: a 50, b 100, c 50 -> P 75, I 62.5
    assert s.loc["Y", ["P", "Q", "I"]].tolist() == [75.0, 50.0, 62.5]
    assert s.loc["W", "I"] == pytest.approx((12.5 + 25.0) / 2, abs=1e-13)
    fw, ref = asem["framework"], asem["scores"]
    got = wi.aggregate_scores(ref[fw.indicators], fw)
    assert list(got.columns[:49]) == fw.indicators
    assert (got - ref[got.columns]).abs().max().max() <= 1e-12


def test_geometric_aggregation_and_its_errors():
    pts = pd.DataFrame({"a": [4.0], "b": [1.0], "c": [8.0]}, index=["X"])
    g = wi.aggregate_scores(pts, FW, method="geometric")
    assert g.loc["X", "P"] == pytest.approx(2.0, abs=1e-14)
    assert g.loc["X", "I"] == pytest.approx(4.0, abs=1e-14)
    with pytest.raises(ComputationError, match="X has b = 0"):
        wi.aggregate_scores(pts.assign(b=0.0), FW, method="geometric")
    with pytest.raises(ParameterError, match="harmonic"):
        wi.aggregate_scores(pts, FW, method="harmonic")


def test_what_if_hand_values():
    s = _scores()
    res = wi.what_if("X", {"a": 50.0, "c": 4.0}, s, VALS, FW)
    t = res.table.set_index("code")
    # a 50 -> 50 points; c 4 -> 75 points; P = 25, I = (25 + 75)/2 = 50
    assert t.loc["a", ["value_before", "value_after", "score_after"]].tolist() == [0.0, 50.0, 50.0]
    assert t.loc["I", "score_after"] == 50.0
    # I before: X 0, Y 62.5, Z (100 + 50)/2/2 + 50 = 87.5... ranks after: Z, Y, X(50), W
    assert t.loc["I", ["rank_before", "rank_after", "rank_change"]].tolist() == [4.0, 3.0, 1.0]
    assert np.isnan(t.loc["P", "value_before"])
    # other units unchanged
    pd.testing.assert_frame_equal(res.scores.drop(index="X"), s.drop(index="X"))
    # beyond the best observed value: clipped to the best score
    assert wi.what_if("X", {"a": 500.0}, s, VALS, FW).scores.loc["X", "a"] == 100.0
    with pytest.raises(ParameterError, match="'P' is not an indicator"):
        wi.what_if("X", {"P": 1.0}, s, VALS, FW)
    with pytest.raises(ParameterError, match="finite"):
        wi.what_if("X", {"a": float("nan")}, s, VALS, FW)


def test_model_refuses_scores_from_another_aggregation():
    s = _scores()
    s.loc["Y", "I"] += 1.0
    with pytest.raises(ComputationError, match="not produced by arithmetic"):
        wi.FixedBoundsModel.fit(s, VALS, FW)


def test_what_if_on_asem_hits_the_knots(asem):
    fw, s, imp = asem["framework"], asem["scores"], asem["imputed"]
    same = wi.what_if("AUS", {}, s, imp, fw)
    assert (same.table["change"] == 0).all()
    # AUS takes Japan's CO2 value: AUS's CO2 points become Japan's exactly
    res = wi.what_if("AUS", {"CO2": float(imp.loc["JPN", "CO2"])}, s, imp, fw)
    assert res.scores.loc["AUS", "CO2"] == pytest.approx(s.loc["JPN", "CO2"], abs=1e-12)
    t = res.table.set_index("code")
    assert t.loc["Environ", "change"] > 0 and t.loc["Index", "change"] > 0
    assert t.loc["Conn", "change"] == 0


def test_goal_score():
    s = pd.DataFrame({"I": [10.0, 30.0, 20.0, 40.0, np.nan]}, index=list("ABCDE"))
    assert wi.goal_score("A", s, "I", peers=["A", "B", "C"]) == 25.0
    assert wi.goal_score("A", s, "I", rank=1) == 40.0
    assert wi.goal_score("A", s, "I", rank=4) == -np.inf
    assert wi.goal_score("A", s, "I", score=12.0) == 12.0
    with pytest.raises(ParameterError, match="exactly one"):
        wi.goal_score("A", s, "I", rank=1, score=3.0)
    with pytest.raises(ParameterError, match="rank"):
        wi.goal_score("A", s, "I", rank=0)


def test_close_gap_hand_plan():
    s = _scores()
    # X: I = 0. Goal I >= 30. c (gain 1/2 per point) first: full move 0 -> 100 points gives
    # I = 50 >= 30, so c moves only to 60 points = value 1 + 0.6 * 4 = 3.4
    gp = wi.close_gap("X", s, VALS, FW, target=30.0)
    assert gp.reached and gp.plan["code"].tolist() == ["c"]
    assert gp.plan["value_after"].iloc[0] == pytest.approx(3.4, abs=1e-9)
    assert gp.effort == pytest.approx(60.0, abs=1e-9)
    assert gp.score_after >= 30.0
    # c costs 3 per point: a and b (1/4 per point each, 1 per point of effort) come first;
    # a in full (+25), then b (lower is better) from 10 to 8 (20 points, +5)
    gp2 = wi.close_gap("X", s, VALS, FW, target=30.0, cost={"c": 3.0})
    assert gp2.plan["code"].tolist() == ["a", "b"]
    assert gp2.plan["value_after"].tolist() == pytest.approx([100.0, 8.0], abs=1e-9)
    assert gp2.plan["score_gain"].tolist() == pytest.approx([25.0, 5.0], abs=1e-9)
    assert gp2.effort == pytest.approx(120.0, abs=1e-9)
    # limits: a at most 10 % -> b in full (+25, larger gain at equal efficiency), a to its
    # limit (+2.5), then c for the rest (5 points)
    gp3 = wi.close_gap("X", s, VALS, FW, target=30.0, cost={"c": 3.0}, limits={"a": 10.0})
    assert gp3.plan["code"].tolist() == ["b", "a", "c"]
    assert gp3.plan["value_after"].tolist() == pytest.approx([0.0, 10.0, 1.2], abs=1e-9)
    # a pillar goal: the peer median of P over Y, Z, W (75, 75, 62.5/... ) is reachable via a, b
    gp4 = wi.close_gap("X", s, VALS, FW, code="P", peers=["Y", "Z", "W"])
    assert gp4.reached and set(gp4.plan["code"]) <= {"a", "b"}
    assert gp4.score_after >= wi.goal_score("X", s, "P", peers=["Y", "Z", "W"])
    # rank goal and infeasible goals
    assert wi.close_gap("X", s, VALS, FW, rank=1).rank_after == 1
    bad = wi.close_gap("X", s, VALS, FW, target=101.0)
    assert not bad.reached and len(bad.plan) == 3
    assert wi.close_gap("Z", s, VALS, FW, rank=4).plan.empty  # already there
    with pytest.raises(ParameterError, match="candidates"):
        wi.close_gap("X", s, VALS, FW, target=30.0, code="P", candidates=["c"])


def test_close_gap_on_asem_reaches_rank_10(asem):
    fw, s, imp = asem["framework"], asem["scores"], asem["imputed"]
    gp = wi.close_gap("AUS", s, imp, fw, rank=10)
    assert gp.reached and gp.rank_after <= 10 and gp.rank_before == 35
    check = wi.what_if("AUS", gp.changes, s, imp, fw)
    assert check.ranks.loc["AUS", "Index"] <= 10
    assert check.scores.loc["AUS", "Index"] == pytest.approx(gp.score_after, abs=1e-12)


_units = st.integers(min_value=3, max_value=6)


@st.composite
def _case(draw):
    n = draw(_units)
    cols = {
        c: draw(st.lists(st.floats(0, 100, allow_nan=False), min_size=n, max_size=n, unique=True))
        for c in "abc"
    }
    vals = pd.DataFrame(cols, index=[f"U{i}" for i in range(n)])
    w = [draw(st.sampled_from([0.5, 1.0, 2.0])) for _ in range(5)]
    fw = make_framework(
        [
            {"code": "I"},
            {"code": "P", "parent": "I", "weight": w[0]},
            {"code": "Q", "parent": "I", "weight": w[1]},
            {"code": "a", "parent": "P", "weight": w[2]},
            {"code": "b", "parent": "P", "direction": -1, "weight": w[3]},
            {"code": "c", "parent": "Q", "weight": w[4]},
        ]
    )
    return vals, fw, draw(st.integers(0, n - 1))


@settings(max_examples=20, deadline=None)
@given(case=_case(), rank=st.integers(1, 3), use_rank=st.booleans())
def test_solver_answer_applied_reaches_the_goal(case, rank, use_rank):
    vals, fw, k = case
    s = _scores(vals, fw)
    iso3 = vals.index[k]
    if use_rank:
        gp = wi.close_gap(iso3, s, vals, fw, rank=rank)
        goal = wi.goal_score(iso3, s, "I", rank=rank)
    else:
        peers = [u for u in vals.index if u != iso3]
        gp = wi.close_gap(iso3, s, vals, fw, code="P", peers=peers)
        goal = wi.goal_score(iso3, s, "P", peers=peers)
    applied = wi.what_if(iso3, gp.changes, s, vals, fw)
    node = "I" if use_rank else "P"
    if gp.reached:
        assert applied.scores.loc[iso3, node] >= goal
        if use_rank:
            assert applied.ranks.loc[iso3, "I"] <= rank
    else:  # even the best observed values fall short
        best = {c: wi.FixedBoundsModel.fit(s, vals, fw).maps[c].best_value for c in "abc"}
        assert wi.what_if(iso3, best, s, vals, fw).scores.loc[iso3, node] < goal


@settings(max_examples=20, deadline=None)
@given(case=_case(), which=st.sampled_from(["a", "b", "c"]), step=st.floats(0, 200))
def test_improving_an_indicator_never_lowers_the_score(case, which, step):
    vals, fw, k = case
    s = _scores(vals, fw)
    iso3 = vals.index[k]
    d = float(fw.directions()[which])
    better = float(vals.loc[iso3, which]) + d * step
    res = wi.what_if(iso3, {which: better}, s, vals, fw)
    for code in [which, *fw.ancestors(which)]:
        assert res.scores.loc[iso3, code] >= s.loc[iso3, code] - 1e-12
