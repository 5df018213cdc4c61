"""What-if scenarios and closing the gap: change indicator values, see scores and ranks move.

Two questions a country study always meets:

* *what if* indicator values changed (a broadband plan, an R&D budget)? :func:`what_if`
  recomputes the country's scores and ranks at every level;
* *what would it take* to reach a goal (the peer median of a pillar, rank R in the index)?
  :func:`close_gap` finds the least-effort set of indicator improvements that reaches it, in the
  indicators' own units, respecting bounds (the best observed value, and user limits such as
  100 %).

**Fixed bounds.** Both work with the normalisation fitted on the actual data held fixed: the
other units keep their scores, and the country's new values are normalised with the same map
(:mod:`innolab.analysis._maps`: read off the build's (value, points) pairs, exact for affine
normalisations, clipped at the observed range so that a value better than the best observed
one scores what the best scores). This keeps the question about the country, not about how a
re-fitted min-max would shift everybody else; it is the analogue of goalpost normalisation.
The alternative, re-fitting the whole pipeline on the changed data, is available through the
Build wrappers (``bounds="refit"``), which re-check the goal on the rebuilt scores.

**Own units.** Values, changes, limits and the solver's improvements are in the indicators'
own units (the framework's ``unit``: as the user gave them, after denominator and scale only).
Pass the data rules the build applied before normalising (``rules``: cap, log1p/log/sqrt
transform) and the maps are exact for those indicators: a change to a log-transformed indicator
is transformed before it is normalised, the solver's answer is transformed back, and a capped
indicator is never pushed beyond its cap. :func:`innolab.analysis.builds.build_inputs` reads
values and rules off a build.

The aggregation is recomputed by innolab's own weighted means (COINr ``a_amean`` /
``a_gmean``: missing children skipped, weights re-normalised); :meth:`FixedBoundsModel.fit`
checks that it reproduces the given aggregate scores, so a build aggregated some other way is
refused rather than silently misrepresented. The solver is documented in ``docs/whatif.md``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ComputationError, ParameterError
from . import _tree
from ._maps import IndicatorMap, as_rules
from .profile import rank_units

__all__ = [
    "AGGREGATORS",
    "aggregate_scores",
    "FixedBoundsModel",
    "WhatIfResult",
    "what_if",
    "goal_score",
    "GapPlan",
    "close_gap",
]

#: Aggregators the fixed-bounds model can recompute.
AGGREGATORS: tuple[str, ...] = ("arithmetic", "geometric")


@dataclass(frozen=True)
class _Plan:
    """Bottom-up aggregation plan over column positions."""

    codes: tuple[str, ...]  # indicators then aggregates (level by level)
    n_ind: int
    steps: tuple[tuple[int, np.ndarray, np.ndarray], ...]  # (parent pos, child pos, weights)
    pos: Mapping[str, int] = field(default_factory=dict)


def _make_plan(framework: Any) -> _Plan:
    inds = _tree.indicator_codes(framework)
    aggs = _tree.all_aggregates(framework)
    codes = tuple(inds + aggs)
    pos = {c: i for i, c in enumerate(codes)}
    w = _tree.weights(framework)
    steps = []
    for a in aggs:
        kids = _tree.children(framework, a)
        steps.append(
            (pos[a], np.array([pos[k] for k in kids]), np.array([float(w[k]) for k in kids]))
        )
    return _Plan(codes, len(inds), tuple(steps), pos)


def _aggregate(mat: np.ndarray, plan: _Plan, method: str, units: Sequence[str]) -> np.ndarray:
    """Fill the aggregate columns of ``mat`` (units x plan.codes) in place and return it."""
    for p, kids, w in plan.steps:
        x = mat[:, kids]
        present = ~np.isnan(x)
        wsum = (present * w).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            if method == "arithmetic":
                num = np.where(present, x * w, 0.0).sum(axis=1)
                mat[:, p] = np.where(wsum > 0, num / wsum, np.nan)
            else:
                bad = present & (x <= 0)
                if bad.any():
                    r, c = np.argwhere(bad)[0]
                    raise ComputationError(
                        f"geometric mean needs positive scores; {units[r]} has "
                        f"{plan.codes[kids[c]]} = {x[r, c]}"
                    )
                num = np.where(present, np.log(np.where(present, x, 1.0)) * w, 0.0).sum(axis=1)
                mat[:, p] = np.where(wsum > 0, np.exp(num / wsum), np.nan)
    return mat


def _check_method(method: str) -> str:
    if method not in AGGREGATORS:
        raise ParameterError(
            "method",
            f"{method!r} cannot be recomputed here; use one of {', '.join(AGGREGATORS)}"
            " or rebuild with the pipeline (bounds='refit')",
        )
    return method


def aggregate_scores(
    points: pd.DataFrame, framework: Any, *, method: str = "arithmetic"
) -> pd.DataFrame:
    """Scores at every level from normalised indicator points (weighted means up the tree).

    Each aggregate is the weighted arithmetic (or geometric) mean of its children, skipping
    missing children and re-normalising the weights over those present; all children missing
    gives NaN (COINr ``a_amean``/``a_gmean``, ALGORITHMS.md §6). Columns: indicators, then the
    aggregates level by level in declared order.

    Examples
    --------
    >>> from innolab.framework import Framework
    >>> fw = Framework.from_mapping({"code": "t", "name": "t", "nodes": [
    ...     {"code": "I"}, {"code": "P", "parent": "I"},
    ...     {"code": "a", "parent": "P"}, {"code": "b", "parent": "P", "weight": 3}]})
    >>> aggregate_scores(pd.DataFrame({"a": [0.0, 10.0], "b": [100.0, None]}), fw)["I"].tolist()
    [75.0, 10.0]
    """
    _check_method(method)
    plan = _make_plan(framework)
    inds = list(plan.codes[: plan.n_ind])
    _tree.check_codes(points, inds, name="points")
    mat = np.full((len(points), len(plan.codes)), np.nan)
    mat[:, : plan.n_ind] = points[inds].to_numpy(dtype=float, na_value=np.nan)
    _aggregate(mat, plan, method, [str(u) for u in points.index])
    return pd.DataFrame(mat, index=points.index, columns=list(plan.codes))


@dataclass(frozen=True)
class FixedBoundsModel:
    """Recompute one country's scores with the normalisation and the other units held fixed.

    Build it with :meth:`fit`. ``maps`` holds one :class:`~innolab.analysis._maps.IndicatorMap`
    per indicator with values.
    """

    framework: Any
    scores: pd.DataFrame
    values: pd.DataFrame
    maps: Mapping[str, IndicatorMap]
    method: str
    plan: _Plan

    @classmethod
    def fit(
        cls,
        scores: pd.DataFrame,
        values: pd.DataFrame,
        framework: Any,
        *,
        method: str = "arithmetic",
        tol: float = 1e-8,
        rules: Any = None,
    ) -> FixedBoundsModel:
        """Read the per-indicator maps off ``values`` and ``scores`` and check the aggregation.

        ``rules`` are the data rules (cap, transform) the build applied to ``values`` before
        normalising them: None (none), ``"framework"`` or ``{code: DataRule or {"cap": ..,
        "transform": ..}}`` (see :mod:`innolab.analysis._maps`).

        Raises
        ------
        ComputationError : recomputing the aggregates from the indicator scores with ``method``
            does not reproduce ``scores`` (within ``tol`` times the score range).
        """
        _check_method(method)
        plan = _make_plan(framework)
        _tree.check_codes(scores, list(plan.codes), name="scores")
        dirs = _tree.directions(framework)
        rules = as_rules(rules, framework)
        maps = {}
        for c in plan.codes[: plan.n_ind]:
            if c in values.columns and values[c].notna().any() and scores[c].notna().any():
                maps[c] = IndicatorMap.fit(c, values[c], scores[c], float(dirs[c]), rules.get(c))
        base = scores[list(plan.codes)].to_numpy(dtype=float, na_value=np.nan)
        again = _aggregate(base.copy(), plan, method, [str(u) for u in scores.index])
        diff = np.abs(again - base)[:, plan.n_ind :]
        both = ~np.isnan(again[:, plan.n_ind :]) & ~np.isnan(base[:, plan.n_ind :])
        scale = max(1.0, float(np.nanmax(np.abs(base)))) if np.isfinite(base).any() else 1.0
        if np.any(np.isnan(again[:, plan.n_ind :]) != np.isnan(base[:, plan.n_ind :])) or (
            both.any() and float(diff[both].max()) > tol * scale
        ):
            raise ComputationError(
                f"the aggregate scores were not produced by {method} aggregation of the "
                "indicator scores with the framework weights; pass the matching method or "
                "recompute with the pipeline (bounds='refit')"
            )
        return cls(framework, scores, values, maps, method, plan)

    # -- row-level primitives -------------------------------------------------------------
    def _row(self, iso3: str) -> np.ndarray:
        return self.scores.loc[iso3, list(self.plan.codes)].to_numpy(dtype=float, na_value=np.nan)

    def _score_row(self, ind_points: np.ndarray) -> np.ndarray:
        mat = np.full((1, len(self.plan.codes)), np.nan)
        mat[0, : self.plan.n_ind] = ind_points
        return _aggregate(mat, self.plan, self.method, ["<what-if>"])[0]

    def _check_changes(self, iso3: str, changes: Mapping[str, float]) -> dict[str, float]:
        _tree.check_unit(self.scores, iso3)
        out = {}
        for code, v in changes.items():
            if code not in self.plan.pos or self.plan.pos[code] >= self.plan.n_ind:
                raise ParameterError("changes", f"{code!r} is not an indicator of the framework")
            if code not in self.maps:
                raise ParameterError("changes", f"{code!r} has no values to normalise against")
            v = float(v)
            if not np.isfinite(v):
                raise ParameterError("changes", f"{code}: value must be finite, got {v}")
            if np.isnan(self.maps[code].to_points(v)):
                raise ParameterError(
                    "changes",
                    f"{code}: {v} is outside the domain of its transform "
                    f"({', '.join(self.maps[code].rule.transforms)})",
                )
            out[code] = v
        return out

    def points(self, iso3: str, changes: Mapping[str, float]) -> np.ndarray:
        """The country's indicator points after ``changes`` (own units)."""
        changes = self._check_changes(iso3, changes)
        row = self._row(iso3)[: self.plan.n_ind].copy()
        for code, v in changes.items():
            row[self.plan.pos[code]] = self.maps[code].to_points(v)
        return row

    def affected(self, codes: Sequence[str]) -> list[str]:
        """The given indicators and all their ancestors (the nodes a change can move)."""
        out = set(codes)
        for c in codes:
            out.update(_tree.ancestors(self.framework, c))
        return [c for c in self.plan.codes if c in out]

    def apply(self, iso3: str, changes: Mapping[str, float]) -> pd.DataFrame:
        """All units' scores (every level) with ``iso3``'s indicator values changed.

        Only the changed indicators and their ancestors are recomputed; every other score is
        kept bit for bit (so an empty change reproduces the build exactly, ties included).
        """
        out = self.scores[list(self.plan.codes)].astype(float).copy()
        if not changes:
            return out
        new_row = self._score_row(self.points(iso3, changes))
        moved = self.affected(list(changes))
        out.loc[iso3, moved] = new_row[[self.plan.pos[c] for c in moved]]
        return out


