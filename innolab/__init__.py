"""innolab: a research workbench for national ICT-centric (digital) innovation ecosystems.

Loaders turn public indicator sources into one tidy, provenance-tracked panel; the scoring
engine builds composite indices the OECD/JRC way; analysis and reports turn builds into country
studies.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import (
    ComputationError,
    CoverageError,
    DataFileError,
    FrameworkError,
    IncompleteDataError,
    InnolabError,
    NetworkError,
    ParameterError,
    SpecError,
    UnknownCountryError,
    UnknownMethodError,
)

__all__ = [
    "__version__",
    "InnolabError",
    "DataFileError",
    "IncompleteDataError",
    "FrameworkError",
    "SpecError",
    "UnknownMethodError",
    "ParameterError",
    "UnknownCountryError",
    "CoverageError",
    "NetworkError",
    "ComputationError",
]
