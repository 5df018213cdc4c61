"""Uncertainty and sensitivity analysis: R's random stream, the design, batched runs that equal
full rebuilds, rank statistics and Saltelli/Jansen indices."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from analysis_helpers import shared_or_skip
from hypothesis import given, settings
from hypothesis import strategies as st

from innolab.analysis._rrng import RStream
from innolab.analysis.uncertainty import (
    COINR_VIGNETTE_VARY,
    cut_index,
    min_ranks,
    parse_vary,
    sample_design,
    sensitivity_indices,
    uncertainty_analysis,
)
from innolab.errors import ParameterError, SpecError
from innolab.framework import Framework
from innolab.scoring import COINR_ASEM_SPEC, build
from innolab.scoring.rank import rank

COINR_VARY = COINR_VIGNETTE_VARY


# --------------------------------------------------------------------------- R's generator
def test_runif_reproduces_r_set_seed_42_and_1():
    # R 4.x: set.seed(42); runif(3) and set.seed(1); runif(2)
    np.testing.assert_allclose(
        RStream(42).runif(3), [0.914806043496355, 0.937075413297862, 0.286139534786344], rtol=1e-14
    )
    np.testing.assert_allclose(RStream(1).runif(2), [0.2655086631421, 0.3721238996368], rtol=1e-12)


def test_sample_reproduces_r_rejection_sampling():
    # R >= 3.6: set.seed(1); sample(10, 10, replace = TRUE) -> 9 4 7 1 2 7 2 3 1 5
    assert (RStream(1).unif_index(10, 10) + 1).tolist() == [9, 4, 7, 1, 2, 7, 2, 3, 1, 5]


def test_unif_index_consumes_the_stream_like_one_draw_at_a_time():
    # drawing 7 then 5 indices leaves the stream where 12 single draws would
    a, b = RStream(7), RStream(7)
    joint = np.concatenate([a.unif_index(1000, 7), a.unif_index(1000, 5)])
    single = np.concatenate([b.unif_index(1000, 1) for _ in range(12)])
    assert joint.tolist() == single.tolist()
    assert a.runif(1)[0] == b.runif(1)[0]
    # a candidate needs two uniforms above 2^16 alternatives (bits > 16)
    c, e = RStream(3), RStream(3)
    big = c.unif_index(100_000, 4)
    assert (big < 100_000).all()
    u = e.runif(2)
    first = (int(u[0] * 65536) * 65536 + int(u[1] * 65536)) & ((1 << 17) - 1)
    if first < 100_000:
        assert big[0] == first


def test_seed_must_be_an_integer():
    with pytest.raises(ParameterError, match="seed"):
        RStream(1.5)


# --------------------------------------------------------------------------- design
def test_cut_uses_the_samples_own_range():
    u = np.array([0.30, 0.40, 0.50, 0.91])
    # range [0.30, 0.91]: the two bins split at 0.605, not 0.5
    assert cut_index(u, 2).tolist() == [0, 0, 0, 1]
    # three bins of width 0.2033..: (0.2994, 0.5033], (0.5033, 0.7067], (0.7067, 0.9106]
    assert cut_index(u, 3).tolist() == [0, 0, 0, 2]
    # right-closed interior bins: a value exactly on an interior break falls in the lower bin
    assert cut_index(np.array([0.0, 0.5, 1.0]), 2).tolist() == [0, 0, 1]
    with pytest.raises(ParameterError):
        cut_index(u, 1)


def test_design_fills_columns_and_builds_ab_blocks():
    u = RStream(5).runif(6)
    x = sample_design(3, 2, RStream(5), sensitivity=False)
    assert x[:, 0].tolist() == u[:3].tolist() and x[:, 1].tolist() == u[3:].tolist()
    s = sample_design(4, 3, RStream(9), sensitivity=True)
    base = RStream(9).runif(24).reshape(6, 4).T
    a, b = base[:, :3], base[:, 3:]
    assert s.shape == (4 * 5, 3)
    np.testing.assert_array_equal(s[:4], a)
    np.testing.assert_array_equal(s[4:8], b)
    for i in range(3):
        ab = s[8 + 4 * i : 12 + 4 * i]
        np.testing.assert_array_equal(np.delete(ab, i, axis=1), np.delete(a, i, axis=1))
        np.testing.assert_array_equal(ab[:, i], b[:, i])


# --------------------------------------------------------------------------- ranks, indices
@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(st.sampled_from([1.0, 2.0, 2.0, 5.0]), st.floats(-1e6, 1e6), st.just(np.nan)),
        min_size=1,
        max_size=12,
    )
)
def test_min_ranks_equal_the_pipeline_ranks(values):
    x = np.array(values, dtype=float)
    expected = rank(pd.DataFrame({"s": x}))["s"].to_numpy(dtype=float)
    np.testing.assert_array_equal(min_ranks(x[None, :])[0], expected)


def test_sensitivity_indices_hand_computed():
    # N = 2, d = 2: yA = (1, 3), yB = (2, 4), yAB1 = (2, 4), yAB2 = (1, 3)
    y = np.array([1.0, 3.0, 2.0, 4.0, 2.0, 4.0, 1.0, 3.0])
    s = sensitivity_indices(y, 2, 2)
    v = np.var([1.0, 3.0, 2.0, 4.0], ddof=1)  # 5/3
    # S1 = mean(yB * (yAB1 - yA)) / V = mean(2*1, 4*1) / V = 3 / V
    assert s["first_order"].tolist() == pytest.approx([3 / v, 0.0])
    # ST1 = sum((yA - yAB1)^2) / (2 N V) = 2 / (4 V)
    assert s["total"].tolist() == pytest.approx([2 / (4 * v), 0.0])
    with pytest.raises(ParameterError):
        sensitivity_indices(y[:-1], 2, 2)


def test_sensitivity_indices_of_an_additive_model():
    # y = x1 + 2 x2 with independent U(0,1): S1 = 1/5, S2 = 4/5, no interactions
    n = 4000
    x = sample_design(n, 2, RStream(2), sensitivity=True)
    s = sensitivity_indices(x[:, 0] + 2 * x[:, 1], n, 2, n_boot=50, stream=RStream(4))
    assert s["first_order"].tolist() == pytest.approx([0.2, 0.8], abs=0.05)
    assert s["total"].tolist() == pytest.approx([0.2, 0.8], abs=0.05)
    assert (s["first_order_q05"] <= s["first_order_q95"]).all()
    assert (s["total_q05"] <= s["total"] + 0.05).all()


# --------------------------------------------------------------------------- small framework
def _toy():
    fw = Framework.from_mapping(
        {
            "code": "toy",
            "nodes": [
                {"code": "I"},
                {"code": "P", "parent": "I"},
                {"code": "Q", "parent": "I", "weight": 2},
                {"code": "a", "parent": "P"},
                {"code": "b", "parent": "P", "direction": -1},
                {"code": "c", "parent": "Q"},
                {"code": "d", "parent": "Q"},
            ],
        }
    )
    rng = np.random.default_rng(3)
    df = pd.DataFrame(
        rng.lognormal(size=(12, 4)), columns=list("abcd"), index=[f"U{i:02d}" for i in range(12)]
    ).rename_axis("iso3")
    df.iloc[2, 1] = np.nan
    spec = {
        "impute": {"method": "mean"},
        "normalise": {"method": "minmax", "lower": 1, "upper": 100},
        "aggregate": {"method": "arithmetic"},
    }
    return build(df, fw, spec)


def _run_config(b, design_row, inputs):
    """Rebuild one run from scratch through the public pipeline (the slow, obvious way)."""
    spec = b.spec
    fw = b.framework
    method = None
    for u in inputs:
        label = design_row[u.name]
        k = list(u.labels).index(label)
        if u.kind == "spec" and u.options[k]:
            spec = spec.updated(**u.options[k])
        elif u.kind == "aggregate":
            method = u.options[k][0]
        elif u.kind == "weights":
            fw = fw.with_weights(dict(zip(u.codes, u.options[k], strict=True)))
    if method is not None:
        spec = spec.updated(aggregate={"method": method})
    return b.rebuild(spec, framework=fw)


def test_every_run_equals_a_full_rebuild():
    b = _toy()
    vary = {
        "impute": ["on", "off"],
        "normalise": [
            {"method": "minmax", "lower": 1, "upper": 100},
            {"method": "zscore", "mean": 10, "sd": 2},
            "rank",
        ],
        "weights": {"noise": 0.4, "levels": [1, 2], "replications": 6},
        "aggregate.method": ["arithmetic", "geometric", "harmonic"],
    }
    r = uncertainty_analysis(b, vary, n=12, seed=8, keep_indicators=True)
    assert r.n_runs == 12 and r.kind == "UA"
    assert r.nodes == ("a", "b", "c", "d", "I", "P", "Q")
    scores = r.scores()
    checked = 0
    for run in range(1, 13):
        row = r.design.loc[run]
        if run in set(r.failed["run"]):
            assert scores[f"r_{run}"].isna().all()
            continue
        ref = _run_config(b, row, r.inputs)
        np.testing.assert_allclose(
            scores[f"r_{run}"].to_numpy(), ref.scores["I"].to_numpy(), rtol=1e-12, atol=1e-12
        )
        np.testing.assert_array_equal(
            r.ranks()[f"r_{run}"].to_numpy(), ref.ranks["I"].to_numpy(dtype=float)
        )
        for code in r.nodes:  # indicators and pillars too
            np.testing.assert_allclose(
                r.scores(code)[f"r_{run}"], ref.scores[code], rtol=1e-12, atol=1e-12
            )
            np.testing.assert_array_equal(
                r.ranks(code)[f"r_{run}"], ref.ranks[code].to_numpy(dtype=float)
            )
        checked += 1
    assert checked >= 6


def test_conflicting_methods_fail_the_run_not_the_analysis():
    b = _toy()
    vary = {
        "normalise": [
            {"method": "minmax", "lower": 0, "upper": 100},  # zeros: geometric mean impossible
            {"method": "minmax", "lower": 1, "upper": 100},
        ],
        "aggregate.method": ["arithmetic", "geometric"],
    }
    r = uncertainty_analysis(b, vary, n=40, seed=2)
    bad = (r.design["normalise"].str.contains("lower=0")) & (
        r.design["aggregate.method"] == "geometric"
    )
    assert bad.any()
    assert sorted(r.failed["run"]) == sorted(r.design.index[bad])
    assert r.failed["reason"].str.contains("geometric").all()
    assert r.scores().loc[:, [f"r_{i}" for i in r.design.index[bad]]].isna().all().all()
    stats = r.rank_stats()
    assert stats[["mean", "median", "q05", "q95"]].notna().all().all()
    ok = r.ranks().loc[:, [f"r_{i}" for i in r.design.index[~bad]]]
    np.testing.assert_allclose(stats["mean"], ok.mean(axis=1))
    np.testing.assert_allclose(stats["q95"], ok.quantile(0.95, axis=1))


def test_leave_one_out_equals_aggregating_without_the_indicator():
    b = _toy()
    r = uncertainty_analysis(
        b, {"exclude": "each", "aggregate.method": ["arithmetic", "harmonic"]}, n=30, seed=5
    )
    assert r.inputs[0].labels == ("none", "without a", "without b", "without c", "without d")
    from innolab.scoring import aggregate

    for run in (1, 2, 3, 4, 5, 6):
        row = r.design.loc[run]
        x = b.normalised.copy()
        if row["exclude"] != "none":
            x[row["exclude"].split()[-1]] = np.nan
        ref = aggregate(x, b.framework, row["aggregate.method"], weights=b.weights).data
        np.testing.assert_allclose(r.scores()[f"r_{run}"], ref["I"], rtol=1e-12)


def test_identical_alternatives_have_indices_of_exactly_zero():
    b = _toy()
    vary = {
        "normalise": [
            {"method": "minmax", "lower": 1, "upper": 100},
            {"method": "minmax", "lower": 1, "upper": 100},
        ],
        "weights": {"noise": 0.5, "levels": [2]},
        "aggregate.method": ["arithmetic", "geometric"],
    }
    r = uncertainty_analysis(b, vary, n=64, seed=3, sensitivity=True, n_boot=20)
    s = r.sensitivity_table().set_index("input")
    assert s.loc["normalise", "first_order"] == 0.0
    assert s.loc["normalise", "total"] == 0.0
    assert s.loc["normalise", ["first_order_q05", "total_q95"]].tolist() == [0.0, 0.0]
    assert s.loc["aggregate.method", "total"] > 0


def test_reproducible_and_seed_dependent():
    b = _toy()
    vary = {
        "weights": {"noise": 0.5, "levels": [1, 2]},
        "aggregate.method": ["arithmetic", "geometric"],
    }
    r1 = uncertainty_analysis(b, vary, n=50, seed=10, sensitivity=True)
    r2 = uncertainty_analysis(b, vary, n=50, seed=10, sensitivity=True)
    r3 = uncertainty_analysis(b, vary, n=50, seed=11, sensitivity=True)
    np.testing.assert_array_equal(r1.run_scores, r2.run_scores)
    pd.testing.assert_frame_equal(r1.sensitivity_table(), r2.sensitivity_table())
    assert not np.array_equal(r1.run_scores, r3.run_scores, equal_nan=True)
    # SA rank statistics use the A and B runs only (COINr)
    a_b = r1.ranks().iloc[:, : 2 * 50]
    np.testing.assert_allclose(r1.rank_stats()["median"], a_b.median(axis=1))
    assert r1.rank_stats()["nominal"].tolist() == b.ranks["I"].astype(float).tolist()


def test_every_node_gets_intervals():
    b = _toy()
    r = uncertainty_analysis(b, {"weights": {"noise": 0.3}, "impute": ["on", "off"]}, n=20, seed=1)
    t = r.intervals()
    assert set(t["code"]) == {"I", "P", "Q"}
    assert (t["rank_q05"] <= t["rank_q95"]).all()
    assert (t["score_q05"] <= t["score_median"] + 1e-12).all()


@pytest.mark.parametrize(
    "vary, match",
    [
        ({"treat.max_points": [1]}, "at least 2"),
        ({"normalise": "minmax"}, "list of at least 2"),
        ({"normalise.methd": [1, 2]}, "normalise"),
        ({"colour": [1, 2]}, "unknown assumption"),
        ({"aggregate.method": ["arithmetic", "median_of_means"]}, "median_of_means"),
        ({"weights": {"levels": [2]}}, "noise"),
        ({"weights": {"noise": 0.3, "levels": [7]}}, "level 7"),
        ({"weights": {"noise": 1.5}}, r"\[0, 1\)"),
        ({"exclude": ["a", "zz"]}, "zz"),
        ({"impute": ["on", {"method": "nonsense"}]}, "nonsense"),
    ],
)
def test_bad_vary_specs_name_the_key(vary, match):
    with pytest.raises(SpecError, match=match):
        parse_vary(vary, _toy())


def test_bad_arguments():
    b = _toy()
    with pytest.raises(ParameterError, match="n"):
        uncertainty_analysis(b, {"aggregate.method": ["arithmetic", "geometric"]}, n=2)
    with pytest.raises(ParameterError, match="at least 2"):
        uncertainty_analysis(
            b, {"aggregate.method": ["arithmetic", "geometric"]}, n=10, sensitivity=True
        )
    with pytest.raises(ParameterError, match="target"):
        uncertainty_analysis(b, {"aggregate.method": ["arithmetic", "geometric"]}, n=10, target="a")


# --------------------------------------------------------------------------- COINr's set-up
@pytest.fixture(scope="module")
def asem_build():
    p = shared_or_skip("data", "coinr-asem", "ASEM_iData.csv")
    idata = pd.read_csv(p, keep_default_na=False, na_values=[""])
    return build(idata, "asem", COINR_ASEM_SPEC)


def test_coinr_vignette_setup_on_asem(asem_build):
    b = asem_build
    r = uncertainty_analysis(b, COINR_VARY, n=40, seed=99, sensitivity=True, n_boot=30)
    assert r.n_runs == 40 * 6
    # the design maps uniforms to alternatives with cut() on each sampled column
    stream = RStream(2025)  # the noisy weights' own seed; the design has set.seed(99)
    x = sample_design(40, 4, RStream(99), sensitivity=True)
    assert r.design["treat.max_points"].tolist() == [
        f"max_points={k + 1}" for k in cut_index(x[:, 0], 5)
    ]
    assert r.design["weights"].tolist() == [
        f"noisy weights #{k + 1}" for k in cut_index(x[:, 2], 100)
    ]
    # noisy weights: levels 2 then 3 per replication, in COINr's sorted iMeta order
    u = stream.runif(10)
    w = r.inputs[2].options
    codes = list(r.inputs[2].codes)
    order2 = ["Physical", "ConEcFin", "Political", "Instit", "P2P", "Environ", "Social", "SusEcFin"]
    for j, c in enumerate(order2 + ["Conn", "Sust"]):
        assert w[0, codes.index(c)] == 1.0 + (u[j] * 2 - 1) * 0.25 * 1.0
    # a few runs against a full rebuild of the pipeline
    for run in (1, 2, 41, 81, 200):
        ref = _run_config(b, r.design.loc[run], r.inputs)
        np.testing.assert_allclose(
            r.scores()[f"r_{run}"], ref.scores["Index"].to_numpy(), rtol=1e-12
        )
    s = r.sensitivity_table()
    assert list(s["input"]) == list(COINR_VARY)
    assert s[["first_order", "total"]].notna().all().all()
    stats = r.rank_stats()
    assert stats.index.equals(b.scores.index)
    assert (stats["q05"] <= stats["median"]).all() and (stats["median"] <= stats["q95"]).all()


# --------------------------------------------------------------------------- CLI
TOY_FRAMEWORK = """
code: toy
nodes:
  - {code: I}
  - {code: P, parent: I}
  - {code: Q, parent: I, weight: 2}
  - {code: a, parent: P}
  - {code: b, parent: P, direction: -1}
  - {code: c, parent: Q}
  - {code: d, parent: Q}
