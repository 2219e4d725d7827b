"""The report's policy comparison section: the recommendation in plain words, each option's gain
over today's policy, what was measured after past switches, what moves the answer, and every
assumption with where it came from.

`policy_section` returns the HTML (every text escaped) and the figures keyed by name; the report
places the figures after the options table. `recommendation` states the leading option with a
certainty that matches the evidence (see its docstring); the summary card shows the same words.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import plotly.graph_objects as go
import polars as pl

from socialroi.core.sourced import SOCIAL_SOURCED
from socialroi.policy import PolicyComparison
from socialroi.reports._format import Col, money, short_money, table
from socialroi.reports._format import html_text as _e
from socialroi.reports._words import assumption_label, plain, policy_label
from socialroi.reports.figures._policy import make_gain_ranges, make_prob_best, make_tornado

OBSERVED_METRIC = "revenue"
OK = "ok"
CURRENT = "current_policy"
#: Fewer won deals with a social touch than this, or fewer months of history, is thin data: the
#: recommendation says "we cannot tell yet" whatever the simulation says.
THIN_DEALS = 10
THIN_MONTHS = 6
#: Metrics of an observed effect, most telling first.
OBSERVED_ORDER = ("net_value", "revenue", "deals", "leads")
METRIC_WORDS = {
    "leads": "social leads",
    "deals": "won social deals",
    "revenue": "social revenue",
    "net_value": "social net value",
}
METHOD_WORDS = {
    "its": "before and after (the months before predict the months after)",
    "did": "against the teams that did not switch",
}
BASIS_WORDS = {
    "data": "from your data",
    "cited": "a cited source",
    "default": "a default: set it for your company",
    "user": "set by you",
    "definition": "what the option is",
}


def _sp(value: float | None, currency: str) -> str:
    return short_money(value, currency, sign=True)


def _label(r: dict[str, Any]) -> str:
    if r["option"] == CURRENT:
        return "Keep today's policy"
    return str(r.get("label") or policy_label(r["option"]))


def ok_rows(comparison: PolicyComparison) -> pl.DataFrame:
    """The options that could be projected, today's own row (gain 0 by definition) left out."""
    s = comparison.summary
    return s.filter((pl.col("status") == OK) & (pl.col("option") != CURRENT))


def best_option(comparison: PolicyComparison) -> str | None:
    ranked = ok_rows(comparison).sort(
        ["chance_best", "gain_mean"], descending=True, nulls_last=True
    )
    return None if ranked.height == 0 else str(ranked["option"][0])


@dataclass(frozen=True)
class Context:
    """What the recommendation weighs the projection against, from the analysis."""

    currency: str
    social_deals: int
    months_of_data: int
    #: Won revenue of the whole firm over the last `months` months (None: not known).
    firm_revenue: float | None = None


@dataclass(frozen=True)
class Recommendation:
    """The headline (plain text), the lines under it (HTML), and whether it is unsure."""

    headline: str
    detail: str
    unsure: bool
    #: Two or three short lines for the summary card (HTML).
    short: str = ""


def _observed_for(comparison: PolicyComparison, option: str) -> dict[str, Any] | None:
    """The measured effect of past switches to `option` on the most telling metric."""
    obs = comparison.observed
    if obs is None or obs.estimates.height == 0:
        return None
    est = obs.estimates.filter(
        (pl.col("to_policy") == option)
        & (pl.col("verdict") == "estimate")
        & pl.col("effect").is_not_null()
        & pl.col("low").is_not_null()
    )
    for metric in OBSERVED_ORDER:
        rows = est.filter(pl.col("metric") == metric)
        if rows.height:
            return rows.sort("switch_date", descending=True).row(0, named=True)
    return None


def _unmeasured_for(comparison: PolicyComparison, option: str) -> dict[str, Any] | None:
    """A past switch to `option` that the data could not measure (with its reason), if any."""
    obs = comparison.observed
    if obs is None or obs.estimates.height == 0:
        return None
    rows = obs.estimates.filter(pl.col("to_policy") == option)
    if rows.height == 0:
        return None
    return rows.sort("switch_date", descending=True).row(0, named=True)


def _amount(value: float, metric: str, currency: str) -> str:
    if metric in ("revenue", "net_value"):
        return _sp(value, currency)
    return f"{value:+,.1f}".replace("-", "−")


