"""The demo country study's gaps and plan come from the analysis layer in own units.

The demo build is selected from a tidy table, so the framework's log1p transforms and the cap
on mobile subscriptions were applied before the build; the study must still show the values as
the data gave them, read from the analysis layer (gaps_for, close_gap_build).
"""

from __future__ import annotations

import numpy as np
import pytest

from innolab import config, studies
from innolab.analysis import builds as bw
from innolab.store import build as store_build


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    out = tmp_path_factory.mktemp("processed")
    store_build(config.RAW_DIR, out)
    d = studies.load_processed(out)
    return d, studies.country_study("XAA", 2023, "digital_innovation", "income_group", d)


def _latest(d, iso3, code):
    p = d.panel.query("iso3 == @iso3 and indicator == @code and year <= 2023")
    return float(p.sort_values("year")["value"].iloc[-1])


@pytest.mark.filterwarnings("ignore")
def test_demo_gaps_and_plan_are_in_own_units(study):
    d, s = study
    b = s.build
    g = s.gaps.set_index(["code", "reference"])
    # secure servers are log1p-transformed in the build, shown as data: per million people
    code = "IT.NET.SECR.P6"
    assert b.raw.at["XAA", code] == pytest.approx(np.log1p(_latest(d, "XAA", code)))
    assert g.loc[(code, "peer_median"), "value"] == pytest.approx(_latest(d, "XAA", code))
    peers = s.peers
    own = [_latest(d, u, code) for u in peers if code in set(d.panel.query("iso3 == @u").indicator)]
    assert g.loc[(code, "peer_best"), "reference_value"] == pytest.approx(max(own))
    # direction-aware gap in own units
    row = g.loc[(code, "peer_median")]
    assert row["gap_value"] == pytest.approx(row["reference_value"] - row["value"])
    assert bw.own_values(b).at["XAA", code] == pytest.approx(_latest(d, "XAA", code))
    # the plan is stated in own units and, applied to the build, reaches the peers' median
    assert len(s.gap_plan) > 0
    plan = bw.close_gap_build(b, "XAA", peers=[u for u in peers if u != "XAA"])
    for r in plan.plan.itertuples():
        assert r.value_before == pytest.approx(_latest(d, "XAA", r.code))
    applied = bw.what_if_build(b, "XAA", plan.changes)
    assert applied.scores.at["XAA", b.framework.root] >= plan.target - 1e-9
