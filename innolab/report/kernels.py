"""Fresh Jupyter kernels for the price of a ``fork()``: a pre-imported kernel "zygote".

Why
---
Starting a kernel and importing pandas/matplotlib/seaborn in it costs about 3 s of a 4.5 s
country notebook (``shared/JUPYTER-NOTES.md`` §2). Reusing one kernel for many countries
(``%reset -f`` between them) is fast but leaks state: imported modules, rcParams, seaborn
themes, module attributes, ``sys.path``, the working directory and any crash carry over to the
next country. This module gets the speed of reuse with the isolation of a fresh process.

How
---
A batch starts one *zygote*: a small Python process that imports ipykernel and the heavy
libraries once and then listens on a Unix socket. For every notebook a worker asks it for a
kernel (:class:`ZygoteClient`); the zygote ``fork()``\\ s, and the child becomes an ordinary
IPython kernel (``IPKernelApp``) on the connection file that jupyter_client wrote. The child is
a copy-on-write clone of a process that has **never run a notebook cell**, so nothing a country
does (globals, ``matplotlib.rcParams``, module attributes, environment variables, ``sys.path``,
cwd) can reach the next country: each runs in its own process, killed after the notebook,
exactly like a fresh kernel, but start-up costs a fork (milliseconds) instead of an interpreter
start plus imports (about 3 s). The test suite checks this with a notebook that sets a global,
an rcParam, a module attribute, an environment variable and ``sys.path`` in one country and
looks for them in the next.

Details that keep the clone equivalent to a fresh kernel, and fast:

* ``MPLBACKEND`` is set in the zygote the way ipykernel sets it in every kernel (inline
  backend, unless the user's environment chose another). matplotlib and pyplot are imported,
  but the backend module is not, so ipykernel's inline integration is activated in the child
  on first use, as usual (pitfall P11: the runner never exports ``MPLBACKEND`` to kernels).
* The zygote draws one throw-away figure on a private Agg canvas (warm font caches; pyplot
  state untouched) and then calls ``gc.freeze()``, so the kernels' garbage collector never
  walks, and so never copies page by page, the shared preloaded heap (measured: without it a
  forked kernel ran the benchmark cells about 0.3 s slower than a fresh one; with it, alike).
* The child calls ``setsid()`` (its own process group, for interrupts and kills), restores
  ``SIGCHLD`` (the zygote ignores it to reap children automatically), takes the environment
  and working directory that jupyter_client asked for, and re-seeds NumPy's global random
  state (Python's ``random`` is re-seeded after ``fork`` by the interpreter itself).
* On Linux the zygote and every kernel set ``PR_SET_PDEATHSIG``: when the process that owns
  the zygote dies (even by ``SIGKILL``) the zygote dies, and with it its kernels, so a killed
  batch leaves no orphan processes that could write outputs later.
* The kernel command must be an ipykernel for the zygote's own interpreter; any other kernelspec
  (another language or virtual environment) falls back to jupyter_client's normal launch.
* jupyter_client's ``wait_for_ready`` ends by waiting for IOPub to stay quiet for 0.2 s; the
  client here waits 0.02 s (nbclient matches IOPub messages to cells, so nothing is lost).
  Likewise, after killing a kernel it looks for the process's exit every 5 ms, not 0.1 s.

Kernels always use the IPC transport with an absolute socket path in a private folder, so
there are no TCP ports to race for (pitfall P1) and no "running over TCP without encryption"
warning on every start (P13).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from typing import Any

__all__ = [
    "DEFAULT_PRELOAD",
    "run_preload_entry",
    "Zygote",
    "ZygoteError",
    "ZygoteClient",
    "ForkedProcess",
    "ipc_kernel_manager_class",
    "remove_ipc_dir",
    "start_kernel",
    "stop_kernel",
    "kernel_process",
    "set_parent_death_signal",
    "private_tmpdir",
    "sweep_stale_tmpdirs",
    "block_slow_imports",
]

#: Modules the zygote imports once; absent ones are skipped silently. Besides the scientific
#: stack this is everything a ``country_profile`` notebook imports (``innolab.studies`` and
#: what it pulls in lazily: SciPy, the Parquet reader, YAML for frameworks, pandas' Styler and
#: its Jinja2 templates, PIL's PNG codec, matplotlib's Agg renderer), so ``innolab batch``,
#: ``innolab reports`` and :func:`innolab.report.run_batch` all start kernels with them
#: imported (measured per notebook otherwise: about 2 s for innolab.analysis and SciPy, 0.3 s
#: for the rest). Imports only: no module here creates state that a notebook could change for
#: the next one (each kernel is a fresh fork of a zygote that never ran a cell).
DEFAULT_PRELOAD: tuple[str, ...] = (
    "numpy",
    "pandas",
    "matplotlib",
    "matplotlib.pyplot",
    "matplotlib.backends.backend_agg",
    "seaborn",
    "pandas.plotting._matplotlib",
    "pandas.io.formats.style",
    "jinja2",
    "yaml",
    "pyarrow.parquet",
    "pyarrow.dataset",
    "scipy.stats",
    "PIL.Image",
    "PIL.PngImagePlugin",
    "IPython.display",
    "innolab",
    "innolab.framework",
    "innolab.scoring",
    "innolab.analysis",
    "innolab.plots",
    "innolab.studies",
)

#: What ``IPKernelApp.initialize`` imports (measured): preloading it makes a forked kernel ready
#: in about 0.05 s instead of 0.15 s. Imports only; none of them starts a thread.
_KERNEL_PRELOAD: tuple[str, ...] = (
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.zmqshell",
    "ipykernel.debugger",
    "IPython.core.history",
    "IPython.core.debugger",
    "IPython.core.completerlib",
    "IPython.extensions.storemagic",
    "tornado.platform.asyncio",
    "faulthandler",
    "IPython.core.oinspect",
    "sqlite3",
)
_ZYGOTE_CMD = "import sys; from innolab.report.kernels import _zygote_main; sys.exit(_zygote_main(sys.argv[1:]))"
_INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
_PR_SET_PDEATHSIG = 1
#: Seconds a client waits for a zygote's socket to appear before it gives up on the zygote.
_BIND_TIMEOUT = 30.0


def private_tmpdir(kind: str) -> str:
    """A new folder ``/tmp/<kind>-<pid>-<random>`` for sockets (short: Unix socket paths are
    limited to about 100 bytes). The pid lets :func:`sweep_stale_tmpdirs` remove the folders of
    runs that were killed before they could clean up."""
    base = "/tmp" if os.path.isdir("/tmp") else None
    return tempfile.mkdtemp(prefix=f"{kind}-{os.getpid()}-", dir=base)


def sweep_stale_tmpdirs() -> int:
    """Remove the socket folders of innolab processes that no longer exist; returns how many."""
    import re

    base = "/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir()
    pattern = re.compile(r"^(?:ik|iz)-(\d+)-[A-Za-z0-9_]+$")
    removed = 0
    try:
        entries = os.listdir(base)
    except OSError:
        return 0
    for entry in entries:
        m = pattern.match(entry)
        if not m:
            continue
        path = os.path.join(base, entry)
        try:
            os.kill(int(m.group(1)), 0)
            continue  # its owner is alive
        except ProcessLookupError:
            pass
        except OSError:
            continue
        with contextlib.suppress(OSError):
            if os.stat(path).st_uid == os.getuid():
                shutil.rmtree(path, ignore_errors=True)
                removed += 1
    return removed


def set_parent_death_signal(sig: int = signal.SIGKILL) -> bool:
    """Ask Linux to send ``sig`` to this process when its parent dies; False elsewhere.

    Used so that killing the batch runner (even with SIGKILL) takes its workers, their zygotes
    and their kernels with it instead of leaving orphans that keep writing files.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def block_slow_imports() -> bool:
    """Make ``import rfc3987_syntax`` fail fast in this process (pitfall P12); True if done.

    jsonschema imports it optionally (inside ``suppress(ImportError)``) only to check the
    ``iri`` string formats; building its grammar costs about 1.4 s per process. nbformat never
    validates string formats, so batch workers lose nothing. Not applied when the module is
    already imported (then there is nothing to save).
    """
    if "rfc3987_syntax" in sys.modules:
        return False
    sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]
    return True


