"""Weights: explicit, equal, PCA-derived and randomly perturbed (Handbook step 6).

A weight is relative to the node's siblings: every aggregator divides by the sum of the weights
it uses, so weights need no normalisation (COINr's convention). The *effective* weight of a
node is the product, along its lineage, of its weight normalised within its parent.

Registered in :data:`~innolab.scoring.registry.WEIGHTINGS` (each ``fn(framework, *,
data=None, **params) -> Series``): ``explicit``, ``equal``, ``pca``, ``noisy``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ComputationError, ParameterError
from . import _tree
from ._common import scale_of
from .registry import WEIGHTINGS

__all__ = [
    "explicit_weights",
    "equal_weights",
    "pca_weights",
    "noisy_weights",
    "effective_weights",
]


@WEIGHTINGS.register("equal")
def equal_weights(framework: Any, *, data: pd.DataFrame | None = None) -> pd.Series:
    """Weight 1 for every node: equal weights within each parent.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> fw = NS(weights=lambda: pd.Series({"a": 2.0, "b": 1.0, "P": 1.0}))
    >>> equal_weights(fw).tolist()
    [1.0, 1.0, 1.0]
    """
    w = _tree.weights(framework)
    return pd.Series(1.0, index=w.index, name="weight")


@WEIGHTINGS.register("explicit")
def explicit_weights(
    framework: Any,
    *,
    data: pd.DataFrame | None = None,
    weights: Mapping[str, float] | pd.Series | None = None,
) -> pd.Series:
    """The framework's weights with the codes in ``weights`` replaced (finite, >= 0).

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> fw = NS(weights=lambda: pd.Series({"a": 1.0, "b": 1.0, "P": 1.0}))
    >>> explicit_weights(fw, weights={"a": 3}).tolist()
    [3.0, 1.0, 1.0]
    """
    w = _tree.weights(framework).copy()
    w.name = "weight"
    if weights is None:
        return w
    new = pd.Series(weights, dtype=float)
    unknown = [c for c in new.index if c not in w.index]
    if unknown:
        raise ParameterError("weights", f"codes not in the framework: {unknown}")
    bad = new[~np.isfinite(new) | (new < 0)]
    if len(bad):
        raise ParameterError("weights", f"must be finite and >= 0: {bad.to_dict()}")
    w.loc[new.index] = new
    return w


@WEIGHTINGS.register("pca")
def pca_weights(
    framework: Any,
    *,
    data: pd.DataFrame | None = None,
    level: int = 1,
    complete: str = "all",
) -> pd.Series:
    """First-principal-component loadings of each parent's children as their weights.

    COINr ``get_PCA(by_groups = TRUE)`` semantics: for every aggregate at ``level + 1`` a PCA
    of its children's columns, centred and scaled by the sample sd (the correlation-matrix
    PCA); the weights are the loadings of the first component, i.e. the first right singular
    vector. The sign of a component is arbitrary; innolab aligns it so that the loadings sum
    to >= 0. Loadings can still be negative for a child that runs against its siblings; such a
    weight is rejected by the aggregators, which is the point: inspect it.

    Parameters
    ----------
    framework : Framework
    data : DataFrame
        Columns of the children (indicators for ``level=1``; aggregate scores above).
    level : int
        Level of the children weighted.
    complete : {"all", "group"}
        Drop units with a missing value in *any* of the level's columns (COINr) or only in
        the group's own columns.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> fw = NS(weights=lambda: pd.Series({"a": 1.0, "b": 1.0, "P": 1.0}), levels=[1, 2],
    ...         aggregates=lambda L: ["P"] if L == 2 else [], children=lambda c: ["a", "b"])
    >>> df = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [2.0, 1, 4, 3]})
    >>> pca_weights(fw, data=df).round(6).tolist()
    [0.707107, 0.707107, 1.0]
    """
    if data is None:
        raise ParameterError("data", "pca weights need the data")
    if complete not in ("all", "group"):
        raise ParameterError("complete", f"must be 'all' or 'group', got {complete!r}")
    w = _tree.weights(framework).copy()
    w.name = "weight"
    parents = _tree.aggregates_at(framework, level + 1)
    if not parents:
        raise ParameterError("level", f"no aggregates at level {level + 1}")
    groups = {p: _tree.children(framework, p) for p in parents}
    allcols = [c for kids in groups.values() for c in kids]
    missing = [c for c in allcols if c not in data.columns]
    if missing:
        raise ParameterError("data", f"columns needed for the PCA are missing: {missing}")
    full = data[allcols].to_numpy(dtype=float, na_value=np.nan)
    keep_all = ~np.isnan(full).any(axis=1)
    for p, kids in groups.items():
        x = data[kids].to_numpy(dtype=float, na_value=np.nan)
        rows = keep_all if complete == "all" else ~np.isnan(x).any(axis=1)
        x = x[rows]
        if len(kids) == 1:
            w.loc[kids] = 1.0
            continue
        if x.shape[0] < 2:
            raise ComputationError(f"PCA of {p}: fewer than two complete units")
        x = x / np.array([scale_of(c) for c in x.T])  # extreme magnitudes (z is unchanged)
        sd = x.std(axis=0, ddof=1)
        if np.any(~(sd > 0)):
            const = [k for k, s in zip(kids, sd, strict=True) if not s > 0]
            raise ComputationError(f"PCA of {p}: cannot scale constant columns {const}")
        z = (x - x.mean(axis=0)) / sd
        _, _, vt = np.linalg.svd(z, full_matrices=False)
        load = vt[0]
        if load.sum() < 0:
            load = -load
        w.loc[kids] = load
    return w


def noisy_weights(
    framework: Any,
    noise: Mapping[int, float],
    n: int = 1,
    *,
    weights: pd.Series | None = None,
    seed: int | np.random.Generator | None = None,
    uniforms: np.ndarray | None = None,
) -> pd.DataFrame:
    """``n`` randomly perturbed copies of the weights (COINr ``get_noisy_weights``).

    For each replication and each level in ``noise`` (in the order given), every weight of that
    level is perturbed by a uniform multiplicative factor:
    :math:`w \\leftarrow w + (2u - 1)\\,f\\,w`, :math:`u \\sim U(0, 1)`, i.e. uniform on
    :math:`[(1-f)w, (1+f)w]`. Levels not listed keep their weights; nothing is re-normalised
    (the aggregators normalise within each parent). Vectorised: all ``n`` replications come
    from one draw.

    Parameters
    ----------
    framework : Framework
        Gives each code's level.
    noise : mapping level -> factor f in [0, 1)
    n : int
        Number of replications.
    weights : Series, optional
        Base weights (default the framework's); their order is the draw order within a level.
    seed : int or numpy Generator, optional
    uniforms : ndarray, shape (n, k), optional
        The uniform draws to use instead of a generator (k = number of perturbed weights, in
        replication-major, level, weight order), e.g. an R-compatible stream.

    Returns
    -------
    DataFrame, shape (n, number of codes)
        One row per replication.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> fw = NS(weights=lambda: pd.Series({"a": 1.0, "b": 2.0, "P": 1.0}),
    ...         node=lambda c: NS(level=2 if c == "P" else 1))
    >>> noisy_weights(fw, {1: 0.5}, 2, uniforms=np.array([[0.0, 1.0], [0.5, 0.75]])).values.tolist()
    [[0.5, 3.0, 1.0], [1.0, 2.5, 1.0]]
    """
    base = _tree.weights(framework) if weights is None else pd.Series(weights, dtype=float)
    if not isinstance(n, int | np.integer) or isinstance(n, bool) or n < 1:
        raise ParameterError("n", f"must be a positive integer, got {n!r}")
    levels = pd.Series(
        {c: int(_tree.node_attr(framework, c, "level", -1)) for c in base.index}, dtype=int
    )
    cols: list[np.ndarray] = []
    facs: list[float] = []
    for lvl, f in dict(noise).items():
        if not isinstance(f, int | float) or isinstance(f, bool) or not 0 <= f < 1:
            raise ParameterError("noise", f"level {lvl}: factor must be in [0, 1), got {f!r}")
        idx = np.nonzero(levels.to_numpy() == int(lvl))[0]
        if idx.size == 0:
            raise ParameterError("noise", f"no weights at level {lvl}")
        cols.append(idx)
        facs.append(float(f))
    k = sum(c.size for c in cols)
    if uniforms is None:
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        u = rng.random((n, k))
    else:
        u = np.asarray(uniforms, dtype=float)
        if u.shape != (n, k):
            raise ParameterError("uniforms", f"expected shape {(n, k)}, got {u.shape}")
    w0 = base.to_numpy(dtype=float)
    out = np.tile(w0, (n, 1))
    start = 0
    for idx, f in zip(cols, facs, strict=True):
        uu = u[:, start : start + idx.size]
        wk = w0[idx]
        out[:, idx] = wk + (2 * uu - 1) * f * wk
        start += idx.size
    return pd.DataFrame(out, columns=base.index)


@WEIGHTINGS.register("noisy")
def _noisy_one(
    framework: Any,
    *,
    data: pd.DataFrame | None = None,
    noise: Mapping[int, float] | None = None,
    seed: int | None = None,
) -> pd.Series:
    """One perturbed weight set (``noisy_weights(..., n=1)``) for a pipeline step."""
    if not noise:
        raise ParameterError("noise", "noisy weights need {level: factor}")
    return noisy_weights(framework, noise, 1, seed=seed).iloc[0].rename("weight")


def effective_weights(
    framework: Any, weights: pd.Series | pd.DataFrame | None = None
) -> pd.Series | pd.DataFrame:
    """Effective weight of every node: product along the lineage of within-parent shares.

    ``weights`` may be a Series (one weight set) or a DataFrame (one row per replication, as
    returned by :func:`noisy_weights`); the result has the same shape. The root gets 1.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> par = {"a": "P", "b": "P", "c": "Q", "P": "I", "Q": "I", "I": None}
    >>> fw = NS(weights=lambda: pd.Series(1.0, index=list(par)), parent=lambda c: par[c])
    >>> effective_weights(fw).tolist()
    [0.25, 0.25, 0.5, 0.5, 0.5, 1.0]
    """
    w = _tree.weights(framework) if weights is None else weights
    frame = isinstance(w, pd.DataFrame)
    wf = w if frame else pd.DataFrame([w])
    codes = list(wf.columns)
    parent = {c: _tree.parent_of(framework, c) for c in codes}
    vals = wf.to_numpy(dtype=float)
    pos = {c: k for k, c in enumerate(codes)}
    sums: dict[str | None, np.ndarray] = {}
    for c in codes:
        p = parent[c]
        sums[p] = sums.get(p, 0.0) + vals[:, pos[c]]
    share = np.empty_like(vals)
    for c in codes:
        p = parent[c]
        share[:, pos[c]] = 1.0 if p is None else vals[:, pos[c]] / sums[p]
    eff = np.empty_like(vals)
    for c in codes:
        e = share[:, pos[c]].copy()
        p = parent[c]
        while p is not None:
            e *= share[:, pos[p]]
            p = parent[p]
        eff[:, pos[c]] = e
    out = pd.DataFrame(eff, columns=codes, index=wf.index)
    return out if frame else out.iloc[0].rename("effective_weight")
