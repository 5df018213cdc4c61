"""Chart of variance-based sensitivity indices: which assumption moves the ranks most."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from ._common import PALETTE, check_frame, finish, new_axes, styled, values, wrap_label

__all__ = ["plot_sensitivity"]


@styled
def plot_sensitivity(
    indices: pd.DataFrame,
    *,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Horizontal bars of each assumption's total sensitivity index, split into its first-order
    part (the assumption alone) and interactions, with the bootstrap 5-95% interval of the
    total index as a whisker.

    Parameters
    ----------
    indices : DataFrame
        One row per varied assumption (the ``--sensitivity`` table of ``innolab uncertainty``):
        ``input``, ``first_order``, ``total`` and optionally ``total_q05``, ``total_q95``.
        Negative estimates (Monte Carlo noise) are drawn as 0.
    ax : Axes, optional
    title : str, optional
        Default ``"Sensitivity of the ranks to each assumption"``.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.containers[0]`` holds the first-order bars, ``ax.containers[1]`` the interaction
        bars, in the table's row order (largest total first).

    Examples
    --------
    >>> t = pd.DataFrame({"input": ["weights", "aggregate"], "first_order": [0.1, 0.5],
    ...                   "total": [0.2, 0.7]})
    >>> ax = plot_sensitivity(t)
    >>> [round(float(b.get_width()), 2) for b in ax.containers[0]]
    [0.5, 0.1]
    """
    t = check_frame(
        indices,
        "indices",
        ["input", "first_order", "total"],
        optional=["total_q05", "total_q95"],
        numeric=["first_order", "total", "total_q05", "total_q95"],
        unique_index=False,
    )
    t = t.sort_values("total", ascending=False, kind="stable")
    first = np.clip(np.nan_to_num(values(t, "first_order")), 0, None)
    total = np.clip(np.nan_to_num(values(t, "total")), 0, None)
    first = np.minimum(first, total)
    inter = total - first
    ax = new_axes(ax)
    y = np.arange(len(t))
    ax.barh(y, first, color=PALETTE["country"], label="first order (alone)")
    ax.barh(y, inter, left=first, color=PALETTE["peer"], label="interactions")
    if {"total_q05", "total_q95"} <= set(t.columns):
        lo = np.clip(values(t, "total_q05"), 0, None)
        hi = np.clip(values(t, "total_q95"), 0, None)
        ok = np.isfinite(lo) & np.isfinite(hi)
        ax.errorbar(
            total[ok],
            y[ok],
            xerr=np.vstack(
                [np.clip(total[ok] - lo[ok], 0, None), np.clip(hi[ok] - total[ok], 0, None)]
            ),
            fmt="none",
            ecolor=PALETTE["text"],
            capsize=3,
            lw=1,
            label="total: bootstrap 5–95%",
        )
    ax.set_yticks(y, [wrap_label(s, 24) for s in t["input"].astype(str)])
    ax.invert_yaxis()
    ax.set_xlim(0, max(1.0, float(np.nanmax(np.append(total, 0))) * 1.05))
    ax.set_xlabel("Share of the variance of the mean rank shift (sensitivity index, 0–1)")
    ax.legend(loc="lower right", frameon=False, fontsize=8)
    return finish(ax, title or "Sensitivity of the ranks to each assumption")