# --------------------------------------------------------------------------------------------
# zygote side (runs in the zygote process and in its forked kernel children)


def _write(msg: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(msg) + "\n")
    sys.stdout.flush()


def _kernel_child(req: dict[str, Any], parent: int) -> None:  # pragma: no cover - forked child
    """Become an IPython kernel as jupyter_client asked (never returns)."""
    code = 1
    try:
        os.setsid()
        set_parent_death_signal(signal.SIGKILL)
        if os.getppid() != parent:  # the zygote died before the signal was armed
            os._exit(1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, 0)
        os.dup2(devnull, 1)
        os.close(devnull)
        os.environ.clear()
        os.environ.update(req["env"])
        # What jupyter_client would set. ipykernel read its parent-poller default when the
        # zygote imported it (without JPY_PARENT_PID), so the poller stays off here: the parent
        # death signal above, not a 1 s poll, ends the kernel when the zygote goes, and a
        # forked kernel never logs "Parent appears to have exited".
        os.environ["JPY_PARENT_PID"] = str(parent)
        os.chdir(req["cwd"])
        if "numpy" in sys.modules:
            sys.modules["numpy"].random.seed()
        from ipykernel.kernelapp import IPKernelApp

        sys.argv = [sys.executable, *req["args"]]
        IPKernelApp.launch_instance(argv=list(req["args"]))
        code = 0
    except BaseException:  # noqa: BLE001 - report anything, then leave without cleanup
        import traceback

        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        os._exit(code)


