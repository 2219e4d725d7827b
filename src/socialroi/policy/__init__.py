"""Policy comparison: what each social-media policy did, and what each would do.

`compare` puts together the observed effects of past policy switches
(`socialroi.policy.observed.observe`) and a Monte Carlo projection of every option as the change
from continuing today's policy (`socialroi.policy.projected`) over the company's own funnel
(`socialroi.policy.funnel`), and states a recommendation with its uncertainty — or, when the
store cannot support a projection, says "cannot project", why, and what data would. Pure: tables
in, a `PolicyComparison` out.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import polars as pl

from socialroi.core.pipeline import Pipeline
from socialroi.core.vocabulary import short_money
from socialroi.policy.funnel import LOOKBACK_DAYS, Funnel, estimate_funnel, problems
from socialroi.policy.observed import ObservedEffects, observe
from socialroi.policy.options import (
    Assumption,
    PolicyOption,
    default_options,
    in_currency,
)
from socialroi.policy.projected import (
    NEEDED,
    SENSITIVITY_SCHEMA,
    Projection,
    baseline_weights,
    calibrate,
    project,
    sensitivity_frame,
)

__all__ = [
    "CANNOT",
    "CURRENT",
    "MATERIAL_SHARE",
    "OK",
    "PLAUSIBLE_MULTIPLE",
    "PolicyComparison",
    "compare",
    "recommendation_text",
    "short_money",
    "summary_frame",
]

OK = "ok"
CANNOT = "cannot project"
#: The summary row of today's policy when it is a mix of options (its gain is 0 by definition).
CURRENT = "current_policy"
#: An option's incremental cost is material — its ROI is shown — when it is at least this share
#: of the company's recorded costs over the horizon, and at least one workday of staff time
#: (8 hours at the mean loaded wage); else ROI is "n/a".
MATERIAL_SHARE = 0.02
#: An option's gain is flagged ("check before acting", never hidden) when it exceeds this
#: multiple of the social-sourced revenue in your data over a period as long as the horizon (and
#: the material cost, so that noise around a store with almost no social revenue is not flagged).
#: Why 1×: a gain is the *change* from today's policy, so a gain above 1× means social media would
#: have to bring more than twice what it has ever brought the company — something no figure in
#: the store supports, so the number then rests on assumptions rather than on the data. A flag
#: costs a second look; a larger multiple would pass gains several times the company's whole
#: social revenue, which is what an unfounded default produces (the previous advocacy defaults
#: projected 3 to 19 times the leads the validation worlds expected: benchmarks/policy-results.md).
PLAUSIBLE_MULTIPLE = 1.0
#: How many tornado inputs a plausibility flag names.
DRIVERS = 3
BASIS_TEXT = {
    "data": "from your data",
    "cited": "cited source",
    "default": "default you must set",
    "user": "set by you",
    "definition": "the option's definition",
}


@dataclass(frozen=True)
class PolicyComparison:
    """The comparison the CLI prints and the report shows.

    * ``status``: "ok", or "cannot project" with ``reasons`` and the data ``needed``;
    * ``summary``: one row per option (and a "current_policy" row when today's policy is a mix):
      label, status, reason, today_share, chance_best, gain_mean/p5/p50/p95 (the change from
      today's policy over the horizon), the lines of that gain, cost_incremental_mean, ROI (or
      null with roi_note "n/a: …"), plausible and plausibility_note (see `summary_frame`);
    * ``baseline_text``: what today's policy is taken to be; ``baseline``: its option shares;
      ``baseline_revenue`` (mean, p5, p95): social revenue under it over the horizon, deals
      already in the pipeline included; ``social_sourced_revenue``: the revenue of won deals
      whose contact's first touch (in the funnel's lookback) was organic social, over a period
      as long as the horizon (for scale and the plausibility flag); ``recorded_costs``: the costs
      table's monthly mean × months (the same in every option);
    * ``material_cost``: the incremental cost below which ROI is "n/a";
    * ``sensitivity``: the tornado (`socialroi.policy.projected.sensitivity_frame`);
    * ``assumptions``: every option's assumptions and the funnel's rates: central, mean, range,
      unit, basis, source, evidence, currency;
    * ``projection``: the simulation (None when nothing could be projected).
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
    projection: Projection | None
    status: str = OK
    reasons: tuple[str, ...] = ()
    needed: tuple[str, ...] = ()
    baseline: Mapping[str, float] = dataclasses.field(default_factory=dict)
    baseline_text: str = ""
    baseline_revenue: tuple[float, float, float] | None = None
    social_sourced_revenue: float = 0.0
    recorded_costs: float = 0.0
    material_cost: float = 0.0
    plausible_multiple: float = PLAUSIBLE_MULTIPLE


