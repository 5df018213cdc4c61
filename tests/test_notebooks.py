"""Every notebook in notebooks/: committed clean and thin, and executes on the demo data."""

from __future__ import annotations

import ast
import json
import os
from pathlib import Path

import nbformat
import pytest

from innolab import config
from innolab.store import build as store_build

NOTEBOOKS = sorted(config.NOTEBOOKS_DIR.rglob("*.ipynb"))
NOTEBOOKS = [p for p in NOTEBOOKS if ".ipynb_checkpoints" not in p.parts]
TEMPLATES = [p for p in NOTEBOOKS if p.parent == config.TEMPLATES_DIR]
# figures each notebook must show on the demo data (country XAF has expert ratings)
MIN_FIGURES = {
    "country_profile": 6,
    "regional_comparison": 3,
    "methodology_audit": 1,
    "0.1-data-coverage": 1,
    "0.2-indicator-explorer": 1,
}
WRITE_METHODS = {
    "to_csv",
    "to_parquet",
    "to_excel",
    "to_pickle",
    "to_json",
    "to_html",
    "to_feather",
    "to_hdf",
    "to_sql",
    "savefig",
    "write_text",
    "write_bytes",
    "write_image",
    "dump",
    "imsave",
}


def _rel(p: Path) -> str:
    return str(p.relative_to(config.NOTEBOOKS_DIR))


def thin_violations(source: str) -> list[str]:
    """Why a template cell is not thin: def/class/lambda, loops, file writes (STYLE §d)."""
    problems = []
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            problems.append(f"line {node.lineno}: defines {node.name!r}")
        elif isinstance(node, ast.For | ast.AsyncFor | ast.While | ast.comprehension):
            problems.append(f"line {getattr(node, 'lineno', '?')}: loop")
        elif isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Attribute) and f.attr in WRITE_METHODS:
                problems.append(f"line {node.lineno}: writes a file ({f.attr})")
            if isinstance(f, ast.Name) and f.id == "open":
                modes = node.args[1:2] + [k.value for k in node.keywords if k.arg == "mode"]
                if any(
                    not isinstance(m, ast.Constant) or set(str(m.value)) & set("wax+")
                    for m in modes
                ):
                    problems.append(f"line {node.lineno}: opens a file for writing")
    return problems


def test_there_are_notebooks():
    names = {p.stem for p in NOTEBOOKS}
    assert {
        "country_profile",
        "regional_comparison",
        "methodology_audit",
        "0.1-data-coverage",
    } <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_rel)
def test_committed_clean(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, "no code cell"
    assert "parameters" in code[0].metadata.get("tags", []), "first code cell not tagged"
    for c in code:
        assert c.outputs == [], f"committed output in cell {c.id}"
        assert c.execution_count is None, f"execution count in cell {c.id}"
    # the parameters cell holds literal defaults only
    for stmt in ast.parse(code[0].source).body:
        assert isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Constant), (
            f"parameters cell: {ast.unparse(stmt)}"
        )
    assert any(c.cell_type == "markdown" and c.source.startswith("# ") for c in nb.cells)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_rel)
def test_thin(path):
    nb = nbformat.read(path, as_version=4)
    problems = []
    for c in nb.cells:
        if c.cell_type == "code":
            problems += [f"cell {c.id}: {p}" for p in thin_violations(c.source)]
            assert len(c.source.splitlines()) <= 8, f"cell {c.id} is long"
    assert not problems, problems
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "innolab" in text


@pytest.mark.parametrize(
    "source, expect",
    [
        ("def f():\n    pass", "defines 'f'"),
        ("class A:\n    pass", "defines 'A'"),
        ("for iso3 in codes:\n    study(iso3)", "loop"),
        ("[study(c) for c in codes]", "loop"),
        ("df.to_csv('x.csv')", "writes a file (to_csv)"),
        ("fig.savefig('x.png')", "writes a file (savefig)"),
        ("open('x.txt', 'w')", "opens a file for writing"),
        ("open('x.txt', mode='a')", "opens a file for writing"),
    ],
)
def test_thin_check_catches_violations(source, expect):
    assert any(expect in p for p in thin_violations(source))
    assert thin_violations("study = country_study(iso3)\nopen('x.txt')") == []


@pytest.fixture(scope="module")
def processed(tmp_path_factory):
    out = tmp_path_factory.mktemp("processed")
    store_build(config.RAW_DIR, out)
    return out


