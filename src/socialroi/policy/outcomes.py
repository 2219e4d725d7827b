"""Monthly social outcomes per team and for the company: the series policy effects are read from.

A contact is *social-sourced* when its first touch (identity-resolved touchpoints, the employee
filled in from the post's owner, as the core's first-touch model with no lookback limit sees it;
touches after the contact's first lead do not count) is on an organic social platform; a
contact with no touch at all counts when its lead's source says organic social. Paid social is
a separate channel, and a contact met through a referral (even from a client won on social) is
not social-sourced. The *unit* of a social-sourced contact is the team of the employee its first
touch names; a first touch on a brand post or on a social visit no post explains names no
employee and stays at company level.

Metrics per month (complete months before ``as_of`` only):

* ``leads``: leads of social-sourced contacts, dated by creation;
* ``deals``: their won deals, dated by close;
* ``revenue``: the amounts of those won deals;
* ``net_value``: revenue minus social costs (core.roi: cost rows on a social platform or on none,
  staff hours at the employee's loaded hourly cost). A team's costs are the rows naming one of
  its employees; the company's are all social cost rows.

Company series use unit ``'*'``; team series use the team's name.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

import polars as pl

from socialroi.core import roi
from socialroi.core.months import add_months, month_start, months_between
from socialroi.core.pipeline import Pipeline
from socialroi.schema import SOCIAL_PLATFORMS

__all__ = [
    "COMPANY",
    "METRICS",
    "OUTCOME_COLUMNS",
    "add_months",
    "contact_units",
    "month_start",
    "monthly_outcomes",
    "months_between",
]

COMPANY = "*"
METRICS: tuple[str, ...] = ("leads", "deals", "revenue", "net_value")
ORGANIC_SOCIAL_SOURCES: tuple[str, ...] = ("organic_social", "social")
OUTCOME_COLUMNS: tuple[str, ...] = ("month", "unit", "metric", "value")


def contact_units(p: Pipeline) -> pl.DataFrame:
    """contact_id, unit: every social-sourced contact and its team ('*' when no employee)."""
    t, touches = p.tables, p.touchpoints
    # a touch after the contact's first lead sourced nothing (a later engagement of a contact met
    # before the data start must not make its lead social)
    first_lead = t["leads"].group_by("contact_id").agg(pl.col("created_at").min().alias("_lead"))
    touches = touches.join(first_lead, on="contact_id", how="left").filter(
        pl.col("_lead").is_null() | (pl.col("ts") <= pl.col("_lead"))
    )
    first = (
        touches.sort("contact_id", "ts", maintain_order=True)
        .group_by("contact_id", maintain_order=True)
        .first()
        .filter(pl.col("channel").is_in(SOCIAL_PLATFORMS))
        .select("contact_id", "employee_id")
    )
    by_source = (
        t["leads"]
        .filter(pl.col("source").str.to_lowercase().is_in(ORGANIC_SOCIAL_SOURCES))
        .join(first, on="contact_id", how="anti")
        .select("contact_id", pl.lit(None, dtype=pl.String).alias("employee_id"))
        .unique("contact_id")
    )
    teams = t["employees"].select("employee_id", pl.col("team").alias("unit"))
    return (
        pl.concat([first, by_source])
        .join(teams, on="employee_id", how="left")
        .select("contact_id", pl.col("unit").fill_null(COMPANY))
    )


def _by_month(df: pl.DataFrame, ts: str, value: pl.Expr, metric: str) -> pl.DataFrame:
    return (
        df.with_columns(month_start(pl.col(ts)).alias("month"))
        .group_by("month", "unit")
        .agg(value.cast(pl.Float64).alias("value"))
        .with_columns(pl.lit(metric).alias("metric"))
        .select(OUTCOME_COLUMNS)
    )


def _with_company(df: pl.DataFrame) -> pl.DataFrame:
    """Team rows plus a company row per (month, metric) summing every unit."""
    company = (
        df.group_by("month", "metric")
        .agg(pl.col("value").sum())
        .with_columns(pl.lit(COMPANY).alias("unit"))
        .select(OUTCOME_COLUMNS)
    )
    return pl.concat([df.filter(pl.col("unit") != COMPANY), company])


def monthly_outcomes(
    data: Pipeline | Mapping[str, pl.DataFrame],
    *,
    as_of: datetime | None = None,
    months: list[date],
) -> pl.DataFrame:
    """month, unit, metric, value for every month in `months`, every team of the employees table
    and the company ('*'), every metric (zeros where nothing happened). `data` is the analysis'
    pipeline, or canonical tables with an explicit `as_of`."""
    p = Pipeline.of(data, as_of)
    t = p.tables
    units = contact_units(p)
    leads = t["leads"].join(units, on="contact_id")
    won = t["deals"].filter(pl.col("won").fill_null(False) & pl.col("closed_at").is_not_null())
    won = won.join(units, on="contact_id")
    priced = roi.social_costs(roi.price_costs(t["costs"], t["employees"]))
    teams = t["employees"].select("employee_id", pl.col("team").alias("unit"))
    costs = (
        priced.join(teams, on="employee_id", how="left")
        .with_columns(pl.col("unit").fill_null(COMPANY), month_start(pl.col("month")))
        .group_by("month", "unit")
        .agg(pl.col("amount").fill_null(0.0).sum().alias("cost"))
    )
    parts = [
        _by_month(leads, "created_at", pl.len(), "leads"),
        _by_month(won, "closed_at", pl.len(), "deals"),
        _by_month(won, "closed_at", pl.col("amount").fill_null(0.0).sum(), "revenue"),
    ]
    counted = _with_company(pl.concat(parts))
    cost_rows = _with_company(
        costs.select("month", "unit", pl.lit("cost").alias("metric"), pl.col("cost").alias("value"))
    )
    team_names = sorted(set(t["employees"]["team"].drop_nulls().to_list()))
    grid = (
        pl.DataFrame({"month": months}, schema={"month": pl.Date})
        .join(pl.DataFrame({"unit": [COMPANY, *team_names]}), how="cross")
        .join(pl.DataFrame({"metric": [*METRICS[:3], "cost"]}), how="cross")
    )
    long = grid.join(
        pl.concat([counted, cost_rows]), on=["month", "unit", "metric"], how="left"
    ).with_columns(pl.col("value").fill_null(0.0))
    wide = long.pivot("metric", index=["month", "unit"], values="value")
    net = wide.select(
        "month",
        "unit",
        pl.lit("net_value").alias("metric"),
        (pl.col("revenue") - pl.col("cost")).alias("value"),
    )
    return (
        pl.concat([long.filter(pl.col("metric") != "cost"), net])
        .sort("unit", "metric", "month")
        .select(OUTCOME_COLUMNS)
    )