def _observed_line(r: dict[str, Any], currency: str) -> tuple[str, bool]:
    """The measured effect in words, and whether its interval crosses zero."""
    m = r["metric"]
    crosses = r["low"] <= 0 <= r["high"]
    teams = "the whole company" if r["teams"] in ("*", "", None) else r["teams"].replace("+", ", ")
    when = r["switch_date"]
    when_text = when.strftime("%b %Y") if isinstance(when, date) else str(when)
    verdict = (
        "so it could still be zero" if crosses else ("above zero" if r["low"] > 0 else "below zero")
    )
    text = (
        f"Measured when {_e(teams)} switched to {_e(policy_label(r['to_policy']))} in "
        f"{when_text} ({_e(METHOD_WORDS.get(r['method'], r['method']))}): "
        f"{_amount(r['effect'], m, currency)} {METRIC_WORDS.get(m, m)} a month (90% range "
        f"{_amount(r['low'], m, currency)} to {_amount(r['high'], m, currency)}), {verdict}."
    )
    return text, crosses


def _drivers(comparison: PolicyComparison, option: str, n: int = 3) -> list[str]:
    s = comparison.sensitivity
    if s.height == 0 or "swing" not in s.columns:
        return []
    rows = s.filter((pl.col("option") == option) & (pl.col("swing") > 0)).sort(
        "swing", descending=True
    )
    out = []
    for r in rows.head(n).iter_rows(named=True):
        basis = BASIS_WORDS.get(str(r.get("basis") or ""), "")
        label = assumption_label(r["assumption"])
        label = label[:1].lower() + label[1:]
        out.append(_e(label) + (f" ({basis})" if basis else ""))
    return out


def _flag(comparison: PolicyComparison, r: dict[str, Any], currency: str) -> str:
    """The plausibility flag of option row `r`, in plain words ('' when it passes)."""
    if r.get("plausible") is not False:
        return ""
    drivers = _drivers(comparison, r["option"])
    rests = f" It rests most on {', '.join(drivers)}." if drivers else ""
    return (
        f'<div class="flag"><b>Check before acting:</b> a gain of {_sp(r["gain_mean"], currency)} '
        f"is more than {comparison.plausible_multiple:g}× the "
        f"{money(comparison.social_sourced_revenue, currency)} of {SOCIAL_SOURCED} revenue your "
        f"data show over the last {comparison.months} months — more than social media has brought "
        f"you so far.{rests}</div>"
    )


def _cannot_project(comparison: PolicyComparison) -> Recommendation:
    reasons = "; ".join(getattr(comparison, "reasons", ())) or "no option could be projected"
    needed = list(getattr(comparison, "needed", ()))
    need = f" What would decide it: {_e(plain('; '.join(needed)))}." if needed else ""
    text = f"The options could not be projected: {_e(plain(reasons))}.{need}"
    return Recommendation("We cannot tell yet which policy pays best.", text, True, short=text)


def _gain_line(comparison: PolicyComparison, r: dict[str, Any], cur: str) -> str:
    shares = getattr(comparison, "baseline", {}) or {}
    today = ", ".join(
        f"{policy_label(k)} {v:.0%}" for k, v in sorted(shares.items(), key=lambda kv: -kv[1])
    )
    return (
        f"Projected gain over today's policy{f' ({_e(today)} of staff)' if today else ''}: "
        f"<b>{_sp(r['gain_mean'], cur)}</b> over {comparison.months} months (90% range "
        f"{_sp(r['gain_p5'], cur)} to {_sp(r['gain_p95'], cur)}); best in "
        f"{r['chance_best']:.0%} of simulations."
    )


def _scale_line(comparison: PolicyComparison, ctx: Context) -> str:
    cur, months = ctx.currency, comparison.months
    scale = []
    base = getattr(comparison, "baseline_revenue", None)
    if base is not None:
        scale.append(
            f"today's policy is projected to bring {short_money(base[0], cur)} of social revenue "
            f"over the same months ({short_money(base[1], cur)} to {short_money(base[2], cur)})"
        )
    scale.append(
        f"your data show {short_money(_sourced(comparison), cur)} of {SOCIAL_SOURCED} revenue "
        f"over the last {months} months"
    )
    if ctx.firm_revenue is not None:
        scale.append(f"the firm won {short_money(ctx.firm_revenue, cur)} in all")
    return "For scale: " + "; ".join(scale) + "."