@dataclass(frozen=True)
class WhatIfResult:
    """Outcome of :func:`what_if`.

    Attributes
    ----------
    table : one row per node for the country: ``code, level, value_before, value_after,
        score_before, score_after, change, rank_before, rank_after, rank_change`` (positive
        ``rank_change`` = moved up).
    scores, ranks : every unit at every level after the change.
    """

    iso3: str
    table: pd.DataFrame
    scores: pd.DataFrame
    ranks: pd.DataFrame


def _result(
    framework: Any,
    before: pd.DataFrame,
    values: pd.DataFrame,
    iso3: str,
    changes: Mapping[str, float],
    new_scores: pd.DataFrame,
) -> WhatIfResult:
    """The what-if table of ``iso3`` from the scores before and after (same columns)."""
    codes = list(new_scores.columns)
    before = before[codes].astype(float)
    r0, r1 = rank_units(before), rank_units(new_scores)
    rows = []
    for c in codes:
        lvl = _tree.level_of(framework, c)
        v0 = (
            float(values.loc[iso3, c])
            if lvl == 1 and c in values.columns and iso3 in values.index
            else np.nan
        )
        v1 = float(changes[c]) if c in changes else v0
        s0, s1 = float(before.loc[iso3, c]), float(new_scores.loc[iso3, c])
        rows.append(
            (
                c,
                lvl,
                v0,
                v1,
                s0,
                s1,
                s1 - s0,
                r0.loc[iso3, c],
                r1.loc[iso3, c],
                r0.loc[iso3, c] - r1.loc[iso3, c],
            )
        )
    table = pd.DataFrame(
        rows,
        columns=[
            "code",
            "level",
            "value_before",
            "value_after",
            "score_before",
            "score_after",
            "change",
            "rank_before",
            "rank_after",
            "rank_change",
        ],
    )
    return WhatIfResult(iso3, table, new_scores, r1)


