"""Charts for Digital Innovation Profiles (matplotlib), one function per chart.

Every ``plot_*`` function takes plain pandas tables with a documented shape (the natural output
of an analysis step), draws on ``ax`` or on a new report-size figure (8 x 4.5 in), and returns
the Axes. None of them saves or shows a figure, and none changes global matplotlib settings:
each draws inside :func:`plot_style`. Colours come from :data:`PALETTE` (Okabe-Ito, safe for
colour-vision deficiencies); 0-100 scores and 1-5 ratings use one fixed sequential colour map.
Missing values are always shown as missing ("no data", "n/a", hatching, broken lines), never as
zero, and a malformed table raises :class:`~innolab.errors.ParameterError` naming the argument
and the missing or bad column.

=============================  ===============================================================
function                       input table (rows; required columns)
=============================  ===============================================================
plot_pillar_radar              pillars; score, peer_median [, frontier, name]
plot_pillar_bars               pillars; score [, q05, q95, peer_median, name]
plot_strengths_weaknesses      indicators; flag, percentile or rank [, name]
plot_gaps                      pillars/indicators; one or more of peer_median, peer_best,
                               frontier, target (gap, country minus reference)
plot_rank_intervals            units (ISO3); nominal, q05, q95 [, median, name]
plot_index_vs_gdp              units; score, gdp_per_capita [, name]
plot_group_distributions       units; group, score
plot_pillar_heatmap            units or groups x pillar codes (wide) [, name]
plot_trends                    years; value [, group_median, group_q25, group_q75, data_year]
plot_rating_grid               long (stakeholder, enabler, rating [, iso3, year]) or wide
                               (stakeholder codes x enabler codes)
plot_sensitivity               assumptions; input, first_order, total [, total_q05, total_q95]
=============================  ===============================================================
"""

from __future__ import annotations

from ._common import (
    FIGSIZE,
    OKABE_ITO,
    PALETTE,
    SCORE_CMAP,
    STYLE,
    apply_style,
    plot_style,
    render_png,
    wrap_label,
)
from .benchmark import (
    plot_group_distributions,
    plot_index_vs_gdp,
    plot_rank_intervals,
    plot_trends,
)
from .grids import plot_pillar_heatmap, plot_rating_grid
from .profile import (
    plot_gaps,
    plot_pillar_bars,
    plot_pillar_radar,
    plot_strengths_weaknesses,
)
from .sensitivity import plot_sensitivity

__all__ = [
    "PALETTE",
    "OKABE_ITO",
    "SCORE_CMAP",
    "STYLE",
    "FIGSIZE",
    "apply_style",
    "plot_style",
    "wrap_label",
    "render_png",
    "plot_pillar_radar",
    "plot_pillar_bars",
    "plot_strengths_weaknesses",
    "plot_gaps",
    "plot_rank_intervals",
    "plot_index_vs_gdp",
    "plot_group_distributions",
    "plot_pillar_heatmap",
    "plot_trends",
    "plot_rating_grid",
    "plot_sensitivity",
]
