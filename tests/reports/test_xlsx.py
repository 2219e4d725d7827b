"""XLSX export: one formatted sheet per table, and no cell a spreadsheet would run."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from socialroi.cli import main
from socialroi.core.kpis import compute
from socialroi.reports.export import TABLES, XLSX_NAME, write_exports
from tests.reports.fixture import AS_OF, tables

FORMULA = "=cmd|' /C calc'!A0"


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    a = compute(
        tables(deal=FORMULA, contact="@SUM(1)", campaign="+1+1", post="-2-2"),
        as_of=AS_OF,
        currency="EUR",
    )
    out = tmp_path_factory.mktemp("x")
    (path,) = write_exports(a, out, "xlsx")
    assert path == out / XLSX_NAME
    return openpyxl.load_workbook(path)


def _column(ws: Any, name: str) -> list[Any]:
    heads = [c.value for c in ws[1]]
    j = heads.index(name)
    return [row[j] for row in ws.iter_rows(min_row=2)]


def test_one_sheet_per_table_with_frozen_header(book):
    assert book.sheetnames == list(TABLES)
    for ws in book.worksheets:
        assert ws.freeze_panes == "A2"
        assert ws["A1"].font.b
    deals = book["deals_traced"]
    assert deals.column_dimensions["A"].width > 5


def test_no_cell_is_a_formula_and_the_text_is_literal(book):
    kinds = {c.data_type for ws in book.worksheets for row in ws.iter_rows() for c in row}
    assert "f" not in kinds
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    texts = {c.value for c in cells if c.data_type == "s"}
    assert "'" + FORMULA in texts
    assert "'@SUM(1)" in texts
    assert not any(isinstance(t, str) and t.startswith(("=", "+", "-", "@")) for t in texts)


def test_number_formats(book):
    summary = book["summary"]
    revenue = _column(summary, "revenue")[0]
    assert revenue.value == 2500.0
    assert "€" in revenue.number_format
    roi = _column(summary, "roi")[0]
    assert roi.value == pytest.approx((2500 - 450) / 450)
    assert roi.number_format == "0.0%"
    closed = [c for c in _column(book["deals_traced"], "closed_at") if c.value is not None]
    assert closed
    assert all(isinstance(c.value, datetime) for c in closed)
    assert all("yyyy" in c.number_format for c in closed)


def test_cli_writes_the_workbook(fixture_store, tmp_path):
    res = CliRunner().invoke(
        main, ["export", "--store", str(fixture_store), "--format", "xlsx", "--out", str(tmp_path)]
    )
    assert res.exit_code == 0, res.output
    assert res.stdout.strip() == str(tmp_path / XLSX_NAME)
    assert openpyxl.load_workbook(tmp_path / XLSX_NAME).sheetnames == list(TABLES)
