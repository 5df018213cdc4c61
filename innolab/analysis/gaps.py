"""How far a country is behind its peers, its region's frontier and its own targets.

For every indicator, pillar and the index, the gap of a country to a reference:

* ``peer_median`` - the median of the peer group (see :mod:`innolab.analysis.peers`);
* ``peer_best`` - the best unit of the peer group;
* ``region_frontier`` - the best unit of the country's region (the country included);
* ``target`` - a user target (own units for indicators, score points for aggregates) or the
  framework's ``target`` attribute.

Gaps are given in normalised points (``reference_score - score``) and, for indicators, in the
indicator's own units (the framework's ``unit``, before any cap or transform: pass the values
as the user gave them and the build's data ``rules``; :func:`innolab.analysis.gaps_for` does
both for a build), **direction-aware**: ``gap_value = d · (reference_value - value)``, so a
positive gap always means "behind" (for a lower-is-better indicator the reference value is lower
than the country's). Medians and maxima skip missing values; a reference with no data is NaN.
The best unit's raw value is the most favourable raw value (``d·x`` largest), which is the unit
with the highest normalised score except where winsorisation ties several units at the top.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ParameterError
from . import _tree
from ._maps import IndicatorMap, as_rules

__all__ = ["REFERENCES", "gaps"]

#: Reference kinds, in output order.
REFERENCES: tuple[str, ...] = ("peer_median", "peer_best", "region_frontier", "target")

_COLUMNS = [
    "code",
    "level",
    "reference",
    "n_reference",
    "score",
    "reference_score",
    "gap_points",
    "value",
    "reference_value",
    "gap_value",
    "unit",
]


def _members(units: Sequence[str] | None, frame: pd.DataFrame, what: str) -> list[str] | None:
    if units is None:
        return None
    units = [str(u) for u in units]
    missing = [u for u in units if u not in frame.index]
    if missing:
        raise ParameterError(what, f"units not in the scores: {missing}")
    return units


def _column_stat(values: np.ndarray, n: np.ndarray, how: str, sign: np.ndarray) -> np.ndarray:
    """Per column of ``values`` (units x nodes), ignoring NaN: the median, or the best value
    (``sign`` +1: the largest, -1: the smallest); NaN where a column has no value."""
    out = np.full(values.shape[1], np.nan)
    ok = n > 0
    if ok.any():
        v = values[:, ok]
        if how == "median":
            out[ok] = np.nanmedian(v, axis=0)
        else:
            out[ok] = sign[ok] * np.nanmax(sign[ok] * v, axis=0)
    return out


def gaps(
    iso3: str,
    scores: pd.DataFrame,
    raw: pd.DataFrame | None,
    framework: Any,
    *,
    peers: Sequence[str],
    region: Sequence[str] | None = None,
    targets: Mapping[str, float] | str | None = None,
    codes: Sequence[str] | None = None,
    rules: Any = None,
) -> pd.DataFrame:
    """Gaps of ``iso3`` to its peers' median and best, its region's frontier and targets.

    Parameters
    ----------
    iso3 : the country.
    scores : units x node codes (normalised indicators and aggregate scores).
    raw : units x indicators in their own units (None: no own-unit columns).
    framework : the index structure (directions, levels, units, targets).
    peers : the peer units (resolved, e.g. by :func:`~innolab.analysis.peers.resolve_peers`).
    region : the units of the country's region (None: no frontier rows).
    targets : ``{code: value}`` (own units for indicators, points for aggregates), or
        ``"framework"`` to use each node's ``target``; None: no target rows. An indicator
        target is converted to points through the fixed normalisation read off the data
        (see :mod:`innolab.analysis._maps`; exact for affine normalisations).
    codes : nodes to report (default: every indicator, then every aggregate by level).
    rules : data rules (cap, transform) the build applied to ``raw`` before normalising it
        (None, ``"framework"`` or ``{code: rule}``; see :mod:`innolab.analysis._maps`), used
        to convert indicator targets to points exactly for transformed indicators.

    Returns
    -------
    DataFrame with columns ``code, level, reference, n_reference, score, reference_score,
    gap_points, value, reference_value, gap_value, unit`` (own-unit columns NaN for aggregates).

    Examples
    --------
    >>> from innolab.framework import Framework
    >>> fw = Framework.from_mapping({"code": "t", "name": "t", "nodes": [
    ...     {"code": "I"}, {"code": "x", "parent": "I", "direction": -1, "unit": "%"}]})
    >>> sc = pd.DataFrame({"x": [0.0, 50.0, 100.0]}, index=["A", "B", "C"])
    >>> rw = pd.DataFrame({"x": [30.0, 20.0, 10.0]}, index=["A", "B", "C"])
    >>> g = gaps("A", sc, rw, fw, peers=["A", "B", "C"], codes=["x"])
    >>> g[["reference", "gap_points", "gap_value"]].values.tolist()
    [['peer_median', 50.0, 10.0], ['peer_best', 100.0, 20.0]]
    """
    _tree.check_unit(scores, iso3)
    peers = _members(peers, scores, "peers")
    if not peers:
        raise ParameterError("peers", f"no peers given for {iso3}")
    region = _members(region, scores, "region")
    if codes is None:
        codes = _tree.indicator_codes(framework) + _tree.all_aggregates(framework)
    codes = [str(c) for c in codes]
    _tree.check_codes(scores, codes, name="scores")
    dirs = _tree.directions(framework)
    rules = as_rules(rules, framework)
    if isinstance(targets, str):
        if targets != "framework":
            raise ParameterError("targets", f"a mapping or 'framework', got {targets!r}")
        targets = {
            c: float(t)
            for c in codes
            if (t := _tree.node_attr(framework, c, "target")) is not None and np.isfinite(t)
        }
    targets = dict(targets or {})
    unknown = [c for c in targets if c not in codes]
    if unknown:
        raise ParameterError("targets", f"codes not reported or not in the framework: {unknown}")

    groups = [("peer_median", peers, "median"), ("peer_best", peers, "best")]
    if region is not None:
        groups.append(("region_frontier", region, "best"))
    raw_codes = [] if raw is None else [c for c in codes if c in raw.columns]
    sign = np.array([float(dirs.get(c, 1.0)) for c in raw_codes])
    # every reference at once, column-wise over the nodes (one pass per group, not per node)
    refs = {}
    for ref, members, how in groups:
        ps = scores.loc[members, codes].to_numpy(dtype=float, na_value=np.nan)
        n = (~np.isnan(ps)).sum(axis=0)
        ref_scores = _column_stat(ps, n, how, np.ones(len(codes)))
        ref_values = {}
        if raw_codes:
            xs = raw.reindex(index=members, columns=raw_codes).to_numpy(
                dtype=float, na_value=np.nan
            )
            stat = _column_stat(xs, (~np.isnan(xs)).sum(axis=0), how, sign)
            ref_values = dict(zip(raw_codes, stat.tolist(), strict=True))
        refs[ref] = (n, ref_scores, ref_values)
    own = scores.loc[iso3, codes].to_numpy(dtype=float, na_value=np.nan)
    own_raw = {}
    if raw_codes and iso3 in raw.index:
        own_raw = dict(
            zip(
                raw_codes,
                raw.loc[iso3, raw_codes].to_numpy(dtype=float, na_value=np.nan),
                strict=True,
            )
        )

    rows = []
    for j, code in enumerate(codes):
        lvl = _tree.level_of(framework, code)
        is_ind = lvl == 1
        d = float(dirs.get(code, 1.0)) if is_ind else 1.0
        unit = _tree.node_attr(framework, code, "unit") if is_ind else None
        has_raw = is_ind and code in raw_codes
        score = float(own[j])
        value = float(own_raw.get(code, np.nan)) if has_raw else np.nan

        def row(
            ref, n, ref_score, ref_value, *, _c=code, _l=lvl, _s=score, _v=value, _d=d, _u=unit
        ):
            return (
                _c,
                _l,
                ref,
                n,
                _s,
                ref_score,
                ref_score - _s,
                _v,
                ref_value,
                _d * (ref_value - _v),
                _u,
            )

        for ref, (n, ref_scores, ref_values) in refs.items():
            ref_value = float(ref_values[code]) if has_raw else np.nan
            rows.append(row(ref, int(n[j]), float(ref_scores[j]), ref_value))
        if code in targets:
            t = float(targets[code])
            if is_ind:
                if not has_raw:
                    raise ParameterError(
                        "targets", f"{code}: an indicator target needs the raw values"
                    )
                x = raw[code].astype(float)
                m = IndicatorMap.fit(code, x, scores[code], d, rules.get(code))
                rows.append(row("target", 1, m.to_points(t), t))
            else:
                rows.append(row("target", 1, t, np.nan))
    return pd.DataFrame(rows, columns=_COLUMNS)
