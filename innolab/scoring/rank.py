"""Rank scores: 1 = best, ties share the best rank, missing stays missing (COINr ``rank(-s)``).

Equal scores take the minimum rank of their tie block and the next rank is skipped (1, 2, 2,
4), as in COINr, the GII and sports tables. The result is a nullable integer (``Int64``) so
that a missing score keeps a missing rank. Panels (index ``(iso3, year)``) are ranked within
each year.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ._common import column_dtypes, float_values

__all__ = ["rank", "min_rank"]


def rank(scores: pd.Series | pd.DataFrame) -> pd.Series | pd.DataFrame:
    """Rank every column (or the Series) so that the highest score gets rank 1.

    Examples
    --------
    >>> s = pd.Series([50.0, 70.0, None, 70.0, 10.0], index=list("ABCDE"))
    >>> rank(s).tolist()
    [3, 1, <NA>, 1, 4]
    """
    if not isinstance(scores, pd.Series | pd.DataFrame):
        raise ParameterError("scores", f"expected a Series or DataFrame, got {type(scores)}")
    frame = scores.to_frame() if isinstance(scores, pd.Series) else scores
    dtypes = column_dtypes(frame)
    bad = [
        c
        for c, t in zip(frame.columns, dtypes, strict=True)
        if not pd.api.types.is_numeric_dtype(t)
    ]
    if bad:
        raise ParameterError("scores", f"non-numeric columns cannot be ranked: {bad}")
    vals = float_values(frame)
    x = -(vals if vals is not None else frame.to_numpy(dtype=float, na_value=np.nan))
    r = np.zeros(x.shape, dtype=np.int64)
    idx = frame.index
    if isinstance(idx, pd.MultiIndex) and "year" in idx.names:
        codes = pd.factorize(idx.get_level_values("year"))[0]
        blocks = [np.nonzero(codes == k)[0] for k in range(codes.max() + 1)] if len(idx) else []
    else:
        blocks = [None]
    for rows in blocks:
        if rows is None:
            r = min_rank(x)
        elif rows.size:
            r[rows] = min_rank(x[rows])
    miss = np.isnan(x)
    ints = np.where(miss, 0, r).T.copy()
    mask = miss.T.copy()
    out = _int64_frame(ints, mask, idx.copy(), frame.columns.copy())
    return out.iloc[:, 0].rename(scores.name) if isinstance(scores, pd.Series) else out


def _int64_frame(ints: np.ndarray, mask: np.ndarray, index: pd.Index, columns: pd.Index):
    """A frame of nullable integer columns from ``ints``/``mask`` of shape (columns, rows).

    Building one ``Int64`` column per node through the public constructors validates every
    array again and dominates the cost of ranking a build; the arrays here are made valid by
    construction, so pandas' unchecked constructors are used when they exist.
    """
    n = ints.shape[0]
    simple = getattr(pd.arrays.IntegerArray, "_simple_new", None)
    from_arrays = getattr(pd.DataFrame, "_from_arrays", None)
    if simple is not None and from_arrays is not None:
        try:
            arrays = [simple(ints[k], mask[k]) for k in range(n)]
            return from_arrays(arrays, columns=columns, index=index, verify_integrity=False)
        except TypeError:  # pragma: no cover - a pandas with other private signatures
            pass
    out = pd.DataFrame(  # pragma: no cover - the same through the public constructors
        {k: pd.arrays.IntegerArray(ints[k], mask[k]) for k in range(n)}, index=index
    )
    out.columns = columns  # pragma: no cover
    return out  # pragma: no cover


def min_rank(x: np.ndarray) -> np.ndarray:
    """Ascending ranks of each column of ``x`` (1 = smallest), ties sharing the minimum rank.

    One stable ``argsort`` per column: in sorted order a value's rank is its position unless it
    equals its predecessor, when it takes the predecessor's rank (a running maximum). NaN sorts
    last, so it never shares or shifts the rank of a value; its own entry is meaningless (the
    caller masks it). Equal to ``scipy.stats.rankdata(x, "min", axis=0, nan_policy="omit")``
    on the non-missing cells.

    Examples
    --------
    >>> min_rank(np.array([[3.0], [1.0], [np.nan], [1.0]]))[[0, 1, 3], 0].tolist()
    [3, 1, 1]
    """
    n = x.shape[0]
    order = np.argsort(x, axis=0, kind="stable")
    xs = np.take_along_axis(x, order, axis=0)
    pos = np.broadcast_to(np.arange(1, n + 1).reshape((n,) + (1,) * (x.ndim - 1)), x.shape)
    new = np.ones(x.shape, dtype=bool)
    new[1:] = xs[1:] != xs[:-1]
    ranks_sorted = np.maximum.accumulate(np.where(new, pos, 0), axis=0)
    out = np.empty(x.shape, dtype=np.int64)
    np.put_along_axis(out, order, ranks_sorted, axis=0)
    return out