def _warm_matplotlib() -> None:  # pragma: no cover - runs in the zygote
    """Draw one throw-away figure off-screen so every kernel starts with warm font caches.

    Matplotlib loads fonts, builds glyph caches and lays out text the first time it draws;
    in a forked kernel that would be paid again for every country (measured: about a third
    of the figure time of a small report). The figure is drawn on a private Agg canvas:
    pyplot's state, its backend and rcParams are untouched, so the kernel still selects the
    inline backend on first use.
    """
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        fig = Figure(figsize=(4, 3))
        FigureCanvasAgg(fig)
        ax = fig.add_subplot(1, 2, 1)
        ax.bar(["a", "b"], [1.0, 2.0])
        ax.set_title("warm-up")
        ax.set_xlabel("x (unit)")
        fig.colorbar(ax.imshow([[0.0, 1.0], [1.0, 0.0]]), ax=ax)
        fig.add_subplot(1, 2, 2, polar=True).plot([0.0, 1.0], [1.0, 2.0])
        import io

        fig.savefig(io.BytesIO(), format="png", bbox_inches="tight")
    except Exception:  # noqa: BLE001 - a warm-up must never stop the zygote
        pass


def run_preload_entry(entry: str | Sequence[Any]) -> None:
    """Do one preload entry: import a module (``"pandas"``) or call a warm-up function
    (``("package.module:function", ((keyword, value), ...))``, JSON-able arguments).

    A warm-up runs in the zygote, before any kernel is forked and so before any notebook
    cell: what it computes (e.g. :func:`innolab.studies.warm_study_cache` reading the
    processed data and scoring it once) is inherited, copy-on-write, by every kernel, and
    is the same for every country, so nothing passes from one country to the next.
    """
    if isinstance(entry, str):
        importlib.import_module(entry)
        return
    target, kwargs = entry[0], dict(entry[1]) if len(entry) > 1 else {}
    module, _, func = target.partition(":")
    if not func:
        raise ValueError(f"a warm-up entry must name 'module:function', got {target!r}")
    getattr(importlib.import_module(module), func)(**kwargs)


