"""Read what the scoring verbs need from a :class:`~innolab.framework.Framework`.

The verbs only use a few parts of the framework (indicator codes, aggregates per level, children,
weights, node attributes). These helpers accept nodes or codes wherever the framework returns
either, so the verbs depend on the agreed interface and nothing more.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__: list[str] = []


def code_of(item: Any) -> str:
    """The code of a node, or the item itself when it is already a code."""
    return str(getattr(item, "code", item))


def indicator_codes(framework: Any) -> list[str]:
    """Indicator codes in declared (iMeta) order."""
    ind = framework.indicators
    if callable(ind):
        ind = ind()
    return [code_of(x) for x in ind]


def levels(framework: Any) -> list[int]:
    """Levels, ascending (1 = indicators)."""
    lv = framework.levels
    if callable(lv):
        lv = lv()
    return sorted(int(x) for x in lv)


def aggregates_at(framework: Any, level: int) -> list[str]:
    """Aggregate codes at ``level`` in declared order."""
    return [code_of(x) for x in framework.aggregates(level)]


def children(framework: Any, code: str) -> list[str]:
    """Codes of the children of ``code`` in declared order."""
    return [code_of(x) for x in framework.children(code)]


def node_attr(framework: Any, code: str, attr: str, default: Any = None) -> Any:
    """Attribute ``attr`` of node ``code`` (``default`` when the node or attribute is absent)."""
    try:
        node = framework.node(code)
    except Exception:  # noqa: BLE001 - unknown code: treat as absent
        return default
    return getattr(node, attr, default)


def weights(framework: Any) -> pd.Series:
    """Weights of every node, as floats indexed by code."""
    w = framework.weights()
    return pd.Series(w, dtype=float)


def parent_of(framework: Any, code: str) -> str | None:
    p = framework.parent(code)
    return None if p is None else code_of(p)


def aggregation_order(framework: Any) -> list[tuple[int, list[str]]]:
    """``[(level, [aggregate codes sorted alphabetically]), ...]`` for levels 2, 3, ...

    COINr appends the new columns of each level in alphabetical order of the code; innolab
    keeps that order so its tables line up with COINr's.
    """
    out = []
    for lvl in levels(framework):
        if lvl < 2:
            continue
        codes = sorted(aggregates_at(framework, lvl))
        if codes:
            out.append((lvl, codes))
    return out
