"""A country's profile: strengths and weaknesses, performance group, maturity bands, trends.

* :func:`strengths_weaknesses` - the GII economy-profile rule (percentile ranks among all units,
  top/bottom N, ranks 1-3 always strengths);
* :func:`str_weak_coinr` - COINr 1.1.14 ``get_str_weak``, reproduced exactly;
* :func:`peer_strengths_weaknesses` - relative to the peer mean ± k standard deviations;
* :func:`performance_groups` - European Innovation Scoreboard groups relative to a reference
  group's average;
* :func:`maturity_bands` - innolab's maturity labels of pillar scores (METHOD.md §3);
* :func:`trends` - score and rank changes between two years, flagging changes that no new data
  explain.

Ranks follow COINr (ALGORITHMS.md §6.3): rank 1 is the best, ties take the minimum rank, missing
values have no rank.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..ecosystem import maturity_band
from ..errors import ComputationError, CoverageError, ParameterError
from . import _tree

__all__ = [
    "rank_units",
    "percentile_ranks",
    "strengths_weaknesses",
    "str_weak_coinr",
    "peer_strengths_weaknesses",
    "PERFORMANCE_GROUPS",
    "performance_group",
    "performance_groups",
    "maturity_bands",
    "trends",
]


def rank_units(data: pd.DataFrame | pd.Series) -> pd.DataFrame | pd.Series:
    """Ranks of every column across units: 1 = highest, ties take the minimum, NaN kept.

    >>> rank_units(pd.Series([3.0, 5.0, 3.0, None])).tolist()
    [2.0, 1.0, 2.0, nan]
    """
    return data.rank(ascending=False, method="min", na_option="keep")


def _directed(data: pd.DataFrame, framework: Any, directed: bool) -> pd.DataFrame:
    if directed:
        return data.astype(float)
    dirs = _tree.directions(framework)
    mult = pd.Series([float(dirs.get(c, 1.0)) for c in data.columns], index=data.columns)
    return data.astype(float) * mult


def percentile_ranks(data: pd.DataFrame) -> pd.DataFrame:
    """Rank-based percentile of each unit per column: 100 for the best, 0 for the worst.

    .. math:: p = 100\\,\\frac{n - r}{n - 1}

    with ``r`` the rank (ties min, so tied best units all get 100) and ``n`` the units with data;
    a column with a single value gives 100.

    >>> percentile_ranks(pd.DataFrame({"a": [1.0, 2.0, 3.0]})).a.tolist()
    [0.0, 50.0, 100.0]
    """
    r = rank_units(data)
    n = data.notna().sum()
    denom = (n - 1).where(n > 1, np.nan)
    p = 100.0 * (n - r) / denom
    return p.where(~(r.notna() & (n == 1)), 100.0)


def _level_codes(framework: Any, level: int) -> list[str]:
    if level == 1:
        return _tree.indicator_codes(framework)
    return _tree.aggregates_at(framework, level)


def strengths_weaknesses(
    iso3: str,
    data: pd.DataFrame,
    framework: Any,
    *,
    n: int = 10,
    level: int = 1,
    always: int = 3,
    directed: bool = False,
) -> pd.DataFrame:
    """Strengths and weaknesses of ``iso3`` by the GII economy-profile rule.

    Every code of ``level`` where the country has data is given its percentile rank among all
    units (:func:`percentile_ranks` on the direction-adjusted values). Strengths are the ``n``
    highest percentile ranks plus every code where the country ranks ``always`` (3) or better;
    weaknesses are the ``n`` lowest percentile ranks that are not strengths. Ties in percentile
    are resolved by the framework's declared order. Strengths are listed best first, weaknesses
    worst first.

    Parameters
    ----------
    data : units x codes; raw values (``directed=False``: indicators are multiplied by their
        direction) or scores that are already direction-adjusted (``directed=True``).

    Returns
    -------
    DataFrame ``kind, code, name, parent, value, rank, n_units, percentile``.
    """
    if n < 0:
        raise ParameterError("n", f"must be non-negative, got {n}")
    _tree.check_unit(data, iso3)
    codes = [c for c in _level_codes(framework, level) if c in data.columns]
    if not codes:
        raise ParameterError("data", f"no column of level {level} in the data")
    adj = _directed(data[codes], framework, directed)
    ranks = rank_units(adj)
    pct = percentile_ranks(adj)
    count = adj.notna().sum()
    mine = pct.loc[iso3].dropna()
    order = list(mine.index)
    pos = {c: i for i, c in enumerate(order)}
    by_desc = sorted(order, key=lambda c: (-mine[c], pos[c]))
    strengths = by_desc[:n]
    strengths += [c for c in by_desc[n:] if ranks.loc[iso3, c] <= always]
    sset = set(strengths)
    by_asc = sorted(order, key=lambda c: (mine[c], pos[c]))
    weaknesses = [c for c in by_asc if c not in sset][:n]

    def rows(kind, cs):
        return [
            (
                kind,
                c,
                _tree.node_attr(framework, c, "name", c),
                _tree.parent_of(framework, c),
                float(data.loc[iso3, c]),
                int(ranks.loc[iso3, c]),
                int(count[c]),
                float(mine[c]),
            )
            for c in cs
        ]

    return pd.DataFrame(
        rows("strength", strengths) + rows("weakness", weaknesses),
        columns=["kind", "code", "name", "parent", "value", "rank", "n_units", "percentile"],
    )


def _signif(x: float, digits: int = 3) -> float:
    if not np.isfinite(x) or x == 0:
        return float(x)
    return float(f"{x:.{digits - 1}e}")


def str_weak_coinr(
    iso3: str,
    raw: pd.DataFrame,
    framework: Any,
    *,
    top_n: int = 5,
    bottom_n: int = 5,
    directed: bool = False,
) -> pd.DataFrame:
    """Strengths and weaknesses exactly as COINr 1.1.14 ``get_str_weak`` (ALGORITHMS.md §8).

    1. multiply each indicator by its direction (unless ``directed``);
    2. rank every indicator across units (rank 1 = highest, ties min);
    3. take the unit's ranks, dropping missing ones;
    4. drop indicators where the unit's rank equals that indicator's largest rank (the unit is
       the worst or tied worst);
    5. sort by rank, stably, in COINr's metadata order (declared order grouped by parent);
    6. strengths are the first ``top_n``; weaknesses the last ``bottom_n`` (worst last);
    7. ``value`` is the raw value rounded to 3 significant digits; ``pillar`` the level-2
       parent; ``unit`` the indicator's unit.

    Returns
    -------
    DataFrame ``kind, code, name, pillar, rank, value, unit``.
    """
    _tree.check_unit(raw, iso3)
    codes = [c for c in _tree.coinr_order(framework, 1) if c in raw.columns]
    adj = _directed(raw[codes], framework, directed)
    ranks = rank_units(adj)
    mine = ranks.loc[iso3].dropna()
    mine = mine[mine != ranks[mine.index].max()]
    mine = mine.sort_values(kind="stable")
    strengths = list(mine.index[:top_n])
    weaknesses = list(mine.index[len(mine) - bottom_n :]) if bottom_n > 0 else []

    def pillar(c):
        anc = [c] + _tree.ancestors(framework, c)
        lv2 = [a for a in anc if _tree.level_of(framework, a) == 2]
        return lv2[0] if lv2 else None

    def rows(kind, cs):
        return [
            (
                kind,
                c,
                _tree.node_attr(framework, c, "name", c),
                pillar(c),
                int(mine[c]),
                _signif(float(raw.loc[iso3, c])),
                _tree.node_attr(framework, c, "unit"),
            )
            for c in cs
        ]

    return pd.DataFrame(
        rows("strength", strengths) + rows("weakness", weaknesses),
        columns=["kind", "code", "name", "pillar", "rank", "value", "unit"],
    )


def peer_strengths_weaknesses(
    iso3: str,
    scores: pd.DataFrame,
    framework: Any,
    *,
    peers: Sequence[str],
    level: int = 1,
    k: float = 1.0,
) -> pd.DataFrame:
    """Strengths and weaknesses relative to the peers: score beyond the peer mean ± k·SD.

    The peer mean and sample standard deviation (n - 1) are computed over the peers with data,
    the country itself excluded. ``strength`` when ``score > mean + k·sd``, ``weakness`` when
    ``score < mean - k·sd`` (strict inequalities; a score exactly on the line is neither);
    fewer than two peers with data gives no verdict.

    Returns
    -------
    DataFrame ``code, score, peer_mean, peer_sd, n_peers, z, kind`` (``kind`` "" when neither).
    """
    _tree.check_unit(scores, iso3)
    others = [str(p) for p in peers if str(p) != iso3]
    missing = [p for p in others if p not in scores.index]
    if missing:
        raise ParameterError("peers", f"units not in the scores: {missing}")
    if not others:
        raise CoverageError(f"no peers of {iso3} other than itself")
    rows = []
    for c in _level_codes(framework, level):
        if c not in scores.columns:
            continue
        ps = scores.loc[others, c].astype(float).dropna()
        s = float(scores.loc[iso3, c])
        m = float(ps.mean()) if len(ps) else np.nan
        sd = float(ps.std(ddof=1)) if len(ps) >= 2 else np.nan
        z = (s - m) / sd if np.isfinite(sd) and sd > 0 else np.nan
        kind = ""
        if np.isfinite(s) and np.isfinite(sd):
            if s > m + k * sd:
                kind = "strength"
            elif s < m - k * sd:
                kind = "weakness"
        rows.append((c, s, m, sd, len(ps), z, kind))
    return pd.DataFrame(
        rows, columns=["code", "score", "peer_mean", "peer_sd", "n_peers", "z", "kind"]
    )


#: EIS performance groups: (label, lower bound of the ratio in percent). See performance_group.
PERFORMANCE_GROUPS: tuple[tuple[str, float], ...] = (
    ("leader", 125.0),
    ("strong", 100.0),
    ("moderate", 70.0),
    ("emerging", float("-inf")),
)


def performance_group(ratio: float) -> str | None:
    """EIS group of a score expressed in percent of the reference average.

    ``leader`` above 125 %; ``strong`` from 100 % up to and including 125 %; ``moderate`` from
    70 % up to (not including) 100 %; ``emerging`` below 70 %. Boundaries: exactly 125 is
    *strong* (leaders must be *more than* 125 %), exactly 100 is *strong* (at the average),
    exactly 70 is *moderate*. NaN gives None.

    >>> [performance_group(r) for r in (125.0, 125.01, 100.0, 99.9, 70.0, 69.9)]
    ['strong', 'leader', 'strong', 'moderate', 'moderate', 'emerging']
    """
    if ratio is None or not np.isfinite(ratio):
        return None
    if ratio > 125.0:
        return "leader"
    if ratio >= 100.0:
        return "strong"
    if ratio >= 70.0:
        return "moderate"
    return "emerging"


def performance_groups(score: pd.Series, reference: Sequence[str]) -> pd.DataFrame:
    """Performance group of every unit relative to the average of a reference group.

    ``ratio = 100 · score / mean(score over the reference units with data)``, then
    :func:`performance_group`. The reference mean must be positive (scores on a 0-100 or
    1-100 scale); otherwise a :class:`ComputationError`.

    Returns
    -------
    DataFrame indexed by ``iso3``: ``score, reference_mean, ratio, group``.

    Examples
    --------
    >>> s = pd.Series({"A": 60.0, "B": 40.0, "C": 20.0, "D": 30.0})
    >>> performance_groups(s, ["A", "B", "C"])["group"].tolist()
    ['leader', 'strong', 'emerging', 'moderate']
    """
    ref = [str(r) for r in reference]
    missing = [r for r in ref if r not in score.index]
    if missing:
        raise ParameterError("reference", f"units not in the scores: {missing}")
    vals = score.loc[ref].astype(float).dropna()
    if vals.empty:
        raise CoverageError("no reference unit has a score")
    mean = float(vals.mean())
    if not mean > 0:
        raise ComputationError(
            f"reference average is {mean}; performance groups need a positive average"
        )
    ratio = 100.0 * score.astype(float) / mean
    out = pd.DataFrame({"score": score.astype(float), "reference_mean": mean, "ratio": ratio})
    out["group"] = [performance_group(r) for r in ratio]
    out.index.name = "iso3"
    return out


def maturity_bands(
    scores: pd.DataFrame,
    framework: Any,
    *,
    level: int | None = 2,
    codes: Sequence[str] | None = None,
    scale: tuple[float, float] = (0.0, 100.0),
) -> pd.DataFrame:
    """Maturity band of each unit on each aggregate (innolab.ecosystem.maturity_band).

    Bands on the 0-100 scale: nascent [0, 20), emerging [20, 40), developing [40, 60),
    established [60, 80), mature [80, 100]. ``scale`` maps other score ranges onto 0-100. A score
    outside the scale (e.g. z-scores) is a :class:`ParameterError` naming unit and code.

    Returns
    -------
    Long DataFrame ``iso3, code, score, band`` (band None for a missing score).
    """
    if codes is None:
        codes = _tree.all_aggregates(framework) if level is None else _level_codes(framework, level)
    codes = list(codes)
    _tree.check_codes(scores, codes, name="scores")
    rows = []
    for iso3 in scores.index:
        for c in codes:
            s = float(scores.loc[iso3, c])
            try:
                band = maturity_band(s, scale=scale)
            except ValueError as exc:
                raise ParameterError(
                    "scores", f"{iso3} {c}: {exc}; maturity bands need scores on {scale}"
                ) from exc
            rows.append((iso3, c, s, band))
    return pd.DataFrame(rows, columns=["iso3", "code", "score", "band"])


def _year_frame(panel: pd.DataFrame | Mapping[int, pd.DataFrame], year: int, what: str):
    if isinstance(panel, Mapping):
        if year not in panel:
            raise CoverageError(f"{what}: no year {year} (have {sorted(panel)})")
        return panel[year]
    if not isinstance(panel.index, pd.MultiIndex) or "year" not in panel.index.names:
        raise ParameterError(what, "expected a panel indexed by (iso3, year) or {year: frame}")
    years = panel.index.get_level_values("year")
    if year not in set(years):
        raise CoverageError(f"{what}: no year {year} (have {sorted(set(years))})")
    return panel.xs(year, level="year")


def trends(
    scores: pd.DataFrame | Mapping[int, pd.DataFrame],
    framework: Any,
    *,
    start: int,
    end: int,
    data_years: pd.DataFrame | Mapping[int, pd.DataFrame] | None = None,
    tol: float = 1e-9,
) -> pd.DataFrame:
    """Score and rank change of every unit and node between two reference years.

    Ranks are computed within each year. ``rank_change = rank_start - rank_end``, so a positive
    value means the unit moved up. With ``data_years`` (the data year of every indicator value,
    same layout as the scores' indicator columns) each row also counts the indicators below the
    node whose data year advanced (``n_updated`` of ``n_indicators`` present in both years), and
    is flagged ``stale`` when its score changed by more than ``tol`` although none of its data
    is newer: the change then comes from other units (relative normalisation) or from method
    changes, not from new data on this country.

    Parameters
    ----------
    scores : panel (index (iso3, year)) or ``{year: units x codes}``.
    data_years : same layout (indicator columns), or None (no staleness check).

    Returns
    -------
    DataFrame ``iso3, code, level, score_start, score_end, change, rank_start, rank_end,
    rank_change, n_indicators, n_updated, flag``.
    """
    a = _year_frame(scores, start, "scores")
    b = _year_frame(scores, end, "scores")
    codes = [
        c
        for c in _tree.indicator_codes(framework) + _tree.all_aggregates(framework)
        if c in a.columns and c in b.columns
    ]
    units = [u for u in a.index if u in b.index]
    ra, rb = rank_units(a[codes]), rank_units(b[codes])
    ya = yb = None
    if data_years is not None:
        ya = _year_frame(data_years, start, "data_years")
        yb = _year_frame(data_years, end, "data_years")
    under = {c: _tree.indicators_under(framework, c) for c in codes}
    rows = []
    for u in units:
        for c in codes:
            s0, s1 = float(a.loc[u, c]), float(b.loc[u, c])
            r0, r1 = ra.loc[u, c], rb.loc[u, c]
            n_ind = n_upd = np.nan
            flag = ""
            if ya is not None:
                inds = [i for i in under[c] if i in ya.columns and i in yb.columns]
                y0 = ya.loc[u, inds].astype(float) if u in ya.index else pd.Series(dtype=float)
                y1 = yb.loc[u, inds].astype(float) if u in yb.index else pd.Series(dtype=float)
                both = pd.concat([y0, y1], axis=1).dropna()
                n_ind = len(both)
                n_upd = int((both.iloc[:, 1] > both.iloc[:, 0]).sum()) if n_ind else 0
                if np.isfinite(s0) and np.isfinite(s1) and abs(s1 - s0) > tol and n_upd == 0:
                    flag = "stale"
            rows.append(
                (
                    u,
                    c,
                    _tree.level_of(framework, c),
                    s0,
                    s1,
                    s1 - s0,
                    r0,
                    r1,
                    r0 - r1,
                    n_ind,
                    n_upd,
                    flag,
                )
            )
    return pd.DataFrame(
        rows,
        columns=[
            "iso3",
            "code",
            "level",
            "score_start",
            "score_end",
            "change",
            "rank_start",
            "rank_end",
            "rank_change",
            "n_indicators",
            "n_updated",
            "flag",
        ],
    )
