"""The build pipeline: a spec (plain data) applied to wide data and a framework.

A :class:`Spec` is the recipe of an index, written as plain data (YAML or JSON)::

    denominate: {}
    impute: {method: group_mean, group: EurAsia_group}
    screen: {min_coverage: 0.9, by: unit}
    treat: {method: winsorise, max_points: 5, skew: 2.0, kurtosis: 3.5, fallback: log}
    normalise: {method: minmax, lower: 0, upper: 100}
    aggregate: {method: arithmetic}

Stages run in the order written; stages not listed are skipped. In every stage mapping
``method`` names a registered method, ``overrides`` maps indicator codes to per-indicator
exceptions (a method name or ``{method: ..., **params}``), and the other keys are the method's
parameters (checked against the method's signature, so a typo is an error that names the stage
and key). Stage options that are not method parameters: ``impute.group`` (a group column);
``screen.{min_coverage, by, nonzero_threshold, rule, force_include, force_exclude}`` plus
``indicator_coverage`` (an indicator screen first) and ``pillar_coverage`` (a unit's pillar is
blanked below it, afterwards); ``aggregate.weights`` (``equal``, ``pca``, ``framework`` or a
mapping code -> weight) and ``aggregate.min_coverage``; ``aggregate.method`` may map levels to
methods (``{2: arithmetic, 3: geometric}``). A ``weights`` stage sets the weights explicitly
(``{method: explicit, values: {...}}``), equally, by PCA on the data at that point of the
pipeline, or with random noise.

:func:`build` returns a :class:`Build` that keeps every stage's table, the scores and ranks at
every level, the data year of every value (when built from a tidy selection), the audit of
every change, the spec and the framework. ``Build.rebuild(**changes)`` re-runs the recorded
recipe (with changes) from the recorded raw data; without changes it reproduces the build
exactly. This is COINr's coin + ``Regen`` with the recipe kept as explicit data. A build keeps
its state after every step, so a rebuild that changes only a late stage (``normalise``,
``aggregate``) continues from the recorded state before it instead of starting over (what an
uncertainty analysis does thousands of times); ``Build.rebuild(data=...)`` re-runs the recipe
on replaced raw values (what-if analysis).

Panel mode: data indexed by ``(iso3, year)``. Treatment and normalisation work on the pooled
panel (bounds pooled over years, so scores are comparable across years); mean/group imputation
works within each year and ``carry_forward`` across years; ranks are computed within each year.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import json
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import (
    DataFileError,
    FrameworkError,
    ParameterError,
    SpecError,
    UnknownMethodError,
    near_matches,
)
from ..framework import UNIT_ID_COLUMNS, Framework, load_framework
from ..io import read_document
from . import registry as _registry
from ._common import column_dtypes
from .aggregate import aggregate
from .denominate import denominate
from .impute import impute
from .normalise import normalise
from .plausibility import audit_and_warn
from .rank import rank
from .result import concat_audits, empty_audit
from .screen import screen
from .select import Selection
from .treat import treat
from .weights import explicit_weights

__all__ = [
    "STAGES",
    "TABLE_STAGES",
    "DEFAULT_SPEC",
    "COINR_ASEM_SPEC",
    "Step",
    "Spec",
    "Build",
    "build",
    "ScoreReport",
    "score_files",
    "read_data_file",
]

STAGES = ("denominate", "impute", "screen", "treat", "normalise", "weights", "aggregate")
"""Stage names a spec may list (in any order)."""

TABLE_STAGES = ("denominated", "imputed", "screened", "treated", "normalised", "aggregated")
"""The stage tables a build exposes (and ``innolab score --stages`` writes)."""

_TABLE_OF = {
    "denominate": "denominated",
    "impute": "imputed",
    "screen": "screened",
    "treat": "treated",
    "normalise": "normalised",
    "aggregate": "aggregated",
}

_REGISTRY_OF = {
    "impute": "IMPUTERS",
    "treat": "TREATMENTS",
    "normalise": "NORMALISERS",
    "aggregate": "AGGREGATORS",
    "weights": "WEIGHTINGS",
}

_OPTIONS = {
    "denominate": frozenset(),
    "impute": frozenset({"method", "group", "overrides", "params"}),
    "screen": frozenset(
        {
            "min_coverage",
            "by",
            "nonzero_threshold",
            "rule",
            "force_include",
            "force_exclude",
            "indicator_coverage",
            "pillar_coverage",
        }
    ),
    "treat": frozenset({"method", "overrides", "params"}),
    "normalise": frozenset({"method", "overrides", "params"}),
    "weights": frozenset({"method", "values", "params"}),
    "aggregate": frozenset({"method", "weights", "min_coverage", "params"}),
}
# kernel arguments the stage verb supplies itself (never spec parameters)
_INJECTED = frozenset(
    {
        "groups",
        "years",
        "direction",
        "directions",
        "targets",
        "weights",
        "w",
        "framework",
        "data",
        "bounds",
    }
)

#: The recipe of COINr's example build (``build_example_coin()``) on the ASEM data, whose
#: outputs are the reference results in ``../shared/reference/coinr-asem/default``.
COINR_ASEM_SPEC: Mapping[str, Any] = {
    "denominate": {},
    "impute": {"method": "group_mean", "group": "EurAsia_group"},
    "screen": {"min_coverage": 0.9, "by": "unit"},
    "treat": {
        "method": "winsorise",
        "max_points": 5,
        "skew": 2.0,
        "kurtosis": 3.5,
        "fallback": "log",
    },
    "normalise": {"method": "minmax", "lower": 0, "upper": 100},
    "aggregate": {"method": "arithmetic"},
}

DEFAULT_SPEC: Mapping[str, Any] = {
    "screen": {
        "indicator_coverage": 0.66,
        "min_coverage": 0.66,
        "by": "unit",
        "pillar_coverage": 0.5,
    },
    "treat": {
        "method": "winsorise",
        "max_points": 5,
        "skew": 2.25,
        "kurtosis": 3.5,
        "fallback": "log",
    },
    "normalise": {"method": "minmax", "lower": 0, "upper": 100},
    "aggregate": {"method": "arithmetic"},
}
"""innolab's default recipe (METHOD.md section 3): keep indicators with data for >= 66% of the
units, units with >= 66% of the indicators, and blank a unit's pillar where it has < 50% of the
pillar's indicators; no imputation (aggregation skips missing children); outliers winsorised
(|skew| >= 2.25 and kurtosis >= 3.5, up to 5 points, else log); min-max 0-100; arithmetic means."""


# --- spec --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Step:
    """One stage of a spec: the stage name, its method, parameters, overrides and options."""

    stage: str
    method: str | Mapping[int, str] | None = None
    params: Mapping[str, Any] = field(default_factory=dict, hash=False)
    overrides: Mapping[str, Any] = field(default_factory=dict, hash=False)
    options: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def to_mapping(self) -> dict[str, Any]:
        """The stage mapping as written in a spec file."""
        out: dict[str, Any] = {}
        if self.method is not None:
            out["method"] = self.method
        out.update(copy.deepcopy(dict(self.options)))
        out.update(copy.deepcopy(dict(self.params)))
        if self.overrides:
            out["overrides"] = copy.deepcopy(dict(self.overrides))
        return out


def _kernel_params(stage: str, method: str) -> set[str] | None:
    """Keyword parameters a registered kernel accepts (None: anything goes)."""
    reg = getattr(_registry, _REGISTRY_OF[stage])
    fn = reg.get(method)
    key = (stage, method)
    hit = _PARAMS_CACHE.get(key)
    if hit is not None and hit[0] is fn:
        return None if hit[1] is None else set(hit[1])
    names = _signature_params(fn)
    _PARAMS_CACHE[key] = (fn, None if names is None else frozenset(names))
    return names


# (stage, method) -> (kernel, its parameter names): inspecting signatures dominates parsing a
# spec, and every rebuild parses one
_PARAMS_CACHE: dict[tuple[str, str], tuple[Any, frozenset[str] | None]] = {}


def _signature_params(fn: Any) -> set[str] | None:
    # fit/apply objects (normalisers): the union of both functions' named parameters
    parts = (
        [(fn.fit, 1), (fn.apply, 2)] if hasattr(fn, "fit") and hasattr(fn, "apply") else [(fn, 1)]
    )
    names: set[str] = set()
    open_ended = 0
    for func, n_data in parts:
        try:
            sig = inspect.signature(func)
        except (TypeError, ValueError):
            return None
        positional = 0
        for p in sig.parameters.values():
            if p.kind is p.VAR_KEYWORD:
                open_ended += 1
                continue
            if p.kind is p.VAR_POSITIONAL:
                continue
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and positional < n_data:
                positional += 1  # the data vector (and fitted statistics)
                continue
            names.add(p.name)
    if open_ended == len(parts):
        return None
    return names - _INJECTED


def _method(stage: str, name: Any, key: str) -> str:
    if not isinstance(name, str) or not name:
        raise SpecError(f"method must be a method name (found {name!r})", key=key)
    reg = getattr(_registry, _REGISTRY_OF[stage])
    try:
        reg.get(name)
    except UnknownMethodError as exc:
        exc.key = key
        exc.message = f"{key}: {exc.message}"
        exc.args = (exc.message,)
        raise
    return name


def _check_params(stage: str, method: str, params: Mapping[str, Any], key: str) -> None:
    allowed = _kernel_params(stage, method)
    if allowed is None:
        return
    for k in params:
        if k not in allowed:
            hint = near_matches(str(k), allowed | _OPTIONS[stage], n=1)
            valid = ", ".join(sorted(allowed)) or "none"
            raise SpecError(
                f"unknown parameter {k!r} for {stage} method {method!r} (valid: {valid})"
                + (f"; did you mean {hint[0]!r}?" if hint else ""),
                key=f"{key}.{k}",
            )


def _parse_step(stage: str, raw: Any, path: str | None) -> Step:
    if raw is None:
        raw = {}
    if isinstance(raw, str) and stage != "screen":
        raw = {"method": raw}
    if not isinstance(raw, Mapping):
        raise SpecError(f"must be a mapping of options (found {raw!r})", path=path, key=stage)
    raw = {str(k): v for k, v in raw.items()}
    params = raw.pop("params", None) or {}
    if not isinstance(params, Mapping):
        raise SpecError(
            f"params must be a mapping (found {params!r})", path=path, key=f"{stage}.params"
        )
    params = {str(k): v for k, v in params.items()}
    overrides = raw.pop("overrides", None) or {}
    if not isinstance(overrides, Mapping):
        raise SpecError(
            f"overrides must map indicator codes to a method or a mapping (found {overrides!r})",
            path=path,
            key=f"{stage}.overrides",
        )
    overrides = {str(k): (dict(v) if isinstance(v, Mapping) else v) for k, v in overrides.items()}
    method = raw.pop("method", None)
    options: dict[str, Any] = {}
    try:
        if stage == "denominate":
            if raw or params or overrides:
                bad = next(iter(raw or params or overrides))
                raise SpecError(
                    "denominate takes no options (the framework names each "
                    "indicator's denominator)",
                    key=f"{stage}.{bad}",
                )
            if method is not None:
                raise SpecError("denominate has no methods", key=f"{stage}.method")
            return Step(stage)
        if stage == "screen":
            if method is not None:
                raise SpecError(
                    "screen has no methods; give min_coverage and by", key="screen.method"
                )
            for k in list(raw):
                if k not in _OPTIONS["screen"]:
                    raise SpecError(
                        f"unknown option {k!r} (valid: {', '.join(sorted(_OPTIONS['screen']))})",
                        key=f"screen.{k}",
                    )
            if "min_coverage" not in raw:
                raise SpecError("min_coverage is required (e.g. 0.66)", key="screen.min_coverage")
            for k in ("min_coverage", "indicator_coverage", "pillar_coverage"):
                if k not in raw:
                    continue
                mc = raw[k]
                if not isinstance(mc, int | float) or isinstance(mc, bool) or not 0 <= mc <= 1:
                    raise SpecError(f"must be a number in [0, 1] (found {mc!r})", key=f"screen.{k}")
            by = raw.get("by", "unit")
            if by not in ("unit", "indicator", "pillar"):
                raise SpecError(
                    f"must be unit, indicator or pillar (found {by!r})", key="screen.by"
                )
            if overrides:
                raise SpecError("screen takes no overrides", key="screen.overrides")
            raw.setdefault("by", "unit")
            return Step(stage, None, {}, {}, raw)
        if stage == "weights":
            values = raw.pop("values", None)
            if method is None:
                method = "explicit" if values is not None else None
            if method is None:
                raise SpecError(
                    "give method (equal, pca, explicit, ...) or values", key="weights.method"
                )
            if method == "explicit":
                if not isinstance(values, Mapping) or not values:
                    raise SpecError(
                        "explicit weights need values: {code: weight, ...}", key="weights.values"
                    )
                options["values"] = {str(k): v for k, v in values.items()}
                params.update(raw)
                if params:
                    raise SpecError(
                        f"unknown option {next(iter(params))!r}",
                        key=f"weights.{next(iter(params))}",
                    )
                return Step(stage, "explicit", {}, {}, options)
            method = _method("weights", method, "weights.method")
            if values is not None:
                raise SpecError("values are only for method explicit", key="weights.values")
            params.update(raw)
            _check_params("weights", method, params, "weights")
            return Step(stage, method, params, {}, {})
        # impute, treat, normalise, aggregate
        if method is None:
            if stage == "aggregate":
                method = "arithmetic"
            else:
                raise SpecError("method is required", key=f"{stage}.method")
        if stage == "aggregate" and "weights" in raw:
            w = raw.pop("weights")
            if isinstance(w, str):
                if w != "framework":
                    _method("weights", w, "aggregate.weights")
            elif not isinstance(w, Mapping):
                raise SpecError(
                    f"must be a weighting method or a mapping code -> weight (found {w!r})",
                    key="aggregate.weights",
                )
            options["weights"] = dict(w) if isinstance(w, Mapping) else w
        if stage == "aggregate" and "min_coverage" in raw:
            mc = raw.pop("min_coverage")
            if mc is not None and (
                not isinstance(mc, int | float) or isinstance(mc, bool) or not 0 <= mc <= 1
            ):
                raise SpecError(
                    f"must be a number in [0, 1] (found {mc!r})", key="aggregate.min_coverage"
                )
            options["min_coverage"] = mc
        if stage == "aggregate" and overrides:
            raise SpecError("aggregate takes no per-indicator overrides", key="aggregate.overrides")
        if stage == "aggregate" and isinstance(method, Mapping):
            per_level = {}
            for lvl, name in method.items():
                if isinstance(lvl, str) and lvl.strip().isdigit():
                    lvl = int(lvl)
                if isinstance(lvl, bool) or not isinstance(lvl, int) or lvl < 2:
                    raise SpecError(
                        f"levels must be integers >= 2 (found {lvl!r})", key="aggregate.method"
                    )
                per_level[lvl] = _method(stage, name, f"aggregate.method.{lvl}")
            params.update(raw)
            for name in set(per_level.values()):
                _check_params(stage, name, params, stage)
            return Step(stage, per_level, params, {}, options)
        method = _method(stage, method, f"{stage}.method")
        if stage == "impute" and "group" in raw:
            g = raw.pop("group")
            if not isinstance(g, str):
                raise SpecError(f"must be a group column name (found {g!r})", key="impute.group")
            options["group"] = g
        params.update(raw)
        _check_params(stage, method, params, stage)
        for code, ov in overrides.items():
            okey = f"{stage}.overrides.{code}"
            if isinstance(ov, str):
                _method(stage, ov, okey)
            elif isinstance(ov, Mapping):
                if "method" in ov:
                    _method(stage, ov["method"], f"{okey}.method")
            else:
                raise SpecError(f"must be a method name or a mapping (found {ov!r})", key=okey)
        return Step(stage, method, params, overrides, options)
    except SpecError as exc:
        if path and not exc.path:
            exc.path = path
            exc.message = f"{path}: {exc.message}"
            exc.args = (exc.message,)
        raise


@dataclass(frozen=True)
class Spec:
    """A build recipe: stages in the order they run (see the module docstring)."""

    steps: tuple[Step, ...]
    name: str | None = None

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any] | None, *, path: str | None = None) -> Spec:
        """Parse and validate plain data; errors name the stage and key."""
        if mapping is None:
            mapping = {}
        if isinstance(mapping, Spec):
            return mapping
        if not isinstance(mapping, Mapping):
            raise SpecError(
                f"a spec must be a mapping of stages (found {type(mapping).__name__})", path=path
            )
        name = None
        steps = []
        for key, value in mapping.items():
            key = str(key)
            if key == "name":
                name = str(value)
                continue
            if key not in STAGES:
                hint = near_matches(key, STAGES, n=1)
                raise SpecError(
                    f"unknown stage {key!r} (stages: {', '.join(STAGES)})"
                    + (f"; did you mean {hint[0]!r}?" if hint else ""),
                    path=path,
                    key=key,
                )
            steps.append(_parse_step(key, value, path))
        return cls(tuple(steps), name)

    @classmethod
    def from_file(cls, path: str | Path) -> Spec:
        """Read a spec from a ``.yaml``/``.yml`` or ``.json`` file (``yaml.safe_load``)."""
        p = Path(path)
        doc = read_document(p, what="spec")
        return cls.from_mapping(doc or {}, path=str(p))

    def to_mapping(self) -> dict[str, Any]:
        """Plain data (stage order kept); ``Spec.from_mapping(s.to_mapping()) == s``."""
        out: dict[str, Any] = {}
        if self.name:
            out["name"] = self.name
        for s in self.steps:
            out[s.stage] = s.to_mapping()
        return out

    def to_json(self) -> str:
        """Canonical JSON text of :meth:`to_mapping` (for provenance and hashing)."""
        return json.dumps(self.to_mapping(), sort_keys=False, default=str)

    def __hash__(self) -> int:
        return hash(self.to_json())

    @property
    def stages(self) -> list[str]:
        """Stage names in run order."""
        return [s.stage for s in self.steps]

    def step(self, stage: str) -> Step | None:
        """The step of ``stage`` (None when not listed)."""
        for s in self.steps:
            if s.stage == stage:
                return s
        return None

    def updated(self, **changes: Any) -> Spec:
        """A new spec with stages changed: ``stage=None`` removes it, a mapping updates its
        keys (a different ``method`` drops the old method's parameters; ``overrides`` is replaced
        whole), and a new stage is inserted at its usual place (order of :data:`STAGES`), or
        appended when the spec uses its own order."""
        current = self.to_mapping()
        name = current.pop("name", None)
        for stage, change in changes.items():
            if stage not in STAGES:
                raise SpecError(f"unknown stage {stage!r} (stages: {', '.join(STAGES)})", key=stage)
            if change is None:
                current.pop(stage, None)
                continue
            if isinstance(change, str):
                change = {"method": change}
            if not isinstance(change, Mapping):
                raise SpecError(f"a change must be a mapping or None (found {change!r})", key=stage)
            if stage in current:
                new = dict(current[stage])
                if "method" in change and change["method"] != new.get("method"):
                    # a different method: its own parameters only (keep overrides/options)
                    keep = {
                        k: v
                        for k, v in new.items()
                        if k in _OPTIONS[stage] and k not in ("method", "params")
                    }
                    new = keep
                new.update(change)
                current[stage] = new
            elif list(current) == [s for s in STAGES if s in current]:
                # the usual order: insert the new stage at its usual place
                current[stage] = dict(change)
                current = {s: current[s] for s in STAGES if s in current}
            else:
                # a user order: keep it and append the new stage
                current[stage] = dict(change)
        if name:
            current = {"name": name, **current}
        return Spec.from_mapping(current)


# --- build -------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class _Inputs:
    raw: pd.DataFrame
    groups: pd.DataFrame | None
    denominators: pd.DataFrame | None
    years: pd.DataFrame | None
    rules_applied: bool
    missing: tuple[str, ...]
    audit: pd.DataFrame | None = None


@dataclass(frozen=True, eq=False)
class Build:
    """Everything a build produced (read-only; see :func:`build`).

    Attributes
    ----------
    framework : Framework
        The framework used (after dropping indicators a selection found missing).
    spec : Spec
    raw : DataFrame
        Units x indicators as received (after splitting off group/denominator columns).
    tables : dict of str to DataFrame
        The stage tables that ran, by table name (``denominated``, ``imputed``, ...).
    details : dict of str to DataFrame or None
        Each stage's summary table (``screen``: screening summary; ``treat``: treatment
        details; ...), by stage name.
    extras : dict of str to mapping
        Each stage's extras (``treat``: ``points``; ``normalise``: ``bounds``), by stage name.
    audit : DataFrame
        Every stage's audit, concatenated in run order (after the ``select`` audit of a
        build from a tidy selection).
    scores : DataFrame
        Normalised indicators followed by every aggregate (COINr ``scores_all_levels``).
    ranks : DataFrame
        Ranks of ``scores`` (1 = best, ties take the minimum rank; within each year for panels).
    weights : Series
        The node weights used by aggregation.
    years : DataFrame or None
        Data year of each raw value (builds from a tidy selection).
    groups, denominators : DataFrame or None
        Unit metadata columns used by the build.
    missing : tuple of str
        Framework indicators without any data (dropped from the framework and reported).
    """

    framework: Framework
    spec: Spec
    raw: pd.DataFrame
    tables: Mapping[str, pd.DataFrame]
    details: Mapping[str, pd.DataFrame | None]
    extras: Mapping[str, Mapping[str, Any]]
    audit: pd.DataFrame
    scores: pd.DataFrame
    ranks: pd.DataFrame
    weights: pd.Series
    years: pd.DataFrame | None = None
    groups: pd.DataFrame | None = None
    denominators: pd.DataFrame | None = None
    missing: tuple[str, ...] = ()
    _inputs: _Inputs | None = field(default=None, repr=False, compare=False)
    _states: tuple[Any, ...] | None = field(default=None, repr=False, compare=False)

    def table(self, name: str) -> pd.DataFrame:
        """A stage table by name (``raw``, ``denominated``, ..., ``aggregated``).

        A stage that did not run passes its input through: its table is that of the latest
        stage before it (in the usual order) that ran, or ``raw``.
        """
        if name == "raw":
            return self.raw
        if name not in TABLE_STAGES:
            raise ParameterError(
                "name", f"unknown stage table {name!r}; valid: raw, " + ", ".join(TABLE_STAGES)
            )
        if name in self.tables:
            return self.tables[name]
        current = self.raw
        for t in TABLE_STAGES:
            if t in self.tables:
                current = self.tables[t]
            if t == name:
                return current
        return current  # pragma: no cover

    denominated = property(lambda self: self.table("denominated"))
    imputed = property(lambda self: self.table("imputed"))
    screened = property(lambda self: self.table("screened"))
    treated = property(lambda self: self.table("treated"))
    normalised = property(lambda self: self.table("normalised"))
    aggregated = property(lambda self: self.table("aggregated"))

    @property
    def units(self) -> list:
        """Units (or (iso3, year) pairs) that received scores."""
        return list(self.scores.index)

    @property
    def index(self) -> pd.Series:
        """Score of the root node per unit."""
        return self.scores[self.framework.root]

    def rebuild(
        self,
        spec: Spec | Mapping[str, Any] | None = None,
        *,
        data: pd.DataFrame | None = None,
        **changes: Any,
    ) -> Build:
        """Re-run the recorded recipe (or ``spec``) from the recorded raw data.

        ``changes`` update stages as in :meth:`Spec.updated`, e.g.
        ``b.rebuild(normalise={"method": "zscore"})``; ``framework=`` replaces the framework
        (e.g. ``b.framework.with_weights(...)``). Without arguments the result equals ``b``.

        ``data`` replaces raw values (what-if analysis): a wide table of some or all of the
        build's units (index or ``iso3``/``uCode`` column; ``(iso3, year)`` for a panel) and
        some or all of its indicator columns. Every cell it holds replaces the recorded raw
        value (NaN included); the other cells, the groups, denominators and data years stay as
        recorded. A unit or column the build does not have is an error that names it. Audit
        rows about the old value of a changed cell go; a build from wide data checks the new
        values for plausibility as a build of them would (:func:`_audit_after_replacing`).

        Steps are not recomputed when they need not be: when the new recipe starts with the
        same ``k`` steps as this build's (same stage options, same framework, same raw data),
        the rebuild continues from this build's state after step ``k`` (its tables, details,
        audits and extras), so that changing only ``normalise`` costs about the normalise and
        aggregate stages. The result is identical to a build from scratch. A framework that
        differs only in its weights reuses the steps before the first ``weights`` or
        ``aggregate`` step.
        """
        fw = changes.pop("framework", None)
        base = self.spec if spec is None else Spec.from_mapping(spec)
        if changes:
            base = base.updated(**changes)
        inputs = self._inputs
        if inputs is None:  # pragma: no cover - builds always record their inputs
            raise SpecError("this build has no recorded inputs to rebuild from")
        if fw is None:
            fw = self.framework
        else:
            fw = load_framework(fw)
            gone = [c for c in inputs.missing if c in fw]
            if gone:
                fw = fw.drop(gone)
            absent = [c for c in fw.indicators if c not in inputs.raw.columns]
            if absent:
                raise FrameworkError(
                    [f"indicator(s) without data: {', '.join(absent)}"], source=fw.code
                )
        if data is not None:
            new_raw, changed = _replace_cells(inputs.raw, data, fw)
            audit = _audit_after_replacing(inputs, new_raw, changed, fw)
            return _run(dataclasses.replace(inputs, raw=new_raw, audit=audit), fw, base)
        return _run(inputs, fw, base, self._reusable_states(base, fw), self)

    def _reusable_states(self, spec: Spec, fw: Framework) -> tuple[Any, ...] | None:
        """This build's states that a run of ``spec`` under ``fw`` would compute again."""
        states = self._states
        if not states:
            return None
        if fw is self.framework:
            same_weights = True
        elif _same_but_weights(fw, self.framework):
            same_weights = fw.weights().equals(self.framework.weights())
        else:
            return None
        k = 0
        for old, new in zip(self.spec.steps, spec.steps, strict=False):
            if old != new or (not same_weights and new.stage in ("weights", "aggregate")):
                break
            k += 1
        if k == 0:
            return None
        reuse = states[: k + 1]
        if fw is not self.framework and not same_weights:
            # no weights or aggregate step among them: their weights are the framework's
            w = _lookup(fw, "weights")
            reuse = tuple(dataclasses.replace(st, weights=w.copy()) for st in reuse)
        return tuple(reuse)

    def summary(self) -> pd.DataFrame:
        """Aggregate scores, highest level first, with the root's rank, best first (COINr
        ``get_results``)."""
        fw = self.framework
        have = set(self.scores.columns)
        aggs = [c for c in fw.aggregates() if c in have]
        # COINr's sorted iMeta order: level descending, then parent code, then declared order
        order = sorted(aggs, key=lambda c: (-fw.node(c).level, fw.node(c).parent or ""))
        out = self.scores[order].copy()
        out.insert(0, "Rank", self.ranks[fw.root])
        return out.sort_values(["Rank"], kind="stable")


