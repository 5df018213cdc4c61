"""Frameworks: loading (YAML, iMeta), structure queries, and validation naming every problem."""

from __future__ import annotations

import pickle

import pandas as pd
import pytest
import yaml

from innolab.errors import DataFileError, FrameworkError, ParameterError
from innolab.framework import Framework, Node, available_frameworks, load_framework


def toy(**changes):
    """A small valid framework document; ``changes`` replace top-level keys."""
    doc = {
        "code": "toy",
        "name": "Toy index",
        "denominators": {"POP": {"name": "population"}},
        "groups": ["region"],
        "nodes": [
            {"code": "IDX", "name": "Index"},
            {"code": "P1", "parent": "IDX"},
            {"code": "P2", "parent": "IDX", "weight": 3},
            {"code": "a", "parent": "P1", "direction": 1, "target": 10},
            {"code": "b", "parent": "P1", "direction": -1, "denominator": "POP", "scale": 1000},
            {"code": "c", "parent": "P2", "direction": 1, "goalposts": [0, 5], "cap": {"upper": 4}},
            {"code": "d", "parent": "P2", "optional": True},
        ],
    }
    doc.update(changes)
    return doc


def problems_of(doc) -> list[str]:
    with pytest.raises(FrameworkError) as info:
        Framework.from_mapping(doc)
    return info.value.problems


def with_nodes(*nodes):
    return toy(nodes=list(nodes))


# --- structure ---------------------------------------------------------------------------------
def test_toy_structure():
    fw = Framework.from_mapping(toy())
    assert fw.indicators == ["a", "b", "c", "d"]
    assert fw.aggregates() == ["IDX", "P1", "P2"]
    assert fw.aggregates(level=2) == ["P1", "P2"]
    assert fw.levels == [1, 2, 3]
    assert fw.root == "IDX"
    assert fw.children("P1") == ["a", "b"]
    assert fw.parent("c") == "P2" and fw.parent("IDX") is None
    assert fw.node("b").direction == -1 and fw.node("b").scale == 1000.0
    assert fw.node("c").cap == (None, 4.0) and fw.node("c").goalposts == (0.0, 5.0)
    assert fw.node("d").optional is True
    assert fw.groups == ("region",) and fw.denominators == ("POP",)
    assert fw.directions().to_dict() == {"a": 1, "b": -1, "c": 1, "d": 1}
    t = fw.targets()
    assert t["a"] == 10 and t[["b", "c", "d"]].isna().all()
    assert fw.goalposts() == {"c": (0.0, 5.0)}
    assert fw.lineage().to_dict("list") == {
        "Indicator": ["a", "b", "c", "d"],
        "Pillar": ["P1", "P1", "P2", "P2"],
        "Index": ["IDX"] * 4,
    }
    assert fw.descendants("IDX") == ["a", "b", "c", "d"]
    assert fw.ancestors("c") == ["P2", "IDX"]


def test_effective_weights_hand_computed():
    fw = Framework.from_mapping(toy())
    eff = fw.effective_weights()
    # P1 = 1/4, P2 = 3/4; a, b = 1/2 of P1; c, d = 1/2 of P2
    assert eff.to_dict() == {
        "IDX": 1.0,
        "P1": 0.25,
        "P2": 0.75,
        "a": 0.125,
        "b": 0.125,
        "c": 0.375,
        "d": 0.375,
    }
    assert fw.weights()["P2"] == 3.0


def test_with_weights_and_errors():
    fw = Framework.from_mapping(toy())
    fw2 = fw.with_weights({"a": 3.0})
    assert fw2.effective_weights()["a"] == pytest.approx(0.25 * 0.75)
    assert fw.node("a").weight == 1.0  # original untouched
    with pytest.raises(FrameworkError) as info:
        fw.with_weights({"zz": 1.0, "a": 0})
    msg = str(info.value)
    assert "'zz'" in msg and "a: weight" in msg


def test_drop_removes_empty_aggregates():
    fw = Framework.from_mapping(toy())
    small = fw.drop(["c", "d"])
    assert small.indicators == ["a", "b"] and "P2" not in small
    assert small.effective_weights()["a"] == 0.5


