"""Referral chains, influence and givers on hand-built cases."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialroi import schema
from socialroi.core import givers, network
from socialroi.schema import conform
from tests.lazy import lazy

if TYPE_CHECKING:
    import networkx as nx
else:
    nx = lazy("networkx")  # imported by the first test that uses it


def _ts(day: int) -> datetime:
    return datetime(2025, 1, day, 12, tzinfo=UTC)


def _contacts(links: dict[str, str | None], **extra: dict[str, str]) -> pl.DataFrame:
    rows = [
        {"contact_id": c, "referred_by": up, "name": f"Name {c}"}
        | {k: v[c] for k, v in extra.items() if c in v}
        for c, up in links.items()
    ]
    return conform("contacts", pl.DataFrame(rows, infer_schema_length=None))


def _deals(*rows: tuple[str, str, float, bool | None]) -> pl.DataFrame:
    return conform(
        "deals",
        pl.DataFrame(
            [
                {"deal_id": d, "contact_id": c, "amount": v, "won": w, "created_at": _ts(1)}
                for d, c, v, w in rows
            ],
            schema_overrides={"won": pl.Boolean},
        ),
    )


def _by_contact(credits: pl.DataFrame, deal: str) -> dict[str, float]:
    rows = credits.filter(pl.col("deal_id") == deal).select("contact_id", "value_credit")
    return dict(rows.iter_rows())


# A refers B refers C; C's deal is 1000.
CHAIN = {"A": None, "B": "A", "C": "B"}


def test_value_decays_up_the_chain():
    credits = network.referral_credits(
        _contacts(CHAIN), _deals(("D1", "C", 1000.0, True)), decay=0.5
    )
    assert _by_contact(credits, "D1") == {"C": 1000.0, "B": 500.0, "A": 250.0}
    assert credits["hop"].to_list() == [0, 1, 2]
    assert set(credits["root_id"]) == {"A"}


def test_decay_and_depth_are_configurable():
    contacts, deals = _contacts(CHAIN), _deals(("D1", "C", 1000.0, True))
    assert _by_contact(network.referral_credits(contacts, deals, decay=0.2), "D1") == pytest.approx(
        {"C": 1000.0, "B": 200.0, "A": 40.0}
    )
    capped = network.referral_credits(contacts, deals, decay=0.5, max_depth=1)
    assert _by_contact(capped, "D1") == {"C": 1000.0, "B": 500.0}
    assert capped["root_id"].unique().to_list() == ["B"]  # furthest reached within the cap
    with pytest.raises(ValueError, match="decay"):
        network.referral_credits(contacts, deals, decay=1.5)


def test_open_and_lost_deals_credit_nobody():
    deals = _deals(("D1", "C", 1000.0, None), ("D2", "C", 300.0, False))
    assert network.referral_credits(_contacts(CHAIN), deals).height == 0


def test_a_cycle_stops_before_the_repeat():
    contacts = _contacts({"A": "C", "B": "A", "C": "B"})  # A → B → C → A
    credits = network.referral_credits(
        contacts, _deals(("D1", "C", 1000.0, True)), decay=0.5, max_depth=50
    )
    assert _by_contact(credits, "D1") == {"C": 1000.0, "B": 500.0, "A": 250.0}
    assert credits.height == 3


def test_two_branches_add_up_at_the_root():
    # A referred B and C; B's deal 1000, C's deals 400 and 200, A's own deal 50.
    contacts = _contacts({"A": None, "B": "A", "C": "A"})
    deals = _deals(
        ("D1", "B", 1000.0, True),
        ("D2", "C", 400.0, True),
        ("D3", "C", 200.0, True),
        ("D4", "A", 50.0, True),
    )
    credits = network.referral_credits(contacts, deals, decay=0.5)
    per = network.contact_referral_credit(credits, contacts)
    a = per.filter(pl.col("contact_id") == "A").row(0, named=True)
    assert a["network_revenue"] == pytest.approx(500 + 200 + 100)
    assert a["own_revenue"] == pytest.approx(50.0)
    assert a["downstream_deals"] == 3
    chains = network.referral_chains(
        credits,
        contacts,
        schema.empty("touchpoints"),
        schema.empty("employees"),
    )
    assert chains.height == 1
    root = chains.row(0, named=True)
    assert root["root_id"] == "A"
    assert root["downstream_deals"] == 3
    assert root["deal_ids"] == ["D1", "D2", "D3"]
    assert root["downstream_value"] == pytest.approx(1600.0)
    assert root["network_revenue"] == pytest.approx(800.0)
    assert root["own_revenue"] == pytest.approx(50.0)


def test_chain_names_the_employee_and_platform_of_the_first_social_touch():
    contacts = _contacts(
        {"A": None, "B": "A", "C": "B", "X": None, "Y": "X"},
        owner_employee_id={"A": "e2", "X": "e2"},
    )
    deals = _deals(("D1", "C", 1000.0, True), ("D2", "B", 100.0, True), ("D3", "Y", 80.0, True))
    touches = conform(
        "touchpoints",
        pl.DataFrame(
            [
                {"contact_id": "A", "ts": _ts(1), "channel": "event", "ref": "ev"},
                {
                    "contact_id": "A",
                    "ts": _ts(2),
                    "channel": "linkedin",
                    "ref": "p1",
                    "kind": "mention",
                    "employee_id": "e1",
                },
                {"contact_id": "A", "ts": _ts(3), "channel": "x", "ref": "p2", "employee_id": "e2"},
            ]
        ),
    )
    employees = conform(
        "employees", pl.DataFrame({"employee_id": ["e1", "e2"], "name": ["Ana", "Ben"]})
    )
    credits = network.referral_credits(contacts, deals, decay=0.5)
    chains = network.referral_chains(credits, contacts, touches, employees)
    assert chains["root_id"].to_list() == ["A", "X"]
    a, x = chains.rows(named=True)
    assert (a["employee_id"], a["employee_name"], a["met_on"]) == ("e1", "Ana", "linkedin")
    assert (a["downstream_deals"], a["network_revenue"]) == (2, pytest.approx(250 + 50))
    assert (x["employee_id"], x["met_on"]) == ("e2", None)  # no social touch: the owner
    per_employee = network.referral_employees(chains)
    assert per_employee.select("employee_id", "chains", "downstream_deals").rows() == [
        ("e1", 1, 2),
        ("e2", 1, 1),
    ]


# Two groups (employees e1, e2 each tied to contacts a1..a3; e3, e4 to b1..b3), joined only
# through contact "bridge", whom a1 referred and who referred b1.
def _two_groups() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    rows = []
    for emps, people in ((("e1", "e2"), ("a1", "a2", "a3")), (("e3", "e4"), ("b1", "b2", "b3"))):
        for emp in emps:
            for i, c in enumerate(people):
                rows.append(
                    {
                        "contact_id": c,
                        "ts": _ts(i + 1),
                        "channel": "linkedin",
                        "ref": f"{emp}-{c}",
                        "kind": "mention" if i % 2 else "reply",
                        "employee_id": emp,
                    }
                )
    rows.append(  # a second mention doubles the tie's weight
        {"contact_id": "a1", "ts": _ts(8), "channel": "x", "ref": "again", "kind": "mention"}
        | {"employee_id": "e1"}
    )
    rows.append(  # an e-mail is not a social tie
        {"contact_id": "a1", "ts": _ts(9), "channel": "email", "ref": "m", "kind": "email"}
        | {"employee_id": "e3"}
    )
    touches = conform("touchpoints", pl.DataFrame(rows))
    contacts = _contacts(
        {"a1": None, "a2": None, "a3": None, "bridge": "a1", "b1": "bridge", "b2": None, "b3": None}
    )
    employees = conform(
        "employees",
        pl.DataFrame({"employee_id": ["e1", "e2", "e3", "e4"], "name": ["Ana", "Ben", "Cy", "Di"]}),
    )
    return touches, contacts, employees


def test_the_bridge_has_the_highest_betweenness_and_values_match_networkx():
    touches, contacts, employees = _two_groups()
    out = network.influence(touches, contacts, employees, ["a2", "a3", "b1"])
    top = out.sort("betweenness", descending=True).row(0, named=True)
    assert (top["node"], top["kind"]) == ("bridge", "contact")
    edges = network.influence_edges(touches, contacts)
    weights = {(a, b): w for a, b, w in edges.iter_rows()}
    assert ("contact:a1", "employee:e3") not in weights
    assert weights[("contact:a1", "employee:e1")] == 2.0
    assert weights[("contact:a1", "contact:bridge")] == 1.0
    g: nx.Graph[str] = nx.Graph()
    g.add_weighted_edges_from(edges.iter_rows())
    assert g.number_of_nodes() == out.height == 11
    between = nx.betweenness_centrality(g)
    rank = nx.pagerank(g, weight="weight")
    for r in out.iter_rows(named=True):
        key = f"{r['kind']}:{r['node']}"
        assert r["betweenness"] == pytest.approx(between[key])
        assert r["pagerank"] == rank[key]  # the same computation, so the same float
        assert r["degree"] == g.degree(key)
    e1 = out.filter(pl.col("node") == "e1").row(0, named=True)
    assert (e1["name"], e1["converting_reached"]) == ("Ana", 2)  # a2 and a3
    bridge = out.filter(pl.col("node") == "bridge").row(0, named=True)
    assert (bridge["degree"], bridge["converting_reached"]) == (2, 1)  # a1 and b1
    ranked = out.head(4).select("node").to_series().to_list()
    assert ranked[:2] == ["e1", "e2"] or ranked[:2] == ["e2", "e1"]  # most converting reached


def _edges(rows: list[tuple[str, str, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows, schema={"a": pl.String, "b": pl.String, "weight": pl.Float64}, orient="row"
    )


def _networkx_graph(edges: pl.DataFrame) -> nx.Graph[str]:
    g: nx.Graph[str] = nx.Graph()
    g.add_weighted_edges_from(edges.iter_rows())
    return g


def test_graph_keeps_networkx_node_order_and_last_weight_of_a_repeated_tie():
    edges = _edges([("c", "a", 1.0), ("b", "c", 2.0), ("a", "c", 5.0), ("d", "b", 1.0)])
    graph = network.graph_of(edges)
    assert graph.nodes == ["c", "a", "b", "d"]  # first seen, a before b
    ties = {
        frozenset((graph.nodes[u], graph.nodes[v])): w
        for u, v, w in zip(graph.u.tolist(), graph.v.tolist(), graph.weight.tolist(), strict=True)
    }
    # c-a given twice (either way round) is one tie with the later weight.
    assert ties == {frozenset("ca"): 5.0, frozenset("bc"): 2.0, frozenset("db"): 1.0}
    assert graph.nodes == list(_networkx_graph(edges))


def test_pagerank_by_hand_on_a_star():
    # Star centre c with 3 leaves, unit weights: each leaf passes all its rank to c, c splits its
    # rank over the leaves. The fixed point: c = 0.15/4 + 0.85 * 3l, l = 0.15/4 + 0.85 * c/3,
    # so c = (0.0375 + 0.85 * 0.1125) / (1 - 0.85²) ≈ 0.4865, l = (1 - c)/3.
    edges = _edges([("c", "x", 1.0), ("c", "y", 1.0), ("c", "z", 1.0)])
    got = network.pagerank(network.graph_of(edges))
    centre = (0.0375 + 0.85 * 0.1125) / (1 - 0.85**2)
    assert got.tolist() == pytest.approx([centre] + [(1 - centre) / 3] * 3, abs=1e-5)
    assert got.sum() == pytest.approx(1.0)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 25), st.integers(0, 25), st.integers(1, 9)),
        min_size=1,
        max_size=80,
    )
)
def test_pagerank_is_networkx_to_the_last_bit(rows: list[tuple[int, int, int]]):
    # Random multigraph rows in any order, repeated ties (either way round) and self-loops: the
    # same floats as networkx's pagerank, not just close ones.
    edges = _edges([(f"n{a}", f"n{b}", float(w)) for a, b, w in rows])
    graph = network.graph_of(edges)
    g = _networkx_graph(edges)
    assert graph.nodes == list(g)
    want = nx.pagerank(g, weight="weight")
    assert network.pagerank(graph).tolist() == [want[node] for node in graph.nodes]


def test_influence_on_no_ties_is_empty():
    touches, contacts, employees = _two_groups()
    out = network.influence(touches.clear(), contacts.clear(), employees, [])
    assert out.height == 0
    assert out.schema == pl.Schema(network.INFLUENCE_SCHEMA)


def _posts(kinds: dict[str, list[str]]) -> pl.DataFrame:
    rows = [
        {"platform": "x", "post_id": f"{acc}-{i}", "account_id": acc, "kind": k}
        for acc, ks in kinds.items()
        for i, k in enumerate(ks)
    ]
    return conform("posts", pl.DataFrame(rows))


def test_giver_share_engagement_and_leads_by_hand():
    posts = _posts({"g": ["reply", "share", "broadcast", "reply"], "b": ["broadcast"] * 2})
    metrics = conform(
        "post_metrics",
        pl.DataFrame(
            [
                # an older snapshot of g-0 is superseded by the later one
                {"platform": "x", "post_id": "g-0", "as_of": _ts(1), "likes": 100},
                {"platform": "x", "post_id": "g-0", "as_of": _ts(5), "likes": 4, "comments": 2},
                {"platform": "x", "post_id": "g-1", "as_of": _ts(5), "shares": 2, "saves": 0},
                {"platform": "x", "post_id": "b-0", "as_of": _ts(5), "likes": 1, "impressions": 9},
            ]
        ),
    )
    accounts = conform(
        "accounts",
        pl.DataFrame(
            {"platform": ["x", "x"], "account_id": ["g", "b"], "handle": ["@g", "@b"]}
            | {"owner": ["e1", "brand"]}
        ),
    )
    leads = pl.DataFrame(
        {"platform": ["x", "x", None], "post_id": ["g-1", "g-1", None], "credit": [0.5, 0.25, 1.0]}
    )
    employees = conform("employees", pl.DataFrame({"employee_id": ["e1"], "name": ["Ana"]}))
    out = givers.giver_accounts(posts, accounts, metrics, leads, employees)
    g, b = out.rows(named=True)
    assert (g["account_id"], g["posts"], g["replies"], g["shares"], g["broadcasts"]) == (
        "g",
        4,
        2,
        1,
        1,
    )
    assert g["giver_share"] == pytest.approx(0.75)
    assert g["engagements"] == 8
    assert g["engagement_per_post"] == pytest.approx(2.0)
    assert g["leads"] == pytest.approx(0.75)
    assert g["owner_name"] == "Ana"
    assert (b["giver_share"], b["engagements"], b["impressions"], b["leads"]) == (0.0, 1, 9, 0.0)


def test_giver_summary_says_when_there_are_too_few_accounts():
    few = pl.DataFrame(
        {"giver_share": [0.1, 0.5], "engagement_per_post": [1.0, 2.0], "leads_per_post": [0.0, 1.0]}
    )
    out = givers.giver_summary(few)
    assert out["n"].to_list() == [2, 2]
    assert out["spearman"].null_count() == 2
    assert all("Too few accounts" in n for n in out["note"])


def test_giver_summary_correlates_across_accounts():
    share = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
    df = pl.DataFrame(
        {
            "giver_share": share,
            "engagement_per_post": [s * 10 for s in share],  # rises with giving
            "leads_per_post": [1.0] * 10,  # does not vary
        }
    )
    out = givers.giver_summary(df).rows(named=True)
    assert out[0]["spearman"] == pytest.approx(1.0)
    assert out[0]["n"] == 10
    assert "more engagement per post" in out[0]["note"]
    assert out[1]["spearman"] is None
    assert "same for every account" in out[1]["note"]


def test_large_graphs_estimate_betweenness_from_a_fixed_sample(monkeypatch):
    touches, contacts, employees = _two_groups()
    monkeypatch.setattr(network, "EXACT_BETWEENNESS_NODES", 5)
    monkeypatch.setattr(network, "BETWEENNESS_WORK", 1)  # as few sources as allowed
    out = network.influence(touches, contacts, employees, [])
    g: nx.Graph[str] = nx.Graph()
    g.add_weighted_edges_from(network.influence_edges(touches, contacts).iter_rows())
    sampled = nx.betweenness_centrality(g, k=network.MIN_SAMPLES, seed=0)
    assert sampled != nx.betweenness_centrality(g)
    got = {f"{k}:{n}": b for k, n, b in out.select("kind", "node", "betweenness").rows()}
    assert got == pytest.approx(sampled)
    assert out.equals(network.influence(touches, contacts, employees, []))  # same seed, same answer
