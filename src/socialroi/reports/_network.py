"""The report's "Referral chains and influence" section and the note on the models compared.

Every string from data goes through `html_text`; the figures escape their own labels.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from socialroi.core.attribution import RULE_MODELS
from socialroi.core.kpis import Analysis
from socialroi.core.network import INFLUENCE_KINDS
from socialroi.reports._format import html_text as _e
from socialroi.reports._format import money, number

CHAINS_SHOWN = 15
INFLUENCE_SHOWN = 15
HEADLINES = 3

#: One line on how each data-driven model credits; a registered model not named here gets
#: FALLBACK_NOTE.
METHOD_NOTES: dict[str, str] = {
    "markov": (
        "first-order Markov chain over the journeys, converting and not: a channel's share is "
        "its removal effect (the conversion probability lost without it), solved exactly."
    ),
    "shapley": (
        "Shapley value: each channel's average contribution to the conversion rate over every "
        "order in which the channels could join, from converting and non-converting journeys."
    ),
}
FALLBACK_NOTE = "a data-driven model from the attribution registry."


def models_note(a: Analysis) -> str:
    """Which models are compared, a line on each data-driven one, and any left out."""
    shown = list(dict.fromkeys(a.models["model"].to_list()))
    driven = [m for m in shown if m not in RULE_MODELS]
    items = [f"<li><b>{_e(m)}</b>: {_e(METHOD_NOTES.get(m, FALLBACK_NOTE))}</li>" for m in driven]
    items += [
        f"<li><b>{_e(m)}</b> is left out: {_e(reason)}</li>"
        for m, reason in a.skipped_models.items()
    ]
    rules = sum(m in RULE_MODELS for m in shown)
    lead = (
        f"{rules} rule models share each conversion by the position and timing of its touches"
        + (
            f"; {len(driven)} data-driven models learn the shares from the journeys:"
            if driven
            else "."
        )
    )
    return f'<p class="note">{lead}</p>' + (
        f'<ul class="note">{"".join(items)}</ul>' if items else ""
    )


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
    rows = []
    for r in chains.head(CHAINS_SHOWN).iter_rows(named=True):
        ids = ", ".join(_e(d) for d in r["deal_ids"] or [])
        rows.append(
            f"<tr><td>{_e(r['root_name'] or r['root_id'])}<br>"
            f'<span class="post">{_e(r["company"])}</span></td>'
            f"<td>{_e(r['employee_name'] or r['employee_id'])}</td>"
            f"<td>{_e(r['met_on']) or '–'}</td>"
            f'<td class="num">{r["downstream_deals"]:,}</td><td class="post">{ids}</td>'
            f'<td class="num">{money(r["downstream_value"], cur)}</td>'
            f'<td class="num">{money(r["network_revenue"], cur)}</td>'
            f'<td class="num">{r["depth"]}</td></tr>'
        )
    more = ""
    if chains.height > CHAINS_SHOWN:
        more = (
            f'<p class="note">The {CHAINS_SHOWN} largest of {chains.height:,} chains; '
            "<code>socialroi export</code> writes them all.</p>"
        )
    emp = []
    for r in net.chain_employees.head(CHAINS_SHOWN).iter_rows(named=True):
        emp.append(
            f"<tr><td>{_e(r['employee_name'] or r['employee_id']) or '(no owner recorded)'}</td>"
            f'<td class="num">{r["chains"]:,}</td><td class="num">{r["downstream_deals"]:,}</td>'
            f'<td class="num">{money(r["downstream_value"], cur)}</td>'
            f'<td class="num">{money(r["network_revenue"], cur)}</td></tr>'
        )
    total = float(chains["network_revenue"].sum())
    value = float(chains["downstream_value"].sum())
    return (
        f'<h3>Referral chains</h3><p class="sub">{_count(chains.height, "original contact")} '
        f"led to {_count(int(chains['downstream_deals'].sum()), 'more won deal')} worth "
        f"{money(value, cur)}; their network revenue is "
        f"{money(total, cur)}.</p><ul>{heads}</ul>"
        '<div class="scroll"><table><thead><tr><th>Original contact</th><th>Employee</th>'
        '<th>Met on</th><th class="num">Deals down the chain</th><th>Deals</th>'
        '<th class="num">Their value</th><th class="num">Network revenue</th>'
        f'<th class="num">Hops</th></tr></thead><tbody>{"".join(rows)}</tbody></table></div>'
        f"{more}"
        '<div class="scroll"><table><thead><tr><th>Employee behind the chain</th>'
        '<th class="num">Chains</th><th class="num">Deals down the chains</th>'
        '<th class="num">Their value</th><th class="num">Network revenue</th></tr></thead>'
        f'<tbody>{"".join(emp)}</tbody></table></div><p class="note">{how}</p>'
    )


def _influence(a: Analysis, fig: str) -> str:
    infl = a.network.influence
    kinds = ", ".join(INFLUENCE_KINDS)
    how = (
        f"Ties: touches of kind {_e(kinds)} between a contact and an employee, and each "
        "referral between two contacts. PageRank (weighted by the number of interactions) and "
        "betweenness centrality (the share of shortest paths through a node: high for people "
        "who bridge groups) are computed with networkx."
    )
    if infl.height == 0:
        return f'<h3>Influence</h3><p class="sub">No ties recorded.</p><p class="note">{how}</p>'
    rows = []
    for r in infl.head(INFLUENCE_SHOWN).iter_rows(named=True):
        rows.append(
            f"<tr><td>{_e(r['name'] or r['node'])}</td><td>{_e(r['kind'])}</td>"
            f'<td class="num">{r["converting_reached"]:,}</td><td class="num">{r["degree"]:,}</td>'
            f'<td class="num">{r["pagerank"]:.4f}</td><td class="num">{r["betweenness"]:.4f}</td>'
            "</tr>"
        )
    people = infl.filter(pl.col("kind") == "contact").height
    return (
        f'<h3>Influence</h3><p class="sub">{_count(people, "contact")} and '
        f"{infl.height - people:,} staff are tied by mentions, replies, messages, engagements "
        "and referrals. Ranked by the converting contacts (a lead or a won deal) each is tied "
        f"to directly, then by betweenness.</p>{fig}"
        '<div class="scroll"><table><thead><tr><th>Who</th><th>Kind</th>'
        '<th class="num">Converting contacts tied</th><th class="num">Ties</th>'
        '<th class="num">PageRank</th><th class="num">Betweenness</th></tr></thead>'
        f'<tbody>{"".join(rows)}</tbody></table></div><p class="note">{how}</p>'
    )


def _givers(a: Analysis, fig: str) -> str:
    g = a.network.givers
    notes = "".join(f"<li>{_e(n)}</li>" for n in a.network.giver_summary["note"].to_list())
    if g.height == 0:
        return '<h3>Giver or broadcaster</h3><p class="sub">No posts recorded.</p>'
    giving = (int(g["replies"].sum()) + int(g["shares"].sum())) / max(int(g["posts"].sum()), 1)
    return (
        f'<h3>Giver or broadcaster</h3><p class="sub">{_count(g.height, "account")}; '
        f"{number(giving * 100)}% of their posts reply to or share others, the rest promote "
        "their own content. Each marker is an account (size: posts; colour: credited leads per "
        f'post, under the report\'s model).</p>{fig}<ul class="note">{notes}</ul>'
    )


def network_section(a: Analysis, div: Mapping[str, str]) -> str:
    """The section body; `div` holds the rendered 'influence' and 'givers' figures."""
    return _chains(a) + _influence(a, div.get("influence", "")) + _givers(a, div.get("givers", ""))