SUMMARY_SCHEMA: dict[str, Any] = {
    "option": pl.String,
    "label": pl.String,
    "status": pl.String,
    "reason": pl.String,
    "today_share": pl.Float64,
    "chance_best": pl.Float64,
    "gain_mean": pl.Float64,
    "gain_p5": pl.Float64,
    "gain_p50": pl.Float64,
    "gain_p95": pl.Float64,
    "revenue_gain_mean": pl.Float64,
    "leads_gain_mean": pl.Float64,
    "won_gain_mean": pl.Float64,
    "productivity_gain_mean": pl.Float64,
    "service_gain_mean": pl.Float64,
    "recruiting_gain_mean": pl.Float64,
    "cost_incremental_mean": pl.Float64,
    "cost_total_mean": pl.Float64,
    "roi": pl.Float64,
    "roi_p5": pl.Float64,
    "roi_p95": pl.Float64,
    "roi_note": pl.String,
    "plausible": pl.Boolean,
    "plausibility_note": pl.String,
}


def _money(x: float, currency: str) -> str:
    return short_money(x, currency, sign=True)


def recommendation_text(
    summary: pl.DataFrame, *, months: int, currency: str, reasons: tuple[str, ...] = ()
) -> str:
    """The option most often best among those projected, with its chance of being best and its
    gain's 90% range; names the runner-up when the choice is close. "Cannot project" with the
    reasons when nothing could be projected."""
    ok = summary.filter(pl.col("status") == OK) if "status" in summary.columns else summary
    if ok.height == 0:
        why = "; ".join(reasons) or "no options to compare"
        return f"Cannot project: {why}."
    ranked = ok.sort(["chance_best", "gain_mean"], descending=True, nulls_last=True)
    best = ranked.row(0, named=True)
    name = best.get("label") or best["option"]
    if best["option"] == CURRENT or best.get("today_share") == 1.0:
        text = f"Keep today's policy ({name}): best in {best['chance_best']:.0%} of simulations"
    else:
        text = (
            f"{name}: best in {best['chance_best']:.0%} of simulations; gain over today's "
            f"policy {_money(best['gain_mean'], currency)} (90% range "
            f"{_money(best['gain_p5'], currency)} to {_money(best['gain_p95'], currency)})"
        )
    text += f" over {months} months"
    if ranked.height > 1:
        second = ranked.row(1, named=True)
        if best["chance_best"] < 0.8 and (second["chance_best"] or 0) > 0:
            other = second.get("label") or second["option"]
            text += f". Not settled: {other} is best in {second['chance_best']:.0%} of simulations"
    return text + "."


def assumptions_frame(options: Mapping[str, PolicyOption], funnel: Funnel) -> pl.DataFrame:
    """option ('(your data)' for funnel rates), assumption, central, mean, low, high, unit,
    basis, source, evidence, currency."""
    pairs = [(name, a) for name, opt in options.items() for a in opt.assumptions.values()]
    pairs += [("(your data)", a) for a in funnel.rates.values()]
    rows = [
        {
            "option": name,
            "assumption": a.name,
            "central": a.central,
            "mean": a.mean,
            "low": a.low,
            "high": a.high,
            "unit": a.unit,
            "basis": a.basis,
            "source": a.source,
            "evidence": a.evidence,
            "currency": a.currency,
        }
        for name, a in pairs
    ]
    return pl.DataFrame(
        rows,
        schema={
            "option": pl.String,
            "assumption": pl.String,
            "central": pl.Float64,
            "mean": pl.Float64,
            "low": pl.Float64,
            "high": pl.Float64,
            "unit": pl.String,
            "basis": pl.String,
            "source": pl.String,
            "evidence": pl.String,
            "currency": pl.String,
        },
    )


