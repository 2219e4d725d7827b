"""Everything the report, the exports and `socialroi roi` show, computed once from the tables.

`compute` takes the canonical frames, the attribution settings and ``as_of`` and returns an
`Analysis`: identity outputs, conversions, credits per model, the models side by side (rule and
data-driven), the summary numbers under the chosen model, ROI by platform, employee and month, the
monthly trend with policy periods, the deals traced to social contacts, referral chains and
influence, and a data-quality block. Pure: no files, no clock. Data dated after ``as_of`` is left
out; deals closed after it count as open.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import polars as pl

from socialroi import schema
from socialroi.core import roi
from socialroi.core.attribution import UNATTRIBUTED, model_names
from socialroi.core.content import campaign_table, funnel, post_table
from socialroi.core.conversions import (
    deal_conversions,
    lead_conversions,
    pipeline_conversions,
)
from socialroi.core.identity import Identity, resolve_tables
from socialroi.core.model_compare import credit_compared, default_compare, models_side_by_side
from socialroi.core.network import DEFAULT_DECAY, DEFAULT_MAX_DEPTH
from socialroi.core.network_kpis import NetworkKpis, network_kpis
from socialroi.core.period import Period, in_period, month_share
from socialroi.core.quality import DataQuality, data_quality, metric_gaps
from socialroi.core.traced import traced_deals
from socialroi.errors import ConfigError, DataError

#: How the row of social effort not tied to an employee is named.
NO_EMPLOYEE_NAME = "(brand accounts, ads and shared costs)"
#: The canonical tables `compute` reads; others may be left out of its input.
TABLES_USED: tuple[str, ...] = (
    "employees",
    "accounts",
    "posts",
    "post_metrics",
    "sessions",
    "contacts",
    "touchpoints",
    "leads",
    "deals",
    "costs",
    "policy_periods",
)


@dataclass(frozen=True)
class Summary:
    """Headline numbers under one model. Social figures are credited to social touches."""

    model: str
    revenue: float
    cost: float
    staff_cost: float
    roi: float | None
    leads: float
    deals: float
    pipeline: float
    cost_per_lead: float | None
    cost_per_deal: float | None
    all_revenue: float
    all_leads: int
    all_deals: int


@dataclass(frozen=True)
class Analysis:
    """The result of `compute`; frames are described where they are built."""

    as_of: datetime
    company: str
    currency: str
    model: str
    lookback_days: int
    half_life_days: float
    identity: Identity
    conversions: pl.DataFrame
    credits: Mapping[str, pl.DataFrame]
    models: pl.DataFrame
    summary: Summary
    roi_platform: pl.DataFrame
    roi_employee: pl.DataFrame
    roi_month: pl.DataFrame
    monthly: pl.DataFrame
    policy_periods: pl.DataFrame
    traced: pl.DataFrame
    quality: DataQuality
    network: NetworkKpis
    #: Models asked for but left out because they cannot run on this data, with the reason.
    skipped_models: Mapping[str, str]
    #: The period the figures cover (conversions dated in it, costs of its days); None for all
    #: history up to ``as_of``. The monthly trend and the referral network always cover it all.
    period: Period | None = None
    #: True when contacts' names, emails, handles and ids are pseudonyms (see core.redact).
    redacted: bool = False
    #: Per post (see `post_table`), best first.
    posts: pl.DataFrame = dataclasses.field(default_factory=pl.DataFrame)
    #: Per campaign (see `campaign_table`), best first.
    campaigns: pl.DataFrame = dataclasses.field(default_factory=pl.DataFrame)
    #: stage, count, note: from reach to revenue (see `funnel`).
    funnel: pl.DataFrame = dataclasses.field(default_factory=pl.DataFrame)


def check_model(model: str) -> str:
    """`model` if it is a known attribution model, else a ConfigError listing them."""
    if model not in model_names():
        raise ConfigError(
            f"unknown attribution model '{model}'; models are: {', '.join(model_names())}"
        )
    return model


def _table(tables: Mapping[str, pl.DataFrame], name: str) -> pl.DataFrame:
    df = tables.get(name)
    return schema.empty(name) if df is None else schema.conform(name, df, source=name)


def as_of_view(tables: Mapping[str, pl.DataFrame], as_of: datetime) -> dict[str, pl.DataFrame]:
    """The tables `compute` reads as they stood at `as_of` (missing tables are empty)."""
    t = {name: _table(tables, name) for name in TABLES_USED}
    month = date(as_of.year, as_of.month, 1)
    deals = t["deals"].filter(pl.col("created_at") <= as_of)
    later = pl.col("closed_at") > as_of
    t["deals"] = deals.with_columns(
        pl.when(later).then(None).otherwise(pl.col("closed_at")).alias("closed_at"),
        pl.when(later).then(None).otherwise(pl.col("won")).alias("won"),
    )
    t["leads"] = t["leads"].filter(pl.col("created_at") <= as_of)
    t["sessions"] = t["sessions"].filter(pl.col("started_at") <= as_of)
    t["touchpoints"] = t["touchpoints"].filter(pl.col("ts") <= as_of)
    t["posts"] = t["posts"].filter(pl.col("created_at").is_null() | (pl.col("created_at") <= as_of))
    t["post_metrics"] = t["post_metrics"].filter(pl.col("as_of") <= as_of)
    t["costs"] = t["costs"].filter(pl.col("month") <= month)
    t["policy_periods"] = t["policy_periods"].filter(pl.col("from") <= as_of.date())
    return t


def with_post_owner(
    touchpoints: pl.DataFrame, posts: pl.DataFrame, accounts: pl.DataFrame
) -> pl.DataFrame:
    """Fill a touch's employee from the account that published its post, when a person owns it."""
    owners = (
        posts.select("platform", "post_id", "account_id", pl.col("campaign").alias("_pc"))
        .join(accounts.select("platform", "account_id", "owner"), on=["platform", "account_id"])
        .select(
            "platform",
            "post_id",
            "_pc",
            pl.when(pl.col("owner") != "brand").then(pl.col("owner")).alias("_owner"),
        )
        .unique(["platform", "post_id"])
    )
    return (
        touchpoints.join(owners, on=["platform", "post_id"], how="left")
        .with_columns(
            pl.coalesce("employee_id", "_owner").alias("employee_id"),
            pl.coalesce("campaign", "_pc").alias("campaign"),
        )
        .select(touchpoints.columns)
    )


