"""The default framework scores the real WDI extracts (shared/data/wdi) for a recent year.

The tidy table and the country metadata are read in place with pandas (the official loaders
live in ``innolab.sources``). The snapshot lacks many of the framework's series; the build
reports them (``Build.missing``) instead of dropping them silently, and the test prints them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import shared_path

from innolab.framework import load_framework
from innolab.scoring import build, select

pytestmark = pytest.mark.shared

YEAR = 2023


@pytest.fixture(scope="module")
def wdi():
    tidy = pd.read_csv(
        shared_path("data", "wdi", "tidy", "wdi_tidy.csv"), keep_default_na=False, na_values=[""]
    )
    meta = pd.read_csv(
        shared_path("data", "wdi", "tidy", "country_metadata.csv"),
        keep_default_na=False,
        na_values=[""],
    )
    tidy = tidy.rename(columns={"indicator_code": "indicator"})
    economies = meta.loc[meta["is_aggregate"] == 0, "iso3"].tolist()
    return tidy, economies


@pytest.fixture(scope="module")
def real_build(wdi):
    tidy, economies = wdi
    sel = select(tidy, "digital_innovation", YEAR, units=economies)
    return sel, build(sel, "digital_innovation")  # the default spec


def test_default_framework_ranks_at_least_150_economies(real_build, wdi, capsys):
    sel, b = real_build
    _, economies = wdi
    assert len(economies) == 217
    ranked = b.ranks["DII"].dropna()
    assert len(ranked) >= 150
    assert ranked.min() == 1 and set(ranked.index) <= set(economies)
    scores = b.scores["DII"].dropna()
    assert scores.between(0, 100).all()
    dropped = b.audit.query("action == 'indicator_removed'")["code"].tolist()
    with capsys.disabled():
        print(
            f"\nWDI snapshot, reference year {YEAR} (window {b.framework.data_window} years): "
            f"{len(ranked)} of {len(economies)} economies ranked; "
            f"{len(b.missing)} framework indicators missing from the snapshot: "
            f"{', '.join(b.missing)}; below 66% coverage (screened out): "
            f"{', '.join(dropped) or 'none'}"
        )
    # an indicator screened out is absent from the scores but listed in the audit
    for code in dropped:
        assert code in b.raw.columns and code not in b.scores.columns


def test_missing_indicators_are_reported_not_dropped_silently(real_build):
    sel, b = real_build
    fw = load_framework("digital_innovation")
    present = [c for c in fw.indicators if sel.data[c].notna().any()]
    assert set(sel.missing) == set(fw.indicators) - set(present)
    assert b.missing == sel.missing
    # the snapshot (datahub WDI series + the portal's internet users) lacks e.g. the WGI and
    # Findex series and the 2013-vintage-only series
    for code in ("GE.EST", "FX.OWN.TOTL.ZS", "IC.BUS.NDNS.ZS", "BX.GSR.CCIS.ZS"):
        assert code in b.missing
    for code in ("IT.NET.USER.ZS", "IP.PAT.RESD", "SE.TER.ENRR", "IT.NET.SECR.P6"):
        assert code not in b.missing
    assert list(b.framework.indicators) == present


def test_data_rules_and_years_on_real_data(real_build, wdi):
    sel, b = real_build
    tidy, _ = wdi
    years = b.years.stack().dropna()
    assert years.between(YEAR - 5, YEAR).all()
    # patents per million people: the value and SP.POP.TOTL of the same year, then log1p
    unit = "DEU"
    y = int(b.years.loc[unit, "IP.PAT.RESD"])
    raw = tidy[(tidy["iso3"] == unit) & (tidy["year"] == y)]
    pat = raw.loc[raw.indicator == "IP.PAT.RESD", "value"].item()
    pop = raw.loc[raw.indicator == "SP.POP.TOTL", "value"].item()
    assert b.raw.loc[unit, "IP.PAT.RESD"] == pytest.approx(np.log1p(pat / pop * 1e6), rel=1e-12)
    # mobile subscriptions are capped at 120 per 100 people
    assert b.raw["IT.CEL.SETS.P2"].max() <= 120
    acts = set(b.audit["action"])
    assert {"denominated", "capped", "transformed"} <= acts


def test_gii_variant_on_the_same_data(real_build):
    _, b = real_build
    g = b.rebuild(framework="digital_innovation_gii")
    assert g.missing == b.missing and "GE.EST" not in g.framework
    pd.testing.assert_frame_equal(g.normalised, b.normalised)
    both = g.scores[["INPUTS", "OUTPUT"]].dropna()
    np.testing.assert_allclose(g.scores.loc[both.index, "DII"], both.mean(axis=1), rtol=1e-12)
    assert len(g.ranks["DII"].dropna()) == len(b.ranks["DII"].dropna())
