"""`socialroi import TABLE FILE`: load a CSV or Excel file into one canonical table."""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import TYPE_CHECKING

import click

from socialroi import schema
from socialroi.cli._options import config_option, format_option, store_option
from socialroi.cli._progress import Bar, progress, quiet_option

if TYPE_CHECKING:
    from socialroi.adapters.files import ImportResult

_DELIMITERS = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}


def _mapping(values: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values:
        source, sep, target = value.rpartition("=")
        if not sep or not source.strip() or not target.strip():
            raise click.BadParameter(f"'{value}' is not SOURCE=TARGET", param_hint="--map")
        out[source.strip()] = target.strip()
    return out


def _delimiter(value: str | None) -> str | None:
    if value is None:
        return None
    delim = _DELIMITERS.get(value.lower(), value)
    if len(delim) != 1 or delim in '"\r\n':
        raise click.BadParameter(
            f"'{value}' is not one character (or 'tab')", param_hint="--delimiter"
        )
    return delim


def _encoding(value: str) -> str:
    try:
        codecs.lookup(value)
    except LookupError:
        raise click.BadParameter(f"unknown encoding '{value}'", param_hint="--encoding") from None
    return value


_HELP = f"""Import FILE (CSV or XLSX) into TABLE: all rows or none.

Rows are upserted by the table's key, so importing the same file twice changes nothing.
HubSpot and Salesforce export headers are recognised; --map names the others. Prints one line
saying what was read and written (--format table, csv or json: the same counts as one row).

\b
Tables: {", ".join(schema.TABLES)}."""


@click.command("import", help=_HELP)
@click.argument("table")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar="SOURCE=TARGET",
    help="Read the file's column SOURCE into the table's column TARGET (repeatable).",
)
@click.option(
    "--sheet", default=None, metavar="NAME", help="Excel sheet to read [default: the first]."
)
@click.option(
    "--delimiter",
    default=None,
    metavar="CHAR",
    help="CSV delimiter: one character, or tab, comma, semicolon, pipe [default: , and tab for "
    ".tsv files].",
)
@click.option(
    "--encoding",
    default="utf-8",
    show_default=True,
    metavar="NAME",
    help="CSV text encoding (e.g. cp1252 for files saved by Excel on Windows, utf-16).",
)
@quiet_option
@format_option("text", "table", "csv", "json", default="text")
@store_option
@config_option
def command(
    *,
    table: str,
    file: Path,
    maps: tuple[str, ...],
    sheet: str | None,
    delimiter: str | None,
    encoding: str,
    quiet: bool,
    fmt: str,
    store_path: Path | None,
    config_path: Path | None,
) -> None:
    from socialroi.adapters.files import import_file
    from socialroi.config import load as load_config
    from socialroi.errors import DataError
    from socialroi.store import Store, default_path

    mapping = _mapping(maps)
    delim = _delimiter(delimiter)
    _encoding(encoding)
    schema.table(table)
    if not file.exists():
        raise DataError("no such file", file=str(file))
    path = store_path or load_config(config_path).store or default_path()
    with Store.open(path) as store, progress(f"import {table}", quiet=quiet) as bar:
        bar.update(0, label=f"import {table}: reading {file.name}")
        res = import_file(
            store,
            table,
            file,
            mapping=mapping,
            sheet=sheet,
            delimiter=delim,
            encoding=encoding,
            progress=_ImportProgress(bar, table) if bar.enabled else None,
        )
    if fmt != "text":
        _emit_result(res, path, fmt)
        return
    same = "; the store already held the rest" if res.rows_written < res.rows_read else ""
    click.echo(
        f"{res.table}: {res.rows_read} rows read from {res.file}, {res.rows_written} written "
        f"({res.rows_new} new, {res.rows_updated} updated){same}; store {path}"
    )


_STAGES = {"read": "read", "parse": "parsing", "check": "checking keys", "write": "writing"}
_UNITS = {"read": "rows", "parse": "columns", "check": "rows", "write": "rows"}


class _ImportProgress:
    """import_file's progress(stage, done, total) on one bar: a stage a label."""

    def __init__(self, bar: Bar, table: str) -> None:
        self.bar = bar
        self.table = table

    def __call__(self, stage: str, done: int, total: int) -> None:
        label = f"import {self.table}: {_STAGES.get(stage, stage)}"
        self.bar.update(done, total=total, label=label, unit=_UNITS.get(stage, ""))


def _emit_result(res: ImportResult, store: Path, fmt: str) -> None:
    import dataclasses

    import polars as pl

    from socialroi.cli._output import emit

    row = {**dataclasses.asdict(res), "store": str(store)}
    emit(pl.DataFrame([row]), fmt)
