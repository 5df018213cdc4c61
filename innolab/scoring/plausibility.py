"""Plausibility checks: values that are legal but suspicious are audited, not refused.

A percentage of the population of 140, a negative number of patent applications or a
rating of 7 on a 1-5 scale are almost always data errors (a unit mix-up, a sign flipped by
a spreadsheet formula, a shifted column), but a loader cannot know an indicator's unit
well enough to refuse them, and some look-alikes are correct (gross enrolment ratios above
100 %, domestic credit of 150 % of GDP, more than 100 mobile subscriptions per 100 people).
So innolab warns and records each such value in the build's audit (stage ``check``, action
``suspicious``, value unchanged) and leaves the decision to the analyst.

The plausible range of an indicator comes from, in order of precedence:

1. ``attrs: {bounds: [lo, hi]}`` on the framework node (either side may be null): the
   analyst's own statement of what is plausible;
2. the unit:

   * an explicit scale (``score 0-100``, ``rating 1-5``, ``Score 1-5``, ``index 0 to 10``)
     -> ``[lo, hi]``; a scale qualified with "about" or "approx." (``estimate (about -2.5 to
     2.5)``) is not a hard range and is not checked;
   * a share (``% of``, ``percent of``, ``per cent of`` a whole: ``% of population``,
     ``% of total goods exports``) -> ``[0, 100]``. Percentages *relative to* something that
     is not a whole they belong to (``% of GDP``, ``% of GNI``, ``% gross``, growth, change,
     annual rates, ratios) can exceed 100 or be negative and are not checked, nor is a bare
     ``%`` or ``Percent`` (GDP growth and debt-to-GDP are written so);
   * a count or a rate of a count (``number``, ``persons``, ``people``, ``per 100 people``,
     ``per million``, ``subscriptions``, ``registrations``, ``applications``, ``days``,
     ``seats``, ``crossings``, ``TWh``) -> ``[0, inf)``;

3. the node's ``cap`` widens that range: a cap of ``{upper: 120}`` on a share says values up
   to 120 are expected (they are capped by the select stage, not suspicious), and a negative
   lower cap says negative values are expected.

For a node with a ``denominator`` only the sign rule is applied (its raw values may be the
numerator, whose scale is not the unit's). Missing values are never flagged; an infinite
value always is.

Where it runs: :func:`innolab.scoring.select.select` (builds from tidy data: the rows reach
``Build.audit`` through the selection audit), ``innolab data import`` and ``innolab data
build`` (:func:`tidy_plausibility` with the sources' units; warnings and the ``suspicious``
provenance entry), and, for builds from wide data, :func:`audit_and_warn`.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..framework import Framework, Node, load_framework
from .result import AuditBuilder, concat_audits, empty_audit

__all__ = [
    "PlausibilityWarning",
    "STAGE",
    "ACTION",
    "plausible_range",
    "plausibility_audit",
    "tidy_plausibility",
    "plausibility_warnings",
    "warn_suspicious",
    "audit_and_warn",
]


class PlausibilityWarning(UserWarning):
    """Values that are legal but suspicious for their unit (also recorded in the audit)."""


#: stage name of the plausibility audit rows
STAGE = "check"
#: action of every plausibility audit row (the value is left unchanged)
ACTION = "suspicious"

_NUM = r"[-+\u2212]?\d+(?:\.\d+)?"
_SCALE = re.compile(
    rf"\b(?:score|rating|scale|index|points?)\b[^0-9\-+\u2212]*\(?\s*({_NUM})\s*"
    rf"(?:-|\u2013|\u2014|to)\s*({_NUM})",
    re.IGNORECASE,
)
_SOFT = re.compile(r"\b(?:about|approx\.?|approximately|roughly|around|ca\.)", re.IGNORECASE)
_PERCENT = re.compile(r"%|\bper\s?cent\b|\bpercentage\b", re.IGNORECASE)
_PERCENT_OF = re.compile(r"(?:%|\bper\s?cent|\bpercentage)\s+of\b", re.IGNORECASE)
_NOT_SHARE = re.compile(
    r"\b(?:gdp|gni|gross|growth|change|annual|ratio|rate of return|deflator|inflation|"
    r"balance|net)\b",
    re.IGNORECASE,
)
_COUNT = re.compile(
    r"\b(?:number|count|persons|people|inhabitants|per\s+[\d,.]+|per\s+(?:hundred|thousand|"
    r"million|billion)|subscriptions|registrations|applications|articles|days|seats|"
    r"crossings|twh|gwh|kwh)\b",
    re.IGNORECASE,
)


def _num(text: str) -> float:
    return float(text.replace("\u2212", "-"))


def plausible_range(node: Node) -> tuple[float, float, str] | None:
    """The plausible ``(lo, hi, reason)`` of an indicator node, or None when nothing is known.

    ``reason`` says where the range comes from (for the audit's ``detail``).

    >>> from innolab.framework import Node
    >>> plausible_range(Node("X", unit="% of population"))
    (0.0, 100.0, "a share (unit '% of population')")
    >>> plausible_range(Node("X", unit="per 100 people", cap=(None, 120.0)))
    (0.0, inf, "a count or rate of a count (unit 'per 100 people')")
    >>> plausible_range(Node("X", unit="% of GDP")) is None
    True
    """
    lo: float | None = None
    hi: float | None = None
    reason = ""
    unit = (node.unit or "").strip()
    bounds = (node.attrs or {}).get("bounds") if isinstance(node.attrs, Mapping) else None
    if bounds is not None:
        lo = None if bounds[0] is None else float(bounds[0])
        hi = None if bounds[1] is None else float(bounds[1])
        reason = f"the framework's bounds {[lo, hi]}"
    elif unit:
        scale = _SCALE.search(unit)
        if scale and not _SOFT.search(unit):
            a, b = sorted((_num(scale.group(1)), _num(scale.group(2))))
            lo, hi, reason = a, b, f"a scale {a:g}-{b:g} (unit {unit!r})"
        elif _PERCENT_OF.search(unit) and not _NOT_SHARE.search(unit) and not scale:
            lo, hi, reason = 0.0, 100.0, f"a share (unit {unit!r})"
        elif _COUNT.search(unit) and not _PERCENT.search(unit) and not scale:
            lo, hi, reason = 0.0, None, f"a count or rate of a count (unit {unit!r})"
    if lo is None and hi is None:
        return None
    if node.cap is not None:
        clo, chi = node.cap
        widened = False
        if clo is not None and lo is not None and clo < lo:
            lo, widened = clo, True
        if chi is not None and hi is not None and chi > hi:
            hi, widened = chi, True
        if widened:
            reason += f", widened by cap {list(node.cap)}"
    if node.denominator and bounds is None:
        # raw values may be the numerator: only the sign is known
        if lo is None or lo < 0:
            return None
        return (0.0, math.inf, reason + f", sign only (denominator {node.denominator})")
    return (
        -math.inf if lo is None else float(lo),
        math.inf if hi is None else float(hi),
        reason,
    )


def _describe(x: float, lo: float, hi: float, reason: str) -> str:
    if not math.isfinite(x):
        return f"infinite value; expected {reason}"
    if x < lo:
        what = "negative value" if lo == 0 else f"below {lo:g}"
    else:
        what = "above 100 for a percentage" if hi == 100 and "share" in reason else f"above {hi:g}"
    rng = f"[{lo:g}, {hi:g}]" if math.isfinite(hi) else f">= {lo:g}"
    return f"{what}: expected {rng} as {reason}"


def plausibility_audit(wide: pd.DataFrame, framework: Framework | str) -> pd.DataFrame:
    """Audit rows for every suspicious value of a wide matrix (units x indicators).

    Pure: ``wide`` is not modified and nothing is raised for suspicious values. Columns that
    are not indicators of ``framework`` (groups, denominators) are ignored.

    Parameters
    ----------
    wide : DataFrame
        Index ``iso3`` (or ``(iso3, year)``), one numeric column per indicator, in the
        indicators' units (after denominators and averaging, before caps and transforms).
    framework : Framework or str

    Returns
    -------
    DataFrame
        The audit layout of :mod:`innolab.scoring.result`: ``stage`` ("check"), ``iso3``
        (``year`` for a panel), ``code``, ``action`` ("suspicious"), ``before`` and ``after``
        (both the value), ``detail`` (what is wrong and the range expected).

    Examples
    --------
    >>> import pandas as pd
    >>> from innolab.framework import Framework
    >>> fw = Framework.from_mapping({"code": "t", "nodes": [{"code": "I"},
    ...     {"code": "net", "parent": "I", "unit": "% of population"},
    ...     {"code": "pat", "parent": "I", "unit": "number of applications"}]})
    >>> wide = pd.DataFrame({"net": [140.0, 50.0], "pat": [3.0, -2.0]},
    ...                     index=pd.Index(["AAA", "BBB"], name="iso3"))
    >>> plausibility_audit(wide, fw)[["iso3", "code", "before"]].values.tolist()
    [['AAA', 'net', 140.0], ['BBB', 'pat', -2.0]]
    """
    fw = load_framework(framework)
    inds = [c for c in fw.indicators if c in wide.columns]
    builder = AuditBuilder(STAGE, wide.index, inds)
    if not inds:
        return builder.build()
    ranges = [plausible_range(fw.node(code)) for code in inds]
    sub = wide[inds]
    if all(pd.api.types.is_numeric_dtype(t) for t in sub.dtypes):
        values = sub.to_numpy(dtype=float, na_value=np.nan)
    else:  # one column at a time, text read as missing
        values = np.column_stack(
            [
                pd.to_numeric(sub.iloc[:, j], errors="coerce").to_numpy(
                    dtype=float, na_value=np.nan
                )
                for j in range(len(inds))
            ]
        )
    lo = np.array([-np.inf if r is None else r[0] for r in ranges])
    hi = np.array([np.inf if r is None else r[1] for r in ranges])
    with np.errstate(invalid="ignore"):  # every column at once; details only where needed
        bad = ~np.isnan(values) & ((values < lo) | (values > hi) | np.isinf(values))
    for j in np.flatnonzero(bad.any(axis=0)):
        col, flags, rng = values[:, j], bad[:, j], ranges[j]
        if rng is None:
            builder.add(j, flags, col, col, ACTION, "infinite value")
            continue
        low, high, reason = rng
        detail = np.array(
            [_describe(x, low, high, reason) if b else "" for x, b in zip(col, flags, strict=True)],
            dtype=object,
        )
        builder.add(j, flags, col, col, ACTION, detail)
    return builder.build()


def tidy_plausibility(tidy: pd.DataFrame, units: Mapping[str, str]) -> pd.DataFrame:
    """:func:`plausibility_audit` for a tidy table, with units from indicator metadata.

    Used by ``innolab data import`` and ``innolab data build``, where no framework is chosen
    yet: ``units`` maps indicator codes to units (the ``unit`` column of the loader's or the
    store's indicator table). Returns audit rows with a ``year`` column.
    """
    if not len(tidy):
        return empty_audit(pd.MultiIndex.from_arrays([[], []], names=["iso3", "year"]))
    parts = []
    for code, grp in tidy.groupby("indicator", sort=True):
        rng = plausible_range(Node(str(code), unit=units.get(str(code)) or None))
        vals = grp["value"].to_numpy(dtype=float, na_value=np.nan)
        if rng is None:
            continue
        lo, hi, reason = rng
        with np.errstate(invalid="ignore"):
            bad = ~np.isnan(vals) & ((vals < lo) | (vals > hi) | np.isinf(vals))
        if not bad.any():
            continue
        idx = pd.MultiIndex.from_arrays(
            [grp["iso3"].to_numpy()[bad], grp["year"].to_numpy()[bad]], names=["iso3", "year"]
        )
        b = AuditBuilder(STAGE, idx, [str(code)])
        v = vals[bad]
        b.add(
            0,
            np.ones(len(v), bool),
            v,
            v,
            ACTION,
            np.array([_describe(x, lo, hi, reason) for x in v], dtype=object),
        )
        parts.append(b.build())
    idx0 = pd.MultiIndex.from_arrays([[], []], names=["iso3", "year"])
    return concat_audits(parts, idx0)


def plausibility_warnings(audit: pd.DataFrame, *, examples: int = 3) -> list[str]:
    """One warning line per indicator and problem of a plausibility audit, with examples.

    >>> a = pd.DataFrame({"stage": ["check"], "iso3": ["NAM"], "year": [2020],
    ...     "code": ["X"], "action": ["suspicious"], "before": [140.0], "after": [140.0],
    ...     "detail": ["above 100 for a percentage: expected [0, 100] as a share"]})
    >>> plausibility_warnings(a)
    ['X: 1 suspicious value (NAM 2020: 140): above 100 for a percentage: expected [0, 100] as a share']
    """
    out = []
    if not len(audit):
        return out
    for (code, detail), grp in audit.groupby(["code", "detail"], sort=True):
        n = len(grp)
        shown = []
        for _, r in grp.head(examples).iterrows():
            yr = f" {int(r['year'])}" if "year" in grp and pd.notna(r.get("year")) else ""
            shown.append(f"{r['iso3']}{yr}: {r['before']:g}")
        more = f", +{n - examples} more" if n > examples else ""
        noun = "value" if n == 1 else "values"
        out.append(f"{code}: {n} suspicious {noun} ({'; '.join(shown)}{more}): {detail}")
    return out


def warn_suspicious(audit: pd.DataFrame, *, stacklevel: int = 3) -> list[str]:
    """Issue one :class:`PlausibilityWarning` per indicator of ``audit``; return the lines."""
    lines = plausibility_warnings(audit)
    for line in lines:
        warnings.warn(line, PlausibilityWarning, stacklevel=stacklevel)
    return lines


def audit_and_warn(
    wide: pd.DataFrame, framework: Framework | str, *, stacklevel: int = 4
) -> pd.DataFrame:
    """:func:`plausibility_audit` plus one :class:`PlausibilityWarning` per indicator and problem
    (``stacklevel`` as for :func:`warnings.warn`, counted from :func:`warn_suspicious`).

    The one call a build from wide data needs (``innolab.scoring.pipeline``)::

        if not inputs.rules_applied:
            audits.append(audit_and_warn(inputs.raw, fw))
    """
    audit = plausibility_audit(wide, framework)
    if len(audit):
        warn_suspicious(audit, stacklevel=stacklevel)
    return audit