@pytest.fixture(scope="module")
def executed(processed, tmp_path_factory):
    """Every notebook run once on the demo data, in one batch of two workers."""
    from innolab.report import Task, run_batch
    from innolab.report.kernels import DEFAULT_PRELOAD
    from innolab.studies import STUDY_PRELOAD

    out = tmp_path_factory.mktemp("executed")
    params = {
        "country_profile": {"iso3": "XAF", "year": 2023, "data": str(processed)},
        "regional_comparison": {"grouping": "income_group", "year": 2023, "data": str(processed)},
        "methodology_audit": {"year": 2023, "data": str(processed)},
        "0.1-data-coverage": {"data": str(processed)},
    }
    tasks = [
        Task(name=p.stem, params=params.get(p.stem, {"data": str(processed)}), template=p)
        for p in NOTEBOOKS
    ]
    summary = run_batch(
        NOTEBOOKS[0],
        tasks,
        out,
        jobs=2,
        progress=False,
        validate=None,
        html=False,
        timeout=120,
        preload=(*DEFAULT_PRELOAD, *STUDY_PRELOAD),
    )
    return summary, out


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_rel)
def test_executes_on_demo_data(path, executed):
    summary, out = executed
    result = summary[path.stem]
    assert result.ok, f"{result.kind}: {result.message}"
    nb = nbformat.read(out / f"{path.stem}.ipynb", as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    errs = [o.text for o in outputs if o.output_type == "stream" and o.name == "stderr"]
    assert not [e for e in errs if "Traceback" in e or "Error" in e], errs
    images = [o["data"]["image/png"] for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= MIN_FIGURES.get(path.stem, 1)
    assert len(set(images)) == len(images), "a figure is shown twice"
    assert all(len(i) < 80_000 for i in images), "figures are not compact"
    text = json.dumps([o.get("data", {}).get("text/markdown", "") for o in outputs])
    if path in TEMPLATES:
        assert "Synthetic demo data" in text  # banner on synthetic data
        assert "Data sources" in text  # generated methodology section


def test_reports_command_end_to_end(processed, tmp_path):
    from innolab.cli import main

    rc = main(
        [
            "reports",
            "--data",
            str(processed),
            "--out",
            str(tmp_path),
            "--countries",
            "XAA",
            "--no-regional",
            "--no-progress",
        ]
    )
    assert rc == 0
    assert (tmp_path / "countries" / "XAA.html").is_file()
    index = (tmp_path / "index.html").read_text()
    assert 'href="countries/XAA.html"' in index and "Republic of Aldoria" in index
    assert (processed / "scores_digital_innovation_2023.csv").is_file()
    assert (processed / "scores_digital_innovation_2023.provenance.json").is_file()
    assert (
        main(
            [
                "reports",
                "--data",
                str(processed),
                "--out",
                str(tmp_path),
                "--countries",
                "XZZ",
                "--no-regional",
                "--no-progress",
            ]
        )
        == 2
    )


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_published_reports_render_in_headless_chromium(processed, tmp_path):
    """The published profile and the index open in a real browser: screenshot, no console
    errors, every index link resolves, every figure has a non-zero size."""
    import base64
    import re
    import subprocess

    from innolab.cli import main
    from innolab.report import publish

    chromium = publish.find_chromium()
    if chromium is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must have headless Chromium (.ci/run installs it)")
        pytest.skip("headless Chromium not installed")
    assert (
        main(
            [
                "reports",
                "--data",
                str(processed),
                "--out",
                str(tmp_path),
                "--countries",
                "XAA,XCG",
                "--no-regional",
                "--no-progress",
            ]
        )
        == 0
    )
    index = tmp_path / "index.html"
    profile = tmp_path / "countries" / "XAA.html"

    hrefs = re.findall(r'href="([^"#:]+)"', index.read_text())
    assert "countries/XAA.html" in hrefs and "countries/XCG.html" in hrefs
    for href in hrefs:
        assert (tmp_path / href).is_file(), f"broken link in index.html: {href}"

    html = profile.read_text()
    assert "innolab synthetic demo" in html  # the data source in the report header
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    assert len(images) >= 4
    for img in images:
        w, h = _png_size(base64.b64decode(img))
        assert w > 100 and h > 100, (w, h)

    for page in (index, profile):
        shot = tmp_path / f"{page.stem}.png"
        run = subprocess.run(
            [
                chromium,
                *publish.CHROMIUM_FLAGS,
                f"--user-data-dir={tmp_path / 'chrome'}",
                "--enable-logging=stderr",
                "--v=0",
                "--window-size=1200,2000",
                f"--screenshot={shot}",
                page.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert shot.is_file() and shot.stat().st_size > 20_000, run.stderr[-2000:]
        console = [ln for ln in run.stderr.splitlines() if "CONSOLE" in ln or "Uncaught" in ln]
        assert not console, console
        dom = subprocess.run(
            [
                chromium,
                *publish.CHROMIUM_FLAGS,
                f"--user-data-dir={tmp_path / 'chrome'}",
                "--dump-dom",
                page.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout
        assert "</html>" in dom and "Traceback" not in dom
