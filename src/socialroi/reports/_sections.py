"""Report sections on content and reach: top posts, campaigns and the funnel from reach to revenue.

Every string from data goes through `html_text`; the figures escape their own labels.
"""

from __future__ import annotations

import polars as pl

from socialroi.core.kpis import Analysis
from socialroi.reports._format import html_text as _e
from socialroi.reports._format import money, number

POSTS_SHOWN = 15
CAMPAIGNS_SHOWN = 15
POST_CHARS = 120


def _short(text: str | None, n: int = POST_CHARS) -> str:
    t = " ".join((text or "").split())
    return t if len(t) <= n else t[: n - 1] + "…"


def posts_section(a: Analysis) -> str:
    """The posts with the most credited revenue (then leads, then impressions)."""
    posts = a.posts
    if posts.height == 0:
        return '<p class="note">No posts recorded.</p>'
    active = posts.filter(
        (pl.col("revenue") > 0) | (pl.col("leads") > 0) | (pl.col("pipeline") > 0)
    )
    rows = []
    for r in (active if active.height else posts).head(POSTS_SHOWN).iter_rows(named=True):
        when = r["created_at"].strftime("%Y-%m-%d") if r["created_at"] else ""
        campaign = f'<br><span class="post">campaign {_e(r["campaign"])}</span>'
        rows.append(
            f'<tr><td class="date">{when}</td><td>{_e(r["platform"])}</td>'
            f"<td>{_e(r['author'])}</td>"
            f'<td class="text">{_e(_short(r["text"])) or "<i>(no text)</i>"}'
            f"{campaign if r['campaign'] else ''}</td>"
            f'<td class="num">{r["impressions"]:,}</td><td class="num">{r["clicks"]:,}</td>'
            f'<td class="num">{number(r["leads"])}</td><td class="num">{number(r["deals"])}</td>'
            f'<td class="num">{money(r["revenue"], a.currency)}</td>'
            f'<td class="num">{money(r["pipeline"], a.currency)}</td></tr>'
        )
    lead = (
        f"{active.height:,} of {posts.height:,} posts were credited with a lead or a deal under "
        f"<b>{_e(a.model)}</b>. Impressions and clicks are each post's latest metrics."
    )
    more = (
        f'<p class="note">The {POSTS_SHOWN} best; <code>socialroi export</code> writes them '
        "all.</p>"
        if max(active.height, 1) > POSTS_SHOWN
        else ""
    )
    return (
        f'<p class="sub">{lead}</p><div class="scroll"><table class="wide"><thead><tr>'
        "<th>Posted</th><th>Platform</th><th>Author</th><th>Post</th>"
        '<th class="num">Impr.</th><th class="num">Clicks</th><th class="num">Leads</th>'
        '<th class="num">Deals</th><th class="num">Revenue</th><th class="num">Pipeline</th>'
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table></div>{more}"
    )


def campaigns_section(a: Analysis, fig: str) -> str:
    """Credited value by campaign: the chart and the table."""
    c = a.campaigns
    if c.height == 0:
        return '<p class="note">No campaigns recorded.</p>'
    rows = []
    for r in c.head(CAMPAIGNS_SHOWN).iter_rows(named=True):
        rows.append(
            f"<tr><td>{_e(r['campaign'])}</td><td class='num'>{r['posts']:,}</td>"
            f'<td class="num">{number(r["leads"])}</td><td class="num">{number(r["deals"])}</td>'
            f'<td class="num">{money(r["revenue"], a.currency)}</td>'
            f'<td class="num">{money(r["pipeline"], a.currency)}</td></tr>'
        )
    return (
        '<p class="sub">Social touches credited by the campaign they carry (the tracked link\'s, '
        "else the post's). Costs are not kept by campaign, so there is no ROI here.</p>"
        f'{fig}<div class="scroll"><table><thead><tr><th>Campaign</th>'
        '<th class="num">Posts</th><th class="num">Leads</th><th class="num">Deals</th>'
        '<th class="num">Revenue</th><th class="num">Pipeline</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def funnel_section(a: Analysis, fig: str) -> str:
    """From impressions to revenue, with each step's rate."""
    f = dict(a.funnel.iter_rows()) if a.funnel.height else {}
    if not f:
        return '<p class="note">No activity recorded.</p>'
    sessions, contacts = f.get("social web sessions", 0.0), f.get("contacts with a social touch")
    leads, deals = f.get("leads with a social touch", 0.0), f.get("won deals with a social touch")
    rate = f"{leads / contacts:.1%}" if contacts else "–"
    close = f"{deals / leads:.1%}" if leads and deals is not None else "–"
    return (
        '<p class="sub">Whole counts, not credited shares: impressions and clicks of the posts '
        "published in the period, social web sessions, contacts with a social touch, and the "
        "leads and won deals that had one in their window. "
        f"{number(sessions)} sessions; {rate} of contacts reached became leads; {close} of "
        "those leads' count closed as won deals.</p>" + fig
    )
