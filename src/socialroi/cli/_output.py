"""Writing data to stdout: one function for every command that prints a table."""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from typing import Any

import click
import polars as pl


def _jsonable(v: Any) -> Any:
    if isinstance(v, datetime | date):
        return v.isoformat()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def json_rows(df: pl.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready objects: dates as ISO text, NaN and infinity as null."""
    return [{k: _jsonable(v) for k, v in r.items()} for r in df.iter_rows(named=True)]


def emit(df: pl.DataFrame, fmt: str) -> None:
    """Print `df` as an aligned table, CSV or a JSON array of objects."""
    if fmt == "csv":
        click.echo(df.write_csv(), nl=False)
    elif fmt == "json":
        click.echo(json.dumps(json_rows(df), indent=2))
    else:
        click.echo(render_table(df))


def render_table(df: pl.DataFrame) -> str:
    """A plain aligned text table; floats with two decimals."""

    def cell(v: Any) -> str:
        if v is None:
            return ""
        if isinstance(v, float):
            return f"{v:,.2f}"
        return str(v)

    header = df.columns
    body = [[cell(v) for v in row] for row in df.iter_rows()]
    widths = [max([len(h)] + [len(r[i]) for r in body]) for i, h in enumerate(header)]
    numeric = [df.schema[c].is_numeric() for c in header]

    def line(vals: list[str]) -> str:
        return "  ".join(
            v.rjust(w) if n else v.ljust(w) for v, w, n in zip(vals, widths, numeric, strict=True)
        ).rstrip()

    out = [line(header), line(["-" * w for w in widths])]
    out.extend(line(r) for r in body)
    return "\n".join(out)
