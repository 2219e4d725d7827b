"""The report's "Referral chains and influence" section and the note on the models compared.

Every string from data goes through `html_text`; the figures escape their own labels.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import polars as pl

from socialroi.core.attribution import RULE_MODELS
from socialroi.core.kpis import Analysis
from socialroi.core.network import INFLUENCE_KINDS
from socialroi.reports._format import Col, money, number, short_money, table
from socialroi.reports._format import html_text as _e
from socialroi.reports._words import channel_words, model_definition, model_html, model_label

CHAINS_SHOWN = 15
INFLUENCE_SHOWN = 15
HEADLINES = 3


def models_note(a: Analysis) -> str:
    """Which models are compared, a line on each data-driven one, and any left out."""
    shown = list(dict.fromkeys(a.models["model"].to_list()))
    driven = [m for m in shown if m not in RULE_MODELS]
    items = [f"<li>{model_html(m, bold=True)}: {_e(model_definition(m))}</li>" for m in driven]
    items += [
        f"<li>{model_html(m, bold=True)} is left out: {_e(reason)}</li>"
        for m, reason in a.skipped_models.items()
    ]
    rules = sum(m in RULE_MODELS for m in shown)
    lead = (
        f"{rules} rule models share each conversion by the position and timing of its touches"
        + (f"; {len(driven)} models learn the shares from the journeys:" if driven else ".")
    )
    every = "".join(
        f"<li><b>{_e(model_label(m))}</b>: {_e(model_definition(m))}</li>" for m in shown
    )
    return (
        f'<p class="note">{lead}</p>'
        + (f'<ul class="note">{"".join(items)}</ul>' if items else "")
        + '<details class="note"><summary>How each model shares the credit</summary>'
        f"<ul>{every}</ul></details>"
    )


def models_ranked(a: Analysis) -> str:
    """The heatmap as a ranked table for a phone: each channel's credited won-deal value under
    the report's model, and the lowest and highest any model gives it."""
    m = a.models
    if m.height == 0:
        return '<p class="note">No conversions to attribute yet.</p>'
    per = m.group_by("channel").agg(
        pl.col("deal_value").filter(pl.col("model") == a.model).sum().alias("chosen"),
        pl.col("deal_value").min().alias("low"),
        pl.col("deal_value").max().alias("high"),
        pl.col("leads").sum().alias("_leads"),
    )
    per = per.sort(["chosen", "high", "_leads", "channel"], descending=[True, True, True, False])
    cur = a.currency
    rows = [
        [
            _e(channel_words(r["channel"])),
            money(r["chosen"], cur),
            f"{short_money(r['low'], cur)} – {short_money(r['high'], cur)}",
        ]
        for r in per.iter_rows(named=True)
    ]
    cols = (
        Col("Channel"),
        Col(model_label(a.model), "num", model_definition(a.model)),
        Col("Lowest – highest of all models", "num"),
    )
    return table(cols, rows)


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _chain_headline(r: dict[str, Any], currency: str) -> str:
    who = _e(r["root_name"] or r["root_id"])
    if r["company"]:
        who += f" ({_e(r['company'])})"
    employee = _e(r["employee_name"] or r["employee_id"])
    if r["met_on"]:
        met = f", met on {_e(r['met_on'])}" + (f" via {employee}" if employee else "")
    else:
        met = f", a client of {employee}" if employee else ""
    n = int(r["downstream_deals"])
    deals = "one more deal" if n == 1 else f"{n:,} more deals"
    return f"<li>{who}{met}, led to {deals} worth {money(r['downstream_value'], currency)}.</li>"


def _chains(a: Analysis) -> str:
    net, cur = a.network, a.currency
    chains = net.chains
    decay = f"{net.decay:g}"
    how = (
        f"A won deal's value flows back along “referred by”: the deal's own contact keeps all of "
        f"it, the contact who referred them gets × {decay}, the one above × {decay}², and so on "
        f"for up to {net.max_depth} hops. Network revenue is what the original contact (the top "
        "of the chain) earns that way; the employee is the one behind that contact's first "
        "social touch, else its owner in the CRM."
    )
    if chains.height == 0:
        return (
            f'<p class="sub">No won deal came through a referral yet.</p><p class="note">{how}</p>'
        )
    heads = "".join(_chain_headline(r, cur) for r in chains.head(HEADLINES).iter_rows(named=True))
    rows = [
        [
            f'{_e(r["root_name"] or r["root_id"])}<br><span class="post">{_e(r["company"])}</span>',
            _e(r["employee_name"] or r["employee_id"]),
            _e(r["met_on"]) or "–",
            f"{r['downstream_deals']:,}",
            f'<span class="post">{", ".join(_e(d) for d in r["deal_ids"] or [])}</span>',
            money(r["downstream_value"], cur),
            money(r["network_revenue"], cur),
            f"{r['depth']}",
        ]
        for r in chains.head(CHAINS_SHOWN).iter_rows(named=True)
    ]
    more = ""
    if chains.height > CHAINS_SHOWN:
        more = (
            f'<p class="note">The {CHAINS_SHOWN} largest of {chains.height:,} chains; '
            "<code>socialroi export</code> writes them all.</p>"
        )
    emp = [
        [
            _e(r["employee_name"] or r["employee_id"]) or "(no owner recorded)",
            f"{r['chains']:,}",
            f"{r['downstream_deals']:,}",
            money(r["downstream_value"], cur),
            money(r["network_revenue"], cur),
        ]
        for r in net.chain_employees.head(CHAINS_SHOWN).iter_rows(named=True)
    ]
    chain_cols = (
        Col("Original contact"),
        Col("Employee"),
        Col("Met on"),
        Col("Deals down the chain", "num"),
        Col("Deals"),
        Col("Their value", "num"),
        Col("Network revenue", "num"),
        Col("Hops", "num"),
    )
    emp_cols = (
        Col("Employee behind the chain"),
        Col("Chains", "num"),
        Col("Deals down the chains", "num"),
        Col("Their value", "num"),
        Col("Network revenue", "num"),
    )
    total = float(chains["network_revenue"].sum())
    value = float(chains["downstream_value"].sum())
    return (
        f'<h3>Referral chains</h3><p class="sub">{_count(chains.height, "original contact")} '
        f"led to {_count(int(chains['downstream_deals'].sum()), 'more won deal')} worth "
        f"{money(value, cur)}; their network revenue is "
        f"{money(total, cur)}.</p><ul>{heads}</ul>"
        + table(chain_cols, rows)
        + more
        + table(emp_cols, emp)
        + f'<p class="note">{how}</p>'
    )


