"""Check the values of a country study's parameters once, before any kernel starts.

:func:`innolab.report.run.check_parameters` refuses unknown parameter *names* and the batch's
``validate`` hook refuses unknown ISO3 codes. This module checks the *values* that every
notebook of a batch shares, so that a bad value is one error up front instead of the same
failure in each of 200 notebooks:

* ``year`` must be a whole number within the years of the processed panel the notebooks read
  (the ``data`` folder, default :data:`innolab.config.PROCESSED_DIR`); the error says which
  years exist. Only the panel's ``year`` and ``value`` columns are read (memoised while the
  file is unchanged); no index is built.
* ``framework`` must be a shipped framework name or an existing framework file (``.yaml``,
  ``.yml``, ``.json`` or an iMeta ``.csv``) that loads; any other path (``../../etc/passwd``)
  is refused without being read, so its content can never be echoed.

The checks apply only to the parameters the template declares (a custom notebook's own
parameters are left alone), and a ``year`` is compared with the data only when the template
also declares ``data`` (the innolab study templates).
"""

from __future__ import annotations

import ast
import functools
import numbers
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .. import config
from ..errors import CoverageError, DataFileError, ParameterError, near_matches

__all__ = [
    "FRAMEWORK_SUFFIXES",
    "format_years",
    "panel_years",
    "check_year",
    "check_framework",
    "check_study_parameters",
]

#: File suffixes :func:`innolab.framework.load_framework` reads.
FRAMEWORK_SUFFIXES = (".yaml", ".yml", ".json", ".csv")


def format_years(years: Iterable[int]) -> str:
    """Years as short runs, for messages: ``2010–2014, 2016, 2018–2019``.

    >>> format_years([2016, 2010, 2011, 2012, 2019, 2018])
    '2010–2012, 2016, 2018–2019'
    >>> format_years([])
    'none'
    """
    ys = sorted({int(y) for y in years})
    if not ys:
        return "none"
    runs: list[list[int]] = [[ys[0], ys[0]]]
    for y in ys[1:]:
        if y == runs[-1][1] + 1:
            runs[-1][1] = y
        else:
            runs.append([y, y])
    return ", ".join(f"{a}" if a == b else f"{a}–{b}" for a, b in runs)


def _panel_path(data: str | os.PathLike | None) -> Path:
    folder = config.PROCESSED_DIR if data in (None, "") else Path(data)
    return folder / "panel.parquet"


@functools.lru_cache(maxsize=8)
def _years_of(path: str, _mtime_ns: int, _size: int) -> tuple[int, ...]:
    import pandas as pd

    try:
        df = pd.read_parquet(path, columns=["year", "value"])
    except Exception as exc:  # pyarrow raises several unrelated types
        raise DataFileError(
            path, f"cannot read its year and value columns ({type(exc).__name__})"
        ) from None
    years = df.loc[df["value"].notna(), "year"].dropna().unique()
    return tuple(sorted(int(y) for y in years))


def panel_years(data: str | os.PathLike | None = "") -> tuple[int, ...]:
    """The years with at least one value in the processed panel of ``data``.

    Parameters
    ----------
    data : path or "" / None
        The processed folder (default :data:`innolab.config.PROCESSED_DIR`), as the study
        notebooks' ``data`` parameter.

    Raises
    ------
    DataFileError
        The folder has no ``panel.parquet`` (run ``innolab data build``) or it cannot be read.
    CoverageError
        The panel holds no value.
    """
    path = _panel_path(data)
    if not path.is_file():
        raise DataFileError(
            path,
            "the processed panel does not exist",
            expected="the output of `innolab data build` (or give -p data=FOLDER)",
        )
    st = path.stat()
    years = _years_of(str(path.resolve()), st.st_mtime_ns, st.st_size)
    if not years:
        raise CoverageError(f"{path}: the processed panel holds no value")
    return years


def _check_whole(year: Any) -> None:
    if isinstance(year, bool) or not isinstance(year, numbers.Integral):
        raise ParameterError("year", f"must be a whole number (a calendar year), not {year!r}")