def _in_currency(
    options: Mapping[str, PolicyOption],
    funnel: Funnel,
    currency: str,
    fx: Mapping[str, float],
) -> tuple[dict[str, PolicyOption], Funnel, list[str]]:
    """Options and funnel with money values in `currency`, and the values that cannot be
    converted (no rate): 'option key (USD)'."""
    refused: list[str] = []
    out: dict[str, PolicyOption] = {}
    for name, opt in options.items():
        values: dict[str, Assumption] = {}
        for key, a in opt.assumptions.items():
            got = in_currency(a, currency, fx)
            if got is None:
                if a.high != 0:
                    refused.append(f"{name} {key} ({a.currency} {a.central:,.4g})")
                got = a
            values[key] = got
        out[name] = dataclasses.replace(opt, assumptions=values)
    rates: dict[str, Assumption] = {}
    for key, a in funnel.rates.items():
        got = in_currency(a, currency, fx)
        if got is None:
            refused.append(f"your data's {key} fallback ({a.currency} {a.central:,.4g})")
            got = a
        rates[key] = got
    return out, dataclasses.replace(funnel, rates=rates), refused


def _chance_best(gains: np.ndarray) -> np.ndarray:
    """(rows, draws) → share of draws each row has the highest gain; exact ties share."""
    top = gains.max(axis=0)
    ties = (gains == top[None, :]).astype(float)
    return np.asarray((ties / ties.sum(axis=0)[None, :]).mean(axis=1))


def _roi(gain: np.ndarray, cost: np.ndarray, material: float, currency: str) -> dict[str, Any]:
    mean_cost = float(cost.mean())
    if mean_cost < material:
        what = (
            "saves money or costs nothing more"
            if mean_cost <= 0
            else f"incremental cost {short_money(mean_cost, currency)} is below "
            f"{short_money(material, currency)}"
        )
        return {"roi": None, "roi_p5": None, "roi_p95": None, "roi_note": f"n/a: {what}"}
    ratio = gain / np.where(cost > 0, cost, np.nan)
    ratio = ratio[np.isfinite(ratio)]
    q = np.percentile(ratio, [5, 95]) if len(ratio) else [None, None]
    return {
        "roi": float(gain.mean()) / mean_cost,
        "roi_p5": None if q[0] is None else float(q[0]),
        "roi_p95": None if q[1] is None else float(q[1]),
        "roi_note": None,
    }


def _drivers(sensitivity: pl.DataFrame, option: str) -> str:
    rows = sensitivity.filter((pl.col("option") == option) & (pl.col("swing") > 0)).head(DRIVERS)
    return ", ".join(
        f"{r['assumption']} ({BASIS_TEXT.get(r['basis'], r['basis'])})"
        for r in rows.iter_rows(named=True)
    )


def _unfounded(
    sensitivity: pl.DataFrame, funnel: Funnel, option: str, material: float
) -> list[tuple[str, str]]:
    """Funnel rates with no data and no source that move `option`'s gain materially."""
    out = []
    rows = sensitivity.filter(
        (pl.col("option") == option)
        & (pl.col("kind") == "funnel")
        & (pl.col("basis") == "default")
        & (pl.col("swing") > material)
    )
    for r in rows.iter_rows(named=True):
        key = r["assumption"]
        out.append((f"{key}: {funnel.rates[key].source}", NEEDED.get(key, f"data for {key}")))
    return out


