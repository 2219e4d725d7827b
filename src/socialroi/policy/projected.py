"""Projected outcomes of each policy option: a vectorised, seeded Monte Carlo.

For every option, `project` draws the option's assumptions and the company's funnel rates
(`socialroi.policy.funnel`) `draws` times and simulates `months` months:

* staff posts a month = staff × participation × posts per participant per week × 52/12;
* expected social leads a month = (staff posts × reach per post × (share of posts with a link ×
  clicks per impression of a linked post × leads per click + leads from conversations per
  impression) × lead multiplier + brand leads a month × brand posting multiplier) × the month's
  demand shock (Gamma with mean 1 and the month-to-month variation seen in the data);
* won deals close after the lead → won lag seen in the data (leads from the months before the
  projection keep closing); revenue = won deals × deal value;
* costs: staff time (posts × minutes per post at the mean loaded wage), headcount (FTE ×
  2,080/12 hours a month at that wage), tools, monitoring per seat, and training (hours per
  employee at loaded wages plus a fee) in the first month;
* non-revenue lines: work time gained or lost (workdays per employee a year × 8 hours × loaded
  wage, signed), service cases handled over social × the saving per case, hires through social ×
  the saving per hire;
* net value = revenue + productivity + service + recruiting − costs; ROI = net value ÷ costs.

Outcomes include the luck of single months (Poisson leads and won deals, Gamma deal values) so
their intervals are predictive. The probability that an option is best compares the options'
*expected* net value within each draw of the uncertain inputs (every option sees the same draw of
the funnel and the same uniform for the same assumption), so it measures what we do not know about
the options, not the month-to-month luck they all share. The sensitivity (tornado) swings one
input at a time from its low to its high value with every other at its central value.
Pure and deterministic for a given seed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import polars as pl

from socialroi.errors import ConfigError
from socialroi.policy.funnel import (
    HOURS_PER_WORKDAY,
    RATE_KEYS,
    WEEKS_PER_MONTH,
    Funnel,
    check_enough,
    estimate_funnel,
)
from socialroi.policy.options import ASSUMPTIONS, Assumption, PolicyOption, default_options

HOURS_PER_FTE_MONTH = 2080.0 / 12.0
#: Funnel rates that vary by draw (the rest of Funnel.rates are fixed: the wage).
FUNNEL_DRAWN: tuple[str, ...] = tuple(k for k in RATE_KEYS if k != "wage")
LINES: tuple[str, ...] = (
    "leads",
    "won",
    "revenue",
    "cost",
    "productivity",
    "service",
    "recruiting",
    "net",
)
#: Options whose staff behave as under acceptable use when the data has no period of their own.
STAFF_LIKE: dict[str, str] = {"dedicated_manager": "acceptable_use"}
#: Assumptions a data estimate of the option's own policy may replace.
FROM_DATA: tuple[str, ...] = (
    "participation",
    "posts_per_week",
    "link_share",
    "reach_per_post",
    "service_social_share",
    "hires_social_share",
)


def calibrate(option: PolicyOption, funnel: Funnel) -> PolicyOption:
    """`option` with its data-estimable assumptions replaced by the funnel's estimates.

    An assumption the user set (``from_data`` False) is kept. Participation, posting rate and
    reach come from periods under the option's own policy (dedicated_manager: acceptable use's);
    reach falls back to all staff posts; the service and hiring shares come from the option's
    own policy only. A ban keeps zero posting unless the data shows staff posting under it.
    """
    own = funnel.by_policy.get(option.name, {})
    staff_like = funnel.by_policy.get(STAFF_LIKE.get(option.name, option.name), {})
    new: dict[str, Assumption] = {}
    for key in FROM_DATA:
        current = option.assumptions[key]
        if not current.from_data:
            continue
        if key in ("service_social_share", "hires_social_share"):
            est = own.get(key)
        else:
            est = staff_like.get(key)
        if est is None and key == "reach_per_post":
            est = funnel.rates.get("reach_per_post")
            if est is not None and est.source.startswith("assumption"):
                est = None
        if est is not None:
            new[key] = est
    return option.replace(**new) if new else option


@dataclass(frozen=True)
class Projection:
    """Simulated outcomes: ``lines[name]`` is an (options, draws, months) array with luck
    included; ``expected[name]`` the same without month-to-month luck. ``options`` are the
    calibrated options in the order simulated."""

    options: tuple[PolicyOption, ...]
    months: int
    draws: int
    seed: int
    lines: Mapping[str, np.ndarray]
    expected: Mapping[str, np.ndarray]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(o.name for o in self.options)

    def index(self, option: str) -> int:
        return self.names.index(option)

    def total(self, line: str, *, expected: bool = False) -> np.ndarray:
        """(options, draws): `line` summed over the months."""
        src = self.expected if expected else self.lines
        return np.asarray(src[line].sum(axis=2))

    def roi(self) -> np.ndarray:
        """(options, draws): net value ÷ costs over the horizon; NaN where nothing is spent."""
        cost = self.total("cost")
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(cost > 0, self.total("net") / np.where(cost > 0, cost, 1), np.nan)

    def interval(
        self,
        line: str,
        *,
        option: str | None = None,
        level: float = 0.8,
        months: slice | None = None,
    ) -> tuple[float, float]:
        """The central `level` interval of `line` summed over `months` (default: all) for
        `option` (default: the first)."""
        i = 0 if option is None else self.index(option)
        x = self.lines[line][i][:, months if months is not None else slice(None)].sum(axis=1)
        tail = (1 - level) / 2 * 100
        lo, hi = np.percentile(x, [tail, 100 - tail])
        return float(lo), float(hi)

    def prob_best(self) -> np.ndarray:
        """Per option: the share of draws in which its expected net value is the highest."""
        net = self.total("net", expected=True)
        best = np.argmax(net, axis=0)
        return np.bincount(best, minlength=len(self.options)) / self.draws


def _option_values(
    options: Sequence[PolicyOption], uniforms: Mapping[str, np.ndarray], rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """key → (options, draws): each option's assumption draws; the same uniform for the same key
    in every option (so an option with higher values on every input draws higher values)."""
    out: dict[str, np.ndarray] = {}
    for key in ASSUMPTIONS:
        rows = []
        for opt in options:
            a = opt.assumptions[key]
            if a.dist == "triangular":
                rows.append(a.quantile(uniforms[key]))
            else:
                rows.append(a.draw(rng, len(uniforms[key])))
        out[key] = np.vstack(rows)
    return out


def _pipeline(lag: np.ndarray, history: np.ndarray, months: int) -> np.ndarray:
    """Per projected month: the leads of the months before the projection that close then
    (weighted by the lag), the same for every option and draw."""
    h = len(history)
    out = np.zeros(months)
    for m in range(months):
        for k in range(m + 1, min(len(lag), h + m + 1)):
            out[m] += lag[k] * history[h + m - k]
    return out


def _simulate(
    funnel: Funnel,
    v: Mapping[str, np.ndarray],
    f: Mapping[str, np.ndarray],
    shock: np.ndarray,
    *,
    months: int,
    rng: np.random.Generator | None,
) -> dict[str, np.ndarray]:
    """Lines (options, draws, months). `v`: option values (options, draws); `f`: funnel values
    (draws,); `shock`: (draws, months). Without `rng`, expected values (no luck)."""
    staff, wage = float(funnel.staff), funnel.rates["wage"].central
    posts = staff * v["participation"] * v["posts_per_week"] * WEEKS_PER_MONTH  # (O, D)
    per_click = f["clicks_per_impression"] * f["leads_per_click"]
    per_post = v["reach_per_post"] * (
        v["link_share"] * per_click + f["conversation_leads_per_impression"]
    )
    rate = posts * per_post * v["lead_multiplier"]
    rate = rate + f["brand_leads_per_month"] * v["brand_posts_multiplier"]
    lam = rate[:, :, None] * shock[None, :, :]  # (O, D, M)
    leads = rng.poisson(lam).astype(float) if rng is not None else lam

    lagged = _pipeline(funnel.lag, funnel.history_leads, months)[None, None, :] + np.zeros_like(lam)
    for k, w in enumerate(funnel.lag[:months]):
        if w > 0:
            lagged[:, :, k:] += w * leads[:, :, : months - k]
    won_mean = f["won_per_lead"][None, :, None] * lagged
    value = f["value_per_won"][None, :, None]
    if rng is not None:
        won = rng.poisson(won_mean).astype(float)
        a = 1.0 / funnel.value_cv**2
        revenue = rng.gamma(won * a, 1.0) * (value / a)
    else:
        won = won_mean
        revenue = won_mean * value

    monthly_cost = (
        posts * v["minutes_per_post"] / 60 * wage
        + v["fte"] * HOURS_PER_FTE_MONTH * wage
        + v["tools_per_month"]
        + v["monitoring_per_seat"] * staff
    )
    once = v["training_hours"] * staff * wage + v["training_fee"]
    productivity = v["productivity_workdays"] * HOURS_PER_WORKDAY * wage * staff / 12
    service = (
        f["service_cases_per_month"] * v["service_social_share"] * f["service_saving_per_case"]
    )
    recruiting = f["hires_per_month"] * v["hires_social_share"] * f["hire_saving"]
    shape = lam.shape

    def monthly(x: np.ndarray) -> np.ndarray:
        """(options, draws) → (options, draws, months), a read-only view."""
        return np.broadcast_to(x[:, :, None], shape)

    cost = np.repeat(monthly_cost[:, :, None], months, axis=2)
    cost[:, :, 0] += once
    net = revenue + (productivity + service + recruiting - monthly_cost)[:, :, None]
    net[:, :, 0] -= once
    return {
        "leads": leads,
        "won": won,
        "revenue": revenue,
        "cost": cost,
        "productivity": monthly(productivity),
        "service": monthly(service),
        "recruiting": monthly(recruiting),
        "net": net,
    }


def _check(options: Sequence[PolicyOption], months: int, draws: int) -> None:
    if not options:
        raise ConfigError("no policy options to project")
    if months < 1:
        raise ConfigError(f"months must be at least 1, not {months}")
    if draws < 1:
        raise ConfigError(f"draws must be at least 1, not {draws}")
    names = [o.name for o in options]
    if len(set(names)) != len(names):
        raise ConfigError(f"option names repeat: {names}")


def project(
    funnel: Funnel,
    options: Sequence[PolicyOption],
    *,
    months: int = 12,
    draws: int = 10_000,
    seed: int = 0,
    luck: bool = True,
) -> Projection:
    """Simulate every option over `months` months, `draws` times (options as given: call
    `calibrate` first to use the data's estimates). ``luck=False`` leaves out month-to-month luck
    (the lines equal the expected ones)."""
    _check(options, months, draws)
    rng = np.random.default_rng(seed)
    uniforms = {key: rng.random(draws) for key in ASSUMPTIONS}
    v = _option_values(options, uniforms, rng)
    f = {k: funnel.rates[k].draw(rng, draws) for k in FUNNEL_DRAWN}
    cv = funnel.month_cv
    shock = rng.gamma(1 / cv**2, cv**2, (draws, months)) if cv > 0 else np.ones((draws, months))
    expected = _simulate(funnel, v, f, shock, months=months, rng=None)
    lines = _simulate(funnel, v, f, shock, months=months, rng=rng) if luck else expected
    return Projection(tuple(options), months, draws, seed, lines, expected)


def summary_frame(p: Projection) -> pl.DataFrame:
    """Per option: mean, p5, p50, p95 of net value and ROI; mean revenue, cost, leads, won;
    the probability of being best."""
    net, roi = p.total("net"), p.roi()
    pb = p.prob_best()
    rows = []
    for i, name in enumerate(p.names):
        r = roi[i][np.isfinite(roi[i])]
        q = np.percentile(net[i], [5, 50, 95])
        rq = np.percentile(r, [5, 50, 95]) if len(r) else [None, None, None]
        rows.append(
            {
                "option": name,
                "net_mean": float(net[i].mean()),
                "net_p5": float(q[0]),
                "net_p50": float(q[1]),
                "net_p95": float(q[2]),
                "roi_mean": float(r.mean()) if len(r) else None,
                "roi_p5": None if rq[0] is None else float(rq[0]),
                "roi_p50": None if rq[1] is None else float(rq[1]),
                "roi_p95": None if rq[2] is None else float(rq[2]),
                "revenue_mean": float(p.total("revenue")[i].mean()),
                "cost_mean": float(p.total("cost")[i].mean()),
                "productivity_mean": float(p.total("productivity")[i].mean()),
                "service_mean": float(p.total("service")[i].mean()),
                "recruiting_mean": float(p.total("recruiting")[i].mean()),
                "leads_mean": float(p.total("leads")[i].mean()),
                "won_mean": float(p.total("won")[i].mean()),
                "prob_best": float(pb[i]),
            }
        )
    schema = {"option": pl.String} | {k: pl.Float64 for k in rows[0] if k != "option"}
    return pl.DataFrame(rows, schema=schema)


def sensitivity_frame(
    funnel: Funnel, options: Sequence[PolicyOption], *, months: int
) -> pl.DataFrame:
    """The tornado: per option and input, expected net value with that input at its low and at
    its high value, every other at its central value; sorted by swing (widest first) per option.

    Columns: option, assumption, kind ('option' | 'funnel'), unit, low, high, net_low,
    net_high, swing.
    """
    keys_o = list(ASSUMPTIONS)
    keys_f = list(FUNNEL_DRAWN)
    scenarios = 1 + 2 * (len(keys_o) + len(keys_f))
    rows = []
    for opt in options:
        v = {k: np.full((1, scenarios), opt.assumptions[k].central) for k in keys_o}
        f = {k: np.full(scenarios, funnel.rates[k].central) for k in keys_f}
        col = 1
        where: list[tuple[str, str, Assumption, int]] = []
        for k in keys_o:
            a = opt.assumptions[k]
            v[k][0, col], v[k][0, col + 1] = a.low, a.high
            where.append((k, "option", a, col))
            col += 2
        for k in keys_f:
            a = funnel.rates[k]
            f[k][col], f[k][col + 1] = a.low, a.high
            where.append((k, "funnel", a, col))
            col += 2
        net = _simulate(funnel, v, f, np.ones((scenarios, months)), months=months, rng=None)["net"]
        total = net.sum(axis=2)[0]
        for k, kind, a, c in where:
            lo, hi = float(total[c]), float(total[c + 1])
            rows.append(
                {
                    "option": opt.name,
                    "assumption": k,
                    "kind": kind,
                    "unit": a.unit,
                    "low": a.low,
                    "high": a.high,
                    "net_central": float(total[0]),
                    "net_low": lo,
                    "net_high": hi,
                    "swing": abs(hi - lo),
                }
            )
    df = pl.DataFrame(rows)
    order = {o.name: i for i, o in enumerate(options)}
    return (
        df.with_columns(pl.col("option").replace_strict(order, return_dtype=pl.Int64).alias("_o"))
        .sort(["_o", "swing", "assumption"], descending=[False, True, False])
        .drop("_o")
    )


def project_from(
    tables: Mapping[str, pl.DataFrame],
    *,
    as_of: datetime,
    option_name: str,
    months: int = 12,
    draws: int = 10_000,
    seed: int = 0,
    options: Mapping[str, PolicyOption] | None = None,
    teams: Sequence[str] | None = None,
    model: str = "first_touch",
) -> Projection:
    """A projection made only from the data before `as_of`, for one option: the backtest.

    The funnel and the option's data estimates come from the complete months before `as_of`
    (nothing dated on or after it is read); the option's assumptions are then simulated over the
    `months` months from `as_of`. With `teams`, only those teams' staff, posts and leads are
    projected (the brand's leads, service and hiring are left out). ``Projection.interval('leads'
    | 'won' | 'revenue', level=0.8)`` gives the predictive interval to hold the outcome against.
    """
    opts = dict(options) if options is not None else default_options()
    if option_name not in opts:
        raise ConfigError(f"unknown option '{option_name}'; options are: {', '.join(opts)}")
    funnel = check_enough(estimate_funnel(tables, as_of=as_of, teams=teams, model=model))
    option = calibrate(opts[option_name], funnel)
    return project(funnel, [option], months=months, draws=draws, seed=seed)
