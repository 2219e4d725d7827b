"""`socialroi roi`: the ROI of social effort by platform, employee or month."""

from __future__ import annotations

from pathlib import Path

import click

from socialroi.cli._analysis import model_option, settings_for, store_path_for
from socialroi.cli._options import config_option, format_option, store_option
from socialroi.cli._output import emit


@click.command("roi")
@click.option(
    "--by",
    type=click.Choice(["platform", "employee", "month"]),
    default="platform",
    show_default=True,
    help="One row per platform, per employee (their own posts) or per month.",
)
@model_option
@format_option("table", "csv", "json", default="table")
@store_option
@config_option
def command(
    by: str, model: str | None, fmt: str, store_path: Path | None, config_path: Path | None
) -> None:
    """Print cost, attributed revenue and open pipeline, ROI = (revenue − cost) / cost, and cost
    per lead and per deal. Revenue, leads and deals are credited to social touches."""
    from socialroi.analysis import analyze
    from socialroi.store import Store

    settings = settings_for(config_path, model)
    with Store.open(store_path_for(store_path, settings), read_only=True) as store:
        analysis = analyze(store, settings=settings, compare=())
    table = {
        "platform": analysis.roi_platform,
        "employee": analysis.roi_employee,
        "month": analysis.roi_month,
    }[by]
    emit(table, fmt)