def _as_frame(
    data: Any,
) -> tuple[pd.DataFrame, pd.DataFrame | None, bool, tuple[str, ...], pd.DataFrame | None]:
    """Data, data years, whether select applied the rules, missing indicators, select audit."""
    if isinstance(data, Selection):
        return data.data, data.years, True, tuple(data.missing), data.audit
    if not isinstance(data, pd.DataFrame):
        raise ParameterError(
            "data", f"expected a DataFrame or a Selection, got {type(data).__name__}"
        )
    return data, None, False, (), None


def _plain_labels(df: pd.DataFrame) -> pd.DataFrame:
    """Row and column labels as plain Python objects.

    pandas 3 reads text as Arrow-backed strings; label lookups on such indexes are several
    times slower than on object indexes, and every stage looks labels up.
    """
    idx = df.index
    if isinstance(idx, pd.MultiIndex):
        levels = [
            lv.astype(object)
            if lv.dtype != object and not pd.api.types.is_numeric_dtype(lv.dtype)
            else lv
            for lv in idx.levels
        ]
        idx = idx.set_levels(levels)
    elif idx.dtype != object and not pd.api.types.is_numeric_dtype(idx.dtype):
        idx = idx.astype(object)
    cols = df.columns
    if cols.dtype != object:
        cols = cols.astype(object)
    if idx is df.index and cols is df.columns:
        return df
    out = df.copy(deep=False)
    out.index = idx
    out.columns = cols
    return out


