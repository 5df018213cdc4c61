"""The batch runner on toy notebooks: failures stay local, resume, exact parameters, isolation.

One batch (module fixture) runs, on 2 workers: two good countries whose parameters papermill's
CLI would mangle ("NA", "NO", code "0404"), a notebook that raises, one that sleeps past the
timeout, one that kills its own kernel, and three notebooks that try to leak state to the
next country. Most tests read its outputs, so kernels start only a few times in this file.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from innolab.report import Task, run_batch
from innolab.report import batch as batch_mod
from innolab.report.run import Template

NB = Path(__file__).resolve().parents[1] / "data" / "notebooks"
TIMEOUT = 4


def _tasks(fixed: bool = False) -> list:
    """The mixed batch; with ``fixed`` the three bad countries use the good template."""
    tiny = NB / "tiny.ipynb"
    return [
        {"iso3": "NA", "code": "0404", "name": "Namibia"},
        {"iso3": "NO", "name": "Norway", "year": 2022},
        Task("ERR", {"iso3": "ERR"}, tiny if fixed else NB / "raises.ipynb"),
        Task("SLOW", {"iso3": "SLOW"}, tiny if fixed else NB / "sleeps.ipynb"),
        Task("DEAD", {"iso3": "DEAD"}, tiny if fixed else NB / "kills.ipynb"),
        Task("LEAK1", {"iso3": "LEAK1"}, NB / "leak.ipynb"),
        Task("LEAK2", {"iso3": "LEAK2"}, NB / "leak.ipynb"),
        Task("LEAK3", {"iso3": "LEAK3"}, NB / "leak.ipynb"),
    ]


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """The mixed batch, run once per test session even with pytest-xdist.

    xdist workers share the parent of their base temporary folder; the first worker to take
    the lock runs the batch and records the summary, the others read it (tests only read the
    outputs; the resume test works on a copy). The folder is named after the session's run id,
    so outputs of an earlier session (earlier code) are never taken for this one's.
    """
    import dataclasses
    import fcntl

    uid = os.environ.get("PYTEST_XDIST_TESTRUNUID")  # the same in every worker of a session
    if uid:
        root = tmp_path_factory.getbasetemp().parent / f"innolab-report-batch-{uid}"
        root.mkdir(exist_ok=True)
    else:  # no xdist: this session's own folder (never a previous session's outputs)
        root = tmp_path_factory.mktemp("report-batch")
    out = root / "reports" / "countries"
    record = root / "summary.json"
    with open(root / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not record.exists():
            summary = run_batch(
                NB / "tiny.ipynb", _tasks(), out, jobs=2, timeout=TIMEOUT, validate=None
            )
            data = {
                "results": [dataclasses.asdict(r) for r in summary.results],
                "seconds": summary.seconds,
            }
            record.write_text(json.dumps(data))
    data = json.loads(record.read_text())
    results = [batch_mod.TaskResult(**r) for r in data["results"]]
    return batch_mod.BatchSummary(results, out, data["seconds"]), out


def _stdout(nb) -> list[str]:
    return [
        o["text"]
        for c in nb.cells
        for o in c.get("outputs", [])
        if o.get("output_type") == "stream" and o.get("name") == "stdout"
    ]


def test_summary_names_each_failure_and_its_cause(batch):
    summary, _ = batch
    status = {r.name: r.status for r in summary.results}
    assert status == {
        "NA": "ok",
        "NO": "ok",
        "ERR": "failed",
        "SLOW": "failed",
        "DEAD": "failed",
        "LEAK1": "ok",
        "LEAK2": "ok",
        "LEAK3": "ok",
    }
    assert summary["ERR"].kind == "cell error"
    assert summary["ERR"].message == "ValueError: no data for ERR"
    assert summary["SLOW"].kind == "timeout"
    assert f"{TIMEOUT} s" in summary["SLOW"].message
    assert summary["DEAD"].kind == "dead kernel"
    assert summary.exit_code == 1 and not summary.ok
    text = str(summary)
    assert "8 notebooks" in text and "5 ran, 0 up to date, 3 failed" in text
    assert "ERR: cell error: ValueError: no data for ERR" in text
    assert "SLOW: timeout" in text and "DEAD: dead kernel" in text


def test_outputs_are_complete_and_failures_write_no_report(batch):
    _, out = batch
    for name in ("NA", "NO", "LEAK1"):
        nb = nbformat.read(out / f"{name}.ipynb", as_version=4)  # parses: complete JSON
        assert nb.metadata.papermill.parameters["iso3"] == name
        assert (out / f"{name}.html").read_text().rstrip().endswith("</html>")
    for name in ("ERR", "SLOW", "DEAD"):
        assert not (out / f"{name}.ipynb").exists() and not (out / f"{name}.html").exists()
    failed = nbformat.read(out / "ERR.failed.ipynb", as_version=4)  # kept for inspection
    assert failed.metadata.papermill.exception is True
    assert not list(out.glob(".*.tmp*")), "temporary files left behind"


def test_manifests_record_status_inputs_and_output_hashes(batch):
    _, out = batch
    man = batch_mod.read_manifest(out, "NA")
    assert man["status"] == "ok"
    assert man["inputs"]["params"] == {"iso3": "NA", "code": "0404", "name": "Namibia"}
    assert man["inputs"]["template_sha256"] == Template(NB / "tiny.ipynb").sha256
    assert man["inputs_sha256"] == batch_mod.inputs_hash(
        man["inputs"]["template_sha256"],
        {"iso3": "NA", "code": "0404", "name": "Namibia"},
        options={"kernel_name": "python3", "html": True},
    )
    from innolab.io import sha256_file

    assert man["outputs"]["html"]["sha256"] == sha256_file(out / "NA.html")
    assert man["outputs"]["ipynb"]["sha256"] == sha256_file(out / "NA.ipynb")
    bad = batch_mod.read_manifest(out, "ERR")
    assert bad["status"] == "failed"
    assert bad["error"]["kind"] == "cell error" and bad["error"]["ename"] == "ValueError"


def test_parameter_values_arrive_exactly(batch):
    """'NA' (Namibia), 'NO' (Norway) and '0404' stay strings; 2022 stays an int."""
    _, out = batch
    seen_na = json.loads(_stdout(nbformat.read(out / "NA.ipynb", as_version=4))[0])
    assert seen_na == {"iso3": "NA", "name": "Namibia", "year": 2023, "code": "0404"}
    seen_no = json.loads(_stdout(nbformat.read(out / "NO.ipynb", as_version=4))[0])
    assert seen_no == {"iso3": "NO", "name": "Norway", "year": 2022, "code": "0000"}


def test_figures_are_rendered_inline(batch):
    """Pitfall P11: an exported MPLBACKEND would silently drop every image."""
    _, out = batch
    nb = nbformat.read(out / "NA.ipynb", as_version=4)
    pngs = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(pngs) == 1
    page = (out / "NA.html").read_text()
    assert page.count('src="data:image/png;base64,') == 1


def test_no_state_leaks_between_countries(batch):
    """Each country gets a fresh kernel process: globals, rcParams, module attributes,
    environment and sys.path set by one are invisible to the next (3 countries on 2 workers, so
    at least two ran one after the other in the same worker)."""
    _, out = batch
    seen = [
        json.loads(_stdout(nbformat.read(out / f"LEAK{i}.ipynb", as_version=4))[0])
        for i in (1, 2, 3)
    ]
    for s in seen:
        assert s["global"] is None
        assert s["rc_linewidth"] == 1.5
        assert s["module_attr"] is None
        assert s["env"] is None
        assert s["sys_path"] is False
    assert len({s["pid"] for s in seen}) == 3
    counts = [c.execution_count for c in nbformat.read(out / "LEAK3.ipynb", as_version=4).cells]
    assert counts[:3] == [1, 2, 3]  # a fresh kernel numbers from 1


def test_html_is_a_report_not_a_code_dump(batch):
    _, out = batch
    page = (out / "NA.html").read_text()
    assert "import matplotlib" not in page and "plt.subplots" not in page
    assert "input_area" not in page and "In&nbsp;[" not in page
    links = re.findall(r"<link[^>]*>", page)
    assert len(links) == 1 and 'href="../assets/innolab.css"' in links[0]
    assert 'rel="stylesheet"' in links[0]
    assert (out / "../assets/innolab.css").resolve().is_file()
    assert "<style" not in page.split("<main")[0]  # no inlined page CSS
    assert "Namibia" in page.split("<main")[0]  # header
    assert "Provenance" in page and "tiny.ipynb" in page  # footer
    toc = re.search(r'<nav [^>]*aria-label="Contents"[^>]*>(.*?)</nav>', page, re.S).group(1)
    targets = re.findall(r'href="#([^"]+)"', toc)
    assert targets == ["Toy-country-profile", "Parameters-as-received", "Indicators", "Figure"]
    for t in targets:
        assert f'id="{t}"' in page
    assert len(page.encode()) < 300_000


def test_resume_redoes_only_failed_or_out_of_date(batch, tmp_path):
    _, first = batch
    out = tmp_path / "countries"
    shutil.copytree(first, out)
    (out / "NO.html").write_text("<html>tampered")  # an output that no longer matches
    before = {p.name: p.stat().st_mtime_ns for p in out.glob("*.ipynb")}
    summary = run_batch(
        NB / "tiny.ipynb",
        _tasks(fixed=True),
        out,
        jobs=1,
        timeout=TIMEOUT,
        validate=None,
        resume=True,
        progress=False,
    )
    status = {r.name: r.status for r in summary.results}
    assert status == {
        "NA": "skipped",
        "NO": "ok",
        "ERR": "ok",
        "SLOW": "ok",
        "DEAD": "ok",
        "LEAK1": "skipped",
        "LEAK2": "skipped",
        "LEAK3": "skipped",
    }
    assert summary.exit_code == 0
    assert (out / "NA.ipynb").stat().st_mtime_ns == before["NA.ipynb"]
    assert not (out / "ERR.failed.ipynb").exists()
    assert (out / "NO.html").read_text().rstrip().endswith("</html>")
    again = run_batch(
        NB / "tiny.ipynb",
        _tasks(fixed=True),
        out,
        jobs=2,
        validate=None,
        resume=True,
        progress=False,
    )
    assert {r.status for r in again.results} == {"skipped"}  # idempotent


def test_resume_redoes_reports_when_innolab_code_changes(batch, tmp_path, monkeypatch, capfd):
    """A report is out of date when the innolab source that produced it changed, even with
    the same version number; a second batch in this (now warm) process forks its kernels
    from the zygote and leaves no orphan kernel behind ("Parent appears to have exited")."""
    import time

    _, first = batch
    out = tmp_path / "countries"
    shutil.copytree(first, out)
    good = _tasks()[:2]  # NA and NO: ok in the first batch
    kwargs = dict(jobs=2, timeout=TIMEOUT, validate=None, resume=True, progress=False)
    same = run_batch(NB / "tiny.ipynb", good, out, **kwargs)
    assert [r.status for r in same.results] == ["skipped", "skipped"]
    assert json.loads((out / "NA.manifest.json").read_text())["inputs"]["innolab_code"] == (
        batch_mod.code_fingerprint()
    )
    monkeypatch.setattr(batch_mod, "_package_fingerprint", lambda: "edited-source")
    redone = run_batch(NB / "tiny.ipynb", good, out, **kwargs)
    assert [r.status for r in redone.results] == ["ok", "ok"]
    man = json.loads((out / "NA.manifest.json").read_text())
    assert man["inputs"]["innolab_code"] == "edited-source"
    again = run_batch(NB / "tiny.ipynb", good, out, **kwargs)
    assert [r.status for r in again.results] == ["skipped", "skipped"]
    time.sleep(1.5)  # an orphaned kernel's parent poller would speak within a second
    assert "Parent appears to have exited" not in capfd.readouterr().err


def test_code_fingerprint_follows_the_source_files(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__pycache__").mkdir()
    (pkg / "a.py").write_text("x = 1\n")
    (pkg / "sub" / "spec.yaml").write_text("code: t\n")
    base = batch_mod.code_fingerprint(pkg)
    assert base == batch_mod.code_fingerprint(pkg)  # deterministic
    (pkg / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"compiled")
    (pkg / "notes.txt").write_text("not code")
    assert batch_mod.code_fingerprint(pkg) == base  # caches and other files do not count
    (pkg / "sub" / "spec.yaml").write_text("code: u\n")
    assert batch_mod.code_fingerprint(pkg) != base  # shipped data counts
    (pkg / "sub" / "spec.yaml").write_text("code: t\n")
    assert batch_mod.code_fingerprint(pkg) == base
    (pkg / "b.py").write_text("")
    assert batch_mod.code_fingerprint(pkg) != base  # a new module counts
    (pkg / "b.py").unlink()
    (pkg / "a.py").rename(pkg / "c.py")
    assert batch_mod.code_fingerprint(pkg) != base  # so does a file's path
    installed = batch_mod.code_fingerprint()
    assert len(installed) == 64 and installed == batch_mod.code_fingerprint()


def test_a_starting_zygote_is_waited_for_not_taken_for_dead(tmp_path, monkeypatch):
    """Workers forked from a warm fork server ask for a kernel before the batch's zygote has
    bound its socket; that must not count as a dead zygote (which made them start fresh,
    slow kernels that outlived them). A zygote that never appears is given up on."""
    import threading

    from innolab.report import kernels

    monkeypatch.setattr(kernels, "_BIND_TIMEOUT", 0.3)
    client = kernels.ZygoteClient(str(tmp_path / "never.sock"))
    assert client.alive()  # not there yet: starting
    with pytest.raises(kernels.ZygoteError, match="no kernel zygote"):
        client.wait_ready(timeout=5)
    assert not client.alive()

    monkeypatch.setattr(kernels, "_BIND_TIMEOUT", 30.0)
    path = str(tmp_path / "late.sock")

    def late_zygote() -> None:  # binds 0.3 s after the client started waiting
        import socket

        threading.Event().wait(0.3)
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(path)
        srv.listen(1)
        conn, _ = srv.accept()
        conn.sendall(b'{"ready": true, "pid": 1, "failed": {}}\n')
        conn.close()
        srv.close()

    server = threading.Thread(target=late_zygote)
    server.start()
    try:
        late = kernels.ZygoteClient(path)
        assert late.alive()
        assert late.wait_ready(timeout=10)["ready"] is True
    finally:
        server.join()


def _spec(tmp_path, name="FULL"):
    tpl = Template(NB / "tiny.ipynb")
    return batch_mod._make_spec(Task(name, {"iso3": name}), tpl, tmp_path, timeout=30, fork=False)


def test_disk_full_is_reported_and_leaves_no_partial_file(tmp_path, monkeypatch):
    """ENOSPC half-way through writing the HTML: the summary names it, nothing is truncated."""
    real = batch_mod.atomic_write

    class FullDisk:
        def __init__(self, fh):
            self.fh = fh

        def write(self, text):
            self.fh.write(text[: len(text) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")

    def atomic_write(path, *args, **kwargs):
        cm = real(path, *args, **kwargs)
        if not str(path).endswith(".html"):
            return cm

        class Wrapped:
            def __enter__(self):
                return FullDisk(cm.__enter__())

            def __exit__(self, *exc):
                return cm.__exit__(*exc)

        return Wrapped()

    monkeypatch.setattr(batch_mod, "atomic_write", atomic_write)
    res = batch_mod._execute_task(_spec(tmp_path))
    assert res["status"] == "failed" and res["kind"] == "write error"
    assert "No space left on device" in res["message"]
    assert not (tmp_path / "FULL.html").exists()
    assert not [p for p in tmp_path.iterdir() if ".tmp" in p.name]
    assert batch_mod.read_manifest(tmp_path, "FULL")["status"] == "failed"
    monkeypatch.undo()
    assert batch_mod._execute_task(_spec(tmp_path))["status"] == "ok"  # space again: it completes
    assert (tmp_path / "FULL.html").read_text().rstrip().endswith("</html>")


def test_progress_lines_in_logs(batch, capfd):
    bar = batch_mod._Progress(2, True)
    bar.update(batch_mod.TaskResult("NA", "ok", seconds=1.25))
    bar.update(batch_mod.TaskResult("ERR", "failed", kind="cell error", message="ValueError: x"))
    bar.close()
    err = capfd.readouterr().err.splitlines()
    assert err == ["[1/2] NA: ok (1.2 s)", "[2/2] ERR: FAILED (cell error: ValueError: x)"]


def test_kernels_preload_what_country_profiles_import():
    """``innolab batch`` and ``run_batch`` default to a zygote with innolab.studies and what
    it imports lazily, not only ``innolab reports`` (which used to add them itself)."""
    import inspect

    from innolab.report.kernels import DEFAULT_PRELOAD
    from innolab.studies import STUDY_PRELOAD

    assert set(STUDY_PRELOAD) <= set(DEFAULT_PRELOAD)
    assert {"pyarrow.parquet", "yaml", "pandas.io.formats.style"} <= set(DEFAULT_PRELOAD)
    for fn in (batch_mod.run_batch,):
        assert inspect.signature(fn).parameters["preload"].default == DEFAULT_PRELOAD
