"""What social effort cost and what it brought in: ROI by platform, by employee and by month.

Pure functions over frames. Inputs are the credits of one attribution model (rows per conversion and
touch with ``kind`` 'lead' | 'deal' | 'pipeline', ``channel``, ``platform``, ``employee_id``,
``conv_ts``, ``credit`` and ``value_credit``) and the canonical ``costs`` and ``employees`` tables.

Definitions:

* A touch is social when its channel is social (:func:`socialroi.core.vocabulary.is_social`: a
  social platform, ``social_other`` or ``paid_social``).
* Social cost is every cost row whose platform is a social platform or empty (tools, training,
  staff time not tied to one platform). Rows of category ``staff_hours`` carry hours, not money:
  they are priced at the employee's ``loaded_hourly_cost`` and reported as ``staff_time``.
* Revenue is the value credited to social touches of won deals; pipeline the value credited to
  social touches of open deals; leads and deals are credited counts (fractions under
  multi-touch models).
* ROI = (revenue − cost) / cost; cost per lead = cost / leads; cost per deal = cost / deals. Each
  is null when its denominator is zero.
"""

from __future__ import annotations

from typing import Literal

import polars as pl

from socialroi.core import vocabulary
from socialroi.core.months import month_start
from socialroi.schema import SOCIAL_PLATFORMS

#: The social channels (the vocabulary's one definition).
SOCIAL_CHANNELS: tuple[str, ...] = vocabulary.SOCIAL_CHANNELS
STAFF_HOURS = "staff_hours"
STAFF_TIME = "staff_time"
SHARED = "(shared)"
NO_EMPLOYEE = "(none)"

Grouping = Literal["platform", "employee", "month"]
GROUPINGS: tuple[Grouping, ...] = ("platform", "employee", "month")

ROI_COLUMNS = (
    "cost",
    "staff_cost",
    "revenue",
    "pipeline",
    "leads",
    "deals",
    "roi",
    "cost_per_lead",
    "cost_per_deal",
)


def is_social() -> pl.Expr:
    """True for rows whose ``channel`` is social (:func:`vocabulary.is_social`)."""
    return vocabulary.is_social(pl.col("channel"))


def touch_platform() -> pl.Expr:
    """The platform of a touch: its ``platform``, else its channel when that names a platform."""
    return pl.coalesce(
        pl.col("platform"),
        pl.when(pl.col("channel").is_in(SOCIAL_PLATFORMS)).then(pl.col("channel")),
    )


def price_costs(costs: pl.DataFrame, employees: pl.DataFrame) -> pl.DataFrame:
    """Costs in money: month, category, platform, employee_id, hours, amount.

    ``staff_hours`` rows become ``staff_time`` at the employee's loaded hourly cost; their
    ``hours`` column keeps the hours. Hours of an unknown employee or one without a wage get a
    null amount (reported as missing data, counted as zero cost).
    """
    wages = employees.select("employee_id", "loaded_hourly_cost")
    hours = pl.col("category") == STAFF_HOURS
    return (
        costs.join(wages, on="employee_id", how="left")
        .with_columns(
            pl.when(hours).then(pl.col("amount")).otherwise(None).alias("hours"),
            pl.when(hours)
            .then(pl.col("amount") * pl.col("loaded_hourly_cost"))
            .otherwise(pl.col("amount"))
            .alias("amount"),
            pl.when(hours).then(pl.lit(STAFF_TIME)).otherwise(pl.col("category")).alias("category"),
        )
        .select("month", "category", "platform", "employee_id", "hours", "amount")
    )


def social_costs(priced: pl.DataFrame) -> pl.DataFrame:
    """The priced cost rows that count as social effort (social platform or none)."""
    platform = pl.col("platform").fill_null("")
    return priced.filter(platform.is_in(SOCIAL_PLATFORMS) | (platform == ""))


def social_credits(credits: pl.DataFrame) -> pl.DataFrame:
    """Credit rows of social touches, with ``platform`` filled in from the channel if needed."""
    return credits.filter(is_social()).with_columns(touch_platform().alias("platform"))


def _credit_key(by: Grouping) -> pl.Expr:
    if by == "platform":
        return pl.col("platform").fill_null(SHARED).alias(by)
    if by == "employee":
        return _employee_key(pl.col("employee_id")).alias(by)
    return month_start(pl.col("conv_ts")).alias(by)


