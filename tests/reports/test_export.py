"""Exports: one file per KPI table; CSV cells a spreadsheet would run are neutralised."""

from __future__ import annotations

import polars as pl
import pytest

from socialroi.core.attribution import model_names
from socialroi.core.kpis import compute
from socialroi.reports.export import TABLES, export_tables, neutralise, write_exports
from tests.reports.fixture import AS_OF, tables

DANGEROUS = ["=cmd|' /C calc'!A0", "+1", "-1", "@SUM(1)"]


def test_neutralise_prefixes_formula_starts():
    df = pl.DataFrame({"t": [*DANGEROUS, "safe", "a=b", None], "n": [-1, 1, 2, 3, 4, 5, 6]})
    out = neutralise(df)
    assert out["t"].to_list() == [*("'" + d for d in DANGEROUS), "safe", "a=b", None]
    assert out["n"].to_list() == df["n"].to_list()  # numbers stay numbers


@pytest.fixture(scope="module")
def analysis():
    return compute(tables(deal=DANGEROUS[0], contact="@SUM(1)"), as_of=AS_OF, compare=None)


def test_tables(analysis):
    t = export_tables(analysis)
    assert list(t) == list(TABLES)
    assert t["summary"]["revenue"].to_list() == [2500.0]
    assert t["deals_traced"].schema["path"] == pl.String
    assert set(t["attribution"]["model"]) == set(model_names())


def test_network_tables(analysis):
    t = export_tables(analysis)
    chains = t["referral_chains"]
    assert chains.select("root_id", "employee_name", "met_on", "deal_ids").rows() == [
        ("c1", "Ana Diaz", "linkedin", "D2")
    ]
    assert chains["network_revenue"].to_list() == [pytest.approx(1000.0)]
    assert t["referral_employees"]["employee_id"].to_list() == ["e1"]
    credits = t["referral_credits"].filter(pl.col("deal_id") == "D2")
    assert credits.select("contact_id", "hop", "value_credit").rows() == [
        ("c2", 0, 2000.0),
        ("c1", 1, 1000.0),
    ]
    assert set(t["influence"]["node"]) == {"c1", "c2", "c3", "e1", "e2"}
    assert t["givers"]["posts"].sum() == 2
    assert t["giver_summary"]["n"].to_list() == [2, 2]


def test_csv_files_are_neutralised(analysis, tmp_path):
    paths = write_exports(analysis, tmp_path, "csv")
    assert sorted(p.name for p in paths) == sorted(f"{n}.csv" for n in TABLES)
    deals = (tmp_path / "deals_traced.csv").read_text(encoding="utf-8")
    assert "'=cmd|' /C calc'!A0" in deals
    assert "'@SUM(1)" in deals
    chains = (tmp_path / "referral_chains.csv").read_text(encoding="utf-8")
    assert "'@SUM(1)" in chains  # the root contact's name
    influence = pl.read_csv(tmp_path / "influence.csv")
    assert "'@SUM(1)" in influence["name"].to_list()
    back = pl.read_csv(tmp_path / "deals_traced.csv")
    assert back.filter(pl.col("deal_id") == "D1")["path"][0].startswith("2025-01-06 linkedin")
    assert not any(p.name.endswith(".tmp") for p in tmp_path.iterdir())


def test_parquet_keeps_values(analysis, tmp_path):
    write_exports(analysis, tmp_path, "parquet")
    deals = pl.read_parquet(tmp_path / "deals_traced.parquet")
    assert DANGEROUS[0] in deals["deal_name"].to_list()
    summary = pl.read_parquet(tmp_path / "summary.parquet")
    assert summary["roi"][0] == pytest.approx((2500 - 450) / 450)