def what_if(
    iso3: str,
    changes: Mapping[str, float],
    scores: pd.DataFrame,
    values: pd.DataFrame,
    framework: Any,
    *,
    method: str = "arithmetic",
    rules: Any = None,
) -> WhatIfResult:
    """New scores and ranks at every level after changing some of a country's indicator values.

    Parameters
    ----------
    iso3 : the country.
    changes : ``{indicator: new value}`` in the indicator's own units (the units of ``values``).
    scores : units x node codes of the actual build (normalised indicators and aggregates).
    values : units x indicators in their own units, as they entered normalisation (before
        treatment), used to read off each indicator's normalisation map.
    method : aggregation the build used ("arithmetic" or "geometric"; checked).
    rules : data rules (cap, transform) the build applied to ``values`` before normalisation
        (see :meth:`FixedBoundsModel.fit`); with them values stay in own units and the map is
        exact for transformed indicators.

    The other units' scores and the normalisation are held fixed (see the module notes).

    Examples
    --------
    >>> from innolab.framework import Framework
    >>> fw = Framework.from_mapping({"code": "t", "name": "t", "nodes": [
    ...     {"code": "I"}, {"code": "a", "parent": "I"}, {"code": "b", "parent": "I"}]})
    >>> vals = pd.DataFrame({"a": [0.0, 5.0, 10.0], "b": [1.0, 2.0, 3.0]}, index=["X", "Y", "Z"])
    >>> pts = vals.sub(vals.min()).div(vals.max() - vals.min()) * 100
    >>> sc = aggregate_scores(pts, fw)
    >>> res = what_if("X", {"a": 10.0}, sc, vals, fw)
    >>> res.table.set_index("code").loc["I", ["score_before", "score_after", "rank_after"]].tolist()
    [0.0, 50.0, 2.0]
    """
    model = FixedBoundsModel.fit(scores, values, framework, method=method, rules=rules)
    changes = model._check_changes(iso3, changes)
    return _result(framework, model.scores, model.values, iso3, changes, model.apply(iso3, changes))


