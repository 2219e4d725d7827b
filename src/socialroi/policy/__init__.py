"""Policy comparison: what each social-media policy did, and what each would do.

`compare` puts together the observed effects of past policy switches
(`socialroi.policy.observed.observe`) and a Monte Carlo projection of every option
(`socialroi.policy.projected`) over the company's own funnel (`socialroi.policy.funnel`), and states
a recommendation with its uncertainty. Pure: tables in, a `PolicyComparison` out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from socialroi.core.pipeline import Pipeline
from socialroi.core.vocabulary import short_money
from socialroi.policy.funnel import LOOKBACK_DAYS, Funnel, check_enough, estimate_funnel
from socialroi.policy.observed import ObservedEffects, observe
from socialroi.policy.options import PolicyOption, default_options
from socialroi.policy.projected import (
    Projection,
    calibrate,
    project,
    sensitivity_frame,
    summary_frame,
)

__all__ = ["PolicyComparison", "compare", "recommendation_text", "short_money"]


@dataclass(frozen=True)
class PolicyComparison:
    """The comparison the CLI prints and the report shows.

    * ``options``: the options compared, with the data's estimates in place of defaults;
    * ``observed``: effects of past switches (None when that analysis is not available);
    * ``summary``: per option mean/p5/p50/p95 of net value and ROI over the horizon, mean
      revenue, costs and other lines, and ``prob_best``;
    * ``sensitivity``: the tornado (see `socialroi.policy.projected.sensitivity_frame`);
    * ``assumptions``: every option's assumptions and the funnel's rates with unit and source;
    * ``recommendation``: the best option stated with its uncertainty.
    """

    options: Mapping[str, PolicyOption]
    observed: ObservedEffects | None
    summary: pl.DataFrame
    sensitivity: pl.DataFrame
    assumptions: pl.DataFrame
    recommendation: str
    months: int
    draws: int
    seed: int
    as_of: datetime
    currency: str
    funnel: Funnel
    projection: Projection


def recommendation_text(summary: pl.DataFrame, *, months: int, currency: str) -> str:
    """The option most often best, with its chance of being best and its net value's 90%
    range; names the runner-up when the choice is close."""
    if summary.height == 0:
        return "No options to compare."
    ranked = summary.sort(["prob_best", "net_mean"], descending=True)
    best = ranked.row(0, named=True)
    text = (
        f"{best['option']}: best in {best['prob_best']:.0%} of simulations; net value "
        f"{short_money(best['net_mean'], currency, sign=True)} (90% range "
        f"{short_money(best['net_p5'], currency, sign=True)} to "
        f"{short_money(best['net_p95'], currency, sign=True)}) over {months} months"
    )
    if ranked.height > 1:
        second = ranked.row(1, named=True)
        if best["prob_best"] < 0.8 and second["prob_best"] > 0:
            text += (
                f". Not settled: {second['option']} is best in {second['prob_best']:.0%} "
                "of simulations"
            )
    return text + "."


def assumptions_frame(options: Mapping[str, PolicyOption], funnel: Funnel) -> pl.DataFrame:
    """option ('(your data)' for funnel rates), assumption, central, low, high, unit, source."""
    pairs = [(name, a) for name, opt in options.items() for a in opt.assumptions.values()]
    pairs += [("(your data)", a) for a in funnel.rates.values()]
    rows = [
        {
            "option": name,
            "assumption": a.name,
            "central": a.central,
            "low": a.low,
            "high": a.high,
            "unit": a.unit,
            "source": a.source,
        }
        for name, a in pairs
    ]
    return pl.DataFrame(
        rows,
        schema={
            "option": pl.String,
            "assumption": pl.String,
            "central": pl.Float64,
            "low": pl.Float64,
            "high": pl.Float64,
            "unit": pl.String,
            "source": pl.String,
        },
    )


def compare(
    data: Pipeline | Mapping[str, pl.DataFrame],
    *,
    options: Mapping[str, PolicyOption] | None = None,
    as_of: datetime | None = None,
    months: int = 12,
    draws: int = 10_000,
    seed: int = 0,
    currency: str = "USD",
    model: str = "first_touch",
    observed: bool = True,
    progress: Callable[[str, int, int], None] | None = None,
) -> PolicyComparison:
    """Compare the options (default: the five with their defaults) on the data up to ``as_of``.

    `data` is the analysis' pipeline (`socialroi.core.pipeline.Pipeline`, whose ``as_of`` and
    cached credits are used: nothing is recomputed), or canonical tables with an explicit `as_of`.

    `model` is the attribution model that decides which leads and deals are social;
    ``observed=False`` skips the observed effects of past switches. Raises DataError when the
    store has no month of data before `as_of` or nobody employed then. `progress(step, done,
    total)` is called as each step starts ("funnel", "simulate", "summarise", "observed") and
    once more with done == total at the end.
    """
    if isinstance(data, Pipeline):
        if as_of is not None and as_of != data.as_of:
            raise ValueError(f"as_of {as_of} differs from the pipeline's {data.as_of}")
        p = data
    elif as_of is None:
        raise ValueError("give as_of with tables")
    else:
        p = Pipeline(data, as_of=as_of, lookback_days=LOOKBACK_DAYS)
    steps = 4 if observed else 3
    report = progress or (lambda step, done, total: None)
    report("funnel", 0, steps)
    funnel = check_enough(estimate_funnel(p, model=model))
    chosen = {
        name: calibrate(opt, funnel)
        for name, opt in (default_options() if options is None else options).items()
    }
    report("simulate", 1, steps)
    projection = project(funnel, list(chosen.values()), months=months, draws=draws, seed=seed)
    report("summarise", 2, steps)
    summary = summary_frame(projection)
    if observed:
        report("observed", 3, steps)
    effects = observe(p) if observed else None
    report("done", steps, steps)
    return PolicyComparison(
        options=chosen,
        observed=effects,
        summary=summary,
        sensitivity=sensitivity_frame(funnel, list(chosen.values()), months=months),
        assumptions=assumptions_frame(chosen, funnel),
        recommendation=recommendation_text(summary, months=months, currency=currency),
        months=months,
        draws=draws,
        seed=seed,
        as_of=p.as_of,
        currency=currency,
        funnel=funnel,
        projection=projection,
    )
