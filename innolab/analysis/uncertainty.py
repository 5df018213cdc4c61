"""Monte Carlo uncertainty and variance-based sensitivity analysis of a build.

Which methodological choices move a country's rank, and how far? Each *uncertain input* is a
set of discrete alternatives for one assumption (OECD/JRC Handbook step 7; COINr
``get_sensitivity``):

==========================  ===============================================================
vary-file key               alternatives
==========================  ===============================================================
``stage.param: [...]``      values of one spec parameter, e.g. ``treat.max_points: [1, 2, 3]``
``stage: [...]``            whole stage settings (mappings, method names), ``off`` removes the
                            stage and ``on`` keeps the nominal one (``impute: [on, off]``)
``aggregate.method: [...]`` aggregators (``aggregate: [{method: generalised, p: 2}, ...]``)
``weights: {noise, levels}`` ``replications`` (default 100) noisy weight tables: every weight
                            at the listed levels (default: all below the index) becomes
                            ``w + (2u - 1)·noise·w``, u ~ U(0, 1) (``noise`` a number or
                            ``{level: factor}``; optional own ``seed``)
``weights: [{code: w}, ...]`` explicit weight alternatives (unlisted codes keep their weight)
``exclude: each``           leave one indicator out (or a list of codes), plus "none"
==========================  ===============================================================

**Design.** *Uncertainty analysis* (UA) draws ``N`` runs; *sensitivity analysis* (SA) draws
base matrices **A** and **B** (``N`` rows each) and, for every input i, **AB_i** = A with column
i from B: ``N(d + 2)`` runs (Saltelli 2010). Uniforms come from R's Mersenne-Twister stream
(:class:`~innolab.analysis._rrng.RStream`), filled column by column, and a column of uniforms is
mapped to one of k alternatives as R's ``cut(u, k)`` does: k equal bins over **the sampled
column's own range** (outer breaks widened by 1/1000 of it, right-closed). Noisy weights are
drawn first (from their own ``seed`` when given, else from the main stream). With the same
seeds this reproduces COINr's runs draw for draw (``ALGORITHMS.md`` section 7).

**Evaluation, batched.** A run is a combination of alternatives. The stages before aggregation
are rebuilt once per distinct combination of the inputs that touch them, each from the cached
build sharing the longest prefix of steps (``treat`` 5 ways then ``normalise`` 2 ways is 5 + 10
stage runs, not 10 builds); identical run configurations are evaluated once; all aggregations
of a batch are one array computation over a leading replication axis
(:func:`~innolab.scoring.aggregate.aggregate_arrays`), and ranks are argsort-based. A run whose
methods conflict (a geometric mean over values <= 0, a stage error) is *failed*: NaN scores
and ranks, reason recorded, left out of the statistics (COINr's failed regenerations).

**Outputs.** Per unit and aggregate: the nominal rank and score and the mean, median, 5th and
95th percentiles (R type 7) of the runs' ranks and scores (for SA only the A and B runs, as in
COINr). SA output variable per run: ``y = mean over units |rank - nominal rank|``; with
``V = var(yA ∪ yB)`` (n - 1): first order ``Si = mean(yB·(yABi - yA)) / V`` (Saltelli 2010),
total ``STi = Σ(yA - yABi)² / (2N·V)`` (Jansen 1999), and bootstrap 5-95% intervals resampling
(R ``sample``) the per-row terms ``n_boot`` times, continuing the design's stream.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ComputationError, DataFileError, InnolabError, ParameterError, SpecError
from ..io import read_document
from ..scoring.aggregate import aggregate_arrays, compile_plan
from ..scoring.pipeline import STAGES, Spec
from ..scoring.registry import AGGREGATORS
from ..scoring.weights import noisy_weights
from ._rrng import RStream

__all__ = [
    "COINR_VIGNETTE_VARY",
    "UncertainInput",
    "UncertaintyResult",
    "read_vary",
    "parse_vary",
    "sample_design",
    "cut_index",
    "min_ranks",
    "sensitivity_indices",
    "uncertainty_analysis",
    "default_vary",
    "UncertaintyReport",
    "uncertainty_files",
]

_OFF = ("off", "none", "no", "false")
_ON = ("on", "yes", "true", "nominal")
_STATS = ("nominal", "mean", "median", "q05", "q95")


#: The uncertain assumptions of COINr's sensitivity vignette on its ASEM example
#: (``ALGORITHMS.md`` section 7): Winsorisation limit 1-5, min-max [1, 100] or z-score (10, 2),
#: 100 noisy weight tables at levels 2 and 3 (factor 0.25, drawn after ``set.seed(2025)``) and
#: arithmetic or geometric aggregation. Used by the tests and ``bench_uncertainty``.
COINR_VIGNETTE_VARY: Mapping[str, Any] = {
    "treat.max_points": [1, 2, 3, 4, 5],
    "normalise": [
        {"method": "minmax", "lower": 1, "upper": 100},
        {"method": "zscore", "mean": 10, "sd": 2},
    ],
    "weights": {"noise": 0.25, "levels": [2, 3], "seed": 2025},
    "aggregate.method": ["arithmetic", "geometric"],
}


# --------------------------------------------------------------------------- inputs
@dataclass(frozen=True, eq=False)
class UncertainInput:
    """One varied assumption and its alternatives.

    ``kind`` says where it acts: ``"spec"`` (stages before aggregation: ``options`` are
    :meth:`Spec.updated` changes), ``"aggregate"`` (``options`` are ``(method, params)``),
    ``"weights"`` (``options`` is an array of node-weight vectors, one row per alternative, in
    ``codes`` order) or ``"exclude"`` (``options`` are indicator codes or None).
    """

    name: str
    kind: str
    options: Any
    labels: tuple[str, ...]
    codes: tuple[str, ...] = ()

    @property
    def k(self) -> int:
        """Number of alternatives."""
        return len(self.labels)


def _label(value: Any) -> str:
    if isinstance(value, Mapping):
        v = dict(value)
        method = v.pop("method", None)
        inner = ", ".join(f"{k}={_label(x)}" for k, x in v.items())
        if method is not None:
            return f"{method}({inner})" if inner else str(method)
        return "{" + inner + "}"
    if value is None:
        return "off"
    if isinstance(value, float) and value.is_integer():
        return repr(value)
    return str(value)


def read_vary(path: str | Path) -> dict[str, Any]:
    """Read a vary file (YAML or JSON, loaded safely) into plain data."""
    p = Path(path)
    doc = read_document(p, what="vary")
    if not isinstance(doc, Mapping) or not doc:
        raise DataFileError(
            p, "a vary file must be a non-empty mapping of assumption -> alternatives"
        )
    return dict(doc)


def _alternatives(key: str, value: Any, path: str | None) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise SpecError(
            f"expected a list of at least 2 alternatives, got {value!r}", path=path, key=key
        )
    if len(value) < 2:
        raise SpecError(f"expected at least 2 alternatives, got {len(value)}", path=path, key=key)
    return list(value)


def _switch(v: Any) -> str | None:
    """'on'/'off' for switch values (YAML reads on/off as booleans), else None."""
    if v is None or v is False:
        return "off"
    if v is True:
        return "on"
    if isinstance(v, str) and v.strip().lower() in _OFF:
        return "off"
    if isinstance(v, str) and v.strip().lower() in _ON:
        return "on"
    return None


def parse_vary(vary: Mapping[str, Any] | str | Path, build: Any) -> list[UncertainInput]:
    """Turn a vary mapping (or file) into :class:`UncertainInput` objects, in the file's order.

    Every alternative is checked against the build's spec and framework now, so a mistake
    names its key before any run starts.
    """
    path = None
    if isinstance(vary, str | Path):
        path = str(vary)
        vary = read_vary(vary)
    if not isinstance(vary, Mapping) or not vary:
        raise SpecError("a vary spec must be a non-empty mapping", path=path)
    spec: Spec = build.spec
    fw = build.framework
    agg = spec.step("aggregate")
    nominal_method = agg.method if agg is not None and agg.method else "arithmetic"
    nominal_params = dict(agg.params) if agg is not None else {}
    out: list[UncertainInput] = []
    for raw_key, value in vary.items():
        key = str(raw_key)
        stage, _, param = key.partition(".")
        if stage == "weights" and not param:
            out.append(_weights_input(key, value, build, path))
        elif stage in ("exclude", "leave_one_out") and not param:
            out.append(_exclude_input(key, value, fw, build, path))
        elif stage == "aggregate":
            out.append(_aggregate_input(key, param, value, nominal_method, nominal_params, path))
        elif stage in STAGES:
            out.append(_spec_input(key, stage, param, value, spec, path))
        else:
            valid = [*STAGES, "exclude"]
            raise SpecError(
                f"unknown assumption; use a stage ({', '.join(valid)}) or 'stage.parameter'",
                path=path,
                key=key,
            )
    names = [u.name for u in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise SpecError(f"assumption listed twice: {', '.join(dup)}", path=path)
    return out


def _spec_input(
    key: str, stage: str, param: str, value: Any, spec: Spec, path: str | None
) -> UncertainInput:
    changes = []
    labels = []
    for v in _alternatives(key, value, path):
        if param:
            change = {stage: {param: v}}
            labels.append(f"{param}={_label(v)}")
        else:
            sw = _switch(v)
            if sw == "off":
                change = {stage: None}
                labels.append("off")
            elif sw == "on":
                if spec.step(stage) is None:
                    raise SpecError(
                        f"'on' keeps the nominal {stage} stage, but the build's spec has none; "
                        "give its settings as a mapping",
                        path=path,
                        key=key,
                    )
                change = {}
                labels.append("on")
            elif isinstance(v, str):
                change = {stage: {"method": v}}
                labels.append(v)
            elif isinstance(v, Mapping):
                change = {stage: dict(v)}
                labels.append(_label(v))
            else:
                raise SpecError(
                    f"each alternative must be a mapping, a method name, 'on' or 'off'; got {v!r}",
                    path=path,
                    key=key,
                )
        try:
            spec.updated(**change)
        except SpecError as exc:
            raise SpecError(f"alternative {_label(v)!r}: {exc}", path=path, key=key) from None
        changes.append(change)
    return UncertainInput(key, "spec", tuple(changes), tuple(labels))


def _aggregate_input(
    key: str,
    param: str,
    value: Any,
    nominal_method: Any,
    nominal_params: dict[str, Any],
    path: str | None,
) -> UncertainInput:
    opts = []
    labels = []
    for v in _alternatives(key, value, path):
        if param == "method":
            method, params = v, {k: p for k, p in nominal_params.items() if v == "generalised"}
        elif param == "p":
            method, params = nominal_method, {"p": v}
        elif param:
            raise SpecError(
                "only aggregate.method and aggregate.p can be varied", path=path, key=key
            )
        elif isinstance(v, str):
            method, params = v, {}
        elif isinstance(v, Mapping):
            d = dict(v)
            method = d.pop("method", nominal_method)
            params = d
        else:
            raise SpecError(
                f"each alternative must be a method name or a mapping; got {v!r}",
                path=path,
                key=key,
            )
        if not isinstance(method, str):
            raise SpecError(
                f"a varied aggregator must be one method name, got {method!r}", path=path, key=key
            )
        try:
            AGGREGATORS.get(method)
        except SpecError as exc:
            raise SpecError(str(exc), path=path, key=key) from None
        extra = set(params) - {"p"}
        if extra:
            raise SpecError(
                f"unknown aggregation parameters {sorted(extra)}; only 'p'", path=path, key=key
            )
        if "p" in params:
            p = params["p"]
            if isinstance(p, bool) or not isinstance(p, int | float) or not math.isfinite(p):
                raise SpecError(f"p must be a finite number, got {p!r}", path=path, key=key)
        opts.append((method, dict(params)))
        labels.append(method + (f"(p={_label(params['p'])})" if "p" in params else ""))
    return UncertainInput(key, "aggregate", tuple(opts), tuple(labels))


def _weights_input(key: str, value: Any, build: Any, path: str | None) -> UncertainInput:
    fw = build.framework
    codes = tuple(str(c) for c in build.weights.index)
    nominal = build.weights.to_numpy(dtype=float)
    if isinstance(value, Mapping):
        v = dict(value)
        unknown = set(v) - {"noise", "levels", "replications", "seed"}
        if unknown:
            raise SpecError(
                f"unknown weights-noise settings {sorted(unknown)}; expected noise, levels, "
                "replications, seed",
                path=path,
                key=key,
            )
        if "noise" not in v:
            raise SpecError("weights noise needs 'noise' (e.g. 0.25)", path=path, key=key)
        noise = v["noise"]
        levels = v.get("levels")
        if isinstance(noise, Mapping):
            factors = {int(k): f for k, f in noise.items()}
            if levels is None:
                levels = list(factors)
        else:
            if levels is None:  # every level below the index
                levels = [lv for lv in fw.levels if lv < fw.node(fw.root).level]
            if not isinstance(levels, list | tuple):
                levels = [levels]
            factors = {int(lv): noise for lv in levels}
        for lv, f in factors.items():
            if lv not in fw.levels:
                raise SpecError(
                    f"level {lv} is not a level of framework {fw.code!r} (levels: "
                    f"{', '.join(map(str, fw.levels))})",
                    path=path,
                    key=key,
                )
            if isinstance(f, bool) or not isinstance(f, int | float) or not 0 <= f < 1:
                raise SpecError(f"noise must be a number in [0, 1), got {f!r}", path=path, key=key)
        reps = v.get("replications", 100)
        if isinstance(reps, bool) or not isinstance(reps, int) or reps < 2:
            raise SpecError(
                f"replications must be an integer >= 2, got {reps!r}", path=path, key=key
            )
        seed = v.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise SpecError(f"seed must be an integer, got {seed!r}", path=path, key=key)
        spec = {
            "levels": [int(lv) for lv in levels],
            "factors": factors,
            "replications": reps,
            "seed": seed,
        }
        labels = tuple(f"noisy weights #{i + 1}" for i in range(reps))
        return UncertainInput(key, "weights", spec, labels, codes)
    alts = _alternatives(key, value, path)
    rows = []
    for i, alt in enumerate(alts):
        if not isinstance(alt, Mapping):
            raise SpecError(
                f"alternative {i + 1}: expected a mapping code -> weight, got {alt!r}",
                path=path,
                key=key,
            )
        w = pd.Series(nominal, index=list(codes))
        for c, x in alt.items():
            if str(c) not in w.index:
                raise SpecError(
                    f"alternative {i + 1}: {c!r} is not a node of framework {fw.code!r}",
                    path=path,
                    key=key,
                )
            if isinstance(x, bool) or not isinstance(x, int | float) or not x >= 0:
                raise SpecError(
                    f"alternative {i + 1}: weight of {c} must be a number >= 0, got {x!r}",
                    path=path,
                    key=key,
                )
            w[str(c)] = float(x)
        rows.append(w.to_numpy())
    return UncertainInput(
        key, "weights", np.array(rows), tuple(f"weights #{i + 1}" for i in range(len(rows))), codes
    )


def _exclude_input(key: str, value: Any, fw: Any, build: Any, path: str | None) -> UncertainInput:
    inds = [c for c in fw.indicators if c in build.scores.columns]
    if value is True or (isinstance(value, str) and value.strip().lower() in ("each", "all")):
        codes = inds
    elif isinstance(value, list | tuple) and value:
        codes = [str(c) for c in value]
        bad = [c for c in codes if c not in inds]
        if bad:
            raise SpecError(f"not indicators of the build: {', '.join(bad)}", path=path, key=key)
    else:
        raise SpecError(
            f"expected 'each' or a list of indicator codes, got {value!r}", path=path, key=key
        )
    opts = (None, *codes)
    return UncertainInput(key, "exclude", opts, ("none", *(f"without {c}" for c in codes)))


def _coinr_order(fw: Any, codes: Sequence[str]) -> list[str]:
    """COINr's sorted iMeta order: by level, then parent code (stable within a parent)."""
    declared = {n.code: i for i, n in enumerate(fw.nodes)}

    def key(c: str) -> tuple:
        n = fw.node(c)
        return (n.level, n.parent is None, n.parent or "", declared.get(c, 0))

    return sorted(codes, key=key)


