"""World Bank Indicators API v2 (JSON): saved responses and a small, careful HTTP client.

A response is a two-element array ``[paging, rows]``. The paging object has ``page``,
``pages``, ``per_page`` (sometimes a **string**: ``"400"``) and ``total``; rows carry
``indicator{id,value}``, ``country{id,value}``, ``countryiso3code`` (empty for some
aggregates, which are then identified through the country list), ``date`` and ``value``
(``null`` when missing). An error is a one-element array
``[{"message": [{"id": "120", "key": "Invalid value", "value": "..."}]}]``.

Aggregates (regions, income groups, World) are told apart from economies with the country
list (``/v2/country``: ``region.value == "Aggregates"``; region names may carry trailing
spaces). A multi-page result with a page missing is an :class:`IncompleteDataError` naming
the missing pages and the request, never silently short data (``allow_partial=True`` returns
the rows with a warning).

The client (:class:`WorldBankClient`) only talks to its base URL, pages through results,
retries transient failures a bounded number of times with exponential backoff, and caches the
validated raw responses on disk (atomically) so they can be re-read offline with
:func:`read_api_json`. Its network access is one injectable callable (``transport``: url ->
bytes) so tests replay recorded responses.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .. import config
from ..errors import DataFileError, IncompleteDataError, NetworkError, ParameterError
from ..io import atomic_write
from .base import (
    LoadResult,
    canonical_frame,
    check_file_size,
    country_frame,
    indicator_frame,
    known_codes,
    looks_like_code,
    parse_number,
    warn_all,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "ApiPage",
    "WorldBankAPIError",
    "WorldBankClient",
    "parse_api_response",
    "read_api_json",
    "read_country_list",
    "pages_to_result",
]

#: The public API endpoint.
DEFAULT_BASE_URL = "https://api.worldbank.org/v2/"
_TRANSIENT_HTTP = frozenset({408, 425, 429, 500, 502, 503, 504})


class WorldBankAPIError(DataFileError):
    """The API answered with its error message array (e.g. an invalid indicator code)."""

    def __init__(self, path: str | Path | None, messages: Sequence[dict[str, Any]]):
        self.messages = [dict(m) for m in messages]
        text = "; ".join(
            f"{m.get('id', '?')} {m.get('key', '')}: {m.get('value', '')}".strip()
            for m in self.messages
        )
        super().__init__(path, f"World Bank API error {text}")


@dataclass(frozen=True)
class ApiPage:
    """One validated API page: its paging fields, its rows and where it came from."""

    page: int
    pages: int
    per_page: int
    total: int
    rows: tuple[dict[str, Any], ...]
    kind: str  # "indicator", "country" or "empty"
    origin: str
    sourceid: str | None = None
    lastupdated: str | None = None

    def expected_rows(self) -> int:
        """Rows this page must hold given ``total`` and ``per_page``."""
        if self.total == 0:
            return 0
        return max(0, min(self.per_page, self.total - (self.page - 1) * self.per_page))


def _int_field(meta: dict, key: str, origin: str) -> int:
    v = meta.get(key)
    if isinstance(v, bool) or v is None:
        raise DataFileError(origin, f"paging field {key!r} missing", column=key)
    if isinstance(v, int):
        return v
    if isinstance(v, str) and v.strip().isdigit():
        return int(v.strip())
    raise DataFileError(origin, "paging field is not an integer", column=key, found=v)


def parse_api_response(payload: bytes | str | list, *, origin: str | Path) -> ApiPage:
    """Validate one API v2 response and return it as an :class:`ApiPage`.

    Raises :class:`WorldBankAPIError` for the API's error array and DataFileError for
    anything that is not a ``[paging, rows]`` array (invalid JSON, wrong shape, rows that
    are neither indicator observations nor countries, fewer rows than the paging promises).

    >>> page = parse_api_response(
    ...     '[{"page":1,"pages":1,"per_page":"50","total":1},'
    ...     '[{"indicator":{"id":"SP.POP.TOTL","value":"Population, total"},'
    ...     '"country":{"id":"NA","value":"Namibia"},"countryiso3code":"NAM",'
    ...     '"date":"2020","value":2489098}]]', origin="example.json")
    >>> page.per_page, page.kind, page.rows[0]["countryiso3code"]
    (50, 'indicator', 'NAM')
    """
    origin = str(origin)
    if isinstance(payload, bytes | str):
        text = payload.decode("utf-8-sig") if isinstance(payload, bytes) else payload
        if not text.strip():
            raise DataFileError(origin, "empty response")
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataFileError(
                origin, f"invalid JSON ({exc.msg})", line=exc.lineno, column=f"char {exc.colno}"
            ) from None
    else:
        obj = payload
    if (
        isinstance(obj, list)
        and len(obj) == 1
        and isinstance(obj[0], dict)
        and isinstance(obj[0].get("message"), list)
    ):
        raise WorldBankAPIError(origin, obj[0]["message"])
    if not (isinstance(obj, list) and len(obj) == 2 and isinstance(obj[0], dict)):
        raise DataFileError(
            origin,
            "not a World Bank API v2 response",
            expected="a two-element JSON array [page metadata, rows]",
        )
    meta, rows = obj
    page = _int_field(meta, "page", origin)
    pages = _int_field(meta, "pages", origin)
    per_page = _int_field(meta, "per_page", origin)
    total = _int_field(meta, "total", origin)
    if rows is None:
        rows = []
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise DataFileError(origin, "rows are not a list of objects", column="[1]")
    if not rows:
        kind = "empty"
    elif all("indicator" in r and "date" in r and "value" in r for r in rows):
        kind = "indicator"
    elif all("iso2Code" in r and "region" in r for r in rows):
        kind = "country"
    else:
        raise DataFileError(
            origin,
            "rows are neither indicator observations nor countries",
            column="[1][0]",
            expected="rows with indicator/country/date/value or id/iso2Code/region",
        )
    out = ApiPage(
        page=page,
        pages=pages,
        per_page=per_page,
        total=total,
        rows=tuple(rows),
        kind=kind,
        origin=origin,
        sourceid=None if meta.get("sourceid") is None else str(meta.get("sourceid")),
        lastupdated=None if meta.get("lastupdated") is None else str(meta.get("lastupdated")),
    )
    if page < 1 or pages < 0 or (pages and page > pages):
        raise DataFileError(origin, f"page {page} of {pages} is out of range", column="page")
    if len(rows) != out.expected_rows():
        raise IncompleteDataError(
            origin,
            f"page {page} of {pages} holds {len(rows)} rows but the paging promises "
            f"{out.expected_rows()} (per_page {per_page}, total {total}): truncated response",
        )
    return out


def read_country_list(path_or_page: str | Path | ApiPage) -> pd.DataFrame:
    """The API country list (``/v2/country``) as country metadata.

    Region and income names are stripped of their trailing spaces; ``is_aggregate`` is
    ``region == "Aggregates"``. Extra column ``iso2`` holds the API's two-character id, used
    to resolve rows whose ``countryiso3code`` is empty.
    """
    page = path_or_page
    if not isinstance(page, ApiPage):
        page = parse_api_response(Path(path_or_page).read_bytes(), origin=path_or_page)
    if page.kind not in ("country", "empty"):
        raise DataFileError(page.origin, "not a country list", expected="/v2/country rows")
    rows = []
    for i, r in enumerate(page.rows):
        code = str(r.get("id", "")).strip()
        if not looks_like_code(code):
            raise DataFileError(
                page.origin, "not a country code", column=f"[1][{i}].id", found=code
            )
        region = str((r.get("region") or {}).get("value", "")).strip()
        income = str((r.get("incomeLevel") or {}).get("value", "")).strip()
        rows.append(
            {
                "iso3": code,
                "name": str(r.get("name", "")).strip(),
                "region": "" if region == "Aggregates" else region,
                "income_group": "" if income == "Aggregates" else income,
                "is_aggregate": region == "Aggregates",
                "iso2": str(r.get("iso2Code", "")).strip(),
            }
        )
    df = country_frame(rows)
    df["iso2"] = pd.array([r["iso2"] for r in rows], dtype="str")
    return df


def _request_label(first: ApiPage) -> str:
    codes = sorted({str((r.get("indicator") or {}).get("id")) for r in first.rows})
    what = f"indicator {';'.join(codes)}" if codes else "the request"
    return (
        f"{what} (per_page {first.per_page}, {first.pages} pages, total {first.total} rows"
        + (f", sourceid {first.sourceid}" if first.sourceid else "")
        + (f", lastupdated {first.lastupdated}" if first.lastupdated else "")
        + ")"
    )


def _group_results(pages: Sequence[ApiPage]) -> list[list[ApiPage]]:
    """Group indicator pages into results (pages of one request share their paging)."""
    single, multi = [], {}
    for pg in pages:
        if pg.pages <= 1:
            single.append([pg])
            continue
        ids = tuple(sorted({str((r.get("indicator") or {}).get("id")) for r in pg.rows}))
        key = (ids, pg.pages, pg.per_page, pg.total, pg.sourceid, pg.lastupdated)
        multi.setdefault(key, []).append(pg)
    return single + list(multi.values())


def _check_complete(group: list[ApiPage], *, allow_partial: bool, notes: list[str]) -> None:
    by_page: dict[int, ApiPage] = {}
    for pg in group:
        if pg.page in by_page and by_page[pg.page].rows != pg.rows:
            raise DataFileError(
                pg.origin,
                f"page {pg.page} appears twice with different rows (also {by_page[pg.page].origin})",
            )
        by_page[pg.page] = pg
    first = group[0]
    missing = [k for k in range(1, max(first.pages, 1) + 1) if k not in by_page]
    if not missing:
        return
    got = sum(len(pg.rows) for pg in by_page.values())
    listed = ", ".join(str(k) for k in missing)
    msg = (
        f"incomplete result: page{'s' if len(missing) > 1 else ''} {listed} of {first.pages} "
        f"missing for {_request_label(first)}; have {got} of {first.total} rows "
        f"(pages read: {', '.join(str(k) for k in sorted(by_page))})"
    )
    if not allow_partial:
        raise IncompleteDataError(first.origin, msg)
    notes.append(f"{first.origin}: {msg}; partial data accepted (allow_partial=True)")


def pages_to_result(
    pages: Sequence[ApiPage],
    *,
    country_list: pd.DataFrame | None = None,
    allow_partial: bool = False,
    keep_missing: bool = False,
    fmt: str = "wb-api-json",
) -> LoadResult:
    """Turn validated indicator pages (and an optional country list) into a LoadResult."""
    notes: list[str] = []
    ind_pages = [p for p in pages if p.kind == "indicator" or (p.kind == "empty" and p.total == 0)]
    for group in _group_results([p for p in ind_pages if p.kind == "indicator"]):
        _check_complete(group, allow_partial=allow_partial, notes=notes)
    iso2_map: dict[str, str] = {}
    if country_list is not None and "iso2" in country_list:
        iso2_map = dict(zip(country_list["iso2"], country_list["iso3"], strict=True))
    records: list[dict[str, Any]] = []
    ind_rows: list[dict[str, Any]] = []
    unresolved: dict[str, str] = {}
    for pg in ind_pages:
        source = (
            "World Bank API v2"
            + (f" source {pg.sourceid}" if pg.sourceid else "")
            + (f", updated {pg.lastupdated}" if pg.lastupdated else "")
        )
        for i, r in enumerate(pg.rows):
            col = f"[1][{i}]"
            ind = r.get("indicator") or {}
            code = str(ind.get("id") or "").strip()
            if not code:
                raise DataFileError(
                    pg.origin, "row without indicator id", column=f"{col}.indicator"
                )
            cty = r.get("country") or {}
            iso3 = str(r.get("countryiso3code") or "").strip()
            if not iso3:
                cid = str(cty.get("id") or "").strip()
                iso3 = iso2_map.get(cid, cid if looks_like_code(cid) else "")
                if not iso3:
                    unresolved.setdefault(cid, str(cty.get("value") or ""))
                    continue
            if not looks_like_code(iso3):
                raise DataFileError(
                    pg.origin, "not a country code", column=f"{col}.countryiso3code", found=iso3
                )
            date = str(r.get("date") or "").strip()
            if not re.fullmatch(r"\d{4}", date):
                raise DataFileError(
                    pg.origin,
                    "not an annual date",
                    column=f"{col}.date",
                    found=date,
                    expected="a year such as 2019 (quarterly and monthly series are not supported)",
                )
            value = parse_number(r.get("value"), path=pg.origin, line=None, column=f"{col}.value")
            records.append(
                {
                    "iso3": iso3,
                    "indicator": code,
                    "year": int(date),
                    "value": value,
                    "source": source,
                    "_path": pg.origin,
                    "_line": pd.NA,
                    "_name": str(cty.get("value") or ""),
                }
            )
            name = str(ind.get("value") or "")
            ind_rows.append(
                {
                    "indicator": code,
                    "name": name,
                    "unit": str(r.get("unit") or ""),
                    "source": "World Bank, World Development Indicators"
                    if pg.sourceid in (None, "2")
                    else f"World Bank API source {pg.sourceid}",
                }
            )
    if unresolved:
        listed = ", ".join(f"{k} ({v})" for k, v in sorted(unresolved.items()))
        raise DataFileError(
            ind_pages[0].origin if ind_pages else None,
            f"rows without countryiso3code whose country id is not a code: {listed}",
            column="countryiso3code",
            expected="the country list (/v2/country, e.g. country_all_per_page_400.json) "
            "among the inputs to resolve them",
        )
    cols = ["iso3", "indicator", "year", "value", "source", "_path", "_line"]
    frame = pd.DataFrame(records, columns=cols)
    by_path: dict[str, list[int]] = {}
    for i, r in enumerate(records):
        by_path.setdefault(str(r["_path"]), []).append(i)
    for origin, rows_ix in by_path.items():
        known, renamed = known_codes(
            [records[i]["iso3"] for i in rows_ix],
            path=origin,
            column="countryiso3code",
            names=[records[i]["_name"] for i in rows_ix],
        )
        notes += renamed
        frame.loc[rows_ix, "iso3"] = [known[records[i]["iso3"]] for i in rows_ix]
    data, n = canonical_frame(frame, keep_missing=keep_missing)
    notes += n
    countries = None
    if country_list is not None:
        countries = country_list.drop(columns=["iso2"], errors="ignore")
    warn_all(notes)
    return LoadResult(
        data=data,
        indicators=indicator_frame(ind_rows),
        countries=countries,
        format=fmt,
        paths=tuple(dict.fromkeys(p.origin for p in pages)),
        warnings=tuple(notes),
    )


def read_api_json(
    paths: str | Path | Sequence[str | Path],
    *,
    country_list: str | Path | None = None,
    allow_partial: bool = False,
    keep_missing: bool = False,
) -> LoadResult:
    """Load saved API v2 JSON responses (indicator pages and, optionally, the country list).

    Parameters
    ----------
    paths : path or list of paths
        Indicator responses (every page of each request) and optionally the country list
        response; each file's role is read from its rows.
    country_list : path, optional
        The ``/v2/country`` response, if not among ``paths``. It flags aggregates and resolves
        rows whose ``countryiso3code`` is empty.
    allow_partial : bool
        Accept a multi-page result with missing pages (warning) instead of raising
        :class:`IncompleteDataError`.
    keep_missing : bool
        Keep ``null`` values as NaN rows (by default they are dropped).
    """
    if isinstance(paths, str | Path):
        paths = [paths]
    all_paths = [Path(p) for p in paths] + ([Path(country_list)] if country_list else [])
    pages: list[ApiPage] = []
    countries = []
    for p in all_paths:
        if not p.exists():
            raise DataFileError(p, "file not found")
        check_file_size(p)
        pg = parse_api_response(p.read_bytes(), origin=p)
        if pg.kind == "country":
            if pg.pages > 1 and not allow_partial:
                raise IncompleteDataError(
                    p,
                    f"country list page {pg.page} of {pg.pages}: request it with per_page of at "
                    f"least {pg.total} to get every country in one page",
                )
            countries.append(read_country_list(pg))
        else:
            pages.append(pg)
    if not pages:
        raise DataFileError(all_paths[0], "no indicator response among the inputs")
    country_df = None
    if countries:
        country_df = pd.concat(countries, ignore_index=True).drop_duplicates("iso3")
    result = pages_to_result(
        pages, country_list=country_df, allow_partial=allow_partial, keep_missing=keep_missing
    )
    return LoadResult(
        data=result.data,
        indicators=result.indicators,
        countries=result.countries,
        format=result.format,
        paths=tuple(str(p) for p in all_paths),
        warnings=result.warnings,
    )


# --- the HTTP client --------------------------------------------------------------------------


class _SameBaseRedirects(urllib.request.HTTPRedirectHandler):
    def __init__(self, base: str):
        self.base = base

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D102
        if not _under(newurl, self.base):
            raise NetworkError(f"{req.full_url}: refused redirect outside {self.base} to {newurl}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _under(url: str, base: str) -> bool:
    u, b = urllib.parse.urlsplit(url), urllib.parse.urlsplit(base)
    return (
        u.scheme == b.scheme
        and u.netloc.lower() == b.netloc.lower()
        and u.path.startswith(b.path)
        and ".." not in u.path.split("/")
    )


class WorldBankClient:
    """Fetch indicator data from the World Bank API v2, politely and verifiably.

    Parameters
    ----------
    base_url : str
        The API root; the client refuses any URL (or redirect) outside it.
    transport : callable, optional
        ``transport(url) -> bytes``. Defaults to urllib with ``timeout``; tests inject a
        function that replays recorded responses. It may raise ``urllib.error.HTTPError``
        (429 and 5xx are retried), ``OSError``/``TimeoutError``/``http.client.HTTPException``
        (retried) or :class:`~innolab.errors.NetworkError` (not retried).
    cache_dir : path, optional
        Where validated raw responses are kept (default ``data/raw/worldbank/cache``);
        ``use_cache=False`` neither reads nor writes it. Invalid responses are never cached.
    timeout : float
        Seconds per request for the default transport.
    max_retries : int
        Retries after the first attempt (so at most ``max_retries + 1`` requests per page).
    backoff : float
        First wait in seconds; it doubles after every failed attempt.
    per_page : int
        Rows per page requested.
    sleep : callable
        ``sleep(seconds)``; injectable so tests do not wait.
    """

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        transport: Callable[[str], bytes] | None = None,
        cache_dir: str | Path | None = None,
        use_cache: bool = True,
        timeout: float = 30.0,
        max_retries: int = 3,
        backoff: float = 1.0,
        per_page: int = 1000,
        sleep: Callable[[float], None] = time.sleep,
    ):
        parts = urllib.parse.urlsplit(base_url)
        if parts.scheme not in ("https", "http") or not parts.netloc:
            raise ParameterError("base_url", f"{base_url!r} is not an http(s) URL")
        if max_retries < 0 or max_retries > 10:
            raise ParameterError("max_retries", "must be between 0 and 10")
        if per_page < 1:
            raise ParameterError("per_page", "must be at least 1")
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.timeout = float(timeout)
        self.max_retries = int(max_retries)
        self.backoff = float(backoff)
        self.per_page = int(per_page)
        self.sleep = sleep
        self.use_cache = use_cache
        self.cache_dir = Path(cache_dir) if cache_dir else config.RAW_DIR / "worldbank" / "cache"
        self.transport = transport or self._urllib_transport
        self.requests_made = 0

    # -- plumbing -------------------------------------------------------------------------

    def _urllib_transport(self, url: str) -> bytes:
        from .. import __version__

        opener = urllib.request.build_opener(_SameBaseRedirects(self.base_url))
        req = urllib.request.Request(url, headers={"User-Agent": f"innolab/{__version__}"})
        with opener.open(req, timeout=self.timeout) as resp:
            return resp.read()

    def url(self, path: str, params: dict[str, Any] | None = None) -> str:
        """The full URL of an API path (``country/FRA/indicator/X``) with ``format=json``."""
        if "://" in path:
            url = path
        else:
            if path.startswith("/") or ".." in path.split("/"):
                raise ParameterError("path", f"{path!r} must be relative to the base URL")
            url = self.base_url + path
        query = dict(params or {})
        query.setdefault("format", "json")
        split = urllib.parse.urlsplit(url)
        merged = dict(urllib.parse.parse_qsl(split.query))
        merged.update({k: str(v) for k, v in query.items()})
        url = urllib.parse.urlunsplit(
            (
                split.scheme,
                split.netloc,
                split.path,
                urllib.parse.urlencode(sorted(merged.items())),
                "",
            )
        )
        if not _under(url, self.base_url):
            raise ParameterError("url", f"{url} is outside the base URL {self.base_url}; refused")
        return url

    def cache_path(self, url: str) -> Path:
        """Where the response to ``url`` is cached: a readable name plus a hash of the URL."""
        rel = url[len(self.base_url) :]
        slug = re.sub(r"[^A-Za-z0-9.]+", "_", rel.replace("format=json", "")).strip("_")[:120]
        digest = hashlib.sha256(url.encode()).hexdigest()[:12]
        return self.cache_dir / f"{slug}_{digest}.json"

    def get(self, path: str, params: dict[str, Any] | None = None) -> ApiPage:
        """One page: from the cache, else fetched (with retries), validated and cached."""
        url = self.url(path, params)
        cached = self.cache_path(url)
        if self.use_cache and cached.exists():
            try:
                return parse_api_response(cached.read_bytes(), origin=url)
            except DataFileError:
                pass  # a damaged cache entry is replaced below
        body, page = self._fetch(url)
        if self.use_cache:
            with atomic_write(cached, "wb") as fh:
                fh.write(body)
        return page

    def _fetch(self, url: str) -> tuple[bytes, ApiPage]:
        if not _under(url, self.base_url):
            raise ParameterError("url", f"{url} is outside the base URL {self.base_url}; refused")
        last: str = ""
        for attempt in range(self.max_retries + 1):
            if attempt:
                self.sleep(self.backoff * 2 ** (attempt - 1))
            self.requests_made += 1
            try:
                body = self.transport(url)
            except urllib.error.HTTPError as exc:
                if exc.code not in _TRANSIENT_HTTP:
                    raise NetworkError(f"{url}: HTTP {exc.code} {exc.reason}") from None
                last = f"HTTP {exc.code} {exc.reason}"
                continue
            except NetworkError:
                raise
            except (OSError, http.client.HTTPException) as exc:
                last = f"{type(exc).__name__}: {exc}"
                continue
            try:
                page = parse_api_response(body, origin=url)
            except WorldBankAPIError:
                raise
            except DataFileError as exc:  # truncated or garbled body: worth another try
                last = exc.problem
                continue
            return body, page
        raise NetworkError(
            f"{url}: no valid response after {self.max_retries + 1} attempts (last: {last})"
        )

    # -- high level -----------------------------------------------------------------------

    def get_all(self, path: str, params: dict[str, Any] | None = None) -> list[ApiPage]:
        """Every page of a request; a page that cannot be fetched is an IncompleteDataError."""
        query = dict(params or {})
        query.setdefault("per_page", self.per_page)
        first = self.get(path, {**query, "page": 1})
        pages = [first]
        for k in range(2, first.pages + 1):
            try:
                pg = self.get(path, {**query, "page": k})
            except (NetworkError, DataFileError) as exc:
                raise IncompleteDataError(
                    self.url(path, {**query, "page": k}),
                    f"page {k} of {first.pages} could not be fetched for request "
                    f"{self.url(path, query)} ({exc})",
                ) from exc
            if (pg.pages, pg.total) != (first.pages, first.total):
                raise IncompleteDataError(
                    pg.origin,
                    f"page {k} reports {pg.pages} pages / {pg.total} rows but page 1 reported "
                    f"{first.pages} / {first.total}: the data changed while paging; retry",
                )
            pages.append(pg)
        return pages

    def country_list(self) -> pd.DataFrame:
        """The ``/v2/country`` list (one page of up to 1,000 countries) as country metadata."""
        pages = self.get_all("country", {"per_page": 1000})
        return pd.concat([read_country_list(p) for p in pages], ignore_index=True)

    def indicators(
        self,
        codes: Iterable[str],
        countries: str | Iterable[str] = "all",
        *,
        date: str | None = None,
        source: int | None = None,
        with_country_list: bool = True,
        keep_missing: bool = False,
    ) -> LoadResult:
        """Observations of one or more indicators for the given economies (default all).

        ``date`` is ``"2000:2023"`` or a single year; several codes need a ``source`` (2 for
        WDI, 3 for WGI) per the API rules. With ``with_country_list`` the country list is
        fetched (and cached) so that aggregates are flagged.
        """
        codes = list(codes)
        if not codes or any(not re.fullmatch(r"[A-Za-z0-9_.]+", c) for c in codes):
            raise ParameterError("codes", f"indicator codes must be like NY.GDP.PCAP.CD: {codes}")
        cty = countries if isinstance(countries, str) else ";".join(countries)
        if not re.fullmatch(r"[A-Za-z0-9;]+", cty):
            raise ParameterError("countries", f"{cty!r} is not a list of country codes")
        params: dict[str, Any] = {}
        if date:
            params["date"] = date
        if source is not None:
            params["source"] = source
        elif len(codes) > 1:
            params["source"] = 2
        pages = self.get_all(f"country/{cty}/indicator/{';'.join(codes)}", params)
        clist = self.country_list() if with_country_list else None
        return pages_to_result(pages, country_list=clist, keep_missing=keep_missing, fmt="wb-api")
