"""`socialroi report`: write the self-contained HTML report."""

from __future__ import annotations

from pathlib import Path

import click

from socialroi.cli._analysis import model_option, settings_for, store_path_for
from socialroi.cli._options import config_option, store_option

DEFAULT_OUT = Path("reports/socialroi-report.html")


@click.command("report")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=DEFAULT_OUT,
    show_default=True,
    help="Report file (a folder gets socialroi-report.html inside it).",
)
@store_option
@config_option
@model_option
def command(
    out: Path, store_path: Path | None, config_path: Path | None, model: str | None
) -> None:
    """Write one HTML file with the ROI of social media: summary, the deals social contacts
    brought in, models side by side, platforms, employees, the monthly trend and data quality.

    The file is self-contained and opens offline. Prints the path written.
    """
    from socialroi.reports import write_report
    from socialroi.store import Store

    settings = settings_for(config_path, model)
    with Store.open(store_path_for(store_path, settings), read_only=True) as store:
        path = write_report(store, out, settings=settings)
    size = path.stat().st_size / 1e6
    click.echo(f"wrote {path} ({size:.1f} MB)", err=True)
    click.echo(str(path))