def default_vary(build: Any) -> dict[str, Any]:
    """innolab's default uncertain assumptions for ``build`` (METHOD.md section 3, uncertainty
    row): the outlier rule (nominal, COINr's 2/3.5 thresholds, none), imputation (nominal on
    or off; the mean when the nominal build has none), normalisation (min-max 1-100 or ranks,
    both positive so that the geometric mean is always defined), weights noise of +-25% at
    every level below the index, and arithmetic or geometric aggregation.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> spec = NS(step=lambda s: None)
    >>> sorted(default_vary(NS(spec=spec)))
    ['aggregate.method', 'impute', 'normalise', 'weights']
    """
    spec = build.spec
    out: dict[str, Any] = {}
    treat = spec.step("treat")
    if treat is not None and treat.method == "winsorise":
        coinr = {"method": "winsorise", "max_points": 5, "skew": 2.0, "kurtosis": 3.5}
        coinr["fallback"] = dict(treat.params).get("fallback", "log")
        out["treat"] = ["on", coinr, "off"]
    elif treat is not None:
        out["treat"] = ["on", "off"]
    out["impute"] = ["on", "off"] if spec.step("impute") is not None else ["off", "mean"]
    out["normalise"] = [{"method": "minmax", "lower": 1, "upper": 100}, {"method": "rank"}]
    out["weights"] = {"noise": 0.25}
    out["aggregate.method"] = ["arithmetic", "geometric"]
    return out


