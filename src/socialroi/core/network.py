"""Referral chains and influence: who brought whom, and who connects the contacts that convert.

* :func:`referral_paths` / :func:`referral_credits`: a won deal's value flows back along
  ``contacts.referred_by``. The deal's own contact keeps the whole value (hop 0); the contact who
  referred it gets value × decay, the one above value × decay², and so on up to ``max_depth`` hops.
  A chain that loops back on itself stops before the repeat, so a cycle never credits a contact
  twice for one deal. Chains are walked with one self-join per hop over every deal at once.
* :func:`referral_chains`: per original contact (the root of a chain: the contact with no referrer,
  or the furthest one reached when a chain loops or hits ``max_depth``) the deals further down,
  their value and the decayed credit the root earns from them (its network revenue); with the
  employee behind the root (that of its first social touch, else its owner) and the platform of
  that touch. :func:`referral_employees` totals the chains per employee.
* :func:`influence`: the graph of contacts and staff (touches such as mentions, replies, DMs,
  engagements and referrals tie a contact to an employee; ``referred_by`` ties two contacts), and
  per node its degree, PageRank (networkx) and betweenness centrality (exact, by
  :mod:`socialroi.core._betweenness`; estimated by networkx from sampled sources on large graphs)
  and how many converting contacts it is tied to directly.

Pure: frames in, frames out.
"""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx
import numpy as np
import polars as pl

from socialroi.core._betweenness import betweenness
from socialroi.core.roi import touch_platform
from socialroi.schema import SOCIAL_PLATFORMS

DEFAULT_DECAY = 0.5
DEFAULT_MAX_DEPTH = 6
#: Touch kinds that tie a contact to the employee named on the touch.
INFLUENCE_KINDS: tuple[str, ...] = ("mention", "reply", "dm", "engagement", "referral")
#: Betweenness is exact up to this many nodes. Above, it is estimated from a fixed-seed sample of
#: sources: BETWEENNESS_WORK ÷ (nodes + ties) of them (each source costs one pass over the graph,
#: a few seconds per million nodes and ties in networkx), kept between MIN_SAMPLES and MAX_SAMPLES.
EXACT_BETWEENNESS_NODES = 1_000
BETWEENNESS_WORK = 2_000_000
MIN_SAMPLES, MAX_SAMPLES = 10, 300

CHAINS_SCHEMA: dict[str, pl.DataType] = {
    "root_id": pl.String(),
    "root_name": pl.String(),
    "company": pl.String(),
    "employee_id": pl.String(),
    "employee_name": pl.String(),
    "met_on": pl.String(),
    "depth": pl.Int64(),
    "downstream_deals": pl.UInt32(),
    "deal_ids": pl.List(pl.String()),
    "downstream_value": pl.Float64(),
    "network_revenue": pl.Float64(),
    "own_revenue": pl.Float64(),
}
INFLUENCE_SCHEMA: dict[str, pl.DataType] = {
    "node": pl.String(),
    "kind": pl.String(),
    "name": pl.String(),
    "degree": pl.Int64(),
    "pagerank": pl.Float64(),
    "betweenness": pl.Float64(),
    "converting_reached": pl.Int64(),
}


def _check(decay: float, max_depth: int) -> None:
    if not 0.0 <= decay <= 1.0:
        raise ValueError(f"decay per hop must be between 0 and 1, got {decay}")
    if max_depth < 0:
        raise ValueError(f"max_depth must be 0 or more, got {max_depth}")


def _links(contacts: pl.DataFrame) -> pl.DataFrame:
    """node → up: each contact and the contact who referred it (self-referrals dropped)."""
    return (
        contacts.select(pl.col("contact_id").alias("node"), pl.col("referred_by").alias("up"))
        .filter(pl.col("up").is_not_null() & (pl.col("up") != pl.col("node")))
        .unique("node", keep="first")
    )


