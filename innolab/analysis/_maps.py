"""Per-indicator maps between an indicator's own units and its normalised points.

The what-if and closing-the-gap tools move one country's indicator values while the normalisation
fitted on the actual data stays fixed. The map of indicator ``j`` is read off the build itself:
the pairs (value in own units, normalised points) of every unit form a non-decreasing function
of the direction-adjusted value ``d·x``. Between observed values the map interpolates linearly,
which is exact whenever the pipeline is affine between neighbouring observations (min-max,
z-score, distance to target, and the untouched part of a winsorised indicator); for
log-transformed indicators it is the chord of the log curve (documented approximation, checked
by the exact rebuild). Beyond the observed range the value is clipped: a value better than the
best observed one scores what the best one scores.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ComputationError

__all__: list[str] = []


@dataclass(frozen=True)
class IndicatorMap:
    """Monotone map ``value -> points`` of one indicator, with its least-effort inverse."""

    code: str
    direction: int
    knots: np.ndarray  # direction-adjusted values, strictly increasing
    points: np.ndarray  # normalised points at the knots, non-decreasing
    linear: bool  # knots collinear: the map is affine over the observed range

    @classmethod
    def fit(cls, code: str, values: pd.Series, points: pd.Series, direction: float) -> IndicatorMap:
        """Fit from the units' values and normalised points (pairs with both present)."""
        d = -1 if float(direction) < 0 else 1
        both = pd.concat([values, points], axis=1, join="inner").astype(float).dropna()
        if both.empty:
            raise ComputationError(f"{code}: no unit has both a value and a normalised score")
        x = d * both.iloc[:, 0].to_numpy()
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
        return cls(code, d, ux, uy, linear)

    @property
    def best_value(self) -> float:
        """The most favourable observed value (own units)."""
        return float(self.direction * self.knots[-1])

    @property
    def max_points(self) -> float:
        return float(self.points[-1])

    def to_points(self, value: float) -> float:
        """Points of ``value`` (own units) under the fixed normalisation."""
        if value is None or not np.isfinite(value):
            return float("nan")
        xp = self.direction * float(value)
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
        return float(self.direction * xp)
