"""The embedded demo data: deterministic, fictional, realistic against its calibration."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

from innolab import config, demo
from innolab.countries import WB_REGIONS
from innolab.ecosystem import ENABLERS, STAKEHOLDERS
from innolab.errors import DataFileError, ParameterError

FILES = (
    "indicators.csv",
    "indicators_meta.csv",
    "countries.csv",
    "expert_ratings.csv",
    "README.md",
)
USER_ASSIGNED = re.compile(r"^(AA[A-Z]|Q[M-Z][A-Z]|X[A-Z][A-Z]|ZZ[A-Z])$")
# user-assigned codes that real-world data nevertheless use (Kosovo; ICAO/EU travel documents)
USED_ANYWAY = {"XKX", "XKS", "XXA", "XXB", "XXC", "XXX", "XOM", "XPO"}


@pytest.fixture(scope="module")
def cal() -> dict:
    return demo.load_calibration()


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return pd.read_csv(config.DEMO_DIR / "indicators.csv", keep_default_na=False, na_values=[""])


@pytest.fixture(scope="module")
def countries() -> pd.DataFrame:
    return pd.read_csv(config.DEMO_DIR / "countries.csv", keep_default_na=False, na_values=[""])


@pytest.fixture(scope="module")
def ratings() -> pd.DataFrame:
    return pd.read_csv(
        config.DEMO_DIR / "expert_ratings.csv", keep_default_na=False, na_values=[""]
    )


def _framework_codes() -> tuple[list[str], list[str]]:
    with open(config.FRAMEWORKS_DIR / "digital_innovation.yaml", encoding="utf-8") as fh:
        fw = yaml.safe_load(fh)
    parents = {n.get("parent") for n in fw["nodes"]}
    leaves = [n["code"] for n in fw["nodes"] if n["code"] not in parents]
    return leaves, list(fw.get("denominators") or {})


def _rates(data: pd.DataFrame) -> pd.DataFrame:
    """Patents and articles per million people (the scale the calibration describes)."""
    pop = data[data["indicator"] == "SP.POP.TOTL"].set_index(["iso3", "year"])["value"]
    out = data.copy()
    counts = out["indicator"].isin(["IP.PAT.RESD", "IP.JRN.ARTC.SC"])
    keys = pd.MultiIndex.from_frame(out.loc[counts, ["iso3", "year"]])
    out.loc[counts, "value"] = (
        out.loc[counts, "value"].to_numpy() / pop.reindex(keys).to_numpy() * 1e6
    )
    return out


def _levels(data: pd.DataFrame, code: str, year: int) -> pd.Series:
    """Each economy's median value in year +/- 1 (the generated reference cross-section)."""
    x = data[(data["indicator"] == code) & data["year"].between(year - 1, year + 1)]
    return x.groupby("iso3")["value"].median()


# --- determinism ------------------------------------------------------------------------------


def test_committed_files_regenerate_byte_identical(tmp_path):
    demo.write_demo(tmp_path)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (config.DEMO_DIR / name).read_bytes(), name


