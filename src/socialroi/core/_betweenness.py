"""Exact betweenness centrality of an undirected, unweighted graph, a block of sources at a time.

Brandes' algorithm with its per-node Python loops replaced by sparse-matrix products over a
block of sources at once. Forwards, the nodes at distance d + 1 from each source and their
shortest-path counts (``sigma``) are the product of the distance-d frontier with the adjacency
matrix, kept where the node was not reached before; backwards, the dependency of a node at
distance d (``delta``) is its sigma times the product of the next level's
``(1 + delta) / sigma`` with the adjacency matrix. Work is that of Brandes, O(nodes × ties);
memory is a few dense ``block × nodes`` arrays.

The values are networkx's ``betweenness_centrality(G, normalized=True)`` (same definition, and
the same normalisation ``1 / ((n - 1)(n - 2))`` over ordered pairs) up to floating-point rounding
in the last bits. Pure.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

#: Sources per block: the block's dense (source, node) arrays stay below this many cells.
BLOCK_CELLS = 200_000

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


def betweenness(n: int, a: Ints, b: Ints) -> Floats:
    """Normalised betweenness of nodes ``0..n-1`` of the undirected graph with ties
    ``a[i] -- b[i]`` (repeated ties and self-loops change nothing)."""
    total = np.zeros(n)
    ties = a != b
    if n <= 2 or not ties.any():
        return total
    rows, cols = np.concatenate([a[ties], b[ties]]), np.concatenate([b[ties], a[ties]])
    adj = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n, n))
    adj.data[:] = 1.0  # a repeated tie is one tie
    block = max(1, BLOCK_CELLS // n)
    for start in range(0, n, block):
        total += _dependencies(adj, np.arange(start, min(n, start + block)))
    scores: Floats = total / ((n - 1) * (n - 2))
    return scores


def _rows(m: sp.csr_matrix) -> Ints:
    """The row of each stored entry of `m`, in storage order."""
    rows: Ints = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
    return rows


def _indptr(rows: Ints, k: int) -> Ints:
    """CSR row pointers for entries stored in row order, from their rows."""
    indptr: Ints = np.zeros(k + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=k), out=indptr[1:])
    return indptr


def _dependencies(adj: sp.csr_matrix, sources: Ints) -> Floats:
    """Per node, the sum over `sources` of its dependency (Brandes' delta)."""
    k, n = len(sources), adj.shape[0]
    start = np.arange(k) * n + sources
    level = np.full(k * n, -1, dtype=np.int32)  # (source, node) cells, flattened
    level[start] = 0
    sigma = np.zeros(k * n)
    sigma[start] = 1.0
    frontier = sp.csr_matrix((np.ones(k), sources, np.arange(k + 1)), shape=(k, n))
    fronts: list[Ints] = []  # the cells of each level from 1 on
    while True:
        reach = sp.csr_matrix(frontier @ adj)
        rows = _rows(reach)
        cells = rows * n + reach.indices
        new = level[cells] < 0
        if not new.any():
            break
        rows, cells, counts = rows[new], cells[new], reach.data[new]
        fronts.append(cells)
        level[cells] = len(fronts)
        sigma[cells] = counts
        frontier = sp.csr_matrix((counts, cells - rows * n, _indptr(rows, k)), shape=(k, n))
    delta = np.zeros(k * n)
    for depth in range(len(fronts), 1, -1):
        cells = fronts[depth - 1]
        coeff = sp.csr_matrix(
            ((1.0 + delta[cells]) / sigma[cells], cells % n, _indptr(cells // n, k)), shape=(k, n)
        )
        pulled = sp.csr_matrix(coeff @ adj)
        at = _rows(pulled) * n + pulled.indices
        up = level[at] == depth - 1
        delta[at[up]] = sigma[at[up]] * pulled.data[up]
    out: Floats = delta.reshape(k, n).sum(axis=0)
    return out
