"""Small helpers shared by the stage verbs: column selection, overrides, input checks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ParameterError

__all__: list[str] = []


def check_frame(data: Any, name: str = "data") -> pd.DataFrame:
    """``data`` must be a DataFrame with unique row labels and unique column names."""
    if not isinstance(data, pd.DataFrame):
        raise ParameterError(name, f"expected a pandas DataFrame, got {type(data).__name__}")
    if not data.index.is_unique:
        dup = data.index[data.index.duplicated()].unique().tolist()[:5]
        raise ParameterError(name, f"duplicate unit labels in the index: {dup}")
    if not data.columns.is_unique:
        dup = data.columns[data.columns.duplicated()].unique().tolist()
        raise ParameterError(name, f"duplicate columns: {dup}")
    return data


def select_numeric(
    data: pd.DataFrame, columns: Iterable[str] | None = None, *, exclude: Iterable[str] = ()
) -> list[str]:
    """The columns a verb works on.

    ``columns`` given: exactly those (each must exist and be numeric). Otherwise every numeric
    (non-boolean) column not in ``exclude``.
    """
    excl = set(exclude)
    dtypes = dict(zip(data.columns, data.dtypes, strict=True))
    if columns is not None:
        cols = [str(c) for c in columns]
        missing = [c for c in cols if c not in dtypes]
        if missing:
            raise ParameterError("columns", f"not in the data: {missing}")
        bad = [c for c in cols if not _is_numeric(dtypes[c])]
        if bad:
            raise ParameterError(
                "columns", f"not numeric: {', '.join(f'{c} ({dtypes[c]})' for c in bad)}"
            )
        return cols
    return [c for c, t in dtypes.items() if c not in excl and _is_numeric(t)]


_NUMERIC_CACHE: dict[object, bool] = {}


def _is_numeric(dtype: object) -> bool:
    try:
        return _NUMERIC_CACHE[dtype]
    except (KeyError, TypeError):
        ok = pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
        try:
            _NUMERIC_CACHE[dtype] = ok
        except TypeError:
            pass
        return ok


def to_matrix(data: pd.DataFrame, cols: list[str]) -> np.ndarray:
    """A float64 copy of ``data[cols]`` (nullable NA -> NaN)."""
    if not cols:
        return np.empty((len(data), 0))
    return data[cols].to_numpy(dtype=float, na_value=np.nan, copy=True)


def with_columns(data: pd.DataFrame, cols: list[str], values: np.ndarray) -> pd.DataFrame:
    """A copy of ``data`` whose ``cols`` hold ``values`` (float64), other columns untouched."""
    cols = list(cols)
    new = pd.DataFrame(values, index=data.index.copy(), columns=cols)
    if cols == list(data.columns):
        new.columns = data.columns.copy()
        return new
    out = pd.concat([new, data.drop(columns=cols)], axis=1)
    if list(out.columns) != list(data.columns):
        out = out[list(data.columns)]
    return out


def resolve_method(
    code: str,
    method: str,
    params: Mapping[str, Any] | None,
    overrides: Mapping[str, Any] | None,
) -> tuple[str, dict[str, Any]]:
    """The method name and parameters for one indicator.

    An override is a method name or a mapping ``{"method": name, **params}``. When it keeps the
    global method, its parameters update the global ones; when it names another method, only its
    own parameters apply (COINr ``indiv_specs`` semantics).
    """
    glob = dict(params or {})
    if not overrides or code not in overrides:
        return method, glob
    ov = overrides[code]
    if isinstance(ov, str):
        return ov, ({} if ov != method else glob)
    if not isinstance(ov, Mapping):
        raise ParameterError(
            "overrides", f"{code}: expected a method name or a mapping, got {ov!r}"
        )
    ov = dict(ov)
    name = ov.pop("method", method)
    if "params" in ov and isinstance(ov["params"], Mapping):
        ov = {**{k: v for k, v in ov.items() if k != "params"}, **ov["params"]}
    if name == method:
        return name, {**glob, **ov}
    return name, ov


def check_override_codes(overrides: Mapping[str, Any] | None, cols: Iterable[str]) -> None:
    """Every override must name a column the verb works on."""
    if not overrides:
        return
    known = set(cols)
    unknown = [c for c in overrides if c not in known]
    if unknown:
        raise ParameterError("overrides", f"codes not in the data: {unknown}")


def fmt(v: float) -> str:
    """A compact, exact-enough number for audit details."""
    return f"{v:.10g}"
