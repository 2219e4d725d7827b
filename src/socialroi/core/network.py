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
  per node its degree, PageRank (:func:`pagerank`, networkx's power iteration on the same
  arrays) and betweenness centrality (exact, by :mod:`socialroi.core._betweenness`; estimated by
  networkx from sampled sources on large graphs) and how many converting contacts it is tied to
  directly.

Pure: frames in, frames out.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import numpy.typing as npt
import polars as pl

from socialroi.core._betweenness import betweenness
from socialroi.core.roi import touch_platform
from socialroi.schema import SOCIAL_PLATFORMS

if TYPE_CHECKING:
    import networkx as nx

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
#: PageRank's damping, iteration cap and tolerance per node: networkx's defaults.
PAGERANK_ALPHA, PAGERANK_MAX_ITER, PAGERANK_TOL = 0.85, 100, 1.0e-6

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


class Graph(NamedTuple):
    """An undirected weighted graph as arrays: node names in networkx's order (first appearance
    in the edge list, ``a`` before ``b``), and each tie as node indices ``u``, ``v`` with its
    weight."""

    nodes: list[str]
    u: npt.NDArray[np.int64]
    v: npt.NDArray[np.int64]
    weight: npt.NDArray[np.float64]


def graph_of(edges: pl.DataFrame) -> Graph:
    """The graph networkx's ``Graph.add_weighted_edges_from(edges.iter_rows())`` builds from
    `edges` (a, b, weight), as arrays: a repeated tie (either way round) keeps its last weight,
    as networkx does."""
    m = edges.height
    interleaved = np.arange(2 * m).reshape(2, m).T.ravel()  # a0, b0, a1, b1, ...
    ends = pl.concat([edges.get_column("a"), edges.get_column("b")]).gather(interleaved)
    nodes = ends.unique(maintain_order=True)
    index = pl.DataFrame(
        {"node": nodes, "i": pl.int_range(nodes.len(), dtype=pl.Int64, eager=True)}
    )
    codes = (
        ends.rename("node")
        .to_frame()
        .join(index, on="node", how="left", maintain_order="left")
        .get_column("i")
    )
    u, v = codes.to_numpy()[0::2], codes.to_numpy()[1::2]
    weight = edges.get_column("weight").cast(pl.Float64).to_numpy()
    # The last row of each unordered pair, in row order.
    pair = np.minimum(u, v) * len(nodes) + np.maximum(u, v)
    _, first_from_end = np.unique(pair[::-1], return_index=True)
    keep = np.sort(len(pair) - 1 - first_from_end)
    return Graph(nodes.to_list(), u[keep], v[keep], weight[keep])


def pagerank(graph: Graph) -> npt.NDArray[np.float64]:
    """PageRank of each node of `graph` (ties weighted), computed as networkx's
    ``pagerank(G, weight="weight")`` computes it (its scipy power iteration, same matrix, same
    operations, so the same floats): damping PAGERANK_ALPHA, uniform start and teleport, a
    dangling node's rank spread evenly, stop when the L1 change is below n × PAGERANK_TOL.
    ArithmeticError when PAGERANK_MAX_ITER iterations do not converge."""
    import scipy.sparse as sp

    n = len(graph.nodes)
    # networkx's to_scipy_sparse_array for an undirected graph: both directions, no self-loops
    # here (a tie joins two different nodes), COO to CSR.
    loops = graph.u == graph.v
    rows = np.concatenate([graph.u, graph.v[~loops]])
    cols = np.concatenate([graph.v, graph.u[~loops]])
    data = np.concatenate([graph.weight, graph.weight[~loops]])
    adj = sp.coo_array((data, (rows, cols)), shape=(n, n), dtype=float).asformat("csr")
    out_weight = adj.sum(axis=1)
    out_weight[out_weight != 0] = 1.0 / out_weight[out_weight != 0]
    step = sp.dia_array((out_weight.T, 0), shape=adj.shape).tocsr() @ adj
    x = np.repeat(1.0 / n, n)
    teleport = np.repeat(1.0 / n, n)
    dangling = np.where(out_weight == 0)[0]
    alpha = PAGERANK_ALPHA
    for _ in range(PAGERANK_MAX_ITER):
        last = x
        x = alpha * (x @ step + sum(x[dangling]) * teleport) + (1 - alpha) * teleport
        if np.absolute(x - last).sum() < n * PAGERANK_TOL:
            ranks: npt.NDArray[np.float64] = x
            return ranks
    raise ArithmeticError(f"PageRank did not converge in {PAGERANK_MAX_ITER} iterations")


def _networkx_graph(graph: Graph) -> nx.Graph[str]:
    import networkx as nx

    g: nx.Graph[str] = nx.Graph()
    g.add_nodes_from(graph.nodes)
    names = graph.nodes
    g.add_weighted_edges_from(
        (names[u], names[v], w)
        for u, v, w in zip(graph.u.tolist(), graph.v.tolist(), graph.weight.tolist(), strict=True)
    )
    return g


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
    graph = graph_of(edges)
    n = len(graph.nodes)
    if n > EXACT_BETWEENNESS_NODES:
        import networkx as nx

        size = n + edges.height
        k = min(n, max(MIN_SAMPLES, min(MAX_SAMPLES, BETWEENNESS_WORK // size)))
        sampled = nx.betweenness_centrality(_networkx_graph(graph), k=k, normalized=True, seed=0)
        between = np.array([sampled[node] for node in graph.nodes], dtype=np.float64)
    else:
        between = betweenness(n, graph.u, graph.v)
    # Distinct ties per node (a self-loop, which influence_edges never makes, counts twice in
    # networkx's degree as here).
    degree = np.bincount(graph.u, minlength=n) + np.bincount(graph.v, minlength=n)
    scores = pl.DataFrame(
        {
            "key": pl.Series(graph.nodes, dtype=pl.String),
            "degree": pl.Series(degree, dtype=pl.Int64),
            "pagerank": pl.Series(pagerank(graph), dtype=pl.Float64),
            "betweenness": pl.Series(between, dtype=pl.Float64),
        }
    )
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
        scores.join(reached, on="key", how="left")
        .join(names, on="key", how="left")
        .with_columns(
            pl.col("key").str.splitn(":", 2).struct.rename_fields(["kind", "node"]),
            pl.col("converting_reached").fill_null(0),
        )
        .unnest("key")
    )
    return out.select(list(INFLUENCE_SCHEMA)).sort(
        ["converting_reached", "betweenness", "pagerank", "kind", "node"],
        descending=[True, True, True, False, False],
    )
