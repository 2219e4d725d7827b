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
from plotly.offline import get_plotlyjs

from socialroi.core.kpis import Analysis
from socialroi.core.pipeline import as_of_text
from socialroi.core.sourced import SOCIAL_CREDITED, SOCIAL_SOURCED
from socialroi.reports._format import html_text, money, number, ratio
from socialroi.reports._network import models_note, network_section
from socialroi.reports._policy_block import PolicyBlock, observed_block
from socialroi.reports._quality_section import assumptions, method_notes, quality_section
from socialroi.reports._sections import campaigns_section, funnel_section, posts_section
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
}
TRACED_SHOWN = 30
TABLE_ROWS = 15
_POST_CHARS = 140

CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data: blob:; font-src data:; connect-src 'none'; form-action 'none'"
)

CSS = """
:root { --ink:#1f2937; --mute:#6b7280; --line:#e5e7eb; --blue:#2563eb; --bg:#f8fafc; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--ink);
  font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif; }
header, main, footer { max-width:1120px; margin:0 auto; padding:0 20px; }
header { padding-top:28px; }
h1 { font-size:1.6rem; margin:0 0 4px; }
h2 { font-size:1.2rem; margin:0 0 12px; }
h3 { font-size:1.02rem; margin:18px 0 6px; }
.sub, .note { color:var(--mute); margin:0 0 8px; }
.note { font-size:.88rem; }
section { background:#fff; border:1px solid var(--line); border-radius:10px;
  padding:18px 20px; margin:18px 0; }
nav { margin:10px 0 0; font-size:.9rem; }
nav a { color:var(--blue); margin-right:14px; text-decoration:none; }
.cards { display:grid; grid-template-columns:repeat(auto-fit,minmax(180px,1fr)); gap:12px; }
.card { border:1px solid var(--line); border-radius:8px; padding:12px 14px; }
.card .label { color:var(--mute); font-size:.85rem; }
.card .value { font-size:1.6rem; font-weight:650; }
.card .detail { color:var(--mute); font-size:.82rem; }
.good { color:#15803d; } .bad { color:#b91c1c; }
.scroll { overflow-x:auto; }
table { border-collapse:collapse; width:100%; font-size:.88rem; }
th, td { text-align:left; padding:6px 8px; border-bottom:1px solid var(--line);
  vertical-align:top; }
th { color:var(--mute); font-weight:600; white-space:nowrap; }
td.date { white-space:nowrap; }
td.num, th.num { text-align:right; white-space:nowrap; font-variant-numeric:tabular-nums; }
.path { display:flex; flex-wrap:wrap; gap:4px; align-items:center; }
.step { border:1px solid var(--line); border-radius:6px; padding:1px 6px; font-size:.8rem;
  background:#f9fafb; }
.step.social { border-color:#93c5fd; background:#eff6ff; }
.step small { color:var(--mute); }
.arrow { color:var(--mute); }
.post { color:var(--mute); font-size:.82rem; }
.fig { width:100%; }
footer { color:var(--mute); font-size:.82rem; padding-bottom:30px; }
.card.rec { grid-column:1/-1; border-color:#93c5fd; background:#eff6ff; }
.card.rec .value { font-size:1.05rem; font-weight:600; }
.banner { border:1px solid #fcd34d; background:#fffbeb; border-radius:8px; padding:8px 12px;
  margin:10px 0 0; font-size:.9rem; }
td.text { min-width:220px; }
@media (max-width:640px) {
  body { font-size:14px; }
  header, main, footer { padding:0 10px; }
  section { padding:12px 10px; margin:12px 0; border-radius:8px; }
  h1 { font-size:1.3rem; }
  .cards { grid-template-columns:1fr 1fr; gap:8px; }
  .card { padding:8px 10px; }
  .card .value { font-size:1.25rem; }
  table { font-size:.8rem; }
  th, td { padding:4px 5px; }
  td.text { min-width:160px; }
  nav a { display:inline-block; margin:2px 10px 2px 0; }
}
@media print { nav { display:none; } section { break-inside:avoid-page; } }
"""


_e = html_text


