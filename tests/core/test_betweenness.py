"""The array betweenness against networkx's Brandes and against values counted by hand."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialroi.core import _betweenness
from socialroi.core._betweenness import betweenness
from tests.lazy import lazy

if TYPE_CHECKING:
    import networkx as nx
else:
    nx = lazy("networkx")  # imported by the first test that uses it


def _ties(edges: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    arr = np.array(edges, dtype=np.int64).reshape(-1, 2)
    return arr[:, 0], arr[:, 1]


def _networkx(n: int, edges: list[tuple[int, int]]) -> list[float]:
    g: nx.Graph[int] = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from(edges)
    ref = nx.betweenness_centrality(g, normalized=True)
    return [ref[i] for i in range(n)]


def test_hand_counted_path_and_star():
    # Path 0-1-2-3: node 1 lies on 0-2 and 0-3, node 2 on 0-3 and 1-3 (unordered pairs), out of
    # (n-1)(n-2)/2 = 3 pairs that exclude the node itself.
    got = betweenness(4, *_ties([(0, 1), (1, 2), (2, 3)]))
    assert got.tolist() == pytest.approx([0.0, 2 / 3, 2 / 3, 0.0])
    # Star with centre 0 and 4 leaves: the centre is on all 6 leaf pairs, of 6.
    got = betweenness(5, *_ties([(0, 1), (0, 2), (0, 3), (0, 4)]))
    assert got.tolist() == pytest.approx([1.0, 0.0, 0.0, 0.0, 0.0])


def test_two_shortest_paths_split_the_credit():
    # Square 0-1-2-3-0: 0 and 2 are joined by two shortest paths, through 1 and through 3, so
    # each of 1 and 3 gets half of that one pair, of 3 pairs: 1/6 each; same for 0 and 2.
    got = betweenness(4, *_ties([(0, 1), (1, 2), (2, 3), (3, 0)]))
    assert got.tolist() == pytest.approx([1 / 6] * 4)


def test_repeats_self_loops_isolated_nodes_and_tiny_graphs():
    once = betweenness(5, *_ties([(0, 1), (1, 2)]))
    noisy = betweenness(5, *_ties([(0, 1), (1, 0), (1, 2), (2, 2), (0, 1)]))
    assert noisy.tolist() == once.tolist()
    # 1 is on the one pair 0-2, of (5-1)(5-2)/2 = 6 pairs; 3 and 4 are isolated.
    assert once.tolist() == pytest.approx([0.0, 1 / 6, 0.0, 0.0, 0.0])
    assert betweenness(2, *_ties([(0, 1)])).tolist() == [0.0, 0.0]
    assert betweenness(3, *_ties([(1, 1)])).tolist() == [0.0, 0.0, 0.0]


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(3, 40),
    data=st.data(),
    block=st.sampled_from([1, 7, 10_000_000]),
)
def test_matches_networkx_on_random_graphs(n: int, data: st.DataObject, block: int):
    pair = st.tuples(st.integers(0, n - 1), st.integers(0, n - 1))
    edges = data.draw(st.lists(pair, min_size=1, max_size=3 * n))
    old = _betweenness.BLOCK_CELLS
    _betweenness.BLOCK_CELLS = block  # blocks of one source, a few sources, all sources
    try:
        got = betweenness(n, *_ties(edges))
    finally:
        _betweenness.BLOCK_CELLS = old
    want = _networkx(n, [(a, b) for a, b in edges if a != b])
    assert got.tolist() == pytest.approx(want, rel=1e-12, abs=1e-15)


def test_matches_networkx_on_a_larger_sparse_graph():
    # Tree-like, with cycles and several components, as the influence graph of a small firm.
    g = nx.gnm_random_graph(600, 640, seed=3)
    edges = list(g.edges())
    got = betweenness(600, *_ties(edges))
    assert got.tolist() == pytest.approx(_networkx(600, edges), rel=1e-12, abs=1e-15)