def goal_score(
    iso3: str,
    scores: pd.DataFrame,
    code: str,
    *,
    peers: Sequence[str] | None = None,
    rank: int | None = None,
    score: float | None = None,
) -> float:
    """The score on ``code`` that achieves a goal; exactly one of the goals must be given.

    * ``peers``: the median of the peers' scores (the country itself excluded);
    * ``rank``: the score of the ``rank``-th best *other* unit, because with ties sharing the
      best rank, a score at least that high gives rank ``rank`` or better (``-inf`` when
      ``rank`` exceeds the number of other units with a score: always reached);
    * ``score``: that score.

    >>> s = pd.DataFrame({"I": [10.0, 30.0, 20.0, 40.0]}, index=["A", "B", "C", "D"])
    >>> goal_score("A", s, "I", peers=["B", "C", "D"]), goal_score("A", s, "I", rank=2)
    (30.0, 30.0)
    """
    given = [x is not None for x in (peers, rank, score)]
    if sum(given) != 1:
        raise ParameterError("goal", "give exactly one of peers=, rank= or score=")
    _tree.check_unit(scores, iso3)
    if code not in scores.columns:
        raise ParameterError("code", f"{code!r} is not a column of the scores")
    if score is not None:
        return float(score)
    others = scores[code].drop(index=iso3).astype(float).dropna()
    if peers is not None:
        peers = [str(p) for p in peers if str(p) != iso3]
        missing = [p for p in peers if p not in scores.index]
        if missing:
            raise ParameterError("peers", f"units not in the scores: {missing}")
        ps = scores.loc[peers, code].astype(float).dropna()
        if ps.empty:
            raise ParameterError("peers", f"no peer of {iso3} has a score on {code}")
        return float(ps.median())
    if int(rank) < 1:
        raise ParameterError("rank", f"must be at least 1, got {rank}")
    srt = np.sort(others.to_numpy())[::-1]
    return float(srt[int(rank) - 1]) if int(rank) <= len(srt) else float("-inf")


