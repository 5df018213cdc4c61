"""Expert ratings of the ecosystem: the stakeholder x enabler grid, and where it meets the data.

ITU's Ecosystem Assessment Canvas asks experts to rate each enabler block (vision & strategy,
talent & champions, ...) for each stakeholder group (academia, entrepreneurs, ...) on a 1-5
scale. This module summarises that grid, maps enablers to framework pillars through each
pillar's ``canvas_block`` attribute, and confronts the expert view with the data: both are put
on the 0-100 maturity scale (METHOD.md §3: a rating ``r`` maps to ``100·(r - 1)/4``, the same
mapping :func:`innolab.ecosystem.maturity_band` uses) and disagreements of more than one band
width (20 points) are flagged.

Ratings are a tidy table ``iso3, stakeholder, enabler, rating, [respondents], [year]`` as read
by :func:`innolab.sources.read_expert_ratings`. When ``respondents`` is present each rating (a
workshop mean) counts with that many respondents in every mean; otherwise every row counts once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..ecosystem import ENABLERS, MATURITY_BANDS, RATING_RANGE, STAKEHOLDERS, maturity_band
from ..errors import FrameworkError, ParameterError
from . import _tree

__all__ = [
    "BAND_WIDTH",
    "rating_to_points",
    "check_ratings",
    "ratings_summary",
    "ratings_grid",
    "enabler_pillars",
    "expert_vs_data",
]

#: Width of one maturity band on the 0-100 scale (the disagreement threshold).
BAND_WIDTH: float = 100.0 / len(MATURITY_BANDS)

_LABEL_TO_CODE = {v.lower(): k for k, v in ENABLERS.items()} | {k: k for k in ENABLERS}


def rating_to_points(rating: float | pd.Series) -> float | pd.Series:
    """Map a 1-5 rating onto 0-100: ``100·(r - 1)/4``.

    >>> rating_to_points(1.0), rating_to_points(3.0), rating_to_points(5.0)
    (0.0, 50.0, 100.0)
    """
    lo, hi = RATING_RANGE
    return (rating - lo) / (hi - lo) * 100.0


def check_ratings(ratings: pd.DataFrame) -> pd.DataFrame:
    """Validate a ratings table and return it with a ``weight`` column (respondents or 1).

    Unknown stakeholder or enabler codes, ratings outside 1-5 and non-positive respondent counts
    are a :class:`ParameterError` naming the offending values.
    """
    need = ["iso3", "stakeholder", "enabler", "rating"]
    missing = [c for c in need if c not in ratings.columns]
    if missing:
        raise ParameterError("ratings", f"missing columns {missing}")
    r = ratings.copy()
    bad_s = sorted(set(r["stakeholder"]) - set(STAKEHOLDERS))
    bad_e = sorted(set(r["enabler"]) - set(ENABLERS))
    if bad_s or bad_e:
        parts = []
        if bad_s:
            parts.append(f"unknown stakeholders {bad_s} (valid: {sorted(STAKEHOLDERS)})")
        if bad_e:
            parts.append(f"unknown enablers {bad_e} (valid: {sorted(ENABLERS)})")
        raise ParameterError("ratings", "; ".join(parts))
    r["rating"] = pd.to_numeric(r["rating"], errors="coerce")
    lo, hi = RATING_RANGE
    out = r[r["rating"].notna() & ((r["rating"] < lo) | (r["rating"] > hi))]
    if len(out):
        ex = out.iloc[0]
        raise ParameterError(
            "ratings",
            f"{len(out)} ratings outside {lo:g}-{hi:g}, e.g. {ex['iso3']} "
            f"{ex['stakeholder']} x {ex['enabler']} = {ex['rating']}",
        )
    if "respondents" in r.columns:
        w = pd.to_numeric(r["respondents"], errors="coerce")
        if (w.isna() | (w <= 0)).any():
            raise ParameterError("ratings", "respondents must be positive numbers")
        r["weight"] = w.astype(float)
    else:
        r["weight"] = 1.0
    return r[r["rating"].notna()]


def _wmean(df: pd.DataFrame) -> tuple[float, int, float]:
    w = df["weight"].to_numpy(dtype=float)
    x = df["rating"].to_numpy(dtype=float)
    return float((w * x).sum() / w.sum()), len(df), float(w.sum())


def ratings_summary(ratings: pd.DataFrame) -> pd.DataFrame:
    """Means of the grid per cell, stakeholder (row), enabler (column) and overall.

    Every mean is over the individual ratings (respondent-weighted), not a mean of cell means.

    Returns
    -------
    DataFrame ``iso3, scope ("cell" | "stakeholder" | "enabler" | "overall"), stakeholder,
    enabler, mean, n_ratings, respondents``; ``stakeholder``/``enabler`` are None where the scope
    spans them. Rows follow the vocabulary order of innolab.ecosystem.
    """
    r = check_ratings(ratings)
    rows = []
    for iso3, d in r.groupby("iso3", sort=True):
        for s in STAKEHOLDERS:
            for e in ENABLERS:
                cell = d[(d["stakeholder"] == s) & (d["enabler"] == e)]
                if len(cell):
                    rows.append((iso3, "cell", s, e, *_wmean(cell)))
        for s in STAKEHOLDERS:
            part = d[d["stakeholder"] == s]
            if len(part):
                rows.append((iso3, "stakeholder", s, None, *_wmean(part)))
        for e in ENABLERS:
            part = d[d["enabler"] == e]
            if len(part):
                rows.append((iso3, "enabler", None, e, *_wmean(part)))
        rows.append((iso3, "overall", None, None, *_wmean(d)))
    return pd.DataFrame(
        rows,
        columns=["iso3", "scope", "stakeholder", "enabler", "mean", "n_ratings", "respondents"],
    )


def ratings_grid(ratings: pd.DataFrame, iso3: str) -> pd.DataFrame:
    """The stakeholder x enabler grid of one country, with row and column means as margins.

    Rows are the stakeholders plus ``mean``; columns the enablers plus ``mean`` (the margins are
    the respondent-weighted means of :func:`ratings_summary`; the corner is the overall mean).
    Cells without ratings are NaN.
    """
    summ = ratings_summary(ratings)
    d = summ[summ["iso3"] == iso3]
    if d.empty:
        raise ParameterError("iso3", f"no ratings for {iso3}")
    grid = pd.DataFrame(np.nan, index=[*STAKEHOLDERS, "mean"], columns=[*ENABLERS, "mean"])
    for row in d.itertuples():
        if row.scope == "cell":
            grid.loc[row.stakeholder, row.enabler] = row.mean
        elif row.scope == "stakeholder":
            grid.loc[row.stakeholder, "mean"] = row.mean
        elif row.scope == "enabler":
            grid.loc["mean", row.enabler] = row.mean
        else:
            grid.loc["mean", "mean"] = row.mean
    grid.index.name = "stakeholder"
    return grid


def enabler_pillars(framework: Any) -> pd.DataFrame:
    """Which pillars measure which canvas enabler, from each aggregate's ``canvas_block``.

    ``canvas_block`` holds an enabler label ("Talent & Champions") or code
    ("talent_champions"), or several separated by ``;``. An unknown block is a
    :class:`FrameworkError` naming the pillar.

    Returns
    -------
    DataFrame ``enabler, code, level`` (one row per enabler-pillar pair, enabler order).
    """
    rows, problems = [], []
    for code in _tree.all_aggregates(framework):
        block = _tree.node_attr(framework, code, "canvas_block")
        if block is None:
            continue
        items = block if isinstance(block, list | tuple) else str(block).split(";")
        for item in items:
            key = str(item).strip()
            if not key:
                continue
            enabler = _LABEL_TO_CODE.get(key.lower())
            if enabler is None:
                problems.append(
                    f"{code}: canvas_block {key!r} is not an enabler of the canvas "
                    f"({', '.join(ENABLERS.values())})"
                )
            else:
                rows.append((enabler, code, _tree.level_of(framework, code)))
    if problems:
        raise FrameworkError(problems)
    order = {e: i for i, e in enumerate(ENABLERS)}
    rows.sort(key=lambda r: order[r[0]])
    return pd.DataFrame(rows, columns=["enabler", "code", "level"])


def expert_vs_data(
    ratings: pd.DataFrame,
    scores: pd.DataFrame,
    framework: Any,
    *,
    units: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Where the expert view and the data disagree, per country and enabler.

    ``expert`` is the enabler's respondent-weighted mean rating mapped onto 0-100
    (:func:`rating_to_points`); ``data`` is the mean score of the pillars mapped to that enabler
    (:func:`enabler_pillars`). Both get a maturity band; ``difference = expert - data`` and
    ``band_steps`` is the difference in band positions. ``disagree`` is True when
    ``|difference| > BAND_WIDTH`` (more than one band width, 20 points). Enablers without
    pillars, or countries without scores, get NaN data and no verdict.

    Returns
    -------
    DataFrame ``iso3, enabler, pillars, expert_rating, expert, expert_band, data, data_band,
    difference, band_steps, disagree``.
    """
    summ = ratings_summary(ratings)
    summ = summ[summ["scope"] == "enabler"]
    if units is not None:
        summ = summ[summ["iso3"].isin(list(units))]
    mapping = enabler_pillars(framework)
    band_pos = {label: i for i, (label, _, _) in enumerate(MATURITY_BANDS)}
    rows = []
    for row in summ.itertuples():
        pillars = mapping.loc[mapping["enabler"] == row.enabler, "code"].tolist()
        expert = float(rating_to_points(row.mean))
        data = np.nan
        if pillars and row.iso3 in scores.index:
            _tree.check_codes(scores, pillars, name="scores")
            vals = scores.loc[row.iso3, pillars].astype(float).dropna()
            data = float(vals.mean()) if len(vals) else np.nan
        eb = maturity_band(expert)
        if np.isfinite(data) and not -1e-9 <= data <= 100.0 + 1e-9:
            raise ParameterError(
                "scores",
                f"{row.iso3} {row.enabler}: pillar mean {data} is outside 0-100; "
                "the expert comparison needs scores on the 0-100 scale",
            )
        db = maturity_band(data) if np.isfinite(data) else None
        diff = expert - data
        steps = band_pos[eb] - band_pos[db] if db is not None else np.nan
        disagree = bool(abs(diff) > BAND_WIDTH) if np.isfinite(diff) else None
        rows.append(
            (
                row.iso3,
                row.enabler,
                ";".join(pillars),
                row.mean,
                expert,
                eb,
                data,
                db,
                diff,
                steps,
                disagree,
            )
        )
    return pd.DataFrame(
        rows,
        columns=[
            "iso3",
            "enabler",
            "pillars",
            "expert_rating",
            "expert",
            "expert_band",
            "data",
            "data_band",
            "difference",
            "band_steps",
            "disagree",
        ],
    )