def _set_index(df: pd.DataFrame) -> pd.DataFrame:
    """Index by unit code (``iso3``/``uCode`` column or index) and, for panels, ``year``."""
    return _plain_labels(_set_index_raw(df))


def _set_index_raw(df: pd.DataFrame) -> pd.DataFrame:
    if isinstance(df.index, pd.MultiIndex):
        names = list(df.index.names)
        if len(names) != 2:
            raise ParameterError("data", f"a panel index must be (iso3, year), got {names}")
        if names != ["iso3", "year"]:
            df = df.rename_axis(["iso3", "year"])
        return df
    unit_col = next((c for c in ("iso3", "uCode") if c in df.columns), None)
    year_col = next((c for c in ("year", "Time") if c in df.columns), None)
    if unit_col is not None:
        if year_col is not None and df[unit_col].duplicated().any():
            df = df.set_index([unit_col, year_col]).rename_axis(["iso3", "year"])
        else:
            df = df.set_index(unit_col).rename_axis("iso3")
    elif isinstance(df.index, pd.RangeIndex):
        raise ParameterError("data", "no unit column: give an iso3 or uCode column (or index)")
    else:
        df = df.rename_axis("iso3")
    if not df.index.is_unique:
        dup = df.index[df.index.duplicated()].unique().tolist()[:5]
        raise ParameterError("data", f"duplicate units: {dup}")
    return df


