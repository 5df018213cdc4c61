"""Weights: explicit, equal, PCA-derived, noisy (COINr get_noisy_weights) and effective."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scoring_helpers import asem_example, tiny_framework

from innolab.errors import ComputationError, ParameterError
from innolab.scoring.registry import WEIGHTINGS
from innolab.scoring.weights import (
    effective_weights,
    equal_weights,
    explicit_weights,
    noisy_weights,
    pca_weights,
)


@pytest.fixture
def fw():
    return tiny_framework()  # codes in declared order: I, P, Q, a, b, c(2), d, e


def test_equal_and_explicit(fw):
    assert equal_weights(fw).tolist() == [1.0] * 8
    w = explicit_weights(fw, weights={"a": 3, "Q": 0.5})
    assert w.to_dict() == {"I": 1, "P": 1, "Q": 0.5, "a": 3, "b": 1, "c": 2, "d": 1, "e": 1}
    with pytest.raises(ParameterError, match="not in the framework"):
        explicit_weights(fw, weights={"zz": 1})
    with pytest.raises(ParameterError, match=">= 0"):
        explicit_weights(fw, weights={"a": -1})


def test_pca_two_children_equal_loadings_and_sign_alignment(fw):
    df = pd.DataFrame(
        {
            "a": [1.0, 2, 3, 4],
            "b": [2.0, 1, 4, 3],
            "c": [-1.0, -2, -3, -4.5],
            "d": [1.0, 2, 3, 5],
            "e": [2.0, 4, 5, 9],
        }
    )
    w = pca_weights(fw, data=df)
    assert w[["d", "e"]].tolist() == pytest.approx([2**-0.5] * 2)
    z = (df[["a", "b", "c"]] - df[["a", "b", "c"]].mean()) / df[["a", "b", "c"]].std()
    vals, vecs = np.linalg.eigh(np.corrcoef(z.T.to_numpy()))
    first = vecs[:, -1] * np.sign(vecs[:, -1].sum())
    assert w[["a", "b", "c"]].tolist() == pytest.approx(first.tolist(), abs=1e-12)
    assert w[["a", "b", "c"]].sum() >= 0 and w["c"] < 0  # c runs against a and b
    assert w["I"] == 1.0 and w["P"] == 1.0  # other levels untouched


def test_pca_drops_incomplete_units_and_rejects_constants(fw):
    df = pd.DataFrame(
        {
            "a": [1.0, 2, 3, 4, 9],
            "b": [2.0, 1, 4, 3, np.nan],
            "c": [0.0, 1, 0, 1, 0],
            "d": [1.0, 2, 3, 5, 1],
            "e": [2.0, 4, 5, 9, 1],
        }
    )
    full = pca_weights(fw, data=df)
    assert full.equals(pca_weights(fw, data=df.iloc[:4]))  # COINr: drop units with any NA
    grp = pca_weights(fw, data=df, complete="group")
    assert grp[["d", "e"]].tolist() != full[["d", "e"]].tolist()
    with pytest.raises(ComputationError, match=r"constant columns \['c'\]"):
        pca_weights(fw, data=df.assign(c=1.0))
    with pytest.raises(ParameterError, match="need the data"):
        pca_weights(fw)


def test_noisy_weights_literal_uniforms(fw):
    u = np.array([[0.0, 1.0, 0.5], [0.25, 0.75, 1.0]])
    out = noisy_weights(fw, {2: 0.5, 3: 0.2}, 2, uniforms=u)
    # level 2 (P, Q) drawn first, then level 3 (I): w + (2u - 1) f w
    assert out[["P", "Q", "I"]].values.tolist() == [[0.5, 1.5, 1.0], [0.75, 1.25, 1.2]]
    assert (out[["a", "b", "c", "d", "e"]].values == [1, 1, 2, 1, 1]).all()


def test_noisy_weights_seeded_bounded_and_vectorised(fw):
    out = noisy_weights(fw, {1: 0.25}, 500, seed=42)
    assert out.equals(noisy_weights(fw, {1: 0.25}, 500, seed=42))
    base = fw.weights()
    lo, hi = out.min(), out.max()
    for c in "abcde":
        assert 0.75 * base[c] <= lo[c] < hi[c] <= 1.25 * base[c]
    assert (out[["I", "P", "Q"]] == 1.0).all().all()
    # one vectorised draw == one replication after another from the same generator
    rng = np.random.default_rng(9)
    loop = [noisy_weights(fw, {1: 0.25}, 1, seed=rng).iloc[0] for _ in range(3)]
    assert np.allclose(noisy_weights(fw, {1: 0.25}, 3, seed=9).values, np.array(loop))


def test_noisy_weights_errors_and_registry(fw):
    with pytest.raises(ParameterError, match="no weights at level 7"):
        noisy_weights(fw, {7: 0.1})
    with pytest.raises(ParameterError, match=r"\[0, 1\)"):
        noisy_weights(fw, {1: 1.5})
    with pytest.raises(ParameterError, match="shape"):
        noisy_weights(fw, {1: 0.1}, 2, uniforms=np.zeros((2, 2)))
    one = WEIGHTINGS.get("noisy")(fw, noise={1: 0.25}, seed=1)
    assert one.equals(noisy_weights(fw, {1: 0.25}, 1, seed=1).iloc[0].rename("weight"))


def test_effective_weights(fw):
    e = effective_weights(fw)
    assert e.to_dict() == pytest.approx(
        {"I": 1, "P": 0.5, "Q": 0.5, "a": 0.125, "b": 0.125, "c": 0.25, "d": 0.25, "e": 0.25}
    )
    assert e[["a", "b", "c", "d", "e"]].sum() == pytest.approx(1.0)
    many = effective_weights(fw, noisy_weights(fw, {1: 0.25, 2: 0.25}, 4, seed=0))
    assert many.shape == (4, 8)
    assert np.allclose(many[["a", "b", "c", "d", "e"]].sum(axis=1), 1.0)
    assert np.allclose(effective_weights(fw).values, fw.effective_weights()[e.index].values)


@pytest.mark.shared
def test_effective_weights_asem_goods():
    fw = asem_example().framework
    assert effective_weights(fw)["Goods"] == pytest.approx(0.2 * 0.2 * 0.5, rel=1e-15)