def test_unknown_node_lookup_has_hint():
    fw = Framework.from_mapping(toy())
    with pytest.raises(FrameworkError, match="did you mean"):
        fw.node("P11")


def test_frozen_hashable_picklable():
    fw = load_framework("digital_innovation")
    assert pickle.loads(pickle.dumps(fw)) == fw
    hash(fw.nodes[3])
    with pytest.raises(AttributeError):
        fw.code = "x"


def test_table_round_trip():
    fw = Framework.from_mapping(toy())
    again = Framework.from_imeta(fw.to_table(), code="toy", name="Toy index")
    assert again.nodes == fw.nodes
    assert again.groups == fw.groups and again.denominators == fw.denominators
    table = fw.to_table()
    assert list(table.columns[:10]) == [
        "Level",
        "iCode",
        "iName",
        "Direction",
        "Weight",
        "Unit",
        "Target",
        "Denominator",
        "Parent",
        "Type",
    ]
    assert table.set_index("iCode").loc["region", "Type"] == "Group"


def test_mapping_round_trip():
    fw = load_framework("digital_innovation")
    again = Framework.from_mapping(fw.to_mapping())
    assert again == fw


# --- shipped frameworks ------------------------------------------------------------------------
def test_available_frameworks():
    assert {"digital_innovation", "digital_innovation_gii", "asem"} <= set(available_frameworks())


def test_default_framework_matches_method_md():
    fw = load_framework("digital_innovation")
    assert fw.root == "DII" and fw.data_window == 5
    assert fw.aggregates(level=2) == ["INFRA", "HUMAN", "FINANCE", "MARKET", "OUTPUTS", "POLICY"]
    assert len(fw.indicators) == 28
    assert fw.node("IC.REG.DURS").direction == -1
    assert fw.node("IP.PAT.RESD").denominator == "SP.POP.TOTL"
    assert fw.node("IP.PAT.RESD").scale == 1e6 and fw.node("IP.PAT.RESD").transform == "log1p"
    assert fw.node("IT.CEL.SETS.P2").cap == (None, 120.0)
    assert fw.node("BX.KLT.DINV.WD.GD.ZS").mean_years == 3
    assert fw.node("GE.EST").aliases == ("GOV_WGI_GE.EST",)
    assert fw.node("EXP.POLICY").optional
    assert fw.node("INFRA").attrs["engine"] == "ict"
    eff = fw.effective_weights()
    assert eff[fw.aggregates(level=2)].tolist() == pytest.approx([1 / 6] * 6)
    assert eff[fw.indicators].sum() == pytest.approx(1.0)


def test_gii_variant_is_inputs_outputs_fifty_fifty():
    fw = load_framework("digital_innovation_gii")
    base = load_framework("digital_innovation")
    assert fw.indicators == base.indicators
    assert fw.children("DII") == ["INPUTS", "OUTPUT"]
    assert fw.children("INPUTS") == ["INFRA", "HUMAN", "FINANCE", "MARKET", "POLICY"]
    assert fw.children("OUTPUT") == ["OUTPUTS"]
    eff = fw.effective_weights()
    assert eff["INPUTS"] == 0.5 and eff["OUTPUTS"] == 0.5 and eff["INFRA"] == 0.1
    assert fw.levels == [1, 2, 3, 4]
    assert fw.node("IP.PAT.RESD") == base.node("IP.PAT.RESD")


def test_asem_yaml_equals_coinr_imeta(shared):
    path = shared("data", "coinr-asem", "ASEM_iMeta.csv")
    imeta = load_framework(path)
    fw = load_framework("asem")
    assert fw.indicators == imeta.indicators
    assert set(fw.nodes) == set(imeta.nodes)
    assert fw.groups == imeta.groups == ("GDP_group", "GDPpc_group", "Pop_group", "EurAsia_group")
    assert fw.denominators == imeta.denominators == ("Area", "Energy", "GDP", "Population")
    assert len(fw.indicators) == 49 and fw.levels == [1, 2, 3, 4]
    assert sum(fw.directions() == -1) == 14
    assert [n.code for n in fw.nodes if n.denominator == "GDP"] == [
        "Goods",
        "Services",
        "FDI",
        "PRemit",
        "ForPort",
        "Research",
        "Pat",
        "CultServ",
        "CultGood",
    ]
    raw = pd.read_csv(path)
    ind = raw[raw.Type == "Indicator"].set_index("iCode")
    assert (fw.targets()[ind.index] == ind["Target"]).all()  # exact doubles