def _sourced(comparison: PolicyComparison) -> float:
    """The policy engine's `social_sourced_revenue`: the revenue of social-sourced contacts
    (whole deals, the funnel's first-touch credits), so the report names it social-sourced, as
    in the summary."""
    return float(getattr(comparison, "social_sourced_revenue", 0.0) or 0.0)


@dataclass(frozen=True)
class _Evidence:
    """What the data measured about a switch to the leading option."""

    lines: list[str]
    short: str
    measured: bool
    #: The measured range crosses zero, or a switch exists that could not be measured yet.
    open_question: bool


def _evidence(comparison: PolicyComparison, best: str, cur: str) -> _Evidence:
    observed = _observed_for(comparison, best)
    if observed is not None:
        text, crosses = _observed_line(observed, cur)
        m = observed["metric"]
        short = (
            f" Measured after your own switch: {_amount(observed['effect'], m, cur)} "
            f"{METRIC_WORDS.get(m, m)} a month, "
            + ("could still be zero." if crosses else "clearly not zero.")
        )
        return _Evidence([text], short, measured=True, open_question=crosses)
    unmeasured = _unmeasured_for(comparison, best)
    if unmeasured is None:
        return _Evidence(
            ["No earlier switch to this option is in your data to measure."], "", False, False
        )
    when = unmeasured["switch_date"]
    when_text = when.strftime("%b %Y") if isinstance(when, date) else str(when)
    why = plain(str(unmeasured.get("reason") or "too little data"))
    line = (
        f"Your own switch to {_e(policy_label(best))} in {when_text} cannot be measured yet: "
        f"{_e(why)}."
    )
    return _Evidence([line], " Your own switch to it cannot be measured yet.", False, True)


def _needs(r: dict[str, Any], ctx: Context, evidence: _Evidence, best: str) -> list[str]:
    """What data would decide it (empty: nothing stands in the way of a firm answer)."""
    needs = []
    if ctx.social_deals < THIN_DEALS or ctx.months_of_data < THIN_MONTHS:
        needs.append(
            f"more history: {ctx.social_deals} won deals with a social touch over "
            f"{ctx.months_of_data} months so far; at least {THIN_DEALS} deals and "
            f"{THIN_MONTHS} months are needed"
        )
    if evidence.open_question:
        needs.append(
            f"more months under {policy_label(best)}, or a team that switches later than the "
            "others, so that the measured effect can be told apart from zero"
        )
    if r["gain_p5"] <= 0 <= r["gain_p95"]:
        needs.append(
            "firmer inputs: the projected range includes losing money; set the assumptions "
            "marked as defaults for your company"
        )
    return needs


def recommendation(comparison: PolicyComparison, ctx: Context) -> Recommendation:
    """The leading option in plain words, with a certainty that matches the evidence.

    "We cannot tell yet" when nothing could be projected, when the data are thin (fewer than
    THIN_DEALS won deals with a social touch or THIN_MONTHS months), when the projected gain's
    90% range crosses zero, when the measured effect of an earlier switch to the same option
    has a 90% range that crosses zero, or when such a switch could not be measured yet; each
    time with what data would decide it. "Looks best, but check" when the gain is flagged as
    implausible; otherwise "likely", saying whether the measurement agrees. The gain is over
    today's policy, set next to today's projected social revenue, the social-sourced revenue of
    as long a period and the firm's own revenue.
    """
    cur, months = ctx.currency, comparison.months
    best = best_option(comparison)
    if getattr(comparison, "status", OK) != OK or best is None:
        return _cannot_project(comparison)
    r = ok_rows(comparison).filter(pl.col("option") == best).row(0, named=True)
    name = _label(r)
    evidence = _evidence(comparison, best, cur)
    lines = [_gain_line(comparison, r, cur), _scale_line(comparison, ctx), *evidence.lines]
    needs = _needs(r, ctx, evidence, best)
    flag = _flag(comparison, r, cur)
    if needs:
        headline = f"We cannot tell yet: {name} leads the simulation, but the evidence is thin."
        lines.append("What would decide it: " + "; ".join(_e(n) for n in needs) + ".")
    elif flag:
        headline = f"{name} looks best, but the projected gain needs checking before acting."
    elif evidence.measured:
        headline = f"{name} is likely the best option: the simulation and your own switch agree."
    else:
        headline = f"{name} is likely the best option, on the simulation alone."
    sourced = _sourced(comparison)
    against = "more than" if r["gain_mean"] > sourced else "against"
    short = (
        f"{_sp(r['gain_mean'], cur)} over today's policy in {months} months (90% range "
        f"{_sp(r['gain_p5'], cur)} to {_sp(r['gain_p95'], cur)}), {against} the "
        f"{short_money(sourced, cur)} of {SOCIAL_SOURCED} revenue of the last {months} months."
        f"{evidence.short}"
        + (" <b>Check before acting</b>: larger than social has brought so far." if flag else "")
    )
    detail = "".join(f"<div>{line}</div>" for line in lines) + flag
    return Recommendation(headline, detail, unsure=bool(needs or flag), short=short)


