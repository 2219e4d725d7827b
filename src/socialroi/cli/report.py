"""`socialroi report`: write the self-contained HTML report."""

from __future__ import annotations

from pathlib import Path

import click

from socialroi.cli._analysis import model_option, settings_for, store_path_for
from socialroi.cli._options import config_option, store_option

DEFAULT_OUT = Path("reports/socialroi-report.html")


def _check_period(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A period in one of the accepted forms (its dates are checked against the data later)."""
    if value is None:
        return None
    from socialroi.core.period import check_syntax
    from socialroi.errors import ConfigError

    try:
        return check_syntax(value)
    except ConfigError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command("report")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=DEFAULT_OUT,
    show_default=True,
    help="Report file (a folder gets socialroi-report.html inside it).",
)
@click.option(
    "--period",
    default=None,
    metavar="PERIOD",
    callback=_check_period,
    help="Cover only this period: last-month, YYYY-MM, YYYYQN (2026Q3) or FROM..TO (dates or "
    "months, both inclusive) [default: all history].",
)
@click.option(
    "--redact",
    is_flag=True,
    help="Show contacts under stable pseudonyms instead of their names, emails and handles.",
)
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
    from socialroi.analysis import redaction_salt
    from socialroi.reports import write_report
    from socialroi.store import Store

    settings = settings_for(config_path, model)
    path_in = store_path_for(store_path, settings)
    if redact:
        with Store.open(path_in, read_only=True) as store:
            has_salt = store.get_meta("redact_salt") is not None
        if not has_salt:  # created once, then every run uses the same pseudonyms
            with Store.open(path_in) as store:
                redaction_salt(store)
    with Store.open(path_in, read_only=True) as store:
        path = write_report(store, out, settings=settings, period=period, redact=redact)
    size = path.stat().st_size / 1e6
    click.echo(f"wrote {path} ({size:.1f} MB)", err=True)
    click.echo(str(path))