def _monthly(conversions: pl.DataFrame, roi_month: pl.DataFrame) -> pl.DataFrame:
    """month, leads, deals, revenue (all), social_leads, social_deals, social_revenue,
    pipeline, cost, roi."""
    kind = pl.col("kind")
    everything = (
        conversions.filter(kind.is_in(["lead", "deal"]))
        .with_columns(pl.col("ts").dt.truncate("1mo").dt.date().alias("month"))
        .group_by("month")
        .agg(
            (kind == "lead").sum().cast(pl.Int64).alias("leads"),
            (kind == "deal").sum().cast(pl.Int64).alias("deals"),
            pl.col("value").filter(kind == "deal").sum().alias("revenue"),
        )
    )
    social = roi_month.select(
        "month",
        pl.col("leads").alias("social_leads"),
        pl.col("deals").alias("social_deals"),
        pl.col("revenue").alias("social_revenue"),
        "pipeline",
        "cost",
        "roi",
    )
    filled = [pl.col(c).fill_null(0) for c in ("leads", "deals", "revenue")]
    filled += [pl.col(c).fill_null(0.0) for c in social.columns if c not in ("month", "roi")]
    return (
        everything.join(social, on="month", how="full", coalesce=True)
        .with_columns(filled)
        .sort("month")
    )


