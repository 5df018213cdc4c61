"""Rank scores: 1 = best, ties share the best rank, missing stays missing (COINr ``rank(-s)``).

Equal scores take the minimum rank of their tie block and the next rank is skipped (1, 2, 2,
4), as in COINr, the GII and sports tables. The result is a nullable integer (``Int64``) so
that a missing score keeps a missing rank. Panels (index ``(iso3, year)``) are ranked within
each year.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from ..errors import ParameterError

__all__ = ["rank"]


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
    bad = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c].dtype)]
    if bad:
        raise ParameterError("scores", f"non-numeric columns cannot be ranked: {bad}")
    x = -frame.to_numpy(dtype=float, na_value=np.nan)
    r = np.full(x.shape, np.nan)
    idx = frame.index
    if isinstance(idx, pd.MultiIndex) and "year" in idx.names:
        codes = pd.factorize(idx.get_level_values("year"))[0]
        blocks = [np.nonzero(codes == k)[0] for k in range(codes.max() + 1)] if len(idx) else []
    else:
        blocks = [np.arange(len(idx))]
    for rows in blocks:
        if rows.size:
            r[rows] = rankdata(x[rows], method="min", axis=0, nan_policy="omit")
    miss = np.isnan(r)
    ints = np.where(miss, 0, r).astype(np.int64)
    cols = {k: pd.arrays.IntegerArray(ints[:, k], miss[:, k].copy()) for k in range(x.shape[1])}
    out = pd.DataFrame(cols, index=idx.copy())
    out.columns = frame.columns.copy()
    return out.iloc[:, 0].rename(scores.name) if isinstance(scores, pd.Series) else out
