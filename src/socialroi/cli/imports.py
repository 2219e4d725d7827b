"""`socialroi imports`: list the import batches; `socialroi imports undo ID` takes one back."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from socialroi.cli._options import config_option, format_option, store_option

if TYPE_CHECKING:
    from socialroi.adapters.batches import BatchResult

#: Characters of a batch id shown in the table (`undo` accepts any unique prefix of 6 or more).
SHORT = 12


def _store_path(ctx: click.Context, store_path: Path | None, config_path: Path | None) -> Path:
    """--store (or $SOCIALROI_STORE), here or on `imports`, else the config's, else the default."""
    from socialroi.config import load as load_config
    from socialroi.store import default_path

    parent = ctx.parent.params if ctx.parent is not None else {}
    store_path = store_path or parent.get("store_path")
    config_path = config_path or parent.get("config_path")
    return store_path or load_config(config_path).store or default_path()


@click.group("imports", invoke_without_command=True)
@format_option("table", "csv", "json", default="table")
@store_option
@config_option
@click.pass_context
def command(
    ctx: click.Context, fmt: str, store_path: Path | None, config_path: Path | None
) -> None:
    """List the import batches, newest first: id, when (UTC), what was imported, rows written
    and status (ok, error, or undone). Every `socialroi import` is one batch; `socialroi imports
    undo ID` takes one back. The table shows the first 12 characters of each id, csv and json the
    whole id."""
    if ctx.invoked_subcommand is not None:
        return
    import polars as pl

    from socialroi.adapters.batches import batches
    from socialroi.cli._output import emit
    from socialroi.store import Store

    with Store.open(_store_path(ctx, store_path, config_path), read_only=True) as store:
        df = batches(store)
    listed = df.select(
        pl.col("batch_id").alias("id"),
        pl.col("started_at").alias("when"),
        pl.col("target").alias("what"),
        "rows",
        "status",
    )
    if fmt == "table":
        if listed.height == 0:
            click.echo("no imports yet", err=True)
        listed = listed.with_columns(
            pl.col("id").str.slice(0, SHORT),
            pl.col("when").dt.strftime("%Y-%m-%d %H:%M:%S"),
        )
    emit(listed, fmt)


@command.command("undo")
@click.argument("batch_id", metavar="ID")
@format_option("text", "table", "csv", "json", default="text")
@store_option
@config_option
@click.pass_context
def undo_command(
    ctx: click.Context, batch_id: str, fmt: str, store_path: Path | None, config_path: Path | None
) -> None:
    """Undo import ID (its id, or a unique prefix of 6 or more characters, from `socialroi
    imports`): delete the rows it added and restore the rows it updated to what they were, all or
    nothing. Refused, changing nothing, when the batch is unknown or already undone, or when a
    later import or pull changed one of its rows since (undo the later import first). Prints what
    it restored per table."""
    from socialroi.adapters.batches import undo
    from socialroi.store import Store

    with Store.open(_store_path(ctx, store_path, config_path)) as store:
        res = undo(store, batch_id)
    if fmt != "text":
        _emit(res, fmt)
        return
    if not res.tables:
        click.echo(f"undid import {res.batch_id[:SHORT]}: it had changed nothing")
        return
    click.echo(f"undid import {res.batch_id[:SHORT]}:")
    for t in res.tables:
        click.echo(
            f"  {t.table}: {_rows(t.rows_updated)} restored, {_rows(t.rows_removed)} removed"
        )


def _rows(n: int) -> str:
    return f"{n} row" if n == 1 else f"{n} rows"


def _emit(res: BatchResult, fmt: str) -> None:
    import polars as pl

    from socialroi.cli._output import emit

    rows = [
        {
            "batch_id": res.batch_id,
            "table": t.table,
            "restored": t.rows_updated,
            "removed": t.rows_removed,
        }
        for t in res.tables
    ]
    schema = {"batch_id": pl.String, "table": pl.String, "restored": pl.Int64, "removed": pl.Int64}
    emit(pl.DataFrame(rows, schema=schema), fmt)