# --------------------------------------------------------------------------- design
def cut_index(u: np.ndarray, k: int) -> np.ndarray:
    """R's ``cut(u, breaks = k, labels = FALSE) - 1``: the 0-based bin of each value among k
    equal bins over the values' own range (outer breaks widened by range/1000, bins (lo, hi]).

    Examples
    --------
    >>> cut_index(np.array([0.2, 0.5, 0.61, 0.9]), 2).tolist()
    [0, 0, 1, 1]
    """
    u = np.asarray(u, dtype=float)
    if k < 2:
        raise ParameterError("k", f"needs at least 2 alternatives, got {k}")
    a, b = float(np.min(u)), float(np.max(u))
    dx = b - a
    if dx == 0:
        dx = abs(a) if a != 0 else 1.0
        breaks = np.linspace(a - dx / 1000, b + dx / 1000, k + 1)
    else:
        breaks = a + np.arange(k + 1) * (dx / k)
        breaks[0], breaks[-1] = a - dx / 1000, b + dx / 1000
    return np.clip(np.searchsorted(breaks, u, side="left") - 1, 0, k - 1)


def sample_design(n: int, d: int, stream: RStream, *, sensitivity: bool) -> np.ndarray:
    """The uniform design: (n, d) for UA; for SA the run list A, B, AB_1..AB_d of
    ``n(d + 2)`` rows (COINr ``SA_sample``). Uniforms fill the base matrix column by column."""
    if not sensitivity:
        return stream.runif(n * d).reshape(d, n).T.copy()
    base = stream.runif(2 * d * n).reshape(2 * d, n).T
    a, b = base[:, :d], base[:, d:]
    blocks = [a, b]
    for i in range(d):
        ab = a.copy()
        ab[:, i] = b[:, i]
        blocks.append(ab)
    return np.vstack(blocks)