def summary_frame(
    p: Projection,
    sensitivity: pl.DataFrame,
    funnel: Funnel,
    *,
    currency: str,
    material: float,
    sourced: float,
    recorded: float,
) -> pl.DataFrame:
    """One row per option, and a "current_policy" row (gain 0) when today's policy is a mix.

    Gains are predictive (luck included): mean, 5th, 50th, 95th percentile over the horizon.
    An option whose gain rests materially on a funnel rate with no data and no source is "cannot
    project" (its numbers null, the reason names the rate and the data it needs). chance_best is
    over the projected rows. ROI = mean gain ÷ mean incremental cost, when that cost is material
    (else null and roi_note "n/a: …"). plausible is False when the mean gain exceeds
    `PLAUSIBLE_MULTIPLE` × `sourced` (the social-sourced revenue in your data over as long a
    period) and the material cost; the note names the inputs that drive it most (tornado).
    """
    gain, cost = p.total("gain"), p.total("cost")
    rows: list[dict[str, Any]] = []
    blocked: dict[str, list[tuple[str, str]]] = {
        name: _unfounded(sensitivity, funnel, name, material) for name in p.names
    }
    mixed = max(p.weights.values()) < 1.0
    eligible = [i for i, name in enumerate(p.names) if not blocked[name]]
    pool = [gain[i] for i in eligible] + ([np.zeros(p.draws)] if mixed else [])
    chances = _chance_best(np.vstack(pool)) if pool else np.array([])
    chance = {p.names[i]: float(chances[j]) for j, i in enumerate(eligible)}
    for i, opt in enumerate(p.options):
        name = opt.name
        row: dict[str, Any] = dict.fromkeys(SUMMARY_SCHEMA)
        row |= {"option": name, "label": opt.label, "today_share": p.weights.get(name, 0.0)}
        if blocked[name]:
            row |= {
                "status": CANNOT,
                "reason": "; ".join(f"{why} — needs {need}" for why, need in blocked[name]),
            }
            rows.append(row)
            continue
        g = gain[i]
        q = np.percentile(g, [5, 50, 95])
        row |= {
            "status": OK,
            "chance_best": chance[name],
            "gain_mean": float(g.mean()),
            "gain_p5": float(q[0]),
            "gain_p50": float(q[1]),
            "gain_p95": float(q[2]),
            "cost_incremental_mean": float(cost[i].mean()),
            "cost_total_mean": recorded + float(cost[i].mean()),
        }
        for line in ("revenue", "leads", "won", "productivity", "service", "recruiting"):
            row[f"{line}_gain_mean"] = float(p.total(line)[i].mean())
        row |= _roi(g, cost[i], material, currency)
        limit = PLAUSIBLE_MULTIPLE * sourced
        row["plausible"] = not (row["gain_mean"] > max(limit, material))
        if not row["plausible"]:
            row["plausibility_note"] = (
                f"a gain of {_money(row['gain_mean'], currency)} is more than "
                f"{PLAUSIBLE_MULTIPLE:g}× the {short_money(sourced, currency)} of social-sourced "
                f"revenue in your data over {p.months} months; it rests most on "
                f"{_drivers(sensitivity, name)}"
            )
        rows.append(row)
    if mixed:
        row = dict.fromkeys(SUMMARY_SCHEMA)
        parts = ", ".join(f"{k} {v:.0%}" for k, v in p.weights.items())
        row |= {
            "option": CURRENT,
            "label": f"Keep today's policies ({parts})",
            "status": OK,
            "today_share": 1.0,
            "chance_best": float(chances[-1]),
            "gain_mean": 0.0,
            "gain_p5": 0.0,
            "gain_p50": 0.0,
            "gain_p95": 0.0,
            "cost_incremental_mean": 0.0,
            "cost_total_mean": recorded,
            "roi_note": "n/a: today's policy",
            "plausible": True,
        }
        for line in ("revenue", "leads", "won", "productivity", "service", "recruiting"):
            row[f"{line}_gain_mean"] = 0.0
        rows.append(row)
    return pl.DataFrame(rows, schema=SUMMARY_SCHEMA)