def build(
    data: pd.DataFrame | Selection,
    framework: Framework | str,
    spec: Spec | Mapping[str, Any] | str | Path | None = None,
    *,
    groups: pd.DataFrame | pd.Series | None = None,
    denominators: pd.DataFrame | None = None,
) -> Build:
    """Build a composite index: apply ``spec``'s stages to ``data`` under ``framework``.

    Parameters
    ----------
    data : DataFrame or Selection
        Wide data: one row per unit (index or column ``iso3``/``uCode``; for a panel a
        ``(iso3, year)`` index), one column per indicator, optionally the framework's group and
        denominator columns (COINr ``iData`` layout). Other id columns (``uName``, ``Time``)
        are ignored; any other column is an error naming it. A :class:`Selection` (from
        :func:`~innolab.scoring.select.select`) carries the data years and has the framework's
        data rules already applied (its ``denominate`` step is then a no-op, and ``treat`` does
        not apply cap/transform again); indicators it found missing are dropped from the
        framework and listed in ``Build.missing``.
    framework : Framework or str
    spec : Spec, mapping, path or None
        The recipe (default :data:`DEFAULT_SPEC`).
    groups, denominators : DataFrame, optional
        Unit metadata, indexed by unit, when not given as columns of ``data``.

    Returns
    -------
    Build

    Examples
    --------
    >>> import pandas as pd
    >>> from innolab.framework import Framework
    >>> fw = Framework.from_mapping({"code": "t", "nodes": [{"code": "I"},
    ...     {"code": "a", "parent": "I", "direction": 1},
    ...     {"code": "b", "parent": "I", "direction": -1}]})
    >>> df = pd.DataFrame({"iso3": ["X", "Y", "Z"], "a": [0.0, 5.0, 10.0], "b": [1.0, 3.0, 2.0]})
    >>> b = build(df, fw, {"normalise": {"method": "minmax", "lower": 0, "upper": 100},
    ...                    "aggregate": {"method": "arithmetic"}})
    >>> b.scores["I"].tolist(), b.ranks["I"].tolist()
    ([50.0, 25.0, 75.0], [2, 3, 1])
    """
    fw = load_framework(framework)
    if spec is None:
        spec = Spec.from_mapping(DEFAULT_SPEC)
    elif isinstance(spec, str | Path):
        spec = Spec.from_file(spec)
    else:
        spec = Spec.from_mapping(spec)
    frame, years, rules_applied, missing, sel_audit = _as_frame(data)
    frame = _set_index(frame)
    if years is not None:
        years = _set_index(years)
    if missing:
        fw = fw.drop(missing)
        frame = frame.drop(columns=[c for c in missing if c in frame.columns])
        if years is not None:
            years = years.drop(columns=[c for c in missing if c in years.columns])
    cols = [str(c) for c in frame.columns if str(c) not in UNIT_ID_COLUMNS]
    problems = _problems(fw, cols)
    if problems:
        raise FrameworkError(problems, source=fw.code)
    # resolve aliases in wide data
    rename = {}
    present = set(frame.columns)
    for n in fw.nodes:
        if n.kind == "indicator" and n.code not in present:
            for a in n.aliases:
                if a in present:
                    rename[a] = n.code
                    break
    if rename:
        frame = frame.rename(columns=rename)
        present = set(frame.columns)
    inds = [c for c in fw.indicators if c in present]
    _check_numeric(frame, inds)
    index = frame.index
    order = None if index.is_monotonic_increasing else index.argsort(kind="stable")
    if order is not None:
        index = index.take(order)
    values = _numeric_values(frame, inds)
    if order is not None:
        values = values[order]
    raw = pd.DataFrame(values, index=index, columns=pd.Index(inds, dtype=object))
    grp = _meta_frame(frame, fw.groups, groups, "groups", order)
    den = _meta_frame(frame, fw.denominators, denominators, "denominators", order)
    if years is not None:
        years = years.reindex(index=index, columns=inds)
    audit = sel_audit if sel_audit is not None and len(sel_audit) else None
    if not rules_applied:  # wide data: the plausibility check select() does for tidy data
        check = audit_and_warn(raw, fw)
        if len(check):
            audit = check if audit is None else concat_audits([audit, check], raw.index)
    inputs = _Inputs(raw, grp, den, years, rules_applied, missing, audit)
    return _run(inputs, fw, spec)


