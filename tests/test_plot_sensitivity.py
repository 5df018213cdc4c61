"""plot_sensitivity: stacked first-order + interaction bars with the total's bootstrap interval."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from innolab.errors import ParameterError
from innolab.plots import plot_sensitivity


def test_bars_split_total_into_first_order_and_interactions():
    t = pd.DataFrame(
        {
            "input": ["treat", "weights", "aggregate.method"],
            "first_order": [-0.02, 0.1, 0.5],  # a negative estimate is noise: drawn as 0
            "total": [0.05, 0.2, 0.7],
            "total_q05": [0.03, 0.15, 0.6],
            "total_q95": [0.08, 0.25, 0.8],
        }
    )
    ax = plot_sensitivity(t)
    first = [b.get_width() for b in ax.containers[0]]
    inter = [b.get_width() for b in ax.containers[1]]
    np.testing.assert_allclose(first, [0.5, 0.1, 0.0])  # sorted by total, largest first
    np.testing.assert_allclose(np.add(first, inter), [0.7, 0.2, 0.05])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["aggregate.method", "weights", "treat"]
    assert ax.get_title(loc="left") and "sensitivity index" in ax.get_xlabel()
    assert len(ax.collections) >= 1  # the whiskers
    plt.close("all")


def test_bad_input_names_the_column():
    with pytest.raises(ParameterError, match="total"):
        plot_sensitivity(pd.DataFrame({"input": ["a"], "first_order": [0.1]}))
    with pytest.raises(ParameterError, match="first_order"):
        plot_sensitivity(pd.DataFrame({"input": ["a"], "first_order": ["x"], "total": [0.1]}))
