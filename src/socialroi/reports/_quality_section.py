"""The report's data-quality section (match rates, missing data, API gaps, failed runs), the
assumptions behind the numbers, and the short method notes."""

from __future__ import annotations

import polars as pl

from socialroi.core.kpis import Analysis
from socialroi.core.redact import redact_run_log
from socialroi.core.sourced import SOCIAL_CREDITED
from socialroi.core.vocabulary import SOCIAL_CHANNELS
from socialroi.reports._format import MATERIAL_COST_SHARE, Col, ratio, table
from socialroi.reports._format import html_text as _e
from socialroi.reports._policy_block import PolicyBlock
from socialroi.reports._words import model_html

RUNS_SHOWN = 10


def _gaps(a: Analysis) -> str:
    g = a.quality.gaps
    if g.height == 0:
        return '<p class="note">No posts recorded, so no platform metrics to check.</p>'
    items = []
    for platform, posts, first, missing in g.iter_rows():
        if missing:
            months = ", ".join(f"{m:%Y-%m}" for m in missing[:12])
            more = f" and {len(missing) - 12} more" if len(missing) > 12 else ""
            items.append(
                f"<li><b>{_e(platform)}</b>: no post metrics for {len(missing)} month"
                f"{'s' if len(missing) != 1 else ''} ({months}{more}); reach and clicks there "
                "are missing, not zero.</li>"
            )
        else:
            items.append(
                f"<li><b>{_e(platform)}</b>: metrics every month since {first:%Y-%m} "
                f"({posts:,} posts).</li>"
            )
    return f'<h3>Platform metrics by month</h3><ul class="note">{"".join(items)}</ul>'


def _runs(a: Analysis) -> str:
    runs = a.quality.failed_runs
    if a.redacted:  # no local path or cell value (idempotent when the result is redacted)
        runs = redact_run_log(runs)
    if runs.height == 0:
        return '<p class="note">The run log has no failed pull or import.</p>'
    rows = [
        [f"{r['started_at']:%Y-%m-%d %H:%M}", _e(r["kind"]), _e(r["target"]), _e(r["error"])]
        for r in runs.sort("started_at", descending=True).head(RUNS_SHOWN).iter_rows(named=True)
    ]
    cols = (Col("Started", "date"), Col("Kind"), Col("Source"), Col("Error", "text"))
    return (
        f'<h3>Failed pulls and imports</h3><p class="sub">{runs.height:,} '
        f"run{'s' if runs.height != 1 else ''} failed; data from them may be missing (the latest "
        f"first).</p>{table(cols, rows)}"
    )


#: A pull whose cursor has not moved for this long before the report date is called stale.
STALE_DAYS = 35


def _sync(a: Analysis) -> str:
    sync = a.quality.sync_state
    if sync.height == 0:
        return '<p class="note">No platform pulls recorded (data came from imports).</p>'
    rows = []
    for adapter, stream, updated in sync.iter_rows():
        age = (a.as_of - updated).days if updated is not None else None
        stale = age is None or age > STALE_DAYS
        flag = '<span class="bad">stale</span>' if stale else "ok"
        when = f"{updated:%Y-%m-%d}" if updated is not None else "never"
        rows.append([_e(adapter), _e(stream), when, flag])
    cols = (Col("Source"), Col("Stream"), Col("Last advanced", "date"), Col("State"))
    return (
        f'<h3>Pulls</h3><p class="sub">When each platform pull last moved forward; more than '
        f"{STALE_DAYS} days before the report date is stale, and its recent data may be "
        "missing.</p>" + table(cols, rows)
    )


def quality_section(a: Analysis, fig: str) -> str:
    """Match rates (chart), missing-data counts, metric gaps by platform and failed runs."""
    q = a.quality
    overall = q.match_rate.filter(pl.col("platform") == "(all social)")
    if overall.height:
        o = overall.row(0, named=True)
        lead = (
            f"{ratio(o['match_rate'])} of {o['sessions']:,} social web sessions were matched to a "
            f"contact; {q.anonymous['sessions'].sum():,} sessions stay anonymous reach."
        )
    else:
        lead = "No social web sessions recorded."
    checks = table(
        (Col("Check"), Col("Rows", "num")),
        ([_e(c), f"{n:,}"] for c, n in q.missing.iter_rows()),
    )
    return (
        f'<p class="sub">{lead}</p>{fig}<h3>Missing data</h3>{checks}{_gaps(a)}{_sync(a)}{_runs(a)}'
    )