def test_same_seed_same_bytes_other_seed_differs(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    demo.write_demo(a, seed=5)
    demo.write_demo(b, seed=5)
    demo.write_demo(c, seed=6)
    for name in FILES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert (a / "indicators.csv").read_bytes() != (c / "indicators.csv").read_bytes()
    assert (a / "expert_ratings.csv").read_bytes() != (c / "expert_ratings.csv").read_bytes()
    # the design (codes, names, regions, income groups) does not depend on the seed
    assert (a / "countries.csv").read_bytes() == (c / "countries.csv").read_bytes()


def test_cli_regenerates_without_shared_folder(tmp_path):
    """The generator reads only the packaged calibration, never ../shared."""
    env = dict(os.environ, INNOLAB_SHARED=str(tmp_path / "no-such-folder"))
    out = tmp_path / "demo"
    r = subprocess.run(
        [sys.executable, "-m", "innolab.cli", "data", "demo", "--out", str(out)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert r.returncode == 0, r.stderr
    assert "synthetic" in r.stdout
    assert (out / "indicators.csv").read_bytes() == (
        config.DEMO_DIR / "indicators.csv"
    ).read_bytes()


def test_bad_seed_and_missing_calibration(tmp_path):
    with pytest.raises(ParameterError, match="seed"):
        demo.generate(-1)
    with pytest.raises(ParameterError, match="seed"):
        demo.generate("7")
    with pytest.raises(DataFileError, match="not found"):
        demo.generate(1, calibration=tmp_path / "none.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"indicators": {}}')
    with pytest.raises(DataFileError, match="lacks keys"):
        demo.load_calibration(bad)


# --- the design: fictional economies, regions, income groups -----------------------------------


def test_economies_are_fictional_and_spread(countries):
    assert 55 <= len(countries) <= 65
    assert countries["iso3"].is_unique and countries["name"].is_unique
    assert all(USER_ASSIGNED.match(c) for c in countries["iso3"])
    assert not set(countries["iso3"]) & USED_ANYWAY
    assert set(countries["itu_region"]) == {"AFR", "AMS", "ARB", "ASP", "CIS", "EUR"}
    assert set(countries["income_group"]) == {
        "Low income",
        "Lower middle income",
        "Upper middle income",
        "High income",
    }
    assert set(countries["wb_region"]) == set(WB_REGIONS)  # FY2026 names, all seven
    shares = countries["income_group"].value_counts(normalize=True)
    assert 0.05 < shares["Low income"] < 0.2 and 0.25 < shares["High income"] < 0.5


def test_no_real_code_or_country_name(countries, shared):
    meta = pd.read_csv(
        shared("data", "wdi", "tidy", "country_metadata.csv"), keep_default_na=False, na_values=[""]
    )
    assert not set(countries["iso3"]) & set(meta["iso3"])
    real = [n for n in meta["country"] if len(n) > 3]
    for name in countries["name"]:
        for r in real:
            assert not re.search(rf"\b{re.escape(r)}\b", name, flags=re.I), (name, r)


def test_readme_says_synthetic():
    text = (config.DEMO_DIR / "README.md").read_text(encoding="utf-8")
    assert "SYNTHETIC" in text and "fictional" in text
    assert "not be used for any real conclusion" in text
    assert f"--seed {demo.DEFAULT_SEED}" in text and "demo_calibration.json" in text
    assert "Licence" in text and "CC BY 4.0" in text


# --- contents -----------------------------------------------------------------------------------


def test_every_framework_indicator_present(data, cal):
    leaves, denominators = _framework_codes()
    assert set(data["indicator"]) == set(leaves) | set(denominators)
    assert set(cal["indicators"]) == (set(leaves) | set(denominators)) - {"EXP.POLICY"}
    meta = pd.read_csv(config.DEMO_DIR / "indicators_meta.csv")
    assert list(meta.columns) == ["indicator", "name", "unit", "source"]
    assert set(meta["indicator"]) == set(data["indicator"])
    assert list(data.columns) == ["iso3", "indicator", "year", "value", "source"]
    assert (data["source"] == demo.SOURCE).all()
    assert data["year"].between(2010, 2023).all() and set(data["year"]) == set(range(2010, 2024))
    assert not data.duplicated(["iso3", "indicator", "year"]).any()


def test_bounds_respected(data, cal):
    rates = _rates(data)  # bounds of patents and articles are per million people
    for code, e in cal["indicators"].items():
        v = rates.loc[rates["indicator"] == code, "value"]
        lo, hi = e["bounds"]
        if lo is not None:
            assert (v >= lo).all(), code
        if hi is not None:
            assert (v <= hi).all(), code
        share = e["unit"].startswith("%") and "GDP" not in e["unit"] and "gross" not in e["unit"]
        if share:  # a share of a whole (people, exports, ...): within [0, 100]
            assert v.between(0, 100).all(), code
    wgi = data[data["indicator"].isin(["GE.EST", "RQ.EST", "RL.EST", "CC.EST"])]["value"]
    assert wgi.between(-2.5, 2.5).all()
    for code in ("IP.PAT.RESD", "SP.POP.TOTL"):
        v = data.loc[data["indicator"] == code, "value"]
        assert (v >= 0).all() and (v == v.round()).all()
    assert (data.loc[data["indicator"] == "IP.JRN.ARTC.SC", "value"] >= 0).all()
    # bounds are a safety net: hardly any value sits exactly on an upper bound (except 100 %)
    for code, e in cal["indicators"].items():
        hi = e["bounds"][1]
        if hi is not None and hi != 100:
            assert (data.loc[data["indicator"] == code, "value"] == hi).mean() < 0.01, code


def test_marginals_match_calibration(data, cal):
    rates = _rates(data)
    for code, e in cal["indicators"].items():
        lv = _levels(rates, code, e["reference_year"])
        t = demo.to_working(lv.to_numpy(), e["scale"])
        assert len(t) >= 15, code
        z = (np.median(t) - e["quantiles_t"][4]) / e["sd_t"]
        assert abs(z) < 0.5, (code, z)
        spread = np.std(t, ddof=1) / e["sd_t"]
        assert 0.6 < spread < 1.5, (code, spread)


def test_correlations_have_the_calibrated_sign(data, cal):
    rates = _rates(data)
    corr = cal["correlation"]
    codes = corr["indicators"]
    m = np.asarray(corr["matrix"])
    levels = pd.DataFrame({c: _levels(rates, c, 2018) for c in codes})
    checked = 0
    for i, a in enumerate(codes):
        for j in range(i + 1, len(codes)):
            if abs(m[i, j]) < 0.5:
                continue
            both = levels[[a, codes[j]]].dropna()
            if len(both) < 20:
                continue
            rho = stats.spearmanr(both.iloc[:, 0], both.iloc[:, 1]).statistic
            target = 6 / np.pi * np.arcsin(m[i, j] / 2)  # copula r -> Spearman
            assert np.sign(rho) == np.sign(target), (a, codes[j], rho, target)
            assert abs(rho - target) < 0.45, (a, codes[j], rho, target)
            checked += 1
    assert checked > 100
    gdp = levels["NY.GDP.PCAP.PP.KD"]
    for code in ("IT.NET.USER.ZS", "IT.NET.SECR.P6", "GE.EST", "SE.TER.ENRR"):
        both = pd.concat([gdp, levels[code]], axis=1).dropna()
        assert stats.spearmanr(both.iloc[:, 0], both.iloc[:, 1]).statistic > 0.6, code
    both = pd.concat([gdp, levels["IC.REG.DURS"]], axis=1).dropna()
    assert stats.spearmanr(both.iloc[:, 0], both.iloc[:, 1]).statistic < -0.2


def test_gdp_orders_income_groups(data, countries):
    gdp = _levels(data, "NY.GDP.PCAP.PP.KD", 2018)
    groups = countries.set_index("iso3")["income_group"]
    med = gdp.groupby(groups.reindex(gdp.index)).median()
    order = ["Low income", "Lower middle income", "Upper middle income", "High income"]
    assert list(med.reindex(order)) == sorted(med.reindex(order))


def test_trends(data):
    internet = data[data["indicator"] == "IT.NET.USER.ZS"].groupby("year")["value"].median()
    assert internet[2010] < internet[2015] < internet[2020]
    assert internet[2020] - internet[2010] > 20
    servers = data[data["indicator"] == "IT.NET.SECR.P6"].groupby("year")["value"].median()
    assert servers[2022] > 5 * servers[2010]
    wgi = data[data["indicator"] == "GE.EST"].groupby("year")["value"].mean()
    assert abs(wgi[2023] - wgi[2010]) < 0.25  # WGI units have no drift


def test_missing_shares_match_calibration(data, countries, cal):
    n = len(countries)
    for code, e in cal["indicators"].items():
        x = data[data["indicator"] == code]
        for band, (a, b) in cal["year_bands"].items():
            observed = 1 - x["year"].between(a, b).sum() / (n * (b - a + 1))
            expected = e["missing"]["share_by_band"][band]
            assert abs(observed - expected) < 0.12, (code, band, observed, expected)


def test_missingness_patterns(data, cal):
    per = data.groupby("indicator")["iso3"].nunique()
    assert per["SP.POP.TOTL"] == 60 and per["GE.EST"] >= 58
    assert per["SP.POP.SCIE.RD.P6"] < 45 and per["GB.XPD.RSDV.GD.ZS"] < 50  # sparse R&D
    assert data.loc[data["indicator"] == "IC.REG.DURS", "year"].max() == 2019
    assert set(data.loc[data["indicator"] == "FX.OWN.TOTL.ZS", "year"]) <= {2011, 2014, 2017, 2021}
    assert data.loc[data["indicator"] == "IP.PAT.RESD", "year"].max() <= 2021
    # later years sparser: fewer internet values in 2023 than in 2019
    y = data[data["indicator"] == "IT.NET.USER.ZS"]["year"].value_counts()
    assert y[2023] < 0.6 * y[2019]
    # economies without researcher counts tend to lack R&D spending too
    have = data.groupby("indicator")["iso3"].agg(set)
    no_res = set(data["iso3"]) - have["SP.POP.SCIE.RD.P6"]
    no_rd = set(data["iso3"]) - have["GB.XPD.RSDV.GD.ZS"]
    assert len(no_res & no_rd) > len(no_res) * len(no_rd) / 60


def test_expert_ratings(data, ratings, countries):
    assert list(ratings.columns) == [
        "iso3",
        "stakeholder",
        "enabler",
        "rating",
        "year",
        "respondents",
    ]
    assert 3 <= ratings["iso3"].nunique() <= 8
    assert set(ratings["iso3"]) <= set(countries["iso3"])
    assert set(ratings["stakeholder"]) == set(STAKEHOLDERS)
    assert set(ratings["enabler"]) == set(ENABLERS)
    assert ratings["rating"].between(1, 5).all() and (ratings["respondents"] >= 1).all()
    grid = ratings.groupby(["iso3", "year"]).size()
    assert (grid == len(STAKEHOLDERS) * len(ENABLERS)).all()
    # EXP.POLICY exists exactly where ratings exist, as the mean of the two policy enablers
    pol = data[data["indicator"] == "EXP.POLICY"].set_index(["iso3", "year"])["value"]
    assert set(pol.index) == set(grid.index)
    r = ratings[ratings["enabler"].isin(["vision_strategy", "policy_regulation"])]
    expected = r.groupby(["iso3", "year"])["rating"].mean().round(2)
    assert np.allclose(pol.sort_index(), expected.sort_index(), atol=0.0051)


# --- the calibration ----------------------------------------------------------------------------


def test_calibration_is_documented(cal):
    for code, e in cal["indicators"].items():
        assert e["source"] in {"wdi", "derived", "wdi-legacy-2013", "assumed"}, code
        if e["source"] != "wdi":
            assert len(e.get("reason", "")) > 40, code
        assert len(e["quantiles_t"]) == len(cal["quantile_probs"])
        assert np.all(np.diff(e["quantiles_t"]) >= 0), code
        assert {"share_by_band", "never_share_by_income", "gap_share_by_year"} <= set(e["missing"])
        assert "min" not in e and "max" not in e  # extreme rows are single countries' values
    m = np.asarray(cal["correlation"]["matrix"])
    assert np.allclose(m, m.T) and np.allclose(np.diag(m), 1.0)
    assert np.linalg.eigvalsh(m).min() > 0
    assert cal["expert_ratings"]["source"] == "assumed"


def _calibrate_module():
    path = config.PROJECT_ROOT / "tools" / "calibrate_demo.py"
    spec = importlib.util.spec_from_file_location("calibrate_demo", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_calibration_reproduces_from_shared_wdi(shared, cal):
    """The committed JSON is exactly what tools/calibrate_demo.py computes from ../shared."""
    wdi = shared("data", "wdi")
    fresh = json.loads(json.dumps(_calibrate_module().calibrate(Path(wdi))))
    assert fresh == cal


def test_calibrate_script_known_answers():
    mod = _calibrate_module()
    # spearman -> copula: the Gaussian identity rho_s = 6/pi asin(r/2)
    assert mod.spearman_to_pearson(1.0) == pytest.approx(1.0)
    assert mod.spearman_to_pearson(0.0) == 0.0
    assert mod.spearman_to_pearson(0.5) == pytest.approx(2 * np.sin(np.pi / 12))
    # median polish recovers additive row and column effects (ref year effect = 0)
    years = pd.Index([2017, 2018, 2019])
    table = pd.DataFrame(np.add.outer(np.arange(12.0), [-0.5, 0.0, 0.7]), columns=years)
    table.iloc[0, 2] = np.nan
    lv, eff, resid = mod.median_polish(table, 2018)
    assert np.allclose(eff.to_numpy(), [-0.5, 0.0, 0.7], atol=1e-9)
    assert np.allclose(lv.to_numpy(), np.arange(12.0), atol=1e-9)
    assert np.nanmax(np.abs(resid.to_numpy())) < 1e-9
    # too few economies per year -> year effects not estimable
    _, eff3, _ = mod.median_polish(table.iloc[:3], 2018)
    assert eff3.isna().all()
    near = mod.nearest_correlation(np.array([[1, 0.9, 0.9], [0.9, 1, -0.9], [0.9, -0.9, 1]]))
    assert np.linalg.eigvalsh(near).min() > 0 and np.allclose(np.diag(near), 1)