def test_asem_lineage_matches_coinr(shared):
    ref = pd.read_csv(shared("reference", "coinr-asem", "default", "lineage.csv"))
    got = load_framework("asem").lineage()
    key = list(ref.columns)
    assert list(got.columns) == key
    pd.testing.assert_frame_equal(
        got.sort_values(key).reset_index(drop=True), ref.sort_values(key).reset_index(drop=True)
    )


# --- loading errors ----------------------------------------------------------------------------
def test_unknown_name_lists_shipped(tmp_path):
    with pytest.raises(ParameterError) as info:
        load_framework("digital_inovation")
    assert "digital_innovation" in str(info.value)


def test_yaml_syntax_error_names_line(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("code: x\nnodes:\n  - code: a\n    name: [unclosed\n")
    with pytest.raises(DataFileError) as info:
        load_framework(p)
    assert info.value.line is not None and "bad.yaml" in str(info.value)


def test_yaml_file_and_imeta_csv(tmp_path):
    p = tmp_path / "fw.yaml"
    p.write_text(yaml.safe_dump(toy()))
    fw = load_framework(p)
    assert fw.indicators == ["a", "b", "c", "d"]
    csv = tmp_path / "imeta.csv"
    fw.to_table().to_csv(csv, index=False)
    assert load_framework(csv).nodes == fw.nodes


def test_imeta_missing_columns():
    with pytest.raises(FrameworkError, match="Direction"):
        Framework.from_imeta(pd.DataFrame({"iCode": ["a"], "Level": [1]}))


# --- validation: one test per problem ----------------------------------------------------------
def test_unknown_parent():
    doc = toy()
    doc["nodes"][3]["parent"] = "P9"
    probs = problems_of(doc)
    assert any("a: unknown parent 'P9'" in p for p in probs)


def test_aggregate_without_children():
    doc = toy()
    doc["nodes"].append({"code": "P3", "parent": "IDX", "type": "aggregate"})
    probs = problems_of(doc)
    assert any(p == "P3: aggregate without children" for p in probs)


def test_duplicate_code():
    doc = toy()
    doc["nodes"].append({"code": "a", "parent": "P2", "direction": 1})
    probs = problems_of(doc)
    assert any("duplicate code(s): a" in p for p in probs)


def test_cycle():
    doc = with_nodes(
        {"code": "IDX"},
        {"code": "X", "parent": "Y"},
        {"code": "Y", "parent": "X"},
        {"code": "a", "parent": "X", "direction": 1},
        {"code": "b", "parent": "IDX", "direction": 1},
    )
    probs = problems_of(doc)
    assert any("cycle in parent links: X -> Y -> X" in p for p in probs)


@pytest.mark.parametrize("bad", [0, -1, "heavy", None, float("nan"), True])
def test_bad_weight(bad):
    doc = toy()
    doc["nodes"][4]["weight"] = bad
    probs = problems_of(doc)
    assert any(p.startswith("b: weight must be") for p in probs)


@pytest.mark.parametrize("bad", [0, 2, "up", 0.5])
def test_bad_direction(bad):
    doc = toy()
    doc["nodes"][3]["direction"] = bad
    probs = problems_of(doc)
    assert any(p.startswith("a: direction must be 1 or -1") for p in probs)


def test_inconsistent_levels():
    doc = toy()
    # a pillar that mixes an indicator with a sub-pillar
    doc["nodes"] += [{"code": "S", "parent": "P1"}, {"code": "e", "parent": "S", "direction": 1}]
    probs = problems_of(doc)
    assert any(p.startswith("P1: inconsistent levels") and "S (level 2)" in p for p in probs)


def test_declared_level_mismatch_and_indicator_level():
    doc = toy()
    doc["nodes"][1]["level"] = 3
    doc["nodes"][3]["level"] = 2
    probs = problems_of(doc)
    assert any(p.startswith("P1: declared level 3") for p in probs)
    assert any(p.startswith("a: indicator at level 2") for p in probs)


def test_more_than_one_root():
    doc = toy()
    doc["nodes"] += [{"code": "IDX2"}, {"code": "z", "parent": "IDX2", "direction": 1}]
    probs = problems_of(doc)
    assert any("more than one root" in p and "IDX, IDX2" in p for p in probs)


def test_undeclared_denominator_and_bad_rules():
    doc = toy()
    doc["nodes"][3].update(
        denominator="GDP",
        transform="cube",
        goalposts=[5, 1],
        cap={"upper": "x"},
        mean_years=0,
        scale=-2,
    )
    probs = problems_of(doc)
    for start in (
        "a: denominator 'GDP'",
        "a: unknown transform 'cube'",
        "a: goalposts need",
        "a: cap must be",
        "a: mean_years",
        "a: scale",
    ):
        assert any(p.startswith(start) for p in probs), start


def test_unknown_field_is_reported_with_hint():
    doc = toy()
    doc["nodes"][3]["wieght"] = 2
    doc["colour"] = "red"
    probs = problems_of(doc)
    assert any("unknown field 'wieght' (did you mean 'weight'?)" in p for p in probs)
    assert any("unknown field 'colour'" in p for p in probs)


def test_data_columns_checks():
    fw = Framework.from_mapping(toy())
    # d is optional: may be absent; POP, region and iso3 are known columns
    assert fw.validate(["iso3", "a", "b", "c", "POP", "region"]) is fw
    with pytest.raises(FrameworkError) as info:
        fw.validate(["iso3", "a", "zz", "P1"])
    probs = info.value.problems
    assert "indicator(s) without data: b, c" in probs
    assert "data column(s) without node: zz" in probs
    assert "data column(s) named like aggregates: P1" in probs


def test_alias_counts_as_data():
    fw = load_framework("digital_innovation")
    cols = [c for c in fw.indicators if c != "GE.EST"] + ["GOV_WGI_GE.EST"]
    fw.validate(cols)


def test_several_problems_reported_at_once():
    doc = with_nodes(
        {"code": "IDX"},
        {"code": "IDX2"},
        {"code": "P1", "parent": "IDX"},
        {"code": "P2", "parent": "IDX", "type": "aggregate"},
        {"code": "a", "parent": "P1", "direction": 2, "weight": -1},
        {"code": "a", "parent": "P1", "direction": 1},
        {"code": "b", "parent": "NOPE", "direction": 1},
        {"code": "c", "parent": "IDX2", "direction": 1, "weight": "x"},
    )
    with pytest.raises(FrameworkError) as info:
        Framework.from_mapping(doc)
    probs = info.value.problems
    text = str(info.value)
    assert len(probs) >= 6
    for needle in (
        "duplicate code(s): a",
        "more than one root",
        "b: unknown parent 'NOPE'",
        "P2: aggregate without children",
        "a: direction must be",
        "a: weight must",
        "c: weight must be a number > 0 (found non-numeric 'x')",
    ):
        assert needle in text, needle
    assert text.count("\n  - ") == len(probs)


def test_empty_and_malformed_documents():
    assert "nodes" in problems_of({"code": "x"})[0]
    with pytest.raises(FrameworkError):
        Framework.from_mapping(["not", "a", "mapping"])
    probs = problems_of(toy(data_window=0, nodes=toy()["nodes"] + ["junk"]))
    assert any("data_window" in p for p in probs)
    assert any("node #8 is not a mapping" in p for p in probs)


def test_node_defaults():
    n = Node(code="x")
    assert n.is_indicator and n.weight == 1.0 and n.direction == 1 and n.aliases == ()
