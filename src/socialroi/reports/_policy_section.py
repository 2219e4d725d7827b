"""The report's policy comparison section: recommendation, projected outcomes, what was observed
after past switches, the tornado and every assumption with its source.

`policy_section` returns the HTML (every text escaped) and the figures keyed by name; the report
places the figures after the HTML.
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np
import plotly.graph_objects as go
import polars as pl

from socialroi.policy import PolicyComparison
from socialroi.reports._format import html_text as _e
from socialroi.reports._format import money, ratio
from socialroi.reports.figures._policy import make_net_distribution, make_prob_best, make_tornado

OBSERVED_METRIC = "revenue"


def net_quantiles(comparison: PolicyComparison) -> pl.DataFrame:
    """option, p5, p25, p50, p75, p95, mean of net value over the horizon."""
    p = comparison.projection
    net = p.total("net")
    q = np.percentile(net, [5, 25, 50, 75, 95], axis=1)
    return pl.DataFrame(
        {
            "option": list(p.names),
            "p5": q[0],
            "p25": q[1],
            "p50": q[2],
            "p75": q[3],
            "p95": q[4],
            "mean": net.mean(axis=1),
        }
    )


def best_option(comparison: PolicyComparison) -> str | None:
    if comparison.summary.height == 0:
        return None
    ranked = comparison.summary.sort(["prob_best", "net_mean"], descending=True)
    return str(ranked["option"][0])


def _summary_table(comparison: PolicyComparison, currency: str) -> str:
    rows = []
    for r in comparison.summary.sort("net_mean", descending=True).iter_rows(named=True):
        rows.append(
            f"<tr><td>{_e(r['option'])}</td>"
            f'<td class="num">{r["prob_best"]:.0%}</td>'
            f'<td class="num">{money(r["net_mean"], currency)}</td>'
            f'<td class="num">{money(r["net_p5"], currency)} to '
            f"{money(r['net_p95'], currency)}</td>"
            f'<td class="num">{ratio(r["roi_p50"])}</td>'
            f'<td class="num">{money(r["revenue_mean"], currency)}</td>'
            f'<td class="num">{money(r["cost_mean"], currency)}</td>'
            f'<td class="num">{money(r["productivity_mean"], currency)}</td>'
            f'<td class="num">{money(r["service_mean"] + r["recruiting_mean"], currency)}</td>'
            "</tr>"
        )
    return (
        '<div class="scroll"><table><thead><tr><th>Option</th><th class="num">Best in</th>'
        '<th class="num">Net value (mean)</th><th class="num">90% range</th>'
        '<th class="num">ROI (median)</th><th class="num">Revenue</th>'
        '<th class="num">Costs</th><th class="num">Work time</th>'
        '<th class="num">Service + hiring</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _value(v: float) -> str:
    return f"{v:,.4g}" if abs(v) < 1e6 else f"{v:,.0f}"


def _assumptions_table(comparison: PolicyComparison) -> str:
    rows = []
    for r in comparison.assumptions.iter_rows(named=True):
        span = (
            _e(_value(r["central"]))
            if r["low"] == r["high"]
            else f"{_e(_value(r['central']))} ({_e(_value(r['low']))} to {_e(_value(r['high']))})"
        )
        rows.append(
            f"<tr><td>{_e(r['option'])}</td><td>{_e(r['assumption'])}</td>"
            f'<td class="num">{span}</td><td>{_e(r["unit"])}</td>'
            f'<td class="post">{_e(r["source"])}</td></tr>'
        )
    return (
        '<div class="scroll"><table><thead><tr><th>Option</th><th>Assumption</th>'
        '<th class="num">Value (range)</th><th>Unit</th><th>Source</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _estimate_row(r: dict[str, Any], currency: str) -> str:
    is_money = r["metric"] in ("revenue", "net_value")

    def fmt(v: float) -> str:
        return money(v, currency) if is_money else f"{v:,.1f}"

    what = f"{fmt(r['effect'])} a month ({fmt(r['low'])} to {fmt(r['high'])})"
    checks = []
    if r["pre_trend_p"] is not None:
        checks.append(f"pre-trend p = {r['pre_trend_p']:.2f}")
    if r["placebo_low"] is not None and r["placebo_high"] is not None:
        checks.append(f"placebo {fmt(r['placebo_low'])} to {fmt(r['placebo_high'])}")
    return (
        f"<tr><td class='date'>{r['switch_date']}</td><td>{_e(r['from_policy'])} → "
        f"{_e(r['to_policy'])}</td><td>{_e(r['teams'])}</td><td>{_e(r['method'])}</td>"
        f"<td>{_e(r['metric'])}</td><td class='num'>{_e(what)}</td>"
        f"<td class='post'>{_e('; '.join(checks))}</td></tr>"
    )


def _observed_html(comparison: PolicyComparison, currency: str) -> str:
    """Estimated effects in a table; the rows the data could not carry, one line per reason."""
    obs = comparison.observed
    if obs is None or obs.estimates.height == 0:
        return (
            '<p class="note">No dated policy switch in the data to measure, so only the '
            "projection is shown.</p>"
        )
    done = pl.col("verdict") == "estimate"
    shown = obs.estimates.filter(done & pl.col("effect").is_not_null())
    rows = [_estimate_row(r, currency) for r in shown.iter_rows(named=True)]
    keys = ["switch_date", "from_policy", "to_policy", "teams", "method", "reason"]
    thin = (
        obs.estimates.filter(~done | pl.col("effect").is_null())
        .group_by(keys, maintain_order=True)
        .agg(pl.col("metric"))
    )
    notes = [
        f"<li>{r['switch_date']} {_e(r['from_policy'])} → {_e(r['to_policy'])} "
        f"({_e(r['teams'])}, {_e(r['method'])}; {_e(', '.join(r['metric']))}): "
        f"{_e(r['reason'] or 'not estimated')}</li>"
        for r in thin.iter_rows(named=True)
    ]
    table = (
        '<div class="scroll"><table><thead><tr><th>Switch</th><th>Policies</th><th>Teams</th>'
        '<th>Method</th><th>Metric</th><th class="num">Effect (90% interval)</th>'
        f"<th>Checks</th></tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
        if rows
        else ""
    )
    thin_html = (
        f'<p class="note">Not estimated, and why:</p><ul class="note">{"".join(notes)}</ul>'
        if notes
        else ""
    )
    return (
        '<h3>What past switches did</h3><p class="sub">The change each dated switch made, '
        "with its 90% interval: an interrupted time series when every team switched, a "
        "difference-in-differences against the teams that did not. A pre-trend p-value below "
        "0.05, or a placebo interval that excludes zero, says the estimate is fragile.</p>"
        + table
        + thin_html
    )


def _observed_figure(comparison: PolicyComparison, currency: str) -> go.Figure | None:
    obs = comparison.observed
    if obs is None or obs.series.height == 0:
        return None
    try:
        module = importlib.import_module("socialroi.reports.figures._observed")
    except ImportError:
        return None
    make: Any = getattr(module, "make_observed_chart", None)
    if make is None:
        return None
    fig: go.Figure = make(obs.series, obs.estimates, metric=OBSERVED_METRIC, currency=currency)
    return fig


def policy_section(
    comparison: PolicyComparison, *, currency: str
) -> tuple[str, dict[str, go.Figure]]:
    """The section's HTML and its figures by name (net value, chance best, tornado, observed)."""
    best = best_option(comparison)
    p = comparison.projection
    card = (
        '<div class="cards"><div class="card" style="grid-column:1/-1">'
        '<div class="label">Recommendation</div>'
        f'<div class="detail" style="font-size:1.05rem;color:inherit">'
        f"{_e(comparison.recommendation)}</div></div></div>"
    )
    lead = (
        f'<p class="sub">{p.draws:,} simulations of the next {p.months} months for each option, '
        f"from your own funnel as of {comparison.as_of:%Y-%m-%d} (reach, clicks, leads, won "
        "deals and deal value, each with the uncertainty of what the data shows) and the "
        "assumptions below. Net value = revenue from social-sourced leads + work time gained or "
        "lost + service and hiring savings − costs. “Best in” is the share of simulations in "
        "which the option's expected net value is the highest.</p>"
    )
    tornado_note = (
        f'<p class="note">The tornado swings each input of {_e(best)} from its low to its high '
        "value, the others held at their central values: the longest bars are the assumptions "
        "worth checking first.</p>"
        if best
        else ""
    )
    html = (
        card
        + lead
        + _summary_table(comparison, currency)
        + tornado_note
        + _observed_html(comparison, currency)
        + "<h3>Assumptions and their sources</h3>"
        + '<p class="note">“estimated from your data” replaces a default where the store has '
        "periods under that policy; “assumption: set this for your company” marks what no "
        "source settles (set it in config/policies.toml).</p>"
        + f"<details><summary>All {comparison.assumptions.height} assumptions and rates"
        + "</summary>"
        + _assumptions_table(comparison)
        + "</details>"
    )
    figures: dict[str, go.Figure] = {
        "policy_net": make_net_distribution(
            net_quantiles(comparison), currency=currency, months=p.months
        ),
        "policy_best": make_prob_best(comparison.summary),
    }
    if best is not None:
        figures["policy_tornado"] = make_tornado(
            comparison.sensitivity, option=best, currency=currency
        )
    observed = _observed_figure(comparison, currency)
    if observed is not None:
        figures["policy_observed"] = observed
    return html, figures
