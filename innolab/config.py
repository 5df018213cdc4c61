"""Paths in one place.

Every function that reads or writes project files takes a path argument whose default comes
from here; CLI options override it. ``INNOLAB_ROOT`` moves the whole project tree and
``INNOLAB_SHARED`` points at the shared reference folder (default ``<root>/../shared``).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "PROJECT_ROOT",
    "RAW_DIR",
    "PROCESSED_DIR",
    "REPORTS_DIR",
    "NOTEBOOKS_DIR",
    "TEMPLATES_DIR",
    "DEMO_DIR",
    "SHARED_DIR",
    "PACKAGE_DATA_DIR",
    "FRAMEWORKS_DIR",
]

PACKAGE_DIR = Path(__file__).resolve().parent
PACKAGE_DATA_DIR = PACKAGE_DIR / "data"
FRAMEWORKS_DIR = PACKAGE_DIR / "frameworks"

PROJECT_ROOT = Path(os.environ.get("INNOLAB_ROOT", PACKAGE_DIR.parent)).resolve()
RAW_DIR = PROJECT_ROOT / "data" / "raw"
PROCESSED_DIR = PROJECT_ROOT / "data" / "processed"
DEMO_DIR = RAW_DIR / "demo"
REPORTS_DIR = PROJECT_ROOT / "reports"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
TEMPLATES_DIR = NOTEBOOKS_DIR / "templates"
SHARED_DIR = Path(os.environ.get("INNOLAB_SHARED", PROJECT_ROOT.parent / "shared")).resolve()
