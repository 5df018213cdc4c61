"""Imports shared by every batch worker, done once in the fork server that forks them.

:func:`innolab.report.batch.run_batch` asks multiprocessing's ``forkserver`` to import this
module; each worker is then forked from that process with papermill, nbconvert, nbformat,
jupyter_client and pandas already imported (about 3 s of imports per worker otherwise).
Inside the fork server (and only there) the 1.4 s ``rfc3987_syntax`` import is skipped, see
:func:`innolab.report.kernels.block_slow_imports`. Workers do no numerical work themselves
(kernels do, with one BLAS thread each), so NumPy's thread settings here do not matter.
"""

from __future__ import annotations

import sys

from .kernels import block_slow_imports

__all__: list[str] = []

if sys.argv[:1] == ["-c"] and "multiprocessing.forkserver" in sys.modules:
    block_slow_imports()

import jupyter_client.manager  # noqa: E402, F401
import nbclient  # noqa: E402, F401
import nbconvert  # noqa: E402, F401
import nbformat  # noqa: E402, F401
import papermill  # noqa: E402, F401

from . import batch, publish, run  # noqa: E402, F401
