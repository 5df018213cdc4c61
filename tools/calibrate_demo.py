"""Calibrate the synthetic demo data set from SUMMARY STATISTICS of the real WDI snapshot.

Reads the tidy WDI extract in ``../shared/data/wdi/tidy`` (economies only: aggregates are
excluded with ``country_metadata.csv``) and writes ``innolab/data/demo_calibration.json``, the
only input of :mod:`innolab.demo`. Only statistics leave this script (quantiles, means, standard
deviations, year effects, trend slopes, missing shares, rank correlations, group means); no row
of the real data is carried over. Extreme order statistics (the minimum and maximum, which are
single countries' values) are never written: the tails are quantiles 1 % and 99 %.

Model behind the statistics (what :mod:`innolab.demo` simulates)
-------------------------------------------------------------------
Each indicator is analysed on a *working scale* ``t = g(x)`` where it is roughly symmetric
(``log``, ``logit`` for bounded percentages, ``asinh`` for signed flows, ``linear``). On that
scale the panel is decomposed by a two-way median polish

.. math:: t_{it} = a_i + b_t + r_{it}, \\qquad b_{t_{ref}} = 0,

where :math:`a_i` is economy *i*'s level in the reference year, :math:`b_t` the common year
effect (diffusion of the internet, the 2020 GDP dip, ...) and :math:`r_{it}` the residual.
Per economy, an OLS slope of :math:`r_{it}` on time gives the spread of individual trends
(``slope_sd_t``) and the remaining residual its noise (``resid_sd_t``). The cross-section of the
levels :math:`a_i` gives the marginal quantiles; Spearman correlations of the levels between
indicators, converted to a Gaussian-copula correlation :math:`2 \\sin(\\pi \\rho_s / 6)`, give the
dependence; coverage by income group and by year gives the missingness.

Indicators that the shared snapshot lacks get hand-set, documented statistics
(``"source": "assumed"`` with a ``"reason"``); two are derived from related series
(``"source": "derived"``) and one from the 2013-vintage bulk extract (``"source":
"wdi-legacy-2013"``).

Usage::

    .venv/bin/python tools/calibrate_demo.py [--wdi ../shared/data/wdi] [--out innolab/data/demo_calibration.json]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy import stats

__all__ = ["calibrate", "main"]

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from innolab import config  # noqa: E402
from innolab.demo import from_working, to_working  # noqa: E402
from innolab.io import atomic_write, sha256_file  # noqa: E402

YEARS = list(range(2010, 2024))
REF_YEAR = 2018
FIT_YEARS = (2005, 2024)
QUANTILE_PROBS = [0.01, 0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95, 0.99]
BANDS = {"2010-2014": (2010, 2014), "2015-2019": (2015, 2019), "2020-2023": (2020, 2023)}
INCOME = {
    "Low income": "low",
    "Lower middle income": "lower_middle",
    "Upper middle income": "upper_middle",
    "High income": "high",
}
MIN_PAIR = 30  # fewest economies for an observed correlation
MIN_YEAR_N = 10  # fewest economies for an observed year effect
AR_RHO = 0.7  # persistence of the yearly noise (assumed: WDI series are smooth)
WORKING_AGE_SHARE = 0.65  # assumed population share aged 15-64 (IC.BUS.NDNS.ZS derivation)
# Approximate yearly inflation of the international dollar (it tracks the US GDP deflator), in
# per cent; assumed round figures used only to turn current into constant 2021 PPP dollars.
INTL_DOLLAR_INFLATION = {
    2005: 3.3, 2006: 3.1, 2007: 2.7, 2008: 1.9, 2009: 0.6, 2010: 1.2, 2011: 2.1, 2012: 1.9,
    2013: 1.8, 2014: 1.9, 2015: 1.0, 2016: 1.0, 2017: 1.9, 2018: 2.4, 2019: 1.8, 2020: 1.3,
    2021: 4.6, 2022: 7.1, 2023: 3.6, 2024: 2.4,
}  # fmt: skip
SPARSE_YEAR = 0.4  # a year observed for < 40 % of the best-covered year's economies is extrapolated
GDP = "NY.GDP.PCAP.PP.KD"

# working scale, hard bounds and output decimals of every indicator of the default framework
SCALES: dict[str, dict] = {
    "IT.NET.USER.ZS": {"kind": "logit", "lo": 0, "hi": 100, "eps": 0.5},
    "IT.NET.BBND.P2": {"kind": "logit", "lo": 0, "hi": 80, "eps": 0.01},
    "IT.CEL.SETS.P2": {"kind": "log", "offset": 1.0},
    "IT.NET.SECR.P6": {"kind": "log", "offset": 0.01},
    "EG.ELC.ACCS.ZS": {"kind": "logit", "lo": 0, "hi": 100, "eps": 0.5},
    "SE.TER.ENRR": {"kind": "log", "offset": 0.0},
    "SE.XPD.TOTL.GD.ZS": {"kind": "log", "offset": 0.1},
    "SL.TLF.ADVN.ZS": {"kind": "logit", "lo": 0, "hi": 100, "eps": 0.5},
    "SP.POP.SCIE.RD.P6": {"kind": "log", "offset": 1.0},
    "GB.XPD.RSDV.GD.ZS": {"kind": "log", "offset": 0.01},
    "FS.AST.PRVT.GD.ZS": {"kind": "log", "offset": 0.5},
    "BX.KLT.DINV.WD.GD.ZS": {"kind": "asinh"},
    "CM.MKT.LCAP.GD.ZS": {"kind": "log", "offset": 0.5},
    "FX.OWN.TOTL.ZS": {"kind": "logit", "lo": 0, "hi": 100, "eps": 0.5},
    "IC.BUS.NDNS.ZS": {"kind": "log", "offset": 0.01},
    "NE.TRD.GNFS.ZS": {"kind": "log", "offset": 0.0},
    "NY.GDP.PCAP.PP.KD": {"kind": "log", "offset": 0.0},
    "IC.REG.DURS": {"kind": "log", "offset": 0.0},
    "IP.PAT.RESD": {"kind": "log", "offset": 1.0},
    "IP.JRN.ARTC.SC": {"kind": "log", "offset": 1.0},
    "TX.VAL.TECH.MF.ZS": {"kind": "logit", "lo": 0, "hi": 100, "eps": 0.05},
    "BX.GSR.CCIS.ZS": {"kind": "logit", "lo": 0, "hi": 100, "eps": 0.05},
    "TX.VAL.ICTG.ZS.UN": {"kind": "logit", "lo": 0, "hi": 100, "eps": 0.01},
    "GE.EST": {"kind": "linear"},
    "RQ.EST": {"kind": "linear"},
    "RL.EST": {"kind": "linear"},
    "CC.EST": {"kind": "linear"},
    "SP.POP.TOTL": {"kind": "log", "offset": 0.0},
}
BOUNDS: dict[str, tuple[float | None, float | None]] = {
    "IT.NET.USER.ZS": (0, 100), "IT.NET.BBND.P2": (0, 80), "IT.CEL.SETS.P2": (0, 400),
    "IT.NET.SECR.P6": (0, None), "EG.ELC.ACCS.ZS": (0, 100), "SE.TER.ENRR": (0, 160),
    "SE.XPD.TOTL.GD.ZS": (0, 15), "SL.TLF.ADVN.ZS": (0, 100), "SP.POP.SCIE.RD.P6": (0, 10000),
    "GB.XPD.RSDV.GD.ZS": (0, 6), "FS.AST.PRVT.GD.ZS": (0, 300), "BX.KLT.DINV.WD.GD.ZS": (-40, 80),
    "CM.MKT.LCAP.GD.ZS": (0, 1500), "FX.OWN.TOTL.ZS": (0, 100), "IC.BUS.NDNS.ZS": (0, 60),
    "NE.TRD.GNFS.ZS": (0, 600), "NY.GDP.PCAP.PP.KD": (300, 200000), "IC.REG.DURS": (0.5, 250),
    "IP.PAT.RESD": (0, 4000), "IP.JRN.ARTC.SC": (0, 6000), "TX.VAL.TECH.MF.ZS": (0, 100),
    "BX.GSR.CCIS.ZS": (0, 100), "TX.VAL.ICTG.ZS.UN": (0, 100), "GE.EST": (-2.5, 2.5),
    "RQ.EST": (-2.5, 2.5), "RL.EST": (-2.5, 2.5), "CC.EST": (-2.5, 2.5),
    "SP.POP.TOTL": (5000, None),
}  # fmt: skip
DECIMALS: dict[str, int] = {
    "IP.PAT.RESD": 0, "SP.POP.TOTL": 0, "IC.REG.DURS": 1, "IT.NET.BBND.P2": 3, "TX.VAL.ICTG.ZS.UN": 3,
}  # fmt: skip
WGI = ("GE.EST", "RQ.EST", "RL.EST", "CC.EST")

# Hand-set statistics for the series absent from the snapshot. Quantiles are on the natural
# scale for a 2018 cross-section of ~210 economies; corr_gdp is the rank correlation of the
# level with log GDP per capita; slope_t the yearly drift on the working scale.
ASSUMED: dict[str, dict] = {
    "EG.ELC.ACCS.ZS": {
        "quantiles": [4, 20, 38, 80, 99.5, 100, 100, 100, 100],
        "corr_gdp": 0.80, "slope_t": 0.08, "slope_sd_t": 0.08, "resid_sd_t": 0.15,
        "never": {"low": 0.0, "lower_middle": 0.0, "upper_middle": 0.0, "high": 0.02},
        "gap": 0.01, "gap_years": {"2023": 0.85},
        "reason": "not in the shared WDI snapshot; World Bank SE4ALL series: near 100 % outside "
                  "Sub-Saharan Africa and South Asia, slow convergence, complete coverage, "
                  "latest year usually not yet published",
    },
    "SL.TLF.ADVN.ZS": {
        "quantiles": [55, 62, 67, 73, 78, 82, 86, 88, 92],
        "corr_gdp": 0.15, "slope_t": 0.0, "slope_sd_t": 0.02, "resid_sd_t": 0.10,
        "never": {"low": 0.45, "lower_middle": 0.25, "upper_middle": 0.15, "high": 0.08},
        "gap": 0.35, "gap_years": {"2023": 0.7},
        "reason": "not in the shared WDI snapshot; ILOSTAT labour-force participation of people "
                  "with advanced education: 70-90 % in most economies, weakly related to income, "
                  "from labour-force surveys with irregular rounds",
    },
    "BX.KLT.DINV.WD.GD.ZS": {
        "quantiles": [-5, -0.5, 0.4, 1.3, 2.8, 5.0, 8.5, 12, 30],
        "corr_gdp": 0.05, "slope_t": -0.01, "slope_sd_t": 0.05, "resid_sd_t": 0.55,
        "never": {"low": 0.02, "lower_middle": 0.02, "upper_middle": 0.02, "high": 0.05},
        "gap": 0.04, "gap_years": {"2023": 0.15},
        "reason": "not in the shared WDI snapshot; IMF balance-of-payments flows: median about "
                  "3 % of GDP, heavy tails and negative years (disinvestment), volatile from year "
                  "to year, nearly complete coverage",
    },
    "CM.MKT.LCAP.GD.ZS": {
        "quantiles": [2, 5, 9, 18, 38, 70, 120, 170, 400],
        "corr_gdp": 0.50, "slope_t": 0.015, "slope_sd_t": 0.05, "resid_sd_t": 0.20,
        "never": {"low": 0.85, "lower_middle": 0.55, "upper_middle": 0.40, "high": 0.30},
        "gap": 0.12, "gap_years": {"2022": 0.25, "2023": 0.35},
        "reason": "not in the shared WDI snapshot; World Federation of Exchanges: only economies "
                  "with a stock exchange (few low-income ones), skewed, moderately related to "
                  "income",
    },
    "FX.OWN.TOTL.ZS": {
        "quantiles": [8, 14, 20, 37, 63, 88, 98, 99.5, 100],
        "corr_gdp": 0.85, "slope_t": 0.12, "slope_sd_t": 0.06, "resid_sd_t": 0.15,
        "never": {"low": 0.20, "lower_middle": 0.15, "upper_middle": 0.15, "high": 0.30},
        "gap": 0.08, "survey_years": [2011, 2014, 2017, 2021],
        "reason": "not in the shared WDI snapshot; Global Findex survey waves 2011, 2014, 2017 "
                  "and 2021 only (no value in other years), strongly related to income, fast "
                  "growth with mobile money",
    },
    "NE.TRD.GNFS.ZS": {
        "quantiles": [22, 30, 38, 55, 80, 110, 150, 180, 320],
        "corr_gdp": 0.25, "corr_pop": -0.45, "slope_t": 0.0, "slope_sd_t": 0.02,
        "resid_sd_t": 0.07,
        "never": {"low": 0.0, "lower_middle": 0.0, "upper_middle": 0.02, "high": 0.03},
        "gap": 0.03, "gap_years": {"2023": 0.2},
        "reason": "not in the shared WDI snapshot; national accounts: exports plus imports "
                  "about 80 % of GDP at the median, much higher in small open economies "
                  "(negative relation with population), nearly complete",
    },
    "IC.REG.DURS": {
        "quantiles": [1.5, 3.5, 5, 8, 13, 23, 35, 55, 100],
        "corr_gdp": -0.45, "slope_t": -0.06, "slope_sd_t": 0.04, "resid_sd_t": 0.05,
        "never": {"low": 0.05, "lower_middle": 0.05, "upper_middle": 0.05, "high": 0.10},
        "gap": 0.02, "last_year": 2019,
        "reason": "not in the shared WDI snapshot; Doing Business: about 190 economies until the "
                  "series was discontinued (last data year 2019, nothing later), falling over "
                  "time as registration was reformed, longer in poorer economies",
    },
    "TX.VAL.ICTG.ZS.UN": {
        "quantiles": [0.01, 0.03, 0.08, 0.3, 1.2, 4.5, 14, 28, 55],
        "corr_gdp": 0.40, "slope_t": 0.0, "slope_sd_t": 0.05, "resid_sd_t": 0.20,
        "never": {"low": 0.20, "lower_middle": 0.10, "upper_middle": 0.05, "high": 0.08},
        "gap": 0.10, "gap_years": {"2022": 0.35, "2023": 0.7},
        "reason": "not in the shared WDI snapshot; UNCTAD: very skewed (a few electronics "
                  "assemblers above 25 %), moderately related to income, published with a lag",
    },
    "GE.EST": {
        "quantiles": [-1.9, -1.55, -1.2, -0.7, -0.1, 0.75, 1.35, 1.65, 2.0],
        "corr_gdp": 0.85, "slope_t": 0.0, "slope_sd_t": 0.02, "resid_sd_t": 0.12,
        "never": {"low": 0.0, "lower_middle": 0.0, "upper_middle": 0.0, "high": 0.02},
        "gap": 0.0,
        "reason": "not in the shared WDI snapshot; Worldwide Governance Indicators are standard "
                  "normal units across ~210 economies each year (no drift), published annually "
                  "for nearly every economy, strongly related to income",
    },
    "RQ.EST": {
        "quantiles": [-2.0, -1.55, -1.15, -0.65, -0.1, 0.75, 1.3, 1.6, 1.9],
        "corr_gdp": 0.82, "slope_t": 0.0, "slope_sd_t": 0.02, "resid_sd_t": 0.12,
        "never": {"low": 0.0, "lower_middle": 0.0, "upper_middle": 0.0, "high": 0.02},
        "gap": 0.0,
        "reason": "as GE.EST (Worldwide Governance Indicators, regulatory quality)",
    },
    "RL.EST": {
        "quantiles": [-1.9, -1.5, -1.15, -0.7, -0.15, 0.75, 1.35, 1.65, 1.95],
        "corr_gdp": 0.80, "slope_t": 0.0, "slope_sd_t": 0.02, "resid_sd_t": 0.10,
        "never": {"low": 0.0, "lower_middle": 0.0, "upper_middle": 0.0, "high": 0.02},
        "gap": 0.0,
        "reason": "as GE.EST (Worldwide Governance Indicators, rule of law)",
    },
    "CC.EST": {
        "quantiles": [-1.6, -1.35, -1.1, -0.75, -0.2, 0.65, 1.4, 1.8, 2.1],
        "corr_gdp": 0.75, "slope_t": 0.0, "slope_sd_t": 0.02, "resid_sd_t": 0.12,
        "never": {"low": 0.0, "lower_middle": 0.0, "upper_middle": 0.0, "high": 0.02},
        "gap": 0.0,
        "reason": "as GE.EST (Worldwide Governance Indicators, control of corruption)",
    },
}  # fmt: skip
# correlations between assumed series that a one-factor model would understate
ASSUMED_PAIRS = [
    ("GE.EST", "RQ.EST", 0.93, "WGI estimates share sources and move together"),
    ("GE.EST", "RL.EST", 0.94, "WGI estimates share sources and move together"),
    ("GE.EST", "CC.EST", 0.92, "WGI estimates share sources and move together"),
    ("RQ.EST", "RL.EST", 0.91, "WGI estimates share sources and move together"),
    ("RQ.EST", "CC.EST", 0.87, "WGI estimates share sources and move together"),
    ("RL.EST", "CC.EST", 0.93, "WGI estimates share sources and move together"),
    ("TX.VAL.ICTG.ZS.UN", "TX.VAL.TECH.MF.ZS", 0.70, "ICT goods are most high-tech exports"),
    ("FX.OWN.TOTL.ZS", "FS.AST.PRVT.GD.ZS", 0.65, "financial depth and inclusion go together"),
    ("EG.ELC.ACCS.ZS", "IT.NET.USER.ZS", 0.85, "no internet use without electricity"),
]
FACTOR_GDP_LOADING = 0.9  # loading of log GDP per capita on the latent development factor

# expert-rating model (no public data exist: workshop scores are national and unpublished)
EXPERT_RATINGS = {
    "source": "assumed",
    "reason": "national workshop ratings are not published; innolab convention: workshop mean "
              "around 3 on the 1-5 scale, rising with the economy's standing on the related "
              "pillar, small stakeholder biases (public sector rates policy higher, "
              "entrepreneurs and financiers rate capital lower), 3-9 respondents per cell, "
              "individual scores integers 1-5",
    "intercept": 2.9,
    "loading": 0.55,
    "cell_sd": 0.35,
    "respondent_sd": 0.8,
    "respondents": [3, 9],
    "enabler_driver": {
        "vision_strategy": "GE.EST", "talent_champions": "SE.TER.ENRR",
        "infrastructure_programmes": "IT.NET.USER.ZS", "capital_resources": "FS.AST.PRVT.GD.ZS",
        "market_networks": "NY.GDP.PCAP.PP.KD", "culture_communities": "IC.BUS.NDNS.ZS",
        "policy_regulation": "RQ.EST",
    },
    "stakeholder_bias": {
        "academia": 0.0, "entrepreneurs": -0.2, "support_organisations": 0.1,
        "financing": -0.1, "private_sector": -0.1, "public_sector": 0.3,
    },
    "bias_overrides": [
        {"stakeholder": "public_sector", "enabler": "policy_regulation", "bias": 0.3},
        {"stakeholder": "entrepreneurs", "enabler": "capital_resources", "bias": -0.3},
        {"stakeholder": "financing", "enabler": "capital_resources", "bias": -0.2},
    ],
    "exp_policy": {
        "enablers": ["vision_strategy", "policy_regulation"],
        "rule": "EXP.POLICY = mean over stakeholders and these enablers of the workshop ratings "
                "of that year",
    },
}  # fmt: skip


# --- statistics -------------------------------------------------------------------------------


def median_polish(panel: pd.DataFrame, ref_year: int, n_iter: int = 30):
    """Two-way median polish of a (economy x year) table with holes.

    Returns (levels a_i, year effects b_t with b_ref = 0 where estimable, residual table).
    Year effects resting on fewer than MIN_YEAR_N economies (or on less than SPARSE_YEAR of
    the best-covered year's economies) are NaN.
    """
    x = panel.to_numpy(dtype=float)
    present = ~np.isnan(x)
    row = np.zeros(x.shape[0])
    col = np.zeros(x.shape[1])
    resid = x.copy()
    with warnings.catch_warnings():  # all-NaN rows/columns: their median is NaN, treated as 0
        warnings.simplefilter("ignore", RuntimeWarning)
        for _ in range(n_iter):
            r = np.nan_to_num(np.nanmedian(resid, axis=1))
            resid -= r[:, None]
            row += r
            c = np.nan_to_num(np.nanmedian(resid, axis=0))
            resid -= c[None, :]
            col += c
    cols = list(panel.columns)
    shift = col[cols.index(ref_year)] if ref_year in cols else 0.0
    col = col - shift
    row = row + shift
    counts = present.sum(axis=0)
    col[(counts < MIN_YEAR_N) | (counts < SPARSE_YEAR * counts.max())] = np.nan
    return (
        pd.Series(row, index=panel.index),
        pd.Series(col, index=panel.columns),
        pd.DataFrame(resid, index=panel.index, columns=panel.columns),
    )


def _row_trends(resid: pd.DataFrame, min_points: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """Per economy (>= min_points values): OLS slope of the residual on time, residual sd."""
    r = resid.to_numpy(dtype=float)
    mask = ~np.isnan(r)
    n = mask.sum(axis=1)
    keep = n >= min_points
    r, mask, n = r[keep], mask[keep], n[keep]
    t = np.broadcast_to(np.asarray(resid.columns, dtype=float), r.shape)
    rz = np.where(mask, r, 0.0)
    tc = np.where(mask, t - (np.where(mask, t, 0.0).sum(axis=1) / n)[:, None], 0.0)
    mean_r = rz.sum(axis=1) / n
    slope = (tc * rz).sum(axis=1) / (tc**2).sum(axis=1)
    fit = mean_r[:, None] + slope[:, None] * tc
    sd = np.sqrt((np.where(mask, rz - fit, 0.0) ** 2).sum(axis=1) / (n - 2))
    return slope, sd


def series_stats(panel: pd.DataFrame, ref_year: int, years_for_levels=(2013, 2023)) -> dict:
    """Levels, year effects, slopes and noise of one indicator panel on its working scale."""
    levels, effects, resid = median_polish(panel, ref_year)
    recent = panel.loc[
        :, [c for c in panel.columns if years_for_levels[0] <= c <= years_for_levels[1]]
    ]
    levels = levels[recent.notna().any(axis=1)]
    slopes, sds = _row_trends(resid)
    eff = effects.dropna()
    eff = eff[(eff.index >= YEARS[0] - 3) & (eff.index <= YEARS[-1])]
    trend = (
        float(np.polyfit(np.asarray(eff.index, float), eff.to_numpy(), 1)[0])
        if len(eff) > 2
        else 0.0
    )
    iqr = np.subtract(*np.percentile(slopes, [75, 25])) if len(slopes) else 0.0
    return {
        "levels": levels,
        "year_effect_t": {str(int(k)): round(float(v), 4) for k, v in effects.dropna().items()},
        "trend_slope_t": round(trend, 4),
        "slope_sd_t": round(float(iqr / 1.349), 4),
        "resid_sd_t": round(float(np.median(sds)) if len(sds) else 0.0, 4),
    }


def quantile_block(levels_t: pd.Series, scale: dict, inverse) -> dict:
    """Quantiles (working and natural scale), mean and sd of a cross-section of levels."""
    q_t = np.quantile(levels_t.to_numpy(), QUANTILE_PROBS)
    return {
        "n_economies": int(levels_t.size),
        "quantiles_t": [round(float(v), 4) for v in q_t],
        "quantiles": [_round_sig(float(v)) for v in inverse(q_t, scale)],
        "mean_t": round(float(levels_t.mean()), 4),
        "sd_t": round(float(levels_t.std(ddof=1)), 4),
    }


def _round_sig(v: float, sig: int = 5) -> float:
    if v == 0 or not math.isfinite(v):
        return v
    return float(f"{v:.{sig}g}")


def missing_block(present: pd.DataFrame, income: pd.Series) -> dict:
    """Missingness of a (economy x year 2010-2023) presence table over all economies."""
    present = present.reindex(columns=YEARS, fill_value=False)
    never = ~present.any(axis=1)
    by_band = {
        band: round(float(1 - present.loc[:, list(range(a, b + 1))].to_numpy().mean()), 4)
        for band, (a, b) in BANDS.items()
    }
    grp = income.reindex(present.index)
    never_by = {
        INCOME[g]: round(float(never[grp == g].mean()), 4) for g in INCOME if (grp == g).any()
    }
    reporting = present[~never]
    gap = (
        {str(y): round(float(1 - reporting[y].mean()), 4) for y in YEARS} if len(reporting) else {}
    )
    return {
        "share_by_band": by_band,
        "never_share": round(float(never.mean()), 4),
        "never_share_by_income": never_by,
        "gap_share_by_year": gap,
    }


def spearman_to_pearson(rho: float) -> float:
    """Gaussian-copula correlation matching a Spearman rank correlation."""
    return 2.0 * math.sin(math.pi * rho / 6.0)


def nearest_correlation(m: np.ndarray, floor: float = 0.02, n_iter: int = 100) -> np.ndarray:
    """Alternating projections onto PSD (eigenvalues >= floor) and unit diagonal (Higham 2002)."""
    y = m.copy()
    ds = np.zeros_like(m)
    for _ in range(n_iter):
        r = y - ds
        w, v = np.linalg.eigh((r + r.T) / 2)
        x = (v * np.maximum(w, floor)) @ v.T
        ds = x - r
        y = x.copy()
        np.fill_diagonal(y, 1.0)
        if np.linalg.eigvalsh(y).min() >= floor / 2:
            break
    d = np.sqrt(np.diag(y))
    return y / np.outer(d, d)


# --- the calibration --------------------------------------------------------------------------


def _framework_meta() -> tuple[list[str], dict[str, dict]]:
    """Indicator codes (declared order, then denominators) with name, unit and original source."""
    with open(config.FRAMEWORKS_DIR / "digital_innovation.yaml", encoding="utf-8") as fh:
        fw = yaml.safe_load(fh)
    parents = {n.get("parent") for n in fw["nodes"]}
    meta = {}
    for node in fw["nodes"]:
        if node["code"] in parents:
            continue
        meta[node["code"]] = {
            "name": node["name"],
            "unit": node.get("unit"),
            "origin": node.get("source"),
            "optional": bool(node.get("optional", False)),
        }
    for code, d in (fw.get("denominators") or {}).items():
        meta[code] = {
            "name": d["name"],
            "unit": d["unit"],
            "origin": d["source"],
            "optional": False,
        }
    for code in meta:
        if meta[code]["unit"] and code in ("IP.PAT.RESD", "IP.JRN.ARTC.SC"):
            meta[code]["raw_unit"] = "number (the framework divides by SP.POP.TOTL)"
    return list(meta), meta


def _tables(wdi: Path):
    tidy = pd.read_csv(wdi / "tidy" / "wdi_tidy.csv", keep_default_na=False, na_values=[""])
    legacy = pd.read_csv(
        wdi / "tidy" / "wdi_tidy_legacy_2013_vintage.csv", keep_default_na=False, na_values=[""]
    )
    meta = pd.read_csv(wdi / "tidy" / "country_metadata.csv", keep_default_na=False, na_values=[""])
    economies = meta.loc[meta["is_aggregate"] == 0].set_index("iso3")
    keep = tidy["iso3"].isin(economies.index) & tidy["year"].between(*FIT_YEARS)
    tidy = tidy.loc[keep]
    legacy = legacy.loc[legacy["iso3"].isin(economies.index)]
    return tidy, legacy, economies


def _price_index(years: list[int]) -> np.ndarray:
    """Price level of the international dollar relative to 2021 for ``years``."""
    log_level = {2021: 0.0}
    for y in range(2022, max(years) + 1):
        log_level[y] = log_level[y - 1] + math.log1p(INTL_DOLLAR_INFLATION.get(y, 2.0) / 100)
    for y in range(2020, min(years) - 1, -1):
        log_level[y] = log_level[y + 1] - math.log1p(INTL_DOLLAR_INFLATION.get(y + 1, 2.0) / 100)
    return np.exp(np.asarray([log_level[y] for y in years]))


def _wide(df: pd.DataFrame, code: str, economies: pd.Index) -> pd.DataFrame:
    w = df.loc[df["indicator_code"] == code].pivot(index="iso3", columns="year", values="value")
    return w.reindex(economies)


def calibrate(wdi: Path) -> dict:
    """Compute every statistic of the demo generator from the WDI snapshot in ``wdi``."""
    codes, meta = _framework_meta()
    tidy, legacy, economies = _tables(wdi)
    income = economies["income_group"]
    idx = economies.index
    pop = _wide(tidy, "SP.POP.TOTL", idx)

    natural: dict[str, pd.DataFrame] = {}
    notes: dict[str, dict] = {}
    direct = [
        "IT.NET.USER.ZS", "IT.NET.BBND.P2", "IT.CEL.SETS.P2", "IT.NET.SECR.P6", "SE.TER.ENRR",
        "SE.XPD.TOTL.GD.ZS", "SP.POP.SCIE.RD.P6", "GB.XPD.RSDV.GD.ZS", "FS.AST.PRVT.GD.ZS",
        "TX.VAL.TECH.MF.ZS", "SP.POP.TOTL",
    ]  # fmt: skip
    for code in direct:
        natural[code] = _wide(tidy, code, idx)
        notes[code] = {"source": "wdi"}
    for code in ("IP.PAT.RESD", "IP.JRN.ARTC.SC"):
        natural[code] = _wide(tidy, code, idx) / pop * 1e6
        notes[code] = {
            "source": "wdi",
            "note": "statistics of the count per million people (count / SP.POP.TOTL * 1e6); "
                    "the generator writes counts = rate * population / 1e6",
        }  # fmt: skip
    gdp_cd = _wide(tidy, "NY.GDP.PCAP.PP.CD", idx)
    natural[GDP] = gdp_cd / _price_index(list(gdp_cd.columns))
    notes[GDP] = {
        "source": "derived",
        "reason": f"the snapshot has GDP per capita PPP in current international $ "
                  "(NY.GDP.PCAP.PP.CD), not constant 2021 $; deflated to 2021 prices with "
                  "assumed round yearly inflation rates of the international dollar "
                  f"(per cent: {INTL_DOLLAR_INFLATION})",
    }  # fmt: skip
    nreg = _wide(tidy, "IC.BUS.NREG", idx)
    natural["IC.BUS.NDNS.ZS"] = nreg / (pop * WORKING_AGE_SHARE) * 1000
    legacy_ndns = _wide(legacy, "IC.BUS.NDNS.ZS", idx)
    check = pd.concat(
        [natural["IC.BUS.NDNS.ZS"].get(2010), legacy_ndns.get(2010)], axis=1, keys=["d", "l"]
    ).dropna()
    notes["IC.BUS.NDNS.ZS"] = {
        "source": "derived",
        "reason": f"not in the snapshot; derived from new businesses registered (IC.BUS.NREG) "
                  f"per 1,000 people times an assumed working-age share of "
                  f"{WORKING_AGE_SHARE}; check against the 2013-vintage IC.BUS.NDNS.ZS in 2010 "
                  f"({len(check)} economies): median ratio derived/published "
                  f"{float((check['d'] / check['l']).median()):.2f}",
    }  # fmt: skip
    natural["BX.GSR.CCIS.ZS"] = _wide(legacy, "BX.GSR.CCIS.ZS", idx)
    notes["BX.GSR.CCIS.ZS"] = {
        "source": "wdi-legacy-2013",
        "reason": "only in the 2013-vintage bulk extract (2005-2012): levels, correlations and "
                  "2005-2012 year effects from it (reference year 2010); later drift assumed "
                  "(+0.03 a year on the logit scale: ICT services grew faster than other services) "
                  "and later gaps assumed like the 2010-2012 ones, sparser in the latest years",
        "assumed_slope_t": 0.03,
    }  # fmt: skip

    out_ind: dict[str, dict] = {}
    levels: dict[str, pd.Series] = {}
    for code in codes:
        if code == "EXP.POLICY":
            continue
        scale = SCALES[code]
        entry = {
            "name": meta[code]["name"],
            "unit": meta[code]["unit"],
            "origin": meta[code]["origin"],
            "scale": scale,
            "bounds": list(BOUNDS[code]),
            "decimals": DECIMALS.get(code, 4 if code in WGI else 2),
        }
        if "raw_unit" in meta[code]:
            entry["raw_unit"] = meta[code]["raw_unit"]
        if code in natural:
            entry.update(notes[code])
            ref = 2010 if code == "BX.GSR.CCIS.ZS" else REF_YEAR
            w = natural[code]
            w = w.loc[:, [c for c in w.columns if c <= YEARS[-1]]]
            t = pd.DataFrame(to_working(w, scale), index=w.index, columns=w.columns)
            t = t.where(w.notna())
            lv_years = (2005, 2012) if ref == 2010 else (2013, 2023)
            st = series_stats(t, ref, lv_years)
            lv = st.pop("levels")
            levels[code] = lv
            entry["reference_year"] = ref
            entry.update(quantile_block(lv, scale, from_working))
            entry.update(st)
            if code == "BX.GSR.CCIS.ZS":
                entry["trend_slope_t"] = notes[code]["assumed_slope_t"]
                present = w.notna()
                miss = missing_block(present, income)
                base = float(
                    np.mean([miss["gap_share_by_year"][str(y)] for y in (2010, 2011, 2012)])
                )
                miss["gap_share_by_year"] = {
                    str(y): round(min(1.0, base + (0.3 if y == 2023 else 0.1 if y == 2022 else 0.0)), 4)
                    for y in YEARS
                }  # fmt: skip
                miss["share_by_band"] = _bands_from(miss)
                miss["measured_years"] = "2010-2012 (later years assumed)"
                entry["missing"] = miss
            else:
                entry["missing"] = missing_block(w.notna(), income)
            entry["by_income_median"] = {
                INCOME[g]: _round_sig(float(from_working(np.median(lv[income.reindex(lv.index) == g]), scale)))
                for g in INCOME
                if (income.reindex(lv.index) == g).sum() >= 3
            }  # fmt: skip
        else:
            entry.update(_assumed_entry(code, scale))
        out_ind[code] = entry

    corr = _correlations(codes, levels)
    income_block = _income_block(levels[GDP], income)
    return {
        "description": "Summary statistics of the real WDI snapshot (economies only) that drive "
                       "innolab's synthetic demo data; written by tools/calibrate_demo.py. No "
                       "rows of real data are included.",
        "inputs": {
            str(Path("data/wdi/tidy") / f): sha256_file(wdi / "tidy" / f)
            for f in ("wdi_tidy.csv", "wdi_tidy_legacy_2013_vintage.csv", "country_metadata.csv")
        },
        "years": [YEARS[0], YEARS[-1]],
        "quantile_probs": QUANTILE_PROBS,
        "year_bands": {k: list(v) for k, v in BANDS.items()},
        "ar_rho": AR_RHO,
        "missing_correlation": 0.5,
        "income_groups": income_block,
        "indicators": out_ind,
        "correlation": corr,
        "expert_ratings": EXPERT_RATINGS,
    }  # fmt: skip


def _bands_from(miss: dict) -> dict:
    never = miss["never_share"]
    gaps = miss["gap_share_by_year"]
    return {
        band: round(
            never + (1 - never) * float(np.mean([gaps[str(y)] for y in range(a, b + 1)])), 4
        )
        for band, (a, b) in BANDS.items()
    }


def _assumed_entry(code: str, scale: dict) -> dict:
    a = ASSUMED[code]
    q_t = to_working(np.asarray(a["quantiles"], dtype=float), scale)
    # a normal approximation of mean and sd on the working scale from the quartiles
    sd_t = float((q_t[5] - q_t[3]) / 1.349) if q_t[5] > q_t[3] else float((q_t[6] - q_t[2]) / 2.563)
    effects = {str(y): round(a["slope_t"] * (y - REF_YEAR), 4) for y in YEARS}
    never = a["never"]
    gap = {str(y): a["gap"] for y in YEARS}
    for y, v in a.get("gap_years", {}).items():
        gap[y] = v
    if "survey_years" in a:
        gap = {str(y): (a["gap"] if y in a["survey_years"] else 1.0) for y in YEARS}
    if "last_year" in a:
        gap = {str(y): (a["gap"] if y <= a["last_year"] else 1.0) for y in YEARS}
    weights = {"low": 26, "lower_middle": 51, "upper_middle": 54, "high": 85}
    never_all = sum(never[k] * w for k, w in weights.items()) / sum(weights.values())
    miss = {
        "never_share": round(never_all, 4),
        "never_share_by_income": never,
        "gap_share_by_year": gap,
    }
    miss["share_by_band"] = _bands_from(miss)
    entry = {
        "source": "assumed",
        "reason": a["reason"],
        "reference_year": REF_YEAR,
        "n_economies": None,
        "quantiles_t": [round(float(v), 4) for v in q_t],
        "quantiles": a["quantiles"],
        "mean_t": round(float(q_t[4]), 4),
        "sd_t": round(sd_t, 4),
        "year_effect_t": effects,
        "trend_slope_t": a["slope_t"],
        "slope_sd_t": a["slope_sd_t"],
        "resid_sd_t": a["resid_sd_t"],
        "missing": miss,
    }
    if "survey_years" in a:
        entry["survey_years"] = a["survey_years"]
    if "last_year" in a:
        entry["last_year"] = a["last_year"]
    return entry


def _correlations(codes: list[str], levels: dict[str, pd.Series]) -> dict:
    """Observed Spearman-based copula correlations, completed by a one-factor model."""
    cs = [c for c in codes if c != "EXP.POLICY"]
    k = len(cs)
    m = np.full((k, k), np.nan)
    n = np.zeros((k, k), dtype=int)
    kind = [["assumed"] * k for _ in range(k)]
    for i, a in enumerate(cs):
        m[i, i] = 1.0
        kind[i][i] = "identity"
        for j in range(i + 1, k):
            b = cs[j]
            if a in levels and b in levels:
                both = pd.concat([levels[a], levels[b]], axis=1, join="inner").dropna()
                if len(both) >= MIN_PAIR:
                    rho = stats.spearmanr(both.iloc[:, 0], both.iloc[:, 1]).statistic
                    m[i, j] = m[j, i] = spearman_to_pearson(float(rho))
                    n[i, j] = n[j, i] = len(both)
                    kind[i][j] = kind[j][i] = "observed"
    g = cs.index(GDP)
    lam2 = FACTOR_GDP_LOADING**2

    def corr_gdp(c: str) -> float:
        if c in ASSUMED:
            return ASSUMED[c]["corr_gdp"]
        return float(m[cs.index(c), g])

    for i, a in enumerate(cs):
        for j in range(i + 1, k):
            if np.isnan(m[i, j]):
                b = cs[j]
                if a == GDP or b == GDP:
                    v = corr_gdp(b if a == GDP else a)
                else:
                    v = corr_gdp(a) * corr_gdp(b) / lam2
                m[i, j] = m[j, i] = float(np.clip(v, -0.95, 0.95))
    pop = cs.index("SP.POP.TOTL")
    for c, a in ASSUMED.items():
        if "corr_pop" in a:
            i = cs.index(c)
            m[i, pop] = m[pop, i] = a["corr_pop"]
    for a, b, v, _ in ASSUMED_PAIRS:
        i, j = cs.index(a), cs.index(b)
        m[i, j] = m[j, i] = v
    fixed = nearest_correlation(m)
    return {
        "method": "Spearman rank correlation of the reference-year levels (pairwise complete, "
                  f"at least {MIN_PAIR} economies) converted to a Gaussian-copula correlation "
                  "2 sin(pi rho / 6); missing pairs from a one-factor model with log GDP per "
                  f"capita loading {FACTOR_GDP_LOADING} (r_ab = r_a,gdp r_b,gdp / "
                  f"{FACTOR_GDP_LOADING}^2); assumed pairs listed; then projected to the nearest "
                  "positive-definite correlation matrix",
        "indicators": cs,
        "matrix": [[round(float(v), 4) for v in row] for row in fixed],
        "raw": [[round(float(v), 4) for v in row] for row in m],
        "n": n.tolist(),
        "kind": kind,
        "assumed_pairs": [{"a": a, "b": b, "r": v, "reason": r} for a, b, v, r in ASSUMED_PAIRS],
    }  # fmt: skip


def _income_block(gdp_levels: pd.Series, income: pd.Series) -> dict:
    """Share of each income group and the mean/sd of its GDP normal scores."""
    lv = gdp_levels.dropna()
    scores = pd.Series(stats.norm.ppf((lv.rank() - 0.5) / len(lv)), index=lv.index)
    grp = income.reindex(lv.index)
    total = income.isin(list(INCOME)).sum()
    out = {}
    for g, key in INCOME.items():
        s = scores[grp == g]
        out[key] = {
            "label": g,
            "share": round(float((income == g).sum() / total), 4),
            "gdp_z_mean": round(float(s.mean()), 4),
            "gdp_z_sd": round(float(s.std(ddof=1)), 4),
            "n_economies": int(s.size),
        }
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--wdi", type=Path, default=config.SHARED_DIR / "data" / "wdi")
    p.add_argument("--out", type=Path, default=config.PACKAGE_DATA_DIR / "demo_calibration.json")
    args = p.parse_args(argv)
    result = calibrate(args.wdi)
    with atomic_write(args.out) as fh:
        json.dump(result, fh, indent=1, ensure_ascii=False)
        fh.write("\n")
    args.out.chmod(0o644)
    print(f"wrote {args.out} ({len(result['indicators'])} indicators)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
