"""Expert ratings: grid summaries, enabler -> pillar mapping, expert view vs data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from analysis_helpers import make_framework

from innolab.analysis import ratings as ra
from innolab.errors import FrameworkError, ParameterError
from innolab.framework import load_framework

RATINGS = pd.DataFrame(
    {
        "iso3": ["KEN"] * 5 + ["NGA"],
        "stakeholder": ["academia", "academia", "financing", "financing", "academia", "academia"],
        "enabler": [
            "talent_champions",
            "capital_resources",
            "talent_champions",
            "capital_resources",
            "talent_champions",
            "talent_champions",
        ],
        "rating": [4.0, 2.0, 2.0, 1.0, 5.0, 3.0],
        "respondents": [3, 1, 1, 2, 1, 4],
    }
)


def test_summary_is_respondent_weighted():
    s = ra.ratings_summary(RATINGS)
    ken = s[s["iso3"] == "KEN"].set_index(["scope", "stakeholder", "enabler"])
    # academia x talent: (4*3 + 5*1)/4 = 4.25 from 2 ratings, 4 respondents
    cell = ken.loc[("cell", "academia", "talent_champions")]
    assert (cell["mean"], cell["n_ratings"], cell["respondents"]) == (4.25, 2, 4.0)
    # academia row: (12 + 2 + 5)/5 = 3.8; talent column: (12 + 2 + 5)/5 = 3.8
    assert ken.loc[("stakeholder", "academia", None), "mean"] == pytest.approx(3.8)
    assert ken.loc[("enabler", None, "capital_resources"), "mean"] == pytest.approx(4 / 3)
    assert ken.loc[("overall", None, None), "mean"] == pytest.approx(23 / 8)
    grid = ra.ratings_grid(RATINGS, "KEN")
    assert grid.loc["financing", "capital_resources"] == 1.0
    assert grid.loc["mean", "mean"] == pytest.approx(23 / 8)
    assert np.isnan(grid.loc["public_sector", "talent_champions"])
    unweighted = ra.ratings_summary(RATINGS.drop(columns="respondents"))
    u = unweighted[(unweighted["iso3"] == "KEN") & (unweighted["scope"] == "overall")]
    assert u["mean"].iloc[0] == pytest.approx(14 / 5)


def test_ratings_are_validated():
    with pytest.raises(ParameterError, match="unknown stakeholders"):
        ra.ratings_summary(RATINGS.assign(stakeholder="students"))
    with pytest.raises(ParameterError, match="outside 1-5, e.g. KEN"):
        ra.ratings_summary(RATINGS.assign(rating=[6.0, 2, 2, 1, 5, 3]))
    with pytest.raises(ParameterError, match="respondents"):
        ra.ratings_summary(RATINGS.assign(respondents=0))
    with pytest.raises(ParameterError, match="no ratings for GHA"):
        ra.ratings_grid(RATINGS, "GHA")


def test_enabler_pillars_from_the_default_framework():
    m = ra.enabler_pillars(load_framework("digital_innovation"))
    pairs = set(map(tuple, m[["enabler", "code"]].values.tolist()))
    assert ("talent_champions", "HUMAN") in pairs
    assert ("policy_regulation", "POLICY") in pairs and ("vision_strategy", "POLICY") in pairs
    assert m["enabler"].tolist()[0] == "vision_strategy"  # canvas order
    bad = make_framework(
        [
            {"code": "I"},
            {"code": "P", "parent": "I", "canvas_block": "Fun"},
            {"code": "a", "parent": "P"},
        ]
    )
    with pytest.raises(FrameworkError, match="P: canvas_block 'Fun'"):
        ra.enabler_pillars(bad)


def test_expert_vs_data_flags_more_than_one_band():
    fw = make_framework(
        [
            {"code": "I"},
            {"code": "T", "parent": "I", "canvas_block": "Talent & Champions"},
            {"code": "C", "parent": "I", "canvas_block": "capital_resources"},
            {"code": "a", "parent": "T"},
            {"code": "b", "parent": "C"},
        ]
    )
    scores = pd.DataFrame({"T": [90.0, 50.0], "C": [20.0, 0.0]}, index=["KEN", "NGA"])
    out = ra.expert_vs_data(RATINGS, scores, fw).set_index(["iso3", "enabler"])
    talent = out.loc[("KEN", "talent_champions")]
    # KEN talent mean (12 + 2 + 5)/5 = 3.8 -> 70 points (established) vs data 90 (mature)
    assert talent["expert"] == pytest.approx(70.0) and talent["expert_band"] == "established"
    assert talent["data_band"] == "mature" and talent["band_steps"] == -1
    assert talent["difference"] == pytest.approx(-20.0) and not talent["disagree"]
    cap = out.loc[("KEN", "capital_resources")]  # 4/3 -> 8.33 points vs 20
    assert cap["difference"] == pytest.approx(25 / 3 - 20) and not cap["disagree"]
    nga = out.loc[("NGA", "talent_champions")]  # 3 -> 50 vs 50
    assert nga["difference"] == 0.0 and nga["pillars"] == "T"
    far = ra.expert_vs_data(RATINGS, scores.assign(T=[10.0, 50.0]), fw)
    assert far.set_index(["iso3", "enabler"]).loc[("KEN", "talent_champions"), "disagree"]
    with pytest.raises(ParameterError, match="outside 0-100"):
        ra.expert_vs_data(RATINGS, scores - 50, fw)
