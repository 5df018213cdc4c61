"""The scoring engine: stage verbs, method registries, tidy-to-wide selection and the pipeline.

Stage verbs are pure functions over wide DataFrames (rows = units, columns = indicator codes)
returning :class:`StageResult`; :func:`build` applies a :class:`Spec` (plain data) to data and a
framework and returns a :class:`Build` with every stage table, scores, ranks and the audit.

>>> import innolab.scoring as sc
>>> "minmax" in sc.NORMALISERS.names() and "arithmetic" in sc.AGGREGATORS.names()
True
"""

from __future__ import annotations

from .aggregate import aggregate, aggregate_arrays, compile_plan
from .denominate import denominate
from .impute import impute
from .normalise import Bounds, apply_bounds, fit_bounds, normalise
from .pipeline import (
    COINR_ASEM_SPEC,
    DEFAULT_SPEC,
    STAGES,
    TABLE_STAGES,
    Build,
    ScoreReport,
    Spec,
    Step,
    build,
    score_files,
)
from .rank import rank
from .registry import (
    AGGREGATORS,
    IMPUTERS,
    NORMALISERS,
    REGISTRIES,
    TREATMENTS,
    WEIGHTINGS,
    Registry,
)
from .result import StageResult
from .screen import screen
from .select import Selection, select, select_panel
from .treat import treat, treatment_points
from .weights import effective_weights, equal_weights, explicit_weights, noisy_weights, pca_weights

__all__ = [
    # verbs
    "denominate",
    "impute",
    "screen",
    "treat",
    "treatment_points",
    "normalise",
    "fit_bounds",
    "apply_bounds",
    "Bounds",
    "aggregate",
    "aggregate_arrays",
    "compile_plan",
    "rank",
    "equal_weights",
    "explicit_weights",
    "pca_weights",
    "noisy_weights",
    "effective_weights",
    "StageResult",
    # registries
    "Registry",
    "IMPUTERS",
    "TREATMENTS",
    "NORMALISERS",
    "WEIGHTINGS",
    "AGGREGATORS",
    "REGISTRIES",
    # selection and pipeline
    "Selection",
    "select",
    "select_panel",
    "Spec",
    "Step",
    "Build",
    "build",
    "score_files",
    "ScoreReport",
    "STAGES",
    "TABLE_STAGES",
    "DEFAULT_SPEC",
    "COINR_ASEM_SPEC",
]
