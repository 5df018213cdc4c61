"""Thin wrappers that run the analysis functions on a pipeline Build.

The analysis functions are pure functions over plain frames; a
:class:`~innolab.scoring.pipeline.Build` holds those frames. These wrappers read them from the
build (duck-typed: ``scores``, ``framework``, ``weights``, ``spec``, ``raw``, ``table(name)``,
``groups``, ``denominators``) and call the pure functions:

* ``scores`` - the build's scores at every level;
* ``values`` - the indicators in their **own units**: the unit the framework states for them,
  i.e. the user's values after the denominator and scale only. They are read from the stage
  table that entered the statistical treatment (the ``imputed`` table in the usual order:
  after denomination and imputation, before cap, transform, winsorisation and normalisation);
  where the data rules were already applied when the data were selected from a tidy table, the
  transform is undone and capped cells get back the value before the cap (from the audit).
  What-if changes, gap values and the solver's improvements are in these units;
* ``rules`` - the data rules (cap, transform) the build applied between those values and the
  normalisation, so that the fixed-bounds maps are exact for transformed indicators (see
  :mod:`innolab.analysis._maps`);
* ``framework`` - the build's framework with the weights the build actually used, **without
  the indicators that have no scores** (removed by an indicator screen, or optional ones absent
  from the data; aggregates left without children go too). Those are listed in ``dropped``,
  and the results say so (``GapPlan.dropped``, ``gaps_for(...).attrs["dropped"]``).

Panel builds (index (iso3, year)) must be reduced to one year first.
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ParameterError
from . import _tree
from . import coherence as _co
from ._maps import TRANSFORMS, DataRule
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
    "BuildInputs",
    "build_inputs",
    "own_values",
    "build_frames",
    "coherence_tables",
    "gaps_for",
    "strengths_for",
    "what_if_build",
    "close_gap_build",
    "refit_with",
    "GDP_PER_CAPITA",
    "analysis_tables",
    "export_analysis",
]


def _table(build: Any, name: str) -> pd.DataFrame:
    if hasattr(build, "table"):
        return build.table(name)
    return build.stage(name)


@dataclass(frozen=True)
class BuildInputs:
    """What the analysis functions need from a build (see the module notes).

    Attributes
    ----------
    scores : units x node codes present in the build.
    values : units x indicators in their own units.
    framework : the framework with the build's weights, restricted to the scored indicators.
    method : the aggregation method when the fixed-bounds model can recompute it, else None.
    rules : ``{code: DataRule}`` applied between ``values`` and the normalisation.
    dropped : framework indicators without scores (screened out or absent from the data),
        then the aggregates that lost all their indicators with them.
    """

    scores: pd.DataFrame
    values: pd.DataFrame
    framework: Any
    method: str | None
    rules: Mapping[str, DataRule]
    dropped: tuple[str, ...]


def _from_selection(build: Any) -> bool:
    """True when the build's data came from a tidy selection (data rules applied there)."""
    return getattr(build, "years", None) is not None


def _pre_treatment(build: Any) -> tuple[pd.DataFrame, bool]:
    """The stage table that entered treatment (else normalisation), and whether treatment ran
    after it (so that the treat stage's data rules lie between it and the scores)."""
    tables = getattr(build, "tables", None)
    if not isinstance(tables, Mapping):
        return _table(build, "imputed"), False
    order = list(tables)
    for name in ("treated", "normalised"):
        if name in order:
            i = order.index(name)
            before = tables[order[i - 1]] if i else build.raw
            return before, name == "treated"
    return _table(build, "imputed"), False


def _treat_rules(build: Any, codes: Sequence[str]) -> dict[str, DataRule]:
    """Cap and transform the treat stage recorded per indicator (its details table), plus a
    whole-indicator ``log``/``log1p`` treatment (both have closed-form inverses)."""
    details = getattr(build, "details", None) or {}
    d = details.get("treat") if isinstance(details, Mapping) else None
    if d is None or "code" not in getattr(d, "columns", ()):
        return {}
    out = {}
    for _, row in d.iterrows():
        code = str(row["code"])
        if code not in codes:
            continue
        rule = DataRule.from_parts(row.get("cap"), row.get("transform"))
        how = row.get("treatment")
        if isinstance(how, str) and how in TRANSFORMS:
            rule = rule.then(DataRule.from_parts(transform=how))
        if rule:
            out[code] = rule
    return out


def _selection_rules(fw: Any, codes: Sequence[str]) -> dict[str, DataRule]:
    out = {}
    for c in codes:
        rule = DataRule.from_parts(
            _tree.node_attr(fw, c, "cap"), _tree.node_attr(fw, c, "transform")
        )
        if rule:
            out[c] = rule
    return out


