"""Run one parameterised notebook with papermill, safely.

What this adds to ``papermill.execute_notebook``:

* **Parameters are checked before any kernel starts** against ``papermill.inspect_notebook``
  (unknown names are a :class:`~innolab.errors.ParameterError` naming them), and an optional
  ``validate`` hook may reject values (e.g. an unknown ISO3 code).
* **Values arrive exactly.** Parameters go to papermill as a Python dict, never through its
  CLI, whose ``-p``/``-y`` parsing turns ``NA`` into NaN, ``NO`` into False and ``0404`` into
  260 (pitfalls P5, P6).
* **Always a kernel timeout and a wall-clock limit** (P8): ``timeout`` is both nbclient's
  per-cell limit and, through a watchdog that kills the kernel, the limit for the whole
  notebook.
* **Typed failures.** A cell error, a dead kernel, a timeout and a failed kernel start each
  become a :class:`NotebookError` whose ``kind`` says which, with the exception name and
  message of a failing cell (P7).
* **Atomic output.** The executed notebook is written to a temporary file and renamed, so a
  truncated notebook never exists under its final name.
* **IPC transport** for kernels (no TCP port race, no "unencrypted TCP" warning: P1, P13);
  ``kernel_name`` defaults to ``python3`` whatever the notebook's metadata says (P3); the
  runner never exports ``MPLBACKEND`` to kernels (P11).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from ..errors import InnolabError, ParameterError
from ..io import atomic_write

__all__ = [
    "NotebookError",
    "Template",
    "load_template",
    "parse_notebook",
    "notebook_parameters",
    "check_parameters",
    "execute",
    "write_notebook",
    "run_notebook",
]

#: ``NotebookError.kind`` values.
CELL_ERROR = "cell error"
DEAD_KERNEL = "dead kernel"
TIMEOUT = "timeout"
KERNEL_START = "kernel start"
WRITE_ERROR = "write error"
INTERNAL = "internal error"


class NotebookError(InnolabError):
    """A notebook did not run to the end.

    Attributes
    ----------
    kind : str
        ``"cell error"``, ``"dead kernel"``, ``"timeout"``, ``"kernel start"``,
        ``"write error"`` or ``"internal error"``.
    ename, evalue : str or None
        Exception name and message of the failing cell (cell errors only).
    notebook : NotebookNode or None
        The partly executed notebook when papermill produced one (cell errors).
    """

    def __init__(
        self,
        kind: str,
        detail: str,
        *,
        name: str | None = None,
        ename: str | None = None,
        evalue: str | None = None,
        cell: int | None = None,
        notebook: Any = None,
    ):
        self.kind = kind
        self.detail = detail
        self.name = name
        self.ename = ename
        self.evalue = evalue
        self.cell = cell
        self.notebook = notebook
        where = f"{name}: " if name else ""
        super().__init__(f"{where}{kind}: {detail}")


class Template:
    """A notebook template read once: its text, node, SHA-256 and declared parameters."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path).resolve()
        try:
            self.text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ParameterError("template", f"notebook {str(path)!r} not found") from None
        except UnicodeDecodeError as exc:
            raise _not_utf8(path, exc) from None
        except OSError as exc:
            raise ParameterError("template", f"cannot read {str(path)!r}: {exc}") from None
        self.sha256 = hashlib.sha256(self.text.encode("utf-8")).hexdigest()
        self._parameters: dict[str, dict[str, Any]] | None = None

    @classmethod
    def from_text(cls, path: str | os.PathLike, text: str) -> Template:
        """A template from its text (as shipped to a worker), named by ``path``."""
        tpl = cls.__new__(cls)
        tpl.path = Path(path)
        tpl.text = text
        tpl.sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
        tpl._parameters = None
        return tpl

    def node(self):
        """A fresh ``NotebookNode`` (papermill mutates what it is given)."""
        return parse_notebook(self.text, self.path)

    @property
    def parameters(self) -> dict[str, dict[str, Any]]:
        """``{name: {"default": ..., "inferred_type_name": ..., "help": ...}}`` per parameter."""
        if self._parameters is None:
            self._parameters = notebook_parameters(self.path)
        return self._parameters


def _not_utf8(path: str | os.PathLike, exc: UnicodeDecodeError) -> ParameterError:
    # the decoder's own message quotes the bad bytes: only their position is shown
    return ParameterError(
        "notebook",
        f"{str(path)!r} is not a valid Jupyter notebook: not UTF-8 text (byte {exc.start})",
    )