def _options_table(comparison: PolicyComparison, currency: str) -> str:
    s = comparison.summary.sort(
        [pl.col("status") != OK, "gain_mean"], descending=[False, True], nulls_last=True
    )
    rows = []
    for r in s.iter_rows(named=True):
        name = _e(_label(r))
        if r.get("today_share"):
            name += f'<br><span class="post">today: {r["today_share"]:.0%} of staff</span>'
        if r["status"] != OK:
            reason = _e(r.get("reason") or "cannot project")
            rows.append([name, f"cannot project: {reason}", "–", "–", "–", "–"])
            continue
        if r["option"] == CURRENT:
            roi = "–"
        elif r.get("roi") is not None:
            roi = f"{r['roi'] * 100:,.0f}%".replace("-", "−")
        else:
            note = str(r.get("roi_note") or "n/a").removeprefix("n/a:").strip()
            roi = f"n/a — {_e(note)}" if note and note != "n/a" else "n/a"
        rows.append(
            [
                name,
                _sp(r["gain_mean"], currency),
                f"{_sp(r['gain_p5'], currency)}&nbsp;to {_sp(r['gain_p95'], currency)}",
                f"{r['chance_best']:.0%}",
                _sp(r["cost_incremental_mean"], currency),
                roi,
            ]
        )
    cols = (
        Col("Option"),
        Col("Gain over today", "num"),
        Col("90% range", "num"),
        Col("Chance best", "num"),
        Col("Extra cost", "num"),
        Col("ROI", "num", "Gain ÷ extra cost, shown where the extra cost is material"),
    )
    return table(cols, rows, cls="options wide")


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
        who = "Your data" if r["option"] == "(your data)" else policy_label(r["option"])
        evidence = r.get("evidence") or ""
        source = _e(r["source"]) + (f"<br><i>{_e(evidence)}</i>" if evidence else "")
        rows.append(
            [
                _e(who),
                _e(assumption_label(r["assumption"])),
                span,
                _e(r["unit"]),
                _e(BASIS_WORDS.get(str(r.get("basis") or ""), "")),
                f'<span class="post">{source}</span>',
            ]
        )
    cols = (
        Col("Option"),
        Col("Assumption"),
        Col("Value (range)", "num"),
        Col("Unit"),
        Col("Where from"),
        Col("Source", "text"),
    )
    return table(cols, rows)