def compute(
    tables: Mapping[str, pl.DataFrame],
    *,
    as_of: datetime,
    model: str = "linear",
    lookback_days: int = 90,
    half_life_days: float = 7.0,
    company: str = "Our company",
    currency: str = "USD",
    compare: Sequence[str] | None = None,
    decay: float = DEFAULT_DECAY,
    max_depth: int = DEFAULT_MAX_DEPTH,
    period: Period | None = None,
) -> Analysis:
    """The whole analysis. `compare` names the models to set side by side (default: every
    registered model, data-driven ones included); the chosen `model` is always computed.
    `decay` and `max_depth` shape the referral chains (see socialroi.core.network).

    With a `period`, the summary, the models side by side, ROI by platform and employee, the
    traced deals and the data-quality counts cover the conversions dated in it (their touches
    may come before it, within the lookback window) and the costs of its days (a month's cost
    spread evenly over its days); the monthly trend and the network keep all history."""
    check_model(model)
    compare = tuple(default_compare() if compare is None else compare)
    for m in compare:
        check_model(m)
    t = as_of_view(tables, as_of)
    identity = resolve_tables(t)
    touchpoints = with_post_owner(identity.touchpoints, t["posts"], t["accounts"])
    conversions = pl.concat(
        [
            lead_conversions(t["leads"]),
            deal_conversions(t["deals"], t["leads"]),
            pipeline_conversions(t["deals"], t["leads"]),
        ]
    )
    credits, skipped = credit_compared(
        touchpoints,
        conversions,
        (*compare, model),
        lookback_days=lookback_days,
        half_life_days=half_life_days,
    )
    if model in skipped:
        raise DataError(f"model '{model}' cannot run on this data: {skipped[model]}")
    all_credits, all_priced = credits[model], roi.price_costs(t["costs"], t["employees"])
    shown_conversions = conversions
    if period is not None:
        credits = {m: c.filter(in_period("conv_ts", period)) for m, c in credits.items()}
        shown_conversions = conversions.filter(in_period("ts", period))
    chosen = credits[model]
    priced = all_priced if period is None else _costs_in(all_priced, period)
    totals = roi.roi_totals(chosen, priced)
    deals = shown_conversions.filter(pl.col("kind") == "deal")
    summary = Summary(
        model=model,
        revenue=float(totals["revenue"] or 0.0),
        cost=float(totals["cost"] or 0.0),
        staff_cost=float(totals["staff_cost"] or 0.0),
        roi=totals["roi"],
        leads=float(totals["leads"] or 0.0),
        deals=float(totals["deals"] or 0.0),
        pipeline=float(totals["pipeline"] or 0.0),
        cost_per_lead=totals["cost_per_lead"],
        cost_per_deal=totals["cost_per_deal"],
        all_revenue=float(deals["value"].sum()),
        all_leads=shown_conversions.filter(pl.col("kind") == "lead").height,
        all_deals=deals.height,
    )
    names = t["employees"].select(pl.col("employee_id").alias("employee"), "name")
    roi_employee = (
        roi.roi_table(chosen, priced, "employee")
        .join(names, on="employee", how="left", maintain_order="left")
        .with_columns(
            pl.when(pl.col("employee") == roi.NO_EMPLOYEE)
            .then(pl.lit(NO_EMPLOYEE_NAME))
            .otherwise(pl.col("name"))
            .alias("name")
        )
    )
    roi_employee = roi_employee.select("employee", "name", *roi.ROI_COLUMNS)
    roi_month = roi.roi_table(all_credits, all_priced, "month")
    return Analysis(
        as_of=as_of,
        company=company,
        currency=currency,
        model=model,
        lookback_days=lookback_days,
        half_life_days=half_life_days,
        identity=identity,
        conversions=conversions,
        credits=credits,
        models=models_side_by_side({m: credits[m] for m in compare if m in credits}),
        summary=summary,
        roi_platform=roi.roi_table(chosen, priced, "platform"),
        roi_employee=roi_employee,
        roi_month=roi_month,
        monthly=_monthly(conversions, roi_month),
        policy_periods=t["policy_periods"].sort("from", "team"),
        traced=traced_deals(
            chosen.filter(pl.col("kind") == "deal"),
            deals=t["deals"],
            contacts=t["contacts"],
            employees=t["employees"],
            posts=t["posts"],
            unattributed=UNATTRIBUTED,
        ),
        quality=dataclasses.replace(
            data_quality(identity, t, chosen, priced),
            gaps=metric_gaps(t["posts"], t["post_metrics"], as_of),
        ),
        network=network_kpis(
            t,
            touchpoints=touchpoints,
            conversions=conversions,
            credits=all_credits,
            decay=decay,
            max_depth=max_depth,
        ),
        skipped_models=skipped,
        period=period,
        posts=post_table(chosen, t["posts"], t["post_metrics"], t["accounts"], t["employees"]),
        campaigns=campaign_table(chosen, t["posts"]),
        funnel=funnel(identity, t, chosen, period),
    )


def _costs_in(priced: pl.DataFrame, period: Period) -> pl.DataFrame:
    """Priced monthly costs scaled to the share of each month that lies in `period`."""
    share = month_share("month", period)
    return (
        priced.with_columns(share.alias("_share"))
        .filter(pl.col("_share") > 0)
        .with_columns(pl.col(c) * pl.col("_share") for c in ("amount", "hours") if c in priced)
        .drop("_share")
    )
