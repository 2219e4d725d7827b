"""Absurd values stop at the door: an amount beyond the ceiling is refused with row and column."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from socialroi.adapters._values import MAX_NUMBER, parse
from tests.importing.conftest import assert_same, run_import, snapshot, write

FIRM = Path(__file__).parents[1] / "e2e" / "firm"


@pytest.mark.parametrize(
    "text", ["1e308", "1e309", "-2e12", "1,000,000,000,001", "$2,000,000,000,000", "1.5E+13"]
)
def test_a_number_beyond_the_ceiling_is_refused(text: str) -> None:
    got = parse("number", pl.Series("amount", ["12", text, None]))
    assert got.values.to_list() == [12.0, None, None]
    assert got.bad.to_list() == [False, True, False]
    assert got.message(text) == (
        f"'{text}' is beyond the largest value an import accepts (1,000,000,000,000); "
        "check the cell (a unit or formula error?)"
    )


def test_the_ceiling_itself_passes_and_callers_may_state_another() -> None:
    assert MAX_NUMBER == 1e12
    at = parse("number", pl.Series(["1,000,000,000,000", "-1e12"]))
    assert at.values.to_list() == [1e12, -1e12]
    assert not at.bad.any()
    low = parse("int", pl.Series(["500", "501"]), ceiling=500)
    assert low.values.to_list() == [500, None]
    assert low.message("501").startswith(
        "'501' is beyond the largest value an import accepts (500)"
    )


def test_inf_and_nan_are_still_not_numbers() -> None:
    got = parse("number", pl.Series(["inf", "nan"]))
    assert got.bad.to_list() == [True, True]
    assert got.message("inf").startswith("not a number: 'inf'")


def test_import_refuses_1e308_with_file_row_and_column(store: Path, tmp_path: Path) -> None:
    before = snapshot(store)
    deals = write(
        tmp_path / "deals.csv",
        "deal_id,contact_id,created_at,won,amount\n"
        "D7,c1,2024-03-01,true,1200\n"
        "D8,c2,2024-03-02,true,1e308\n",
    )
    result = run_import(store, "deals", deals)
    assert result.exit_code == 1
    assert (
        "deals.csv, row 3, column 'amount': '1e308' is beyond the largest value an import "
        "accepts (1,000,000,000,000); check the cell (a unit or formula error?)"
    ) in result.stderr
    assert "Traceback" not in result.output
    assert_same(before, snapshot(store))  # nothing of the file was loaded


def test_a_named_format_refuses_it_too(store: Path, tmp_path: Path) -> None:
    real = (FIRM / "hubspot-crm-exports-all-deals-2026-10-01.csv").read_text(encoding="utf-8")
    header, first, *rest = real.splitlines()
    amount = header.split(",").index("Amount")
    cells = first.split(",")
    cells[amount] = "1e308"
    path = write(
        tmp_path / "hubspot-crm-exports-all-deals.csv", "\n".join([header, ",".join(cells), *rest])
    )
    result = run_import(store, path)
    assert result.exit_code == 1
    assert "row 2" in result.stderr
    assert "'1e308' is beyond the largest value an import accepts" in result.stderr
