"""`socialroi report`: write the self-contained HTML report."""

from __future__ import annotations

from pathlib import Path

import click

from socialroi.cli._analysis import (
    ensure_redaction_salt,
    model_option,
    period_option,
    redact_option,
    settings_for,
    store_path_for,
)
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
@period_option
@redact_option
@store_option
@config_option
@model_option
def command(  # noqa: PLR0917 (click passes every option)
    out: Path,
    period: str | None,
    redact: bool,
    store_path: Path | None,
    config_path: Path | None,
    model: str | None,
) -> None:
    """Write one HTML file with the ROI of social media: summary and recommendation, the deals
    social contacts brought in, models side by side, platforms, posts, employees, campaigns, the
    funnel, the monthly trend, policy comparison, referral chains, data quality and method.

    The file is self-contained and opens offline. Prints the path written on stdout (plain text,
    no --format) and its size on stderr.
    """
    from socialroi.reports import write_report
    from socialroi.store import Store

    settings = settings_for(config_path, model)
    path_in = store_path_for(store_path, settings)
    if redact:
        ensure_redaction_salt(path_in)
    with Store.open(path_in, read_only=True) as store:
        path = write_report(store, out, settings=settings, period=period, redact=redact)
    size = path.stat().st_size / 1e6
    click.echo(f"wrote {path} ({size:.1f} MB)", err=True)
    click.echo(str(path))
