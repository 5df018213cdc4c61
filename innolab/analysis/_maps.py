"""Per-indicator maps between an indicator's own units and its normalised points.

The what-if and closing-the-gap tools move one country's indicator values while the normalisation
fitted on the actual data stays fixed. The map of indicator ``j`` is read off the build itself:
the pairs (value in own units, normalised points) of every unit form a non-decreasing function
of the direction-adjusted value ``d·x``. Between observed values the map interpolates linearly,
which is exact whenever the pipeline is affine between neighbouring observations (min-max,
z-score, distance to target, and the untouched part of a winsorised indicator). Transforms
recorded as data rules (below) are applied exactly; for a treatment without a closed-form
inverse (COINr's ``log_ct`` fallback, Box-Cox) the map is the chord of the curve between
observed values (documented approximation, checked by the exact rebuild). Beyond the observed range the value is clipped: a value better than the
best observed one scores what the best one scores.

**Data rules.** A framework may declare a ``cap`` and a ``transform`` (``log1p``, ``log``,
``sqrt``) for an indicator; the pipeline applies them before normalisation. A :class:`DataRule`
records the rules a build applied, in order. A map fitted with a rule works on the rule's output
(``T(cap(x))``) internally but takes and returns values in the indicator's own units, so it is
exact for those indicators too (min-max of ``log1p(x)`` is affine in ``log1p(x)``), and its
inverse states improvements in own units: ``to_value`` undoes the transform, and a cap bounds
the best value (a value beyond the cap scores what the cap scores).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ComputationError, ParameterError

__all__: list[str] = []

#: Closed-form transforms a data rule can hold: name -> (forward, inverse).
TRANSFORMS: Mapping[str, tuple[Any, Any]] = {
    "log1p": (np.log1p, np.expm1),
    "log": (np.log, np.exp),
    "sqrt": (np.sqrt, np.square),
}


def _bound(x: Any) -> float | None:
    if x is None:
        return None
    if isinstance(x, str):
        x = x.strip()
        if x in ("", "None", "nan", "NaN"):
            return None
    v = float(x)
    return None if np.isnan(v) else v


@dataclass(frozen=True)
class DataRule:
    """The data rules applied to one indicator before normalisation, in order.

    ``steps`` is a tuple of ``("cap", lower, upper)`` (either bound may be None) and
    ``("transform", name)`` with ``name`` in :data:`TRANSFORMS`.
    """

    steps: tuple[tuple[Any, ...], ...] = ()

    @classmethod
    def from_parts(cls, cap: Any = None, transform: Any = None) -> DataRule:
        """Cap then transform (the order of the pipeline); either may be None.

        ``cap`` is ``(lower, upper)``, ``{"lower": .., "upper": ..}`` or the text
        ``"lower..upper"`` that the treat stage records.
        """
        steps: list[tuple[Any, ...]] = []
        if cap is not None and not (isinstance(cap, float) and np.isnan(cap)):
            if isinstance(cap, str):
                parts = cap.split("..")
                if len(parts) != 2:
                    raise ParameterError("cap", f"expected 'lower..upper', got {cap!r}")
                lo, hi = parts
            elif isinstance(cap, Mapping):
                lo, hi = cap.get("lower"), cap.get("upper")
            else:
                lo, hi = cap
            lo, hi = _bound(lo), _bound(hi)
            if lo is not None or hi is not None:
                steps.append(("cap", lo, hi))
        if transform is not None and not (isinstance(transform, float) and np.isnan(transform)):
            name = str(transform)
            if name != "none":
                if name not in TRANSFORMS:
                    raise ParameterError(
                        "transform", f"{name!r} has no inverse; valid: {', '.join(TRANSFORMS)}"
                    )
                steps.append(("transform", name))
        return cls(tuple(steps))

    def then(self, other: DataRule) -> DataRule:
        """This rule followed by ``other``."""
        return DataRule(self.steps + other.steps)

    @property
    def transforms(self) -> tuple[str, ...]:
        return tuple(s[1] for s in self.steps if s[0] == "transform")

    def __bool__(self) -> bool:
        return bool(self.steps)

    def forward(self, x: Any) -> Any:
        """Apply the rules (own units -> the scale the normalisation saw)."""
        out = np.asarray(x, dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            for s in self.steps:
                if s[0] == "cap":
                    lo = -np.inf if s[1] is None else s[1]
                    hi = np.inf if s[2] is None else s[2]
                    out = np.where(np.isnan(out), np.nan, np.clip(out, lo, hi))
                else:
                    out = TRANSFORMS[s[1]][0](out)
        out = np.where(np.isfinite(out), out, np.nan)
        return float(out) if out.ndim == 0 else out

    def inverse(self, y: Any) -> Any:
        """Undo the transforms (a capped value comes back as the cap)."""
        out = np.asarray(y, dtype=float)
        for s in reversed(self.steps):
            if s[0] == "transform":
                out = TRANSFORMS[s[1]][1](out)
        return float(out) if out.ndim == 0 else out


def as_rules(rules: Any, framework: Any = None) -> dict[str, DataRule]:
    """Normalise a ``rules`` argument: None, ``"framework"`` (each indicator's ``cap`` and
    ``transform``) or a mapping code -> :class:`DataRule` or ``{"cap": .., "transform": ..}``."""
    if rules is None:
        return {}
    if isinstance(rules, str):
        if rules != "framework":
            raise ParameterError("rules", f"a mapping or 'framework', got {rules!r}")
        from . import _tree

        out = {}
        for c in _tree.indicator_codes(framework):
            r = DataRule.from_parts(
                _tree.node_attr(framework, c, "cap"), _tree.node_attr(framework, c, "transform")
            )
            if r:
                out[c] = r
        return out
    out = {}
    for c, r in dict(rules).items():
        if isinstance(r, DataRule):
            rule = r
        elif isinstance(r, Mapping):
            bad = set(r) - {"cap", "transform"}
            if bad:
                raise ParameterError("rules", f"{c}: unknown keys {sorted(bad)}")
            rule = DataRule.from_parts(r.get("cap"), r.get("transform"))
        else:
            raise ParameterError("rules", f"{c}: expected a DataRule or a mapping, got {r!r}")
        if rule:
            out[str(c)] = rule
    return out


@dataclass(frozen=True)
class IndicatorMap:
    """Monotone map ``value -> points`` of one indicator, with its least-effort inverse."""

    code: str
    direction: int
    knots: np.ndarray  # direction-adjusted values, strictly increasing
    points: np.ndarray  # normalised points at the knots, non-decreasing
    linear: bool  # knots collinear: the map is affine over the observed range
    rule: DataRule = DataRule()  # own units -> the scale of the knots

    @classmethod
    def fit(
        cls,
        code: str,
        values: pd.Series,
        points: pd.Series,
        direction: float,
        rule: DataRule | None = None,
    ) -> IndicatorMap:
        """Fit from the units' values (own units) and normalised points (pairs with both
        present); ``rule`` is the data rule the build applied to the values."""
        d = -1 if float(direction) < 0 else 1
        rule = rule or DataRule()
        both = pd.concat([values, points], axis=1, join="inner").astype(float).dropna()
        if both.empty:
            raise ComputationError(f"{code}: no unit has both a value and a normalised score")
        x = d * np.asarray(rule.forward(both.iloc[:, 0].to_numpy()), dtype=float)
        keep = ~np.isnan(x)
        both = both[keep]
        x = x[keep]
        if both.empty:
            raise ComputationError(f"{code}: no value is inside the domain of its data rule")
        y = both.iloc[:, 1].to_numpy()
        order = np.lexsort((y, x))
        x, y = x[order], y[order]
        ux, start = np.unique(x, return_index=True)
        uy = np.empty(len(ux))
        for i, s in enumerate(start):
            end = start[i + 1] if i + 1 < len(start) else len(x)
            seg = y[s:end]
            if np.ptp(seg) > 1e-9 * max(1.0, float(np.max(np.abs(seg)))):
                raise ComputationError(
                    f"{code}: units with the same value {d * ux[i]!r} have different scores; "
                    "the values are not the ones the scores were computed from"
                )
            uy[i] = seg[0]
        tol = 1e-9 * max(1.0, float(np.max(np.abs(uy))))
        if np.any(np.diff(uy) < -tol):
            raise ComputationError(
                f"{code}: scores do not increase with the direction-adjusted values; "
                "the values are not the ones the scores were computed from"
            )
        uy = np.maximum.accumulate(uy)
        linear = True
        if len(ux) > 2:
            slope = (uy[-1] - uy[0]) / (ux[-1] - ux[0])
            pred = uy[0] + slope * (ux - ux[0])
            linear = bool(np.max(np.abs(pred - uy)) <= tol)
        return cls(code, d, ux, uy, linear, rule)

    @property
    def best_value(self) -> float:
        """The most favourable observed value (own units)."""
        return float(self.rule.inverse(self.direction * self.knots[-1]))

    @property
    def max_points(self) -> float:
        return float(self.points[-1])

    def to_points(self, value: float) -> float:
        """Points of ``value`` (own units) under the fixed normalisation."""
        if value is None or not np.isfinite(value):
            return float("nan")
        xp = self.direction * float(self.rule.forward(float(value)))
        if np.isnan(xp):
            return float("nan")
        if len(self.knots) == 1:
            return float(self.points[0])
        return float(np.interp(xp, self.knots, self.points))

    def to_value(self, points: float) -> float:
        """The least favourable value (own units) that reaches ``points``."""
        p = min(max(float(points), float(self.points[0])), float(self.points[-1]))
        k = int(np.searchsorted(self.points, p, side="left"))
        if k == 0:
            xp = self.knots[0]
        else:
            y0, y1 = self.points[k - 1], self.points[k]
            x0, x1 = self.knots[k - 1], self.knots[k]
            xp = x1 if y1 == y0 else x0 + (p - y0) / (y1 - y0) * (x1 - x0)
        return float(self.rule.inverse(self.direction * xp))
