"""Publishing: report pages, the index and regional pages, escaping, PDF (no kernels here)."""

from __future__ import annotations

import base64
import os
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from innolab.report import publish
from innolab.report.publish import (
    PublishError,
    _add_toc,
    notebook_to_html,
    report_context,
    write_index,
    write_region_page,
    write_report_html,
)

EVIL = "<script>alert(1)</script>"
# a 1x1 transparent PNG
PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
    )
).decode()


def _executed_notebook():
    code = new_code_cell("import pandas as pd\nsecret_code_marker = 1\ndf", execution_count=1)
    code.outputs = [
        new_output("stream", name="stdout", text="hello from the kernel\n"),
        new_output("stream", name="stderr", text="DeprecationWarning: noise\n"),
        new_output(
            "execute_result",
            data={
                "text/html": "<table><tr><td>&lt;script&gt;alert(1)&lt;/script&gt;</td></tr></table>",
                "text/plain": "df",
            },
            execution_count=1,
        ),
    ]
    fig = new_code_cell("fig", execution_count=2)
    fig.outputs = [new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"})]
    hidden = new_code_cell(
        "print('internal')", execution_count=3, metadata={"tags": ["remove-cell"]}
    )
    hidden.outputs = [new_output("stream", name="stdout", text="internal detail\n")]
    nb = new_notebook(
        cells=[
            new_markdown_cell("# Kenya profile"),
            new_markdown_cell("## Key messages\n\nText."),
            code,
            new_markdown_cell("### Pillars & gaps"),
            fig,
            hidden,
        ]
    )
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


def test_toc_known_answer():
    page = (
        '<nav><!--innolab:toc--></nav><main><h1 id="A">A</h1><h2>B &amp; C</h2>'
        '<h3 id="D">D<a class="anchor-link" href="#D">¶</a></h3><h2 id="E">E</h2></main>'
    )
    assert _add_toc(page) == (
        '<nav><ol><li><a href="#A">A</a><ol><li><a href="#section-2">B &amp; C</a><ol>'
        '<li><a href="#D">D</a></li></ol></li><li><a href="#E">E</a></li></ol></li></ol></nav>'
        '<main><h1 id="A">A</h1><h2 id="section-2">B &amp; C</h2>'
        '<h3 id="D">D<a class="anchor-link" href="#D">¶</a></h3><h2 id="E">E</h2></main>'
    )


def test_report_page_has_no_code_and_has_header_toc_footer(tmp_path):
    ctx = report_context(
        {"iso3": "KEN", "name": "Kenya", "year": 2023},
        source="World Bank WDI (demo)",
        provenance={"template": "country_profile.ipynb"},
    )
    out = write_report_html(_executed_notebook(), tmp_path / "countries" / "KEN.html", ctx)
    page = out.read_text()
    assert "secret_code_marker" not in page and "import pandas" not in page
    assert "In&nbsp;[" not in page and "Out[" not in page
    assert "hello from the kernel" in page
    assert "DeprecationWarning" not in page  # stderr stays in the .ipynb only
    assert "internal detail" not in page  # remove-cell tag honoured
    header = page.split('<main class="report-body">')[0]
    for text in ("Kenya", "2023", "World Bank WDI (demo)", "Digital Innovation Profile"):
        assert text in header
    assert re.search(r'<link rel="stylesheet" href="\.\./assets/innolab\.css">', page)
    assert "<style" not in header
    assert re.findall(r'<li><a href="#([^"]+)">', page) == [
        "Kenya-profile",
        "Key-messages",
        "Pillars-%26-gaps",  # id "Pillars-&-gaps", percent-encoded in the link
    ]
    assert 'id="Pillars-&amp;-gaps"' in page
    footer = page.split('<footer class="report-footer">')[1]
    assert "country_profile.ipynb" in footer and "innolab" in footer
    assert page.count("data:image/png;base64,") == 1
    assert "¶</a></li>" not in page and "&#182;</a></li>" not in page  # no pilcrow in the TOC
    assert all("alt=" in tag for tag in re.findall(r"<img[^>]*>", page))


def test_images_without_alt_text_get_a_default_and_their_own_is_kept():
    from innolab.report.publish import _default_alt_text

    page = '<p><img src="a.png"><img alt="Pillar scores" src="b.png"><img/><imgx></p>'
    assert _default_alt_text(page) == (
        '<p><img alt="No description has been provided for this image" src="a.png">'
        '<img alt="Pillar scores" src="b.png">'
        '<img alt="No description has been provided for this image"/><imgx></p>'
    )


def test_toc_labels_drop_the_anchor_pilcrow_however_it_is_written():
    page = (
        '<nav><!--innolab:toc--></nav><h2 id="F">F<a class="anchor-link" href="#F">&#182;</a></h2>'
    )
    assert '<a href="#F">F</a>' in _add_toc(page)


def test_header_names_the_country_from_the_reference_table():
    ctx = report_context({"iso3": "KEN", "year": 2023})
    assert ctx["title"] == "Kenya"
    assert ctx["facts"] == [("Country", "Kenya"), ("ISO3", "KEN"), ("Year", "2023")]
    assert report_context({"iso3": "XXQ"})["title"] == "XXQ"  # unknown codes shown as given


def test_data_derived_text_is_escaped_in_reports(tmp_path):
    ctx = report_context(
        {"iso3": "KEN", "name": EVIL, "year": EVIL}, source=EVIL, provenance={EVIL: EVIL}
    )
    page = notebook_to_html(_executed_notebook(), ctx)
    assert EVIL not in page
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 5


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and "href" in attrs:
            self.hrefs.append(attrs["href"])
        if tag == "link":
            self.hrefs.append(attrs["href"])


def _links(path: Path) -> list[str]:
    p = _Links()
    p.feed(path.read_text())
    return p.hrefs


def _write_reports(root: Path) -> list[dict]:
    rows = []
    for iso3, name, score, region in [
        ("KEN", "Kenya", 41.5, "AFR"),
        ("NA", "Namibia", 38.25, "AFR"),
        ("NO", EVIL, 77.0, "EUR"),
        ("ZZZ", "No data", None, "EUR"),
    ]:
        report = root / "countries" / f"{iso3}.html"
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(f"<html><body>{iso3}</body></html>")
        rows.append(
            {"iso3": iso3, "name": name, "score": score, "region": region, "report": report}
        )
    return rows


def test_index_links_resolve_sort_numbers_and_escape(tmp_path):
    rows = _write_reports(tmp_path)
    region = write_region_page(
        "AFR",
        [r for r in rows if r["region"] == "AFR"],
        tmp_path / "regions" / "AFR.html",
        columns=[("name", "Country"), ("score", "Index score")],
        index=tmp_path / "index.html",
        assets_dir=tmp_path / "assets",
    )
    index = write_index(
        rows,
        tmp_path / "index.html",
        columns=[
            ("name", "Country"),
            ("iso3", "ISO3"),
            ("score", "Index score"),
            ("region", "Region"),
        ],
        regions=[("AFR", region)],
    )
    page = index.read_text()
    assert EVIL not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    for page_path in (index, region):
        for href in _links(page_path):
            assert (page_path.parent / href).resolve().exists(), href
    assert '<a href="countries/KEN.html">Kenya</a>' in page
    assert '<a href="regions/AFR.html">AFR</a>' in page
    assert (
        '<th scope="col" data-type="number"><button type="button">Index score</button></th>' in page
    )
    assert '<td data-sort="41.5" class="num">41.50</td>' in page
    assert '<td data-sort="" class="num">–</td>' in page  # missing sorts last
    assert "<script>" in page and "http" not in page.split("<script>")[1]  # inline, offline
    assert (tmp_path / "assets" / "innolab.css").is_file()
    assert '<a href="../index.html">All reports</a>' in region.read_text()
    umask = os.umask(0)
    os.umask(umask)
    for path in (index, region, tmp_path / "assets" / "innolab.css"):
        assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # readable like any file


def test_index_refuses_links_that_do_not_resolve(tmp_path):
    with pytest.raises(PublishError, match="does not exist"):
        write_index(
            [{"name": "Kenya", "report": tmp_path / "KEN.html"}],
            tmp_path / "index.html",
            columns=["name"],
        )
    assert not (tmp_path / "index.html").exists()


def test_publish_reports_from_manifests(tmp_path):
    import json

    import pandas as pd

    countries = tmp_path / "countries"
    countries.mkdir()
    for iso3 in ("KEN", "NA"):
        (countries / f"{iso3}.html").write_text("<html></html>")
        man = {
            "status": "ok",
            "name": iso3,
            "inputs": {"params": {"iso3": iso3}},
            "outputs": {"html": {"file": f"{iso3}.html", "sha256": "x"}},
        }
        (countries / f"{iso3}.manifest.json").write_text(json.dumps(man))
    (countries / "ERR.manifest.json").write_text(json.dumps({"status": "failed", "name": "ERR"}))
    table = pd.DataFrame(
        {
            "iso3": ["KEN", "NA", "NO"],
            "score": [41.5, 38.25, 77.0],
            "region": ["Eastern Africa", "Southern Africa", "Europe"],
        }
    )
    res = publish.publish_reports(countries, table=table, group_by="region")
    assert res["reports"] == 2
    page = res["index"].read_text()
    assert "countries/KEN.html" in page and "countries/NA.html" in page and "ERR" not in page
    assert [p.name for p in res["regions"]] == ["Eastern_Africa.html", "Southern_Africa.html"]


def _ok_manifest(folder: Path, name: str, params: dict) -> None:
    import json

    (folder / f"{name}.html").write_text("<html></html>")
    man = {
        "status": "ok",
        "name": name,
        "inputs": {"params": params},
        "outputs": {"html": {"file": f"{name}.html", "sha256": "x"}},
    }
    (folder / f"{name}.manifest.json").write_text(json.dumps(man))


def test_index_links_the_published_group_comparisons(tmp_path):
    """``innolab reports`` writes the regional_comparison pages to reports/groupings; the
    index links each finished one, in a fixed order, and skips failed ones."""
    import json

    countries, groupings = tmp_path / "countries", tmp_path / "groupings"
    countries.mkdir()
    groupings.mkdir()
    _ok_manifest(countries, "KEN", {"iso3": "KEN"})
    _ok_manifest(groupings, "income_group", {"grouping": "income_group", "year": 2023})
    _ok_manifest(groupings, "itu_region", {"grouping": "itu_region", "year": 2023})
    (groupings / "wb_region.manifest.json").write_text(
        json.dumps({"status": "failed", "name": "wb_region"})
    )
    res = publish.publish_reports(countries)
    page = res["index"].read_text()
    nav = re.search(r'<p class="report-nav report-comparisons">(.*?)</p>', page, re.S)
    assert nav is not None
    assert re.findall(r'<a href="([^"]+)">([^<]+)</a>', nav.group(1)) == [
        ("groupings/itu_region.html", "ITU-D regions"),
        ("groupings/income_group.html", "Income groups"),
    ]
    assert [p.name for p in res["comparisons"]] == ["itu_region.html", "income_group.html"]
    for href in re.findall(r'href="([^"#:]+)"', page):
        assert (tmp_path / href).is_file(), href

    bare = tmp_path / "bare"
    (bare / "countries").mkdir(parents=True)
    _ok_manifest(bare / "countries", "KEN", {"iso3": "KEN"})
    res = publish.publish_reports(bare / "countries")  # no groupings folder: no such line
    assert res["comparisons"] == [] and "report-comparisons" not in res["index"].read_text()


def test_index_refuses_a_comparison_link_that_does_not_resolve(tmp_path):
    (tmp_path / "KEN.html").write_text("<p>Kenya</p>")
    with pytest.raises(PublishError, match="ITU-D regions"):
        write_index(
            [{"name": "Kenya", "report": tmp_path / "KEN.html"}],
            tmp_path / "index.html",
            columns=["name"],
            comparisons=[("ITU-D regions", tmp_path / "groupings" / "itu_region.html")],
        )
    assert not (tmp_path / "index.html").exists()


chromium = publish.find_chromium()
needs_chromium = pytest.mark.skipif(chromium is None, reason="headless Chromium not installed")


@needs_chromium
def test_pdf_via_headless_chromium(tmp_path):
    ctx = report_context({"iso3": "KEN", "name": "Kenya", "year": 2023})
    html = write_report_html(_executed_notebook(), tmp_path / "countries" / "KEN.html", ctx)
    publish.write_assets(tmp_path / "assets")
    pdf = publish.to_pdf(html)
    assert pdf == tmp_path / "countries" / "KEN.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 1000
    assert not [p for p in pdf.parent.iterdir() if ".tmp" in p.name]


@needs_chromium
def test_escaped_names_stay_text_in_chromium(tmp_path):
    rows = _write_reports(tmp_path)
    index = write_index(rows, tmp_path / "index.html", columns=[("name", "Country"), "score"])
    cmd = [
        chromium,
        *publish.CHROMIUM_FLAGS,
        f"--user-data-dir={tmp_path / 'profile'}",
        "--dump-dom",
        index.as_uri(),
    ]
    dom = subprocess.run(cmd, capture_output=True, text=True, timeout=120).stdout
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom  # shown as text
    assert dom.count("<script>") == 1  # only the page's own sorting script


def test_pdf_without_chromium_is_a_clear_error(tmp_path, monkeypatch):
    (tmp_path / "a.html").write_text("<html></html>")
    monkeypatch.setattr(publish, "find_chromium", lambda: None)
    with pytest.raises(PublishError, match="install the Debian package 'chromium'"):
        publish.to_pdf(tmp_path / "a.html")
    assert not (tmp_path / "a.pdf").exists()


def test_assets_written_once(tmp_path):
    css = publish.write_assets(tmp_path)
    mtime = css.stat().st_mtime_ns
    assert publish.write_assets(tmp_path).stat().st_mtime_ns == mtime
    assert css.read_text() == (publish.TEMPLATES_DIR / "innolab.css").read_text()
    nbformat.validate(_executed_notebook())