def _zygote_main(argv: Sequence[str]) -> int:  # pragma: no cover - runs in a subprocess
    """Listen on a Unix socket, import the preload list, then fork one kernel per request.

    ``argv`` is ``[preload as JSON, socket path]``. Each client connection first receives one
    JSON line (the "ready" record, sent once the preload is done), then gets one reply line
    per request line. The zygote exits when its standard input closes (its owner is done).
    """
    import socket

    set_parent_death_signal(signal.SIGKILL)
    # ipykernel reads its parent-poller default at import; a runner started from Jupyter
    # would otherwise hand its own parent's pid to every forked kernel's poller.
    os.environ.pop("JPY_PARENT_PID", None)
    os.environ.setdefault("MPLBACKEND", _INLINE_BACKEND)
    block_slow_imports()
    preload = json.loads(argv[0]) if argv else list(DEFAULT_PRELOAD)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(argv[1])
    listener.listen(64)  # clients may connect now; they are answered after the preload
    failed: dict[str, str] = {}
    for name in _KERNEL_PRELOAD:  # the expensive part of a kernel start
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    for entry in preload:
        name = entry if isinstance(entry, str) else entry[0]
        try:
            run_preload_entry(entry)
        except Exception as exc:  # noqa: BLE001 - an absent optional module is not an error
            failed[name] = f"{type(exc).__name__}: {exc}"
    if "matplotlib" in sys.modules:
        _warm_matplotlib()
    # Move every object that exists now to the permanent generation: the kernels' garbage
    # collector then never walks (and so never copies, page by page) the preloaded heap that
    # the fork shares with them (measured: about 0.3 s per notebook otherwise).
    gc.collect()
    gc.freeze()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the OS
    info = {
        "ready": True,
        "pid": os.getpid(),
        "failed": failed,
        "threads": threading.active_count(),
    }
    ready = (json.dumps(info) + "\n").encode()
    _write(info)
    conns: dict[Any, bytearray] = {}
    while True:
        readable, _, _ = select.select([sys.stdin, listener, *conns], [], [])
        if sys.stdin in readable and not sys.stdin.readline():
            return 0
        if listener in readable:
            conn, _ = listener.accept()
            conns[conn] = bytearray()
            conn.sendall(ready)
        for conn in [c for c in conns if c in readable]:
            data = conn.recv(1 << 16)
            if not data:
                conns.pop(conn).clear()
                conn.close()
                continue
            buf = conns[conn]
            buf += data
            while b"\n" in buf:
                line, _, rest = bytes(buf).partition(b"\n")
                buf[:] = rest
                req = json.loads(line)
                me = os.getpid()
                pid = os.fork()
                if pid == 0:
                    listener.close()
                    for c in conns:
                        c.close()
                    _kernel_child(req, me)
                conn.sendall((json.dumps({"pid": pid}) + "\n").encode())


# --------------------------------------------------------------------------------------------
# worker side


class ZygoteError(RuntimeError):
    """The zygote process died or did not answer."""


class Zygote:
    """Start and own one zygote process; :attr:`address` is where clients ask for kernels.

    Parameters
    ----------
    preload : sequence of str or (str, pairs)
        Modules to import once in the zygote (absent ones are skipped), and warm-up calls
        ``("module:function", ((keyword, value), ...))`` run after them
        (:func:`run_preload_entry`).
    env : mapping, optional
        Environment of the zygote (default: this process's).

    The zygote dies with this process (Linux) or when :meth:`close` is called. One zygote can
    serve several worker processes, each through its own :class:`ZygoteClient`.
    """

    def __init__(self, preload: Sequence[str] = DEFAULT_PRELOAD, env: dict[str, str] | None = None):
        self.preload = tuple(preload)
        self._dir = private_tmpdir("iz")
        self.address = os.path.join(self._dir, "zygote.sock")
        self.info: dict[str, Any] | None = None
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-Xfrozen_modules=off",
                "-c",
                _ZYGOTE_CMD,
                json.dumps(list(self.preload)),
                self.address,
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            text=True,
            bufsize=1,
        )

    def alive(self) -> bool:
        return self.proc.poll() is None

    def wait_ready(self, timeout: float = 120.0) -> dict[str, Any]:
        """Block until the preload is done; returns what the zygote reported."""
        if self.info is None:
            assert self.proc.stdout is not None
            ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
            line = self.proc.stdout.readline() if ready else ""
            if not line:
                raise ZygoteError(f"kernel zygote not ready within {timeout:g} s")
            self.info = json.loads(line)
        return self.info

    def client(self) -> ZygoteClient:
        """A new connection to this zygote (one per thread or process)."""
        return ZygoteClient(self.address)

    def close(self, timeout: float = 5.0) -> None:
        """Stop the zygote (its kernels die with it on Linux) and remove its socket."""
        with contextlib.suppress(Exception):
            if self.proc.stdin:
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        with contextlib.suppress(Exception):
            if self.proc.stdout:
                self.proc.stdout.close()
        shutil.rmtree(self._dir, ignore_errors=True)


