"""Read what the analysis functions need from a :class:`~innolab.framework.Framework`.

The analysis functions only use the agreed interface (``nodes``, ``node``, ``indicators``,
``aggregates``, ``levels``, ``root``, ``children``, ``parent``, ``weights``, ``directions``).
These helpers accept nodes or codes wherever the framework returns either, and properties or
methods for ``indicators``, ``levels`` and ``root``, so that the analysis depends on that
interface and nothing more.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..errors import ParameterError

__all__: list[str] = []


def code_of(item: Any) -> str:
    """The code of a node, or the item itself when it is already a code."""
    return str(getattr(item, "code", item))


def _value(attr: Any) -> Any:
    return attr() if callable(attr) else attr


def indicator_codes(framework: Any) -> list[str]:
    """Indicator codes in declared (iMeta) order."""
    return [code_of(x) for x in _value(framework.indicators)]


def levels(framework: Any) -> list[int]:
    """Levels, ascending (1 = indicators)."""
    return sorted(int(x) for x in _value(framework.levels))


def root(framework: Any) -> str:
    """Code of the top node (the index)."""
    return code_of(_value(framework.root))


def aggregates_at(framework: Any, level: int) -> list[str]:
    """Aggregate codes at ``level`` in declared order."""
    return [code_of(x) for x in framework.aggregates(level)]


def all_aggregates(framework: Any) -> list[str]:
    """Every aggregate code, level by level (2, 3, ...), declared order within a level."""
    out: list[str] = []
    for lvl in levels(framework):
        if lvl >= 2:
            out.extend(aggregates_at(framework, lvl))
    return out


def children(framework: Any, code: str) -> list[str]:
    """Codes of the children of ``code`` in declared order."""
    return [code_of(x) for x in framework.children(code)]


def parent_of(framework: Any, code: str) -> str | None:
    """Code of the parent of ``code`` (None for the root)."""
    p = framework.parent(code)
    return None if p is None else code_of(p)


def node(framework: Any, code: str) -> Any:
    """The node ``code``; an unknown code is a :class:`ParameterError`."""
    try:
        return framework.node(code)
    except Exception as exc:  # noqa: BLE001 - re-raised as a typed error naming the code
        known = [code_of(n) for n in framework.nodes]
        from ..errors import near_matches

        hint = near_matches(code, known)
        msg = f"{code!r} is not a node of framework {getattr(framework, 'code', '')!r}".strip()
        if hint:
            msg += f" (did you mean {', '.join(hint)}?)"
        raise ParameterError("code", msg) from exc


def node_attr(framework: Any, code: str, attr: str, default: Any = None) -> Any:
    """Attribute ``attr`` of node ``code``; also looks in the node's ``attrs`` mapping."""
    nd = node(framework, code)
    val = getattr(nd, attr, None)
    if val is None:
        attrs = getattr(nd, "attrs", None) or {}
        val = attrs.get(attr, None)
    return default if val is None else val


def level_of(framework: Any, code: str) -> int:
    """Level of node ``code`` (1 = indicator)."""
    return int(node(framework, code).level)


def weights(framework: Any) -> pd.Series:
    """Weights of every node, as floats indexed by code."""
    return pd.Series(framework.weights(), dtype=float)


def directions(framework: Any) -> pd.Series:
    """Directions (+1/-1) of every indicator, indexed by code."""
    return pd.Series(framework.directions(), dtype=float)


def ancestors(framework: Any, code: str) -> list[str]:
    """Parent, grandparent, ... of ``code`` up to the root."""
    out = []
    p = parent_of(framework, code)
    while p is not None:
        out.append(p)
        p = parent_of(framework, p)
    return out


def indicators_under(framework: Any, code: str) -> list[str]:
    """Indicator codes below ``code`` (itself when it is an indicator), declared order."""
    if level_of(framework, code) == 1:
        return [code]
    return [c for c in indicator_codes(framework) if code in ancestors(framework, c)]


def coinr_order(framework: Any, level: int) -> list[str]:
    """Codes of ``level`` in COINr's internal metadata order.

    COINr re-sorts its metadata table stably by (level, parent), so this is the declared order
    grouped by parent code in alphabetical order (ALGORITHMS.md §0).
    """
    codes = indicator_codes(framework) if level == 1 else aggregates_at(framework, level)
    keyed = [(parent_of(framework, c) or "", i, c) for i, c in enumerate(codes)]
    return [c for _, _, c in sorted(keyed)]


def check_codes(frame: pd.DataFrame, codes: list[str], *, name: str) -> None:
    """Every code in ``codes`` must be a column of ``frame``."""
    missing = [c for c in codes if c not in frame.columns]
    if missing:
        raise ParameterError(name, f"missing columns for framework codes: {missing}")


def check_unit(frame: pd.DataFrame, iso3: str) -> None:
    """``iso3`` must be a row of ``frame``."""
    if iso3 not in frame.index:
        from ..errors import UnknownCountryError, near_matches

        raise UnknownCountryError({str(iso3): near_matches(str(iso3), frame.index.astype(str))})
