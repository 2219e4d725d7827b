"""`socialroi import FILE...`: the platforms' own export files, or any table, into the store."""

from __future__ import annotations

import codecs
import contextlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from socialroi import schema
from socialroi.cli._options import (
    config_option,
    format_option,
    parse_delimiter,
    parse_pairs,
    store_option,
)
from socialroi.cli._progress import Bar, progress, quiet_option

if TYPE_CHECKING:
    from socialroi.adapters.importer import ImportResult
    from socialroi.store import Store


def _encoding(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        codecs.lookup(value)
    except LookupError:
        raise click.BadParameter(f"unknown encoding '{value}'", param_hint="--encoding") from None
    return value


def _split_args(args: Sequence[str]) -> tuple[str | None, list[Path]]:
    """`TABLE FILE...` or `FILE...`: a first argument naming a table (and no such file) is one."""
    if not args:
        raise click.UsageError("name at least one FILE (or use --list-formats)")
    table: str | None = None
    first = args[0]
    if len(args) > 1 and not Path(first).exists() and not any(c in first for c in "./\\"):
        schema.table(first)  # a word that is no file: a table name, or an error listing them
        table, args = first, args[1:]
    elif first in schema.TABLES and not Path(first).exists():
        table, args = first, args[1:]
        if not args:
            raise click.UsageError(f"name the FILE to import into table '{table}'")
    files = [Path(a) for a in args]
    for f in files:
        if f.is_dir():
            raise click.UsageError(f"'{f}' is a directory; name the files in it")
    return table, files


_HELP = f"""Import the export files your platforms and CRM give you, or any table: [TABLE] FILE...

\b
  socialroi import FILE...            each file recognised by itself (see --list-formats)
  socialroi import --as FORMAT FILE   read FILE as FORMAT
  socialroi import TABLE FILE...      a plain CSV/XLSX of one canonical table

Each file is one batch: all its rows or none, undoable with `socialroi imports undo ID`.
Rows are merged by the table's key: importing the same file twice changes nothing, and a column
the file lacks keeps the value the store holds. Title lines, # comments, blank lines and report
footers around the table are skipped. --dry-run shows what would happen and writes nothing.

\b
Tables: {", ".join(schema.TABLES)}."""


@click.command("import", help=_HELP)
@click.argument("args", nargs=-1, metavar="[TABLE] FILE...")
@click.option(
    "--as",
    "as_format",
    default=None,
    metavar="FORMAT",
    help="Read every FILE as this export format instead of recognising it (see --list-formats).",
)
@click.option("--list-formats", is_flag=True, help="List the export formats recognised, and stop.")
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar="SOURCE=TARGET",
    help="Table import: read the file's column SOURCE into the table's column TARGET (repeatable).",
)
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="COLUMN=VALUE",
    help="Give COLUMN this value in every row, e.g. --set platform=linkedin or --set "
    "account_id=urn:li:organization:123 (repeatable).",
)
@click.option(
    "--dates",
    type=click.Choice(["dmy", "mdy", "ymd"]),
    default=None,
    help="Order of day and month in dates such as 03/09/2026 [default: read from each column's "
    "unambiguous dates; refused when none decides].",
)
@click.option("--dry-run", is_flag=True, help="Show what would be imported; write nothing.")
@click.option(
    "--sheet", default=None, metavar="NAME", help="Excel sheet to read [default: the first]."
)
@click.option(
    "--delimiter",
    default=None,
    metavar="CHAR",
    help="CSV delimiter: one character, or tab, comma, semicolon, pipe [default: sniffed].",
)
@click.option(
    "--encoding",
    default=None,
    metavar="NAME",
    help="CSV text encoding, e.g. cp1252 for files saved by Excel on Windows [default: from the "
    "byte-order mark, else UTF-8].",
)
@quiet_option
@format_option("text", "table", "csv", "json", default="text")
@store_option
@config_option
def command(
    *,
    args: tuple[str, ...],
    as_format: str | None,
    list_formats: bool,
    maps: tuple[str, ...],
    sets: tuple[str, ...],
    dates: str | None,
    dry_run: bool,
    sheet: str | None,
    delimiter: str | None,
    encoding: str | None,
    quiet: bool,
    fmt: str,
    store_path: Path | None,
    config_path: Path | None,
) -> None:
    from socialroi.adapters.formats import ReadOptions, get
    from socialroi.adapters.importer import load_export, load_order, read_export
    from socialroi.config import load as load_config
    from socialroi.errors import DataError
    from socialroi.store import Store, default_path

    if list_formats:
        _list_formats(fmt)
        return
    table, files = _split_args(args)
    if table is not None and as_format is not None:
        raise click.UsageError("name a TABLE or --as FORMAT, not both")
    if maps and table is None:
        raise click.UsageError("--map applies to a table import: socialroi import TABLE FILE")
    mapping = parse_pairs(maps, "--map", "SOURCE=TARGET")
    constants = parse_pairs(sets, "--set", "COLUMN=VALUE")
    delim = parse_delimiter(delimiter)
    enc = _encoding(encoding)
    if as_format is not None:
        get(as_format)
    for f in files:
        if not f.exists():
            raise DataError("no such file", file=str(f))
    settings = load_config(config_path)
    options = ReadOptions(
        dates=dates,  # type: ignore[arg-type]  # click.Choice keeps it to the three
        sets=constants,
        currency=settings.currency,
        sheet=sheet,
    )
    path = store_path or settings.store or default_path()
    results: list[ImportResult] = []
    with Store.open(path) as store, progress("import", quiet=quiet) as bar:
        reads = []
        for f in files:  # every file is read and checked before any is loaded
            bar.update(0, label=f"import: reading {f.name}")
            target = f"{table or as_format or 'import'} {f}"
            with _logged_failure(store, target, dry_run):
                reads.append(
                    read_export(
                        f,
                        table=table,
                        fmt=as_format,
                        mapping=mapping,
                        options=options,
                        delimiter=delim,
                        encoding=enc,
                    )
                )
        for i in load_order(reads):
            bar.update(0, label=f"import: loading {files[i].name}")
            results.append(
                load_export(
                    store,
                    reads[i],
                    files[i],
                    dry_run=dry_run,
                    progress=_ImportProgress(bar, files[i].name) if bar.enabled else None,
                )
            )
    if fmt != "text":
        _emit_results(results, path, fmt)
        return
    for res in results:
        _echo_result(res, path, quiet=quiet)