def _check_numeric(frame: pd.DataFrame, cols: list[Any]) -> None:
    """Indicator columns ``cols`` of ``frame`` must be numeric (booleans are not)."""
    dtypes = dict(zip(frame.columns, column_dtypes(frame), strict=True))
    bad = [
        c
        for c in cols
        if not pd.api.types.is_numeric_dtype(dtypes[c]) or pd.api.types.is_bool_dtype(dtypes[c])
    ]
    if bad:
        raise DataFileError(
            None, "indicator columns must be numeric", column=bad[0], found=str(dtypes[bad[0]])
        )


def _numeric_values(frame: pd.DataFrame, cols: list[str]) -> np.ndarray:
    """``frame[cols].to_numpy(dtype=float, na_value=np.nan)`` for numeric ``cols``, read from
    the numeric blocks at once (a column selection copies the frame column by column)."""
    num = frame.select_dtypes(include="number")
    pos = {c: j for j, c in enumerate(num.columns)}
    if not cols or any(c not in pos for c in cols):
        return frame[cols].to_numpy(dtype=float, na_value=np.nan)
    return num.to_numpy(dtype=float, na_value=np.nan)[:, [pos[c] for c in cols]]


def _meta_frame(
    frame: pd.DataFrame, codes: tuple[str, ...], given: Any, what: str, order: np.ndarray | None
) -> pd.DataFrame | None:
    """Group or denominator columns of ``frame`` (plain objects for text), joined with
    ``given`` (a table indexed by unit)."""
    present = [c for c in codes if c in frame.columns]
    out = None
    if present:
        idx = frame.index if order is None else frame.index.take(order)
        cols = {}
        for c in present:
            s = frame[c]
            numeric = pd.api.types.is_numeric_dtype(s.dtype)
            arr = s.to_numpy(
                dtype=float if numeric else object, na_value=np.nan if numeric else None
            )
            cols[c] = arr if order is None else arr[order]
        out = pd.DataFrame(cols, index=idx)
    if given is not None:
        if isinstance(given, pd.Series):
            given = given.to_frame()
        if not isinstance(given, pd.DataFrame):
            raise ParameterError(
                what, f"expected a DataFrame indexed by unit, got {type(given).__name__}"
            )
        given = _plain_labels(given)
        out = given if out is None else out.join(given, how="left", rsuffix="_given")
    return out


@dataclass(frozen=True, eq=False)
class _State:
    """What the pipeline has produced after some steps: everything a step reads or writes.

    A build keeps its state after every step (``Build._states[k]`` = after ``k`` steps), so a
    rebuild whose recipe starts with the same ``k`` steps continues from there. A state is never
    modified: a step copies the (small) mappings it extends.
    """

    cur: pd.DataFrame
    tables: Mapping[str, pd.DataFrame]
    details: Mapping[str, Any]
    extras: Mapping[str, Any]
    audits: tuple[pd.DataFrame, ...]
    weights: pd.Series
    weights_set: bool = False


