"""The report document: the one place that writes HTML.

`render_report` lays out the sections around the figures; `write_html` writes the file atomically
(a temporary file in the same folder, renamed over the target), so a failed run never leaves a
half-written report. plotly.js is inlined exactly once in the head; every figure is a div plus a
small script. A Content-Security-Policy forbids every network request, and every string from data
is escaped with `html.escape`.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio
import polars as pl

from socialroi.core.kpis import Analysis
from socialroi.core.pipeline import as_of_text
from socialroi.core.sourced import SOCIAL_CREDITED, SOCIAL_SOURCED
from socialroi.reports._format import (
    Col,
    html_text,
    material_cost,
    money,
    number,
    per_cost_text,
    ratio,
    roi_text,
    table,
)
from socialroi.reports._network import models_note, models_ranked, network_section
from socialroi.reports._plotly_js import plotly_js
from socialroi.reports._policy_block import PolicyBlock, observed_block
from socialroi.reports._quality_section import assumptions, method_notes, quality_section
from socialroi.reports._sections import campaigns_section, funnel_section, posts_section
from socialroi.reports._style import CSS, SCRIPT
from socialroi.reports._words import (
    channel_words,
    glossary_html,
    model_html,
    model_label,
    policy_label,
)
from socialroi.reports.figures import CONFIG

#: Section ids and headings, in order.
SECTIONS: dict[str, str] = {
    "summary": "Summary",
    "deals": "Deals traced to social contacts",
    "models": "Attribution models side by side",
    "platforms": "By platform",
    "posts": "Top posts",
    "employees": "By employee",
    "campaigns": "By campaign",
    "funnel": "From reach to revenue",
    "trend": "Monthly trend and policy changes",
    "policy": "Policy comparison",
    "network": "Referral chains and influence",
    "quality": "Data quality and assumptions",
    "method": "How these numbers are made",
    "glossary": "Glossary",
}
TRACED_SHOWN = 30
#: The deals printed on paper (their paths make long rows); the HTML shows TRACED_SHOWN.
DEALS_PRINTED = 8
TABLE_ROWS = 15
_POST_CHARS = 140

CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data: blob:; font-src data:; connect-src 'none'; form-action 'none'"
)

_e = html_text


def figure_div(fig: go.Figure, div_id: str) -> str:
    """A figure as its title (in HTML, where it wraps on a phone and no tool bar covers it), a
    div and its script, without plotly.js (the document carries it once). The figure's title is
    trusted text with data escaped for Plotly, which is also safe HTML."""
    title = fig.layout.title.text if fig.layout.title else None
    if title:
        fig = go.Figure(fig)
        fig.update_layout(title_text=None, margin_t=min(fig.layout.margin.t or 40, 30))
    div = str(
        pio.to_html(
            fig,
            include_plotlyjs=False,
            full_html=False,
            config=CONFIG,
            div_id=div_id,
            default_width="100%",
            default_height=f"{fig.layout.height or 400}px",
        )
    )
    caption = f'<p class="figtitle">{title}</p>' if title else ""
    return f'<div class="fig" id="figure-{div_id}">{caption}{div}</div>'


def _card(label: str, value: str, detail: str = "", cls: str = "") -> str:
    return (
        f'<div class="card"><div class="label">{label}</div>'
        f'<div class="value {cls}">{value}</div><div class="detail">{detail}</div></div>'
    )


def _summary(a: Analysis, policy: PolicyBlock) -> str:
    s, cur = a.summary, a.currency
    roi_cls = "" if s.roi is None else ("good" if s.roi >= 0 else "bad")
    floor = material_cost(s.cost)
    per = per_cost_text(s.social_credited, s.cost, floor, cur)
    share = f"{ratio(s.social_credited / s.all_revenue)} of " if s.all_revenue else ""
    sourced = s.social_sourced
    origin = (
        f"{ratio(sourced / s.all_revenue)} of " if s.all_revenue and sourced is not None else ""
    )
    cards = [
        _card(
            f"{SOCIAL_CREDITED.capitalize()} revenue",
            money(s.social_credited, cur),
            f"{share}{money(s.all_revenue, cur)} won, social's share under the model · "
            f"{money(s.pipeline, cur)} open pipeline",
        ),
        _card(
            f"{SOCIAL_SOURCED.capitalize()} revenue",
            money(sourced, cur),
            f"{origin}{money(s.all_revenue, cur)} won: whole deals of contacts first reached on "
            "social",
        ),
        _card(
            "Social cost",
            money(s.cost, cur),
            f"incl. {money(s.staff_cost, cur)} staff time at loaded wages",
        ),
        _card(
            "ROI",
            roi_text(s.roi, s.cost, floor, cur),
            f"({SOCIAL_CREDITED} revenue − cost) ÷ cost · {per} back per {money(1, cur)} spent",
            roi_cls,
        ),
        _card(
            "Social leads",
            number(s.leads),
            f"of {s.all_leads:,} leads (credited shares) · {money(s.cost_per_lead, cur)} per lead",
        ),
        _card(
            "Social deals",
            number(s.deals),
            f"of {s.all_deals:,} won · {a.traced.height:,} with a social touch · "
            f"{money(s.cost_per_deal, cur)} per deal",
        ),
    ]
    cards.insert(2, _recommendation_card(policy))
    return (
        f'<p class="sub">{_e(_period_text(a)).capitalize()}, under the '
        f"{model_html(a.model, bold=True)} attribution model ({_lookback_text(a)}).</p>"
        f'<div class="cards">{"".join(cards)}</div>'
    )


def _recommendation_card(policy: PolicyBlock) -> str:
    how = "simulated options" if policy.simulated else "observed months, no simulation"
    detail = policy.recommendation_detail or (
        'See <a href="#policy">Policy comparison</a> for the range of outcomes and what moves '
        "the answer."
    )
    unsure = " unsure" if policy.unsure else ""
    return (
        f'<div class="card rec{unsure}" id="recommendation"><div class="label">Recommendation '
        f'({how})</div><div class="value">{_e(policy.recommendation)}</div>'
        f'<div class="detail">{detail}</div></div>'
    )


def _lookback_text(a: Analysis) -> str:
    """The lookback, and where it came from when it was measured rather than set."""
    measured = a.pipeline.lookback_measured
    how = ": your sales cycle" if measured else ""
    return f"{a.lookback_days}-day lookback{how}"


def _period_text(a: Analysis) -> str:
    if a.period is None:
        return f"all history up to {a.as_of:%Y-%m-%d}"
    return f"period {a.period.label()}"


def _step(step: Mapping[str, object]) -> str:
    ts = step.get("ts")
    when = ts.strftime("%Y-%m-%d") if hasattr(ts, "strftime") else ""
    bits = [f"<b>{_e(channel_words(step.get('channel')))}</b>"]
    if step.get("platform") and step.get("platform") != step.get("channel"):
        bits.append(_e(step["platform"]))
    if step.get("post_id"):
        bits.append(f"post {_e(step['post_id'])}")
    if step.get("employee_name") or step.get("employee_id"):
        bits.append(_e(step.get("employee_name") or step.get("employee_id")))
    if step.get("campaign"):
        bits.append(f"“{_e(step['campaign'])}”")
    cls = "step social" if step.get("social") else "step"
    return f'<span class="{cls}"><small>{when}</small> {" · ".join(bits)}</span>'


def _traced(a: Analysis) -> str:
    tr = a.traced
    if tr.height == 0:
        return '<p class="note">No won deal has a social touch in its window yet.</p>'
    rows = []
    for r in tr.head(TRACED_SHOWN).iter_rows(named=True):
        path = '<span class="arrow">→</span>'.join(_step(st) for st in r["path"] or [])
        text = r["post_text"] or ""
        text = text if len(text) <= _POST_CHARS else text[: _POST_CHARS - 1] + "…"
        who = _e(r["employee_name"] or r["employee_id"])
        if not who:
            who = "a brand account" if r["post_id"] else "no post or employee recorded"
        post = ""
        if r["post_id"]:
            post = f'<div class="post">{_e(r["post_platform"])} post {_e(r["post_id"])}'
            post += f": {_e(text)}" if text else ""
            post += f" · campaign {_e(r['campaign'])}" if r["campaign"] else ""
            post += "</div>"
        closed = r["closed_at"].strftime("%Y-%m-%d") if r["closed_at"] else ""
        rows.append(
            [
                _e(r["deal_name"] or r["deal_id"]),
                money(r["amount"], a.currency),
                closed,
                f"{_e(r['contact_name'])}<br><span class='post'>{_e(r['company'])}</span>",
                f'<div class="path">{path}</div>',
                f"{who}{post}",
            ]
        )
    more = ""
    if tr.height > TRACED_SHOWN:
        more = (
            f'<p class="note">Showing the {TRACED_SHOWN} largest of {tr.height:,} deals; '
            f"<code>socialroi export</code> writes them all.</p>"
        )
    cols = (
        Col("Deal"),
        Col("Amount", "num"),
        Col("Closed", "date"),
        Col("Contact"),
        Col("Path", "wide"),
        Col("Behind it", "text"),
    )
    return (
        f'<p class="sub">{tr.height:,} won deals had a social touch in their window. The path is '
        f"every touch credited to the deal, oldest first (social touches in blue); the employee "
        f"and post behind it are those of the social touch with the most credit.</p>"
        f"{table(cols, rows, cls='deals wide', print_rows=DEALS_PRINTED)}{more}"
    )


def _roi_table(
    roi: pl.DataFrame,
    key: str,
    currency: str,
    floor: float,
    *,
    label: str | None = None,
    top: int = TABLE_ROWS,
) -> str:
    """Revenue, pipeline, cost, ROI (where the cost is at least `floor`) and the rest per `key`."""
    active = roi.filter(
        (pl.col("cost") > 0)
        | (pl.col("revenue") > 0)
        | (pl.col("pipeline") > 0)
        | (pl.col("leads") > 0)
    )
    shown = active.sort(pl.col("revenue") + pl.col("cost"), descending=True).head(top)
    rows = []
    for r in shown.iter_rows(named=True):
        name = (r.get(label) if label else None) or r[key]
        rows.append(
            [
                _e(name),
                money(r["revenue"], currency),
                money(r["pipeline"], currency),
                money(r["cost"], currency),
                roi_text(r["roi"], r["cost"], floor, currency),
                per_cost_text(r["revenue"], r["cost"], floor, currency),
                number(r["leads"]),
                number(r["deals"]),
                money(r["cost_per_lead"], currency),
                money(r["cost_per_deal"], currency),
            ]
        )
    cols = (
        Col(key.capitalize()),
        Col("Revenue", "num"),
        Col("Open pipeline", "num"),
        Col("Cost", "num"),
        Col("ROI", "num", f"Shown where the cost is at least {money(floor, currency)}"),
        Col(f"Revenue per {money(1, currency)}", "num"),
        Col("Leads", "num"),
        Col("Deals", "num"),
        Col("Cost / lead", "num"),
        Col("Cost / deal", "num"),
    )
    more = ""
    if active.height > top:
        more = (
            f'<p class="note">The {top} largest of {active.height:,}; '
            f"<code>socialroi roi --by {_e(key)}</code> lists them all.</p>"
        )
    return table(cols, rows) + more


def _roi_note(floor: float, currency: str) -> str:
    return (
        f'<p class="note">Revenue is {SOCIAL_CREDITED} revenue. ROI and revenue per '
        f"{money(1, currency)} are shown where the cost is at least {money(floor, currency)} "
        "(2% of all social cost): a smaller cost makes any ratio huge and says nothing.</p>"
    )


def _policies(a: Analysis) -> str:
    if a.policy_periods.height == 0:
        return '<p class="note">No policy periods recorded.</p>'
    items = []
    for p in a.policy_periods.iter_rows(named=True):
        team = "whole company" if p["team"] == "*" else f"team {_e(p['team'])}"
        until = f" until {p['to']:%Y-%m-%d}" if p["to"] else ""
        label = _e(policy_label(p["policy"]))
        items.append(f"<li>{p['from']:%Y-%m-%d}{until}: <b>{label}</b> ({team})</li>")
    return f'<ul class="note">{"".join(items)}</ul>'


def render_report(
    a: Analysis, figures: Mapping[str, go.Figure], policy: PolicyBlock | None = None
) -> str:
    """The whole document. `figures` holds the figures by name ('models', 'platforms',
    'employees', 'campaigns', 'funnel', 'trend', 'influence', 'givers', 'quality', and the policy
    section's own); `policy` the policy comparison (default: the observed view)."""
    policy = policy if policy is not None else observed_block(a)
    div = {name: figure_div(fig, f"fig-{name}") for name, fig in figures.items()}
    floor = material_cost(a.summary.cost)
    models_fig = div.get("models", "")
    bodies = {
        "summary": _summary(a, policy),
        "deals": _traced(a),
        "models": (
            '<p class="sub">Won-deal value credited to each channel under every model, rule and '
            f"data-driven (the report's model, {model_html(a.model, bold=True)}, in bold; hover "
            "a model's name for how it shares the credit). Where the models agree, the answer "
            "does not depend on the choice of model.</p>"
            + (f'<div class="wide-only">{models_fig}</div>' if models_fig else "")
            + f'<div class="narrow-only">{models_ranked(a)}</div>'
            + models_note(a)
        ),
        "platforms": div.get("platforms", "")
        + _roi_table(a.roi_platform, "platform", a.currency, floor)
        + _roi_note(floor, a.currency),
        "posts": posts_section(a),
        "employees": div.get("employees", "")
        + _roi_table(a.roi_employee, "employee", a.currency, floor, label="name")
        + _roi_note(floor, a.currency),
        "campaigns": campaigns_section(a, div.get("campaigns", "")),
        "funnel": funnel_section(a, div.get("funnel", "")),
        "trend": _trend_lead(a) + div.get("trend", "") + _policies(a),
        "policy": _policy_body(policy, div),
        "network": network_section(a, div),
        "quality": quality_section(a, div.get("quality", ""))
        + "<h3>Assumptions</h3>"
        + assumptions(a, policy),
        "method": method_notes(a, policy),
        "glossary": glossary_html(),
    }
    sections = "".join(
        f'<section id="{sid}"><h2>{title}</h2>{bodies[sid]}</section>'
        for sid, title in SECTIONS.items()
    )
    nav = "".join(f'<a href="#{sid}">{title}</a>' for sid, title in SECTIONS.items())
    company = _e(a.company)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{company}: social media ROI</title><style>{CSS}</style>"
        f'<script type="text/javascript">{plotly_js()}</script></head><body>'
        f"<header><h1>{company}: social media ROI</h1>"
        f'<p class="sub">Data as of {as_of_text(a.as_of)} ({_e(a.as_of_source)}) · amounts in '
        f"{_e(a.currency)} · model {_e(model_label(a.model))}</p>{_banner(a)}"
        f'<nav class="toc" aria-label="Sections">{nav}</nav></header>'
        f"<main>{sections}</main>"
        "<footer>Made with socialroi. This file is self-contained and works offline.</footer>"
        f"<script>{SCRIPT}</script></body></html>\n"
    )