@contextmanager
def _logged_failure(store: Store, target: str, dry_run: bool) -> Iterator[None]:
    """A file that cannot be read is a failed import in the run log (a dry run logs nothing)."""
    from socialroi.errors import SocialROIError

    try:
        yield
    except SocialROIError as exc:
        if not dry_run:
            with contextlib.suppress(SocialROIError), store.run("import", target):
                raise exc from None
        raise


def _echo_result(res: ImportResult, store: Path, *, quiet: bool) -> None:
    if res.format.startswith("table:") and len(res.tables) == 1 and not res.dry_run:
        same = "; the store already held the rest" if res.rows_written < res.rows_read else ""
        click.echo(
            f"{res.table}: {res.rows_read} rows read from {res.file}, {res.rows_written} written "
            f"({res.rows_new} new, {res.rows_updated} updated){same}; store {store}"
        )
    else:
        verb = "would be" if res.dry_run else "were"
        click.echo(f"{res.file}: {res.title} ({res.format})")
        for t in res.tables:
            click.echo(
                f"  {t.table}: {t.rows_read} rows read; {t.rows_new} {verb} new, "
                f"{t.rows_updated} updated, {t.rows_unchanged} unchanged"
            )
    for note in () if quiet else res.notes:
        click.echo(f"  note: {note}", err=True)
    for warning in res.warnings:
        click.secho(f"  warning: {warning}", fg="yellow", err=True)
    if res.dry_run:
        _echo_dry_run(res)
    elif res.batch_id:
        click.echo(
            f"  batch {res.batch_id[:12]} (undo: socialroi imports undo {res.batch_id[:12]})"
        )


def _echo_dry_run(res: ImportResult) -> None:
    import polars as pl

    from socialroi.adapters.importer import PREVIEW_ROWS

    click.echo("  columns:")
    for header, target in res.mapping.items():
        click.echo(f"    {header} -> {target}")
    if res.ignored:
        click.echo(f"  not imported: {', '.join(res.ignored)}")
    for name, df in res.preview.items():
        click.echo(f"  first rows of {name}:")
        with pl.Config(
            tbl_rows=PREVIEW_ROWS, tbl_cols=-1, fmt_str_lengths=24, tbl_hide_dataframe_shape=True
        ):
            shown = str(df) if df.height else "(none)"
        for line in shown.splitlines():
            click.echo(f"    {line}")
    click.echo("  dry run: nothing was written")


def _list_formats(fmt: str) -> None:
    import polars as pl

    from socialroi.adapters.formats import formats
    from socialroi.cli._output import emit

    rows = [
        {"format": f.name, "what": f.title, "fills": ", ".join(f.fills)} for f in formats().values()
    ]
    emit(pl.DataFrame(rows), "table" if fmt == "text" else fmt)


class _ImportProgress:
    """import_export's progress(stage, done, total) on one bar: a stage a label."""

    def __init__(self, bar: Bar, name: str) -> None:
        self.bar = bar
        self.name = name

    def __call__(self, stage: str, done: int, total: int) -> None:
        label = f"import {self.name}: {'reading' if stage == 'read' else 'writing'}"
        self.bar.update(done, total=total, label=label, unit="rows" if stage == "write" else "")


def _emit_results(results: Sequence[ImportResult], store: Path, fmt: str) -> None:
    import polars as pl

    from socialroi.cli._output import emit

    rows = [
        {
            "file": r.file,
            "format": r.format,
            "table": t.table,
            "rows_read": t.rows_read,
            "rows_new": t.rows_new,
            "rows_updated": t.rows_updated,
            "rows_unchanged": t.rows_unchanged,
            "rows_written": t.rows_new + t.rows_updated,
            "batch_id": r.batch_id,
            "dry_run": r.dry_run,
            "store": str(store),
        }
        for r in results
        for t in r.tables
    ]
    emit(pl.DataFrame(rows), fmt)
