"""Run one notebook template per country in parallel, resumably, and publish each as HTML.

Design (and why)
----------------
* **Validate first.** Every parameter set is checked against the template's ``parameters``
  cell (``papermill.inspect_notebook``) and the caller's ``validate`` hook, and every output
  name against :func:`innolab.io.safe_name`, before any worker or kernel starts.
* **Worker processes, warm but isolated kernels.** ``jobs`` worker processes, BLAS pinned to
  one thread each (pitfall P15), are forked from multiprocessing's fork server, which imported
  papermill, nbconvert and pandas once (:mod:`innolab.report._preload`; the 1.4 s
  ``rfc3987_syntax`` import is skipped, P12). Kernels come from one kernel *zygote* per batch
  (:mod:`innolab.report.kernels`): a process that imported ipykernel, pandas, matplotlib and
  seaborn once. Each notebook runs in a kernel forked from it: a fresh process that never saw
  another country, so globals, rcParams, module attributes, environment and cwd cannot leak
  (tested), yet start-up costs a fork instead of ~3 s of interpreter start and imports
  (``shared/JUPYTER-NOTES.md`` §2). While a country runs, its worker already forks the kernel
  for the next one, so kernel start-up (about 0.2 s, mostly waiting for the handshake) is
  hidden too; each kernel still serves exactly one notebook. We chose this over reusing one
  kernel with ``%reset`` (leaks module state; one crash takes the following countries with it)
  and over pre-spawning *fresh* kernels (hides latency, but on 2 busy cores does not remove the
  CPU cost of ~3 s of imports per country). Workers never export ``MPLBACKEND`` to kernels
  (P11) and use IPC sockets (P1, P13).
* **Failures stay local.** Each country ends as ``ok`` or ``failed`` with a cause — cell error
  (exception name and message), dead kernel, timeout, kernel start, write error (e.g. disk
  full) — and the others go on. The summary names each failure; the CLI exits non-zero.
* **Atomic outputs and a manifest per country.** ``<name>.ipynb`` and ``<name>.html`` are written
  to temporary files and renamed, then ``<name>.manifest.json`` (also atomic) records the hash
  of the inputs (template content, parameters, data-file hashes, innolab version and the
  fingerprint of innolab's source files (:func:`code_fingerprint`: a code change redoes the
  reports), kernel and publishing options), the SHA-256 of each output and the status. A
  killed run therefore leaves complete files or none, and ``resume=True`` redoes exactly the countries whose
  manifest is missing, failed, out of date or whose outputs no longer match their hashes.
  Reruns are idempotent. The failed notebook, when there is one, is kept as
  ``<name>.failed.ipynb`` for inspection.
* **Killing the runner kills its work.** The zygote and its kernels ask Linux to ``SIGKILL``
  them when their parent dies, and each worker watches the runner's pid (a pidfd), so a
  ``kill -9`` of the runner leaves no orphan that could still write (tested); temporary files
  left behind are removed by the next run, which holds an exclusive lock on the output folder.
* **Dask.** ``executor="dask"`` sends the same per-country task to an existing cluster
  (``dask.distributed.Client(scheduler)``); each Dask worker thread keeps a zygote of its own.
  Output folders must be on a file system the workers share.
* **Scripts** that call :func:`run_batch` need the usual ``if __name__ == "__main__":`` guard,
  as with any multiprocessing code (workers import the main module).
* **Readable progress.** A tqdm bar on a terminal; otherwise one line per finished country,
  so CI logs stay readable (P4).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import InnolabError, ParameterError, UnknownCountryError, near_matches
from ..io import atomic_write, safe_name
from .kernels import DEFAULT_PRELOAD
from .run import (
    INTERNAL,
    WRITE_ERROR,
    NotebookError,
    Template,
    check_parameters,
    load_template,
)

__all__ = [
    "Task",
    "TaskResult",
    "BatchSummary",
    "BatchLockedError",
    "run_batch",
    "inputs_hash",
    "code_fingerprint",
    "read_manifest",
    "BLAS_ENV",
    "resolve_template",
    "resolve_countries",
    "run_country_batch",
]

#: Environment given to worker processes: one BLAS/OpenMP thread each (P15).
BLAS_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

_MANIFEST_VERSION = 1
_LOCK_NAME = ".innolab-batch.lock"


@dataclasses.dataclass(frozen=True)
class Task:
    """One notebook to run: output ``name``, its ``params`` and optionally its own template."""

    name: str
    params: Mapping[str, Any]
    template: str | os.PathLike | None = None


@dataclasses.dataclass
class TaskResult:
    """How one country ended: ``status`` is ``"ok"``, ``"failed"`` or ``"skipped"`` (up to date)."""

    name: str
    status: str
    kind: str | None = None
    message: str | None = None
    seconds: float = 0.0
    outputs: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status in ("ok", "skipped")

    def line(self) -> str:
        if self.status == "failed":
            return f"{self.name}: FAILED ({self.kind}: {self.message})"
        if self.status == "skipped":
            return f"{self.name}: up to date"
        return f"{self.name}: ok ({self.seconds:.1f} s)"


@dataclasses.dataclass
class BatchSummary:
    """The outcome of :func:`run_batch`, in the order the tasks were given."""

    results: list[TaskResult]
    out_dir: Path
    seconds: float

    @property
    def succeeded(self) -> list[TaskResult]:
        return [r for r in self.results if r.status == "ok"]

    @property
    def skipped(self) -> list[TaskResult]:
        return [r for r in self.results if r.status == "skipped"]

    @property
    def failed(self) -> list[TaskResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def exit_code(self) -> int:
        """0 when every country has its report, 1 otherwise (the CLI's exit status)."""
        return 0 if self.ok else 1

    def __getitem__(self, name: str) -> TaskResult:
        for r in self.results:
            if r.name == name:
                return r
        raise KeyError(name)

    def __str__(self) -> str:
        n = len(self.results)
        head = (
            f"{n} notebook{'s' if n != 1 else ''} in {self.seconds:.1f} s: "
            f"{len(self.succeeded)} ran, {len(self.skipped)} up to date, {len(self.failed)} failed"
        )
        lines = [head]
        for r in self.failed:
            lines.append(f"  {r.name}: {r.kind}: {r.message}")
        if self.failed:
            lines.append(f"  rerun with resume to redo only these (outputs in {self.out_dir})")
        return "\n".join(lines)


class BatchLockedError(InnolabError):
    """Another batch is writing into the same output folder."""


# --------------------------------------------------------------------------------------------
# inputs, hashes, manifests


def _jsonable(value: Any) -> Any:
    """Parameters as JSON with their types kept apart ("1" vs 1 vs 1.0 vs True)."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return {"int": str(value)}
    if isinstance(value, float):
        return {"float": repr(value)}
    if isinstance(value, Mapping):
        return {"dict": [[str(k), _jsonable(v)] for k, v in sorted(value.items(), key=str)]}
    if isinstance(value, list | tuple):
        return {type(value).__name__: [_jsonable(v) for v in value]}
    return {type(value).__name__: repr(value)}


#: File kinds of the innolab package whose content can change what a notebook produces:
#: code, shipped frameworks and data, report templates and style sheets.
_CODE_SUFFIXES = (".py", ".yaml", ".yml", ".csv", ".json", ".j2", ".tpl", ".css", ".html")


def code_fingerprint(root: str | os.PathLike | None = None) -> str:
    """SHA-256 of the innolab package's source: every code, data and template file, by path.

    Reports are produced by the template *and* by the library code its cells call
    (``innolab.studies``, ``innolab.plots``...), so ``resume`` must redo a report when that
    code changed, even without a version bump (a development install, a hot fix). Files are
    hashed in sorted relative-path order (``__pycache__`` and hidden folders skipped), so the
    fingerprint is the same on every machine with the same sources. Computed once per process
    for the installed package (about 10 ms).

    Parameters
    ----------
    root : path, optional
        The package folder to fingerprint (default: the installed ``innolab`` package).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "a.py").write_text("x = 1")
    >>> before = code_fingerprint(d)
    >>> _ = (d / "a.py").write_text("x = 2")
    >>> before == code_fingerprint(d)
    False
    """
    if root is None:
        return _package_fingerprint()
    return _fingerprint(Path(root))


def _fingerprint(root: Path) -> str:
    digest = hashlib.sha256()
    files = []
    for path in root.rglob("*"):
        rel = path.relative_to(root)
        if any(part == "__pycache__" or part.startswith(".") for part in rel.parts):
            continue
        if path.suffix in _CODE_SUFFIXES and path.is_file():
            files.append((rel.as_posix(), path))
    for rel, path in sorted(files):
        digest.update(rel.encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


@functools.lru_cache(maxsize=1)
def _package_fingerprint() -> str:
    return _fingerprint(Path(__file__).resolve().parents[1])


def inputs_hash(
    template_sha256: str,
    params: Mapping[str, Any],
    *,
    data: Mapping[str, str] | None = None,
    options: Mapping[str, Any] | None = None,
    code: str | None = None,
) -> str:
    """SHA-256 of everything an output depends on (see :func:`run_batch`): the template, the
    parameters (types kept apart), the data files' hashes, the options, the innolab version
    and ``code``, the fingerprint of innolab's source (default :func:`code_fingerprint`).

    >>> a = inputs_hash("t", {"iso3": "NA"})
    >>> a == inputs_hash("t", {"iso3": "NA"}), a == inputs_hash("t", {"iso3": "NO"})
    (True, False)
    >>> inputs_hash("t", {"x": 1}) == inputs_hash("t", {"x": "1"})
    False
    >>> inputs_hash("t", {"x": 1}, code="a") == inputs_hash("t", {"x": 1}, code="b")
    False
    """
    from .. import __version__

    record = {
        "template_sha256": template_sha256,
        "params": _jsonable(dict(params)),
        "data": dict(sorted((data or {}).items())),
        "innolab_version": __version__,
        "innolab_code": code_fingerprint() if code is None else code,
        "options": _jsonable(dict(options or {})),
    }
    blob = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def _sha256(path: Path) -> str:
    from ..io import sha256_file

    return sha256_file(path)


def _manifest_path(out_dir: Path, name: str) -> Path:
    return out_dir / f"{name}.manifest.json"


def read_manifest(out_dir: str | os.PathLike, name: str) -> dict[str, Any] | None:
    """The manifest of output ``name`` in ``out_dir``, or None when absent or unreadable."""
    path = _manifest_path(Path(out_dir), name)
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _up_to_date(out_dir: Path, name: str, digest: str) -> bool:
    """True when the manifest says ok for these inputs and every output still matches its hash."""
    man = read_manifest(out_dir, name)
    if not man or man.get("status") != "ok" or man.get("inputs_sha256") != digest:
        return False
    outputs = man.get("outputs") or {}
    if not outputs:
        return False
    for rec in outputs.values():
        path = out_dir / rec.get("file", "")
        try:
            if not path.is_file() or _sha256(path) != rec.get("sha256"):
                return False
        except OSError:
            return False
    return True


def _readable(path: Path) -> None:
    from .publish import readable

    readable(path)


def _write_json(path: Path, record: Mapping[str, Any]) -> None:
    with atomic_write(path) as fh:
        json.dump(record, fh, indent=2, default=str)
        fh.write("\n")
    _readable(path)


# --------------------------------------------------------------------------------------------
# the per-country task (runs in a worker process: local pool or Dask)

_LOCAL = threading.local()


def _init_worker(
    env: Mapping[str, str],
    preload: Sequence[str],
    fork: bool,
    zygote: str | None = None,
    runner: int | None = None,
    ipc_root: str | None = None,
) -> None:
    """Process-pool initializer: pin BLAS, die with the runner, connect to the zygote."""
    from .kernels import block_slow_imports, set_parent_death_signal

    os.environ.update(env)
    os.environ.pop("MPLBACKEND", None)
    set_parent_death_signal()
    if runner is not None:
        _exit_with(runner)
    block_slow_imports()
    _worker_state(tuple(preload), fork, zygote, ipc_root)


def _exit_with(pid: int) -> None:
    """Leave this process as soon as process ``pid`` (the batch runner) is gone.

    Workers forked by multiprocessing's fork server are not the runner's children, so the
    parent-death signal does not cover a ``kill -9`` of the runner, and they would wait for
    work forever (each holds both ends of the task queue). A daemon thread watches the runner
    through a Linux pidfd (or polls it elsewhere) and ends the worker at once.
    """

    def watch() -> None:
        try:
            fd = os.pidfd_open(pid)
        except (AttributeError, OSError):
            fd = None
        while True:
            if fd is not None:
                import select

                select.select([fd], [], [])
                break
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            except PermissionError:
                pass
            time.sleep(0.5)
        os._exit(70)

    threading.Thread(target=watch, name="innolab-runner-watch", daemon=True).start()


def _kernel_env() -> dict[str, str]:
    """The environment kernels get: this process's, one BLAS thread, no MPLBACKEND (P11, P15).

    A copy: the caller's own environment is left as it is.
    """
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)
    for key, value in BLAS_ENV.items():
        env.setdefault(key, value)
    return env


def _worker_state(
    preload: tuple[str, ...],
    fork: bool,
    address: str | None = None,
    ipc_root: str | None = None,
):
    """This thread's zygote client and kernel-manager class (made on first use, renewed if dead).

    ``address`` is the socket of the batch's shared zygote (local pool); without it (Dask
    workers) this thread starts and owns a zygote of its own. Kernel sockets go into a
    folder of their own under ``ipc_root`` (the batch's, removed when it ends) or ``/tmp``.
    """
    import atexit

    from .kernels import Zygote, ZygoteClient, ipc_kernel_manager_class, remove_ipc_dir, stop_kernel

    state = getattr(_LOCAL, "state", None)
    key = (preload, fork, address, ipc_root)
    if state is not None and state["key"] == key:
        client = state["client"]
        if client is None or client.alive():
            return state
    if state is not None:  # the zygote died (or the settings changed): start again
        with contextlib.suppress(Exception):
            if state["spare"] is not None:
                stop_kernel(state["spare"])
        for obj in (state["client"], state["owned"]):
            with contextlib.suppress(Exception):
                if obj is not None:
                    obj.close()
    env = _kernel_env()
    owned = client = None
    if fork:
        if address is None:
            owned = Zygote(preload, env=env)
            atexit.register(owned.close, 1.0)
            address = owned.address
        client = ZygoteClient(address)
    ipc_dir = None
    if ipc_root is not None and os.path.isdir(ipc_root):
        import tempfile

        ipc_dir = tempfile.mkdtemp(prefix="w", dir=ipc_root)
    km_class = ipc_kernel_manager_class(client, ipc_dir=ipc_dir)
    atexit.register(remove_ipc_dir, km_class)
    state = {
        "key": key,
        "client": client,
        "owned": owned,
        "km_class": km_class,
        "spare": None,
        "env": env,
    }
    _LOCAL.state = state
    # multiprocessing workers leave through os._exit (no atexit); its finalizers do run
    from multiprocessing.util import Finalize

    Finalize(None, _stop_spare, args=(state,), exitpriority=20)
    return state


def _stop_spare(state: dict) -> None:
    """Stop the kernel a worker had started for a next country that never came.

    A forked spare would die with the zygote anyway; one started the normal way (no zygote)
    is this worker's child and would otherwise outlive it and log ipykernel's "Parent
    appears to have exited, shutting down" a second later.
    """
    from .kernels import stop_kernel

    km = state.get("spare")
    state["spare"] = None
    if km is not None:
        with contextlib.suppress(Exception):
            stop_kernel(km)


def _take_kernel(state: dict, kernel_name: str):
    """The pre-spawned kernel (or a new one), after launching the next country's spare.

    Launching is a fork from the zygote; the spare initialises while this country runs, so
    the next country does not wait for kernel start-up. Every kernel still serves exactly one
    notebook.
    """
    from jupyter_core.utils import run_sync

    from .kernels import start_kernel, stop_kernel

    km = state.get("spare")
    state["spare"] = None
    if km is not None and (
        getattr(km, "kernel_name", None) != kernel_name or not run_sync(km.is_alive)()
    ):
        stop_kernel(km)
        km = None
    if km is None:
        km = start_kernel(state["km_class"], kernel_name, env=state["env"])
    if state["client"] is not None:  # forked spares die with the zygote; fresh ones would not
        try:
            state["spare"] = start_kernel(state["km_class"], kernel_name, env=state["env"])
        except Exception:  # noqa: BLE001 - no spare: the next country starts its own kernel
            state["spare"] = None
    return km


def _quiet_loggers() -> None:
    import logging

    for name in ("papermill", "nbclient", "traitlets", "jupyter_client"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def _write_outputs(spec: Mapping[str, Any], nb) -> dict[str, dict[str, str]]:
    """Write ``<name>.ipynb`` and ``<name>.html`` atomically; return {kind: {file, sha256}}."""
    import nbformat

    from . import publish

    out_dir = Path(spec["out_dir"])
    name = spec["name"]
    outputs: dict[str, dict[str, str]] = {}
    nb_text = nbformat.writes(nb) + "\n"
    page = None
    if spec["html"]:
        context = dict(spec["context"])
        page = publish.notebook_to_html(nb, context)
    ipynb = out_dir / f"{name}.ipynb"
    with atomic_write(ipynb) as fh:
        fh.write(nb_text)
    _readable(ipynb)
    outputs["ipynb"] = {"file": ipynb.name, "sha256": hashlib.sha256(nb_text.encode()).hexdigest()}
    if page is not None:
        html_path = out_dir / f"{name}.html"
        with atomic_write(html_path) as fh:
            fh.write(page)
        _readable(html_path)
        outputs["html"] = {
            "file": html_path.name,
            "sha256": hashlib.sha256(page.encode()).hexdigest(),
        }
    return outputs


def _manifest(spec: Mapping[str, Any], status: str, **extra: Any) -> dict[str, Any]:
    import datetime as _dt

    from .. import __version__

    record = {
        "manifest_version": _MANIFEST_VERSION,
        "name": spec["name"],
        "status": status,
        "inputs_sha256": spec["inputs_sha256"],
        "inputs": {
            "template": spec["template_path"],
            "template_sha256": spec["template_sha256"],
            "params": json.loads(json.dumps(spec["params"], default=repr)),
            "data": spec["data"],
            "innolab_version": __version__,
            "innolab_code": spec.get("code"),
            "options": spec["options"],
        },
        "finished": _dt.datetime.now(tz=_dt.UTC).isoformat(timespec="seconds"),
    }
    record.update(extra)
    return record


def _make_spec(
    task: Task,
    tpl: Template,
    out: Path,
    *,
    digest: str | None = None,
    data: Mapping[str, str] | None = None,
    options: Mapping[str, Any] | None = None,
    context: Mapping[str, Any] | None = None,
    timeout: float | None = 600,
    start_timeout: float = 60,
    preload: Sequence[str] = DEFAULT_PRELOAD,
    fork: bool = True,
) -> dict[str, Any]:
    """Everything a worker needs to run one country (plain data: picklable, sent to Dask)."""
    from . import publish

    options = dict(options or {"kernel_name": "python3", "html": True})
    data = dict(data or {})
    if digest is None:
        digest = inputs_hash(tpl.sha256, task.params, data=data, options=options)
    ctx = dict(context or {})
    ctx.setdefault(
        "provenance",
        {"template": f"{tpl.path.name} (sha256 {tpl.sha256[:12]})", "inputs": digest[:16]},
    )
    return {
        "name": task.name,
        "params": dict(task.params),
        "template_path": str(tpl.path),
        "template_text": tpl.text,
        "template_sha256": tpl.sha256,
        "inputs_sha256": digest,
        "code": code_fingerprint(),
        "data": data,
        "options": options,
        "out_dir": str(out),
        "html": bool(options.get("html", True)),
        "context": publish.report_context(task.params, **ctx),
        "kernel_name": options.get("kernel_name", "python3"),
        "timeout": timeout,
        "start_timeout": start_timeout,
        "preload": list(preload),
        "fork": fork,
    }


def _execute_task(spec: Mapping[str, Any]) -> dict[str, Any]:
    """Run one country end to end in this worker; never raises, returns a result record."""
    from .run import execute

    t0 = time.perf_counter()
    name = spec["name"]
    out_dir = Path(spec["out_dir"])
    _quiet_loggers()
    failed_nb = out_dir / f"{name}.failed.ipynb"
    try:
        state = _worker_state(
            tuple(spec["preload"]), bool(spec["fork"]), spec.get("zygote"), spec.get("ipc_root")
        )
        template = Template.from_text(spec["template_path"], spec["template_text"])
        try:
            km = _take_kernel(state, spec["kernel_name"])
        except Exception as exc:  # noqa: BLE001 - reported as this country's failure
            raise NotebookError("kernel start", f"{type(exc).__name__}: {exc}", name=name) from exc
        nb = execute(
            template,
            spec["params"],
            kernel_name=spec["kernel_name"],
            timeout=spec["timeout"],
            start_timeout=spec["start_timeout"],
            km=km,
            name=name,
        )
        nb.metadata.innolab["inputs_sha256"] = spec["inputs_sha256"]
        try:
            outputs = _write_outputs(spec, nb)
        except OSError as exc:
            raise NotebookError(WRITE_ERROR, str(exc), name=name) from exc
        seconds = time.perf_counter() - t0
        _write_json(
            _manifest_path(out_dir, name),
            _manifest(spec, "ok", outputs=outputs, seconds=round(seconds, 3)),
        )
        with contextlib.suppress(OSError):
            failed_nb.unlink()
        files = {k: str(out_dir / v["file"]) for k, v in outputs.items()}
        return {"name": name, "status": "ok", "seconds": seconds, "outputs": files}
    except BaseException as exc:  # report every failure as data; the batch goes on
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        if isinstance(exc, NotebookError):
            err = exc
        elif isinstance(exc, OSError):
            err = NotebookError(WRITE_ERROR, str(exc), name=name)
        else:
            err = NotebookError(INTERNAL, f"{type(exc).__name__}: {exc}", name=name)
        seconds = time.perf_counter() - t0
        with contextlib.suppress(Exception):
            if err.notebook is not None:
                from .run import write_notebook

                write_notebook(err.notebook, failed_nb)
                _readable(failed_nb)
        error = {"kind": err.kind, "message": err.detail, "ename": err.ename, "evalue": err.evalue}
        with contextlib.suppress(Exception):
            _write_json(
                _manifest_path(out_dir, name),
                _manifest(spec, "failed", error=error, seconds=round(seconds, 3)),
            )
        return {
            "name": name,
            "status": "failed",
            "kind": err.kind,
            "message": err.detail,
            "seconds": seconds,
        }


# --------------------------------------------------------------------------------------------
# the driver


def _tasks(
    template: str | os.PathLike | Template,
    param_sets: Iterable[Mapping[str, Any] | Task] | Mapping[str, Mapping[str, Any]],
    name: str | Callable[[Mapping[str, Any]], str],
) -> list[Task]:
    items: list[Task] = []
    if isinstance(param_sets, Mapping):
        param_sets = [Task(str(k), dict(v)) for k, v in param_sets.items()]
    for i, item in enumerate(param_sets):
        if isinstance(item, Task):
            items.append(item)
            continue
        params = dict(item)
        if callable(name):
            label = name(params)
        elif name in params:
            label = params[name]
        else:
            raise ParameterError(
                "name", f"parameter set {i + 1} has no {name!r} to name its output: {params!r}"
            )
        items.append(Task(str(label) if not isinstance(label, str) else label, params))
    seen: set[str] = set()
    for t in items:
        safe_name(t.name, what="output name")
        if t.name in seen:
            raise ParameterError("output name", f"{t.name!r} is used by more than one notebook")
        seen.add(t.name)
    if not items:
        raise ParameterError("param_sets", "no notebooks to run")
    return items


@functools.lru_cache(maxsize=1)
def _known_iso3() -> frozenset[str]:
    from .. import countries

    return frozenset(countries.country_table()["iso3"])


def _default_validate(params: Mapping[str, Any]) -> None:
    """Refuse an ``iso3`` that is not in :func:`innolab.countries.country_table` (exact code).

    The code is compared as given (``"NA"`` is not Namibia, whose ISO3 code is ``NAM``); the
    error lists near matches.
    """
    if "iso3" not in params:
        return
    code = params["iso3"]
    known = _known_iso3()
    if not isinstance(code, str) or code not in known:
        raise UnknownCountryError(
            {str(code): near_matches(str(code), known)}, source="parameter 'iso3'"
        )


@contextlib.contextmanager
def _folder_lock(out_dir: Path):
    """Exclusive lock on the output folder (released by the OS if the runner is killed)."""
    import fcntl

    path = out_dir / _LOCK_NAME
    fh = open(path, "a+")  # noqa: SIM115 - held for the whole batch
    try:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BatchLockedError(
                f"another innolab batch is writing into {out_dir}; wait for it or use another folder"
            ) from None
        yield
    finally:
        fh.close()


def _remove_stale_temporaries(out_dir: Path) -> int:
    """Delete temporary files a killed run left (``.<name>.<random>.tmp<suffix>``)."""
    n = 0
    for p in out_dir.glob(".*.tmp*"):
        if p.is_file() and p.name != _LOCK_NAME:
            with contextlib.suppress(OSError):
                p.unlink()
                n += 1
    return n


class _Progress:
    """tqdm bar on a terminal, one plain line per finished country otherwise (CI logs)."""

    def __init__(self, total: int, enabled: bool, stream=None):
        self.total = total
        self.done = 0
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.bar = None
        if enabled and getattr(self.stream, "isatty", lambda: False)():
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, unit="nb", file=self.stream, dynamic_ncols=True)

    def update(self, result: TaskResult) -> None:
        self.done += 1
        if not self.enabled:
            return
        line = f"[{self.done}/{self.total}] {result.line()}"
        if self.bar is not None:
            if result.status == "failed":
                self.bar.write(line, file=self.stream)
            self.bar.set_postfix_str(result.name, refresh=False)
            self.bar.update(1)
        else:
            print(line, file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _worker_context():
    """Workers are forked from a fork server that imported their libraries once.

    Linux and macOS use ``forkserver`` with :mod:`innolab.report._preload` (papermill,
    nbconvert, pandas...): the imports are paid once per runner process, not once per worker
    and batch. Elsewhere, ``spawn``. Like ``spawn``, a script that calls :func:`run_batch` needs
    the usual ``if __name__ == "__main__":`` guard.
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["innolab.report._preload"])
        return ctx
    return multiprocessing.get_context("spawn")