def _uncapped(build: Any, values: pd.DataFrame) -> pd.DataFrame:
    """Put back the values the selection capped (the audit keeps the value before the cap)."""
    audit = getattr(build, "audit", None)
    if audit is None or not {"stage", "action", "iso3", "code", "before"} <= set(audit.columns):
        return values
    caps = audit[(audit["stage"] == "select") & (audit["action"] == "capped")]
    if caps.empty:
        return values
    out = values.copy()
    for iso3, code, before in zip(caps["iso3"], caps["code"], caps["before"], strict=True):
        if code in out.columns and iso3 in out.index:
            out.loc[iso3, code] = float(before)
    return out


def build_inputs(build: Any) -> BuildInputs:
    """Scores, own-unit values, present framework, method, data rules and dropped indicators.

    Examples
    --------
    >>> from innolab.framework import Framework
    >>> from innolab.scoring.pipeline import build
    >>> fw = Framework.from_mapping({"code": "t", "nodes": [{"code": "I"},
    ...     {"code": "a", "parent": "I"}, {"code": "g", "parent": "I", "transform": "log1p"}]})
    >>> df = pd.DataFrame({"iso3": ["X", "Y", "Z"], "a": [0.0, 5.0, 10.0],
    ...                    "g": [0.0, 9.0, 99.0]})
    >>> b = build(df, fw, {"treat": {"method": "none"}, "normalise": {"method": "minmax"},
    ...                    "aggregate": {"method": "arithmetic"}})
    >>> bi = build_inputs(b)
    >>> bi.values["g"].tolist(), bi.rules["g"].transforms, bi.dropped
    ([0.0, 9.0, 99.0], ('log1p',), ())
    >>> build_inputs(b) is bi  # worked out once per build (builds are not changed in place)
    True
    """
    try:
        return _INPUTS[build]
    except (KeyError, TypeError):  # not seen yet, or an object that cannot be weakly keyed
        pass
    bi = _build_inputs(build)
    with contextlib.suppress(TypeError):
        _INPUTS[build] = bi
    return bi


#: build -> its BuildInputs, for as long as the build lives (a country study asks four times).
_INPUTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _build_inputs(build: Any) -> BuildInputs:
    """:func:`build_inputs` without the memo."""
    scores = build.scores
    if isinstance(scores.index, pd.MultiIndex):
        raise ParameterError("build", "a panel build: select one year first")
    fw = build.framework
    dropped = tuple(c for c in fw.indicators if c not in scores.columns)
    missing = tuple(c for c in getattr(build, "missing", ()) or () if c not in dropped)
    if dropped:
        before = list(fw.aggregates())
        fw = fw.drop(dropped)
        emptied = tuple(c for c in before if c not in fw)  # aggregates left without indicators
        dropped += emptied
        scores = scores.drop(columns=[c for c in emptied if c in scores.columns])
    w = getattr(build, "weights", None)
    if w is not None:
        w = w.astype(float)
        keep = [c for c in w.index if c in fw]
        cur = fw.weights()
        if not cur.reindex(keep).equals(w.reindex(keep)):
            fw = fw.with_weights({c: float(w[c]) for c in keep if w[c] > 0})
    inds = [c for c in fw.indicators if c in scores.columns]
    table, treated_after = _pre_treatment(build)
    values = table.reindex(columns=inds).astype(float)
    rules: dict[str, DataRule] = {}
    if _from_selection(build):
        rules = _selection_rules(fw, inds)
        if rules:
            values = values.copy()
            for c, r in rules.items():
                values[c] = r.inverse(values[c].to_numpy(dtype=float, na_value=np.nan))
            values = _uncapped(build, values)
    if treated_after:
        for c, r in _treat_rules(build, inds).items():
            rules[c] = rules[c].then(r) if c in rules else r
    method = None
    spec = getattr(build, "spec", None)
    step = spec.step("aggregate") if spec is not None else None
    if step is not None and isinstance(step.method, str) and step.method in AGGREGATORS:
        method = step.method
    return BuildInputs(scores, values, fw, method, rules, tuple(dict.fromkeys(dropped + missing)))


def own_values(build: Any) -> pd.DataFrame:
    """Units x scored indicators of a build in their own units (see the module notes)."""
    return build_inputs(build).values