def parse_notebook(text: str, path: str | os.PathLike):
    """``text`` as a ``NotebookNode`` (nbformat 4), or a :class:`ParameterError` naming ``path``.

    The error says why the file is not a valid Jupyter notebook (not JSON, with the line and
    column; not a notebook document; an nbformat error, by its type) but never quotes the
    file's content: a template path may point at any file, and nbformat's and papermill's
    own messages include its first bytes.
    """
    import nbformat

    where = f"{str(path)!r} is not a valid Jupyter notebook"
    try:
        doc = json.loads(text)
    except ValueError as exc:
        line, col = getattr(exc, "lineno", "?"), getattr(exc, "colno", "?")
        raise ParameterError("notebook", f"{where}: not JSON (line {line}, column {col})") from None
    if not isinstance(doc, dict) or "cells" not in doc or "nbformat" not in doc:
        raise ParameterError(
            "notebook", f"{where}: a JSON document without the 'cells' and 'nbformat' keys"
        )
    try:
        return nbformat.reads(text, as_version=4)
    except Exception as exc:  # nbformat raises several unrelated types; messages quote content
        raise ParameterError(
            "notebook", f"{where}: nbformat cannot read it ({type(exc).__name__})"
        ) from None


def load_template(template: str | os.PathLike | Template) -> Template:
    """Return ``template`` as a :class:`Template` (reading the file once)."""
    return template if isinstance(template, Template) else Template(template)


def notebook_parameters(path: str | os.PathLike) -> dict[str, dict[str, Any]]:
    """The parameters declared in the ``parameters``-tagged cell, via papermill's inspector.

    The file is first parsed with :func:`parse_notebook`, so that a file that is not a
    notebook is reported as such (papermill's message would quote the file's first bytes).
    """
    import papermill

    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise _not_utf8(path, exc) from None
    except OSError as exc:
        raise ParameterError("template", f"cannot read {str(path)!r}: {exc}") from None
    parse_notebook(text, path)
    try:
        found = papermill.inspect_notebook(str(path))
    except Exception as exc:  # papermill raises plain exceptions for unreadable notebooks
        raise ParameterError("template", f"cannot inspect {str(path)!r}: {exc}") from None
    return {name: dict(info) for name, info in found.items()}


def check_parameters(
    template: Template,
    param_sets: Iterable[Mapping[str, Any]],
    *,
    validate: Callable[[Mapping[str, Any]], Any] | None = None,
) -> None:
    """Refuse unknown parameter names (all of them, in one error) and values ``validate`` rejects.

    ``validate`` is called once per parameter set; it raises an
    :class:`~innolab.errors.InnolabError` (e.g. ``UnknownCountryError``) or returns False to
    reject the set.
    """
    declared = template.parameters
    if not declared:
        raise ParameterError(
            "template", f"{template.path.name} has no cell tagged 'parameters' (or it is empty)"
        )
    sets = [dict(p) for p in param_sets]
    unknown = sorted({name for params in sets for name in params if name not in declared})
    if unknown:
        raise ParameterError(
            ", ".join(unknown),
            f"not a parameter of {template.path.name}; it declares: {', '.join(declared)}",
        )
    if validate is not None:
        for params in sets:
            if validate(params) is False:
                shown = ", ".join(f"{k}={v!r}" for k, v in params.items())
                raise ParameterError("params", f"rejected by the validator: {shown}")


class _Watchdog:
    """Kills the kernel's process group when a notebook exceeds its wall-clock limit."""

    def __init__(self, seconds: float | None):
        self.seconds = seconds
        self.fired = False
        self._proc = None
        self._timer: threading.Timer | None = None

    def launched(self, proc) -> None:
        self._proc = proc
        if self.seconds:
            self._timer = threading.Timer(self.seconds, self._fire)
            self._timer.daemon = True
            self._timer.start()

    def _fire(self) -> None:
        proc = self._proc
        if proc is None or proc.poll() is not None:
            return
        self.fired = True
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            proc.kill()

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()


def _first_line(text: str | None, limit: int = 300) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _classify(
    exc: BaseException, watchdog: _Watchdog, timeout: float | None, name: str | None = None
) -> NotebookError:
    """Turn whatever papermill/nbclient raised into a :class:`NotebookError`."""
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    if watchdog.fired:
        return NotebookError(
            TIMEOUT, f"notebook ran longer than {timeout:g} s; kernel stopped", name=name
        )
    if isinstance(exc, PapermillExecutionError):
        return NotebookError(
            CELL_ERROR,
            f"{exc.ename}: {_first_line(exc.evalue)}" if exc.evalue else str(exc.ename),
            ename=exc.ename,
            evalue=exc.evalue,
            cell=exc.cell_index,
            name=name,
        )
    if isinstance(exc, CellTimeoutError | TimeoutError):
        return NotebookError(TIMEOUT, f"a cell ran longer than {timeout:g} s", name=name)
    if isinstance(exc, DeadKernelError):
        return NotebookError(
            DEAD_KERNEL, "the kernel died (killed by a signal, crash or out of memory)", name=name
        )
    if isinstance(exc, RuntimeError) and "Kernel" in str(exc):
        return NotebookError(KERNEL_START, _first_line(str(exc)), name=name)
    if isinstance(exc, OSError):
        return NotebookError(WRITE_ERROR, f"{exc}", name=name)
    return NotebookError(INTERNAL, f"{type(exc).__name__}: {_first_line(str(exc))}", name=name)