def figure_div(fig: go.Figure, div_id: str) -> str:
    """A figure as a div and its script, without plotly.js (the document carries it once)."""
    return str(
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


def _card(label: str, value: str, detail: str = "", cls: str = "") -> str:
    return (
        f'<div class="card"><div class="label">{label}</div>'
        f'<div class="value {cls}">{value}</div><div class="detail">{detail}</div></div>'
    )


def _summary(a: Analysis, policy: PolicyBlock) -> str:
    s, cur = a.summary, a.currency
    roi_cls = "" if s.roi is None else ("good" if s.roi >= 0 else "bad")
    share = f"{ratio(s.social_credited / s.all_revenue)} of " if s.all_revenue else ""
    sourced = s.social_sourced
    origin = (
        f"{ratio(sourced / s.all_revenue)} of " if s.all_revenue and sourced is not None else ""
    )
    cards = [
        _card(
            f"{SOCIAL_CREDITED.capitalize()} revenue",
            money(s.social_credited, cur),
            f"{share}{money(s.all_revenue, cur)} won, credited to social by the {_e(a.model)} "
            f"model · {money(s.pipeline, cur)} open pipeline",
        ),
        _card(
            f"{SOCIAL_SOURCED.capitalize()} revenue",
            money(sourced, cur),
            f"{origin}{money(s.all_revenue, cur)} won, from contacts whose first touch was social",
        ),
        _card(
            "Social cost",
            money(s.cost, cur),
            f"incl. {money(s.staff_cost, cur)} staff time at loaded wages",
        ),
        _card("ROI", ratio(s.roi), "(revenue − cost) ÷ cost", roi_cls),
        _card(
            "Social leads",
            number(s.leads),
            f"of {s.all_leads:,} leads · {money(s.cost_per_lead, cur)} per lead",
        ),
        _card(
            "Social deals",
            number(s.deals),
            f"of {s.all_deals:,} won · {a.traced.height:,} with a social touch · "
            f"{money(s.cost_per_deal, cur)} per deal",
        ),
    ]
    how = "simulated options" if policy.simulated else "observed months, no simulation"
    cards.append(
        f'<div class="card rec"><div class="label">Recommendation ({how})</div>'
        f'<div class="value">{_e(policy.recommendation)}</div>'
        '<div class="detail">See <a href="#policy">Policy comparison</a> for the range of '
        "outcomes and what moves the answer.</div></div>"
    )
    return (
        f'<p class="sub">Under the <b>{_e(a.model)}</b> attribution model '
        f"({_lookback_text(a)}), {_e(_period_text(a))}. Leads and deals are credited "
        f"shares, so they can be fractions.</p>"
        f'<div class="cards">{"".join(cards)}</div>'
    )


def _lookback_text(a: Analysis) -> str:
    """The lookback, and where it came from when it was measured rather than set."""
    measured = a.pipeline.lookback_measured
    how = ": your sales cycle, measured from your won deals" if measured else ""
    return f"{a.lookback_days}-day lookback{how}"


def _period_text(a: Analysis) -> str:
    if a.period is None:
        return f"all history up to {a.as_of:%Y-%m-%d}"
    return f"period {a.period.label()}"


def _step(step: Mapping[str, object]) -> str:
    ts = step.get("ts")
    when = ts.strftime("%Y-%m-%d") if hasattr(ts, "strftime") else ""
    bits = [f"<b>{_e(step.get('channel'))}</b>"]
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
        path = '<span class="arrow">→</span>'.join(_step(s) for s in r["path"] or [])
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
            f"<tr><td>{_e(r['deal_name'] or r['deal_id'])}</td>"
            f'<td class="num">{money(r["amount"], a.currency)}</td><td class="date">{closed}</td>'
            f"<td>{_e(r['contact_name'])}<br><span class='post'>{_e(r['company'])}</span></td>"
            f'<td><div class="path">{path}</div></td><td>{who}{post}</td></tr>'
        )
    more = ""
    if tr.height > TRACED_SHOWN:
        more = (
            f'<p class="note">Showing the {TRACED_SHOWN} largest of {tr.height:,} deals; '
            f"<code>socialroi export</code> writes them all.</p>"
        )
    return (
        f'<p class="sub">{tr.height:,} won deals had a social touch in their window. The path is '
        f"every touch credited to the deal, oldest first (social touches in blue); the employee "
        f"and post behind it are those of the social touch with the most credit.</p>"
        f'<div class="scroll"><table><thead><tr><th>Deal</th><th class="num">Amount</th>'
        f"<th>Closed</th><th>Contact</th><th>Path</th><th>Behind it</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>{more}"
    )