def _initial_state(inputs: _Inputs, fw: Framework) -> _State:
    audits = () if inputs.audit is None else (inputs.audit,)
    return _State(inputs.raw, {}, {}, {}, audits, _lookup(fw, "weights").copy(), False)


def _run(
    inputs: _Inputs,
    fw: Framework,
    spec: Spec,
    start: tuple[_State, ...] | None = None,
    previous: Build | None = None,
) -> Build:
    """Run ``spec`` on ``inputs``; ``start`` = the states after the first ``len(start) - 1``
    steps of ``spec`` (from ``previous``, an earlier run of the same steps on the same
    inputs, whose audit is taken over when the new steps add no audit rows)."""
    states = [_initial_state(inputs, fw)] if not start else list(start)
    state = states[-1]
    for step in spec.steps[len(states) - 1 :]:
        state = _step(inputs, fw, step, state)
        states.append(state)
    scores = state.cur
    ranks = _ranks(scores)
    old = previous._states[-1].audits if previous is not None and previous._states else None
    if (
        old is not None
        and len(old) == len(state.audits)
        and all(a is b for a, b in zip(old, state.audits, strict=True))
    ):
        audit = previous.audit  # the same pieces: the same table
    elif state.audits:
        audit = concat_audits(list(state.audits), inputs.raw.index)
    else:
        audit = empty_audit(inputs.raw.index)
    return Build(
        framework=fw,
        spec=spec,
        raw=inputs.raw,
        tables=dict(state.tables),
        details=dict(state.details),
        extras=dict(state.extras),
        audit=audit,
        scores=scores,
        ranks=ranks,
        weights=state.weights,
        years=inputs.years,
        groups=inputs.groups,
        denominators=inputs.denominators,
        missing=inputs.missing,
        _inputs=inputs,
        _states=tuple(states),
    )


def _step(inputs: _Inputs, fw: Framework, step: Step, state: _State) -> _State:
    """Apply one step of a spec to the state after the previous steps."""
    st = step.stage
    cur = state.cur
    details: dict[str, Any] = dict(state.details)
    audits: list[pd.DataFrame] = list(state.audits)
    weights, weights_set = state.weights, state.weights_set
    try:
        if st == "denominate":
            if inputs.rules_applied:
                res = None
                details[st] = pd.DataFrame(
                    {
                        "note": [
                            "denominators applied when the data were selected from the tidy "
                            "table (same-year values)"
                        ]
                    }
                )
            else:
                res = denominate(
                    cur,
                    fw,
                    denominators=inputs.denominators
                    if inputs.denominators is not None
                    else pd.DataFrame(index=cur.index),
                )
        elif st == "impute":
            grp = None
            if "group" in step.options:
                gname = step.options["group"]
                if inputs.groups is None or gname not in inputs.groups.columns:
                    have = [] if inputs.groups is None else list(inputs.groups.columns)
                    raise SpecError(
                        f"group column {gname!r} not in the data (groups: "
                        f"{', '.join(map(str, have)) or 'none'})",
                        key="impute.group",
                    )
                grp = _unit_series(inputs.groups[gname], cur.index)
            _check_codes(step, fw)
            res = impute(
                cur, step.method, groups=grp, params=dict(step.params), overrides=_ov(step)
            )
        elif st == "screen":
            res = _screen(cur, fw, dict(step.options), details, audits)
        elif st == "treat":
            _check_codes(step, fw)
            res = treat(
                cur,
                step.method,
                params=dict(step.params),
                overrides=_ov(step),
                framework=None if inputs.rules_applied else fw,
                columns=[c for c in fw.indicators if c in cur.columns],
            )
        elif st == "normalise":
            _check_codes(step, fw)
            res = normalise(
                cur,
                step.method,
                directions=dict(_lookup(fw, "directions_map")),
                params=dict(step.params),
                overrides=_ov(step),
                targets=dict(_lookup(fw, "targets_map")),
                goalposts=dict(_lookup(fw, "goalposts")) or None,
            )
        elif st == "weights":
            weights = _weights_from(step.method, step.options, dict(step.params), cur, fw)
            details[st] = weights.to_frame("weight")
            return _State(cur, state.tables, details, state.extras, tuple(audits), weights, True)
        elif st == "aggregate":
            given = True
            if "weights" in step.options:
                w = _weights_from(step.options["weights"], {}, {}, cur, fw)
            elif not weights_set:
                w, given = _lookup(fw, "weights").copy(), False
            else:
                w = weights
            weights = w
            res = aggregate(
                cur,
                fw,
                step.method,
                # the framework's own weights are aggregate()'s default: not passing them
                # spares re-aligning every weight (same numbers)
                weights=w if given else None,
                params=dict(step.params) or None,
                min_coverage=step.options.get("min_coverage"),
            )
        else:  # pragma: no cover - Spec validates stage names
            raise SpecError(f"unknown stage {st!r}", key=st)
    except ParameterError as exc:
        raise SpecError(str(exc), key=st) from exc
    extras = state.extras
    if res is not None:
        cur = res.data
        if len(res.audit):
            audits.append(res.audit)
        details[st] = res.details
        ex = getattr(res, "extras", None)
        if ex:
            extras = {**extras, st: ex}
    tables = {**state.tables, _TABLE_OF[st]: cur}
    return _State(cur, tables, details, extras, tuple(audits), weights, weights_set)


def _same_but_weights(a: Framework, b: Framework) -> bool:
    """Do two frameworks agree in everything but (possibly) their node weights?"""
    if a is b:
        return True
    head = ("code", "name", "description", "groups", "denominators", "data_window", "level_names")
    if any(getattr(a, k) != getattr(b, k) for k in head) or len(a.nodes) != len(b.nodes):
        return False
    return all(
        x == y or dataclasses.replace(x, weight=y.weight) == y
        for x, y in zip(a.nodes, b.nodes, strict=True)
    )


def _replace_cells(raw: pd.DataFrame, data: Any, fw: Framework) -> tuple[pd.DataFrame, np.ndarray]:
    """``raw`` with the cells of ``data`` (some or all units and indicator columns) replaced,
    and the mask of the cells whose value changed (NaN to NaN is no change).

    Errors name the units and columns ``raw`` does not have (with near matches), group or
    denominator columns (recorded with the build, not replaceable here) and non-numeric
    columns.
    """
    if not isinstance(data, pd.DataFrame):
        raise ParameterError(
            "data", f"expected a wide DataFrame of raw values, got {type(data).__name__}"
        )
    frame = _set_index(data)
    if isinstance(frame.index, pd.MultiIndex) != isinstance(raw.index, pd.MultiIndex):
        want = "(iso3, year) rows" if isinstance(raw.index, pd.MultiIndex) else "one row per unit"
        raise ParameterError("data", f"the build has {want}; the replacement data do not")
    cols = [c for c in frame.columns if str(c) not in UNIT_ID_COLUMNS]
    meta = [c for c in cols if c in fw.groups or c in fw.denominators]
    if meta:
        raise ParameterError(
            "data",
            f"group/denominator column(s) {', '.join(map(str, meta))} cannot be replaced by a "
            "rebuild (they are recorded with the build); build again with build()",
        )
    have = set(raw.columns)
    unknown_cols = [c for c in cols if c not in have]
    if unknown_cols:
        parts = []
        for c in unknown_cols:
            hint = near_matches(str(c), list(map(str, raw.columns)), n=1)
            parts.append(f"{c!r}" + (f" (did you mean {hint[0]!r}?)" if hint else ""))
        raise ParameterError("data", "unknown indicator column(s): " + "; ".join(parts))
    known = set(raw.index)
    unknown_units = [u for u in frame.index if u not in known]
    if unknown_units:
        labels = sorted({str(u) for u in unknown_units})
        pool = sorted({str(u) for u in raw.index})
        parts = []
        for u in labels[:10]:
            hint = near_matches(u, pool, n=1)
            parts.append(f"{u!r}" + (f" (did you mean {hint[0]!r}?)" if hint else ""))
        more = f" and {len(labels) - 10} more" if len(labels) > 10 else ""
        raise ParameterError("data", "unknown unit(s): " + "; ".join(parts) + more)
    _check_numeric(frame, cols)
    values = raw.to_numpy(dtype=float, na_value=np.nan, copy=True)
    changed = np.zeros(values.shape, dtype=bool)
    if cols and len(frame):
        rows = raw.index.get_indexer(frame.index)
        pos = raw.columns.get_indexer(cols)
        block = np.ix_(rows, pos)
        old, new = values[block], frame[cols].to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            changed[block] = ~((old == new) | (np.isnan(old) & np.isnan(new)))
        values[block] = new
    return pd.DataFrame(values, index=raw.index, columns=raw.columns), changed


