"""Export: CSVs and one workbook with a front sheet, written atomically."""

from __future__ import annotations

import pandas as pd
import pytest
from openpyxl import load_workbook

from innolab.analysis import export as ex
from innolab.errors import ParameterError


def test_sheet_names_are_valid_and_unique():
    names = ex.sheet_names(
        [
            "About",
            "strengths_and_weaknesses_by_pillar_2023",
            "a[1]:b",
            "strengths_and_weaknesses_by_pillar_2024",
        ]
    )
    assert names[0] == "About~2"  # the front sheet's name is reserved
    assert all(len(n) <= 31 for n in names) and len(set(names)) == 4
    assert names[2] == "a_1__b"
    assert names[3].endswith("~2") and names[1] == "strengths_and_weaknesses_by_pil"


def test_export_tables_csv_and_workbook(tmp_path):
    t1 = pd.DataFrame({"code": ["a", "b"], "gap_points": [1.5, -2.0]})
    long = "a_table_with_a_very_long_name_indeed_more_than_31"
    paths = ex.export_tables(
        {"gaps": t1, long: t1.head(1)},
        tmp_path / "out",
        units={"gap_points": "normalised points"},
        spec={"normalise": {"method": "minmax", "lower": 0}},
        title="KEN profile",
    )
    assert [p.name for p in paths] == ["gaps.csv", f"{long}.csv", "analysis.xlsx"]
    pd.testing.assert_frame_equal(pd.read_csv(paths[0]), t1)
    wb = load_workbook(paths[-1])
    assert wb.sheetnames == ["About", "gaps", long[:31]]
    about = pd.read_excel(paths[-1], sheet_name="About")
    assert about.iloc[0][["section", "value"]].tolist() == ["title", "KEN profile"]
    rows = about[about["section"] == "spec"][["item", "value"]].values.tolist()
    assert rows == [["normalise.method", "minmax"], ["normalise.lower", "0"]]
    assert about[about["section"] == "unit"]["value"].tolist() == ["normalised points"]
    assert pd.read_excel(paths[-1], sheet_name="gaps").equals(t1)
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]


def test_export_rejects_bad_input(tmp_path):
    with pytest.raises(ParameterError, match="nothing"):
        ex.export_tables({}, tmp_path)
    with pytest.raises(ParameterError, match="file name"):
        ex.export_tables({"../x": pd.DataFrame()}, tmp_path)
    with pytest.raises(ParameterError, match="xlsx"):
        ex.export_tables({"x": pd.DataFrame({"a": [1]})}, tmp_path, workbook="x.xls")
    with pytest.raises(ParameterError, match="not a DataFrame"):
        ex.export_tables({"x": [1, 2]}, tmp_path)