def check_year(year: Any, years: Iterable[int]) -> int:
    """Return ``year`` when it is a whole number within ``years`` (first to last year).

    A year inside a gap of the data is allowed: studies take each indicator's latest value
    within the framework's data window. Strings and booleans are refused (the notebooks
    declare ``year`` as an int and papermill passes values as given).

    >>> check_year(2015, [2010, 2020])
    2015
    >>> check_year(1799, [2010, 2011, 2012])
    Traceback (most recent call last):
    ...
    innolab.errors.ParameterError: parameter 'year': no data for 1799; the data have values for 2010–2012
    """
    _check_whole(year)
    ys = sorted({int(y) for y in years})
    if not ys:
        raise CoverageError("no year has data")
    if not ys[0] <= int(year) <= ys[-1]:
        raise ParameterError(
            "year", f"no data for {int(year)}; the data have values for {format_years(ys)}"
        )
    return int(year)


def check_framework(value: Any) -> Path:
    """The framework file that ``value`` names, after loading it once to check it.

    ``value`` is a shipped framework name (:func:`innolab.framework.available_frameworks`)
    or the path of an existing ``.yaml``/``.yml``/``.json``/``.csv`` framework file. Anything
    else is refused *before it is opened*, so that a path such as ``../../etc/passwd`` is
    never read and its content never appears in a message.

    Raises
    ------
    ParameterError
        Not a string, a NUL byte, an unknown name (with near matches), a path with another
        suffix or a file that does not exist.
    FrameworkError, DataFileError
        The file exists but is not a valid framework (every problem named).
    """
    from ..framework import available_frameworks, load_framework

    if not isinstance(value, str) or not value.strip():
        raise ParameterError("framework", f"must be a framework name or file, not {value!r}")
    if "\x00" in value:
        raise ParameterError("framework", f"{value!r} contains a NUL byte")
    shipped = available_frameworks()
    if value in shipped:
        path = config.FRAMEWORKS_DIR / f"{value}.yaml"
    else:
        path = Path(value).expanduser()
        if path.suffix.lower() not in FRAMEWORK_SUFFIXES:
            hint = near_matches(value, shipped)
            raise ParameterError(
                "framework",
                f"{value!r} is neither a shipped framework ({', '.join(shipped)}) nor a "
                f"framework file ({', '.join(FRAMEWORK_SUFFIXES)})"
                + (f"; did you mean {', '.join(hint)}?" if hint else ""),
            )
        if not path.is_file():
            raise ParameterError("framework", f"the framework file {value!r} does not exist")
    load_framework(path)
    return path


def _declared_default(info: Mapping[str, Any] | None) -> Any:
    """The literal default of a declared notebook parameter (None when it is an expression)."""
    text = (info or {}).get("default")
    if not isinstance(text, str):
        return None
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return None


def check_study_parameters(
    declared: Mapping[str, Mapping[str, Any]], params: Mapping[str, Any]
) -> None:
    """Check the ``year`` and ``framework`` given in ``params`` for a template.

    Parameters
    ----------
    declared : mapping
        The template's parameters (:attr:`innolab.report.run.Template.parameters`).
    params : mapping
        The values shared by every notebook of the batch (not ``iso3``).

    Only parameters that the template declares and that ``params`` gives are checked: a
    ``framework`` with :func:`check_framework`; a ``year`` with :func:`check_year` against
    :func:`panel_years` of the ``data`` parameter (given, else the template's default) when
    the template declares ``data``, otherwise only its type.
    """
    if "framework" in declared and "framework" in params:
        check_framework(params["framework"])
    if "year" in declared and "year" in params:
        if "data" in declared:
            data = params["data"] if "data" in params else _declared_default(declared["data"])
            if data is not None and not isinstance(data, str | os.PathLike):
                raise ParameterError("data", f"must be a folder, not {data!r}")
            if "\x00" in str(data or ""):
                raise ParameterError("data", f"{str(data)!r} contains a NUL byte")
            _check_whole(params["year"])
            check_year(params["year"], panel_years(data))
        else:
            _check_whole(params["year"])
