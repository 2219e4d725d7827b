"""Report sections on content and reach: top posts, campaigns and the funnel from reach to revenue.

Every string from data goes through `html_text`; the figures escape their own labels.
"""

from __future__ import annotations

import polars as pl

from socialroi.core.kpis import Analysis
from socialroi.core.sourced import SOCIAL_CREDITED, SOCIAL_SOURCED
from socialroi.reports._format import Col, money, number, table
from socialroi.reports._format import html_text as _e
from socialroi.reports._words import model_html

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
            [
                _e(_short(r["text"])) or "<i>(no text)</i>",
                when,
                _e(r["platform"]),
                _e(r["author"]) + (campaign if r["campaign"] else ""),
                f"{r['impressions']:,}",
                f"{r['clicks']:,}",
                number(r["leads"]),
                number(r["deals"]),
                money(r["revenue"], a.currency),
                money(r["pipeline"], a.currency),
            ]
        )
    lead = (
        f"{active.height:,} of {posts.height:,} posts were credited with a lead or a deal under "
        f"the {model_html(a.model, bold=True)} model. Views and clicks are each post's latest "
        "metrics."
    )
    more = (
        f'<p class="note">The {POSTS_SHOWN} best; <code>socialroi export</code> writes them '
        "all.</p>"
        if max(active.height, 1) > POSTS_SHOWN
        else ""
    )
    cols = (
        Col("Post", "text"),
        Col("Posted", "date"),
        Col("Platform"),
        Col("Author"),
        Col("Views", "num"),
        Col("Clicks", "num"),
        Col("Leads", "num"),
        Col("Deals", "num"),
        Col("Revenue", "num"),
        Col("Pipeline", "num"),
    )
    return f'<p class="sub">{lead}</p>{table(cols, rows)}{more}'


def campaigns_section(a: Analysis, fig: str) -> str:
    """Credited value by campaign: the chart and the table."""
    c = a.campaigns
    if c.height == 0:
        return '<p class="note">No campaigns recorded.</p>'
    rows = [
        [
            _e(r["campaign"]),
            f"{r['posts']:,}",
            number(r["leads"]),
            number(r["deals"]),
            money(r["revenue"], a.currency),
            money(r["pipeline"], a.currency),
        ]
        for r in c.head(CAMPAIGNS_SHOWN).iter_rows(named=True)
    ]
    cols = (
        Col("Campaign"),
        Col("Posts", "num"),
        Col("Leads", "num"),
        Col("Deals", "num"),
        Col("Revenue", "num"),
        Col("Pipeline", "num"),
    )
    return (
        '<p class="sub">Social touches credited by the campaign they carry (the tracked link\'s, '
        "else the post's). Costs are not kept by campaign, so there is no ROI here.</p>"
        f"{fig}{table(cols, rows)}"
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
    s = a.summary
    sourced = (
        f" and {SOCIAL_SOURCED} revenue {money(s.social_sourced, a.currency)}"
        if s.social_sourced is not None
        else ""
    )
    return (
        '<p class="sub">Whole counts, not credited shares, on ordinary (linear) scales: views and '
        "clicks of the posts published in the period, website visits from social platforms, "
        "contacts with a social touch, and the leads and won deals that had one in their window. "
        "Visits can outnumber clicks: they include visits that did not come from a tracked "
        "click on your posts (a link in a profile, someone else's post, a shared link). "
        "A percentage is the share of the step before. "
        f"{number(sessions)} visits; {rate} of contacts reached became leads; {close} of those "
        f"leads closed as won deals. What these deals brought is counted once, as in the "
        f"summary: {SOCIAL_CREDITED} revenue {money(s.social_credited, a.currency)}"
        f"{sourced}.</p>" + fig
    )