@dataclass(frozen=True)
class GapPlan:
    """Outcome of :func:`close_gap`.

    Attributes
    ----------
    plan : the improvements in the order chosen (best gain per effort first): ``step, code,
        name, unit, value_before, value_after, points_before, points_after, effort,
        score_gain`` (``score_gain`` = exact rise of the goal node's score at that step).
    reached : whether applying the whole plan reaches ``target`` (checked by recomputation).
    scores : every unit at every level with the plan applied.
    dropped : framework indicators the build has no scores for (screened out or without
        data); the plan works on the indicators that remain.
    """

    iso3: str
    code: str
    target: float
    score_before: float
    score_after: float
    rank_before: float
    rank_after: float
    reached: bool
    effort: float
    plan: pd.DataFrame
    scores: pd.DataFrame
    dropped: tuple[str, ...] = ()

    @property
    def changes(self) -> dict[str, float]:
        """``{indicator: new value}`` of the plan (own units), ready for :func:`what_if`."""
        return dict(zip(self.plan["code"], self.plan["value_after"], strict=True))


def _efficiency(gain: float, cost: float, moved: float) -> float:
    if gain <= 0:
        return 0.0
    effort = cost * moved
    return float("inf") if effort == 0 else gain / effort


def close_gap(
    iso3: str,
    scores: pd.DataFrame,
    values: pd.DataFrame,
    framework: Any,
    *,
    code: str | None = None,
    peers: Sequence[str] | None = None,
    rank: int | None = None,
    target: float | None = None,
    cost: Mapping[str, float] | None = None,
    limits: Mapping[str, float] | None = None,
    candidates: Sequence[str] | None = None,
    method: str = "arithmetic",
    rules: Any = None,
) -> GapPlan:
    """Least-effort indicator improvements that take ``iso3`` to a goal on node ``code``.

    The goal is the peers' median (``peers``), a rank (``rank``) or a score (``target``) on
    ``code`` (default: the index); see :func:`goal_score`. Effort is the distance moved in
    normalised points times a cost per indicator (``cost``, default 1 for every indicator).
    Each indicator can rise from its current points up to its upper bound: the best observed
    value, or the user's ``limits[code]`` (most favourable value allowed, own units, e.g. 100
    for a percentage) when that is lower. Only indicators below ``code`` with a value for the
    country (and in ``candidates`` when given) are moved. Values, limits and the plan's
    ``value_before``/``value_after`` are in the indicators' own units; with ``rules`` (the
    build's cap and transform, see :meth:`FixedBoundsModel.fit`) a transformed indicator's
    improvement is stated before the transform and a capped one never goes beyond its cap.

    Algorithm (``docs/whatif.md``): greedy by marginal gain per effort. At each step every
    remaining indicator's full move is evaluated by exact recomputation; the one with the most
    goal-score gain per unit of effort is taken, whole if that does not overshoot the goal,
    otherwise only as far as needed (found by bisection on the exact recomputation, in own
    units). Under arithmetic aggregation the gain per point is constant, so this is the greedy
    solution of a continuous knapsack and therefore the minimum-effort plan; every plan is
    finally applied and the goal re-checked.

    Returns
    -------
    GapPlan ; ``reached`` is False (with every full move in the plan) when even the upper
    bounds do not reach the goal.
    """
    root = _tree.root(framework)
    code = root if code is None else str(code)
    model = FixedBoundsModel.fit(scores, values, framework, method=method, rules=rules)
    _tree.check_unit(scores, iso3)
    if code not in model.plan.pos:
        raise ParameterError("code", f"{code!r} is not a node of the framework")
    goal = goal_score(iso3, scores, code, peers=peers, rank=rank, score=target)
    cost = dict(cost or {})
    limits = dict(limits or {})
    for name, mapping in (("cost", cost), ("limits", limits)):
        bad = [c for c in mapping if c not in model.maps]
        if bad:
            raise ParameterError(name, f"not indicators with values: {bad}")
    neg = [c for c, v in cost.items() if not (float(v) >= 0 and np.isfinite(float(v)))]
    if neg:
        raise ParameterError("cost", f"costs must be finite and non-negative: {neg}")
    under = _tree.indicators_under(framework, code)
    if candidates is not None:
        unknown = [c for c in candidates if c not in under]
        if unknown:
            raise ParameterError("candidates", f"not indicators below {code}: {unknown}")
        under = [c for c in under if c in set(candidates)]

    pos = model.plan.pos
    gpos = pos[code]
    row0 = model._row(iso3)
    pts = row0[: model.plan.n_ind].copy()
    vals = {
        c: float(model.values.loc[iso3, c]) if iso3 in model.values.index else np.nan
        for c in under
        if c in model.maps
    }
    upper = {}
    for c in under:
        if c not in model.maps or np.isnan(pts[pos[c]]) or np.isnan(vals.get(c, np.nan)):
            continue
        m = model.maps[c]
        ub = m.max_points
        if c in limits:
            lim = m.to_points(float(limits[c]))
            if np.isnan(lim):
                raise ParameterError(
                    "limits", f"{c}: {limits[c]!r} is outside the domain of its transform"
                )
            ub = min(ub, lim)
        if ub > pts[pos[c]]:
            upper[c] = ub
    s_before = float(row0[gpos])
    score = s_before
    new_vals: dict[str, float] = {}
    steps = []

    def evaluate(c: str, value: float) -> float:
        trial = pts.copy()
        trial[pos[c]] = model.maps[c].to_points(value)
        return float(model._score_row(trial)[gpos])

    remaining = dict(upper)
    while score < goal and remaining:
        best = None
        for c, ub in remaining.items():
            v_full = model.maps[c].to_value(ub)
            s_full = evaluate(c, v_full)
            moved = model.maps[c].to_points(v_full) - pts[pos[c]]
            eff = _efficiency(s_full - score, float(cost.get(c, 1.0)), moved)
            key = (eff, s_full - score)
            if eff > 0 and (best is None or key > best[0]):
                best = (key, c, v_full, s_full)
        if best is None:
            break
        _, c, v_new, s_new = best
        if s_new >= goal:
            v_new, s_new = _least_move(model, c, vals[c], v_new, evaluate, goal)
        del remaining[c]
        p_before = pts[pos[c]]
        pts[pos[c]] = model.maps[c].to_points(v_new)
        new_vals[c] = v_new
        steps.append(
            (
                len(steps) + 1,
                c,
                _tree.node_attr(framework, c, "name", c),
                _tree.node_attr(framework, c, "unit"),
                vals[c],
                v_new,
                p_before,
                pts[pos[c]],
                float(cost.get(c, 1.0)) * (pts[pos[c]] - p_before),
                s_new - score,
            )
        )
        score = s_new
    plan = pd.DataFrame(
        steps,
        columns=[
            "step",
            "code",
            "name",
            "unit",
            "value_before",
            "value_after",
            "points_before",
            "points_after",
            "effort",
            "score_gain",
        ],
    )
    final = (
        model.apply(iso3, new_vals)
        if new_vals
        else model.scores[list(model.plan.codes)].astype(float)
    )
    s_after = float(final.loc[iso3, code])
    r0 = rank_units(model.scores[code].astype(float)).loc[iso3]
    r1 = rank_units(final[code]).loc[iso3]
    return GapPlan(
        iso3,
        code,
        goal,
        s_before,
        s_after,
        r0,
        r1,
        bool(s_after >= goal),
        float(plan["effort"].sum()) if len(plan) else 0.0,
        plan,
        final,
    )


def _least_move(model, c, v0, v_full, evaluate, goal):
    """Smallest move of indicator ``c`` from ``v0`` towards ``v_full`` that reaches ``goal``."""
    m = model.maps[c]
    p0, p1 = m.to_points(v0), m.to_points(v_full)
    lo, hi = p0, p1
    s_hi = evaluate(c, m.to_value(hi))
    for _ in range(200):
        if hi - lo <= 1e-12 * max(1.0, abs(hi)):
            break
        mid = 0.5 * (lo + hi)
        s_mid = evaluate(c, m.to_value(mid))
        if s_mid >= goal:
            hi, s_hi = mid, s_mid
        else:
            lo = mid
    return m.to_value(hi), s_hi
