"""Country studies: run parameterised notebooks in parallel and publish them as HTML.

* :func:`run_notebook` runs one template with exact parameters, atomically.
* :func:`run_batch` runs one per country on worker processes (or a Dask cluster), resumably,
  with kernels forked from a pre-imported zygote (fast and isolated; see
  :mod:`innolab.report.kernels`), and publishes each as HTML.
* :mod:`innolab.report.publish` renders reports, the sortable index, regional pages and PDFs.
"""

from __future__ import annotations

from .batch import BatchSummary, Task, TaskResult, inputs_hash, read_manifest, run_batch
from .publish import (
    notebook_to_html,
    report_context,
    to_pdf,
    write_assets,
    write_index,
    write_region_page,
    write_report_html,
)
from .run import NotebookError, Template, check_parameters, run_notebook

__all__ = [
    "run_notebook",
    "run_batch",
    "check_parameters",
    "Template",
    "Task",
    "TaskResult",
    "BatchSummary",
    "NotebookError",
    "inputs_hash",
    "read_manifest",
    "notebook_to_html",
    "write_report_html",
    "report_context",
    "write_assets",
    "write_index",
    "write_region_page",
    "to_pdf",
]
