"""Thin wrappers that run the analysis functions on a pipeline Build.

The analysis functions are pure functions over plain frames; a
:class:`~innolab.scoring.pipeline.Build` holds those frames. These wrappers read them from the
build (duck-typed: ``scores``, ``framework``, ``weights``, ``spec``, ``raw``, ``table(name)``,
``groups``, ``denominators``) and call the pure functions:

* ``scores`` - the build's scores at every level;
* ``values`` - the indicators in their own units as they entered the statistical treatment:
  the ``imputed`` table (after denomination and imputation, before winsorisation and
  normalisation). What-if changes and gap values are in these units;
* ``framework`` - the build's framework with the weights the build actually used.

Panel builds (index (iso3, year)) must be reduced to one year first.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from ..errors import ParameterError
from . import coherence as _co
from .gaps import gaps
from .peers import resolve_peers
from .profile import str_weak_coinr, strengths_weaknesses
from .whatif import (
    AGGREGATORS,
    FixedBoundsModel,
    GapPlan,
    WhatIfResult,
    _result,
    close_gap,
    goal_score,
)

__all__ = [
    "build_frames",
    "coherence_tables",
    "gaps_for",
    "strengths_for",
    "what_if_build",
    "close_gap_build",
    "refit_with",
]


def _table(build: Any, name: str) -> pd.DataFrame:
    if hasattr(build, "table"):
        return build.table(name)
    return build.stage(name)


def build_frames(build: Any) -> tuple[pd.DataFrame, pd.DataFrame, Any, str | None]:
    """``(scores, values, framework, aggregation method)`` of a build.

    ``method`` is the aggregate stage's method name, or None when it is not one the
    fixed-bounds model can recompute (then only ``bounds="refit"`` what-ifs are possible).
    """
    scores = build.scores
    if isinstance(scores.index, pd.MultiIndex):
        raise ParameterError("build", "a panel build: select one year first")
    fw = build.framework
    w = getattr(build, "weights", None)
    if w is not None:
        cur = fw.weights()
        if not cur.reindex(w.index).equals(w.astype(float)):
            fw = fw.with_weights({c: float(v) for c, v in w.items() if v > 0})
    inds = [c for c in fw.indicators if c in scores.columns]
    values = _table(build, "imputed")[inds]
    method = None
    spec = getattr(build, "spec", None)
    step = spec.step("aggregate") if spec is not None else None
    if step is not None and isinstance(step.method, str) and step.method in AGGREGATORS:
        method = step.method
    return scores, values, fw, method


def coherence_tables(build: Any, *, method: str = "pearson") -> dict[str, pd.DataFrame]:
    """Every coherence table of a build, named for :func:`~innolab.analysis.export_tables`."""
    scores, _, fw, _ = build_frames(build)
    pca = _co.pca_by_aggregate(scores, fw)
    return {
        "correlations": _co.correlations(scores, fw, method=method),
        "corr_pillars_index": _co.get_corr(scores, fw, (2, max(fw.levels)), method=method),
        "cronbach": _co.cronbach_by_aggregate(scores, fw, levels=None),
        "pca_variance": pca["variance"],
        "pca_loadings": pca["loadings"],
        "pca_dropped": pca["dropped"],
        "correlation_weights": _co.correlation_weights(scores, fw, method=method),
        "coherence_flags": _co.coherence_flags(scores, fw, method=method),
    }


def gaps_for(
    build: Any,
    iso3: str,
    *,
    peers: str | Sequence[str] = "income_group",
    region: str | Sequence[str] | None = "itu_region",
    targets: Mapping[str, float] | str | None = None,
    classifications: Mapping[str, pd.Series] | None = None,
    vintage: int | None = None,
    gdp_per_capita: pd.Series | None = None,
    k: int = 5,
) -> pd.DataFrame:
    """:func:`~innolab.analysis.gaps.gaps` with peers and region resolved against the build.

    ``peers``/``region`` take anything :func:`~innolab.analysis.peers.resolve_peers` accepts;
    ``classifications`` maps a scheme name to an ``iso3 -> group`` Series (else
    innolab.countries is used).
    """
    scores, values, fw, _ = build_frames(build)
    cls = dict(classifications or {})
    units = list(scores.index)

    def resolve(spec):
        return resolve_peers(
            iso3,
            spec,
            units=units,
            classification=cls.get(spec) if isinstance(spec, str) else None,
            vintage=vintage,
            gdp_per_capita=gdp_per_capita,
            k=k,
        )

    reg = None if region is None else resolve(region)
    return gaps(iso3, scores, values, fw, peers=resolve(peers), region=reg, targets=targets)


def strengths_for(
    build: Any, iso3: str, *, n: int = 10, rule: str = "gii", table: str = "imputed"
) -> pd.DataFrame:
    """Strengths and weaknesses of ``iso3`` on a stage table (``rule`` "gii" or "coinr").

    The COINr rule uses the ``raw`` table by default in COINr; pass ``table="raw"`` to match it.
    """
    _, _, fw, _ = build_frames(build)
    data = _table(build, table)[[c for c in fw.indicators if c in _table(build, table).columns]]
    if rule == "gii":
        return strengths_weaknesses(iso3, data, fw, n=n)
    if rule == "coinr":
        return str_weak_coinr(iso3, data, fw, top_n=n, bottom_n=n)
    raise ParameterError("rule", f"{rule!r} is not one of gii, coinr")


def refit_with(build: Any, iso3: str, changes: Mapping[str, float]) -> Any:
    """Re-run the whole pipeline with ``iso3``'s values changed (own units, see module notes).

    A change to a denominated indicator is converted back to the raw total with the unit's
    denominator (``raw = value · D / scale``). Builds made from a tidy selection (data years
    recorded) cannot be re-run from their wide table: use fixed bounds there.
    """
    fw = build.framework
    raw = build.raw.copy()
    if iso3 not in raw.index:
        raise ParameterError("iso3", f"{iso3} is not a unit of the build")
    denominated = "denominate" in build.spec.stages and getattr(build, "years", None) is None
    for code, v in changes.items():
        node = fw.node(code)
        if denominated and node.denominator:
            den = build.denominators
            if den is None or node.denominator not in den.columns:
                raise ParameterError(
                    "changes",
                    f"{code}: denominator {node.denominator!r} is not recorded in the build",
                )
            raw.loc[iso3, code] = (
                float(v) * float(den.loc[iso3, node.denominator]) / float(node.scale or 1.0)
            )
        else:
            raw.loc[iso3, code] = float(v)
    if "data" in inspect.signature(build.rebuild).parameters:
        return build.rebuild(data=raw)
    if getattr(build, "years", None) is not None:
        raise ParameterError(
            "bounds",
            "refit is not available for builds made from a tidy selection; use bounds='fixed'",
        )
    from ..scoring.pipeline import build as run

    return run(raw, fw, build.spec, groups=build.groups, denominators=build.denominators)


def _check_bounds(bounds: str) -> str:
    if bounds not in ("fixed", "refit"):
        raise ParameterError("bounds", f"{bounds!r} is not one of fixed, refit")
    return bounds


def what_if_build(
    build: Any, iso3: str, changes: Mapping[str, float], *, bounds: str = "fixed"
) -> WhatIfResult:
    """:func:`~innolab.analysis.whatif.what_if` on a build.

    ``bounds="fixed"`` holds the fitted normalisation and the other units fixed;
    ``bounds="refit"`` re-runs the whole recipe on the changed data (every unit may move).
    """
    scores, values, fw, method = build_frames(build)
    if _check_bounds(bounds) == "fixed":
        if method is None:
            raise ParameterError(
                "bounds",
                "the build's aggregation cannot be recomputed with "
                "fixed bounds; use bounds='refit'",
            )
        model = FixedBoundsModel.fit(scores, values, fw, method=method)
        changes = model._check_changes(iso3, changes)
        return _result(fw, scores, values, iso3, changes, model.apply(iso3, changes))
    new = refit_with(build, iso3, changes)
    codes = [c for c in scores.columns if c in new.scores.columns]
    return _result(fw, scores[codes], values, iso3, dict(changes), new.scores[codes])


def close_gap_build(
    build: Any,
    iso3: str,
    *,
    code: str | None = None,
    peers: Sequence[str] | None = None,
    rank: int | None = None,
    target: float | None = None,
    bounds: str = "fixed",
    max_rounds: int = 5,
    **options: Any,
) -> GapPlan:
    """:func:`~innolab.analysis.whatif.close_gap` on a build, optionally checked by refitting.

    With ``bounds="refit"`` the fixed-bounds plan is applied to the raw data and the recipe
    re-run; if the goal (re-evaluated on the rebuilt scores: peers' median or rank among the
    rebuilt units) is not met, the solver continues from the rebuilt state, up to
    ``max_rounds`` times. The returned plan has one row per step of every round (column
    ``round``), and its ``scores``/``reached`` come from the last rebuild.
    """
    scores, values, fw, method = build_frames(build)
    if method is None:
        raise ParameterError(
            "build",
            "the build's aggregation cannot be recomputed; the solver "
            "needs arithmetic or geometric aggregation",
        )
    goal = {"code": code, "peers": peers, "rank": rank, "target": target}
    first = close_gap(iso3, scores, values, fw, method=method, **goal, **options)
    if _check_bounds(bounds) == "fixed":
        return first
    node = first.code
    plans = [first.plan.assign(round=1)]
    changes = dict(first.changes)
    current = refit_with(build, iso3, changes) if changes else build
    for rnd in range(2, max_rounds + 1):
        s_now = current.scores
        want = goal_score(iso3, s_now, node, peers=peers, rank=rank, score=target)
        if float(s_now.loc[iso3, node]) >= want:
            break
        sc, vals, fw2, _ = build_frames(current)
        more = close_gap(iso3, sc, vals, fw2, method=method, **goal, **options)
        if more.plan.empty:
            break
        plans.append(more.plan.assign(round=rnd))
        changes.update(more.changes)
        current = refit_with(build, iso3, changes)
    s_now = current.scores
    want = goal_score(iso3, s_now, node, peers=peers, rank=rank, score=target)
    plan = pd.concat(plans, ignore_index=True)
    r1 = current.ranks.loc[iso3, node] if hasattr(current, "ranks") else float("nan")
    return GapPlan(
        iso3,
        node,
        want,
        first.score_before,
        float(s_now.loc[iso3, node]),
        first.rank_before,
        float(r1),
        bool(s_now.loc[iso3, node] >= want),
        float(plan["effort"].sum()),
        plan,
        s_now,
    )