def build_frames(build: Any) -> tuple[pd.DataFrame, pd.DataFrame, Any, str | None]:
    """``(scores, values, framework, aggregation method)`` of a build.

    ``values`` are in own units and ``framework`` holds only the scored indicators (see
    :func:`build_inputs`, which also gives the data rules and the dropped indicators).
    ``method`` is the aggregate stage's method name, or None when it is not one the
    fixed-bounds model can recompute (then only ``bounds="refit"`` what-ifs are possible).
    """
    bi = build_inputs(build)
    return bi.scores, bi.values, bi.framework, bi.method


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


#: The GDP per capita indicator used for ``peers="nearest_gdp"`` when the build has it.
GDP_PER_CAPITA = "NY.GDP.PCAP.PP.KD"


def _resolver(bi, iso3, classifications, vintage, gdp_per_capita, k):
    """A function turning a peer specification into unit codes of the build."""
    cls = dict(classifications or {})
    units = list(bi.scores.index)
    if gdp_per_capita is None and GDP_PER_CAPITA in bi.values.columns:
        gdp_per_capita = bi.values[GDP_PER_CAPITA]  # own units: US$, not its log

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

    return resolve


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
    innolab.countries is used; ``peers="nearest_gdp"`` uses ``gdp_per_capita``, else the
    build's own GDP per capita indicator when it has one). Values and gaps in own units (see the module notes); the
    framework indicators the build has no scores for are skipped and listed in
    ``result.attrs["dropped"]``.
    """
    bi = build_inputs(build)
    scores, values, fw = bi.scores, bi.values, bi.framework
    resolve = _resolver(bi, iso3, classifications, vintage, gdp_per_capita, k)
    reg = None if region is None else resolve(region)
    if isinstance(targets, Mapping):
        gone = [c for c in targets if c in bi.dropped]
        if gone:
            raise ParameterError("targets", f"indicators the build dropped: {gone}")
    out = gaps(
        iso3, scores, values, fw, peers=resolve(peers), region=reg, targets=targets, rules=bi.rules
    )
    out.attrs["dropped"] = list(bi.dropped)
    return out


def strengths_for(
    build: Any, iso3: str, *, n: int = 10, rule: str = "gii", table: str | None = None
) -> pd.DataFrame:
    """Strengths and weaknesses of ``iso3`` on a stage table (``rule`` "gii" or "coinr").

    ``table`` None uses the indicators in their own units (:func:`own_values`, so ``value``
    is as the user gave it); the COINr rule uses the ``raw`` table in COINr, so pass
    ``table="raw"`` to match it.
    """
    bi = build_inputs(build)
    fw = bi.framework
    src = bi.values if table is None else _table(build, table)
    data = src[[c for c in fw.indicators if c in src.columns]]
    if rule == "gii":
        return strengths_weaknesses(iso3, data, fw, n=n)
    if rule == "coinr":
        return str_weak_coinr(iso3, data, fw, top_n=n, bottom_n=n)
    raise ParameterError("rule", f"{rule!r} is not one of gii, coinr")


def refit_with(build: Any, iso3: str, changes: Mapping[str, float]) -> Any:
    """Re-run the whole pipeline with ``iso3``'s values changed (own units, see module notes).

    A change to a denominated indicator is converted back to the raw total with the unit's
    denominator (``raw = value · D / scale``). For a build made from a tidy selection the
    recorded raw table already has the framework's cap and transform applied, so the change
    is capped and transformed the same way. Re-running a selection build needs
    ``Build.rebuild(data=...)``; without it use fixed bounds there.
    """
    fw = build.framework
    raw = build.raw.copy()
    if iso3 not in raw.index:
        raise ParameterError("iso3", f"{iso3} is not a unit of the build")
    selected = _from_selection(build)
    denominated = "denominate" in build.spec.stages and not selected
    for code, v in changes.items():
        node = fw.node(code)
        if selected:
            rule = _selection_rules(fw, [code]).get(code)
            if rule:
                t = rule.forward(float(v))
                if np.isnan(t):
                    raise ParameterError(
                        "changes", f"{code}: {v} is outside the domain of its transform"
                    )
                raw.loc[iso3, code] = t
                continue
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
        return build.rebuild(data=raw.loc[[iso3], list(changes)] if changes else None)
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
    bi = build_inputs(build)
    scores, values, fw, method = bi.scores, bi.values, bi.framework, bi.method
    gone = [c for c in changes if c in bi.dropped]
    if gone:
        raise ParameterError("changes", f"indicators the build dropped (no scores): {gone}")
    if _check_bounds(bounds) == "fixed":
        if method is None:
            raise ParameterError(
                "bounds",
                "the build's aggregation cannot be recomputed with "
                "fixed bounds; use bounds='refit'",
            )
        model = FixedBoundsModel.fit(scores, values, fw, method=method, rules=bi.rules)
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
    ``round``), and its ``scores``/``reached`` come from the last rebuild. Indicators the
    build dropped are not candidates; they are listed in ``GapPlan.dropped``.
    """
    bi = build_inputs(build)
    scores, values, fw, method = bi.scores, bi.values, bi.framework, bi.method
    if method is None:
        raise ParameterError(
            "build",
            "the build's aggregation cannot be recomputed; the solver "
            "needs arithmetic or geometric aggregation",
        )
    goal = {"code": code, "peers": peers, "rank": rank, "target": target}
    first = close_gap(iso3, scores, values, fw, method=method, rules=bi.rules, **goal, **options)
    first = dataclasses.replace(first, dropped=bi.dropped)
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
        cur = build_inputs(current)
        more = close_gap(
            iso3,
            cur.scores,
            cur.values,
            cur.framework,
            method=method,
            rules=cur.rules,
            **goal,
            **options,
        )
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
        bi.dropped,
    )