def _roi_table(
    roi: pl.DataFrame, key: str, currency: str, label: str | None = None, top: int = TABLE_ROWS
) -> str:
    head = (
        f"<tr><th>{_e(key.capitalize())}</th><th class='num'>Revenue</th>"
        "<th class='num'>Open pipeline</th><th class='num'>Cost</th><th class='num'>ROI</th>"
        "<th class='num'>Leads</th><th class='num'>Deals</th><th class='num'>Cost / lead</th>"
        "<th class='num'>Cost / deal</th></tr>"
    )
    active = roi.filter(
        (pl.col("cost") > 0)
        | (pl.col("revenue") > 0)
        | (pl.col("pipeline") > 0)
        | (pl.col("leads") > 0)
    )
    shown = active.sort(pl.col("revenue") + pl.col("cost"), descending=True).head(top)
    body = []
    for r in shown.iter_rows(named=True):
        name = (r.get(label) if label else None) or r[key]
        cells = [
            money(r["revenue"], currency),
            money(r["pipeline"], currency),
            money(r["cost"], currency),
            ratio(r["roi"]),
            number(r["leads"]),
            number(r["deals"]),
            money(r["cost_per_lead"], currency),
            money(r["cost_per_deal"], currency),
        ]
        tds = "".join(f'<td class="num">{c}</td>' for c in cells)
        body.append(f"<tr><td>{_e(name)}</td>{tds}</tr>")
    more = ""
    if active.height > top:
        more = (
            f'<p class="note">The {top} largest of {active.height:,}; '
            f"<code>socialroi roi --by {_e(key)}</code> lists them all.</p>"
        )
    return (
        f'<div class="scroll"><table><thead>{head}</thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>{more}"
    )


def _policies(a: Analysis) -> str:
    if a.policy_periods.height == 0:
        return '<p class="note">No policy periods recorded.</p>'
    items = []
    for p in a.policy_periods.iter_rows(named=True):
        team = "whole company" if p["team"] == "*" else f"team {_e(p['team'])}"
        until = f" until {p['to']:%Y-%m-%d}" if p["to"] else ""
        items.append(f"<li>{p['from']:%Y-%m-%d}{until}: <b>{_e(p['policy'])}</b> ({team})</li>")
    return f'<ul class="note">{"".join(items)}</ul>'


def render_report(
    a: Analysis, figures: Mapping[str, go.Figure], policy: PolicyBlock | None = None
) -> str:
    """The whole document. `figures` holds the figures by name ('models', 'platforms',
    'employees', 'campaigns', 'funnel', 'trend', 'influence', 'givers', 'quality', and the policy
    section's own); `policy` the policy comparison (default: the observed view)."""
    policy = policy if policy is not None else observed_block(a)
    div = {name: figure_div(fig, f"fig-{name}") for name, fig in figures.items()}
    bodies = {
        "summary": _summary(a, policy),
        "deals": _traced(a),
        "models": (
            '<p class="sub">Won-deal value credited to each channel under every model, rule and '
            f"data-driven (the report's model, <b>{_e(a.model)}</b>, in bold). Where the models "
            "agree, the answer does not depend on the choice of model.</p>"
            + div.get("models", "")
            + models_note(a)
        ),
        "platforms": div.get("platforms", "") + _roi_table(a.roi_platform, "platform", a.currency),
        "posts": posts_section(a),
        "employees": div.get("employees", "")
        + _roi_table(a.roi_employee, "employee", a.currency, label="name"),
        "campaigns": campaigns_section(a, div.get("campaigns", "")),
        "funnel": funnel_section(a, div.get("funnel", "")),
        "trend": _trend_lead(a) + div.get("trend", "") + _policies(a),
        "policy": _policy_body(policy, div),
        "network": network_section(a, div),
        "quality": quality_section(a, div.get("quality", ""))
        + "<h3>Assumptions</h3>"
        + assumptions(a, policy),
        "method": method_notes(a, policy),
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
        f'<script type="text/javascript">{get_plotlyjs()}</script></head><body>'
        f"<header><h1>{company}: social media ROI</h1>"
        f'<p class="sub">Data as of {as_of_text(a.as_of)} ({_e(a.as_of_source)}) · amounts in '
        f"{_e(a.currency)} · model {_e(a.model)}</p>{_banner(a)}<nav>{nav}</nav></header>"
        f"<main>{sections}</main>"
        "<footer>Made with socialroi. This file is self-contained and works offline.</footer>"
        "</body></html>\n"
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
        f"mark policy changes.{shaded}</p>"
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