def _cost_key(by: Grouping) -> pl.Expr:
    if by == "platform":
        p = pl.col("platform").fill_null("")
        return pl.when(p == "").then(pl.lit(SHARED)).otherwise(p).alias(by)
    if by == "employee":
        return _employee_key(pl.col("employee_id")).alias(by)
    return pl.col("month").alias(by)


def _employee_key(col: pl.Expr) -> pl.Expr:
    e = col.fill_null("")
    return pl.when(e == "").then(pl.lit(NO_EMPLOYEE)).otherwise(e)


def _credit_sums(credits: pl.DataFrame, keys: list[pl.Expr]) -> pl.DataFrame:
    kind = pl.col("kind")
    return credits.group_by(keys).agg(
        pl.col("value_credit").filter(kind == "deal").sum().alias("revenue"),
        pl.col("value_credit").filter(kind == "pipeline").sum().alias("pipeline"),
        pl.col("credit").filter(kind == "lead").sum().alias("leads"),
        pl.col("credit").filter(kind == "deal").sum().alias("deals"),
    )


def _cost_sums(costs: pl.DataFrame, keys: list[pl.Expr]) -> pl.DataFrame:
    return costs.group_by(keys).agg(
        pl.col("amount").sum().alias("cost"),
        pl.col("amount").filter(pl.col("category") == STAFF_TIME).sum().alias("staff_cost"),
    )


def with_ratios(df: pl.DataFrame) -> pl.DataFrame:
    """Add roi, cost_per_lead and cost_per_deal (null where the denominator is zero)."""

    def ratio(num: pl.Expr, den: str) -> pl.Expr:
        return pl.when(pl.col(den) > 0).then(num / pl.col(den)).otherwise(None)

    return df.with_columns(
        ratio(pl.col("revenue") - pl.col("cost"), "cost").alias("roi"),
        ratio(pl.col("cost"), "leads").alias("cost_per_lead"),
        ratio(pl.col("cost"), "deals").alias("cost_per_deal"),
    )


def roi_table(credits: pl.DataFrame, costs: pl.DataFrame, by: Grouping) -> pl.DataFrame:
    """ROI of social effort grouped by platform, employee or month.

    `credits` are one model's credit rows (all conversion kinds); `costs` are priced costs
    (see `price_costs`). Columns: ``by``, then ROI_COLUMNS. Unattributed and non-social credit
    is left out; cost not tied to a platform or an employee is its own row.
    """
    if by not in GROUPINGS:
        raise ValueError(f"by must be one of {GROUPINGS}, not {by!r}")
    credit = _credit_sums(social_credits(credits), [_credit_key(by)])
    cost = _cost_sums(social_costs(costs), [_cost_key(by)])
    key_dtype = pl.Date() if by == "month" else pl.String()
    credit = credit.with_columns(pl.col(by).cast(key_dtype))
    cost = cost.with_columns(pl.col(by).cast(key_dtype))
    out = (
        credit.join(cost, on=by, how="full", coalesce=True)
        .with_columns(pl.col(c).fill_null(0.0) for c in ROI_COLUMNS[:6])
        .pipe(with_ratios)
        .select(by, *ROI_COLUMNS)
    )
    if by == "month":
        return out.sort(by)
    return out.sort(["revenue", "cost", by], descending=[True, True, False])


def roi_totals(credits: pl.DataFrame, costs: pl.DataFrame) -> dict[str, float | None]:
    """The whole company's social ROI numbers as one mapping with the keys of ROI_COLUMNS."""
    credit = _credit_sums(
        social_credits(credits).with_columns(pl.lit(1).alias("_all")), [pl.col("_all")]
    )
    cost = _cost_sums(social_costs(costs).with_columns(pl.lit(1).alias("_all")), [pl.col("_all")])
    row = (
        pl.DataFrame({"_all": [1]})
        .join(credit, on="_all", how="left")
        .join(cost, on="_all", how="left")
        .with_columns(pl.col(c).cast(pl.Float64).fill_null(0.0) for c in ROI_COLUMNS[:6])
        .pipe(with_ratios)
        .select(ROI_COLUMNS)
    )
    return row.row(0, named=True)