class ZygoteClient:
    """Ask a zygote, by its socket address, for kernel processes (thread-safe)."""

    def __init__(self, address: str):
        self.address = address
        self._lock = threading.Lock()
        self._sock = None
        self._buf = b""
        self._failed = False
        self.info: dict[str, Any] | None = None

    def _line(self, deadline: float) -> dict[str, Any]:
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._sock], [], [], max(left, 0))
            if not ready:
                raise ZygoteError("kernel zygote did not answer in time")
            data = self._sock.recv(1 << 16)
            if not data:
                raise ZygoteError("kernel zygote closed the connection")
            self._buf += data
        line, _, self._buf = self._buf.partition(b"\n")
        return json.loads(line)

    def _connect(self, deadline: float) -> None:
        """Connect, waiting while the zygote starts (its socket appears about 0.1-1 s after
        its process, which can be later than a warm worker's first kernel request)."""
        import socket

        bind_deadline = min(deadline, time.monotonic() + _BIND_TIMEOUT)
        while True:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(self.address)
                break
            except (FileNotFoundError, ConnectionRefusedError) as exc:
                sock.close()
                if time.monotonic() > bind_deadline:
                    self._failed = True
                    raise ZygoteError(f"no kernel zygote at {self.address}") from exc
                time.sleep(0.01)
        self._sock = sock
        self.info = self._line(deadline)

    def wait_ready(self, timeout: float = 120.0) -> dict[str, Any]:
        """Connect (waiting for the zygote's preload); returns its "ready" record."""
        with self._lock:
            if self._sock is None:
                self._connect(time.monotonic() + timeout)
            assert self.info is not None
            return self.info

    def alive(self) -> bool:
        """False once the zygote is known to be gone; True while it may still be starting.

        A zygote whose socket does not exist *yet* counts as alive (it is importing): the
        first :meth:`fork` waits for it. Treating it as dead made warm workers (a second
        batch in one process) start fresh kernels instead: slow, and a spare one outlived its
        worker and logged ipykernel's "Parent appears to have exited, shutting down".
        """
        if self._sock is None or self.info is None:
            return not self._failed
        try:
            os.kill(int(self.info["pid"]), 0)
        except OSError:
            return False
        return True

    def fork(self, args: Sequence[str], env: dict[str, str], cwd: str, timeout: float = 120) -> int:
        """Start one kernel process running ``ipykernel`` with ``args``; returns its pid."""
        self.wait_ready(timeout)
        with self._lock:
            req = json.dumps({"args": list(args), "env": env, "cwd": cwd}) + "\n"
            try:
                self._sock.sendall(req.encode())
            except OSError as exc:
                raise ZygoteError(f"kernel zygote is gone: {exc}") from exc
            return int(self._line(time.monotonic() + timeout)["pid"])

    def close(self) -> None:
        with self._lock:
            if self._sock is not None:
                with contextlib.suppress(OSError):
                    self._sock.close()
                self._sock = None