_KIND_WORDS = {
    "mention": "mentions",
    "reply": "replies",
    "dm": "direct messages",
    "engagement": "likes, comments and shares",
    "referral": "referrals",
}


def _influence(a: Analysis, fig: str) -> str:
    infl = a.network.influence
    kinds = ", ".join(_KIND_WORDS.get(k, k.replace("_", " ")) for k in INFLUENCE_KINDS)
    how = (
        f"Ties: {_e(kinds)} between a contact and an employee, and each referral between two "
        "contacts. “Standing in the network” is high for people tied to many others who are "
        "themselves well tied (ties weighted by how often they interact); “Bridges groups” is "
        "the share of the shortest routes between two people that pass through this one — high "
        "for people who connect circles that would otherwise not meet. Both are relative: "
        "compare people within this list."
    )
    if infl.height == 0:
        return f'<h3>Influence</h3><p class="sub">No ties recorded.</p><p class="note">{how}</p>'
    top_rank = max(float(infl.select(pl.col("pagerank").max()).item() or 0.0), 1e-12)
    top_bridge = max(float(infl.select(pl.col("betweenness").max()).item() or 0.0), 1e-12)
    rows = [
        [
            _e(r["name"] or r["node"]),
            _e(r["kind"]),
            f"{r['converting_reached']:,}",
            f"{r['degree']:,}",
            f"{round(100 * r['pagerank'] / top_rank):d}",
            f"{round(100 * r['betweenness'] / top_bridge):d}",
        ]
        for r in infl.head(INFLUENCE_SHOWN).iter_rows(named=True)
    ]
    cols = (
        Col("Who"),
        Col("Kind"),
        Col("Converting contacts tied", "num"),
        Col("Ties", "num"),
        Col("Standing in the network", "num", "100 = the best-placed person in this network"),
        Col("Bridges groups", "num", "100 = the strongest bridge in this network"),
    )
    people = infl.filter(pl.col("kind") == "contact").height
    return (
        f'<h3>Influence</h3><p class="sub">{_count(people, "contact")} and '
        f"{infl.height - people:,} staff are tied by mentions, replies, messages, engagements "
        "and referrals. Ranked by the converting contacts (a lead or a won deal) each is tied "
        "to directly, then by how much each bridges groups. The last two columns are scaled so "
        f"that the highest in the network is 100.</p>{fig}"
        + table(cols, rows)
        + f'<p class="note">{how}</p>'
    )


def _givers(a: Analysis, fig: str) -> str:
    g = a.network.givers
    notes = "".join(
        f"<li>{_e(_plain_note(n))}</li>" for n in a.network.giver_summary["note"].to_list()
    )
    if g.height == 0:
        return '<h3>Giver or broadcaster</h3><p class="sub">No posts recorded.</p>'
    giving = (int(g["replies"].sum()) + int(g["shares"].sum())) / max(int(g["posts"].sum()), 1)
    return (
        f'<h3>Giver or broadcaster</h3><p class="sub">{_count(g.height, "account")}; '
        f"{number(giving * 100)}% of their posts reply to or share others, the rest promote "
        "their own content. Each marker is an account (size: posts; colour: credited leads per "
        f'post, under the report\'s model).</p>{fig}<ul class="note">{notes}</ul>'
    )


_RHO = re.compile(r"\s*\(Spearman ρ = (−|-)?[\d.]+, n = (\d+)\)")


def _plain_note(note: str) -> str:
    """A giver finding without the statistic's name: "(across 12 accounts)"."""
    return _RHO.sub(lambda m: f" (a rank correlation across {m.group(2)} accounts)", note)


def network_section(a: Analysis, div: Mapping[str, str]) -> str:
    """The section body; `div` holds the rendered 'influence' and 'givers' figures."""
    return _chains(a) + _influence(a, div.get("influence", "")) + _givers(a, div.get("givers", ""))
