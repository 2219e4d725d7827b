"""Everything the report, the exports and `socialroi roi` show, computed once from the tables.

`compute` takes the canonical frames (or a `socialroi.core.pipeline.Pipeline` built on them), the
attribution settings and ``as_of`` and returns an `Analysis`: the pipeline (tables as of the date,
identity, conversions, journeys and credits per model, cached), the models side by side (rule
and data-driven), the summary numbers under the chosen model, ROI by platform, employee and month,
the monthly trend with policy periods, the deals traced to social contacts, referral chains and
influence, and a data-quality block. Pure: no files, no clock. Data dated after ``as_of`` is left
out; deals closed after it count as open.

Two headline figures are named the same everywhere (CLI, exports, report):

* **social-credited** (`Summary.social_credited`, also `Summary.revenue`): the won-deal value
  the chosen model credits to social touches;
* **social-sourced** (`Summary.social_sourced`): the won-deal value of contacts whose origin
  (first touch over the whole cycle) is social (`socialroi.core.sourced`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from socialroi.core import roi
from socialroi.core.attribution import UNATTRIBUTED
from socialroi.core.content import campaign_table, funnel, post_table
from socialroi.core.identity import Identity
from socialroi.core.model_compare import default_compare, models_side_by_side
from socialroi.core.months import month_start
from socialroi.core.network import DEFAULT_DECAY, DEFAULT_MAX_DEPTH
from socialroi.core.network_kpis import NetworkKpis, network_kpis
from socialroi.core.period import Period, in_period, month_share
from socialroi.core.pipeline import TABLES_USED, Pipeline, as_of_view, with_post_owner
from socialroi.core.quality import DataQuality, data_quality, metric_gaps
from socialroi.core.sourced import SOCIAL_CREDITED, SOCIAL_SOURCED, social_credited, social_sourced
from socialroi.core.sourced import totals as figure_totals
from socialroi.core.traced import traced_deals
from socialroi.core.vocabulary import check_model
from socialroi.errors import DataError

__all__ = [
    "NO_EMPLOYEE_NAME",
    "SOCIAL_CREDITED",
    "SOCIAL_SOURCED",
    "TABLES_USED",
    "Analysis",
    "Summary",
    "as_of_view",
    "check_model",
    "compute",
    "period_has_data",
    "with_post_owner",
]

#: How the row of social effort not tied to an employee is named.
NO_EMPLOYEE_NAME = "(brand accounts, ads and shared costs)"


@dataclass(frozen=True)
class Summary:
    """Headline numbers under one model. Leads, deals, revenue and pipeline are credited to
    social touches by the chosen model; `social_credited` is that revenue under its own name,
    `social_sourced` the won-deal value of contacts whose origin is social (None when it
    could not be computed)."""

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
    #: "social-credited": won-deal value the chosen model credits to social touches (= revenue).
    social_credited: float = 0.0
    #: "social-sourced": won-deal value of contacts whose first touch over the whole cycle is
    #: social.
    social_sourced: float | None = None


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
    #: Credits per model compared, limited to the period when there is one (the pipeline's
    #: `Pipeline.credits` gives all history).
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
    #: The shared first half (tables as of the date, identity, conversions, journeys, credits).
    pipeline: Pipeline
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
    #: How ``as_of`` was chosen, for the report header and the CLI ("end of the last complete
    #: month with data", "given", "the store's date").
    as_of_source: str = "given"


def _monthly(conversions: pl.DataFrame, roi_month: pl.DataFrame) -> pl.DataFrame:
    """month, leads, deals, revenue (all), social_leads, social_deals, social_revenue,
    pipeline, cost, roi."""
    kind = pl.col("kind")
    everything = (
        conversions.filter(kind.is_in(["lead", "deal"]))
        .with_columns(month_start(pl.col("ts")).alias("month"))
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


def period_has_data(p: Pipeline, period: Period) -> bool:
    """Whether any conversion, session, touch, metric snapshot or cost falls in `period`."""
    t = p.tables
    dated = (
        (p.conversions, "ts"),
        (t["sessions"], "started_at"),
        (p.touchpoints, "ts"),
        (t["post_metrics"], "as_of"),
    )
    if any(df.filter(in_period(col, period)).height for df, col in dated):
        return True
    return t["costs"].filter(month_share("month", period) > 0).height > 0


def _sourced(p: Pipeline, conversions: pl.DataFrame) -> float:
    """The social-sourced won-deal value of `conversions` (see `socialroi.core.sourced`): origins
    from every touch up to ``as_of``, not only the period's."""
    return figure_totals(social_sourced(p.touchpoints, conversions)).revenue