def _cannot(
    options: Mapping[str, PolicyOption],
    funnel: Funnel,
    reasons: list[tuple[str, str]],
    **common: Any,
) -> PolicyComparison:
    rows = []
    why = "; ".join(r for r, _ in reasons)
    for name, opt in options.items():
        row: dict[str, Any] = dict.fromkeys(SUMMARY_SCHEMA)
        row |= {"option": name, "label": opt.label, "status": CANNOT, "reason": why}
        rows.append(row)
    text = recommendation_text(
        pl.DataFrame(rows, schema=SUMMARY_SCHEMA),
        months=common["months"],
        currency=common["currency"],
        reasons=tuple(r for r, _ in reasons),
    )
    needs = tuple(n for _, n in reasons)
    return PolicyComparison(
        options=options,
        summary=pl.DataFrame(rows, schema=SUMMARY_SCHEMA),
        sensitivity=pl.DataFrame(schema=SENSITIVITY_SCHEMA),
        assumptions=assumptions_frame(options, funnel),
        recommendation=text + " Needed: " + "; ".join(needs) + ".",
        funnel=funnel,
        projection=None,
        status=CANNOT,
        reasons=tuple(r for r, _ in reasons),
        needed=needs,
        **common,
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
    fx: Mapping[str, float] | None = None,
    model: str = "first_touch",
    observed: bool = True,
    progress: Callable[[str, int, int], None] | None = None,
) -> PolicyComparison:
    """Compare the options (default: the five with their defaults) on the data up to ``as_of``,
    each as the change from continuing today's policy.

    `data` is the analysis' pipeline (`socialroi.core.pipeline.Pipeline`, whose ``as_of`` and
    cached credits are used: nothing is recomputed), or canonical tables with an explicit `as_of`.

    `currency` is the reporting currency; built-in money defaults (USD) are converted with
    ``fx[code]`` (units of `currency` per unit of code) or, without a rate, the comparison is
    "cannot project" naming them. `model` is the attribution model that decides which leads and
    deals are social; ``observed=False`` skips the observed effects of past switches. A store
    that cannot support a projection gives status "cannot project" with reasons and the data
    needed (no exception). `progress(step, done, total)` is called as each step starts
    ("funnel", "simulate", "summarise", "observed") and once more with done == total at the end.
    """
    p = Pipeline.of(data, as_of, lookback_days=LOOKBACK_DAYS)
    steps = 4 if observed else 3
    report = progress or (lambda step, done, total: None)
    report("funnel", 0, steps)
    raw = estimate_funnel(p, model=model)
    given = default_options() if options is None else dict(options)
    priced, funnel, refused = _in_currency(given, raw, currency, fx or {})
    chosen = {name: calibrate(opt, funnel) for name, opt in priced.items()}
    effects = None
    if observed:
        report("observed", 3, steps)
        effects = observe(p)
    common: dict[str, Any] = {
        "observed": effects,
        "months": months,
        "draws": draws,
        "seed": seed,
        "as_of": p.as_of,
        "currency": currency,
    }
    issues = problems(funnel)
    if refused:
        codes = sorted({r.split("(")[-1].split()[0] for r in refused})
        issues.append(
            (
                f"built-in amounts are in {', '.join(codes)} and your currency is {currency}: "
                + "; ".join(refused),
                f"[policy] fx = {{ {codes[0]} = <{currency} per {codes[0]}> }} in the config, or "
                f"these values in the policies file in {currency}",
            )
        )
    if issues:
        report("done", steps, steps)
        return _cannot(chosen, funnel, issues, **common)
    report("simulate", 1, steps)
    weights, text = baseline_weights(funnel, list(chosen))
    opts = list(chosen.values())
    projection = project(funnel, opts, months=months, draws=draws, seed=seed, baseline=weights)
    report("summarise", 2, steps)
    sensitivity = sensitivity_frame(funnel, opts, months=months, baseline=weights)
    recorded = sum(funnel.costs_per_month.values()) * months
    material = max(MATERIAL_SHARE * recorded, 8 * funnel.rates["wage"].central)
    sourced = funnel.evidence.get("social_revenue", 0.0) / max(funnel.months, 1) * months
    summary = summary_frame(
        projection,
        sensitivity,
        funnel,
        currency=currency,
        material=material,
        sourced=sourced,
        recorded=recorded,
    )
    revenue = projection.baseline["revenue"].sum(axis=1)
    q = np.percentile(revenue, [5, 95])
    report("done", steps, steps)
    return PolicyComparison(
        options=chosen,
        summary=summary,
        sensitivity=sensitivity,
        assumptions=assumptions_frame(chosen, funnel),
        recommendation=recommendation_text(summary, months=months, currency=currency),
        funnel=funnel,
        projection=projection,
        baseline=weights,
        baseline_text=text,
        baseline_revenue=(float(revenue.mean()), float(q[0]), float(q[1])),
        social_sourced_revenue=sourced,
        recorded_costs=recorded,
        material_cost=material,
        **common,
    )