class ForkedProcess:
    """The part of the ``subprocess.Popen`` interface jupyter_client uses, for a forked kernel.

    The kernel is the zygote's child, not ours, so liveness is read from a Linux ``pidfd``
    (immune to pid reuse) or, elsewhere, from ``kill(pid, 0)``. The exit status of a process
    that is not our child cannot be read; a dead kernel reports ``-SIGKILL`` when this object
    killed it and 1 otherwise.
    """

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None
        self._killed = False
        self._pidfd: int | None = None
        if hasattr(os, "pidfd_open"):
            with contextlib.suppress(OSError):
                self._pidfd = os.pidfd_open(pid)

    def poll(self) -> int | None:
        if self.returncode is not None:
            return self.returncode
        if self._pidfd is not None:
            ready, _, _ = select.select([self._pidfd], [], [], 0)
            dead = bool(ready)
        else:
            try:
                os.kill(self.pid, 0)
                dead = False
            except ProcessLookupError:
                dead = True
        if dead:
            self.returncode = -signal.SIGKILL if self._killed else 1
            if self._pidfd is not None:
                os.close(self._pidfd)
                self._pidfd = None
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired([str(self.pid)], timeout or 0)
            time.sleep(0.02)
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.poll() is not None:
            return
        if sig == signal.SIGKILL:
            self._killed = True
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def __del__(self) -> None:  # pragma: no cover - best effort
        if self._pidfd is not None:
            with contextlib.suppress(OSError):
                os.close(self._pidfd)


def _ipykernel_args(cmd: Sequence[str]) -> list[str] | None:
    """The ipykernel arguments of ``cmd`` if it runs ipykernel on *this* interpreter, else None."""
    if not cmd or os.path.realpath(cmd[0]) != os.path.realpath(sys.executable):
        return None
    rest = list(cmd[1:])
    while rest and rest[0].startswith("-X"):
        rest = rest[1:] if rest[0] != "-X" else rest[2:]
    if len(rest) >= 2 and rest[0] == "-m" and rest[1] in ("ipykernel_launcher", "ipykernel"):
        return rest[2:]
    return None


def ipc_kernel_manager_class(
    zygote: ZygoteClient | None = None, *, ipc_dir: str | None = None
) -> type:
    """A jupyter_client ``AsyncKernelManager`` subclass using IPC and, if given, the zygote.

    Parameters
    ----------
    zygote : ZygoteClient, optional
        Forks kernels from this zygote; None launches them the normal way (still over IPC).
    ipc_dir : str, optional
        Folder for the sockets and connection files (absolute; created if needed). Unix socket
        paths are limited to about 100 bytes, so keep it short (default: a new folder in /tmp).

    The class attribute ``on_launch`` (None by default) may be set, in a subclass, to a
    callable that receives the kernel's ``ForkedProcess`` or ``Popen`` after each launch; the
    runner's watchdog uses it to enforce the wall-clock limit.
    """
    from jupyter_client.asynchronous import AsyncKernelClient
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_client.provisioning.local_provisioner import LocalProvisioner

    if ipc_dir is None:
        ipc_dir = private_tmpdir("ik")
    os.makedirs(ipc_dir, exist_ok=True)
    ipc_dir = os.path.abspath(ipc_dir)

    class ForkProvisioner(LocalProvisioner):
        async def launch_kernel(self, cmd: list[str], **kwargs: Any):
            args = _ipykernel_args(cmd)
            pid = None
            if zygote is not None and args is not None and zygote.alive():
                env = dict(kwargs.get("env") or os.environ)
                cwd = str(kwargs.get("cwd") or os.getcwd())
                with contextlib.suppress(ZygoteError):  # gone: a normal launch below
                    pid = zygote.fork(args, env, cwd)
            if pid is None:
                info = await super().launch_kernel(cmd, **kwargs)
            else:
                self.process = ForkedProcess(pid)
                self.pid = pid
                self.pgid = pid
                self.cwd = cwd
                info = self.connection_info
            on_launch = getattr(self.parent, "on_launch", None)
            if on_launch is not None:
                on_launch(self.process)
            return info

        async def wait(self) -> int | None:
            if isinstance(self.process, ForkedProcess):  # poll finely, not every 0.1 s
                while self.process.poll() is None:
                    await asyncio.sleep(0.005)
                code = self.process.returncode
                self.process = None
                return code
            return await super().wait()

        async def cleanup(self, restart: bool = False) -> None:
            await super().cleanup(restart)
            km = self.parent
            for path in [getattr(km, "connection_file", "")]:
                if path:
                    with contextlib.suppress(OSError):
                        os.unlink(path)

    class QuickReadyClient(AsyncKernelClient):
        """Waits for the kernel as usual but drains start-up IOPub messages in 0.02 s.

        jupyter_client ends ``wait_for_ready`` by reading IOPub until it has been quiet for
        0.2 s, an idle wait on every kernel start (measured: 0.2 of 0.36 s). nbclient matches
        IOPub messages to the cell that caused them, so late start-up messages are harmless.
        """

        async def wait_for_ready(self, timeout: float | None = None) -> None:
            channel = self.iopub_channel
            get_msg = channel.get_msg

            async def quick_get_msg(*args: Any, **kwargs: Any):
                if kwargs.get("timeout") is not None:
                    kwargs["timeout"] = min(kwargs["timeout"], 0.02)
                return await get_msg(*args, **kwargs)

            channel.get_msg = quick_get_msg
            try:
                await super()._async_wait_for_ready(timeout=timeout)
            finally:
                channel.get_msg = get_msg

    class IPCKernelManager(AsyncKernelManager):
        """AsyncKernelManager over IPC sockets in a private folder, optionally forked."""

        client_factory = QuickReadyClient
        on_launch = None

        def client(self, **kwargs: Any):
            """A client, remembered so :func:`stop_kernel` can close its sockets."""
            kc = super().client(**kwargs)
            self.__dict__.setdefault("_innolab_clients", []).append(kc)
            return kc

        def __init__(self, **kwargs: Any):
            kid = uuid.uuid4().hex[:12]
            kwargs.setdefault("transport", "ipc")
            kwargs.setdefault("ip", os.path.join(ipc_dir, kid))
            kwargs.setdefault("connection_file", os.path.join(ipc_dir, f"{kid}.json"))
            super().__init__(**kwargs)
            self.kernel_id = kid

        async def _async_wait(self, pollinterval: float = 0.1) -> None:
            """Wait for a killed kernel to exit, looking every 5 ms instead of every 0.1 s.

            jupyter_client waits for the process after every kill (``shutdown_kernel(now=
            True)``); a killed kernel is gone within milliseconds, so the default interval
            left each batch worker idle for 0.1 s per country (measured: ``stop_kernel``
            0.115 s, now about 0.035 s, mostly the process teardown).
            """
            await super()._async_wait(pollinterval=min(pollinterval, 0.005))

        async def _async_pre_start_kernel(self, **kw: Any):
            if self.provisioner is None:
                self.provisioner = ForkProvisioner(
                    kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self
                )
            return await super()._async_pre_start_kernel(**kw)

    IPCKernelManager.ipc_dir = ipc_dir  # type: ignore[attr-defined]
    return IPCKernelManager


