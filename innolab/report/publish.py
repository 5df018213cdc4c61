"""Publish executed notebooks as small, safe HTML pages (and optionally PDF).

Why this shape
--------------
* **In-process nbconvert.** ``HTMLExporter`` runs inside the batch worker (about 0.3 s per
  report) instead of a ``jupyter nbconvert`` process per country (about 3 s of imports each,
  ``shared/JUPYTER-NOTES.md`` §2.3).
* **No code.** Inputs and prompts are excluded; stderr streams (warnings) are dropped from the
  page but kept in the executed ``.ipynb``. Cells tagged ``remove-cell`` are left out and
  ``remove-output`` keeps the cell's markdown neighbours but not its outputs.
* **Small files.** The project template extends nbconvert's ``basic`` template (cells only) and
  links one shared style sheet, ``reports/assets/innolab.css``, by a relative path, instead of
  the ~270 KB of CSS the ``lab`` template inlines into every file (pitfall P10). Figures stay
  embedded (base64) so each report is still one file to e-mail.
* **Escaped data.** Everything data-derived that innolab puts into a page (country, year,
  source, provenance, index rows) goes through Jinja2 autoescaping, so a country or indicator
  named ``<script>alert(1)</script>`` is shown as text. Cell outputs are rendered by nbconvert;
  pandas escapes table cells itself.
* **Table of contents** built from the headings actually rendered (markdown cells and
  markdown outputs alike), with ids added where a heading has none.
* **PDF** by headless Debian Chromium printing the HTML (``--print-to-pdf``): no playwright,
  about 1 s per report (§3). Written atomically like everything else.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import functools
import html
import math
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from numbers import Real
from pathlib import Path
from typing import Any

from ..errors import InnolabError, ParameterError
from ..io import atomic_write

__all__ = [
    "CSS_NAME",
    "TEMPLATES_DIR",
    "PublishError",
    "write_assets",
    "readable",
    "report_context",
    "notebook_to_html",
    "write_report_html",
    "write_index",
    "write_region_page",
    "find_chromium",
    "to_pdf",
    "CHROMIUM_FLAGS",
    "publish_reports",
    "safe_name_for",
    "COMPARISON_LABELS",
]

#: Folder with the nbconvert template (``innolab/``), the page template and the style sheet.
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
#: Name of the shared style sheet written into the assets folder.
CSS_NAME = "innolab.css"

_TOC_MARK = "<!--innolab:toc-->"
_HEADING = re.compile(r"<h([1-3])((?:\s[^>]*)?)>(.*?)</h\1>", re.S | re.I)
_ID_ATTR = re.compile(r"""\sid\s*=\s*(["'])(.*?)\1""", re.S | re.I)
_TAG = re.compile(r"<[^>]+>")


class PublishError(InnolabError):
    """A report, index page or PDF could not be produced."""


def _version() -> str:
    from .. import __version__

    return __version__


def _relative_href(target: str | os.PathLike, start_dir: str | os.PathLike) -> str:
    """A relative URL from the folder ``start_dir`` to ``target`` (POSIX separators)."""
    rel = os.path.relpath(os.path.abspath(target), os.path.abspath(start_dir))
    from urllib.parse import quote

    return quote(rel.replace(os.sep, "/"))


def readable(path: str | os.PathLike) -> None:
    """Give a published file the usual permissions (temporary files are created 0600).

    Reports are read by web servers and colleagues; ``atomic_write`` renames a ``mkstemp``
    file, which is private to its owner, so the mode is reset from the umask afterwards.
    """
    umask = os.umask(0)
    os.umask(umask)
    with contextlib.suppress(OSError):
        os.chmod(path, 0o666 & ~umask)


def write_assets(assets_dir: str | os.PathLike) -> Path:
    """Write the shared style sheet into ``assets_dir`` (atomically; skipped when unchanged).

    Returns the path of ``innolab.css``.
    """
    src = (TEMPLATES_DIR / CSS_NAME).read_bytes()
    out = Path(assets_dir) / CSS_NAME
    if out.exists() and out.read_bytes() == src:
        return out
    with atomic_write(out, "wb", encoding=None) as fh:
        fh.write(src)
    readable(out)
    return out


def _text(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and math.isnan(value):
        return "–"
    return str(value)


def _country_name(iso3: Any) -> Any:
    """The reference name of an ISO3 code (``KEN`` -> ``Kenya``), or the code itself."""
    if not isinstance(iso3, str):
        return iso3
    try:
        from ..countries import country_names

        return country_names([iso3])[0]
    except Exception:  # noqa: BLE001 - an unknown or synthetic code is shown as given
        return iso3


def report_context(
    params: Mapping[str, Any],
    *,
    title: str | None = None,
    kicker: str = "Digital Innovation Profile",
    source: str | None = None,
    provenance: Mapping[str, Any] | None = None,
    css_href: str = f"../assets/{CSS_NAME}",
    home_href: str | None = "../index.html",
) -> dict[str, Any]:
    """The header and footer fields of one report, from its parameters and provenance.

    ``country`` is taken from ``params["name"]`` or ``params["iso3"]``, the year from
    ``params["year"]`` and the data source from ``source`` or ``params["data"]``. Values stay
    raw here; the template escapes them.
    """
    country = params.get("name") or params.get("country") or _country_name(params.get("iso3"))
    facts = []
    if country is not None:
        facts.append(("Country", _text(country)))
    if params.get("iso3") is not None and params.get("iso3") != country:
        facts.append(("ISO3", _text(params["iso3"])))
    if params.get("year") is not None:
        facts.append(("Year", _text(params["year"])))
    src = source if source is not None else params.get("data")
    if src is not None:
        facts.append(("Data source", _text(src)))
    prov = [("Generated", _dt.datetime.now(tz=_dt.UTC).isoformat(timespec="seconds"))]
    prov.append(("innolab", _version()))
    for key, value in (provenance or {}).items():
        prov.append((str(key), _text(value)))
    return {
        "title": title or (f"{country}" if country is not None else "Report"),
        "kicker": kicker,
        "facts": facts,
        "provenance": prov,
        "css_href": css_href,
        "home_href": home_href,
        "version": _version(),
    }


@functools.lru_cache(maxsize=4)
def _exporter(template_name: str = "innolab"):
    """One configured ``HTMLExporter`` per process (building it loads the templates)."""
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = HTMLExporter(
        template_name=template_name,
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        # validate the notebook once, after all preprocessors, not after each of them
        # (13 schema validations cost about 0.03 s of every report otherwise)
        optimistic_validation=True,
    )
    exporter.register_preprocessor(
        TagRemovePreprocessor(
            remove_cell_tags={"remove-cell", "remove_cell"},
            remove_all_outputs_tags={"remove-output", "remove_output"},
            enabled=True,
        ),
        enabled=True,
    )
    return exporter


def _add_toc(page: str) -> str:
    """Fill the TOC placeholder with links to the h1–h3 headings that follow it."""
    at = page.find(_TOC_MARK)
    if at < 0:
        return page
    head, body = page[:at], page[at + len(_TOC_MARK) :]
    entries: list[tuple[int, str, str]] = []
    used: set[str] = set()

    def visit(m: re.Match) -> str:
        level, attrs, inner = int(m.group(1)), m.group(2) or "", m.group(3)
        idm = _ID_ATTR.search(attrs)
        if idm:
            ident = html.unescape(idm.group(2))
        else:
            ident = f"section-{len(entries) + 1}"
            while ident in used:
                ident += "-x"
            attrs = f' id="{html.escape(ident)}"' + attrs
        used.add(ident)
        label = html.unescape(_TAG.sub("", inner)).replace("¶", "").strip()
        if label:
            entries.append((level, ident, label))
        return f"<h{level}{attrs}>{inner}</h{level}>"

    body = _HEADING.sub(visit, body)
    if not entries:
        return head + body
    from urllib.parse import quote

    top = min(level for level, _, _ in entries)
    parts, depth = [], 0
    for level, ident, label in entries:
        want = level - top + 1
        while depth < want:
            parts.append("<ol>")
            depth += 1
        while depth > want:
            parts.append("</li></ol>")
            depth -= 1
        if parts and parts[-1] not in ("<ol>",):
            parts.append("</li>")
        parts.append(f'<li><a href="#{html.escape(quote(ident))}">{html.escape(label)}</a>')
    parts.append("</li>")
    while depth > 0:
        parts.append("</ol>")
        depth -= 1
        if depth:
            parts.append("</li>")
    return head + "".join(parts) + body


def notebook_to_html(nb, context: Mapping[str, Any]) -> str:
    """Render an executed notebook as a report page (no code, shared CSS, TOC, provenance).

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The executed notebook.
    context : mapping
        Header and footer fields, usually from :func:`report_context`.
    """
    exporter = _exporter()
    with _page_as_rendered():
        body, _ = exporter.from_notebook_node(nb, resources={"innolab": dict(context)})
    return _add_toc(_default_alt_text(body))


class _AsRendered:
    """Stands in for BeautifulSoup in ``HTMLExporter.from_notebook_node`` (nbconvert 7), which
    ends by parsing and re-serialising the whole page only to give images without alt text a
    default one and input/output cells a ``tabindex``: about 80% of a country report's export
    (measured: 0.17 s with it, 0.03 s without, base64 figures included). The innolab template has no input
    cells and its figures carry their own alt text (:func:`innolab.studies.show_figure`), so the
    page is kept as rendered and :func:`_default_alt_text` covers any other image."""

    def __init__(self, markup: str, *_args: Any, **_kwargs: Any):
        self._markup = markup

    def select(self, _selector: str) -> list:
        return []

    def __str__(self) -> str:
        return self._markup


@contextlib.contextmanager
def _page_as_rendered():
    """Within the block, nbconvert's HTML exporter keeps its page as rendered (see
    :class:`_AsRendered`); other users of nbconvert are not affected afterwards."""
    import nbconvert.exporters.html as nbhtml

    original = getattr(nbhtml, "BeautifulSoup", None)
    if original is None:  # another nbconvert: leave it alone
        yield
        return
    nbhtml.BeautifulSoup = _AsRendered
    try:
        yield
    finally:
        nbhtml.BeautifulSoup = original


_IMG_WITHOUT_ALT = re.compile(r"<img(?![^>]*\salt=)(?=[\s>/])", re.I)


def _default_alt_text(page: str) -> str:
    """Give every ``<img>`` without alt text nbconvert's default one (accessibility)."""
    return _IMG_WITHOUT_ALT.sub('<img alt="No description has been provided for this image"', page)


def write_report_html(nb, out: str | os.PathLike, context: Mapping[str, Any]) -> Path:
    """Render ``nb`` with :func:`notebook_to_html` and write it atomically to ``out``."""
    page = notebook_to_html(nb, context)
    out = Path(out)
    with atomic_write(out) as fh:
        fh.write(page)
    readable(out)
    return out


# --------------------------------------------------------------------------------------------
# index and regional pages


@functools.lru_cache(maxsize=1)
def _page_env():
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def _columns(columns: Sequence[str | tuple[str, str]]) -> list[tuple[str, str]]:
    out = []
    for col in columns:
        if isinstance(col, str):
            out.append((col, col))
        else:
            key, label = col
            out.append((str(key), str(label)))
    return out


def _is_number(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def _format_number(value: Real) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "–"
        return f"{value:,.2f}" if abs(value) < 1e6 else f"{value:,.0f}"
    return f"{value:,}"


def _table_page(
    rows: Iterable[Mapping[str, Any]],
    out: str | os.PathLike,
    *,
    columns: Sequence[str | tuple[str, str]],
    title: str,
    kicker: str,
    link: str,
    link_column: str | None,
    assets_dir: str | os.PathLike | None,
    nav: Sequence[tuple[str, str | os.PathLike]] = (),
    comparisons: Sequence[tuple[str, str | os.PathLike]] = (),
    intro: str | None = None,
    check_links: bool = True,
) -> Path:
    out = Path(out)
    out_dir = out.parent
    out_dir.mkdir(parents=True, exist_ok=True)
    assets = Path(assets_dir) if assets_dir is not None else out_dir / "assets"
    css = write_assets(assets)
    cols = _columns(columns)
    if not cols:
        raise ParameterError("columns", "give at least one column to show")
    link_col = link_column or cols[0][0]
    rows = list(rows)
    numeric = {
        key: any(_is_number(r.get(key)) for r in rows)
        and all(r.get(key) is None or _is_number(r.get(key)) for r in rows)
        for key, _ in cols
    }
    table = []
    for i, row in enumerate(rows):
        target = row.get(link)
        href = None
        if target is not None:
            target_path = Path(target)
            if not target_path.is_absolute():
                target_path = out_dir / target_path
            if check_links and not target_path.exists():
                raise PublishError(f"row {i + 1}: the report {str(target)!r} does not exist")
            href = _relative_href(target_path, out_dir)
        cells = []
        for key, _ in cols:
            value = row.get(key)
            if numeric[key]:
                is_nan = value is None or (isinstance(value, float) and math.isnan(value))
                cells.append(
                    {
                        "text": "–" if is_nan else _format_number(value),
                        "sort": "" if is_nan else repr(float(value)),
                        "numeric": True,
                        "href": href if key == link_col else None,
                    }
                )
            else:
                cells.append(
                    {
                        "text": _text(value),
                        "sort": None,
                        "numeric": False,
                        "href": href if key == link_col else None,
                    }
                )
        table.append(cells)
    page = (
        _page_env()
        .get_template("table_page.html.j2")
        .render(
            title=title,
            kicker=kicker,
            intro=intro,
            nav=[(label, _relative_href(path, out_dir)) for label, path in nav],
            comparisons=[(label, _relative_href(path, out_dir)) for label, path in comparisons],
            css_href=_relative_href(css, out_dir),
            columns=[
                {"label": label, "type": "number" if numeric[key] else "text"}
                for key, label in cols
            ],
            rows=table,
            version=_version(),
            generated=_dt.datetime.now(tz=_dt.UTC).isoformat(timespec="seconds"),
        )
    )
    with atomic_write(out) as fh:
        fh.write(page)
    readable(out)
    return out


def write_index(
    rows: Iterable[Mapping[str, Any]],
    out: str | os.PathLike,
    *,
    columns: Sequence[str | tuple[str, str]],
    title: str = "Digital innovation profiles",
    link: str = "report",
    link_column: str | None = None,
    assets_dir: str | os.PathLike | None = None,
    regions: Sequence[tuple[str, str | os.PathLike]] = (),
    comparisons: Sequence[tuple[str, str | os.PathLike]] = (),
    check_links: bool = True,
) -> Path:
    """Write the sortable index page that links every report (``reports/index.html``).

    Parameters
    ----------
    rows : iterable of mappings
        One per country. ``row[link]`` is the path of its HTML report (absolute, or relative to
        the index's folder), or None for no link; the other keys hold the column values.
    out : path
        The index file.
    columns : sequence of str or (key, label)
        Columns in order, e.g. ``[("name", "Country"), ("score", "Index score"),
        ("rank_interval", "Rank (5–95%)"), ("region", "Region"), ("group", "Income group")]``.
        A column whose values are all numbers (or missing) sorts numerically.
    link_column : str, optional
        The column whose text links to the report (default: the first).
    assets_dir : path, optional
        Folder of the shared CSS (default: ``<out folder>/assets``); linked relatively.
    regions : sequence of (label, path)
        Regional pages to link from the index.
    comparisons : sequence of (label, path)
        Published group-comparison reports (``regional_comparison`` notebooks) to link from
        the index; each must exist when ``check_links`` is on.
    check_links : bool
        Refuse to write an index whose report links do not resolve (default True).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "KEN.html").write_text("<p>Kenya</p>")
    >>> p = write_index([{"name": "Kenya", "score": 51.5, "report": d / "KEN.html"}],
    ...                 d / "index.html", columns=[("name", "Country"), ("score", "Score")])
    >>> '<a href="KEN.html">Kenya</a>' in p.read_text()
    True
    """
    if check_links:
        for label, path in comparisons:
            target = Path(path) if Path(path).is_absolute() else Path(out).parent / path
            if not target.exists():
                raise PublishError(f"comparison {label!r}: the page {str(path)!r} does not exist")
    return _table_page(
        rows,
        out,
        columns=columns,
        title=title,
        kicker="innolab reports",
        link=link,
        link_column=link_column,
        assets_dir=assets_dir,
        nav=list(regions),
        comparisons=list(comparisons),
        check_links=check_links,
    )


def write_region_page(
    region: str,
    rows: Iterable[Mapping[str, Any]],
    out: str | os.PathLike,
    *,
    columns: Sequence[str | tuple[str, str]],
    index: str | os.PathLike | None = None,
    link: str = "report",
    link_column: str | None = None,
    assets_dir: str | os.PathLike | None = None,
    intro: str | None = None,
    check_links: bool = True,
) -> Path:
    """Write one regional page: the reports of ``region`` in a sortable table.

    ``index`` is the path of the main index page, linked back from the header. The other
    arguments are as in :func:`write_index`.
    """
    return _table_page(
        rows,
        out,
        columns=columns,
        title=str(region),
        kicker="Regional overview",
        link=link,
        link_column=link_column,
        assets_dir=assets_dir,
        nav=[("All reports", index)] if index is not None else [],
        intro=intro,
        check_links=check_links,
    )


# --------------------------------------------------------------------------------------------
# PDF

#: Flags for headless Chromium on a machine without network access: no sandbox (root), no GPU,
#: no background networking, component updates or sync, no first-run work.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-pdf-header-footer",
)


def find_chromium() -> str | None:
    """The path of a Chromium executable (``chromium``, ``chromium-browser``), or None."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


def to_pdf(
    html_path: str | os.PathLike,
    pdf_path: str | os.PathLike | None = None,
    *,
    chromium: str | None = None,
    timeout: float = 120.0,
) -> Path:
    """Print an HTML report to PDF with headless Chromium (atomic; about 1 s per report).

    Raises :class:`PublishError` when Chromium is absent (install the Debian package
    ``chromium``), fails or times out.
    """
    html_path = Path(html_path).resolve()
    pdf = Path(pdf_path) if pdf_path is not None else html_path.with_suffix(".pdf")
    exe = chromium or find_chromium()
    if exe is None:
        raise PublishError("PDF output needs Chromium: install the Debian package 'chromium'")
    pdf.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{pdf.name}.", suffix=".tmp.pdf", dir=pdf.parent)
    os.close(fd)
    profile = tempfile.mkdtemp(prefix="innolab-chromium-")
    try:
        cmd = [
            exe,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            f"--print-to-pdf={tmp}",
            html_path.as_uri(),
        ]
        env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
        except subprocess.TimeoutExpired as exc:
            raise PublishError(
                f"{html_path.name}: Chromium did not finish within {timeout:g} s"
            ) from exc
        with open(tmp, "rb") as fh:
            ok = fh.read(5) == b"%PDF-"
        if proc.returncode != 0 or not ok:
            tail = (proc.stderr or "").strip().splitlines()[-1:] or ["no output"]
            raise PublishError(
                f"{html_path.name}: Chromium could not print a PDF (exit {proc.returncode}: {tail[0]})"
            )
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, pdf)
        readable(pdf)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
        shutil.rmtree(profile, ignore_errors=True)
    return pdf


# --------------------------------------------------------------------------------------------
# publishing a finished batch


def _manifests(countries_dir: Path) -> list[dict[str, Any]]:
    import json

    found = []
    for path in sorted(countries_dir.glob("*.manifest.json")):
        try:
            with open(path, encoding="utf-8") as fh:
                man = json.load(fh)
        except (OSError, ValueError):
            continue
        if (
            isinstance(man, dict)
            and man.get("status") == "ok"
            and "html" in (man.get("outputs") or {})
        ):
            html_file = countries_dir / man["outputs"]["html"]["file"]
            if html_file.exists():
                found.append({**man, "_html": html_file})
    return found


def publish_reports(
    countries_dir: str | os.PathLike,
    *,
    index: str | os.PathLike | None = None,
    table: Any = None,
    key: str = "iso3",
    columns: Sequence[str | tuple[str, str]] | None = None,
    group_by: str | None = None,
    pdf: bool = False,
    comparisons_dir: str | os.PathLike | None = None,
) -> dict[str, Any]:
    """Write the index (and regional pages, PDFs) for every finished report in ``countries_dir``.

    Parameters
    ----------
    countries_dir : path
        Output folder of a batch (``reports/countries``): its manifests say which reports are
        complete.
    index : path, optional
        The index page (default ``<countries_dir>/../index.html``).
    table : DataFrame, optional
        Extra columns per country (index score, rank interval, region, group, ...), joined on
        ``key``; rows without a report are ignored.
    key : str
        Parameter naming the country in manifests and column of ``table`` (default ``iso3``).
    columns : sequence, optional
        Columns to show (default: ``key`` then every column of ``table``).
    group_by : str, optional
        Column of ``table`` to write one regional page per value (``regions/<value>.html``).
    pdf : bool
        Also print every report to PDF with headless Chromium.
    comparisons_dir : path, optional
        Output folder of the ``regional_comparison`` batch (default
        ``<index folder>/groupings``, where ``innolab reports`` writes it): each finished
        comparison (manifest ``ok`` with HTML) is linked from the index as "Group
        comparisons: ITU-D regions · World Bank regions · income groups".

    Returns ``{"index": path, "regions": [paths], "comparisons": [paths], "pdf": [paths],
    "reports": n}``.
    """
    countries_dir = Path(countries_dir)
    index_path = Path(index) if index is not None else countries_dir.parent / "index.html"
    assets = index_path.parent / "assets"
    rows = []
    for man in _manifests(countries_dir):
        params = (man.get("inputs") or {}).get("params") or {}
        row = {key: params.get(key, man.get("name")), "report": man["_html"]}
        if "name" in params:
            row.setdefault("name", params["name"])
        rows.append(row)
    extra_cols: list[str] = []
    if table is not None:
        if key not in table.columns:
            raise ParameterError("table", f"has no {key!r} column to join the reports on")
        extra_cols = [c for c in table.columns if c != key]
        lookup = {str(r[key]): r for r in table.to_dict("records")}
        for row in rows:
            extra = lookup.get(str(row[key]), {})
            for c in extra_cols:
                value = extra.get(c)
                row[c] = value.item() if hasattr(value, "item") else value
    cols = list(columns) if columns is not None else [key, *extra_cols]
    regions: list[tuple[str, Path]] = []
    region_paths = []
    if group_by is not None:
        if group_by not in extra_cols:
            raise ParameterError("group_by", f"{group_by!r} is not a column of the table")
        groups: dict[str, list[dict]] = {}
        for row in rows:
            if row.get(group_by) is not None:
                groups.setdefault(str(row[group_by]), []).append(row)
        for label in sorted(groups):
            path = index_path.parent / "regions" / f"{safe_name_for(label)}.html"
            write_region_page(
                label, groups[label], path, columns=cols, index=index_path, assets_dir=assets
            )
            regions.append((label, path))
            region_paths.append(path)
    comp_dir = (
        Path(comparisons_dir) if comparisons_dir is not None else index_path.parent / "groupings"
    )
    comparisons = _comparison_links(comp_dir) if comp_dir.is_dir() else []
    write_index(
        rows,
        index_path,
        columns=cols,
        assets_dir=assets,
        regions=regions,
        comparisons=comparisons,
    )
    pdfs = [to_pdf(row["report"]) for row in rows] if pdf else []
    return {
        "index": index_path,
        "regions": region_paths,
        "comparisons": [path for _, path in comparisons],
        "pdf": pdfs,
        "reports": len(rows),
    }


#: Index labels of the groupings a ``regional_comparison`` notebook compares.
COMPARISON_LABELS = {
    "itu_region": "ITU-D regions",
    "wb_region": "World Bank regions",
    "income_group": "Income groups",
}


def _comparison_links(folder: Path) -> list[tuple[str, Path]]:
    """(label, html path) of every finished group comparison in ``folder``, in a fixed order."""
    found = []
    for man in _manifests(folder):
        params = (man.get("inputs") or {}).get("params") or {}
        grouping = str(params.get("grouping", man.get("name")))
        label = COMPARISON_LABELS.get(grouping, grouping.replace("_", " ").capitalize())
        found.append((label, man["_html"]))
    order = list(COMPARISON_LABELS.values())
    found.sort(key=lambda item: (order.index(item[0]) if item[0] in order else len(order), item[0]))
    return found


def safe_name_for(label: str) -> str:
    """A file name for a group label: letters, digits, ``-`` and ``_`` kept, the rest ``_``.

    >>> safe_name_for("Sub-Saharan Africa / East")
    'Sub-Saharan_Africa_East'
    """
    name = re.sub(r"[^A-Za-z0-9_-]+", "_", str(label)).strip("_")[:100]
    return name or "group"