def _audit_after_replacing(
    inputs: _Inputs, new_raw: pd.DataFrame, changed: np.ndarray, fw: Framework
) -> pd.DataFrame | None:
    """The recorded input audit once the ``changed`` raw cells have new values
    (``rebuild(data=...)``, mask from :func:`_replace_cells`).

    Rows about a cell whose value changed describe the old value (a cap, a suspicious value)
    and are dropped; otherwise what-if analysis would, for example, put a capped old value
    back. Builds from wide data then check the new values as a build of them would (same
    rows, same :class:`~innolab.scoring.plausibility.PlausibilityWarning`). A tidy selection
    records raw values already capped and transformed, not in the units the check knows, so
    new values there are taken as given.
    """
    if not changed.any():
        return inputs.audit
    audit = inputs.audit
    if audit is not None and len(audit):
        rows, cols = np.nonzero(changed)
        units = new_raw.index[rows]
        codes = new_raw.columns[cols]
        if isinstance(new_raw.index, pd.MultiIndex):
            gone = {(*u, c) for u, c in zip(units, codes, strict=True)}
            keys = zip(audit["iso3"], audit["year"], audit["code"], strict=True)
        else:
            gone = set(zip(units, codes, strict=True))
            keys = zip(audit["iso3"], audit["code"], strict=True)
        keep = np.fromiter((k not in gone for k in keys), dtype=bool, count=len(audit))
        audit = audit[keep].reset_index(drop=True)
    if not inputs.rules_applied:
        # NaN cells are never flagged; the warning points at the caller of rebuild()
        check = audit_and_warn(new_raw.where(changed), fw, stacklevel=5)
        if len(check):
            audit = check if audit is None else concat_audits([audit, check], new_raw.index)
    return audit


# Framework-derived lookups (weights, directions, targets, goalposts) are read by every build
# and rebuild; a framework is immutable, so they are computed once per framework object. The
# cache holds a weak reference to check that an id still names the same object.
_LOOKUPS: dict[int, tuple[weakref.ref, dict[str, Any]]] = {}
_LOOKUPS_MAX = 64


def _problems(fw: Framework, cols: list[str]) -> list[str]:
    """``fw.problems(cols)``, remembered per framework object and column list (the check of
    every build of the same data, e.g. a what-if or uncertainty loop)."""
    key = ("problems", tuple(cols))
    _lookup(fw, "weights")  # makes sure the framework has a cache entry
    hit = _LOOKUPS.get(id(fw))
    cache = hit[1] if hit is not None and hit[0]() is fw else None
    if cache is None:  # pragma: no cover - a framework that cannot be weakly referenced
        return list(fw.problems(cols))
    if key not in cache:
        cache[key] = tuple(fw.problems(cols))
    return list(cache[key])


def _lookup(fw: Framework, what: str) -> Any:
    """``fw.weights()`` / ``directions()`` / ``targets()`` / ``goalposts()``, cached per object
    (``"directions_map"``: the same as a dict).

    Callers must not modify the result (pass a copy to code that might).
    """
    hit = _LOOKUPS.get(id(fw))
    if hit is None or hit[0]() is not fw:
        if len(_LOOKUPS) >= _LOOKUPS_MAX:
            _LOOKUPS.clear()
        try:
            ref = weakref.ref(fw)
        except TypeError:  # pragma: no cover - not weak-referenceable: no caching
            return getattr(fw, what)()
        hit = (ref, {})
        _LOOKUPS[id(fw)] = hit
    cache = hit[1]
    if what not in cache:
        if what.endswith("_map"):  # the Series as a plain dict (cheaper to look codes up in)
            cache[what] = dict(_lookup(fw, what[: -len("_map")]).items())
        else:
            cache[what] = getattr(fw, what)()
    return cache[what]


def _screen(
    cur: pd.DataFrame,
    fw: Framework,
    opts: dict[str, Any],
    details: dict[str, Any],
    audits: list[pd.DataFrame],
):
    """The screen stage: optional indicator screen, the unit (or other) screen, then the
    optional pillar screen (METHOD.md: indicators >= 66%, units >= 66%, pillars >= 50%).

    ``details["screen"]`` is the main screen's summary (COINr's ``DataSummary``); the other
    two go to ``details["screen_indicator"]`` and ``details["screen_pillar"]``.
    """
    ind_cov = opts.pop("indicator_coverage", None)
    pil_cov = opts.pop("pillar_coverage", None)
    if ind_cov is not None:
        r = screen(
            cur,
            min_coverage=ind_cov,
            by="indicator",
            framework=fw,
            nonzero_threshold=opts.get("nonzero_threshold", 0.05),
        )
        cur = r.data
        details["screen_indicator"] = r.details
        if len(r.audit):
            audits.append(r.audit)
    res = screen(cur, framework=fw, **opts)
    if pil_cov is None:
        return res
    if len(res.audit):
        audits.append(res.audit)
    details["screen"] = res.details
    r = screen(res.data, min_coverage=pil_cov, by="pillar", framework=fw)
    details["screen_pillar"] = r.details
    return _StageOut(r.data, r.audit, res.details)


@dataclass(frozen=True, eq=False)
class _StageOut:
    data: pd.DataFrame
    audit: pd.DataFrame
    details: Any = None
    extras: Any = None


def _ov(step: Step) -> dict[str, Any] | None:
    return copy.deepcopy(dict(step.overrides)) or None


def _check_codes(step: Step, fw: Framework) -> None:
    for code in step.overrides:
        if code not in fw or fw.node(code).kind != "indicator":
            hint = near_matches(code, fw.indicators, n=1)
            raise SpecError(
                f"{code!r} is not an indicator of framework {fw.code!r}"
                + (f" (did you mean {hint[0]!r}?)" if hint else ""),
                key=f"{step.stage}.overrides.{code}",
            )


def _unit_series(col: pd.Series, index: pd.Index) -> pd.Series:
    """Group labels aligned to the current rows (unit-level labels broadcast over a panel)."""
    if col.index.equals(index):
        return col
    keys = index.get_level_values(0) if isinstance(index, pd.MultiIndex) else index
    if isinstance(col.index, pd.MultiIndex):
        return col.reindex(index)
    return pd.Series(col.reindex(keys).to_numpy(), index=index, name=col.name)


