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
@period_option
@as_of_option
@redact_option
@store_option
@config_option
@model_option
def command(  # noqa: PLR0917 (click passes every option)
    out: Path,
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
    no --format), and the date the numbers stand at and the file's size on stderr.
    """
    from socialroi.analysis import analyze
    from socialroi.policy_file import load_policies
    from socialroi.reports import write_report
    from socialroi.store import Store

    settings = settings_for(config_path, model)
    options = load_policies(None, settings)  # the config's [policy] file, else the defaults
    path_in = store_path_for(store_path, settings)
    if redact:
        ensure_redaction_salt(path_in)
    with Store.open(path_in, read_only=True) as store:
        analysis = analyze(store, settings=settings, period=period, redact=redact, as_of=as_of)
    path = write_report(analysis, out, options=options)
    size = path.stat().st_size / 1e6
    click.echo(as_of_line(analysis.as_of, analysis.as_of_source), err=True)
    click.echo(f"wrote {path} ({size:.1f} MB)", err=True)
    click.echo(str(path))