# --------------------------------------------------------------------------- ranks + indices
def min_ranks(scores: np.ndarray) -> np.ndarray:
    """Ranks along the last axis, 1 = highest, ties take the minimum rank, NaN stays NaN.

    Examples
    --------
    >>> min_ranks(np.array([[3.0, 1.0, 3.0, np.nan, 2.0]])).tolist()
    [[1.0, 4.0, 1.0, nan, 3.0]]
    """
    s = np.asarray(scores, dtype=float)
    shape = s.shape
    flat = s.reshape(-1, shape[-1])
    nan = np.isnan(flat)
    neg = np.where(nan, np.inf, -flat)
    order = np.argsort(neg, axis=1, kind="stable")
    sv = np.take_along_axis(neg, order, axis=1)
    pos = np.broadcast_to(np.arange(shape[-1]), sv.shape)
    new = np.ones(sv.shape, dtype=bool)
    new[:, 1:] = sv[:, 1:] != sv[:, :-1]
    first = np.maximum.accumulate(np.where(new, pos, 0), axis=1)
    out = np.empty(sv.shape)
    np.put_along_axis(out, order, first + 1.0, axis=1)
    out[nan] = np.nan
    return out.reshape(shape)


def sensitivity_indices(
    y: np.ndarray, n: int, d: int, *, n_boot: int = 0, stream: RStream | None = None
) -> pd.DataFrame:
    """First-order (Saltelli 2010) and total (Jansen) indices from the SA run outputs ``y``
    (A, B, AB_1..AB_d blocks of ``n``), with bootstrap 5/95% quantiles when ``n_boot`` > 0.

    Examples
    --------
    >>> r = RStream(3)
    >>> x = sample_design(200, 2, r, sensitivity=True)
    >>> s = sensitivity_indices(x[:, 0] + 0.1 * x[:, 1], 200, 2)
    >>> bool(s["first_order"].iloc[0] > 0.9 and s["total"].iloc[1] < 0.05)
    True
    """
    y = np.asarray(y, dtype=float)
    if len(y) != n * (d + 2):
        raise ParameterError("y", f"expected {n * (d + 2)} outputs (n(d+2)), got {len(y)}")
    ya, yb = y[:n], y[n : 2 * n]
    yab = y[2 * n :].reshape(d, n)
    var = np.var(np.concatenate([ya, yb]), ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        si_terms = yb[None, :] * (yab - ya[None, :])  # (d, n)
        st_terms = ya[None, :] - yab
        out = pd.DataFrame(
            {
                "first_order": si_terms.mean(axis=1) / var,
                "total": (st_terms**2).sum(axis=1) / (2 * n * var),
            }
        )
        if n_boot and n_boot > 0:
            if stream is None:
                raise ParameterError("stream", "bootstrap intervals need the random stream")
            idx = stream.unif_index(n, n_boot * 2 * d * n).reshape(n_boot, 2, d, n)
            rows = np.arange(d)[None, :, None]
            si_b = si_terms[rows, idx[:, 0]].mean(axis=2) / var  # (n_boot, d)
            st_b = (st_terms[rows, idx[:, 1]] ** 2).sum(axis=2) / (2 * n * var)
            out["first_order_q05"] = np.nanquantile(si_b, 0.05, axis=0)
            out["first_order_q95"] = np.nanquantile(si_b, 0.95, axis=0)
            out["total_q05"] = np.nanquantile(st_b, 0.05, axis=0)
            out["total_q95"] = np.nanquantile(st_b, 0.95, axis=0)
    out.attrs["variance"] = float(var)
    return out


# --------------------------------------------------------------------------- result
@dataclass(frozen=True, eq=False)
class UncertaintyResult:
    """What :func:`uncertainty_analysis` computed (see the module docstring).

    Attributes
    ----------
    inputs : tuple of UncertainInput
    kind : "UA" or "SA"
    n, seed, n_runs : int
    target : str
        The node whose ranks are summarised (default the index).
    units : Index
    nodes : tuple of str
        Nodes whose run scores and ranks are kept: every aggregate (and, with
        ``keep_indicators``, the indicators first).
    design : DataFrame
        One row per run: ``block`` (UA, A, B, AB:<input>) and the chosen alternative of every
        input (labels).
    run_scores, run_ranks : ndarray, shape (n_runs, units, nodes)
    failed : DataFrame
        ``run``, ``reason`` of every failed run.
    nominal_scores, nominal_ranks : DataFrame (units x nodes)
    sensitivity : DataFrame or None
        One row per input: ``first_order``, ``total`` and bootstrap quantiles (SA only).
    y : ndarray or None
        The SA output variable per run.
    elapsed_s : float
    """

    inputs: tuple[UncertainInput, ...]
    kind: str
    n: int
    seed: int
    n_runs: int
    target: str
    units: pd.Index
    nodes: tuple[str, ...]
    design: pd.DataFrame
    run_scores: np.ndarray
    run_ranks: np.ndarray
    failed: pd.DataFrame
    nominal_scores: pd.DataFrame
    nominal_ranks: pd.DataFrame
    sensitivity: pd.DataFrame | None = None
    y: np.ndarray | None = None
    elapsed_s: float = 0.0
    n_configurations: int = 0
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def stat_runs(self) -> slice:
        """Runs entering the statistics (all for UA; A and B for SA, as COINr)."""
        return slice(0, 2 * self.n) if self.kind == "SA" else slice(0, self.n_runs)

    def _node(self, node: str | None) -> int:
        node = self.target if node is None else node
        if node not in self.nodes:
            raise ParameterError("node", f"{node!r} is not one of {', '.join(self.nodes)}")
        return self.nodes.index(node)

    def _stats(self, arr: np.ndarray, nominal: pd.Series) -> pd.DataFrame:
        x = arr[self.stat_runs]
        ok = ~np.isnan(x).all(axis=1)
        x = x[ok]
        with np.errstate(invalid="ignore"), _quiet():
            if len(x) and not np.isnan(x).any():
                q = np.quantile(x, [0.5, 0.05, 0.95], axis=0)
                mean = x.mean(axis=0)
            else:
                q = (
                    np.nanquantile(x, [0.5, 0.05, 0.95], axis=0)
                    if len(x)
                    else np.full((3, x.shape[1]), np.nan)
                )
                mean = np.nanmean(x, axis=0) if len(x) else np.full(x.shape[1], np.nan)
        out = pd.DataFrame(
            {
                "nominal": nominal.to_numpy(dtype=float),
                "mean": mean,
                "median": q[0],
                "q05": q[1],
                "q95": q[2],
            },
            index=self.units,
        )
        return out

    def rank_stats(self, node: str | None = None) -> pd.DataFrame:
        """Per unit: nominal rank and mean, median, 5th and 95th percentile of the runs' ranks
        (COINr ``RankStats``)."""
        j = self._node(node)
        key = ("rank", j)
        if key not in self._cache:
            code = self.nodes[j]
            self._cache[key] = self._stats(self.run_ranks[:, :, j], self.nominal_ranks[code])
        return self._cache[key]

    def score_stats(self, node: str | None = None) -> pd.DataFrame:
        """As :meth:`rank_stats`, for scores."""
        j = self._node(node)
        key = ("score", j)
        if key not in self._cache:
            code = self.nodes[j]
            self._cache[key] = self._stats(self.run_scores[:, :, j], self.nominal_scores[code])
        return self._cache[key]

    def intervals(self) -> pd.DataFrame:
        """Long table of every node's rank and score statistics (``code``, ``iso3``, ...)."""
        parts = []
        for code in self.nodes:
            r = self.rank_stats(code).add_prefix("rank_")
            s = self.score_stats(code).add_prefix("score_")
            t = pd.concat([r, s], axis=1)
            t.insert(0, "code", code)
            parts.append(t)
        out = pd.concat(parts)
        out.index.name = self.units.name or "iso3"
        return out.reset_index()

    def scores(self, node: str | None = None) -> pd.DataFrame:
        """Units x runs scores of ``node`` (COINr ``Scores`` without the nominal column)."""
        j = self._node(node)
        return pd.DataFrame(
            self.run_scores[:, :, j].T,
            index=self.units,
            columns=[f"r_{i + 1}" for i in range(self.n_runs)],
        )

    def ranks(self, node: str | None = None) -> pd.DataFrame:
        """Units x runs ranks of ``node``."""
        j = self._node(node)
        return pd.DataFrame(
            self.run_ranks[:, :, j].T,
            index=self.units,
            columns=[f"r_{i + 1}" for i in range(self.n_runs)],
        )

    def sensitivity_table(self) -> pd.DataFrame:
        """``--sensitivity`` table: one row per varied assumption (SA only)."""
        if self.sensitivity is None:
            raise ParameterError(
                "sensitivity", "this was an uncertainty analysis; run with sensitivity=True"
            )
        t = self.sensitivity.copy()
        t.insert(0, "input", [u.name for u in self.inputs])
        t.insert(1, "alternatives", [u.k for u in self.inputs])
        return t


class _quiet:
    def __enter__(self):
        import warnings

        self._w = warnings.catch_warnings()
        self._w.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc):
        return self._w.__exit__(*exc)