def _weights_from(
    method: Any,
    options: Mapping[str, Any],
    params: Mapping[str, Any],
    data: pd.DataFrame,
    fw: Framework,
) -> pd.Series:
    """Node weights for aggregation from a weights spec (method name or code -> weight)."""
    if isinstance(method, Mapping):
        return explicit_weights(fw, weights={str(k): v for k, v in method.items()})
    if method == "framework":
        return fw.weights()
    if method == "explicit":
        return explicit_weights(fw, weights=dict(options["values"]))
    fn = _registry.WEIGHTINGS.get(method)
    return pd.Series(fn(fw, data=data, **params), dtype=float)


def _ranks(scores: pd.DataFrame) -> pd.DataFrame:
    return rank(scores)


# --- files in, files out (used by ``innolab score``) ---------------------------------------------
@dataclass(frozen=True, eq=False)
class ScoreReport:
    """What :func:`score_files` wrote and found."""

    build: Build
    outputs: tuple[Path, ...]
    unit_column: str
    screened_out: tuple[str, ...]
    missing: tuple[str, ...]
    reference_year: int | None


def read_data_file(path: str | Path) -> pd.DataFrame:
    """Read a wide or tidy data table (CSV, Parquet or XLSX), keeping codes such as ``NA``.

    A canonical tidy table (``iso3, indicator, year, value, source`` in a ``.csv`` or
    ``.parquet`` file, as ``innolab data import`` writes it) is read with
    :func:`innolab.sources.read_canonical`, which checks every country code, year and value:
    a code that is not a known economy or aggregate is an
    :class:`~innolab.errors.UnknownCountryError` naming the file, line and code (with near
    matches), never scored. The country codes of any other tidy table (no ``source`` column,
    or a workbook) are checked in the same way. Wide tables are read as they are (their unit
    codes, such as COINr's, need not be countries).
    """
    p = Path(path)
    if not p.exists():
        raise DataFileError(p, "file not found")
    suffix = p.suffix.lower()
    if suffix in (".csv", ".parquet") and _is_canonical_file(p, suffix):
        from ..sources import read_canonical

        return read_canonical(p)
    try:
        if suffix == ".parquet":
            table = pd.read_parquet(p)
        elif suffix in (".xlsx", ".xls"):
            table = pd.read_excel(p)
        else:
            table = pd.read_csv(p, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise DataFileError(p, f"cannot read the data table: {exc}") from None
    from .select import is_tidy

    if is_tidy(table):
        table = _checked_tidy_codes(table, p, lines=suffix != ".parquet")
    return table


def _is_canonical_file(p: Path, suffix: str) -> bool:
    """Whether the header of ``p`` names every canonical tidy column (read nothing else)."""
    from ..sources.base import CANONICAL_COLUMNS

    try:
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            names = pq.read_schema(p).names
        else:
            names = list(pd.read_csv(p, nrows=0, encoding="utf-8-sig").columns)
    except Exception:  # an unreadable file: the plain reader below says what is wrong
        return False
    return all(c in names for c in CANONICAL_COLUMNS)


def _checked_tidy_codes(table: pd.DataFrame, p: Path, *, lines: bool) -> pd.DataFrame:
    """The tidy ``table`` with its country codes checked as every loader checks them.

    An empty code is a DataFileError, an unknown one an UnknownCountryError (file, column,
    line of the first occurrence when ``lines``: the header is line 1); a former World Bank
    code is renamed with a warning.
    """
    from ..sources.base import known_codes, warn_all

    raw = table["iso3"]
    empty = raw.isna().to_numpy() | (raw.astype(str).str.strip() == "").to_numpy()
    if empty.any():
        i = int(np.argmax(empty))
        raise DataFileError(
            p,
            "empty country code",
            line=i + 2 if lines else None,
            column="iso3",
            expected="an ISO3 code",
        )
    codes = raw.astype(str).tolist()
    known, notes = known_codes(
        codes,
        path=p,
        column="iso3",
        lines=list(range(2, len(codes) + 2)) if lines else None,
    )
    warn_all(notes)
    if all(known.get(c, c) == c for c in set(codes)):
        return table
    return table.assign(iso3=[known[c] for c in codes])


def _numeric_columns(df: pd.DataFrame, cols: list[str], path: Path) -> pd.DataFrame:
    """Indicator columns must hold numbers; name the first bad cell (line, column)."""
    out = df.copy()
    for c in cols:
        if c in out.columns and not pd.api.types.is_numeric_dtype(out[c].dtype):
            conv = pd.to_numeric(out[c], errors="coerce")
            bad = conv.isna() & out[c].notna()
            if bad.any():
                i = int(np.argmax(bad.to_numpy()))
                raise DataFileError(
                    path,
                    "non-numeric indicator value",
                    line=i + 2,
                    column=c,
                    found=out[c].iloc[i],
                    expected="a number or an empty cell",
                )
            out[c] = conv
    return out


def score_files(
    data: str | Path,
    framework: str | Path | Framework,
    *,
    spec: str | Path | Mapping[str, Any] | None = None,
    year: int | None = None,
    out: str | Path,
    ranks: str | Path | None = None,
    stages: str | Path | None = None,
) -> ScoreReport:
    """Read data, build, and write scores (and ranks and stage tables), atomically with
    provenance.

    ``data`` is a wide table (unit column ``uCode`` or ``iso3``, indicator columns, optional
    group/denominator columns, optional ``year``/``Time`` for panels) or the canonical tidy
    table (``iso3, indicator, year, value[, source]``; ``year`` then picks the reference year,
    default the latest year in the table). ``out`` gets one row per scored unit: the unit
    code, then one column per framework node (normalised value for indicators, score for
    aggregates); ``ranks`` the same shape with ranks; ``stages`` one CSV per stage table.
    """
    from ..io import write_provenance, write_table
    from .files import build_from_files

    fb = build_from_files(data, framework, spec=spec, year=year)
    b, fw, spec_obj, unit_col = fb.build, fb.framework, fb.spec, fb.unit_column
    ref_year, sources = fb.reference_year, list(fb.sources)
    full = fw  # every node of the framework as given, missing indicators included
    cols = [c for c in full.indicators] + [c for c in b.scores.columns if c not in full.indicators]
    panel = isinstance(b.scores.index, pd.MultiIndex)

    def shaped(df: pd.DataFrame) -> pd.DataFrame:
        o = df.reindex(columns=cols)
        o = o.reset_index()
        first = o.columns[0]
        return o.rename(columns={first: unit_col}) if not panel else o

    extra = {
        "framework": fw.code,
        "spec": spec_obj.to_mapping(),
        "reference_year": ref_year,
        "missing_indicators": list(b.missing),
    }
    written = []
    out = Path(out)
    write_table(shaped(b.scores), out)
    write_provenance(out, sources, content="scores", **extra)
    written.append(out)
    if ranks is not None:
        ranks = Path(ranks)
        write_table(shaped(b.ranks), ranks)
        write_provenance(ranks, sources, content="ranks", **extra)
        written.append(ranks)
    if stages is not None:
        d = Path(stages)
        d.mkdir(parents=True, exist_ok=True)
        for name in TABLE_STAGES:
            p = d / f"{name}.csv"
            t = b.table(name).reset_index()
            if not panel:
                t = t.rename(columns={t.columns[0]: unit_col})
            write_table(t, p)
            write_provenance(p, sources, content=f"stage {name}", **extra)
            written.append(p)
    gone = [u for u in b.raw.index if u not in set(b.scores.index)]
    return ScoreReport(
        b, tuple(written), unit_col, tuple(map(str, gone)), tuple(b.missing), ref_year
    )
