"""`socialroi roi`: the ROI of social effort by platform, employee or month."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from socialroi.cli._analysis import (
    as_of_line,
    as_of_option,
    model_option,
    period_option,
    settings_for,
    store_path_for,
)
from socialroi.cli._options import config_option, format_option, store_option
from socialroi.cli._output import emit

if TYPE_CHECKING:
    from socialroi.core.kpis import Analysis


@click.command("roi")
@click.option(
    "--by",
    type=click.Choice(["platform", "employee", "month"]),
    default="platform",
    show_default=True,
    help="One row per platform, per employee (their own posts) or per month.",
)
@model_option
@period_option
@as_of_option
@format_option("table", "csv", "json")
@store_option
@config_option
def command(  # noqa: PLR0917 (click passes every option)
    by: str,
    model: str | None,
    period: str | None,
    as_of: date | None,
    fmt: str,
    store_path: Path | None,
    config_path: Path | None,
) -> None:
    """Print cost, attributed revenue and open pipeline, ROI = (revenue − cost) / cost, and cost
    per lead and per deal. Revenue, leads and deals are credited to social touches by the model.

    With --format table, stderr says the date the numbers stand at and the totals: the
    social-credited revenue (the model's share of won-deal value credited to social touches)
    and the social-sourced revenue (won deals of contacts whose first touch was social). With
    --period the rows cover that period (--by month: its months)."""
    from socialroi.analysis import analyze
    from socialroi.store import Store

    settings = settings_for(config_path, model)
    with Store.open(store_path_for(store_path, settings), read_only=True) as store:
        analysis = analyze(store, settings=settings, compare=(), period=period, as_of=as_of)
    table = {
        "platform": analysis.roi_platform,
        "employee": analysis.roi_employee,
        "month": analysis.roi_month,
    }[by]
    if by == "month" and analysis.period is not None:
        import polars as pl

        p = analysis.period
        table = table.filter((pl.col("month") >= p.start.date()) & (pl.col("month") < p.end.date()))
    if fmt == "table":
        click.echo(as_of_line(analysis.as_of, analysis.as_of_source), err=True)
        click.echo(totals_line(analysis), err=True)
    emit(table, fmt)


def totals_line(a: Analysis) -> str:
    """``model linear, period all history: social-credited revenue $1,234 · social-sourced
    revenue $2,345 · cost $500 · ROI 146.8%``."""
    from socialroi.core.kpis import SOCIAL_CREDITED, SOCIAL_SOURCED
    from socialroi.core.vocabulary import money

    s, cur = a.summary, a.currency
    roi = "–" if s.roi is None else f"{s.roi:.1%}"
    scope = a.period.label() if a.period is not None else "all history"
    return (
        f"model {a.model}, {scope}: {SOCIAL_CREDITED} revenue {money(s.social_credited, cur)}"
        f" · {SOCIAL_SOURCED} revenue {money(s.social_sourced, cur)}"
        f" · cost {money(s.cost, cur)} · ROI {roi}"
    )