# --------------------------------------------------------------------------- evaluation
def _common_prefix(a: Spec, b: Spec) -> int:
    k = 0
    for sa, sb in zip(a.steps, b.steps, strict=False):
        if sa.to_mapping() != sb.to_mapping() or sa.stage != sb.stage:
            break
        k += 1
    return k


class _PreCache:
    """Pre-aggregation tables per distinct spec, each rebuilt from the cached build sharing
    the longest prefix of steps."""

    def __init__(self, build: Any, units: pd.Index, indicators: list[str], plan_codes: list[str]):
        self.nominal = build
        self.units = units
        self.indicators = indicators
        self.plan_codes = plan_codes
        self.builds: list[Any] = [build]
        self.by_spec: dict[str, tuple[np.ndarray | None, np.ndarray | None, str | None]] = {}

    def get(self, spec: Spec) -> tuple[np.ndarray | None, np.ndarray | None, str | None]:
        key = spec.to_json()
        if key in self.by_spec:
            return self.by_spec[key]
        base = max(self.builds, key=lambda b: _common_prefix(b.spec, spec))
        try:
            b = base.rebuild(spec)
        except InnolabError as exc:
            res = (None, None, f"{type(exc).__name__}: {exc}")
        else:
            self.builds.append(b)
            vals = b.scores.reindex(index=self.units, columns=self.indicators)
            w = b.weights.reindex(self.plan_codes)
            res = (vals.to_numpy(dtype=float, na_value=np.nan), w.to_numpy(dtype=float), None)
        self.by_spec[key] = res
        return res