def _run_local(
    specs: list[dict],
    jobs: int,
    preload,
    fork: bool,
    on_result,
    zygote: str | None,
    ipc_root: str | None = None,
) -> None:
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    ctx = _worker_context()
    env = dict(BLAS_ENV)
    remaining = list(specs)
    while remaining:
        pool = ProcessPoolExecutor(
            max_workers=max(1, min(jobs, len(remaining))),
            mp_context=ctx,
            initializer=_init_worker,
            initargs=(env, tuple(preload), fork, zygote, os.getpid(), ipc_root),
        )
        futures = {
            pool.submit(_execute_task, {**spec, "zygote": zygote, "ipc_root": ipc_root}): spec
            for spec in remaining
        }
        broken = []
        try:
            for fut in as_completed(futures):
                spec = futures[fut]
                try:
                    on_result(fut.result())
                except BrokenProcessPool:
                    broken.append(spec)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        if len(broken) == len(remaining):  # nothing progressed: report instead of looping
            for spec in broken:
                on_result(
                    {
                        "name": spec["name"],
                        "status": "failed",
                        "kind": "worker died",
                        "message": "the worker process died (out of memory or killed)",
                        "seconds": 0.0,
                    }
                )
            return
        remaining = broken  # a dead worker broke the pool: retry the rest in a new one


