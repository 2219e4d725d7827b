"""`socialroi run-monthly`: pull → report → export for the previous month, for cron."""

from __future__ import annotations

from pathlib import Path

import click

from socialroi.cli._analysis import settings_for, store_path_for
from socialroi.cli._options import config_option, store_option

DEFAULT_OUT = Path("reports/monthly")


@click.command("run-monthly")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_OUT,
    show_default=True,
    help="Folder for the runs: each month's report and exports go to OUT/YYYY-MM/.",
)
@click.option(
    "--month",
    default=None,
    metavar="YYYY-MM",
    help="Month to report [default: the month before today (UTC)].",
)
@click.option("--no-pull", is_flag=True, help="Skip the pull; report on what the store holds.")
@click.option(
    "--platform",
    "platforms",
    multiple=True,
    metavar="NAME",
    help="Pull only this platform (repeatable) [default: every configured platform].",
)
@click.option(
    "--export-format",
    "formats",
    type=click.Choice(["csv", "parquet", "xlsx"]),
    multiple=True,
    default=("csv", "xlsx"),
    show_default=True,
    help="Export format (repeatable).",
)
@click.option(
    "--log-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Log file to append to [default: OUT/run-monthly.log].",
)
@click.option(
    "--quiet", "-q", is_flag=True, help="Print nothing on success (errors still go to stderr)."
)
@store_option
@config_option
def command(  # noqa: PLR0917 - click passes every option
    out: Path,
    month: str | None,
    no_pull: bool,
    platforms: tuple[str, ...],
    formats: tuple[str, ...],
    log_file: Path | None,
    quiet: bool,
    store_path: Path | None,
    config_path: Path | None,
) -> None:
    """Pull every configured platform, then write the previous month's report and exports.

    Made for cron: no prompts; a lock beside the store so two runs never overlap (the second
    exits 1 at once); re-running replaces the month's files instead of adding to them; each
    step is logged to OUT/run-monthly.log. When the pull fails the report is still written from
    the stored data and the command exits 3 (pull failed) or 4 (pull partly failed).

    Example crontab line (06:00 UTC on the 1st):

    0 6 1 * * cd /srv/socialroi && .venv/bin/socialroi run-monthly --quiet
    """
    from typing import cast

    from socialroi import clock
    from socialroi.core.period import check_syntax
    from socialroi.monthly import run_monthly
    from socialroi.reports.export import ExportFormat

    if month is not None:
        try:
            check_syntax(month)
        except Exception as exc:
            raise click.BadParameter(str(exc), param_hint="'--month'") from None
        if len(month) != 7:
            raise click.BadParameter("give a month as YYYY-MM", param_hint="'--month'")
    settings = settings_for(config_path, None)
    result = run_monthly(
        settings,
        store_path=store_path_for(store_path, settings),
        out=out,
        as_of=clock.now(),
        pull=not no_pull,
        platforms=platforms or None,
        formats=[cast(ExportFormat, f) for f in formats],
        log_file=log_file,
        month=month,
    )
    if result.pull_error is not None:
        click.secho(f"error: pull: {result.pull_error}", fg="red", err=True)
    if not quiet:
        if result.pull_skipped:
            click.echo(f"pull skipped: {result.pull_skipped}", err=True)
        else:
            click.echo(f"pulled {result.pulled_rows} rows", err=True)
        click.echo(str(result.report))
        for path in result.exports:
            click.echo(str(path))
    if result.exit_code:
        raise SystemExit(result.exit_code)