def analysis_tables(
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
    n: int = 10,
    coherence: bool = True,
) -> dict[str, pd.DataFrame]:
    """Every analysis table of a country study on a build, named for :func:`export_analysis`.

    ``scores`` (every unit and level, with the root's rank), ``gaps`` (:func:`gaps_for`),
    ``strengths`` (GII rule on own-unit values), ``peer_strengths`` (peer mean ± 1 SD, every
    level), ``performance_groups`` (the index relative to the peers' average),
    ``maturity_bands`` (pillars), the :func:`coherence_tables` when ``coherence``, and
    ``notes``: the indicators the build dropped and any table that does not apply (e.g.
    maturity bands on scores that are not on a 0-100 scale), with the reason.
    """
    from .profile import maturity_bands, peer_strengths_weaknesses, performance_groups

    bi = build_inputs(build)
    fw, scores = bi.framework, bi.scores
    resolve = _resolver(bi, iso3, classifications, vintage, gdp_per_capita, k)
    peer_units = resolve(peers)
    root = _tree.root(fw)
    notes = [("dropped", c, "no scores in the build") for c in bi.dropped]
    table = scores.copy()
    table.insert(0, "rank", scores[root].rank(ascending=False, method="min"))
    tables: dict[str, pd.DataFrame] = {"scores": table.rename_axis("iso3").reset_index()}
    tables["gaps"] = gaps_for(
        build,
        iso3,
        peers=peer_units,
        region=None if region is None else resolve(region),
        targets=targets,
    )
    tables["strengths"] = strengths_for(build, iso3, n=n)
    tables["peer_strengths"] = pd.concat(
        [
            peer_strengths_weaknesses(iso3, scores, fw, peers=peer_units, level=lvl)
            for lvl in _tree.levels(fw)
            if lvl < max(_tree.levels(fw))
        ],
        ignore_index=True,
    )
    tables["performance_groups"] = (
        performance_groups(scores[root], peer_units).rename_axis("iso3").reset_index()
    )
    try:
        tables["maturity_bands"] = maturity_bands(scores, fw, level=2)
    except ParameterError as exc:
        notes.append(("table left out", "maturity_bands", str(exc)))
    if coherence:
        tables.update(coherence_tables(build))
    tables["notes"] = pd.DataFrame(notes, columns=["note", "item", "detail"])
    return tables


def export_analysis(
    build: Any,
    iso3: str,
    out_dir: Any,
    *,
    workbook: str | None = "analysis.xlsx",
    extra: Mapping[str, pd.DataFrame] | None = None,
    **options: Any,
) -> list[Any]:
    """Write :func:`analysis_tables` to one CSV per table and one Excel workbook.

    The workbook's front sheet lists the tables, the units of their columns and of every
    indicator (own units, from the framework), and the build's spec; see
    :func:`~innolab.analysis.export.export_tables`. ``extra`` adds tables that need more than
    one build (``trends``, rank intervals from the uncertainty analysis, links to GII/IDI,
    expert ratings), after the build's own; a name clash is a :class:`ParameterError`.
    ``options`` go to :func:`analysis_tables`.
    """
    from .export import column_units, export_tables

    tables = analysis_tables(build, iso3, **options)
    clash = [n for n in (extra or {}) if n in tables]
    if clash:
        raise ParameterError("extra", f"tables already exported from the build: {clash}")
    tables.update(extra or {})
    return export_tables(
        tables,
        out_dir,
        workbook=workbook,
        units=column_units(tables, build_inputs(build).framework),
        spec=getattr(build, "spec", None),
        title=f"innolab analysis: {iso3}",
    )