def _checks(r: dict[str, Any]) -> str:
    """The two checks of an estimate in words."""
    out = []
    p = r.get("pre_trend_p")
    if p is None:
        out.append("whether the groups already differed before: cannot check")
    elif p < 0.05:
        out.append("the groups already differed before the switch: fragile")
    else:
        out.append("no difference before the switch")
    lo, hi = r.get("placebo_low"), r.get("placebo_high")
    if lo is None or hi is None or (lo == 0 and hi == 0):
        out.append("a made-up switch date: cannot check")
    elif lo > 0 or hi < 0:
        out.append("a made-up switch date shows an effect too: fragile")
    else:
        out.append("a made-up switch date shows none")
    return "; ".join(out)


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
    rows = []
    for r in shown.iter_rows(named=True):
        m = r["metric"]
        rows.append(
            [
                f"{r['switch_date']}",
                f"{_e(policy_label(r['from_policy']))} → {_e(policy_label(r['to_policy']))}",
                _e("whole company" if r["teams"] == "*" else r["teams"].replace("+", ", ")),
                _e(METHOD_WORDS.get(r["method"], r["method"])),
                _e(METRIC_WORDS.get(m, m)),
                f"{_amount(r['effect'], m, currency)} a month ({_amount(r['low'], m, currency)} "
                f"to {_amount(r['high'], m, currency)})",
                _e(_checks(r)),
            ]
        )
    keys = ["switch_date", "from_policy", "to_policy", "teams", "method", "reason"]
    thin = (
        obs.estimates.filter(~done | pl.col("effect").is_null())
        .group_by(keys, maintain_order=True)
        .agg(pl.col("metric"))
    )
    notes = [
        f"<li>{r['switch_date']} {_e(policy_label(r['from_policy']))} → "
        f"{_e(policy_label(r['to_policy']))} ({_e(METHOD_WORDS.get(r['method'], r['method']))}; "
        f"{_e(', '.join(METRIC_WORDS.get(m, m) for m in r['metric']))}): "
        f"{_e(r['reason'] or 'not estimated')}</li>"
        for r in thin.iter_rows(named=True)
    ]
    cols = (
        Col("Switch", "date"),
        Col("Policies"),
        Col("Teams"),
        Col("Compared"),
        Col("Measure"),
        Col("Effect (90% range)", "num"),
        Col("Checks", "text"),
    )
    thin_html = (
        f'<p class="note">Not measured, and why:</p><ul class="note">{"".join(notes)}</ul>'
        if notes
        else ""
    )
    return (
        '<h3>What past switches did</h3><p class="sub">The change each dated switch made, with '
        "its 90% range: before and after when every team switched, against the teams that did "
        "not when some did. A range that includes zero means the data cannot tell the effect "
        "from chance. Two checks: whether the groups already differed before the switch, and "
        "whether a made-up switch date shows an effect too; either makes the estimate fragile."
        "</p>" + (table(cols, rows) if rows else "") + thin_html
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
    comparison: PolicyComparison, *, currency: str, rec: Recommendation | None = None
) -> tuple[str, dict[str, go.Figure]]:
    """The section's HTML and its figures by name (gain ranges, chance best, tornado,
    observed)."""
    best = best_option(comparison)
    card = ""
    if rec is not None:
        unsure = " unsure" if rec.unsure else ""
        card = (
            f'<div class="cards"><div class="card rec{unsure}"><div class="label">'
            f'Recommendation</div><div class="value">{_e(rec.headline)}</div>'
            f'<div class="detail">{rec.detail}</div></div></div>'
        )
    draws = comparison.projection.draws if comparison.projection is not None else 0
    lead = (
        f'<p class="sub">Each option is simulated {draws:,} times over the next '
        f"{comparison.months} months from your own funnel as of {comparison.as_of:%Y-%m-%d} "
        "(reach, clicks, leads, won deals and deal value, each with the uncertainty of what the "
        "data show, and the month-to-month luck) and the assumptions below. The gain is the "
        "change from carrying on with today's policy: revenue from social leads, work time "
        "gained or lost, service and hiring savings, less the extra costs. “Chance best” is "
        "the share of simulations in which the option comes out ahead.</p>"
    )
    tornado_note = (
        f'<p class="note">The last chart swings each input of {_e(policy_label(best))} from '
        "its low to its high value, the others held at their central values: the longest bars "
        "are the assumptions worth checking first.</p>"
        if best
        else ""
    )
    html = (
        card
        + lead
        + _options_table(comparison, currency)
        + tornado_note
        + _observed_html(comparison, currency)
        + "<h3>Assumptions and their sources</h3>"
        + '<p class="note">“From your data” replaces a default where the store has periods '
        "under that policy; “a default: set it for your company” marks what no source settles "
        "(set it in config/policies.toml).</p>"
        + f"<details><summary>All {comparison.assumptions.height} assumptions and rates"
        + "</summary>"
        + _assumptions_table(comparison)
        + "</details>"
    )
    ok = ok_rows(comparison)
    figures: dict[str, go.Figure] = {}
    if ok.height:
        figures["policy_net"] = make_gain_ranges(
            ok,
            labels=[_label(r) for r in ok.iter_rows(named=True)],
            currency=currency,
            months=comparison.months,
        )
        figures["policy_best"] = make_prob_best(
            ok, labels=[_label(r) for r in ok.iter_rows(named=True)]
        )
    if best is not None and comparison.sensitivity.height:
        figures["policy_tornado"] = make_tornado(
            comparison.sensitivity, option=best, label=policy_label(best), currency=currency
        )
    observed = _observed_figure(comparison, currency)
    if observed is not None:
        figures["policy_observed"] = observed
    return html, figures


__all__: Sequence[str] = (
    "Context",
    "Recommendation",
    "best_option",
    "policy_section",
    "recommendation",
)