def start_kernel(km_class: type, kernel_name: str = "python3", **kwargs: Any):
    """Create a kernel manager of ``km_class`` and launch its kernel; returns without waiting.

    With a zygote the launch is a fork (milliseconds): the kernel initialises in the
    background while the caller does other work, which is how the batch runner hides kernel
    start-up behind the previous notebook.
    """
    from jupyter_core.utils import run_sync

    km = km_class(kernel_name=kernel_name)
    run_sync(km.start_kernel)(**kwargs)
    return km


def kernel_process(km) -> Any:
    """The ``ForkedProcess`` or ``Popen`` of a started kernel manager (or None)."""
    prov = getattr(km, "provisioner", None)
    return getattr(prov, "process", None)


def stop_kernel(km) -> None:
    """Kill a kernel started by :func:`start_kernel` and release its sockets and files."""
    from jupyter_core.utils import run_sync

    for kc in km.__dict__.pop("_innolab_clients", []):
        with contextlib.suppress(Exception):
            kc.stop_channels()
    with contextlib.suppress(Exception):
        if km.has_kernel:
            run_sync(km.shutdown_kernel)(now=True)
    with contextlib.suppress(Exception):
        run_sync(km.cleanup_resources)()
    if km.connection_file:
        with contextlib.suppress(OSError):
            os.unlink(km.connection_file)


def remove_ipc_dir(km_class: type) -> None:
    """Remove the socket folder of a class made by :func:`ipc_kernel_manager_class`."""
    d = getattr(km_class, "ipc_dir", None)
    if d:
        shutil.rmtree(d, ignore_errors=True)
