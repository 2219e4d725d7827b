"""The KPI tables as one XLSX workbook: one formatted sheet per table.

Each sheet has a bold, shaded header row that stays in view (frozen), columns sized to their
content, and number formats by column: money in the report's currency, percentages for ratios,
dates and date-times as such. Text goes through `neutralise` first and is written with
``write_string``, so a cell that starts with ``= + - @`` is stored as text with a leading quote and
no spreadsheet runs it; the workbook never holds a formula.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import xlsxwriter

from socialroi.reports._format import currency_symbol
from socialroi.reports.export import neutralise

#: Columns shown as money (exact names, or names ending in one of these).
MONEY_NAMES = ("revenue", "cost", "pipeline", "value", "amount", "value_credit", "staff_cost")
MONEY_SUFFIXES = ("_revenue", "_value", "_cost", "_pipeline", "cost_per_lead", "cost_per_deal")
#: Columns shown as percentages.
PERCENT_NAMES = ("roi", "match_rate", "share", "giver_share", "rate")
MAX_WIDTH = 60
SHEET_NAME_CHARS = 31


def _is_money(name: str) -> bool:
    return name in MONEY_NAMES or name.endswith(MONEY_SUFFIXES)


def _is_percent(name: str) -> bool:
    return name in PERCENT_NAMES or name.endswith(("_rate", "_share"))


def money_format(currency: str) -> str:
    """An Excel number format for whole amounts in `currency`: ``"$"#,##0`` or ``#,##0 "CHF"``."""
    symbol = currency_symbol(currency)
    if symbol:
        return f'"{symbol}"#,##0;-"{symbol}"#,##0'
    return f'#,##0 "{currency}";-#,##0 "{currency}"'


def _flat(df: pl.DataFrame) -> pl.DataFrame:
    """Lists and structs as text; tz-aware times as naive UTC (what XLSX can hold)."""
    cols = []
    for name, dtype in df.schema.items():
        col = pl.col(name)
        if isinstance(dtype, pl.List):
            cols.append(col.cast(pl.List(pl.String)).list.join(", ").alias(name))
        elif isinstance(dtype, pl.Struct | pl.Array | pl.Object):
            cols.append(col.map_elements(str, return_dtype=pl.String).alias(name))
        elif isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
            cols.append(col.dt.convert_time_zone("UTC").dt.replace_time_zone(None).alias(name))
        elif isinstance(dtype, pl.Categorical | pl.Enum):
            cols.append(col.cast(pl.String).alias(name))
    return df.with_columns(cols) if cols else df


def _width(name: str, values: list[Any]) -> float:
    longest = max([len(name), *(len(str(v)) for v in values[:500] if v is not None)])
    return float(min(MAX_WIDTH, longest + 2))


def write_xlsx(tables: Mapping[str, pl.DataFrame], out: Path, *, currency: str) -> None:
    """Write `tables` to `out`, one sheet per table (sheet name = table name, cut to 31 chars)."""
    options = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    with xlsxwriter.Workbook(str(out), options) as book:
        header = book.add_format({"bold": True, "bg_color": "#E5E7EB", "bottom": 1})
        fmt = {
            "money": book.add_format({"num_format": money_format(currency)}),
            "percent": book.add_format({"num_format": "0.0%"}),
            "date": book.add_format({"num_format": "yyyy-mm-dd"}),
            "datetime": book.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
            "number": book.add_format({"num_format": "#,##0.##"}),
            "int": book.add_format({"num_format": "#,##0"}),
        }
        for name, raw in tables.items():
            df = _flat(neutralise(raw))
            sheet = book.add_worksheet(name[:SHEET_NAME_CHARS])
            sheet.freeze_panes(1, 0)
            for j, (col, dtype) in enumerate(df.schema.items()):
                values = df[col].to_list()
                sheet.write_string(0, j, col, header)
                cell = _column_format(col, dtype, fmt)
                sheet.set_column(j, j, _width(col, values) if cell is None else 14.0, cell)
                for i, v in enumerate(values, start=1):
                    _write(sheet, i, j, v, cell)
            if df.width:
                sheet.autofilter(0, 0, max(df.height, 1), df.width - 1)


def _column_format(col: str, dtype: pl.DataType, fmt: Mapping[str, Any]) -> Any:
    if isinstance(dtype, pl.Datetime):
        return fmt["datetime"]
    if isinstance(dtype, pl.Date):
        return fmt["date"]
    if dtype.is_numeric():
        if _is_percent(col):
            return fmt["percent"]
        if _is_money(col):
            return fmt["money"]
        return fmt["int"] if dtype.is_integer() else fmt["number"]
    return None


def _write(sheet: Any, i: int, j: int, v: object, cell: Any) -> None:
    if v is None:
        sheet.write_blank(i, j, None, cell)
    elif isinstance(v, bool):
        sheet.write_boolean(i, j, v)
    elif isinstance(v, int | float):
        if isinstance(v, float) and not math.isfinite(v):  # NaN and ±inf have no XLSX value
            sheet.write_blank(i, j, None, cell)
        else:
            sheet.write_number(i, j, v, cell)
    elif isinstance(v, datetime | date):
        sheet.write_datetime(i, j, v, cell)
    else:
        sheet.write_string(i, j, str(v))
