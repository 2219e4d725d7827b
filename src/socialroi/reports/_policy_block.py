"""The report's policy comparison, computed once per report, and its recommendation.

When the policy engine is installed (`socialroi.policy.compare`, options from
`socialroi.policy_file.load_policies`, rendered by `socialroi.reports._policy_section`), the
options are simulated with REPORT_DRAWS draws (fewer than the engine's default, to keep the report
quick; the method notes say so) and the summary shows the recommendation in plain words
(`socialroi.reports._policy_section.recommendation`: the gain over today's policy, its certainty
against the measured effects and the data's depth, the plausibility flag). Without it,
the section falls back to what was observed: social value per month under each policy period,
side by side, with no causal claim.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import plotly.graph_objects as go
import polars as pl

from socialroi.core.kpis import Analysis
from socialroi.errors import DataError
from socialroi.reports._format import Col, material_cost, money, number, roi_text, table
from socialroi.reports._format import html_text as _e
from socialroi.reports._words import policy_label

REPORT_DRAWS = 4_000
REPORT_MONTHS = 12


@dataclass(frozen=True)
class PolicyBlock:
    """The section body, its figures, the summary's recommendation and how it was made."""

    html: str
    recommendation: str
    simulated: bool
    figures: dict[str, go.Figure] = field(default_factory=dict)
    draws: int | None = None
    #: The lines under the recommendation (HTML), and whether it is unsure or flagged.
    recommendation_detail: str = ""
    unsure: bool = False


def _engine() -> tuple[Any, Any] | None:
    """(compare, the report's policy section module), or None when the policy engine is
    missing."""
    try:
        compare = importlib.import_module("socialroi.policy").compare
        section = importlib.import_module("socialroi.reports._policy_section")
    except (ImportError, AttributeError):
        return None
    return compare, section


def context(a: Analysis, months: int = REPORT_MONTHS) -> Any:
    """What the recommendation weighs the projection against: the won deals with a social
    touch, the months of data, and the firm's won revenue over the last `months` months."""
    from socialroi.reports._policy_section import Context

    monthly = a.monthly.sort("month")
    recent = monthly.tail(months)
    firm = float(recent["revenue"].sum()) if recent.height else None
    return Context(
        currency=a.currency,
        social_deals=a.traced.height,
        months_of_data=monthly.filter(pl.col("leads") + pl.col("deals") > 0).height,
        firm_revenue=firm,
    )


def policy_block(
    a: Analysis,
    *,
    comparison: Any = None,
    options: Mapping[str, Any] | None = None,
    draws: int = REPORT_DRAWS,
) -> PolicyBlock:
    """The comparison of policy options on the analysis' pipeline: `comparison` when the caller
    has one (a `socialroi.policy.PolicyComparison`), else one simulated here from `options`
    (default: the built-in options) with `draws` draws."""
    engine = _engine()
    if engine is None:
        return observed_block(a)
    compare, section = engine
    if comparison is None:
        try:
            comparison = compare(
                a.pipeline,
                options=options,
                months=REPORT_MONTHS,
                draws=draws,
                seed=0,
                currency=a.currency,
            )
        except DataError as exc:  # too little data to project from: say so, show what was observed
            fallback = observed_block(a)
            why = f'<p class="note">The options could not be simulated: {_e(exc)}.</p>'
            return dataclasses.replace(fallback, html=why + fallback.html)
    rec = section.recommendation(comparison, context(a, int(comparison.months)))
    body, figures = section.policy_section(comparison, currency=a.currency, rec=rec)
    return PolicyBlock(
        html=body,
        recommendation=rec.headline,
        simulated=True,
        figures=dict(figures),
        draws=int(comparison.draws),
        recommendation_detail=rec.short + ' <a href="#policy">Why, and what would decide it</a>',
        unsure=rec.unsure,
    )


def _segments(policy_periods: pl.DataFrame, as_of: datetime) -> list[tuple[date, date, str]]:
    """(from, to, label) for each stretch between policy changes; the label lists every team's
    policy in force then (``*`` is the whole company)."""
    rows = policy_periods.select("team", "from", "to", "policy").rows()
    starts = sorted({r[1] for r in rows})
    out = []
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else as_of.date()
        active: dict[str, str] = {}
        for team, frm, to, policy in sorted(rows, key=lambda r: r[1]):
            if frm <= start and (to is None or to > start):
                active[team or "*"] = policy
        if "*" in active and len(active) > 1:
            company = active.pop("*")
            active = {t: p for t, p in active.items() if p != company} | {"*": company}
        label = "; ".join(
            policy_label(p) + ("" if t == "*" else f" ({t})") for t, p in sorted(active.items())
        )
        if end > start:
            out.append((start, end, label))
    return out


def observed_block(a: Analysis) -> PolicyBlock:
    """Social results per month under each stretch of policy, as observed (no simulation)."""
    segs = _segments(a.policy_periods, a.as_of)
    if not segs:
        return PolicyBlock(
            html='<p class="note">No policy periods recorded, so there is nothing to compare. '
            "Add them to the store (table <code>policy_periods</code>).</p>",
            recommendation="No policy periods recorded yet.",
            simulated=False,
        )
    m = a.monthly
    floor = material_cost(a.summary.cost)
    rows, best = [], None
    for start, end, label in segs:
        part = m.filter((pl.col("month") >= start) & (pl.col("month") < end))
        n = part.height
        if n == 0:
            continue
        rev, cost = float(part["social_revenue"].sum()), float(part["cost"].sum())
        net = (rev - cost) / n
        leads = float(part["social_leads"].sum()) / n
        if best is None or net > best[0]:
            best = (net, label)
        rows.append(
            [
                _e(label),
                f"{start:%Y-%m} to {end:%Y-%m}",
                f"{n}",
                number(leads),
                money(rev / n, a.currency),
                money(cost / n, a.currency),
                money(net, a.currency),
                roi_text((rev - cost) / cost if cost else None, cost, floor, a.currency),
            ]
        )
    rec = (
        f"Observed so far: social net value per month was highest under {best[1]} "
        f"({money(best[0], a.currency)} a month). This is a before/after view, not a "
        "simulation of the options."
        if best
        else "Not enough months under each policy to compare."
    )
    html = (
        '<p class="sub">Social results per month under each policy, as observed. Months differ '
        "in season and market, so read this as a description, not as the effect of the policy; "
        "<code>socialroi policy</code> estimates the effects with intervals.</p>"
        + table(
            (
                Col("Policy in force"),
                Col("Months", "date"),
                Col("n", "num"),
                Col("Social leads / month", "num"),
                Col("Revenue / month", "num"),
                Col("Cost / month", "num"),
                Col("Net / month", "num"),
                Col("ROI", "num"),
            ),
            rows,
        )
    )
    return PolicyBlock(html=html, recommendation=rec, simulated=False)