def referral_paths(
    origins: Iterable[str] | pl.Series, contacts: pl.DataFrame, *, max_depth: int
) -> pl.DataFrame:
    """origin, contact_id, hop: every contact up the referral chain of each origin (hop 0 is the
    origin itself), stopping before a contact already on the path and after ``max_depth`` hops."""
    links = _links(contacts)
    start = pl.DataFrame({"origin": pl.Series(list(origins), dtype=pl.String)}).unique()
    paths = start.with_columns(pl.col("origin").alias("node"), pl.lit(0, pl.Int64).alias("hop"))
    frontier = paths
    for hop in range(1, max_depth + 1):
        step = (
            frontier.join(links, on="node")
            .select("origin", pl.col("up").alias("node"), pl.lit(hop, pl.Int64).alias("hop"))
            .join(paths, on=["origin", "node"], how="anti")
        )
        if step.height == 0:
            break
        paths = pl.concat([paths, step])
        frontier = step
    return paths.rename({"node": "contact_id"}).sort("origin", "hop")


def referral_credits(
    contacts: pl.DataFrame,
    deals: pl.DataFrame,
    *,
    decay: float = DEFAULT_DECAY,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> pl.DataFrame:
    """One row per (won deal, contact on its referral chain): deal_id, origin (the deal's
    contact), contact_id, hop, amount, credit = decay**hop, value_credit = amount × credit, and
    root_id (the chain's furthest contact)."""
    _check(decay, max_depth)
    won = deals.filter(pl.col("won").fill_null(False)).select(
        "deal_id", pl.col("contact_id").alias("origin"), pl.col("amount").fill_null(0.0)
    )
    paths = referral_paths(won["origin"], contacts, max_depth=max_depth)
    roots = (
        paths.sort("hop")
        .group_by("origin")
        .agg(pl.col("contact_id").last().alias("root_id"), pl.col("hop").max().alias("depth"))
    )
    credit = pl.lit(decay, pl.Float64).pow(pl.col("hop"))
    return (
        won.join(paths, on="origin")
        .join(roots, on="origin")
        .with_columns(credit.alias("credit"))
        .with_columns((pl.col("amount") * pl.col("credit")).alias("value_credit"))
        .select(
            "deal_id",
            "origin",
            "contact_id",
            "hop",
            "amount",
            "credit",
            "value_credit",
            "root_id",
            "depth",
        )
        .sort("deal_id", "hop")
    )


def first_social_touch(touchpoints: pl.DataFrame) -> pl.DataFrame:
    """contact_id, met_on (platform), met_employee_id, met_at: each contact's first touch on a
    social platform."""
    return (
        touchpoints.with_columns(touch_platform().alias("_platform"))
        .filter(pl.col("_platform").is_in(SOCIAL_PLATFORMS))
        .sort("ts", "channel", "ref")
        .group_by("contact_id")
        .agg(
            pl.col("_platform").first().alias("met_on"),
            pl.col("employee_id").first().alias("met_employee_id"),
            pl.col("ts").first().alias("met_at"),
        )
    )


def referral_chains(
    credits: pl.DataFrame,
    contacts: pl.DataFrame,
    touchpoints: pl.DataFrame,
    employees: pl.DataFrame,
) -> pl.DataFrame:
    """Per original contact with at least one deal further down its chain (CHAINS_SCHEMA), from
    :func:`referral_credits`. network_revenue is the decayed credit the root itself earns from
    those deals; downstream_value their full value; own_revenue the root's own won deals. Sorted
    by network revenue, largest first."""
    down = pl.col("origin") != pl.col("root_id")
    at_root = pl.col("contact_id") == pl.col("root_id")
    per_root = credits.group_by("root_id").agg(
        pl.col("deal_id").filter(down & at_root).unique().sort().alias("deal_ids"),
        pl.col("amount").filter(down & at_root).sum().alias("downstream_value"),
        pl.col("value_credit").filter(down & at_root).sum().alias("network_revenue"),
        pl.col("depth").max().alias("depth"),
    )
    own = (
        credits.filter(pl.col("hop") == 0)
        .group_by(pl.col("contact_id").alias("root_id"))
        .agg(pl.col("amount").sum().alias("own_revenue"))
    )
    people = contacts.select(
        pl.col("contact_id").alias("root_id"),
        pl.col("name").alias("root_name"),
        "company",
        "owner_employee_id",
    ).unique("root_id")
    met = first_social_touch(touchpoints).rename({"contact_id": "root_id"})
    names = employees.select("employee_id", pl.col("name").alias("employee_name")).unique(
        "employee_id"
    )
    out = (
        per_root.with_columns(pl.col("deal_ids").list.len().alias("downstream_deals"))
        .filter(pl.col("downstream_deals") > 0)
        .join(own, on="root_id", how="left")
        .join(people, on="root_id", how="left")
        .join(met, on="root_id", how="left")
        .with_columns(
            pl.coalesce("met_employee_id", "owner_employee_id").alias("employee_id"),
            pl.col("own_revenue").fill_null(0.0),
        )
        .join(names, on="employee_id", how="left")
    )
    return (
        out.select([pl.col(c).cast(t) for c, t in CHAINS_SCHEMA.items()])
        .sort(["network_revenue", "downstream_deals", "root_id"], descending=[True, True, False])
        .select(list(CHAINS_SCHEMA))
    )


def referral_employees(chains: pl.DataFrame) -> pl.DataFrame:
    """employee_id, employee_name, chains, downstream_deals, downstream_value, network_revenue:
    the chains of :func:`referral_chains` totalled by the employee behind each root."""
    return (
        chains.group_by("employee_id")
        .agg(
            pl.col("employee_name").first(),
            pl.len().cast(pl.Int64).alias("chains"),
            pl.col("downstream_deals").sum().cast(pl.Int64),
            pl.col("downstream_value").sum(),
            pl.col("network_revenue").sum(),
        )
        .sort(["network_revenue", "employee_id"], descending=[True, False], nulls_last=True)
    )


def contact_referral_credit(credits: pl.DataFrame, contacts: pl.DataFrame) -> pl.DataFrame:
    """contact_id, name, own_revenue, network_revenue, downstream_deals: every contact on a
    chain, with the decayed credit it earns from deals further down (hop ≥ 1)."""
    up = pl.col("hop") > 0
    return (
        credits.group_by("contact_id")
        .agg(
            pl.col("value_credit").filter(~up).sum().alias("own_revenue"),
            pl.col("value_credit").filter(up).sum().alias("network_revenue"),
            up.sum().cast(pl.Int64).alias("downstream_deals"),
        )
        .join(
            contacts.select("contact_id", "name").unique("contact_id"),
            on="contact_id",
            how="left",
        )
        .select("contact_id", "name", "own_revenue", "network_revenue", "downstream_deals")
        .sort(["network_revenue", "contact_id"], descending=[True, False])
    )


def influence_edges(
    touchpoints: pl.DataFrame,
    contacts: pl.DataFrame,
    *,
    kinds: Iterable[str] = INFLUENCE_KINDS,
) -> pl.DataFrame:
    """a, b, weight: undirected ties between nodes named ``contact:<id>`` / ``employee:<id>``.
    A touch of one of `kinds` with an employee ties its contact to that employee (weight: the
    number of such touches); a referral ties the two contacts (weight 1)."""
    staff = (
        touchpoints.filter(
            pl.col("kind").is_in(list(kinds))
            & pl.col("employee_id").is_not_null()
            & pl.col("contact_id").is_not_null()
        )
        .group_by("contact_id", "employee_id")
        .agg(pl.len().cast(pl.Float64).alias("weight"))
        .select(
            pl.format("contact:{}", "contact_id").alias("a"),
            pl.format("employee:{}", "employee_id").alias("b"),
            "weight",
        )
    )
    # One row per unordered pair of contacts (A refers B and B refers A is one tie).
    referred = (
        _links(contacts)
        .select(
            pl.format("contact:{}", pl.min_horizontal("node", "up")).alias("a"),
            pl.format("contact:{}", pl.max_horizontal("node", "up")).alias("b"),
        )
        .group_by("a", "b")
        .agg(pl.len().cast(pl.Float64).clip(upper_bound=1.0).alias("weight"))
    )
    return pl.concat([staff, referred]).sort("a", "b")


def _scores(scores: dict[str, float], name: str) -> pl.DataFrame:
    return pl.DataFrame(
        {"key": list(scores), name: list(scores.values())},
        schema={"key": pl.String(), name: pl.Float64()},
    )


def influence(
    touchpoints: pl.DataFrame,
    contacts: pl.DataFrame,
    employees: pl.DataFrame,
    converting: Iterable[str] | pl.Series,
    *,
    kinds: Iterable[str] = INFLUENCE_KINDS,
) -> pl.DataFrame:
    """Every tied node (INFLUENCE_SCHEMA): degree (distinct ties), PageRank (weighted by the
    number of interactions), betweenness (unweighted, normalised; exact up to
    EXACT_BETWEENNESS_NODES nodes, else estimated from sampled sources with a fixed seed) and
    converting_reached (converting contacts among its direct ties). Sorted by converting contacts
    reached, then betweenness, then PageRank."""
    edges = influence_edges(touchpoints, contacts, kinds=kinds)
    if edges.height == 0:
        return pl.DataFrame(schema=INFLUENCE_SCHEMA)
    graph: nx.Graph[str] = nx.Graph()
    graph.add_weighted_edges_from(edges.iter_rows())
    n = graph.number_of_nodes()
    k = None
    if n > EXACT_BETWEENNESS_NODES:
        size = n + edges.height
        k = min(n, max(MIN_SAMPLES, min(MAX_SAMPLES, BETWEENNESS_WORK // size)))
    if k is None:
        nodes = list(graph)
        index = {node: i for i, node in enumerate(nodes)}
        ties = np.array([(index[u], index[v]) for u, v in graph.edges()], dtype=np.int64)
        exact = betweenness(len(nodes), ties[:, 0], ties[:, 1])
        between = dict(zip(nodes, exact.tolist(), strict=True))
    else:
        between = nx.betweenness_centrality(graph, k=k, normalized=True, seed=0)
    rank = nx.pagerank(graph, weight="weight")
    degree = {node: float(d) for node, d in graph.degree()}
    conv = pl.DataFrame({"contact_id": pl.Series(list(converting), dtype=pl.String)}).unique()
    conv_keys = conv.select(pl.format("contact:{}", "contact_id").alias("other"))
    pairs = pl.concat(
        [
            edges.select(pl.col("a").alias("key"), pl.col("b").alias("other")),
            edges.select(pl.col("b").alias("key"), pl.col("a").alias("other")),
        ]
    )
    reached = (
        pairs.join(conv_keys, on="other", how="semi")
        .group_by("key")
        .agg(pl.len().cast(pl.Int64).alias("converting_reached"))
    )
    names = pl.concat(
        [
            contacts.select(pl.format("contact:{}", "contact_id").alias("key"), "name"),
            employees.select(pl.format("employee:{}", "employee_id").alias("key"), "name"),
        ]
    ).unique("key")
    out = (
        _scores(degree, "degree")
        .join(_scores(rank, "pagerank"), on="key")
        .join(_scores(between, "betweenness"), on="key")
        .join(reached, on="key", how="left")
        .join(names, on="key", how="left")
        .with_columns(
            pl.col("key").str.splitn(":", 2).struct.rename_fields(["kind", "node"]),
            pl.col("degree").cast(pl.Int64),
            pl.col("converting_reached").fill_null(0),
        )
        .unnest("key")
    )
    return out.select(list(INFLUENCE_SCHEMA)).sort(
        ["converting_reached", "betweenness", "pagerank", "kind", "node"],
        descending=[True, True, True, False, False],
    )
