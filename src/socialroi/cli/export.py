"""`socialroi export`: the KPI tables as CSV or Parquet files, one per table."""

from __future__ import annotations

from pathlib import Path

import click

from socialroi.cli._analysis import model_option, settings_for, store_path_for
from socialroi.cli._options import config_option, store_option

DEFAULT_DIR = Path("reports/export")


@click.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "parquet"]),
    default="csv",
    show_default=True,
    help="File format.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_DIR,
    show_default=True,
    help="Folder to write the files to.",
)
@model_option
@store_option
@config_option
def command(
    fmt: str, out: Path, model: str | None, store_path: Path | None, config_path: Path | None
) -> None:
    """Write summary, attribution (per channel and model), roi_platform, roi_employee, monthly
    and deals_traced (paths as text). In CSV, cells that a spreadsheet would run as a formula are
    prefixed with a quote. Prints each path written."""
    from socialroi.analysis import analyze
    from socialroi.reports.export import write_exports
    from socialroi.store import Store

    settings = settings_for(config_path, model)
    with Store.open(store_path_for(store_path, settings), read_only=True) as store:
        analysis = analyze(store, settings=settings)
    for path in write_exports(analysis, out, "csv" if fmt == "csv" else "parquet"):
        click.echo(str(path))
