"""`socialroi report`: write the self-contained HTML report."""

from __future__ import annotations

from datetime import date
from pathlib import Path

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

DEFAULT_OUT = Path("reports/socialroi-report.html")


@click.command("report")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=DEFAULT_OUT,
    show_default=True,
    help="Report file (a folder gets socialroi-report.html inside it).",
)
@click.option(
    "--pdf",
    is_flag=True,
    help="Also print the report to a PDF beside the HTML file, with Chromium (exit 1 and how "
    "to install it when there is none; the HTML is written either way).",
)
@period_option
@as_of_option
@redact_option
@store_option
@config_option
@model_option
def command(  # noqa: PLR0917 (click passes every option)
    out: Path,
    pdf: bool,
    period: str | None,
    as_of: date | None,
    redact: bool,
    store_path: Path | None,
    config_path: Path | None,
    model: str | None,
) -> None:
    """Write one HTML file with the ROI of social media: summary and recommendation, the deals
    social contacts brought in, models side by side, platforms, posts, employees, campaigns, the
    funnel, the monthly trend, policy comparison, referral chains, data quality and method.

    The file is self-contained and opens offline. Prints the path written on stdout (plain text,
    no --format), and the date the numbers stand at and the file's size on stderr. With --pdf,
    headless Chromium prints it to a PDF of the same name (A4 or Letter, the browser's default
    for your locale); its path follows on stdout.
    """
    from socialroi.analysis import analyze_read, read_for_analysis
    from socialroi.policy_file import load_policies
    from socialroi.reports import write_report
    from socialroi.store import Store

    settings = settings_for(config_path, model)
    options = load_policies(None, settings)  # the config's [policy] file, else the defaults
    path_in = store_path_for(store_path, settings)
    if redact:
        ensure_redaction_salt(path_in)
    with Store.open(path_in, read_only=True) as store:
        read = read_for_analysis(store, settings=settings, as_of=as_of, redact=redact)
    # The store is closed: DuckDB's memory is freed before the figures are computed.
    analysis = analyze_read(read, settings=settings, period=period)
    del read
    path = write_report(analysis, out, options=options)
    size = path.stat().st_size / 1e6
    click.echo(as_of_line(analysis.as_of, analysis.as_of_source), err=True)
    click.echo(f"wrote {path} ({size:.1f} MB)", err=True)
    click.echo(str(path))
    if pdf:
        from socialroi.reports.pdf import write_pdf

        printed = write_pdf(path)  # ChromiumMissing (exit 1) says how to get Chromium
        click.echo(f"wrote {printed} ({printed.stat().st_size / 1e6:.1f} MB)", err=True)
        click.echo(str(printed))