def compute(
    tables: Mapping[str, pl.DataFrame] | Pipeline,
    *,
    as_of: datetime | None = None,
    model: str = "linear",
    lookback_days: int | None = None,
    half_life_days: float | None = None,
    company: str = "Our company",
    currency: str = "USD",
    compare: Sequence[str] | None = None,
    decay: float = DEFAULT_DECAY,
    max_depth: int = DEFAULT_MAX_DEPTH,
    period: Period | None = None,
    as_of_source: str = "given",
) -> Analysis:
    """The whole analysis of `tables` as they stood at `as_of`, or of a `Pipeline` already built
    on them (its ``as_of``, lookback and half-life then apply unless given). `compare` names the
    models to set side by side (default: every registered model, data-driven ones included); the
    chosen `model` is always computed. `decay` and `max_depth` shape the referral chains (see
    socialroi.core.network). The lookback defaults to the sales cycle measured from the won deals
    (`socialroi.core.conversions.sales_cycle_days`), the half-life to 7 days.

    With a `period`, the summary, the models side by side, ROI by platform and employee, the
    traced deals and the data-quality counts cover the conversions dated in it (their touches
    may come before it, within the lookback window) and the costs of its days (a month's cost
    spread evenly over its days); the monthly trend and the network keep all history. A period
    that holds no data at all is a DataError (rather than a report of zeros)."""
    check_model(model)
    compare = tuple(default_compare() if compare is None else compare)
    for m in compare:
        check_model(m)
    if isinstance(tables, Pipeline):
        p = tables
        if as_of is not None and as_of != p.as_of:
            raise ValueError(f"as_of {as_of} differs from the pipeline's {p.as_of}")
        lookback = p.lookback_days if lookback_days is None else lookback_days
        half_life = p.half_life_days if half_life_days is None else half_life_days
    else:
        if as_of is None:
            raise ValueError("compute needs an explicit as_of for tables")
        half_life = 7.0 if half_life_days is None else half_life_days
        p = Pipeline(tables, as_of=as_of, lookback_days=lookback_days, half_life_days=half_life)
        lookback = p.lookback_days
    if period is not None and not period_has_data(p, period):
        raise DataError(
            f"no data in period {period.label()} ({period.start:%Y-%m-%d} to "
            f"{period.end:%Y-%m-%d}, exclusive): no conversion, session, touch, metric or cost "
            f"is dated in it{_data_span(p)}"
        )
    t = p.tables
    identity, touchpoints, conversions = p.identity, p.touchpoints, p.conversions
    credits, skipped = p.compared(
        (*compare, model), lookback_days=lookback, half_life_days=half_life
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
    revenue = float(totals["revenue"] or 0.0)
    summary = Summary(
        model=model,
        revenue=revenue,
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
        social_credited=figure_totals(social_credited(chosen)).revenue,
        social_sourced=_sourced(p, shown_conversions),
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
        as_of=p.as_of,
        company=company,
        currency=currency,
        model=model,
        lookback_days=lookback,
        half_life_days=half_life,
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
            gaps=metric_gaps(t["posts"], t["post_metrics"], p.as_of),
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
        pipeline=p,
        period=period,
        posts=post_table(chosen, t["posts"], t["post_metrics"], t["accounts"], t["employees"]),
        campaigns=campaign_table(chosen, t["posts"]),
        funnel=funnel(identity, t, chosen, period),
        as_of_source=as_of_source,
    )


def _data_span(p: Pipeline) -> str:
    """``; the data runs from 2025-01-03 to 2026-09-28`` (conversions and touches), or ''."""
    times = pl.concat(
        [p.conversions.select(pl.col("ts")), p.touchpoints.select(pl.col("ts"))]
    ).get_column("ts")
    if times.len() == 0:
        return "; the store holds no conversion or touch up to that date"
    lo, hi = times.min(), times.max()
    if not isinstance(lo, datetime) or not isinstance(hi, datetime):
        return ""
    return f"; the data runs from {lo:%Y-%m-%d} to {hi:%Y-%m-%d}"


def _costs_in(priced: pl.DataFrame, period: Period) -> pl.DataFrame:
    """Priced monthly costs scaled to the share of each month that lies in `period`."""
    share = month_share("month", period)
    return (
        priced.with_columns(share.alias("_share"))
        .filter(pl.col("_share") > 0)
        .with_columns(pl.col(c) * pl.col("_share") for c in ("amount", "hours") if c in priced)
        .drop("_share")
    )