"""


def _toy_files(tmp_path):
    b = _toy()
    data = b.raw.reset_index()
    data.to_csv(tmp_path / "data.csv", index=False)
    (tmp_path / "fw.yaml").write_text(TOY_FRAMEWORK)
    (tmp_path / "spec.yaml").write_text(
        "impute: {method: mean}\nnormalise: {method: minmax, lower: 1, upper: 100}\n"
        "aggregate: {method: arithmetic}\n"
    )
    (tmp_path / "vary.yaml").write_text(
        "impute: [on, off]\nweights: {noise: 0.3, levels: [2]}\n"
        "aggregate.method: [arithmetic, geometric]\n"
    )
    return b


def test_cli_writes_rank_statistics_and_indices(tmp_path, capsys):
    from innolab.cli import main

    b = _toy_files(tmp_path)
    args = [
        "uncertainty",
        "--data",
        str(tmp_path / "data.csv"),
        "--framework",
        str(tmp_path / "fw.yaml"),
        "--spec",
        str(tmp_path / "spec.yaml"),
        "--vary",
        str(tmp_path / "vary.yaml"),
        "--n",
        "40",
        "--seed",
        "7",
        "--out",
        str(tmp_path / "ranks.csv"),
    ]
    assert main(args) == 0
    out = pd.read_csv(tmp_path / "ranks.csv")
    assert list(out.columns) == ["iso3", "nominal", "mean", "median", "q05", "q95"]
    assert out["nominal"].tolist() == b.ranks["I"].astype(float).tolist()
    prov = json.loads((tmp_path / "ranks.provenance.json").read_text())
    assert prov["design"] == "UA" and prov["runs"] == 40 and prov["seed"] == 7
    assert "uncertainty analysis of I: 40 runs" in capsys.readouterr().out
    # the same with the sensitivity design
    assert main([*args, "--sensitivity", str(tmp_path / "sens.csv"), "--bootstrap", "20"]) == 0
    sens = pd.read_csv(tmp_path / "sens.csv")
    assert sens["input"].tolist() == ["impute", "weights", "aggregate.method"]
    assert {"first_order", "total", "first_order_q05", "total_q95"} <= set(sens.columns)
    again = pd.read_csv(tmp_path / "ranks.csv")
    from innolab.analysis.uncertainty import uncertainty_analysis

    ref = uncertainty_analysis(
        b,
        {
            "impute": ["on", "off"],
            "weights": {"noise": 0.3, "levels": [2]},
            "aggregate.method": ["arithmetic", "geometric"],
        },
        n=40,
        seed=7,
        sensitivity=True,
        n_boot=20,
    )
    np.testing.assert_allclose(again["mean"], ref.rank_stats()["mean"].to_numpy())


@pytest.mark.parametrize(
    "vary_text, message",
    [
        ("impute: [on]\n", "impute: expected at least 2 alternatives"),
        ("treat.max_points: [1, 2\n", "invalid YAML"),
        ("colour: [red, blue]\n", "colour: unknown assumption"),
        ("aggregate.method: [arithmetic, mode]\n", "unknown aggregate method 'mode'"),
    ],
)
def test_cli_bad_vary_file_is_one_line_and_writes_nothing(tmp_path, capsys, vary_text, message):
    from innolab.cli import main

    _toy_files(tmp_path)
    (tmp_path / "vary.yaml").write_text(vary_text)
    rc = main(
        [
            "uncertainty",
            "--data",
            str(tmp_path / "data.csv"),
            "--framework",
            str(tmp_path / "fw.yaml"),
            "--vary",
            str(tmp_path / "vary.yaml"),
            "--n",
            "10",
            "--out",
            str(tmp_path / "ranks.csv"),
        ]
    )
    err = capsys.readouterr().err
    assert rc == 2
    assert message in err and "vary.yaml" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) <= 2
    assert not (tmp_path / "ranks.csv").exists()


def test_explicit_aggregate_weights_of_the_nominal_spec_are_kept():
    b0 = _toy()
    b = b0.rebuild(
        aggregate={
            "method": "arithmetic",
            "weights": {"P": 3, "Q": 1, "a": 1, "b": 2, "c": 1, "d": 1, "I": 1},
        }
    )
    assert not b.scores["I"].equals(b0.scores["I"])
    r = uncertainty_analysis(
        b, {"impute": ["on", "on"], "aggregate.method": ["arithmetic", "arithmetic"]}, n=5, seed=1
    )
    for run in range(1, 6):
        np.testing.assert_allclose(r.scores()[f"r_{run}"], b.scores["I"], rtol=1e-13)
    assert (r.rank_stats()["q05"] == r.rank_stats()["nominal"]).all()