def _check_dask(scheduler: Any) -> None:
    """Fail early, before any work, when the Dask executor cannot run."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise ParameterError(
            "executor",
            "'dask' needs dask.distributed; install it with: pip install 'dask[distributed]'",
        ) from None
    if scheduler is None:
        raise ParameterError("scheduler", "the dask executor needs a scheduler address")


def _run_dask(specs: list[dict], scheduler: str | Any, on_result) -> None:
    from distributed import Client, as_completed

    own = not isinstance(scheduler, Client)
    client = Client(scheduler) if own else scheduler
    try:
        futures = [
            client.submit(_execute_task, spec, pure=False, key=f"innolab-report-{spec['name']}-{i}")
            for i, spec in enumerate(specs)
        ]
        for fut in as_completed(futures):
            try:
                on_result(fut.result())
            except Exception as exc:  # a worker lost mid-task, a serialisation error, ...
                spec = specs[futures.index(fut)]
                on_result(
                    {
                        "name": spec["name"],
                        "status": "failed",
                        "kind": "worker died",
                        "message": f"{type(exc).__name__}: {exc}",
                        "seconds": 0.0,
                    }
                )
    finally:
        if own:
            client.close()


def run_batch(
    template: str | os.PathLike | Template,
    param_sets: Iterable[Mapping[str, Any] | Task] | Mapping[str, Mapping[str, Any]],
    out_dir: str | os.PathLike,
    *,
    jobs: int = 2,
    resume: bool = False,
    timeout: float = 600,
    start_timeout: float = 60,
    executor: str = "local",
    scheduler: str | Any = None,
    progress: bool = True,
    name: str | Callable[[Mapping[str, Any]], str] = "iso3",
    validate: Callable[[Mapping[str, Any]], Any] | None = _default_validate,
    data_files: Iterable[str | os.PathLike] = (),
    kernel_name: str = "python3",
    html: bool = True,
    assets_dir: str | os.PathLike | None = None,
    context: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = None,
    preload: Sequence[str] = DEFAULT_PRELOAD,
    fork: bool = True,
) -> BatchSummary:
    """Execute ``template`` once per parameter set, in parallel, and publish each as HTML.

    Parameters
    ----------
    template : path or Template
        The notebook template (first code cell tagged ``parameters``).
    param_sets : iterable of mappings or Task, or mapping name -> params
        One parameter dict per country. A :class:`Task` may name its own template.
    out_dir : path
        Folder for ``<name>.ipynb``, ``<name>.html`` and ``<name>.manifest.json``.
    jobs : int
        Worker processes (local executor).
    resume : bool
        Skip countries whose outputs are complete and were made from the same inputs.
    timeout : float
        Seconds per cell and per notebook (wall clock); a notebook over it fails as "timeout".
    start_timeout : float
        Seconds allowed for a kernel to start.
    executor : {"local", "dask"}
        A local process pool, or an existing Dask cluster at ``scheduler``.
    scheduler : str or distributed.Client
        The Dask scheduler address (``tcp://host:8786``) or a connected client.
    progress : bool
        Show a progress bar (terminal) or one line per country (logs) on stderr.
    name : str or callable
        The parameter that names each output (default ``"iso3"``), or ``name(params)``.
        Names are checked with :func:`innolab.io.safe_name`.
    validate : callable or None
        ``validate(params)`` raises an ``InnolabError`` or returns False to reject values
        before any kernel starts. The default checks ``iso3`` with ``innolab.countries``
        when it is available.
    data_files : iterable of paths
        Data the notebooks read; their SHA-256 enter the inputs hash, so ``resume`` redoes
        every country when one changes.
    kernel_name : str
        Kernelspec to run (default ``python3``).
    html : bool
        Also publish ``<name>.html`` (in the worker, in-process).
    assets_dir : path, optional
        Folder of the shared style sheet (default ``<out_dir>/../assets``).
    context : callable, optional
        ``context(params)`` returns keyword arguments for
        :func:`innolab.report.publish.report_context` (title, source, ...).
    preload : sequence of str or (str, pairs)
        Modules each worker's kernel zygote imports once, and warm-up calls it makes before
        forking any kernel (:func:`innolab.report.kernels.run_preload_entry`).
    fork : bool
        Fork kernels from a zygote (default). False starts a fresh kernel process per
        notebook: slower, useful to compare.

    Returns
    -------
    BatchSummary
        One :class:`TaskResult` per country; ``summary.exit_code`` is 1 if any failed.
    """
    from . import publish

    t0 = time.perf_counter()
    if executor not in ("local", "dask"):
        raise ParameterError("executor", f"{executor!r} is not one of: local, dask")
    if executor == "dask":
        _check_dask(scheduler)
    if jobs < 1:
        raise ParameterError("jobs", f"must be at least 1, not {jobs}")
    if timeout is not None and timeout <= 0:
        raise ParameterError("timeout", f"must be positive, not {timeout}")
    default_tpl = load_template(template)
    tasks = _tasks(default_tpl, param_sets, name)
    templates: dict[str, Template] = {str(default_tpl.path): default_tpl}
    by_template: dict[str, list[Task]] = {}
    task_template: dict[str, Template] = {}
    for t in tasks:
        tpl = default_tpl if t.template is None else load_template(t.template)
        tpl = templates.setdefault(str(tpl.path), tpl)
        task_template[t.name] = tpl
        by_template.setdefault(str(tpl.path), []).append(t)
    for path, group in by_template.items():
        check_parameters(templates[path], [t.params for t in group], validate=validate)
    data = {str(Path(p).resolve()): _sha256(Path(p)) for p in data_files}

    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    assets = Path(assets_dir).resolve() if assets_dir is not None else out.parent / "assets"
    options = {"kernel_name": kernel_name, "html": html}
    specs: list[dict[str, Any]] = []
    with _folder_lock(out):
        _remove_stale_temporaries(out)
        if html:
            css = publish.write_assets(assets)
            _readable(css)
        css_href = publish._relative_href(assets / publish.CSS_NAME, out)
        index_href = publish._relative_href(out.parent / "index.html", out)
        results: dict[str, TaskResult] = {}
        for t in tasks:
            tpl = task_template[t.name]
            digest = inputs_hash(tpl.sha256, t.params, data=data, options=options)
            if resume and _up_to_date(out, t.name, digest):
                man = read_manifest(out, t.name) or {}
                files = {k: str(out / v["file"]) for k, v in (man.get("outputs") or {}).items()}
                results[t.name] = TaskResult(t.name, "skipped", outputs=files)
                continue
            ctx_kwargs = dict(context(t.params)) if context is not None else {}
            ctx_kwargs.setdefault("css_href", css_href)
            ctx_kwargs.setdefault("home_href", index_href)
            specs.append(
                _make_spec(
                    t,
                    tpl,
                    out,
                    digest=digest,
                    data=data,
                    options=options,
                    context=ctx_kwargs,
                    timeout=timeout,
                    start_timeout=start_timeout,
                    preload=preload,
                    fork=fork,
                )
            )
        bar = _Progress(len(tasks), progress)
        for r in results.values():
            bar.update(r)

        def on_result(rec: Mapping[str, Any]) -> None:
            res = TaskResult(
                rec["name"],
                rec["status"],
                kind=rec.get("kind"),
                message=rec.get("message"),
                seconds=float(rec.get("seconds", 0.0)),
                outputs=dict(rec.get("outputs") or {}),
            )
            results[res.name] = res
            bar.update(res)

        zygote = ipc_root = None
        try:
            if specs and executor == "dask":
                _run_dask(specs, scheduler, on_result)
            elif specs:
                from .kernels import Zygote, private_tmpdir, sweep_stale_tmpdirs

                sweep_stale_tmpdirs()  # socket folders of runs that were killed
                if fork:  # one zygote serves every worker; it imports while the pool starts
                    zygote = Zygote(preload, env=_kernel_env())
                ipc_root = private_tmpdir("ik")
                address = zygote.address if zygote else None
                _run_local(specs, jobs, preload, fork, on_result, address, ipc_root)
        finally:
            bar.close()
            if zygote is not None:
                zygote.close()
            if ipc_root is not None:
                import shutil

                shutil.rmtree(ipc_root, ignore_errors=True)
    ordered = [results[t.name] for t in tasks if t.name in results]
    return BatchSummary(ordered, out, time.perf_counter() - t0)


# --------------------------------------------------------------------------------------------
# the ``innolab batch`` command's single call


def resolve_template(notebook: str | os.PathLike) -> Path:
    """A template path from a name (``country_profile``) or a path to an ``.ipynb`` file.

    Names are looked up as ``notebooks/templates/<name>.ipynb`` then ``notebooks/<name>.ipynb``.
    """
    from .. import config

    path = Path(notebook)
    if path.suffix == ".ipynb" or os.sep in str(notebook):
        if not path.is_file():
            raise ParameterError("notebook", f"{str(notebook)!r} does not exist")
        return path
    safe_name(str(notebook), what="notebook")
    for folder in (config.TEMPLATES_DIR, config.NOTEBOOKS_DIR):
        candidate = folder / f"{notebook}.ipynb"
        if candidate.is_file():
            return candidate
    raise ParameterError(
        "notebook", f"no template {notebook!r} in {config.TEMPLATES_DIR} or {config.NOTEBOOKS_DIR}"
    )


_INCOME_CODES = {
    "LIC": "Low income",
    "LMC": "Lower middle income",
    "UMC": "Upper middle income",
    "HIC": "High income",
}


def resolve_countries(spec: str) -> list[str]:
    """ISO3 codes from a ``--countries`` value, in the reference table's order.

    * ``KEN,NAM,NOR``: these codes, kept exactly as typed (checked later, before any kernel);
    * ``all``: every economy of :func:`innolab.countries.country_table` (no aggregates),
      demo economies included; ``demo``: the demo economies only;
    * ``region:AFR``: an ITU-D region code or a World Bank region name;
    * ``income:LIC`` (``LMC``, ``UMC``, ``HIC``) or an income group name.

    >>> resolve_countries(" KEN, NAM,NOR ")
    ['KEN', 'NAM', 'NOR']
    >>> "KEN" in resolve_countries("region:AFR") and "FRA" not in resolve_countries("region:AFR")
    True
    """
    spec = spec.strip()
    if spec not in ("all", "demo") and ":" not in spec:
        codes = [c.strip() for c in spec.split(",") if c.strip()]
        if not codes:
            raise ParameterError("countries", "no country given")
        return codes
    from .. import countries

    table = countries.country_table()
    table = table[~table["is_aggregate"].astype(bool)]
    if spec == "all":
        chosen = table
    elif spec == "demo":
        chosen = table[table["is_demo"].astype(bool)]
    else:
        kind, _, value = spec.partition(":")
        value = value.strip()
        if kind == "region":
            hit = (table["itu_region"] == value.upper()) | (
                table["wb_region"].str.lower() == value.lower()
            )
        elif kind == "income":
            name = _INCOME_CODES.get(value.upper(), value)
            hit = table["income_group"].str.lower() == name.lower()
        else:
            raise ParameterError(
                "countries", f"{spec!r}: use all, demo, region:CODE, income:CODE or ISO3 codes"
            )
        chosen = table[hit.fillna(False).astype(bool)]
    if chosen.empty:
        raise ParameterError("countries", f"no economy matches {spec!r}")
    return chosen["iso3"].tolist()


def run_country_batch(
    notebook: str | os.PathLike,
    countries: str,
    out_dir: str | os.PathLike,
    *,
    year: int | None = None,
    params: Mapping[str, str] | None = None,
    **kwargs: Any,
) -> BatchSummary:
    """``innolab batch``: one notebook per country, ``iso3`` (and ``year``) set per run.

    ``params`` are extra parameters given as ``NAME=VALUE`` on the command line; their values
    stay strings (never coerced like papermill's ``-p``). Other keyword arguments go to
    :func:`run_batch`.

    Everything is checked before any kernel starts, in this order: ``iso3`` and ``year`` are
    refused in ``params`` (they have their own options, ``countries`` and ``year``); the
    parameter names and every ISO3 code (:func:`~innolab.report.run.check_parameters` with
    the ``validate`` hook); then the shared values, ``year`` against the years of the data
    and ``framework`` (:func:`innolab.report.parameters.check_study_parameters`).
    """
    from .parameters import check_study_parameters

    base = dict(params or {})
    for key, option in (("iso3", "--countries"), ("year", "--year")):
        if key in base:
            raise ParameterError(
                key,
                f"{base[key]!r} given with -p, but the batch sets {key} for every notebook; "
                f"use {option} instead",
            )
    template = load_template(resolve_template(notebook))
    codes = resolve_countries(countries)
    if year is not None:
        base["year"] = year
    sets = [{**base, "iso3": code} for code in codes]
    check_parameters(template, sets, validate=kwargs.get("validate", _default_validate))
    check_study_parameters(template.parameters, base)
    return run_batch(template, sets, out_dir, name="iso3", **kwargs)
