"""Small helpers shared by the stage verbs: column selection, overrides, input checks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ParameterError

try:  # pragma: no cover - pyarrow is a dependency, but the verbs work without it
    import pyarrow as _pa
except ImportError:  # pragma: no cover
    _pa = None

__all__: list[str] = []


#: Columns whose largest absolute value lies in this range are computed on directly; beyond it
#: squared deviations could overflow (``1e300**2 = inf``) or underflow (``1e-300**2 = 0``).
SAFE_MAGNITUDE = (1e-100, 1e100)


def scale_of(v: np.ndarray) -> float:
    """The divisor that brings the values ``v`` (no NaN) into :data:`SAFE_MAGNITUDE`.

    ``max|v|`` when it lies outside the safe range, else 1.0 (so that ordinary columns are
    computed on exactly as given). An empty, all-zero or non-finite column gives 1.0: there is
    nothing to rescale, or nothing a rescaling could save.
    """
    if v.size == 0:
        return 1.0
    a = float(max(v.max(), -v.min()))
    if SAFE_MAGNITUDE[0] <= a <= SAFE_MAGNITUDE[1] or not 0 < a < np.inf:
        return 1.0
    return a


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
    dtypes = dict(zip(data.columns, column_dtypes(data), strict=True))
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


def column_dtypes(data: pd.DataFrame) -> list[Any]:
    """The dtype of every column, in column order.

    ``DataFrame.dtypes`` builds a Series (tens of microseconds); the verbs ask for the dtypes
    of every frame they receive, so the block manager's list is read when it is available.
    """
    mgr = getattr(data, "_mgr", None)
    get = getattr(mgr, "get_dtypes", None)
    if get is not None:
        dts = get()
        if len(dts) == data.shape[1]:
            return list(dts)
    return list(data.dtypes)


def float_values(data: pd.DataFrame) -> np.ndarray | None:
    """All values of ``data`` as one 2-D float64 array when every column is float64, else None.

    The array may be a view of the frame's memory: copy it before writing to it.
    """
    if data.shape[1] == 0:
        return None
    if all(d == _FLOAT64 for d in column_dtypes(data)):
        vals = data.to_numpy()
        if vals.dtype == _FLOAT64:
            return vals
    return None


_FLOAT64 = np.dtype(np.float64)


def column_positions(data: pd.DataFrame, cols: list[str]) -> list[int] | None:
    """Positions of ``cols`` among the columns of ``data`` (None when ``cols`` is every column,
    in order); a KeyError for a column that is absent."""
    have = list(data.columns)
    if have == cols:
        return None
    pos = {c: j for j, c in enumerate(have)}
    return [pos[c] for c in cols]


def to_matrix(data: pd.DataFrame, cols: list[str]) -> np.ndarray:
    """A float64 copy of ``data[cols]`` (nullable NA -> NaN).

    A frame whose columns are all float64 (every table inside a build) is read with one
    ``to_numpy`` and a column take instead of a column selection (which copies the frame).
    """
    if not cols:
        return np.empty((len(data), 0))
    vals = float_values(data)
    if vals is not None:
        try:
            pos = column_positions(data, list(cols))
        except KeyError:
            pos = False
        if pos is None:
            return vals.copy()
        if pos is not False:
            return vals[:, pos]
    return data[cols].to_numpy(dtype=float, na_value=np.nan, copy=True)


def with_columns(data: pd.DataFrame, cols: list[str], values: np.ndarray) -> pd.DataFrame:
    """A copy of ``data`` whose ``cols`` hold ``values`` (float64), other columns untouched."""
    cols = list(cols)
    if cols == list(data.columns):
        return pd.DataFrame(values, index=data.index.copy(), columns=data.columns.copy())
    vals = float_values(data)
    if vals is not None and cols != list(data.columns[: len(cols)]):
        # the column labels are rebuilt from a list, exactly as the reordering below does
        pos = column_positions(data, cols)
        full = vals.copy()
        full[:, pos] = values
        return pd.DataFrame(full, index=data.index.copy(), columns=pd.Index(list(data.columns)))
    new = pd.DataFrame(values, index=data.index.copy(), columns=cols)
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


_TEXT = pd.StringDtype("pyarrow", na_value=np.nan) if _pa is not None else None


def text_array(values: object) -> object:
    """Labels (an object array or a list) as the text column pandas would infer, built directly.

    pandas infers its ``str`` dtype for an object array of strings (missing values allowed) by
    inspecting every element, which dominates the cost of a small audit table; pyarrow converts
    the same array in one call. Anything else (no string at all, numbers, an empty array) is
    returned unchanged for pandas to infer as before.
    """
    given = values
    if isinstance(values, list) and values:
        if not all(isinstance(v, str) for v in values):
            return given
        values = np.array(values, dtype=object)
    if _TEXT is None or not isinstance(values, np.ndarray) or values.dtype != object:
        return given
    if values.size == 0 or pd.api.types.infer_dtype(values, skipna=True) != "string":
        return given  # not text only (numbers, bytes, a mix, nothing but missing values)
    try:
        arr = _pa.array(values, type=_pa.large_string(), from_pandas=True)
    except (_pa.ArrowTypeError, _pa.ArrowInvalid):
        return given
    if arr.null_count == len(arr):
        return given
    return pd.arrays.ArrowStringArray(arr, dtype=_TEXT)
