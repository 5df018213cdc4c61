"""The embedded demo data set: a deterministic generator of SYNTHETIC, fictional economies.

innolab must run out of the box without network, so it ships a small data set in
``data/raw/demo/``: about 60 invented economies (ISO 3166 user-assigned codes ``XAA`` ...,
invented names) over 2010-2023, with every indicator of the default framework and expert
workshop ratings for a few of them. The values are random draws from a statistical model whose
parameters are summary statistics of the real WDI data (``innolab/data/demo_calibration.json``,
written by ``tools/calibrate_demo.py``); no real row is carried over and no conclusion about any
real country can be drawn from them.

The model
---------
For indicator *j* on its working scale :math:`t = g_j(x)` (log, logit, asinh or linear):

.. math::

    t_{ijt} = Q_j\\bigl(\\Phi(z_{ij})\\bigr) + b_{jt} + d_{ij}\\,(t - t^{ref}_j) + u_{ijt},
    \\qquad u_{ijt} = \\rho\\,u_{ij,t-1} + \\sqrt{1-\\rho^2}\\,\\sigma_j\\,\\varepsilon_{ijt}

* :math:`z_{i\\cdot}` is a Gaussian-copula vector with the calibrated correlation matrix. GDP per
  capita drives it: economy *i*'s GDP score is drawn from its income group's calibrated mean
  and spread, and the others from their normal distribution conditional on it.
* :math:`Q_j` interpolates the calibrated quantiles (linearly in normal scores), so each
  cross-section has the real marginal distribution; :math:`b_{jt}` are the calibrated year
  effects (internet diffusion, the 2020 dip, ...); :math:`d_{ij} \\sim N(0, s_j^2)` individual
  trends; :math:`u` AR(1) noise with the calibrated residual spread.
* Values are mapped back to the natural scale, clipped to hard bounds (percentages in
  [0, 100], counts >= 0, WGI in [-2.5, 2.5]) and rounded. Patents and articles are written as
  counts (rate per million x population / 10^6), as the framework divides them by
  SP.POP.TOTL.
* Missingness: an economy never reports a series with its income group's calibrated share
  (propensities correlated across series, so economies without R&D statistics also tend to
  lack patent statistics); reporting economies have gaps with the calibrated share of each year
  (later years sparser, Findex only in survey years, IC.REG.DURS ends in 2019).

Determinism: a :class:`numpy.random.SeedSequence` spawns one stream per purpose, values are
rounded before being written and files are written in a fixed order, so the same seed gives
the same bytes on every run (for a given NumPy version).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import ndtri

from . import config
from .ecosystem import ENABLERS, RATING_RANGE, STAKEHOLDERS
from .errors import DataFileError, ParameterError
from .io import atomic_write

__all__ = [
    "DEFAULT_SEED",
    "SOURCE",
    "CALIBRATION_PATH",
    "ECONOMIES",
    "DemoData",
    "load_calibration",
    "to_working",
    "from_working",
    "generate",
    "write_demo",
]

#: Seed of the committed demo data in ``data/raw/demo/``.
DEFAULT_SEED = 20240611
#: Value of the ``source`` column of every synthetic row.
SOURCE = "innolab synthetic demo"
#: The calibration the generator reads (and nothing else).
CALIBRATION_PATH = config.PACKAGE_DATA_DIR / "demo_calibration.json"

_WB_LABEL = {
    "low": "Low income",
    "lower_middle": "Lower middle income",
    "upper_middle": "Upper middle income",
    "high": "High income",
}
_SSA, _MENA, _LAC, _NAM = (
    "Sub-Saharan Africa",
    "Middle East, North Africa, Afghanistan & Pakistan",
    "Latin America & Caribbean",
    "North America",
)
_SAS, _EAP, _ECA = "South Asia", "East Asia & Pacific", "Europe & Central Asia"

#: The fictional economies: (name, ITU-D region, World Bank-style region (FY2026 names),
#: income group key).
#: Allocation by hand so that regions and income groups mix roughly as among real economies
#: (about 12 % low, 25 % lower-middle, 25 % upper-middle, 38 % high income). Codes are
#: assigned in this order from XAA on. Names are invented; any resemblance is coincidental.
ECONOMIES: tuple[tuple[str, str, str, str], ...] = (
    ("Republic of Aldoria", "AFR", _SSA, "low"),
    ("Republic of Bellanzor", "AFR", _SSA, "low"),
    ("Kingdom of Corvantia", "AFR", _SSA, "low"),
    ("Federal Republic of Gavrinde", "AFR", _SSA, "low"),
    ("Republic of Kessimbra", "AFR", _SSA, "low"),
    ("Republic of Drelmovia", "AFR", _SSA, "lower_middle"),
    ("United Republic of Esquarra", "AFR", _SSA, "lower_middle"),
    ("Republic of Felumbria", "AFR", _SSA, "lower_middle"),
    ("Republic of Harvossa", "AFR", _SSA, "lower_middle"),
    ("Republic of Istrabel", "AFR", _SSA, "lower_middle"),
    ("Kingdom of Jorvendi", "AFR", _SSA, "upper_middle"),
    ("Republic of Lumivar", "AFR", _SSA, "upper_middle"),
    ("Morvessa Islands", "AFR", _SSA, "high"),
    ("Republic of Ulvastra", "ARB", _SSA, "low"),
    ("Republic of Pellucia", "ARB", _MENA, "lower_middle"),
    ("Republic of Tolmira", "ARB", _MENA, "lower_middle"),
    ("Sultanate of Ostrivane", "ARB", _MENA, "upper_middle"),
    ("Kingdom of Quorvath", "ARB", _MENA, "high"),
    ("State of Rhovania", "ARB", _MENA, "high"),
    ("Emirate of Sarventi", "ARB", _MENA, "high"),
    ("Republic of Vespalune", "AMS", _LAC, "lower_middle"),
    ("Wendrasil", "AMS", _LAC, "lower_middle"),
    ("Republic of Yarrovane", "AMS", _LAC, "upper_middle"),
    ("Republic of Amberquist", "AMS", _LAC, "upper_middle"),
    ("Federative Republic of Caldrune", "AMS", _LAC, "upper_middle"),
    ("Dunmerrow", "AMS", _LAC, "upper_middle"),
    ("Republic of Frostavel", "AMS", _LAC, "upper_middle"),
    ("Zephirine Islands", "AMS", _LAC, "high"),
    ("Brisolde", "AMS", _LAC, "high"),
    ("Commonwealth of Elvaquin", "AMS", _LAC, "high"),
    ("Gorvath", "AMS", _NAM, "high"),
    ("Federated States of Pravonia", "ASP", _SAS, "low"),
    ("Republic of Jadrenna", "ASP", _SAS, "lower_middle"),
    ("Kingdom of Kervanth", "ASP", _SAS, "lower_middle"),
    ("Republic of Nerevia", "ASP", _EAP, "lower_middle"),
    ("Quillmarsh", "ASP", _EAP, "lower_middle"),
    ("Lorvegne", "ASP", _EAP, "upper_middle"),
    ("Kingdom of Roskavel", "ASP", _EAP, "upper_middle"),
    ("Silvarre", "ASP", _EAP, "upper_middle"),
    ("Halcyra", "ASP", _EAP, "high"),
    ("Ithmere", "ASP", _EAP, "high"),
    ("Mirasund Islands", "ASP", _EAP, "high"),
    ("Orvalis", "ASP", _EAP, "high"),
    ("Republic of Tamberlyn", "CIS", _ECA, "lower_middle"),
    ("Wystmoor", "CIS", _ECA, "lower_middle"),
    ("Umbravia", "CIS", _ECA, "upper_middle"),
    ("Republic of Valtessimor", "CIS", _ECA, "upper_middle"),
    ("Cestrovia", "EUR", _ECA, "upper_middle"),
    ("Republic of Ambrevo", "EUR", _ECA, "upper_middle"),
    ("Xandrivel", "EUR", _ECA, "high"),
    ("Grand Duchy of Yselmark", "EUR", _ECA, "high"),
    ("Zarquenne", "EUR", _ECA, "high"),
    ("Belquessa", "EUR", _ECA, "high"),
    ("Principality of Dalvoria", "EUR", _ECA, "high"),
    ("Emberholt", "EUR", _ECA, "high"),
    ("Feyanne", "EUR", _ECA, "high"),
    ("Kingdom of Galdravia", "EUR", _ECA, "high"),
    ("Hestovar", "EUR", _ECA, "high"),
    ("Ilvarosa", "EUR", _ECA, "high"),
    ("Republic of Jesmarin", "EUR", _ECA, "high"),
)

#: Economies with national expert workshops: name -> workshop years.
_WORKSHOPS: dict[str, tuple[int, ...]] = {
    "Republic of Drelmovia": (2021,),
    "Sultanate of Ostrivane": (2022,),
    "Republic of Jadrenna": (2019, 2023),
    "Umbravia": (2023,),
    "Cestrovia": (2022,),
}
_EXP_POLICY = "EXP.POLICY"
_COUNT_CODES = ("IP.PAT.RESD", "IP.JRN.ARTC.SC")
_POP = "SP.POP.TOTL"
_GDP = "NY.GDP.PCAP.PP.KD"


def _code(k: int) -> str:
    """The k-th user-assigned code from XAA on (XAA, XAB, ..., XAZ, XBA, ...)."""
    return "X" + chr(ord("A") + k // 26) + chr(ord("A") + k % 26)


@dataclass(frozen=True)
class DemoData:
    """The four tables of the demo data set, as written to ``data/raw/demo/``."""

    indicators: pd.DataFrame
    indicators_meta: pd.DataFrame
    countries: pd.DataFrame
    expert_ratings: pd.DataFrame
    seed: int
    calibration_sha256: str


def load_calibration(path: str | Path | None = None) -> dict:
    """Read the calibration JSON (default: the one shipped in the package)."""
    path = Path(path) if path is not None else CALIBRATION_PATH
    try:
        with open(path, encoding="utf-8") as fh:
            cal = json.load(fh)
    except FileNotFoundError:
        raise DataFileError(path, "calibration file not found") from None
    except json.JSONDecodeError as exc:
        raise DataFileError(path, f"not valid JSON: {exc.msg}", line=exc.lineno) from None
    missing = {"indicators", "correlation", "income_groups", "expert_ratings", "years"} - set(cal)
    if missing:
        raise DataFileError(path, "calibration lacks keys", expected=", ".join(sorted(missing)))
    return cal


# --- working scales ---------------------------------------------------------------------------


def to_working(x, scale: dict) -> np.ndarray:
    """Natural values -> the working scale of an indicator (``scale`` from the calibration).

    ``log``: :math:`\\ln(x + c)`; ``logit`` on [lo, hi] with a margin :math:`\\varepsilon`:
    :math:`\\ln\\frac{x - lo + \\varepsilon}{hi - x + \\varepsilon}`; ``asinh``; ``linear``.

    >>> float(to_working(99.0, {"kind": "log", "offset": 1.0}).round(4))
    4.6052
    >>> float(to_working(50.0, {"kind": "logit", "lo": 0, "hi": 100, "eps": 0.5}))
    0.0
    """
    x = np.asarray(x, dtype=float)
    kind = scale["kind"]
    if kind == "log":
        return np.log(np.maximum(x, 0.0) + scale.get("offset", 0.0))
    if kind == "logit":
        lo, hi, eps = scale["lo"], scale["hi"], scale["eps"]
        x = np.clip(x, lo, hi)
        return np.log((x - lo + eps) / (hi - x + eps))
    if kind == "asinh":
        return np.arcsinh(x)
    if kind == "linear":
        return x
    raise ParameterError("scale", f"unknown working scale {kind!r}")


def from_working(t, scale: dict) -> np.ndarray:
    """Inverse of :func:`to_working` (logit results clipped to [lo, hi]).

    >>> round(float(from_working(to_working(12.5, {"kind": "asinh"}), {"kind": "asinh"})), 9)
    12.5
    """
    t = np.asarray(t, dtype=float)
    kind = scale["kind"]
    if kind == "log":
        return np.exp(t) - scale.get("offset", 0.0)
    if kind == "logit":
        lo, hi, eps = scale["lo"], scale["hi"], scale["eps"]
        return np.clip(lo - eps + _logistic(t) * (hi - lo + 2 * eps), lo, hi)
    if kind == "asinh":
        return np.sinh(t)
    if kind == "linear":
        return t
    raise ParameterError("scale", f"unknown working scale {kind!r}")


def _logistic(t: np.ndarray) -> np.ndarray:
    """The logistic function 1 / (1 + e^-t), written to avoid overflow warnings."""
    t = np.asarray(t, dtype=float)
    return np.exp(-np.logaddexp(0.0, -t))


def _quantile_map(z: np.ndarray, probs: list[float], q_t: list[float]) -> np.ndarray:
    """Map normal scores to the working scale through calibrated quantiles.

    Linear interpolation between the quantiles in normal-score space; beyond the outer
    quantiles half the outer segment's slope continues (a damped tail) and scores are
    clamped to [-3, 3], so no draw lands far outside the calibrated range.
    """
    knots = ndtri(np.asarray(probs))
    vals = np.asarray(q_t, dtype=float)
    z = np.clip(z, -3.0, 3.0)
    out = np.interp(z, knots, vals)
    lo_slope = 0.5 * (vals[1] - vals[0]) / (knots[1] - knots[0])
    hi_slope = 0.5 * (vals[-1] - vals[-2]) / (knots[-1] - knots[-2])
    out = np.where(z < knots[0], vals[0] + (z - knots[0]) * lo_slope, out)
    return np.where(z > knots[-1], vals[-1] + (z - knots[-1]) * hi_slope, out)


def _year_effects(entry: dict, years: np.ndarray) -> np.ndarray:
    """Calibrated year effects, extrapolated with the trend slope where not estimable."""
    eff = {int(k): float(v) for k, v in entry["year_effect_t"].items()}
    slope = float(entry["trend_slope_t"])
    known = sorted(eff)
    out = np.empty(len(years))
    for n, y in enumerate(years):
        if y in eff:
            out[n] = eff[y]
        elif not known:
            out[n] = slope * (y - entry["reference_year"])
        elif y > known[-1]:
            out[n] = eff[known[-1]] + slope * (y - known[-1])
        elif y < known[0]:
            out[n] = eff[known[0]] - slope * (known[0] - y)
        else:  # a hole inside the estimable range
            out[n] = np.interp(y, known, [eff[k] for k in known])
    return out


# --- the generator ----------------------------------------------------------------------------


def _countries() -> pd.DataFrame:
    rows = [
        {
            "iso3": _code(k),
            "name": name,
            "itu_region": itu,
            "wb_region": wb,
            "income_group": _WB_LABEL[inc],
        }
        for k, (name, itu, wb, inc) in enumerate(ECONOMIES)
    ]
    return pd.DataFrame(rows, columns=["iso3", "name", "itu_region", "wb_region", "income_group"])


def _latent_scores(cal: dict, income: list[str], rng: np.random.Generator) -> pd.DataFrame:
    """Gaussian-copula scores: GDP from the income group, the rest conditional on GDP."""
    corr = cal["correlation"]
    codes = list(corr["indicators"])
    r = np.asarray(corr["matrix"], dtype=float)
    g = codes.index(_GDP)
    groups = cal["income_groups"]
    z_gdp = np.array(
        [groups[k]["gdp_z_mean"] + groups[k]["gdp_z_sd"] * rng.standard_normal() for k in income]
    )
    rest = [n for n in range(len(codes)) if n != g]
    r_rg = r[rest, g]
    cond = r[np.ix_(rest, rest)] - np.outer(r_rg, r_rg)
    chol = np.linalg.cholesky(cond + 1e-9 * np.eye(len(rest)))
    e = rng.standard_normal((len(income), len(rest)))
    z_rest = np.outer(z_gdp, r_rg) + e @ chol.T
    z = np.empty((len(income), len(codes)))
    z[:, g] = z_gdp
    z[:, rest] = z_rest
    return pd.DataFrame(z, columns=codes)


def _series(
    entry: dict,
    z: np.ndarray,
    years: np.ndarray,
    rho: float,
    probs: list[float],
    rng: np.random.Generator,
) -> np.ndarray:
    """One indicator's (economy x year) panel on the working scale."""
    n, k = z.size, years.size
    sd, resid = float(entry["sd_t"]), float(entry["resid_sd_t"])
    level = _quantile_map(z, probs, entry["quantiles_t"])
    centre = float(entry["quantiles_t"][len(probs) // 2])
    # the yearly noise adds variance; shrink the levels so the cross-section keeps its spread
    shrink = np.sqrt(max(0.25, 1.0 - (resid / sd) ** 2)) if sd > 0 else 1.0
    level = centre + (level - centre) * shrink
    effects = _year_effects(entry, years)
    slopes = float(entry["slope_sd_t"]) * rng.standard_normal(n)
    noise = np.empty((n, k))
    noise[:, 0] = resid * rng.standard_normal(n)
    innov = np.sqrt(1.0 - rho**2) * resid
    for c in range(1, k):
        noise[:, c] = rho * noise[:, c - 1] + innov * rng.standard_normal(n)
    dt = years - int(entry["reference_year"])
    return level[:, None] + effects[None, :] + slopes[:, None] * dt[None, :] + noise


def _natural(t: np.ndarray, entry: dict) -> np.ndarray:
    x = from_working(t, entry["scale"])
    lo, hi = entry["bounds"]
    return np.clip(x, -np.inf if lo is None else lo, np.inf if hi is None else hi)


def _missing_mask(
    cal: dict, codes: list[str], income: list[str], years: np.ndarray, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """True where a value is missing: never-reporting economies, then yearly gaps.

    In each income group, the ``round(share * size)`` economies with the lowest reporting
    propensity never report the series (stratified, so the shares match the calibration);
    propensities share an economy-level component, so the same economies tend to lack the
    same sparse series.
    """
    c = float(cal.get("missing_correlation", 0.5))
    shared = rng.standard_normal(len(income))
    groups = np.asarray(income)
    masks = {}
    for code in codes:
        miss = cal["indicators"][code]["missing"]
        u = np.sqrt(c) * shared + np.sqrt(1.0 - c) * rng.standard_normal(len(income))
        never = np.zeros(len(income), dtype=bool)
        for g in np.unique(groups):
            members = np.flatnonzero(groups == g)
            share = miss["never_share_by_income"].get(str(g), miss["never_share"])
            k = int(round(share * members.size))
            never[members[np.argsort(u[members], kind="stable")[:k]]] = True
        gap_p = np.array([miss["gap_share_by_year"].get(str(y), 0.0) for y in years])
        gaps = rng.random((len(income), years.size)) < gap_p[None, :]
        masks[code] = never[:, None] | gaps
    return masks


def _expert_ratings(
    cal: dict, countries: pd.DataFrame, z: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """Workshop means of integer 1-5 scores, stakeholder x enabler, for the workshop economies."""
    spec = cal["expert_ratings"]
    lo, hi = RATING_RANGE
    r_lo, r_hi = spec["respondents"]
    overrides = {(o["stakeholder"], o["enabler"]): o["bias"] for o in spec["bias_overrides"]}
    rows = []
    for name, workshop_years in _WORKSHOPS.items():
        i = int(np.flatnonzero(countries["name"].to_numpy() == name)[0])
        first = workshop_years[0]
        for year in workshop_years:
            for s in STAKEHOLDERS:
                for e in ENABLERS:
                    driver = float(z.iloc[i][spec["enabler_driver"][e]])
                    bias = overrides.get((s, e), spec["stakeholder_bias"][s])
                    mean = (
                        spec["intercept"]
                        + spec["loading"] * driver
                        + bias
                        + 0.05 * (year - first)
                        + spec["cell_sd"] * rng.standard_normal()
                    )
                    m = int(rng.integers(r_lo, r_hi + 1))
                    scores = np.clip(
                        np.rint(mean + spec["respondent_sd"] * rng.standard_normal(m)), lo, hi
                    )
                    rows.append(
                        {
                            "iso3": countries["iso3"].iat[i],
                            "stakeholder": s,
                            "enabler": e,
                            "rating": round(float(scores.mean()), 2),
                            "year": year,
                            "respondents": m,
                        }
                    )
    return pd.DataFrame(
        rows, columns=["iso3", "stakeholder", "enabler", "rating", "year", "respondents"]
    )


def generate(seed: int = DEFAULT_SEED, *, calibration: str | Path | None = None) -> DemoData:
    """Generate the synthetic demo data set (deterministic in ``seed``).

    Parameters
    ----------
    seed : int
        Seed of the :class:`numpy.random.SeedSequence`; the committed data use
        :data:`DEFAULT_SEED`.
    calibration : path, optional
        Calibration JSON; default the one shipped in ``innolab/data``.

    Returns
    -------
    DemoData
        ``indicators`` (canonical tidy: iso3, indicator, year, value, source), ``indicators_meta``
        (indicator, name, unit, source), ``countries`` (iso3, name, itu_region, wb_region,
        income_group) and ``expert_ratings`` (iso3, stakeholder, enabler, rating, year,
        respondents).

    Examples
    --------
    >>> d = generate(7)
    >>> d.countries["iso3"].iloc[:3].tolist()
    ['XAA', 'XAB', 'XAC']
    >>> sorted(d.countries["itu_region"].unique())
    ['AFR', 'AMS', 'ARB', 'ASP', 'CIS', 'EUR']
    >>> bool(d.indicators["value"].notna().all())
    True
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ParameterError("seed", f"must be a non-negative integer, not {seed!r}")
    cal_path = Path(calibration) if calibration is not None else CALIBRATION_PATH
    cal = load_calibration(cal_path)
    cal_sha = hashlib.sha256(cal_path.read_bytes()).hexdigest()
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(int(seed)).spawn(4)]
    rng_level, rng_time, rng_missing, rng_ratings = streams

    countries = _countries()
    income = [k for _, _, _, k in ECONOMIES]
    years = np.arange(cal["years"][0], cal["years"][1] + 1)
    codes = [c for c in cal["indicators"]]
    z = _latent_scores(cal, income, rng_level)
    probs = cal["quantile_probs"]
    rho = float(cal["ar_rho"])

    values: dict[str, np.ndarray] = {}
    for code in codes:
        entry = cal["indicators"][code]
        t = _series(entry, z[code].to_numpy(), years, rho, probs, rng_time)
        values[code] = np.round(_natural(t, entry), int(entry["decimals"]))
    for code in _COUNT_CODES:  # rates per million -> counts
        entry = cal["indicators"][code]
        values[code] = np.round(values[code] * values[_POP] / 1e6, int(entry["decimals"]))
    masks = _missing_mask(cal, codes, income, years, rng_missing)

    frames = []
    iso3 = countries["iso3"].to_numpy()
    for code in codes:
        keep = ~masks[code]
        ii, yy = np.nonzero(keep)
        frames.append(
            pd.DataFrame(
                {
                    "iso3": iso3[ii],
                    "indicator": code,
                    "year": years[yy].astype("int64"),
                    "value": values[code][ii, yy],
                }
            )
        )
    ratings = _expert_ratings(cal, countries, z, rng_ratings)
    exp_enablers = cal["expert_ratings"]["exp_policy"]["enablers"]
    policy = (
        ratings.loc[ratings["enabler"].isin(exp_enablers)]
        .groupby(["iso3", "year"], as_index=False)["rating"]
        .mean()
        .rename(columns={"rating": "value"})
    )
    policy["value"] = policy["value"].round(2)
    policy["indicator"] = _EXP_POLICY
    frames.append(policy[["iso3", "indicator", "year", "value"]])
    data = pd.concat(frames, ignore_index=True)
    data["source"] = SOURCE
    order = {c: n for n, c in enumerate([*codes, _EXP_POLICY])}
    data = (
        data.assign(_o=data["indicator"].map(order))
        .sort_values(["iso3", "_o", "year"], kind="mergesort")
        .drop(columns="_o")
        .reset_index(drop=True)
    )
    meta = _meta(cal)
    return DemoData(data, meta, countries, ratings, int(seed), cal_sha)


def _meta(cal: dict) -> pd.DataFrame:
    rows = [
        {
            "indicator": code,
            "name": e["name"],
            "unit": e.get("raw_unit", e["unit"]),
            "source": SOURCE,
        }
        for code, e in cal["indicators"].items()
    ]
    rows.append(
        {
            "indicator": _EXP_POLICY,
            "name": "Expert rating of innovation policy (national workshop)",
            "unit": "rating 1-5",
            "source": SOURCE,
        }
    )
    return pd.DataFrame(rows, columns=["indicator", "name", "unit", "source"])


# --- writing ----------------------------------------------------------------------------------


def _csv_text(df: pd.DataFrame, decimals: dict[str, int] | None = None) -> str:
    """CSV text with fixed number formatting (no float repr differences between machines)."""
    out = df.copy()
    if decimals:
        fmt = out["indicator"].map(decimals).fillna(2).astype(int).to_numpy()
        out["value"] = [f"{v:.{d}f}" for v, d in zip(out["value"].to_numpy(), fmt, strict=True)]
    if "rating" in out:
        out["rating"] = [f"{v:.2f}" for v in out["rating"]]
    return out.to_csv(index=False, lineterminator="\n")


def _readme(d: DemoData) -> str:
    n_econ = len(d.countries)
    ind = d.indicators
    lines = [
        "# data/raw/demo: SYNTHETIC demo data (fictional economies)",
        "",
        "**Everything in this folder is synthetic.** The economies are fictional: their codes are",
        "ISO 3166-1 user-assigned codes (`XAA`, `XAB`, ...) that no real country has, and their",
        "names are invented (any resemblance to a real place is coincidental). The values are",
        "random draws from a statistical model. They are not data about any real country and must",
        "not be used for any real conclusion: they exist so that innolab runs offline, out of the",
        "box, and so that tests, notebooks and reports have realistic inputs.",
        "",
        "## What is here",
        "",
        "| file | contents |",
        "|---|---|",
        f"| `indicators.csv` | canonical tidy table `iso3, indicator, year, value, source`: "
        f"{len(ind)} values, {ind['indicator'].nunique()} indicators, "
        f"{int(ind['year'].min())}-{int(ind['year'].max())} |",
        "| `indicators_meta.csv` | `indicator, name, unit, source` (units as written here: "
        "patents and articles are counts) |",
        f"| `countries.csv` | {n_econ} fictional economies: `iso3, name, itu_region, wb_region, "
        "income_group` |",
        f"| `expert_ratings.csv` | workshop ratings (stakeholder x enabler, 1-5) for "
        f"{d.expert_ratings['iso3'].nunique()} economies: "
        "`iso3, stakeholder, enabler, rating, year, respondents` |",
        "",
        "Every indicator of the default framework (`innolab/frameworks/digital_innovation.yaml`)",
        "is present, plus the denominator `SP.POP.TOTL`; `EXP.POLICY` exists only where expert",
        "ratings exist (mean of the vision & strategy and policy & regulation ratings).",
        "",
        "## How it was generated",
        "",
        "```",
        f"innolab data demo --seed {d.seed}",
        "```",
        "",
        f"- generator: `innolab.demo.generate(seed={d.seed})` (NumPy `SeedSequence` streams; the "
        "same seed gives the same bytes)",
        "- calibration: `innolab/data/demo_calibration.json` "
        f"(sha256 `{d.calibration_sha256}`), written by `tools/calibrate_demo.py` from SUMMARY "
        "STATISTICS of the World Bank WDI snapshot in `../shared/data/wdi` (quantiles, year "
        "effects, trends, missing shares, rank correlations). No row of real data is included. "
        'Series that the snapshot lacks use documented, hand-set statistics (`"source": '
        '"assumed"` in the JSON, with the reason).',
        "- model: Gaussian copula driven by GDP per capita (drawn by income group), calibrated "
        "marginals, year effects, individual trends, AR(1) noise, bounds, and missingness by "
        "income group and year (see the `innolab.demo` module docstring).",
        "",
        "## Licence",
        "",
        "The synthetic data are released under CC BY 4.0. The calibration uses statistics of the "
        "World Bank World Development Indicators (CC BY 4.0; attribution: World Bank, World "
        "Development Indicators).",
        "",
    ]
    return "\n".join(lines)


def write_demo(out: str | Path | None = None, *, seed: int = DEFAULT_SEED) -> list[Path]:
    """Generate the demo data set and write its five files to ``out`` (atomically, each).

    Returns the paths written. ``out`` defaults to ``data/raw/demo``.
    """
    out = Path(out) if out is not None else config.DEMO_DIR
    d = generate(seed)
    decimals = {c: int(e["decimals"]) for c, e in load_calibration()["indicators"].items()}
    decimals[_EXP_POLICY] = 2
    texts = {
        "indicators.csv": _csv_text(d.indicators, decimals),
        "indicators_meta.csv": _csv_text(d.indicators_meta),
        "countries.csv": _csv_text(d.countries),
        "expert_ratings.csv": _csv_text(d.expert_ratings),
        "README.md": _readme(d),
    }
    written = []
    for name, text in texts.items():
        path = out / name
        with atomic_write(path, "w", encoding="utf-8") as fh:
            fh.write(text)
        path.chmod(0o644)  # shared data files: readable by everyone, like a git checkout
        written.append(path)
    return written