def execute(
    template: Template,
    params: Mapping[str, Any],
    *,
    kernel_name: str = "python3",
    timeout: float | None = 600,
    start_timeout: float = 60,
    kernel_manager_class: type | None = None,
    km: Any = None,
    workdir: str | os.PathLike | None = None,
    name: str | None = None,
):
    """Execute ``template`` with ``params``; return the executed ``NotebookNode``.

    The kernel is either started here from ``kernel_manager_class`` (default: a fresh IPC
    kernel) or given as ``km``, an already launched kernel manager (the batch runner's
    pre-spawned kernel), which is stopped afterwards in both cases. Nothing is written under a
    final name: papermill writes into a private temporary folder that is removed afterwards.
    Raises :class:`NotebookError` on any failure.
    """
    import nbformat
    import papermill

    from .kernels import ipc_kernel_manager_class, kernel_process, remove_ipc_dir, stop_kernel

    own_class = kernel_manager_class is None and km is None
    watchdog = _Watchdog(timeout + 5 if timeout else None)  # nbclient's cell limit acts first
    if km is not None:
        engine_kwargs: dict[str, Any] = {"km": km}
        km_class = None
        if kernel_process(km) is not None:
            watchdog.launched(kernel_process(km))
    else:
        km_class = kernel_manager_class or ipc_kernel_manager_class(None)
        km_class = type(
            "WatchedKernelManager", (km_class,), {"on_launch": staticmethod(watchdog.launched)}
        )
        engine_kwargs = {"kernel_manager_class": km_class, "shutdown_kernel": "immediate"}
    tmpdir = tempfile.mkdtemp(prefix="innolab-nb-", dir=workdir)
    tmp_out = os.path.join(tmpdir, "executed.ipynb")
    # P11: kernels choose the inline backend. A kernel started here inherits this environment,
    # so MPLBACKEND is left out while it starts (a given ``km`` was started without it).
    env_backend = os.environ.pop("MPLBACKEND", None) if km is None else None
    t0 = time.perf_counter()
    try:
        nb = papermill.execute_notebook(
            template.node(),
            tmp_out,
            parameters=dict(params),
            kernel_name=kernel_name,
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=False,
            start_timeout=start_timeout,
            execution_timeout=timeout,
            **engine_kwargs,
        )
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        err = _classify(exc, watchdog, timeout, name or template.path.name)
        if err.kind == CELL_ERROR and os.path.exists(tmp_out):
            with contextlib.suppress(Exception):
                err.notebook = nbformat.read(tmp_out, as_version=4)
        raise err from exc
    finally:
        watchdog.cancel()
        if km is not None:
            stop_kernel(km)
        if env_backend is not None:
            os.environ["MPLBACKEND"] = env_backend
        with contextlib.suppress(OSError):
            os.unlink(tmp_out)
        with contextlib.suppress(OSError):
            os.rmdir(tmpdir)
        if own_class:
            remove_ipc_dir(km_class)
    nb.metadata.setdefault("papermill", {})
    nb.metadata.papermill["input_path"] = str(template.path)
    nb.metadata.papermill["output_path"] = None
    nb.metadata.setdefault("innolab", {})
    nb.metadata.innolab["template_sha256"] = template.sha256
    nb.metadata.innolab["seconds"] = round(time.perf_counter() - t0, 3)
    return nb


def write_notebook(nb, out: str | os.PathLike) -> Path:
    """Write ``nb`` to ``out`` atomically (temporary file, fsync, rename)."""
    import nbformat

    out = Path(out)
    with atomic_write(out) as fh:
        nbformat.write(nb, fh)
    return out


def run_notebook(
    template: str | os.PathLike | Template,
    params: Mapping[str, Any],
    out_ipynb: str | os.PathLike,
    *,
    kernel_name: str = "python3",
    timeout: float | None = 600,
    start_timeout: float = 60,
    validate: Callable[[Mapping[str, Any]], Any] | None = None,
) -> Path:
    """Validate ``params``, execute ``template`` in a fresh kernel, write ``out_ipynb`` atomically.

    Parameters
    ----------
    template : path or Template
        The notebook; its first code cell is tagged ``parameters``.
    params : mapping
        Parameter values, passed to the kernel exactly as given (``"NA"`` stays ``"NA"``).
    out_ipynb : path
        The executed notebook. Written only when every cell succeeded.
    kernel_name : str
        Kernelspec to run, whatever the notebook's metadata says.
    timeout : float
        Seconds allowed per cell and for the whole notebook; None disables (not advised).
    start_timeout : float
        Seconds allowed for the kernel to start.
    validate : callable, optional
        ``validate(params)`` raises an ``InnolabError`` or returns False to reject values.

    Returns the output path. Raises :class:`~innolab.errors.ParameterError` before any kernel
    starts, and :class:`NotebookError` when the notebook fails (nothing is written then).
    """
    tpl = load_template(template)
    check_parameters(tpl, [params], validate=validate)
    out = Path(out_ipynb)
    nb = execute(tpl, params, kernel_name=kernel_name, timeout=timeout, start_timeout=start_timeout)
    try:
        return write_notebook(nb, out)
    except OSError as exc:
        raise NotebookError(WRITE_ERROR, f"{out}: {exc}") from exc
