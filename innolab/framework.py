"""Index frameworks: the validated tree index -> sub-indices -> pillars -> indicators.

A framework is a flat table of nodes (COINr's ``iMeta``): every node has a code, a name, a
parent (none for the root), a level (1 = indicator, the root highest), a weight relative to its
siblings and, for indicators, a direction (+1 higher is better, -1 lower is better), a unit, a
source, an optional target and goalposts, and data rules used when a tidy panel is turned into a
wide matrix (denominator and scale, cap, transform, mean over the latest years, aliases).

Frameworks are read from YAML (``yaml.safe_load`` only) or from a COINr ``iMeta`` table.
Validation reports *every* problem at once and names the codes involved, so that a user fixes a
framework file in one pass (COINr ``new_coin`` stops at the first problem).

Example
-------
>>> fw = Framework.from_mapping({
...     "code": "toy", "name": "Toy index",
...     "nodes": [
...         {"code": "IDX", "name": "Index"},
...         {"code": "P1", "parent": "IDX"}, {"code": "P2", "parent": "IDX", "weight": 3},
...         {"code": "a", "parent": "P1", "direction": 1},
...         {"code": "b", "parent": "P1", "direction": -1},
...         {"code": "c", "parent": "P2", "direction": 1},
...     ]})
>>> fw.indicators, fw.root, fw.levels
(['a', 'b', 'c'], 'IDX', [1, 2, 3])
>>> fw.effective_weights()[["a", "b", "c"]].tolist()
[0.125, 0.125, 0.75]
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import config
from .errors import DataFileError, FrameworkError, ParameterError, near_matches
from .io import read_document

__all__ = [
    "Node",
    "Framework",
    "load_framework",
    "available_frameworks",
    "TRANSFORMS",
    "UNIT_ID_COLUMNS",
]

TRANSFORMS = ("log1p", "log", "sqrt")
"""Value transforms an indicator may declare (applied when a tidy panel is selected)."""

UNIT_ID_COLUMNS = frozenset({"uCode", "uName", "iso3", "name", "country", "Time", "year"})
"""Data columns that identify units or time and therefore need no framework node."""

_IMETA_COLUMNS = (
    "Level",
    "iCode",
    "iName",
    "Direction",
    "Weight",
    "Unit",
    "Target",
    "Denominator",
    "Parent",
    "Type",
)
_IMETA_EXTRA = (
    "Source",
    "Scale",
    "Transform",
    "CapLower",
    "CapUpper",
    "GoalpostLower",
    "GoalpostUpper",
    "MeanYears",
    "Aliases",
    "Optional",
)
_NODE_FIELDS = frozenset(
    {
        "code",
        "name",
        "parent",
        "level",
        "type",
        "kind",
        "weight",
        "direction",
        "unit",
        "source",
        "target",
        "goalposts",
        "denominator",
        "scale",
        "transform",
        "cap",
        "mean_years",
        "aliases",
        "optional",
        "attrs",
    }
)
_NODE_ATTR_FIELDS = frozenset({"canvas_block", "engine", "description", "notes", "short_name"})
_TOP_FIELDS = frozenset(
    {
        "code",
        "name",
        "version",
        "description",
        "data_window",
        "denominators",
        "groups",
        "nodes",
        "level_names",
        "extends",
    }
)
_DEFAULT_LEVEL_NAMES = {
    1: ("Indicator",),
    2: ("Indicator", "Index"),
    3: ("Indicator", "Pillar", "Index"),
    4: ("Indicator", "Pillar", "Sub-index", "Index"),
}


@dataclass(frozen=True)
class Node:
    """One node of a framework: an indicator (level 1) or an aggregate (level >= 2).

    ``weight`` is relative to the node's siblings (aggregators normalise by the weights of the
    children they use); ``direction`` matters for indicators only. ``cap`` is ``(lower, upper)``
    with either side ``None``; ``goalposts`` is ``(lo, hi)`` in raw units.
    """

    code: str
    name: str = ""
    parent: str | None = None
    level: int = 1
    kind: str = "indicator"
    weight: float = 1.0
    direction: int = 1
    unit: str | None = None
    source: str | None = None
    target: float | None = None
    goalposts: tuple[float, float] | None = None
    denominator: str | None = None
    scale: float = 1.0
    transform: str | None = None
    cap: tuple[float | None, float | None] | None = None
    mean_years: int | None = None
    aliases: tuple[str, ...] = ()
    optional: bool = False
    attrs: Mapping[str, Any] = field(default_factory=dict, hash=False)

    @property
    def is_indicator(self) -> bool:
        """True for a level-1 data column."""
        return self.kind == "indicator"


@dataclass(frozen=True)
class Framework:
    """A validated index structure (see the module docstring).

    Build one with :meth:`from_mapping` (YAML/JSON), :meth:`from_imeta` (COINr table) or
    :func:`load_framework`; those validate. ``nodes`` keep their declared order, which is the
    indicator column order of every stage table (COINr keeps the iMeta row order).
    """

    code: str
    name: str
    nodes: tuple[Node, ...]
    description: str = ""
    groups: tuple[str, ...] = ()
    denominators: tuple[str, ...] = ()
    data_window: int = 5
    level_names: tuple[str, ...] = ()
    meta: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)
    _by_code: dict = field(init=False, repr=False, compare=False, hash=False)
    _children: dict = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        by_code: dict[str, Node] = {}
        children: dict[str, list[str]] = {}
        for n in self.nodes:
            by_code.setdefault(n.code, n)
            if n.parent is not None:
                children.setdefault(n.parent, []).append(n.code)
        object.__setattr__(self, "_by_code", by_code)
        object.__setattr__(self, "_children", children)

    # --- construction --------------------------------------------------------------------
    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any], *, source: str | None = None) -> Framework:
        """Build and validate a framework from plain data (a parsed YAML or JSON document).

        ``extends: NAME`` starts from a shipped framework (or a path): nodes listed here with an
        existing code update that node's fields, new codes are appended.
        """
        if not isinstance(mapping, Mapping):
            raise FrameworkError(
                ["the framework must be a mapping with a 'nodes' list"], source=source
            )
        problems: list[str] = []
        mapping = dict(mapping)
        if "extends" in mapping:
            mapping = _extend(mapping, problems, source)
        for key in mapping:
            if key not in _TOP_FIELDS:
                problems.append(_unknown_key("framework", key, _TOP_FIELDS))
        raw_nodes = mapping.get("nodes")
        if not isinstance(raw_nodes, list) or not raw_nodes:
            problems.append("'nodes' must be a non-empty list of node mappings")
            raise FrameworkError(problems, source=source)
        entries = []
        for i, raw in enumerate(raw_nodes):
            if not isinstance(raw, Mapping):
                problems.append(f"node #{i + 1} is not a mapping (found {raw!r})")
                continue
            entries.append(_parse_node(dict(raw), i, problems))
        denoms = _parse_names(mapping.get("denominators"), "denominators", problems)
        groups = _parse_names(mapping.get("groups"), "groups", problems)
        window = mapping.get("data_window", 5)
        if not _is_int(window) or window < 1:
            problems.append(f"data_window must be a positive integer (found {window!r})")
            window = 5
        level_names = mapping.get("level_names") or ()
        if not isinstance(level_names, list | tuple) or not all(
            isinstance(x, str) for x in level_names
        ):
            problems.append(f"level_names must be a list of names (found {level_names!r})")
            level_names = ()
        code = mapping.get("code") or (Path(source).stem if source else "framework")
        meta = {"version": mapping.get("version")}
        if isinstance(mapping.get("denominators"), Mapping):
            meta["denominators"] = {str(k): v for k, v in mapping["denominators"].items()}
        return _finish(
            entries,
            problems,
            code=str(code),
            name=str(mapping.get("name") or code),
            description=str(mapping.get("description") or "").strip(),
            groups=groups,
            denominators=denoms,
            data_window=int(window),
            level_names=tuple(level_names),
            meta=meta,
            source=source,
        )

    @classmethod
    def from_imeta(
        cls,
        table: pd.DataFrame,
        *,
        code: str = "framework",
        name: str | None = None,
        source: str | None = None,
    ) -> Framework:
        """Build and validate a framework from a COINr ``iMeta`` table.

        Rows of ``Type`` ``Indicator`` and ``Aggregate`` become nodes; ``Group`` rows name the
        unit-group columns (``framework.groups``) and ``Denominator`` rows the denominator
        columns (``framework.denominators``). Optional innolab columns (Source, Scale,
        Transform, CapLower, CapUpper, GoalpostLower, GoalpostUpper, MeanYears, Aliases,
        Optional) are read when present.
        """
        missing = [c for c in _IMETA_COLUMNS if c not in table.columns]
        if missing:
            raise FrameworkError(
                [
                    f"the iMeta table lacks column(s) {', '.join(missing)}; expected columns "
                    f"{', '.join(_IMETA_COLUMNS)}"
                ],
                source=source,
            )
        problems: list[str] = []
        entries = []
        groups: list[str] = []
        denoms: list[str] = []
        meta_denoms: dict[str, dict] = {}
        for i, row in enumerate(table.to_dict("records")):
            rowno = i + 2  # header is line 1
            kind = _text(row.get("Type"))
            icode = _text(row.get("iCode"))
            if icode is None:
                problems.append(f"row {rowno}: empty iCode")
                continue
            if kind == "Group":
                groups.append(icode)
                continue
            if kind == "Denominator":
                denoms.append(icode)
                meta_denoms[icode] = {
                    "name": _text(row.get("iName")),
                    "unit": _text(row.get("Unit")),
                }
                continue
            if kind not in ("Indicator", "Aggregate"):
                problems.append(
                    f"{icode}: Type must be Indicator, Aggregate, Group or Denominator "
                    f"(found {row.get('Type')!r})"
                )
                continue
            raw: dict[str, Any] = {"code": icode, "type": kind.lower()}
            for col, key in (
                ("iName", "name"),
                ("Parent", "parent"),
                ("Unit", "unit"),
                ("Denominator", "denominator"),
                ("Source", "source"),
                ("Transform", "transform"),
            ):
                val = _text(row.get(col))
                if val is not None:
                    raw[key] = val
            for col, key in (
                ("Level", "level"),
                ("Direction", "direction"),
                ("Weight", "weight"),
                ("Target", "target"),
                ("Scale", "scale"),
                ("ScaleFactor", "scale"),
                ("MeanYears", "mean_years"),
            ):
                if col in row and not _blank(row[col]):
                    val = row[col]
                    if (
                        key in ("level", "direction", "mean_years")
                        and _is_num(val)
                        and float(val).is_integer()
                    ):
                        val = int(val)
                    raw[key] = val
            lo, hi = row.get("CapLower"), row.get("CapUpper")
            if not (_blank(lo) and _blank(hi)):
                raw["cap"] = {
                    "lower": None if _blank(lo) else lo,
                    "upper": None if _blank(hi) else hi,
                }
            glo, ghi = row.get("GoalpostLower"), row.get("GoalpostUpper")
            if not (_blank(glo) and _blank(ghi)):
                raw["goalposts"] = [glo, ghi]
            al = _text(row.get("Aliases"))
            if al:
                raw["aliases"] = [a.strip() for a in al.split(";") if a.strip()]
            opt = row.get("Optional")
            if not _blank(opt):
                raw["optional"] = str(opt).strip().lower() in ("true", "1", "yes")
            entries.append(_parse_node(raw, i, problems, where=f"row {rowno}"))
        return _finish(
            entries,
            problems,
            code=code,
            name=name or code,
            description="",
            groups=tuple(groups),
            denominators=tuple(denoms),
            data_window=5,
            level_names=(),
            meta={"denominators": meta_denoms},
            source=source,
        )

    # --- lookups -------------------------------------------------------------------------
    def node(self, code: str) -> Node:
        """The node with this code; an unknown code raises FrameworkError with near matches."""
        try:
            return self._by_code[code]
        except KeyError:
            hint = near_matches(code, self._by_code)
            msg = f"no node {code!r} in framework {self.code!r}"
            if hint:
                msg += f" (did you mean {', '.join(hint)}?)"
            raise FrameworkError([msg]) from None

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    @property
    def codes(self) -> list[str]:
        """Every node code in declared order."""
        return [n.code for n in self.nodes]

    @property
    def indicators(self) -> list[str]:
        """Indicator codes in declared order (the column order of every stage table)."""
        return [n.code for n in self.nodes if n.kind == "indicator"]

    def aggregates(self, level: int | None = None) -> list[str]:
        """Aggregate codes (all, or of one level) in declared order."""
        return [
            n.code
            for n in self.nodes
            if n.kind == "aggregate" and (level is None or n.level == level)
        ]

    @property
    def levels(self) -> list[int]:
        """The levels present, ascending (1 = indicators)."""
        return sorted({n.level for n in self.nodes})

    @property
    def root(self) -> str:
        """Code of the single top node (the index)."""
        roots = [n.code for n in self.nodes if n.parent is None]
        if len(roots) != 1:
            raise FrameworkError([f"expected one root, found {len(roots)}: {roots}"])
        return roots[0]

    def children(self, code: str) -> list[str]:
        """Codes of the direct children of ``code`` in declared order."""
        self.node(code)
        return list(self._children.get(code, ()))

    def parent(self, code: str) -> str | None:
        """Code of the parent of ``code`` (None for the root)."""
        return self.node(code).parent

    def ancestors(self, code: str) -> list[str]:
        """Parent, grandparent, ... up to the root."""
        out = []
        p = self.node(code).parent
        while p is not None:
            out.append(p)
            p = self._by_code[p].parent
        return out

    def descendants(self, code: str, *, indicators_only: bool = True) -> list[str]:
        """Every node below ``code`` (indicators only by default), in declared order."""
        below = set()
        stack = list(self._children.get(code, ()))
        while stack:
            c = stack.pop()
            below.add(c)
            stack.extend(self._children.get(c, ()))
        return [
            n.code
            for n in self.nodes
            if n.code in below and (n.kind == "indicator" or not indicators_only)
        ]

    def level_name(self, level: int) -> str:
        """Display name of a level (``level_names`` or COINr-like defaults)."""
        top = max(self.levels)
        names = self.level_names or _DEFAULT_LEVEL_NAMES.get(top, ())
        if len(names) >= level:
            return names[level - 1]
        return f"Level {level}"

    # --- tables and series -----------------------------------------------------------------
    def lineage(self) -> pd.DataFrame:
        """Indicator -> ancestor at every level: one row per indicator, one column per level.

        Columns are the level names (e.g. Indicator, Pillar, Sub-index, Index); rows follow the
        declared indicator order.
        """
        levels = self.levels
        rows = []
        for code in self.indicators:
            row = {self.level_name(1): code}
            for anc in self.ancestors(code):
                row[self.level_name(self._by_code[anc].level)] = anc
            rows.append(row)
        return pd.DataFrame(rows, columns=[self.level_name(lv) for lv in levels])

    def weights(self) -> pd.Series:
        """Weight of every node (relative to its siblings), indexed by code, declared order."""
        return pd.Series(
            [float(n.weight) for n in self.nodes], index=self.codes, name="weight", dtype=float
        )

    def directions(self) -> pd.Series:
        """Direction (+1/-1) of every indicator."""
        return pd.Series(
            [int(n.direction) for n in self.nodes if n.kind == "indicator"],
            index=self.indicators,
            name="direction",
            dtype=int,
        )

    def targets(self) -> pd.Series:
        """Target of every indicator (NaN where none is set)."""
        return pd.Series(
            [
                np.nan if n.target is None else float(n.target)
                for n in self.nodes
                if n.kind == "indicator"
            ],
            index=self.indicators,
            name="target",
            dtype=float,
        )

    def goalposts(self) -> dict[str, tuple[float, float]]:
        """Goalposts ``(lo, hi)`` of the indicators that declare them."""
        return {n.code: n.goalposts for n in self.nodes if n.goalposts is not None}

    def effective_weights(self) -> pd.Series:
        """Each node's share of the index: the product of sibling-normalised weights upward.

        The root gets 1; indicator shares sum to 1 when every aggregate has children.
        """
        w = self.weights()
        sums: dict[str | None, float] = {}
        for n in self.nodes:
            sums[n.parent] = sums.get(n.parent, 0.0) + float(n.weight)
        out = {}
        for n in self.nodes:
            eff = 1.0
            cur = n
            while cur.parent is not None:
                eff *= float(w[cur.code]) / sums[cur.parent]
                cur = self._by_code[cur.parent]
            out[n.code] = eff
        return pd.Series(out, name="effective_weight", dtype=float)[self.codes]

    def with_weights(self, weights: Mapping[str, float] | pd.Series) -> Framework:
        """A copy with some node weights replaced (validated: codes exist, weights > 0)."""
        items = dict(weights.items() if isinstance(weights, pd.Series) else weights)
        problems = []
        for c, w in items.items():
            if c not in self._by_code:
                hint = near_matches(str(c), self._by_code)
                problems.append(
                    f"weight for unknown code {c!r}"
                    + (f" (did you mean {', '.join(hint)}?)" if hint else "")
                )
            elif not _is_num(w) or not w > 0:
                problems.append(f"{c}: weight must be a number > 0 (found {w!r})")
        if problems:
            raise FrameworkError(problems, source=self.code)
        nodes = tuple(
            dataclasses.replace(n, weight=float(items[n.code])) if n.code in items else n
            for n in self.nodes
        )
        return dataclasses.replace(self, nodes=nodes)

    def drop(self, codes: Iterable[str]) -> Framework:
        """A copy without the given nodes (and their subtrees); aggregates left without
        children are removed too. Used for leave-one-out analysis."""
        drop = set()
        for c in codes:
            self.node(c)
            drop.add(c)
            drop.update(self.descendants(c, indicators_only=False))
        while True:
            kids: dict[str, int] = {}
            for n in self.nodes:
                if n.code not in drop and n.parent is not None:
                    kids[n.parent] = kids.get(n.parent, 0) + 1
            empty = {
                n.code
                for n in self.nodes
                if n.kind == "aggregate"
                and n.code not in drop
                and not kids.get(n.code)
                and n.parent is not None
            }
            if not empty:
                break
            drop |= empty
        if self.root in drop:
            raise FrameworkError([f"dropping {sorted(codes)} leaves no indicators"])
        nodes = tuple(n for n in self.nodes if n.code not in drop)
        return dataclasses.replace(self, nodes=nodes)

    def to_table(self) -> pd.DataFrame:
        """The framework as a COINr ``iMeta``-like table (plus innolab's optional columns).

        ``Framework.from_imeta(fw.to_table())`` gives back an equal framework.
        """
        rows = []
        for n in self.nodes:
            ind = n.kind == "indicator"
            rows.append(
                {
                    "Level": n.level,
                    "iCode": n.code,
                    "iName": n.name,
                    "Direction": n.direction,
                    "Weight": float(n.weight),
                    "Unit": n.unit,
                    "Target": n.target,
                    "Denominator": n.denominator,
                    "Parent": n.parent,
                    "Type": "Indicator" if ind else "Aggregate",
                    "Source": n.source,
                    "Scale": n.scale if n.scale != 1 else None,
                    "Transform": n.transform,
                    "CapLower": n.cap[0] if n.cap else None,
                    "CapUpper": n.cap[1] if n.cap else None,
                    "GoalpostLower": n.goalposts[0] if n.goalposts else None,
                    "GoalpostUpper": n.goalposts[1] if n.goalposts else None,
                    "MeanYears": n.mean_years,
                    "Aliases": ";".join(n.aliases) or None,
                    "Optional": True if n.optional else None,
                }
            )
        info = self.meta.get("denominators") or {}
        for g in self.groups:
            rows.append({"iCode": g, "iName": g, "Type": "Group"})
        for d in self.denominators:
            rec = info.get(d) or {}
            rows.append(
                {
                    "iCode": d,
                    "iName": rec.get("name") or d,
                    "Unit": rec.get("unit"),
                    "Type": "Denominator",
                }
            )
        table = pd.DataFrame(rows, columns=list(_IMETA_COLUMNS) + list(_IMETA_EXTRA))
        extras = [c for c in _IMETA_EXTRA if table[c].notna().any()]
        table = table[list(_IMETA_COLUMNS) + extras]
        table["Level"] = table["Level"].astype("Int64")
        table["Direction"] = table["Direction"].astype("Int64")
        return table

    def to_mapping(self) -> dict[str, Any]:
        """Plain data that :meth:`from_mapping` turns back into an equal framework."""
        nodes = []
        for n in self.nodes:
            d: dict[str, Any] = {"code": n.code, "name": n.name}
            if n.parent is not None:
                d["parent"] = n.parent
            d["type"] = n.kind
            d["level"] = n.level
            if n.weight != 1:
                d["weight"] = float(n.weight)
            if n.kind == "indicator":
                d["direction"] = int(n.direction)
            for key in ("unit", "source", "target", "denominator", "transform", "mean_years"):
                if getattr(n, key) is not None:
                    d[key] = getattr(n, key)
            if n.scale != 1:
                d["scale"] = n.scale
            if n.goalposts is not None:
                d["goalposts"] = list(n.goalposts)
            if n.cap is not None:
                d["cap"] = {"lower": n.cap[0], "upper": n.cap[1]}
            if n.aliases:
                d["aliases"] = list(n.aliases)
            if n.optional:
                d["optional"] = True
            if n.attrs:
                d["attrs"] = dict(n.attrs)
            nodes.append(d)
        out: dict[str, Any] = {"code": self.code, "name": self.name}
        if self.description:
            out["description"] = self.description
        out["data_window"] = self.data_window
        if self.level_names:
            out["level_names"] = list(self.level_names)
        if self.groups:
            out["groups"] = list(self.groups)
        if self.denominators:
            info = self.meta.get("denominators") or {}
            out["denominators"] = {d: dict(info.get(d) or {}) for d in self.denominators}
        out["nodes"] = nodes
        return out

    # --- validation ------------------------------------------------------------------------
    def problems(self, data_columns: Iterable[str] | None = None) -> list[str]:
        """Every problem of the framework (and, given data columns, of its fit to the data)."""
        out = _structure_problems(self)
        if data_columns is not None:
            out.extend(_data_problems(self, [str(c) for c in data_columns]))
        return out

    def validate(self, data_columns: Iterable[str] | None = None) -> Framework:
        """Raise FrameworkError listing every problem; return the framework when valid.

        With ``data_columns``: every required indicator must be a column (or one of its
        aliases), and every column must be an indicator, alias, group, denominator or unit id.
        """
        problems = self.problems(data_columns)
        if problems:
            raise FrameworkError(problems, source=self.code)
        return self


# --- parsing helpers -------------------------------------------------------------------------
def _blank(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    if v is pd.NA:
        return True
    return isinstance(v, str) and not v.strip()


def _text(v: Any) -> str | None:
    return None if _blank(v) else str(v).strip()


def _is_num(v: Any) -> bool:
    return (
        isinstance(v, numbers.Real)
        and not isinstance(v, bool)
        and not (isinstance(v, float) and math.isnan(v))
    )


def _is_int(v: Any) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _unknown_key(where: str, key: Any, valid: Iterable[str]) -> str:
    hint = near_matches(str(key), valid, n=1)
    return f"{where}: unknown field {key!r}" + (f" (did you mean {hint[0]!r}?)" if hint else "")


def _parse_names(value: Any, what: str, problems: list[str]) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, Mapping):
        return tuple(str(k) for k in value)
    if isinstance(value, list | tuple) and all(isinstance(x, str) for x in value):
        return tuple(value)
    problems.append(f"{what} must be a list of column codes or a mapping (found {value!r})")
    return ()


def _parse_node(
    raw: dict[str, Any], i: int, problems: list[str], where: str | None = None
) -> dict[str, Any]:
    """Normalise one node entry; values stay raw where invalid so that checks name them."""
    code = raw.get("code")
    label = where or f"node #{i + 1}"
    if not isinstance(code, str) or not code.strip():
        problems.append(f"{label}: 'code' must be a non-empty string (found {code!r})")
        code = f"<{label}>"
    code = code.strip()
    attrs = dict(raw.get("attrs") or {})
    for key in list(raw):
        if key in _NODE_ATTR_FIELDS:
            attrs[key] = raw[key]
        elif key not in _NODE_FIELDS:
            problems.append(_unknown_key(code, key, _NODE_FIELDS | _NODE_ATTR_FIELDS))
    entry: dict[str, Any] = {"code": code, "attrs": attrs}
    kind = raw.get("type", raw.get("kind"))
    if kind is not None:
        if str(kind).lower() not in ("indicator", "aggregate"):
            problems.append(f"{code}: type must be 'indicator' or 'aggregate' (found {kind!r})")
            kind = None
        else:
            kind = str(kind).lower()
    entry["declared_kind"] = kind
    entry["has_direction"] = "direction" in raw
    parent = raw.get("parent")
    entry["parent"] = None if _blank(parent) else str(parent).strip()
    entry["name"] = str(raw.get("name") or code)
    entry["declared_level"] = raw.get("level")
    entry["weight"] = raw.get("weight", 1.0)
    entry["direction"] = raw.get("direction", 1)
    for key in ("unit", "source", "denominator", "transform"):
        v = raw.get(key)
        entry[key] = None if _blank(v) else (v.strip() if isinstance(v, str) else v)
    entry["target"] = raw.get("target")
    entry["scale"] = raw.get("scale", 1.0)
    entry["mean_years"] = raw.get("mean_years")
    entry["optional"] = raw.get("optional", False)
    # goalposts: [lo, hi]
    gp = raw.get("goalposts")
    if gp is not None:
        if isinstance(gp, Mapping):
            gp = [gp.get("lower"), gp.get("upper")]
        entry["goalposts"] = tuple(gp) if isinstance(gp, list | tuple) else gp
    else:
        entry["goalposts"] = None
    cap = raw.get("cap")
    if cap is not None:
        if isinstance(cap, Mapping):
            bad = set(cap) - {"lower", "upper"}
            if bad:
                problems.append(f"{code}: cap accepts 'lower' and 'upper' (found {sorted(bad)})")
            cap = (cap.get("lower"), cap.get("upper"))
        entry["cap"] = tuple(cap) if isinstance(cap, list | tuple) else cap
    else:
        entry["cap"] = None
    aliases = raw.get("aliases") or ()
    if isinstance(aliases, str):
        aliases = (aliases,)
    entry["aliases"] = tuple(aliases) if isinstance(aliases, list | tuple) else aliases
    return entry


def _extend(mapping: dict[str, Any], problems: list[str], source: str | None) -> dict[str, Any]:
    """Merge a derived framework document into its base (``extends: NAME``)."""
    base_name = mapping.pop("extends")
    try:
        path = _resolve(base_name, relative_to=Path(source).parent if source else None)
    except ParameterError as exc:
        problems.append(f"extends: {exc}")
        return mapping
    base = _read_document(path)
    merged = {k: v for k, v in base.items() if k not in ("nodes", "code", "name", "description")}
    base_nodes = [dict(n) for n in base.get("nodes", [])]
    index = {n.get("code"): i for i, n in enumerate(base_nodes)}
    for n in mapping.pop("nodes", None) or []:
        if isinstance(n, Mapping) and n.get("code") in index:
            base_nodes[index[n["code"]]].update(n)
        else:
            base_nodes.append(n)
    merged.update(mapping)
    merged["nodes"] = base_nodes
    return merged


def _heights(entries: list[dict[str, Any]], children: dict[str, list[str]]) -> dict[str, int]:
    """Level of each node computed bottom-up (leaves 1); nodes on a cycle get no level."""
    height: dict[str, int] = {}
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(code: str) -> int | None:
        if state.get(code) == 2:
            return height.get(code)
        if state.get(code) == 1:
            return None
        state[code] = 1
        kids = children.get(code, [])
        hs = [visit(k) for k in kids]
        state[code] = 2
        if any(h is None for h in hs):
            return None
        h = 1 + max(hs) if hs else 1
        height[code] = h
        return h

    import sys

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10 * len(entries) + 100))
    try:
        for e in entries:
            visit(e["code"])
    finally:
        sys.setrecursionlimit(limit)
    return height


def _finish(
    entries: list[dict[str, Any]], problems: list[str], *, source: str | None, **fw_kwargs: Any
) -> Framework:
    """Turn parsed entries into nodes, compute levels, validate, and return the framework."""
    children: dict[str, list[str]] = {}
    for e in entries:
        if e["parent"] is not None:
            children.setdefault(e["parent"], []).append(e["code"])
    heights = _heights(entries, children)
    nodes = []
    level_problems = []
    for e in entries:
        code = e["code"]
        if e["declared_kind"] is not None:
            kind = e["declared_kind"]
        elif code in children or (e["parent"] is None and not e["has_direction"]):
            kind = "aggregate"
        else:
            kind = "indicator"
        declared = e["declared_level"]
        if declared is not None and (not _is_int(declared) or declared < 1):
            level_problems.append(f"{code}: level must be a positive integer (found {declared!r})")
            declared = None
        computed = heights.get(code)
        if kind == "indicator" and declared is None:
            level = 1
        elif declared is not None:
            level = declared
            if (
                computed is not None
                and computed != declared
                and not (kind == "aggregate" and code not in children)
            ):
                level_problems.append(
                    f"{code}: declared level {declared} but its children put it at level {computed}"
                )
        else:
            level = computed if computed is not None else 0
        nodes.append(
            Node(
                code=code,
                name=e["name"],
                parent=e["parent"],
                level=level,
                kind=kind,
                weight=e["weight"],
                direction=e["direction"],
                unit=e["unit"],
                source=e["source"],
                target=e["target"],
                goalposts=e["goalposts"],
                denominator=e["denominator"],
                scale=e["scale"],
                transform=e["transform"],
                cap=e["cap"],
                mean_years=e["mean_years"],
                aliases=e["aliases"],
                optional=e["optional"],
                attrs=e["attrs"],
            )
        )
    fw = Framework(nodes=tuple(nodes), **fw_kwargs)
    all_problems = problems + level_problems + _structure_problems(fw)
    if all_problems:
        raise FrameworkError(_dedupe(all_problems), source=source or fw.code)
    # valid: clean the numeric types
    clean = []
    for n in fw.nodes:
        clean.append(
            dataclasses.replace(
                n,
                weight=float(n.weight),
                direction=int(n.direction),
                target=None if n.target is None else float(n.target),
                scale=float(n.scale),
                goalposts=None
                if n.goalposts is None
                else (float(n.goalposts[0]), float(n.goalposts[1])),
                cap=None
                if n.cap is None
                else tuple(None if c is None else float(c) for c in n.cap),
                mean_years=None if n.mean_years is None else int(n.mean_years),
                aliases=tuple(str(a) for a in n.aliases),
                optional=bool(n.optional),
            )
        )
    return dataclasses.replace(fw, nodes=tuple(clean))


def _dedupe(items: list[str]) -> list[str]:
    seen = set()
    out = []
    for x in items:
        if x not in seen:
            seen.add(x)
            out.append(x)
    return out


def _structure_problems(fw: Framework) -> list[str]:
    """Every structural problem of ``fw`` (no data needed)."""
    out: list[str] = []
    counts: dict[str, int] = {}
    for n in fw.nodes:
        counts[n.code] = counts.get(n.code, 0) + 1
    dups = [c for c, k in counts.items() if k > 1]
    if dups:
        out.append(f"duplicate code(s): {', '.join(dups)}")
    codes = set(counts)
    declared = set(fw.groups) | set(fw.denominators)
    clash = sorted(codes & declared)
    if clash:
        out.append(f"code(s) used both as node and as group/denominator column: {', '.join(clash)}")
    roots = [n.code for n in fw.nodes if n.parent is None]
    if len(roots) > 1:
        out.append(f"more than one root (nodes without parent): {', '.join(roots)}")
    for n in fw.nodes:
        if n.parent is not None and n.parent not in codes:
            hint = near_matches(n.parent, codes, n=1)
            out.append(
                f"{n.code}: unknown parent {n.parent!r}"
                + (f" (did you mean {hint[0]!r}?)" if hint else "")
            )
    by_code = fw._by_code
    # cycles: follow parent links
    in_cycle: set[str] = set()
    for n in fw.nodes:
        path = []
        seen_pos: dict[str, int] = {}
        cur: str | None = n.code
        while cur is not None and cur in by_code and cur not in in_cycle:
            if cur in seen_pos:
                cyc = path[seen_pos[cur] :]
                in_cycle.update(cyc)
                start = min(range(len(cyc)), key=lambda k: cyc[k])
                cyc = cyc[start:] + cyc[:start]
                out.append(f"cycle in parent links: {' -> '.join(cyc + [cyc[0]])}")
                break
            seen_pos[cur] = len(path)
            path.append(cur)
            cur = by_code[cur].parent
    if not roots and not in_cycle:
        out.append("no root: every node has a parent")
    for n in fw.nodes:
        kids = fw._children.get(n.code, [])
        if n.kind == "aggregate" and not kids:
            out.append(f"{n.code}: aggregate without children")
        if n.kind == "indicator" and kids:
            out.append(f"{n.code}: indicator with children ({', '.join(kids)})")
        if n.parent in by_code and by_code[n.parent].kind == "indicator":
            pass  # reported on the parent above
        if not _is_num(n.weight):
            out.append(f"{n.code}: weight must be a number > 0 (found non-numeric {n.weight!r})")
        elif not n.weight > 0 or math.isinf(float(n.weight)):
            out.append(f"{n.code}: weight must be a finite number > 0 (found {n.weight!r})")
        if n.kind == "indicator" and (not _is_num(n.direction) or n.direction not in (1, -1)):
            out.append(f"{n.code}: direction must be 1 or -1 (found {n.direction!r})")
        if n.target is not None and not _is_num(n.target):
            out.append(f"{n.code}: target must be a number (found {n.target!r})")
        if n.goalposts is not None:
            gp = n.goalposts
            if not (isinstance(gp, tuple) and len(gp) == 2 and all(_is_num(g) for g in gp)):
                out.append(f"{n.code}: goalposts must be two numbers [lo, hi] (found {gp!r})")
            elif not gp[0] < gp[1]:
                out.append(f"{n.code}: goalposts need lo < hi (found {list(gp)})")
        if n.cap is not None:
            cap = n.cap
            if not (
                isinstance(cap, tuple)
                and len(cap) == 2
                and all(c is None or _is_num(c) for c in cap)
                and any(c is not None for c in cap)
            ):
                out.append(
                    f"{n.code}: cap must be {{lower: L, upper: U}} with numbers (found {cap!r})"
                )
            elif None not in cap and not cap[0] <= cap[1]:
                out.append(f"{n.code}: cap needs lower <= upper (found {list(cap)})")
        if n.transform is not None and n.transform not in TRANSFORMS:
            out.append(
                f"{n.code}: unknown transform {n.transform!r}; valid: {', '.join(TRANSFORMS)}"
            )
        if not _is_num(n.scale) or not n.scale > 0:
            out.append(f"{n.code}: scale must be a number > 0 (found {n.scale!r})")
        if n.mean_years is not None and (not _is_int(n.mean_years) or n.mean_years < 1):
            out.append(f"{n.code}: mean_years must be a positive integer (found {n.mean_years!r})")
        if not isinstance(n.aliases, tuple) or not all(isinstance(a, str) for a in n.aliases):
            out.append(f"{n.code}: aliases must be a list of codes (found {n.aliases!r})")
        if not isinstance(n.optional, bool):
            out.append(f"{n.code}: optional must be true or false (found {n.optional!r})")
        if (
            n.denominator is not None
            and n.kind == "indicator"
            and fw.denominators
            and n.denominator not in fw.denominators
        ):
            out.append(
                f"{n.code}: denominator {n.denominator!r} is not declared in the "
                f"framework's denominators ({', '.join(fw.denominators)})"
            )
        if n.denominator is not None and n.kind == "indicator" and not fw.denominators:
            out.append(
                f"{n.code}: denominator {n.denominator!r} is not declared "
                "(the framework declares no denominators)"
            )
    # levels: every child sits exactly one level below its parent; indicators at level 1
    for n in fw.nodes:
        if n.kind == "indicator" and n.level != 1:
            out.append(f"{n.code}: indicator at level {n.level} (indicators are level 1)")
        kids = [by_code[k] for k in fw._children.get(n.code, []) if k in by_code]
        if n.kind == "aggregate" and kids and n.code not in in_cycle:
            kid_levels = {k.level for k in kids}
            if len(kid_levels) > 1:
                desc = ", ".join(f"{k.code} (level {k.level})" for k in kids)
                out.append(f"{n.code}: inconsistent levels, children at different levels: {desc}")
            elif n.level != next(iter(kid_levels)) + 1:
                out.append(
                    f"{n.code}: inconsistent levels, level {n.level} but its children "
                    f"are at level {next(iter(kid_levels))}"
                )
    # aliases must not collide with node codes
    alias_owner: dict[str, str] = {}
    for n in fw.nodes:
        if isinstance(n.aliases, tuple):
            for a in n.aliases:
                if a in codes or a in alias_owner:
                    out.append(f"{n.code}: alias {a!r} is already used by {alias_owner.get(a, a)}")
                alias_owner.setdefault(a, n.code)
    return out


def _data_problems(fw: Framework, columns: Sequence[str]) -> list[str]:
    cols = set(columns)
    out = []
    missing = []
    for n in fw.nodes:
        if n.kind != "indicator" or n.optional:
            continue
        names = {n.code, *n.aliases} if isinstance(n.aliases, tuple) else {n.code}
        if not names & cols:
            missing.append(n.code)
    if missing:
        out.append(f"indicator(s) without data: {', '.join(missing)}")
    known = set(fw.codes) | set(fw.groups) | set(fw.denominators) | UNIT_ID_COLUMNS
    for n in fw.nodes:
        if isinstance(n.aliases, tuple):
            known.update(n.aliases)
        if n.denominator:
            known.add(n.denominator)
    extra = [c for c in columns if c not in known]
    if extra:
        out.append(f"data column(s) without node: {', '.join(extra)}")
    aggs_in_data = [c for c in columns if c in fw and fw.node(c).kind == "aggregate"]
    if aggs_in_data:
        out.append(f"data column(s) named like aggregates: {', '.join(aggs_in_data)}")
    return out


# --- loading -----------------------------------------------------------------------------
def available_frameworks() -> list[str]:
    """Names of the frameworks shipped with innolab (``innolab/frameworks/*.yaml``)."""
    return sorted(p.stem for p in config.FRAMEWORKS_DIR.glob("*.yaml"))


def _resolve(name_or_path: str | Path, *, relative_to: Path | None = None) -> Path:
    text = str(name_or_path)
    if isinstance(name_or_path, str) and text in available_frameworks():
        return config.FRAMEWORKS_DIR / f"{text}.yaml"
    p = Path(text).expanduser()
    if not p.is_absolute() and relative_to is not None and (relative_to / p).exists():
        p = relative_to / p
    if p.exists():
        return p
    hint = near_matches(text, available_frameworks())
    raise ParameterError(
        "framework",
        f"{text!r} is neither a shipped framework ({', '.join(available_frameworks())}) nor an "
        f"existing file" + (f" (did you mean {', '.join(hint)}?)" if hint else ""),
    )


def _read_document(path: Path) -> dict[str, Any]:
    doc = read_document(path, what="framework")
    if not isinstance(doc, dict):
        raise DataFileError(
            path,
            "a framework file must hold a mapping",
            expected="keys code, name, nodes",
            found=type(doc).__name__,
        )
    return doc


def load_framework(name_or_path: str | Path | Framework) -> Framework:
    """Load a framework: a shipped name, a ``.yaml``/``.yml``/``.json`` file or an iMeta ``.csv``.

    >>> load_framework("asem").root
    'Index'
    """
    if isinstance(name_or_path, Framework):
        return name_or_path
    path = _resolve(name_or_path)
    if path.suffix.lower() == ".csv":
        try:
            table = pd.read_csv(path, keep_default_na=False, na_values=[""])
        except (pd.errors.ParserError, UnicodeDecodeError, OSError) as exc:
            raise DataFileError(path, f"cannot read iMeta table: {exc}") from None
        return Framework.from_imeta(table, code=path.stem, name=path.stem, source=str(path))
    return Framework.from_mapping(_read_document(path), source=str(path))
