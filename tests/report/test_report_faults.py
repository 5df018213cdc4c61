"""The runner killed with SIGKILL half-way, the Dask executor, and the CLI's exit status."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import pytest

from innolab.cli import main
from innolab.report import batch as batch_mod
from innolab.report import run_batch

NB = Path(__file__).resolve().parents[1] / "data" / "notebooks"
TINY = NB / "tiny.ipynb"


def _children(pid: int) -> set[int]:
    """Every descendant of ``pid`` (from /proc)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    stat = fh.read()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, todo = set(), [pid]
    while todo:
        p = todo.pop()
        for child, parent in parents.items():
            if parent == p and child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _complete(out: Path) -> None:
    """Every file under a final name is whole: notebooks parse, pages end with </html>."""
    for p in out.glob("*.ipynb"):
        nbformat.read(p, as_version=4)
    for p in out.glob("*.html"):
        assert p.read_text().rstrip().endswith("</html>"), p
    for p in out.glob("*.manifest.json"):
        json.loads(p.read_text())


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc and PDEATHSIG")
def test_sigkill_of_the_runner_leaves_no_partial_output_and_resume_completes(tmp_path):
    out = tmp_path / "countries"
    codes = [f"C{i:02d}" for i in range(6)]
    script = tmp_path / "runner.py"
    script.write_text(
        textwrap.dedent(f"""
        from innolab.report import run_batch
        if __name__ == "__main__":
            run_batch({str(TINY)!r}, [{{"iso3": c}} for c in {codes!r}], {str(out)!r},
                      jobs=2, validate=None, progress=False)
    """)
    )
    proc = subprocess.Popen([sys.executable, str(script)], stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not list(out.glob("*.manifest.json")):
            assert proc.poll() is None, "the runner ended before it could be killed"
            assert time.monotonic() < deadline, "no country finished within 120 s"
            time.sleep(0.02)
        family = _children(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert family, "the runner had no worker processes"
    deadline = time.monotonic() + 15
    while any(_alive(p) for p in family):  # workers, zygotes and kernels die with the runner
        assert time.monotonic() < deadline, f"orphans left: {[p for p in family if _alive(p)]}"
        time.sleep(0.05)
    done = {p.name.split(".")[0] for p in out.glob("*.manifest.json")}
    assert 0 < len(done) < len(codes), "the kill did not happen half-way"
    _complete(out)  # every file under a final name is whole
    listing = sorted(p.name for p in out.iterdir())
    time.sleep(0.5)
    assert sorted(p.name for p in out.iterdir()) == listing  # nobody is still writing

    summary = run_batch(
        TINY, [{"iso3": c} for c in codes], out, jobs=2, validate=None, resume=True, progress=False
    )
    assert summary.exit_code == 0, str(summary)
    assert {r.name for r in summary.skipped} == {
        n for n in done if (batch_mod.read_manifest(out, n) or {}).get("status") == "ok"
    }
    for c in codes:
        assert (out / f"{c}.html").exists() and (out / f"{c}.ipynb").exists()
    _complete(out)
    assert not list(out.glob(".*.tmp*"))


@pytest.mark.slow
def test_dask_executor_on_a_local_cluster(tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        summary = run_batch(
            TINY,
            [{"iso3": "NA", "code": "0404"}, {"iso3": "NO"}],
            tmp_path / "countries",
            executor="dask",
            scheduler=cluster.scheduler_address,
            validate=None,
            progress=False,
            timeout=60,
        )
    assert [(r.name, r.status) for r in summary.results] == [("NA", "ok"), ("NO", "ok")]
    nb = nbformat.read(tmp_path / "countries" / "NA.ipynb", as_version=4)
    stdout = [
        o["text"] for c in nb.cells for o in c.get("outputs", []) if o.get("name") == "stdout"
    ]
    assert json.loads(stdout[0])["code"] == "0404"
    assert (tmp_path / "countries" / "NO.html").exists()


def test_cli_batch_reports_failures_and_exits_non_zero(tmp_path, capsys):
    code = main(
        [
            "batch",
            "--notebook",
            str(NB / "raises.ipynb"),
            "--countries",
            "KEN,NOR",
            "--out",
            str(tmp_path / "countries"),
            "--jobs",
            "1",
            "--timeout",
            "30",
            "--no-progress",
        ]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "2 notebooks" in err and "2 failed" in err
    assert "KEN: cell error: ValueError: no data for KEN" in err
    assert "NOR: cell error: ValueError: no data for NOR" in err
    assert "Traceback" not in err


def test_cli_batch_unknown_parameter_is_a_one_line_error(tmp_path, capsys):
    code = main(
        [
            "batch",
            "--notebook",
            str(TINY),
            "--countries",
            "KEN",
            "-p",
            "colour=red",
            "--out",
            str(tmp_path / "o"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip().splitlines() == [
        "error: parameter 'colour': not a parameter of tiny.ipynb; it declares: iso3, name, "
        "year, code"
    ]
    assert not (tmp_path / "o").exists()


def test_cli_batch_unknown_country_is_a_one_line_error(tmp_path, capsys):
    code = main(["batch", "--notebook", str(TINY), "--countries", "KEN,NA", "--out", str(tmp_path)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith("error: parameter 'iso3': unknown country: 'NA'")


def test_cli_publish_writes_the_index(tmp_path, capsys):
    countries = tmp_path / "countries"
    countries.mkdir()
    (countries / "KEN.html").write_text("<html></html>")
    man = {
        "status": "ok",
        "name": "KEN",
        "inputs": {"params": {"iso3": "KEN"}},
        "outputs": {"html": {"file": "KEN.html", "sha256": "x"}},
    }
    (countries / "KEN.manifest.json").write_text(json.dumps(man))
    assert main(["publish", "--reports", str(countries)]) == 0
    assert "1 reports" in capsys.readouterr().out
    assert 'href="countries/KEN.html"' in (tmp_path / "index.html").read_text()


def test_stale_socket_folders_of_killed_runs_are_swept(tmp_path):
    from innolab.report.kernels import private_tmpdir, sweep_stale_tmpdirs

    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    ).stdout.strip()
    stale = Path("/tmp") / f"ik-{dead}-test{os.getpid()}"
    stale.mkdir()
    (stale / "k-1").write_text("")
    mine = Path(private_tmpdir("ik"))
    try:
        assert sweep_stale_tmpdirs() >= 1
        assert not stale.exists() and mine.exists()  # only folders of dead processes go
    finally:
        mine.rmdir()