#: The policy figure that belongs with the past switches; the others go with the projection.
OBSERVED_FIGURE = "policy_observed"


def _policy_body(policy: PolicyBlock, div: Mapping[str, str]) -> str:
    """The policy section with its projection figures after the options table (before the
    section's first sub-heading) and the observed-switch figure at the end."""
    projection = "".join(div[n] for n in policy.figures if n in div and n != OBSERVED_FIGURE)
    observed = div.get(OBSERVED_FIGURE, "") if OBSERVED_FIGURE in policy.figures else ""
    body = policy.html
    cut = body.find("<h3")
    if cut < 0:
        return body + projection + observed
    return body[:cut] + projection + body[cut:] + observed


def _trend_lead(a: Analysis) -> str:
    shaded = " The report's period is shaded." if a.period else ""
    return (
        '<p class="sub">Every month on record, whatever the period, for context. Dashed lines '
        f"mark policy changes, named in the legend and listed below the chart.{shaded}</p>"
    )


def _banner(a: Analysis) -> str:
    """The period and redaction, stated at the top."""
    bits = []
    if a.period is not None:
        last = a.period.end - timedelta(days=1)
        bits.append(
            f"<b>Period: {_e(a.period.label())}</b> ({a.period.start:%Y-%m-%d} to "
            f"{min(last, a.as_of):%Y-%m-%d}): conversions, revenue, costs and ROI cover this "
            "period only."
        )
    if a.redacted:
        bits.append("Contacts are shown under pseudonyms.")
    return f'<p class="banner">{" ".join(bits)}</p>' if bits else ""


def write_html(document: str, out: Path) -> Path:
    """Write `document` to `out` atomically (temporary file + rename); returns `out`."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(document)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return out
