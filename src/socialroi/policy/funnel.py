"""The company's own funnel, with its uncertainty: what the projection is built from.

`estimate_funnel` reads the analysis' `socialroi.core.pipeline.Pipeline` (the canonical tables as
they stood at ``as_of``, identity, conversions and cached credits: the same the report uses; plain
tables are made into one) and looks at the complete months up to ``as_of`` (up to
`WINDOW_MONTHS`; a month is complete when ``as_of`` is at or after its last instant). Social
leads, won deals and revenue are the social-sourced ones: credits of the ``first_touch`` model
(the pipeline's credits, with the funnel's own lookback) to organic social touches, so a lead
counts when the contact's first touch in the lookback window was a social post, click or
conversation (paid social is left out: no policy changes the ad budget). A credit whose touch
names an employee (a tracked link, a reply or mention of a staff post) is the staff's; the rest
is the brand's (brand posts and social visits no post explains).

Rates and how their uncertainty is expressed (posteriors from counts; Jeffreys-style priors):

* reach per staff post: mean impressions (latest snapshot per post, post_metrics); the posterior
  of a mean of n posts with coefficient of variation c is Gamma(n/c², μc²/n);
* clicks per impression of staff posts with a link: Beta(clicks + ½, impressions − clicks + ½);
* leads per click (staff): Gamma(leads + ½, 1/clicks on tracked links) — only a tracked click can
  be tied to its lead; conversations started by a post count as its leads too, so this is
  "leads per click or equivalent";
* brand leads per month: Gamma(leads + ½, 1/months);
* leads from conversations (replies, mentions, messages on a staff post) per impression:
  Gamma(leads + ½, 1/impressions);
* won deals per social lead: Beta(won + ½, leads − won + ½) over the whole company's social
  leads (every lead's when social has fewer than 5 won deals);
* value of a won deal: the mean of every won deal closed in the window, Gamma as for reach;
* lead → won lag: months from a contact's first lead to the deal's close, over all won deals;
* month-to-month variation of lead volume beyond Poisson (seasonality, demand): from all leads
  per month, cv² = max(0, (variance − mean)/mean²);
* per policy found in policy_periods: participation Beta(active + ½, idle + ½) over
  employee-months, posts per participant per week Gamma(posts + ½, 1/(active × weeks)), the
  share of posts with a link Beta(linked + ½, unlinked + ½), reach per post, and the shares
  of service cases and hires that came through social.

Where the store has too little, the rate falls back to a stated default with a wide range and
says so in its source. Pure: polars in, plain values out; no files, no clock.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import polars as pl
from scipy import special

from socialroi import schema
from socialroi.core.months import add_months, month_start, months_between
from socialroi.core.pipeline import Pipeline, first_incomplete_month
from socialroi.core.vocabulary import check_model, is_organic_social, latest_snapshot
from socialroi.errors import DataError
from socialroi.policy.options import (
    BLS,
    DEFAULT_CURRENCY,
    EVIDENCE,
    LINKEDIN_CTR,
    SERVICE_COSTS,
    SHRM,
    Assumption,
    Basis,
)
from socialroi.schema import SOCIAL_PLATFORMS

WINDOW_MONTHS = 12
WEEKS_PER_MONTH = 52.0 / 12.0
HOURS_PER_WORKDAY = 8.0
LAG_MONTHS = 13
MIN_EMPLOYEE_MONTHS = 12
MIN_POSTS = 10
MIN_WON = 5
#: Complete months of data a projection needs at least.
MIN_PROJECT_MONTHS = 3
#: The lookback window a touch must fall in to source a lead (design §4's default).
LOOKBACK_DAYS = 90


@dataclass(frozen=True)
class Funnel:
    """Everything the projection draws from, estimated at ``as_of``.

    ``rates`` holds company-wide quantities (keys in RATE_KEYS); ``by_policy`` holds estimates
    per policy seen in the data ("acceptable_use" → {"participation": …}). ``lag`` is the share
    of a month's social leads that close as won deals k months later (sums to 1);
    ``history_leads`` the social leads of the last ``len(lag) - 1`` months (oldest first), which
    keep closing in the projected months.
    """

    as_of: datetime
    window: tuple[date, date] | None
    months: int
    staff: int
    teams: tuple[str, ...] | None
    rates: Mapping[str, Assumption]
    by_policy: Mapping[str, Mapping[str, Assumption]]
    lag: np.ndarray
    history_leads: np.ndarray
    month_cv: float
    value_cv: float
    monthly: pl.DataFrame
    #: Policy → staff under it on ``as_of`` (each employee's team row, else the company's '*'
    #: row; "(none)" where no row covers them).
    current: Mapping[str, int] = dataclasses.field(default_factory=dict)
    #: What the store holds that a projection needs (counts over the window, see `problems`).
    evidence: Mapping[str, float] = dataclasses.field(default_factory=dict)
    #: Recorded costs (table costs) a month, mean over the window, by category.
    costs_per_month: Mapping[str, float] = dataclasses.field(default_factory=dict)


RATE_KEYS: tuple[str, ...] = (
    "wage",
    "reach_per_post",
    "clicks_per_impression",
    "leads_per_click",
    "conversation_leads_per_impression",
    "brand_leads_per_month",
    "won_per_lead",
    "value_per_won",
    "service_cases_per_month",
    "service_saving_per_case",
    "hires_per_month",
    "hire_saving",
)


def _gamma_ppf(shape: float, scale: float) -> tuple[float, float]:
    """5th and 95th percentiles of Gamma(shape, scale) (as scipy.stats.gamma.ppf: NaN unless
    shape and scale are positive)."""
    if not (shape > 0 and scale > 0):
        return math.nan, math.nan
    lo, hi = special.gammaincinv(shape, [0.05, 0.95]) * scale
    return float(lo), float(hi)


def _beta_ppf(a: float, b: float) -> tuple[float, float]:
    """5th and 95th percentiles of Beta(a, b) (as scipy.stats.beta.ppf: NaN unless a, b > 0)."""
    if not (a > 0 and b > 0):
        return math.nan, math.nan
    lo, hi = special.betaincinv(a, b, [0.05, 0.95])
    return float(lo), float(hi)


def gamma_rate(name: str, unit: str, shape: float, scale: float, source: str) -> Assumption:
    """A Gamma(shape, scale) posterior as an Assumption (low/high: 5th and 95th percentiles)."""
    lo, hi = _gamma_ppf(shape, scale)
    mean = shape * scale
    return Assumption(
        name, mean, min(lo, mean), max(hi, mean), unit, source, "gamma", shape, scale, basis="data"
    )


def beta_rate(name: str, unit: str, a: float, b: float, source: str) -> Assumption:
    lo, hi = _beta_ppf(a, b)
    mean = a / (a + b)
    return Assumption(
        name, mean, min(lo, mean), max(hi, mean), unit, source, "beta", a, b, basis="data"
    )


def mean_rate(
    name: str, unit: str, values: np.ndarray, source: str, *, cv_default: float = 1.0
) -> Assumption:
    """The posterior of the mean of positive `values` (Gamma with the sample's spread)."""
    n = len(values)
    mu = float(np.mean(values))
    cv = float(np.std(values) / mu) if n > 1 and mu > 0 else cv_default
    cv = max(cv, 0.05)
    shape = n / cv**2
    return gamma_rate(name, unit, shape, mu / shape, source)


def default_rate(
    name: str,
    unit: str,
    values: tuple[float, float, float],
    source: str,
    *,
    basis: Basis = "default",
    cited: str = "",
    money: bool = False,
) -> Assumption:
    """A stated default: `values` are (central, low, high); `cited` the source it rests on
    (basis 'cited'), `money` for an amount in the built-in defaults' currency."""
    central, low, high = values
    return Assumption(
        name,
        central,
        low,
        high,
        unit,
        source,
        basis="cited" if cited else basis,
        evidence=EVIDENCE.get(cited, ""),
        currency=DEFAULT_CURRENCY if money else None,
    )


def employee_months(
    employees: pl.DataFrame, periods: pl.DataFrame, months: Sequence[date]
) -> pl.DataFrame:
    """employee_id, team, month, policy: each employee employed on a month's first day, with the
    policy in force for their team then (a team's own row before a company-wide '*' row)."""
    if not months or employees.height == 0:
        return pl.DataFrame(
            schema={
                "employee_id": pl.String,
                "team": pl.String,
                "month": pl.Date,
                "policy": pl.String,
            }
        )
    grid = employees.select("employee_id", "team", "start_date", "end_date").join(
        pl.DataFrame({"month": list(months)}, schema={"month": pl.Date}), how="cross"
    )
    grid = grid.filter(
        (pl.col("start_date").is_null() | (pl.col("start_date") <= pl.col("month")))
        & (pl.col("end_date").is_null() | (pl.col("end_date") >= pl.col("month")))
    ).select("employee_id", pl.col("team").fill_null(""), "month")
    p = periods.select(
        pl.col("team").alias("p_team"), pl.col("from"), pl.col("to"), pl.col("policy")
    )
    matched = (
        grid.join(p, how="cross")
        .filter(
            ((pl.col("p_team") == pl.col("team")) | (pl.col("p_team") == "*"))
            & (pl.col("from") <= pl.col("month"))
            & (pl.col("to").is_null() | (pl.col("to") > pl.col("month")))
        )
        .sort(
            ["employee_id", "month", pl.col("p_team") == "*", "from"],
            descending=[False, False, False, True],
        )
        .unique(["employee_id", "month"], keep="first", maintain_order=True)
        .select("employee_id", "month", "policy")
    )
    return grid.join(matched, on=["employee_id", "month"], how="left").with_columns(
        pl.col("policy").fill_null("(none)")
    )


def _staff_posts(t: Mapping[str, pl.DataFrame]) -> pl.DataFrame:
    """Posts by accounts an employee owns: platform, post_id, employee_id, month, impressions,
    clicks (latest metrics snapshot; null without one)."""
    owners = t["accounts"].filter(pl.col("owner").is_not_null() & (pl.col("owner") != "brand"))
    posts = t["posts"].join(
        owners.select("platform", "account_id", pl.col("owner").alias("employee_id")),
        on=["platform", "account_id"],
    )
    latest = latest_snapshot(t["post_metrics"]).select(
        "platform", "post_id", "impressions", "clicks"
    )
    return posts.join(latest, on=["platform", "post_id"], how="left").select(
        "platform",
        "post_id",
        "employee_id",
        month_start(pl.col("created_at")).alias("month"),
        "impressions",
        "clicks",
        pl.col("utm_content").is_not_null().alias("tracked"),
        pl.col("link_url").is_not_null().alias("linked"),
    )


def _social_credits(credits: pl.DataFrame) -> pl.DataFrame:
    """Organic social credit rows with month, staff flag (the touch names an employee)."""
    return credits.filter(is_organic_social(pl.col("channel"))).with_columns(
        month_start(pl.col("conv_ts")).alias("month"),
        pl.col("employee_id").is_not_null().alias("staff"),
    )


def _lag_pmf(t: Mapping[str, pl.DataFrame]) -> tuple[np.ndarray, str]:
    first_lead = t["leads"].group_by("contact_id").agg(pl.col("created_at").min().alias("lead_at"))
    won = (
        t["deals"]
        .filter(pl.col("won").fill_null(False) & pl.col("closed_at").is_not_null())
        .join(first_lead, on="contact_id")
        .filter(pl.col("closed_at") >= pl.col("lead_at"))
    )
    months = (
        (pl.col("closed_at").dt.year() - pl.col("lead_at").dt.year()) * 12
        + pl.col("closed_at").dt.month()
        - pl.col("lead_at").dt.month()
    )
    k = won.select(months.alias("k"))["k"].to_numpy().astype(np.int64)
    if len(k) < 5:
        q = 1 / 3  # geometric, mean about 2 months
        pmf = q * (1 - q) ** np.arange(LAG_MONTHS)
        return pmf / pmf.sum(), "assumption (fewer than 5 won deals with a lead): mean lag 2 months"
    pmf = np.bincount(np.minimum(k, LAG_MONTHS - 1), minlength=LAG_MONTHS).astype(float)
    return pmf / pmf.sum(), f"estimated from your data ({len(k)} won deals with a lead)"


def _company_policy(emp_months: pl.DataFrame) -> pl.DataFrame:
    """month → the policy most staff were under that month."""
    return (
        emp_months.group_by("month", "policy")
        .len()
        .sort(["month", "len", "policy"], descending=[False, True, False])
        .unique("month", keep="first", maintain_order=True)
        .select("month", "policy")
    )


def _share_by_policy(
    events: pl.DataFrame, is_social: pl.Expr, company: pl.DataFrame, key: str, what: str
) -> dict[str, dict[str, Assumption]]:
    out: dict[str, dict[str, Assumption]] = {}
    if events.height == 0:
        return out
    by = (
        events.join(company, on="month")
        .group_by("policy")
        .agg(pl.len().alias("n"), is_social.sum().alias("k"))
    )
    for r in by.iter_rows(named=True):
        n, k = int(r["n"]), int(r["k"])
        if n < 10:
            continue
        src = (
            f"estimated from your data ({k} of {n} {what} under {r['policy']} came through social)"
        )
        out[r["policy"]] = {key: beta_rate(key, "share", k + 0.5, n - k + 0.5, src)}
    return out


def _window(t: Mapping[str, pl.DataFrame], as_of: datetime) -> list[date]:
    """The complete months up to `as_of` that hold data, at most WINDOW_MONTHS of them."""
    stop = first_incomplete_month(as_of)
    found: list[date] = []
    for value in (
        t["leads"]["created_at"].min(),
        t["posts"]["created_at"].min(),
        t["policy_periods"]["from"].min(),
    ):
        if isinstance(value, datetime):
            found.append(value.date())
        elif isinstance(value, date):
            found.append(value)
    if not found:
        return []
    return months_between(max(month_start(min(found)), add_months(stop, -WINDOW_MONTHS)), stop)


def _wage(current: pl.DataFrame) -> Assumption:
    wages = current["loaded_hourly_cost"].drop_nulls().to_numpy()
    if not len(wages):
        return default_rate(
            "wage",
            "currency per hour",
            (50.0, 35.0, 70.0),
            f"assumption; {BLS}",
            cited=BLS,
            money=True,
        )
    w = float(np.mean(wages))
    src = f"estimated from your data (mean loaded hourly cost of {len(wages)} employees)"
    return Assumption("wage", w, w, w, "currency per hour", src, basis="data")


def _policy_estimates(
    emp_months: pl.DataFrame, posts: pl.DataFrame
) -> dict[str, dict[str, Assumption]]:
    """Participation, posts per participant per week and reach per post, by policy."""
    per_emp = posts.group_by("employee_id", "month").agg(pl.len().alias("posts"))
    em = emp_months.join(per_emp, on=["employee_id", "month"], how="left").with_columns(
        pl.col("posts").fill_null(0)
    )
    posts_policy = posts.join(
        emp_months.select("employee_id", "month", "policy"),
        on=["employee_id", "month"],
        how="left",
    )
    counts = em.group_by("policy").agg(
        pl.len().alias("n"), (pl.col("posts") > 0).sum().alias("active"), pl.col("posts").sum()
    )
    out: dict[str, dict[str, Assumption]] = {}
    for r in counts.iter_rows(named=True):
        n, active, total, pol = int(r["n"]), int(r["active"]), int(r["posts"]), r["policy"]
        if n < MIN_EMPLOYEE_MONTHS:
            continue
        src = (
            f"estimated from your data ({total} posts; {active} of {n} employee-months under "
            f"{pol} with a post)"
        )
        est = {
            "participation": beta_rate(
                "participation", "share of staff", active + 0.5, n - active + 0.5, src
            )
        }
        mine = posts_policy.filter(pl.col("policy") == pol)
        if mine.height >= MIN_POSTS:
            linked = int(mine["linked"].sum())
            est["link_share"] = beta_rate(
                "link_share",
                "share of posts",
                linked + 0.5,
                mine.height - linked + 0.5,
                f"estimated from your data ({linked} of {mine.height} staff posts under {pol} "
                "linked to your site)",
            )
        if active >= 3:
            est["posts_per_week"] = gamma_rate(
                "posts_per_week",
                "posts per participant per week",
                total + 0.5,
                1 / (active * WEEKS_PER_MONTH),
                src,
            )
        reach = posts_policy.filter((pl.col("policy") == pol) & pl.col("impressions").is_not_null())
        if reach.height >= MIN_POSTS:
            est["reach_per_post"] = mean_rate(
                "reach_per_post",
                "impressions per staff post",
                reach["impressions"].to_numpy().astype(float),
                f"estimated from your data ({reach.height} staff posts under {pol})",
            )
        out[pol] = est
    return out


def _social_rows(p: Pipeline, *, model: str, months: list[date]) -> pl.DataFrame:
    """Credit rows of organic social touches in `months` (see `_social_credits`): one model's
    credits of leads and won deals from the pipeline, with the funnel's own lookback."""
    check_model(model)
    credits = p.credits(model, lookback_days=LOOKBACK_DAYS, half_life_days=7.0)
    credits = credits.filter(pl.col("kind").is_in(["lead", "deal"]))
    return _social_credits(credits).filter(pl.col("month").is_in(months))


def _social_monthly(social: pl.DataFrame, months: list[date]) -> pl.DataFrame:
    """month, staff_leads (of which click_leads: through a post click), brand_leads, won,
    revenue."""
    kind, staff = pl.col("kind"), pl.col("staff")
    click = pl.col("touch_kind") == "post_click"
    sums = social.group_by("month").agg(
        pl.col("credit").filter((kind == "lead") & staff).sum().alias("staff_leads"),
        pl.col("credit").filter((kind == "lead") & staff & click).sum().alias("click_leads"),
        pl.col("credit").filter((kind == "lead") & ~staff).sum().alias("brand_leads"),
        pl.col("credit").filter(kind == "deal").sum().alias("won"),
        pl.col("value_credit").filter(kind == "deal").sum().alias("revenue"),
    )
    cols = ("staff_leads", "click_leads", "brand_leads", "won", "revenue")
    return (
        pl.DataFrame({"month": months}, schema={"month": pl.Date})
        .join(sums, on="month", how="left")
        .with_columns(pl.col(c).fill_null(0.0) for c in cols)
        .sort("month")
    )


def _won_per_lead(
    t: Mapping[str, pl.DataFrame], company: pl.DataFrame, months: list[date]
) -> Assumption:
    """Won deals per social lead over the company (all leads when social has under 5 wins)."""
    won = float(company["won"].sum())
    leads = float((company["staff_leads"] + company["brand_leads"]).sum())
    what = "social leads"
    if won < MIN_WON and months:
        first = datetime(months[0].year, months[0].month, 1, tzinfo=UTC)
        leads = float(t["leads"].filter(pl.col("created_at") >= first).height)
        won = float(
            t["deals"]
            .filter(pl.col("won").fill_null(False) & (pl.col("closed_at") >= first))
            .height
        )
        what = "leads from every source (fewer than 5 social won deals)"
    return beta_rate(
        "won_per_lead",
        "won deals per social lead",
        won + 0.5,
        max(leads - won, 0.0) + 0.5,
        f"estimated from your data ({won:.1f} won deals, {leads:.1f} {what})",
    )


def _staff_rates(
    t: Mapping[str, pl.DataFrame], posts: pl.DataFrame, click_leads: float, conv_leads: float
) -> dict[str, Assumption]:
    """Reach per post, clicks per impression (linked posts), leads per click and leads from
    conversations per impression of staff posts."""
    rates: dict[str, Assumption] = {}
    measured = posts.filter(pl.col("impressions").is_not_null())
    with_link = measured.filter(pl.col("linked"))
    impressions = float(with_link["impressions"].sum() or 0)
    clicks = float(with_link["clicks"].fill_null(0).sum() or 0)
    # Only a click on a tracked link can be tied to its lead: leads per click use those clicks.
    tracked = float(measured.filter(pl.col("tracked"))["clicks"].fill_null(0).sum() or 0)
    if measured.height >= MIN_POSTS:
        rates["reach_per_post"] = mean_rate(
            "reach_per_post",
            "impressions per staff post",
            measured["impressions"].to_numpy().astype(float),
            f"estimated from your data ({measured.height} staff posts with metrics)",
        )
    else:
        rates["reach_per_post"] = default_rate(
            "reach_per_post",
            "impressions per staff post",
            (400.0, 150.0, 1200.0),
            "assumption (fewer than 10 staff posts with metrics)",
        )
    if impressions > 0:
        # zero clicks on measured impressions is evidence of a low rate, not a missing one
        rates["clicks_per_impression"] = beta_rate(
            "clicks_per_impression",
            "clicks per impression",
            clicks + 0.5,
            impressions - clicks + 0.5,
            f"estimated from your data ({clicks:,.0f} clicks on {impressions:,.0f} impressions "
            "of staff posts with a link)",
        )
    else:
        brand = _brand_ctr(t)
        ctr = 2 * (brand if brand is not None else 0.004)
        rates["clicks_per_impression"] = default_rate(
            "clicks_per_impression",
            "clicks per impression",
            (ctr, ctr / 3, min(1.0, ctr * 2.5)),
            "assumption: no staff post metrics; twice the brand's rate"
            + (" in your data" if brand is not None else " (0.4% assumed: no brand metrics)")
            + f" ({LINKEDIN_CTR})",
            cited=LINKEDIN_CTR if brand is not None else "",
        )
    all_impressions = float(measured["impressions"].sum() or 0)
    if all_impressions > 0:
        rates["conversation_leads_per_impression"] = gamma_rate(
            "conversation_leads_per_impression",
            "leads per impression",
            conv_leads + 0.5,
            1 / all_impressions,
            f"estimated from your data ({conv_leads:.1f} leads from replies, mentions and "
            f"messages on {all_impressions:,.0f} staff-post impressions)",
        )
    else:
        rates["conversation_leads_per_impression"] = default_rate(
            "conversation_leads_per_impression",
            "leads per impression",
            (5e-5, 1e-5, 2e-4),
            "assumption (no staff post metrics in your data)",
        )
    if tracked > 0:
        # zero leads from many tracked clicks is strong evidence of a low rate: kept as such
        rates["leads_per_click"] = gamma_rate(
            "leads_per_click",
            "social leads per click",
            click_leads + 0.5,
            1 / tracked,
            f"estimated from your data ({click_leads:.1f} leads from clicks on staff posts, "
            f"{tracked:,.0f} clicks on their tracked links)",
        )
    else:
        rates["leads_per_click"] = default_rate(
            "leads_per_click",
            "social leads per click",
            (0.02, 0.005, 0.06),
            "assumption: no tracked clicks on staff posts in your data, so nothing shows how "
            "many clicks become leads (tag staff links with `socialroi link`)",
        )
    return rates


def _brand_ctr(t: Mapping[str, pl.DataFrame]) -> float | None:
    """Clicks per impression of brand posts (None when the data has none)."""
    brand = t["posts"].join(
        t["accounts"].filter(pl.col("owner") == "brand").select("platform", "account_id"),
        on=["platform", "account_id"],
        how="semi",
    )
    metrics = latest_snapshot(
        t["post_metrics"].join(
            brand.select("platform", "post_id"), on=["platform", "post_id"], how="semi"
        )
    )
    imp = float(metrics["impressions"].sum() or 0)
    clk = float(metrics["clicks"].fill_null(0).sum() or 0)
    return clk / imp if imp > 0 and clk > 0 else None


def _value_per_won(t: Mapping[str, pl.DataFrame], months: list[date]) -> tuple[Assumption, float]:
    """The value of a won deal (all won deals, in the window when it has 5 or more) and its cv."""
    won = t["deals"].filter(
        pl.col("won").fill_null(False) & pl.col("closed_at").is_not_null() & (pl.col("amount") > 0)
    )
    if months:
        recent = won.filter(pl.col("closed_at").dt.date() >= months[0])
        won = recent if recent.height >= 5 else won
    values = won["amount"].to_numpy().astype(float)
    if len(values) < 2:
        return default_rate(
            "value_per_won",
            "currency per won deal",
            (20_000.0, 5_000.0, 60_000.0),
            "assumption: set your typical deal value (fewer than 2 won deals in your data)",
            basis="default",
        ), 0.6
    mu = float(np.mean(values))
    cv = float(np.std(values) / mu) if mu > 0 else 0.6
    src = f"estimated from your data ({len(values)} won deals)"
    return mean_rate("value_per_won", "currency per won deal", values, src), max(cv, 0.1)


def _monthly_events(
    tables: Mapping[str, pl.DataFrame], name: str, ts: str, as_of: datetime, months: list[date]
) -> pl.DataFrame:
    df = tables.get(name)
    if df is None or df.height == 0:
        return schema.empty(name).with_columns(pl.lit(None, pl.Date).alias("month"))
    return (
        df.filter(pl.col(ts) <= as_of)
        .with_columns(month_start(pl.col(ts)).alias("month"))
        .filter(pl.col("month").is_in(months))
    )


def _count_rate(
    name: str, noun: str, count: int, n_months: int, *, enough: bool, missing: str
) -> Assumption:
    """Events per month as a Gamma posterior from `count` events in `n_months` (Jeffreys prior),
    or a stated "no data" when there are too few."""
    unit = f"{noun} per month"
    if not enough or not n_months:
        return _none(name, unit, missing)
    source = f"estimated from your data ({count} {noun} in {n_months} months)"
    return gamma_rate(name, unit, count + 0.5, 1 / n_months, source)


def _none(name: str, unit: str, why: str, basis: Basis = "data") -> Assumption:
    return Assumption(name, 0.0, 0.0, 0.0, unit, why, basis=basis)


def _means_by(df: pl.DataFrame, social: pl.Expr, column: str) -> tuple[float | None, float | None]:
    """Mean of `column` over the rows `social` marks, and over the others (None when absent)."""
    means = df.group_by(social.alias("s")).agg(pl.col(column).mean())
    by = {bool(r["s"]): r[column] for r in means.iter_rows(named=True)}
    return (
        None if by.get(True) is None else float(by[True]),
        None if by.get(False) is None else float(by[False]),
    )


def _service_rates(cases: pl.DataFrame, n_months: int, wage: float) -> dict[str, Assumption]:
    rates = {
        "service_cases_per_month": _count_rate(
            "service_cases_per_month",
            "cases",
            cases.height,
            n_months,
            enough=cases.height >= 10,
            missing="no service cases in your data",
        )
    }
    social, other = _means_by(cases, SOCIAL_CASE, "minutes_handled")
    if social is not None and other is not None:
        saving = max(0.0, (other - social) / 60 * wage)
        rates["service_saving_per_case"] = default_rate(
            "service_saving_per_case",
            "currency per case",
            (saving, saving * 0.7, saving * 1.3),
            f"estimated from your data ({other:.1f} vs {social:.1f} minutes a case, at "
            "loaded wages)",
            basis="data",
        )
    else:
        rates["service_saving_per_case"] = default_rate(
            "service_saving_per_case",
            "currency per case",
            (5.0, 3.0, 7.9),
            SERVICE_COSTS,
            cited=SERVICE_COSTS,
            money=True,
        )
    return rates


def _hiring_rates(
    hires: pl.DataFrame, all_hires: pl.DataFrame, n_months: int
) -> dict[str, Assumption]:
    rates = {
        "hires_per_month": _count_rate(
            "hires_per_month",
            "hires",
            hires.height,
            n_months,
            enough=all_hires.height >= 3,
            missing="no hires in your data",
        )
    }
    social, other = _means_by(all_hires, SOCIAL_HIRE, "cost")
    if social is not None and other is not None:
        saving = max(0.0, other - social)
        rates["hire_saving"] = default_rate(
            "hire_saving",
            "currency per hire",
            (saving, saving * 0.6, saving * 1.4),
            f"estimated from your data (cost per hire {other:,.0f} other vs "
            f"{social:,.0f} through social)",
            basis="data",
        )
    else:
        rates["hire_saving"] = default_rate(
            "hire_saving",
            "currency per hire",
            (2900.0, 1500.0, 4000.0),
            f"{SHRM}, less an assumed $1,800 per hire through social",
            cited=SHRM,
            money=True,
        )
    return rates


SOCIAL_CASE = pl.col("channel").is_in([*SOCIAL_PLATFORMS, "social"])
SOCIAL_HIRE = pl.col("source").is_in([*SOCIAL_PLATFORMS, "social"])


def _month_cv(t: Mapping[str, pl.DataFrame], months: list[date]) -> float:
    """Variation of all leads a month beyond Poisson: sqrt(max(0, (var − mean) / mean²))."""
    counts = (
        t["leads"]
        .with_columns(month_start(pl.col("created_at")).alias("month"))
        .filter(pl.col("month").is_in(months))
        .group_by("month")
        .len()["len"]
        .to_numpy()
        .astype(float)
    )
    if len(counts) < 4 or counts.mean() <= 0:
        return 0.2
    mean, var = counts.mean(), counts.var(ddof=1)
    return math.sqrt(min(1.0, max(0.0, (var - mean) / mean**2)))


def _history(monthly: pl.DataFrame, posts: pl.DataFrame, *, teams_only: bool) -> np.ndarray:
    """Social leads of the last LAG_MONTHS - 1 months, oldest first (zeros before the data)."""
    history = np.zeros(LAG_MONTHS - 1)
    leads_by_month = monthly["staff_leads"] + monthly["brand_leads"]
    if teams_only:
        # A team's untagged clicks cannot be tied to it (company-wide they are the brand's
        # leads); scale its click leads up by all clicks ÷ tracked clicks on its posts.
        clicks = posts.filter(pl.col("linked"))["clicks"].fill_null(0).sum()
        tracked = posts.filter(pl.col("tracked"))["clicks"].fill_null(0).sum()
        if tracked:
            extra = monthly["click_leads"] * (float(clicks) / float(tracked) - 1.0)
            leads_by_month = leads_by_month + extra
    tail = leads_by_month.to_numpy().astype(float)[-(LAG_MONTHS - 1) :]
    if len(tail):
        history[-len(tail) :] = tail
    return history


def team_outcomes(
    data: Pipeline | Mapping[str, pl.DataFrame],
    *,
    as_of: datetime | None = None,
    teams: Sequence[str],
    months: Sequence[date],
    model: str = "first_touch",
) -> pl.DataFrame:
    """month, leads, won, revenue of the staff of `teams` in `months`, counted as a projection
    for those teams counts them (`socialroi.policy.projected.project_from` with `teams`): what
    to hold such a projection against.

    The projection's leads come from every click on the staff's linked posts, but the data tie
    only a tracked click (and a conversation) to the employee; an untracked click's lead is the
    brand's. So, as the funnel does for its history: the social credits (the funnel's model and
    lookback) whose touch names one of the teams' employees, with each credit through a post
    click counted (all clicks ÷ tracked clicks) times, the ratio of the teams' linked posts of
    the click's month (of all their posts when that month has no tracked click; 1 when none
    has). Leads are dated by creation, won deals and revenue by close.
    """
    p = _pipeline(data, as_of)
    t = p.tables
    staff = t["employees"].filter(pl.col("team").is_in(list(teams)))["employee_id"]
    posts = _staff_posts(t).filter(pl.col("employee_id").is_in(staff.to_list()))
    clicks = pl.col("clicks").fill_null(0)
    per_month = posts.group_by("month").agg(
        clicks.filter(pl.col("linked")).sum().alias("linked"),
        clicks.filter(pl.col("tracked")).sum().alias("tracked"),
    )
    tracked_all = float(per_month["tracked"].sum() or 0)
    overall = float(per_month["linked"].sum() or 0) / tracked_all if tracked_all else 1.0
    ratios = per_month.filter(pl.col("tracked") > 0).select(
        pl.col("month").alias("touch_month"),
        (pl.col("linked") / pl.col("tracked")).alias("ratio"),
    )
    social = (
        _social_rows(p, model=model, months=list(months))
        .filter(pl.col("employee_id").is_in(staff.to_list()))
        .with_columns(month_start(pl.col("ts")).alias("touch_month"))
        .join(ratios, on="touch_month", how="left")
        .with_columns(
            pl.when(pl.col("touch_kind") == "post_click")
            .then(pl.col("ratio").fill_null(overall))
            .otherwise(1.0)
            .alias("weight")
        )
    )
    kind = pl.col("kind")
    sums = social.group_by("month").agg(
        (pl.col("credit") * pl.col("weight")).filter(kind == "lead").sum().alias("leads"),
        (pl.col("credit") * pl.col("weight")).filter(kind == "deal").sum().alias("won"),
        (pl.col("value_credit") * pl.col("weight")).filter(kind == "deal").sum().alias("revenue"),
    )
    cols = ("leads", "won", "revenue")
    return (
        pl.DataFrame({"month": list(months)}, schema={"month": pl.Date})
        .join(sums, on="month", how="left")
        .with_columns(pl.col(c).fill_null(0.0).cast(pl.Float64) for c in cols)
        .sort("month")
    )


def _pipeline(data: Pipeline | Mapping[str, pl.DataFrame], as_of: datetime | None) -> Pipeline:
    """`data` itself, or a pipeline on the tables `data` at `as_of` (the funnel's lookback)."""
    return Pipeline.of(data, as_of, lookback_days=LOOKBACK_DAYS)


def check_enough(funnel: Funnel) -> Funnel:
    """`funnel`, or a DataError when there is nothing to project from (no month of data before
    ``as_of``, or nobody employed then)."""
    if funnel.months == 0:
        raise DataError(
            f"no month of data before {funnel.as_of:%Y-%m-%d} to project from: import leads, "
            "posts and policy periods first"
        )
    if funnel.staff == 0:
        who = f" in teams {', '.join(funnel.teams)}" if funnel.teams else ""
        raise DataError(
            f"nobody employed{who} on {funnel.as_of:%Y-%m-%d}: the projection needs your staff "
            "(table employees, with start and end dates)"
        )
    return funnel


def _evidence(  # noqa: PLR0917 (the parts of the estimate it summarises)
    t: Mapping[str, pl.DataFrame],
    current: pl.DataFrame,
    posts: pl.DataFrame,
    company_monthly: pl.DataFrame,
    as_of: datetime,
    months: list[date],
) -> tuple[dict[str, int], dict[str, float], dict[str, float]]:
    """Today's policy mix (staff per policy on ``as_of``), what the store holds that a
    projection needs (see `problems`), and the recorded costs a month by category."""
    tables = t
    n_months = len(months)
    day = (as_of - timedelta(microseconds=1)).date()
    now = employee_months(current, t["policy_periods"], [day])
    mix = {str(k): int(v) for k, v in now.group_by("policy").len().iter_rows()}
    measured = posts.filter(pl.col("impressions").is_not_null())
    won_all = t["deals"].filter(
        pl.col("won").fill_null(False) & pl.col("closed_at").is_not_null() & (pl.col("amount") > 0)
    )
    window_leads = _monthly_events(tables, "leads", "created_at", as_of, months)
    evidence = {
        "months": float(n_months),
        "staff": float(current.height),
        "leads": float(window_leads.height),
        "won_deals": float(won_all.height),
        "social_leads": float(
            (company_monthly["staff_leads"] + company_monthly["brand_leads"]).sum()
        ),
        "social_won": float(company_monthly["won"].sum()),
        "social_revenue": float(company_monthly["revenue"].sum()),
        "staff_posts": float(posts.height),
        "staff_impressions": float(measured["impressions"].sum() or 0),
        "staff_clicks": float(measured.filter(pl.col("linked"))["clicks"].fill_null(0).sum() or 0),
        "tracked_clicks": float(
            measured.filter(pl.col("tracked"))["clicks"].fill_null(0).sum() or 0
        ),
    }
    costs = t["costs"].filter(pl.col("month").is_in(months)) if months else t["costs"].clear()
    costs_per_month = {
        str(c): float(v) / max(n_months, 1)
        for c, v in costs.group_by("category").agg(pl.col("amount").sum()).sort("category").rows()
    }
    return mix, evidence, costs_per_month


def estimate_funnel(
    data: Pipeline | Mapping[str, pl.DataFrame],
    *,
    as_of: datetime | None = None,
    teams: Sequence[str] | None = None,
    model: str = "first_touch",
) -> Funnel:
    """The funnel rates from the complete months up to ``as_of`` (see the module notes).

    `data` is the analysis' pipeline (its ``as_of``), or canonical tables with an explicit
    `as_of`. With `teams`, staff counts, wages, staff posts and staff leads come from those
    teams only, and the brand's leads, service cases and hires are left out (zero): a projection
    for part of the company.
    """
    p = _pipeline(data, as_of)
    as_of, t = p.as_of, p.tables
    tables = t
    months = _window(t, as_of)
    n_months = len(months)
    employees = t["employees"]
    if teams is not None:
        employees = employees.filter(pl.col("team").is_in(list(teams)))
    at = as_of.date()
    current = employees.filter(
        (pl.col("start_date").is_null() | (pl.col("start_date") <= at))
        & (pl.col("end_date").is_null() | (pl.col("end_date") >= at))
    )
    emp_months = employee_months(employees, t["policy_periods"], months)
    posts = _staff_posts(t).filter(pl.col("month").is_in(months))
    if teams is not None:
        posts = posts.join(employees.select("employee_id"), on="employee_id", how="semi")
    by_policy = _policy_estimates(emp_months, posts)
    staff_ids = employees["employee_id"].to_list() if teams is not None else None
    social = _social_rows(p, model=model, months=months)
    company_monthly = _social_monthly(social, months)
    if staff_ids is not None:
        social = social.filter(pl.col("employee_id").is_in(staff_ids))
    monthly = (
        _social_monthly(social, months)
        .join(posts.group_by("month").agg(pl.len().alias("staff_posts")), on="month", how="left")
        .join(_company_policy(emp_months), on="month", how="left")
        .with_columns(pl.col("staff_posts").fill_null(0))
    )
    staff_leads = float(monthly["staff_leads"].sum())
    click_leads = float(monthly["click_leads"].sum())
    brand_leads = float(monthly["brand_leads"].sum())

    rates: dict[str, Assumption] = {"wage": _wage(current)}
    rates |= _staff_rates(t, posts, click_leads, staff_leads - click_leads)
    if teams is None:
        rates["brand_leads_per_month"] = gamma_rate(
            "brand_leads_per_month",
            "leads per month",
            brand_leads + 0.5,
            1 / max(n_months, 1),
            f"estimated from your data ({brand_leads:.1f} leads from brand posts and other "
            f"social visits in {n_months} months)",
        )
    else:
        rates["brand_leads_per_month"] = _none(
            "brand_leads_per_month", "leads per month", TEAMS_ONLY, "definition"
        )
    rates["won_per_lead"] = _won_per_lead(t, company_monthly, months)
    rates["value_per_won"], value_cv = _value_per_won(t, months)

    company = _company_policy(emp_months)
    cases = _monthly_events(tables, "service_cases", "opened_at", as_of, months)
    rates |= _service_rates(cases, n_months, rates["wage"].central)
    for pol, est in _share_by_policy(
        cases, SOCIAL_CASE, company, "service_social_share", "service cases"
    ).items():
        by_policy.setdefault(pol, {}).update(est)
    hires = _monthly_events(tables, "hires", "hired_at", as_of, months)
    everything = tables.get("hires")
    all_hires = everything.filter(pl.col("hired_at") <= as_of) if everything is not None else hires
    rates |= _hiring_rates(hires, all_hires, n_months)
    for pol, est in _share_by_policy(
        hires, SOCIAL_HIRE, company, "hires_social_share", "hires"
    ).items():
        by_policy.setdefault(pol, {}).update(est)
    if teams is not None:
        rates["service_cases_per_month"] = _none(
            "service_cases_per_month", "cases per month", TEAMS_ONLY, "definition"
        )
        rates["hires_per_month"] = _none(
            "hires_per_month", "hires per month", TEAMS_ONLY, "definition"
        )

    history = _history(monthly, posts, teams_only=teams is not None)
    mix, evidence, costs_per_month = _evidence(t, current, posts, company_monthly, as_of, months)
    return Funnel(
        as_of=as_of,
        window=(months[0], first_incomplete_month(as_of)) if months else None,
        months=n_months,
        staff=current.height,
        teams=tuple(teams) if teams is not None else None,
        rates=rates,
        by_policy=by_policy,
        lag=_lag_pmf(t)[0],
        history_leads=history,
        month_cv=_month_cv(t, months),
        value_cv=value_cv,
        monthly=monthly,
        current=mix,
        evidence=evidence,
        costs_per_month=costs_per_month,
    )


def problems(funnel: Funnel) -> list[tuple[str, str]]:
    """Why the store cannot support a projection, each with the data that would: [] when it can.

    Needs: `MIN_PROJECT_MONTHS` complete months, staff employed on ``as_of``, leads in the window,
    won deals with an amount (what a lead is worth), and some social evidence — social leads, or
    measured impressions of staff posts (zero leads from measured clicks is evidence of a low
    rate; no leads and no measurements is no evidence at all)."""
    e = funnel.evidence
    out: list[tuple[str, str]] = []
    if funnel.months < MIN_PROJECT_MONTHS:
        out.append(
            (
                f"only {funnel.months} complete month(s) of data before {funnel.as_of:%Y-%m-%d}",
                f"at least {MIN_PROJECT_MONTHS} complete months of leads, posts and policy periods",
            )
        )
    if funnel.staff == 0:
        who = f" in teams {', '.join(funnel.teams)}" if funnel.teams else ""
        out.append(
            (
                f"nobody employed{who} on {funnel.as_of:%Y-%m-%d}",
                "table employees, with start and end dates and loaded hourly costs",
            )
        )
    if e.get("leads", 0) == 0 and e.get("won_deals", 0) == 0:
        out.append(
            (
                "no leads and no won deals in the store",
                "your CRM's leads and deals (won flag, close date and amount)",
            )
        )
    elif e.get("won_deals", 0) == 0:
        out.append(
            (
                "no won deal with an amount, so what a lead is worth is unknown",
                "won deals with their close date and amount",
            )
        )
    elif e.get("leads", 0) == 0:
        out.append(
            (
                "no leads in the window, so how leads turn into deals is unknown",
                "your CRM's leads with their creation dates",
            )
        )
    if (
        funnel.teams is None
        and e.get("social_leads", 0) == 0
        and e.get("staff_impressions", 0) == 0
    ):
        out.append(
            (
                "no social leads and no measured staff posts: nothing shows what social media "
                "brings",
                "touchpoints that tie leads to social posts (tracked links, `socialroi link`), or "
                "post metrics (impressions, clicks) of your staff's posts",
            )
        )
    return out


TEAMS_ONLY = "left out: a projection for some teams only"
