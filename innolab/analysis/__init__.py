"""Analysis of a build: coherence, uncertainty and sensitivity, peers and gaps, profiles, what-if,
links, expert ratings.

Pure functions over plain pandas objects (``scores``: units x node codes; ``raw``/``values``:
units x indicators in their own units) and a :class:`~innolab.framework.Framework`; the
wrappers in :mod:`innolab.analysis.builds` take a pipeline Build instead.
"""

from __future__ import annotations

from .builds import (
    GDP_PER_CAPITA,
    BuildInputs,
    analysis_tables,
    build_frames,
    build_inputs,
    close_gap_build,
    coherence_tables,
    export_analysis,
    gaps_for,
    own_values,
    refit_with,
    strengths_for,
    what_if_build,
)
from .coherence import (
    PCAResult,
    coherence_flags,
    corr_matrix,
    correlation,
    correlation_weights,
    correlations,
    cronbach_alpha,
    cronbach_by_aggregate,
    get_corr,
    pca,
    pca_by_aggregate,
)
from .export import COLUMN_UNITS, column_units, export_tables, flatten_spec, sheet_names
from .gaps import REFERENCES, gaps
from .links import gdp_residuals, index_correlations, scores_from_tidy, three_engines
from .peers import GROUPINGS, get_classification, nearest_peers, peer_group, resolve_peers
from .profile import (
    PERFORMANCE_GROUPS,
    maturity_bands,
    peer_strengths_weaknesses,
    percentile_ranks,
    performance_group,
    performance_groups,
    rank_units,
    str_weak_coinr,
    strengths_weaknesses,
    trends,
)
from .ratings import (
    BAND_WIDTH,
    check_ratings,
    enabler_pillars,
    expert_vs_data,
    rating_to_points,
    ratings_grid,
    ratings_summary,
)
from .uncertainty import (
    UncertainInput,
    UncertaintyResult,
    default_vary,
    parse_vary,
    uncertainty_analysis,
)
from .whatif import (
    AGGREGATORS,
    FixedBoundsModel,
    GapPlan,
    WhatIfResult,
    aggregate_scores,
    close_gap,
    goal_score,
    what_if,
)

__all__ = [
    # coherence
    "correlation",
    "corr_matrix",
    "get_corr",
    "correlations",
    "coherence_flags",
    "cronbach_alpha",
    "cronbach_by_aggregate",
    "PCAResult",
    "pca",
    "pca_by_aggregate",
    "correlation_weights",
    # peers and gaps
    "GROUPINGS",
    "get_classification",
    "peer_group",
    "nearest_peers",
    "resolve_peers",
    "REFERENCES",
    "gaps",
    # profile
    "rank_units",
    "percentile_ranks",
    "strengths_weaknesses",
    "str_weak_coinr",
    "peer_strengths_weaknesses",
    "PERFORMANCE_GROUPS",
    "performance_group",
    "performance_groups",
    "maturity_bands",
    "trends",
    # uncertainty and sensitivity
    "UncertainInput",
    "UncertaintyResult",
    "default_vary",
    "parse_vary",
    "uncertainty_analysis",
    # what-if
    "AGGREGATORS",
    "aggregate_scores",
    "FixedBoundsModel",
    "WhatIfResult",
    "what_if",
    "goal_score",
    "GapPlan",
    "close_gap",
    # links
    "scores_from_tidy",
    "index_correlations",
    "gdp_residuals",
    "three_engines",
    # ratings
    "BAND_WIDTH",
    "rating_to_points",
    "check_ratings",
    "ratings_summary",
    "ratings_grid",
    "enabler_pillars",
    "expert_vs_data",
    # export
    "COLUMN_UNITS",
    "column_units",
    "sheet_names",
    "flatten_spec",
    "export_tables",
    # on a Build
    "BuildInputs",
    "build_inputs",
    "own_values",
    "GDP_PER_CAPITA",
    "analysis_tables",
    "export_analysis",
    "build_frames",
    "coherence_tables",
    "gaps_for",
    "strengths_for",
    "what_if_build",
    "close_gap_build",
    "refit_with",
]
