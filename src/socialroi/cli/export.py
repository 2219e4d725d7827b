"""`socialroi export`: the KPI tables as CSV or Parquet files, one per table, or one XLSX book."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, cast

import click

from socialroi.cli._analysis import (
    as_of_line,
    as_of_option,
    ensure_redaction_salt,
    model_option,
    period_option,
    redact_option,
    settings_for,
    store_path_for,
)
from socialroi.cli._options import config_option, store_option

if TYPE_CHECKING:
    from socialroi.reports.export import ExportFormat

DEFAULT_DIR = Path("reports/export")


@click.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "parquet", "xlsx"]),
    default="csv",
    show_default=True,
    help="File format (xlsx: one workbook, a formatted sheet per table).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_DIR,
    show_default=True,
    help="Folder to write the files to.",
)
@period_option
@as_of_option
@redact_option
@model_option
@store_option
@config_option
def command(  # noqa: PLR0917 - click passes every option
    fmt: str,
    out: Path,
    period: str | None,
    as_of: date | None,
    redact: bool,
    model: str | None,
    store_path: Path | None,
    config_path: Path | None,
) -> None:
    """Write summary, attribution (per channel and model), roi_platform, roi_employee, monthly
    and deals_traced (paths as text), and the referral and influence tables. In CSV and XLSX,
    text cells that a spreadsheet would run as a formula are prefixed with a quote. --period and
    --redact work as for `socialroi report`.

    The summary holds both headline figures: social_credited (the model's share of won-deal
    value credited to social touches) and social_sourced (won deals of contacts whose first
    touch was social). Prints each path written, one per line (plain text: --format here is the
    files' format), and the date the numbers stand at on stderr."""
    from socialroi.analysis import analyze
    from socialroi.reports.export import write_exports
    from socialroi.store import Store

    settings = settings_for(config_path, model)
    path_in = store_path_for(store_path, settings)
    if redact:
        ensure_redaction_salt(path_in)
    with Store.open(path_in, read_only=True) as store:
        analysis = analyze(store, settings=settings, period=period, redact=redact, as_of=as_of)
    click.echo(as_of_line(analysis.as_of, analysis.as_of_source), err=True)
    for path in write_exports(analysis, out, cast("ExportFormat", fmt)):
        click.echo(str(path))