def _unique_rows(rows: np.ndarray, radix: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(rows, axis=0, return_inverse=True)`` for small non-negative integer
    columns (``rows[:, j] < radix[j]``), by one mixed-radix integer key per row."""
    rows = np.asarray(rows, dtype=np.int64)
    if math.prod(int(r) for r in radix) >= 2**62:  # pragma: no cover - astronomically many
        u, inv = np.unique(rows, axis=0, return_inverse=True)
        return u, inv.reshape(-1)
    key = np.zeros(len(rows), dtype=np.int64)
    for j, r in enumerate(radix):
        key = key * int(r) + rows[:, j]
    uk, first, inv = np.unique(key, return_index=True, return_inverse=True)
    return rows[first], inv.reshape(-1)


def _domain_ok(x: np.ndarray, method: str, params: Mapping[str, Any]) -> np.ndarray:
    """Per configuration (leading axis): do the indicator values suit the aggregator?"""
    if method in ("geometric", "harmonic"):
        bad = x <= 0
    elif method == "generalised":
        p = float(params.get("p", 2.0))
        if p <= 0:
            bad = x <= 0
        elif not p.is_integer():
            bad = x < 0
        else:
            return np.ones(x.shape[0], dtype=bool)
    else:
        return np.ones(x.shape[0], dtype=bool)
    return ~bad.reshape(x.shape[0], -1).any(axis=1)  # NaN compares False: skipped


def uncertainty_analysis(
    build: Any,
    vary: Mapping[str, Any] | str | Path | Sequence[UncertainInput],
    *,
    n: int = 1000,
    seed: int = 1,
    sensitivity: bool = False,
    n_boot: int = 100,
    target: str | None = None,
    keep_indicators: bool = False,
    chunk: int = 512,
) -> UncertaintyResult:
    """Monte Carlo uncertainty (and, with ``sensitivity=True``, sensitivity) analysis.

    Parameters
    ----------
    build : Build
        The nominal build (a single year); its spec and framework define the nominal choices.
    vary : mapping, path or parsed inputs
        The uncertain assumptions (see the module docstring).
    n : int
        UA: number of runs. SA: base sample size ``N`` (``N(d + 2)`` runs).
    seed : int
        R ``set.seed`` value of the design stream.
    sensitivity : bool
        Run the SA design and estimate first-order and total indices.
    n_boot : int
        Bootstrap resamples for the indices' intervals (SA; 0 for none).
    target : str, optional
        The aggregate whose ranks define the SA output (default: the index).
    keep_indicators : bool
        Also keep every run's normalised indicator values and ranks (for indicator rank
        intervals; memory grows with runs x units x indicators).

    Returns
    -------
    UncertaintyResult
    """
    t0 = time.perf_counter()
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 3:
        raise ParameterError("n", f"must be an integer >= 3 (COINr's minimum), got {n!r}")
    if isinstance(build.scores.index, pd.MultiIndex):
        raise ParameterError("build", "uncertainty analysis needs a single-year build, not a panel")
    fw = build.framework
    inputs = (
        tuple(vary)
        if isinstance(vary, list | tuple) and all(isinstance(u, UncertainInput) for u in vary)
        else tuple(parse_vary(vary, build))
    )
    if not inputs:
        raise SpecError("nothing to vary")
    d = len(inputs)
    if sensitivity and d < 2:
        raise ParameterError(
            "vary", "a sensitivity analysis needs at least 2 varied assumptions; run UA instead"
        )
    target = fw.root if target is None else target
    aggregates = [c for c in fw.aggregates() if c in build.scores.columns]
    if target not in aggregates:
        raise ParameterError("target", f"{target!r} is not an aggregate of the build")

    units = build.scores.index
    indicators = list(fw.indicators)
    plan = compile_plan(fw, indicators)
    plan_codes = list(plan.columns)
    nodes = (indicators if keep_indicators else []) + aggregates
    node_pos = [plan_codes.index(c) for c in nodes]
    nominal_w = build.weights.reindex(plan_codes).to_numpy(dtype=float)
    if np.isnan(nominal_w).any():
        miss = [c for c, w in zip(plan_codes, nominal_w, strict=True) if np.isnan(w)]
        raise ParameterError("build", f"no nominal weight for {miss}")

    # random streams: noisy weights first, then the design
    stream = RStream(int(seed))
    resolved: list[UncertainInput] = []
    for u in inputs:
        if u.kind == "weights" and isinstance(u.options, Mapping):
            cfg = u.options
            ws = stream if cfg["seed"] is None else RStream(int(cfg["seed"]))
            order = _coinr_order(fw, plan_codes)
            noise = {lv: cfg["factors"][lv] for lv in cfg["levels"]}
            k = sum(1 for c in order if fw.node(c).level in noise)
            uniforms = ws.runif(k * cfg["replications"]).reshape(cfg["replications"], k)
            tables = (
                noisy_weights(
                    fw,
                    noise,
                    cfg["replications"],
                    weights=build.weights.reindex(order),
                    uniforms=uniforms,
                )
                .reindex(columns=plan_codes)
                .to_numpy(dtype=float)
            )
            u = UncertainInput(u.name, "weights", tables, u.labels, tuple(plan_codes))
        elif u.kind == "weights":
            tab = pd.DataFrame(u.options, columns=list(u.codes)).reindex(columns=plan_codes)
            u = UncertainInput(
                u.name, "weights", tab.to_numpy(dtype=float), u.labels, tuple(plan_codes)
            )
        resolved.append(u)
    inputs = tuple(resolved)
    if sum(u.kind == "weights" for u in inputs) > 1:
        raise SpecError("weights can be varied by one assumption only")
    if sum(u.kind == "aggregate" for u in inputs) > 1:
        raise SpecError("the aggregator can be varied by one assumption only")
    if sum(u.kind == "exclude" for u in inputs) > 1:
        raise SpecError("indicators can be left out by one assumption only")

    x = sample_design(int(n), d, stream, sensitivity=sensitivity)
    n_runs = x.shape[0]
    choice = np.column_stack([cut_index(x[:, i], u.k) for i, u in enumerate(inputs)])

    # --- pre-aggregation variants -------------------------------------------------------------
    spec_ids = [i for i, u in enumerate(inputs) if u.kind == "spec"]
    base_spec = build.spec.updated(aggregate=None) if build.spec.step("aggregate") else build.spec
    cache = _PreCache(build, units, indicators, plan_codes)
    if spec_ids:
        pre_keys, pre_inv = _unique_rows(choice[:, spec_ids], [inputs[i].k for i in spec_ids])
    else:
        pre_keys, pre_inv = np.zeros((1, 0), dtype=int), np.zeros(n_runs, dtype=int)
    pre_vals = np.full((len(pre_keys), len(units), len(indicators)), np.nan)
    pre_w = np.tile(nominal_w, (len(pre_keys), 1))
    pre_fail: dict[int, str] = {}
    for p, key in enumerate(pre_keys):
        spec = base_spec
        for i, opt in zip(spec_ids, key, strict=True):
            change = inputs[i].options[int(opt)]
            if change:
                spec = spec.updated(**change)
        vals, w, err = cache.get(spec)
        if err is not None:
            pre_fail[p] = err
        else:
            pre_vals[p] = vals
            # data-driven weights (a weights stage, e.g. PCA) follow the variant's data;
            # otherwise the nominal build's weights (framework or aggregate.weights) hold
            if spec.step("weights") is not None and not np.isnan(w).any():
                pre_w[p] = w

    # --- distinct run configurations ----------------------------------------------------------
    def col(kind: str) -> tuple[UncertainInput | None, np.ndarray]:
        for i, u in enumerate(inputs):
            if u.kind == kind:
                return u, choice[:, i]
        return None, np.zeros(n_runs, dtype=int)

    w_in, w_idx = col("weights")
    a_in, a_idx = col("aggregate")
    e_in, e_idx = col("exclude")
    config = np.column_stack([pre_inv, w_idx, a_idx, e_idx])
    configs, inv = _unique_rows(
        config, [len(pre_keys), *(u.k if u else 1 for u in (w_in, a_in, e_in))]
    )
    agg = build.spec.step("aggregate")
    nominal_method = agg.method if agg is not None and agg.method else "arithmetic"
    nominal_params = dict(agg.params) if agg is not None else {}
    min_cov = agg.options.get("min_coverage") if agg is not None else None
    methods = a_in.options if a_in is not None else ((nominal_method, nominal_params),)
    ind_pos = {c: j for j, c in enumerate(indicators)}

    n_cfg = len(configs)
    cfg_scores = np.full((n_cfg, len(units), len(nodes)), np.nan)
    cfg_reason: dict[int, str] = {}
    for c, (p, *_rest) in enumerate(configs):
        if int(p) in pre_fail:
            cfg_reason[c] = pre_fail[int(p)]
    for m, (method, params) in enumerate(methods):
        rows = np.flatnonzero((configs[:, 2] == m) & ~np.isin(np.arange(n_cfg), list(cfg_reason)))
        for s in range(0, len(rows), chunk):
            r = rows[s : s + chunk]
            vals = pre_vals[configs[r, 0]]
            if e_in is not None:
                for j, opt in enumerate(configs[r, 3]):
                    code = e_in.options[int(opt)]
                    if code is not None:
                        vals[j, :, ind_pos[code]] = np.nan
            ok = _domain_ok(vals, method, params)
            for j in np.flatnonzero(~ok):
                cfg_reason[int(r[j])] = f"ComputationError: the {method} mean needs positive values"
            r, vals = r[ok], vals[ok]
            if not len(r):
                continue
            if w_in is not None:
                wts = w_in.options[configs[r, 1]]
            else:
                wts = pre_w[configs[r, 0]]
            try:
                out = aggregate_arrays(
                    vals,
                    plan,
                    wts,
                    method if isinstance(method, str) else dict(method),
                    params=params or None,
                    min_coverage=min_cov,
                )
            except (ComputationError, ParameterError) as exc:
                for j in r:
                    cfg_reason[int(j)] = f"{type(exc).__name__}: {exc}"
                continue
            cfg_scores[r] = out[..., node_pos]
    cfg_ranks = min_ranks(np.moveaxis(cfg_scores, 1, 2))  # (cfg, nodes, units)
    cfg_ranks = np.moveaxis(cfg_ranks, 2, 1)
    run_scores = cfg_scores[inv]
    run_ranks = cfg_ranks[inv]

    bad_cfg = np.array(sorted(cfg_reason), dtype=int)
    bad_runs = np.flatnonzero(np.isin(inv, bad_cfg))
    failed = pd.DataFrame(
        {
            "run": bad_runs + 1,
            "reason": pd.Series([cfg_reason[int(c)] for c in inv[bad_runs]], dtype=object),
        }
    )

    # --- design table ---------------------------------------------------------------------------
    if sensitivity:
        block = np.array(
            ["A"] * n + ["B"] * n + [f"AB:{u.name}" for u in inputs for _ in range(n)],
            dtype=object,
        )
    else:
        block = np.array(["UA"] * n_runs, dtype=object)
    design = pd.DataFrame({"block": block})
    for i, u in enumerate(inputs):
        design[u.name] = np.asarray(u.labels, dtype=object)[choice[:, i]]
    design.index = pd.RangeIndex(1, n_runs + 1, name="run")

    nominal_scores = build.scores.reindex(columns=nodes)
    nominal_ranks = build.ranks.reindex(columns=nodes).astype(float)
    sens = None
    y = None
    if sensitivity:
        t = nodes.index(target)
        nom = nominal_ranks[target].to_numpy(dtype=float)
        with _quiet():
            y = np.nanmean(np.abs(run_ranks[:, :, t] - nom[None, :]), axis=1)
        sens = sensitivity_indices(y, int(n), d, n_boot=int(n_boot), stream=stream)
        sens.index = pd.Index([u.name for u in inputs], name="input")
    return UncertaintyResult(
        inputs=inputs,
        kind="SA" if sensitivity else "UA",
        n=int(n),
        seed=int(seed),
        n_runs=n_runs,
        target=target,
        units=units,
        nodes=tuple(nodes),
        design=design,
        run_scores=run_scores,
        run_ranks=run_ranks,
        failed=failed,
        nominal_scores=nominal_scores,
        nominal_ranks=nominal_ranks,
        sensitivity=sens,
        y=y,
        elapsed_s=time.perf_counter() - t0,
        n_configurations=n_cfg,
    )


# --------------------------------------------------------------------------- files
@dataclass(frozen=True, eq=False)
class UncertaintyReport:
    """What :func:`uncertainty_files` computed and wrote."""

    result: UncertaintyResult
    outputs: tuple[Path, ...]
    unit_column: str


def uncertainty_files(
    data: str | Path,
    framework: str | Path,
    *,
    vary: str | Path,
    out: str | Path,
    spec: str | Path | None = None,
    n: int = 1000,
    seed: int = 1,
    sensitivity: str | Path | None = None,
    year: int | None = None,
    n_boot: int = 100,
    target: str | None = None,
) -> UncertaintyReport:
    """Build from files, run the analysis and write its tables atomically with provenance
    (``innolab uncertainty``).

    ``out`` gets one row per unit: the unit code, then ``nominal, mean, median, q05, q95`` of
    the target's ranks. With ``sensitivity`` the SA design runs (``n`` base rows, ``n(d + 2)``
    runs) and that file gets one row per varied assumption with ``first_order`` and ``total``
    indices and their bootstrap 5/95% quantiles.
    """
    from ..io import source_record, write_provenance, write_table
    from ..scoring.files import build_from_files

    fb = build_from_files(data, framework, spec=spec, year=year)
    inputs = parse_vary(vary, fb.build)
    res = uncertainty_analysis(
        fb.build,
        inputs,
        n=n,
        seed=seed,
        sensitivity=sensitivity is not None,
        n_boot=n_boot,
        target=target,
    )
    sources = [*fb.sources, source_record(vary)]
    extra = {
        "framework": fb.framework.code,
        "spec": fb.spec.to_mapping(),
        "vary": [u.name for u in res.inputs],
        "design": res.kind,
        "n": res.n,
        "runs": res.n_runs,
        "seed": res.seed,
        "target": res.target,
        "failed_runs": len(res.failed),
        "reference_year": fb.reference_year,
    }
    stats = res.rank_stats().rename_axis(fb.unit_column).reset_index()
    out = Path(out)
    write_table(stats, out)
    write_provenance(out, sources, content="rank statistics", **extra)
    written = [out]
    if sensitivity is not None:
        sp = Path(sensitivity)
        write_table(res.sensitivity_table(), sp)
        write_provenance(sp, sources, content="sensitivity indices", **extra)
        written.append(sp)
    return UncertaintyReport(res, tuple(written), fb.unit_column)
