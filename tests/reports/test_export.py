"""Exports: one file per KPI table; CSV cells a spreadsheet would run are neutralised."""

from __future__ import annotations

import polars as pl
import pytest

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
    assert t["attribution"]["model"].n_unique() == 11


def test_csv_files_are_neutralised(analysis, tmp_path):
    paths = write_exports(analysis, tmp_path, "csv")
    assert sorted(p.name for p in paths) == sorted(f"{n}.csv" for n in TABLES)
    deals = (tmp_path / "deals_traced.csv").read_text(encoding="utf-8")
    assert "'=cmd|' /C calc'!A0" in deals
    assert "'@SUM(1)" in deals
    back = pl.read_csv(tmp_path / "deals_traced.csv")
    assert back.filter(pl.col("deal_id") == "D1")["path"][0].startswith("2025-01-06 linkedin")
    assert not any(p.name.endswith(".tmp") for p in tmp_path.iterdir())


def test_parquet_keeps_values(analysis, tmp_path):
    write_exports(analysis, tmp_path, "parquet")
    deals = pl.read_parquet(tmp_path / "deals_traced.parquet")
    assert DANGEROUS[0] in deals["deal_name"].to_list()
    summary = pl.read_parquet(tmp_path / "summary.parquet")
    assert summary["roi"][0] == pytest.approx((2500 - 450) / 450)