def assumptions(a: Analysis, policy: PolicyBlock) -> str:
    """The settings and conventions the numbers rest on, in a list."""
    period = (
        f"{a.period.label()} ({a.period.start:%Y-%m-%d} to the day before {a.period.end:%Y-%m-%d})"
        if a.period
        else f"all history up to {a.as_of:%Y-%m-%d}"
    )
    items = [
        f"Period: {_e(period)}. Conversions dated in it count; their touches may come before it, "
        f"within the {a.lookback_days}-day lookback. Monthly costs are spread evenly over their "
        "days. The monthly trend and the referral network keep all history for context.",
        f"Attribution model: {model_html(a.model, bold=True)} (<code>{_e(a.model)}</code>), "
        f"lookback {a.lookback_days} days, time-decay "
        f"half-life {a.half_life_days:g} days (config <code>[attribution]</code>).",
        f"Referral chains: value × {a.network.decay:g} per hop, up to {a.network.max_depth} hops "
        "(config <code>[network]</code>).",
        f"Social channels: {_e(', '.join(SOCIAL_CHANNELS))}.",
        "Staff time is priced at each employee's loaded hourly cost.",
        f"Amounts in {_e(a.currency)}; rows in other currencies need converting before import.",
    ]
    if a.redacted:
        items.append(
            "Contacts are shown under pseudonyms (a keyed hash kept in the store): the same "
            "person has the same pseudonym in every table and run on this store."
        )
    if policy.simulated:
        items.append(
            f"Policy options: simulated {REPORT_MONTHS_TEXT} with {policy.draws:,} draws; their "
            "assumptions are listed in the policy section."
        )
    return "<ul class='note'>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"


REPORT_MONTHS_TEXT = "over the next 12 months"


def method_notes(a: Analysis, policy: PolicyBlock) -> str:
    """How the numbers are made, in a few lines of plain words."""
    sim = (
        f"Policy options are simulated {policy.draws:,} times each in this report (fewer than "
        "the policy command's default, to keep the report quick), from a fixed starting point, "
        "so the same data gives the same figures. Each simulation draws the uncertain inputs "
        "and the month-to-month luck of leads and deals; the ranges are the middle 90% of them."
        if policy.simulated
        else "Without the policy simulation, the policy section compares observed months only."
    )
    items = [
        "Each touch credits the contact's first conversion of a kind at or after it, within the "
        "lookback. Conversions no touch reached are “(unattributed)”, so totals reconcile.",
        f"Revenue is {SOCIAL_CREDITED} revenue: the credited value of won deals; open pipeline "
        "the credited value of deals still open at the report date. Leads and deals are "
        "credited shares.",
        "Cost is every social cost (ads, tools, agencies, training, monitoring…) plus staff hours "
        "at loaded wages; “(shared)” holds costs not tied to one platform. "
        f"ROI = (revenue − cost) ÷ cost, shown where the cost is at least "
        f"{MATERIAL_COST_SHARE:.0%} of all social cost; otherwise “n/a”.",
        "Rule models weight touches by position and time; two models learn the shares from the "
        "journeys that converted and those that did not. Where they agree, the choice of model "
        "does not matter.",
        "Website visits are tied to contacts by contact id, visitor id, a shared device or click "
        "id; the rest stays anonymous reach.",
        "Past policy changes are measured two ways: the months after a change against what the "
        "months before predict for them (season and trend included), and — when some teams "
        "switched and others did not — the change in the teams that switched minus the change "
        "in the others. Each result is checked: was there already a difference before the "
        "switch, and does a made-up switch date show an effect too? Either makes the estimate "
        "fragile.",
        sim,
    ]
    return "<ul class='note'>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"
