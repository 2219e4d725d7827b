"""First-order Markov chains straight from grouped touches: no journey rows, no text (design §4).

A converting journey is one conversion's touches, a run of rows in grouped order; a contact's
non-converting journey is its touches that no conversion took, in time order, which may be
split around its conversions. Each touch steps from the journey's previous touch (START for
its first) to its own channel, and each journey's last touch steps to CONVERSION or NULL. A
step from a channel to itself is a merged repeat and is not counted. The counts are exactly
what :func:`~socialroi.core.attribution.markov.markov` counts on the journeys frame, so the
chain solved from them is the same chain.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from socialroi.core.attribution.markov import (
    _CONV,
    _DENSE_PAIRS,
    _NULL,
    _START,
    MarkovResult,
    channel_codes,
    solve_chain,
)
from socialroi.core.journeys import Grouped
from socialroi.errors import DataError

# Dense state numbers while counting: the absorbing states and START, then channel c at 3 + c.
_D_NULL, _D_CONV, _D_START = 0, 1, 2


def markov_order1(grouped: Grouped, channel: pl.Series, conv_value: np.ndarray) -> MarkovResult:
    """markov(order=1) of the journeys of `grouped` touches whose channels (input order) are
    `channel`; `conv_value` holds each conversion's value (by conversions row)."""
    if channel.null_count():
        raise DataError("journeys contain a touch with no channel")
    if not isinstance(channel.dtype, pl.Categorical | pl.Enum):
        channel = channel.cast(pl.String).cast(pl.Categorical)
    channels, code = channel_codes(channel)
    n_states = len(channels) + 3
    if n_states * n_states > _DENSE_PAIRS:
        raise DataError(f"too many channels ({len(channels)}) for a first-order chain")
    state = code.cast(pl.Int32).to_numpy() + 3
    if grouped.order is not None:
        state = state[grouped.order]
    counts, total_conv, total_value = _count(grouped, state, n_states, conv_value)
    return solve_chain(_frame(counts, n_states), channels, 1, total_conv, total_value)


def _count(
    grouped: Grouped, state: np.ndarray, n_states: int, conv_value: np.ndarray
) -> tuple[np.ndarray, float, float]:
    """Transition counts over dense (from, to) pairs (`state`: each grouped row's dense
    state), the number of converting journeys and their total value."""
    runs, k = grouped.runs, grouped.conversion
    n = len(state)
    # Contacts without a converting touch are one journey: the previous row, START at a run's
    # start, and the run's last row ends in NULL.
    prev = np.empty(n, dtype=np.int32)
    prev[0] = _D_START
    prev[1:] = state[:-1]
    prev[runs] = _D_START
    last = np.empty(n, dtype=bool)
    last[:-1] = runs[1:]
    last[-1] = True
    rows = _converting_rows(runs, k)
    if len(rows):
        _fix_converting(rows, grouped, state, prev, last)
    steps = prev != state
    pairs = n_states * n_states
    counts = np.bincount(prev[steps] * n_states + state[steps], minlength=pairs)
    ends = np.flatnonzero(last)
    end_to = np.where(k[ends] >= 0, _D_CONV, _D_NULL)
    counts += np.bincount(state[ends] * n_states + end_to, minlength=pairs)
    # One conversion's journey begins where a converting row does not continue the row before.
    opens = rows[k[rows] >= 0]
    opens = opens[(opens == 0) | (k[np.maximum(opens - 1, 0)] != k[opens])]
    total_value = float(conv_value[k[opens]].sum())
    return counts, float(len(opens)), total_value


def _converting_rows(runs: np.ndarray, k: np.ndarray) -> np.ndarray:
    """The rows (ascending) of every contact that has a converting touch."""
    starts = np.flatnonzero(runs)
    hit = np.flatnonzero(k >= 0)
    if len(hit) == 0:
        return hit
    block = np.unique(np.searchsorted(starts, hit, side="right") - 1)
    size = np.diff(np.append(starts, len(k)))[block]
    return np.repeat(starts[block] - (np.cumsum(size) - size), size) + np.arange(size.sum())


def _fix_converting(
    rows: np.ndarray, grouped: Grouped, state: np.ndarray, prev: np.ndarray, last: np.ndarray
) -> None:
    """Set `prev` and `last` right on `rows`, the rows of contacts with a converting touch.

    A converting row continues the row before it when that row has the same conversion. A
    non-converting row continues the contact's previous non-converting row, and the contact's
    last non-converting row ends its non-converting journey.
    """
    runs, k = grouped.runs, grouped.conversion
    kr = k[rows]
    conv = kr >= 0
    before = np.maximum(rows - 1, 0)
    same = (rows > 0) & (k[before] == kr)
    prev[rows[conv]] = np.where(same[conv], state[before[conv]], _D_START)
    after = np.minimum(rows + 1, len(k) - 1)
    last[rows[conv]] = (rows[conv] == len(k) - 1) | (k[after[conv]] != kr[conv])
    free = rows[~conv]
    if len(free) == 0:
        return
    # `rows` holds whole contacts, so their run flags number the contacts among them.
    contact = np.cumsum(runs[rows])[~conv]
    cont = np.zeros(len(free), dtype=bool)
    cont[1:] = contact[1:] == contact[:-1]
    shifted = np.empty(len(free), dtype=np.int32)
    shifted[0] = _D_START
    shifted[1:] = state[free[:-1]]
    prev[free] = np.where(cont, shifted, _D_START)
    ends = np.ones(len(free), dtype=bool)
    ends[:-1] = ~cont[1:]
    last[free] = ends


def _frame(counts: np.ndarray, n_states: int) -> pl.DataFrame:
    """Nonzero dense pair counts as markov's (from, to, n) frame, sorted by from then to."""
    codes = np.arange(n_states, dtype=np.int64) - 2
    codes[:3] = [_NULL, _CONV, _START]
    seen = np.flatnonzero(counts)
    return pl.DataFrame(
        {
            "from": codes[seen // n_states],
            "to": codes[seen % n_states],
            "n": counts[seen].astype(np.float64),
        },
        schema={"from": pl.Int64, "to": pl.Int64, "n": pl.Float64},
    )
