"""Markov chains straight from grouped touches: no journey rows, no text (design §4).

A converting journey is one conversion's touches, a run of rows in grouped order; a contact's
non-converting journey is its touches that no conversion took, in time order, which may be
split around its conversions. Each touch steps from the journey's previous touch (START for
its first) to its own channel, and each journey's last touch steps to CONVERSION or NULL. A
step from a channel to itself is a merged repeat and is not counted. The counts are exactly
what :func:`~socialroi.core.attribution.markov.markov` counts on the journeys frame, so the
chain solved from them is the same chain.

Order 1 counts those steps on the touch arrays where they lie; higher orders put each touch's
channel code in journey order (only the rows of contacts with a conversion move) and encode
the states from there (:func:`markov_grouped`).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from socialroi.core.attribution.datadriven import journey_arrays, journeys_from_grouped
from socialroi.core.attribution.markov import (
    _CONV,
    _DENSE_PAIRS,
    _NULL,
    _START,
    MarkovResult,
    channel_codes,
    encode_arrays,
    markov,
    solve_chain,
    solve_states,
)
from socialroi.core.journeys import Grouped
from socialroi.errors import DataError

# Dense state numbers while counting: the absorbing states and START, then channel c at 3 + c.
_D_NULL, _D_CONV, _D_START = 0, 1, 2


#: Distinct channels (sorted) and each touch's index into them.
ChannelCodes = tuple[list[str], np.ndarray]


#: Each grouped row's dense state and the transition counts as if every contact were one
#: journey (:func:`order1_start`).
Order1Start = tuple[np.ndarray, np.ndarray]


def order1_start(
    code: np.ndarray,
    n_channels: int,
    order: np.ndarray | None,
    runs: np.ndarray,
    starts: np.ndarray | None = None,
) -> Order1Start | None:
    """The part of an order-1 count that needs only the grouping, not the conversions: each
    grouped row's dense state (`code`: each input row's channel code; `order`: the input rows
    in grouped order, None when the input is grouped; `runs`: each contact's first grouped
    row, at `starts` when given) and the (from, to) counts as if each contact were one
    journey. None when there are too many channels for a table of every pair. It can run while
    the conversions are matched.
    """
    n_states = n_channels + 3
    if n_states * n_states > _DENSE_PAIRS:
        return None
    # Dense states in the narrowest type that holds every (from, to) pair: uint8 for up to 13
    # channels, so the arrays walked are a tenth of int64 ones.
    state = code[order] if order is not None else code
    state = state.astype(_narrow(n_states * n_states))
    state += 3
    return state, _whole_contact_counts(runs, state, n_states, starts)


def markov_order1(
    grouped: Grouped,
    channel: pl.Series,
    conv_value: np.ndarray,
    codes: ChannelCodes | None = None,
    *,
    start: Order1Start | None = None,
) -> MarkovResult:
    """markov(order=1) of the journeys of `grouped` touches whose channels (input order) are
    `channel`; `conv_value` holds each conversion's value (by conversions row). `codes`, when
    given, is touch_channel_codes(channel), and `start`, when given, order1_start of them."""
    channels, code = touch_channel_codes(channel) if codes is None else codes
    n_states = len(channels) + 3
    if start is None:
        start = order1_start(code, len(channels), grouped.order, grouped.runs)
    if start is None:
        # Too many channels for a table of every pair: markov counts them on journeys.
        journeys = journeys_from_grouped(grouped, channel.cast(pl.String), conv_value)
        return markov(journeys, order=1)
    state, whole = start
    counts, total_conv, total_value = _count(grouped, state, n_states, conv_value, whole)
    return solve_chain(_frame(counts, n_states), channels, 1, total_conv, total_value)


def markov_grouped(
    grouped: Grouped,
    channel: pl.Series,
    conv_value: np.ndarray,
    order: int,
    codes: ChannelCodes | None = None,
    *,
    start: Order1Start | None = None,
) -> MarkovResult:
    """markov(order=`order`) of the journeys of `grouped` touches, from arrays: each touch's
    channel code put in journey order (no journey rows, no text). `channel`, `conv_value`,
    `codes` and (order 1) `start` as for :func:`markov_order1`, which order 1 uses."""
    if order == 1:
        return markov_order1(grouped, channel, conv_value, codes, start=start)
    channels, code = touch_channel_codes(channel) if codes is None else codes
    code, new, converted, value = journey_arrays(grouped, code, conv_value)
    states = encode_arrays(code, new, converted, value, n_channels=len(channels), order=order)
    return solve_states(states, channels, order)


def touch_channel_codes(channel: pl.Series) -> ChannelCodes:
    """The distinct channels (sorted) and each touch's index into them, in the narrowest
    unsigned integer type that holds them (uint8 for up to 256 channels). Raises DataError for
    a touch with no channel."""
    if channel.null_count():
        raise DataError("journeys contain a touch with no channel")
    if isinstance(channel.dtype, pl.Categorical | pl.Enum):
        channels, code = channel_codes(channel)
        return channels, code.to_numpy().astype(_narrow(len(channels)))
    # Text: each chunk numbered against the channels seen so far (an Enum of them), widened by
    # any new ones a chunk holds; the numbers are then ranked. No column-sized frame is built.
    known: list[str] = sorted(channel.head(1 << 16).unique().to_list())
    enum = pl.Enum(known)
    parts: list[np.ndarray] = []
    for chunk in channel.get_chunks():
        text = chunk.cast(pl.String)
        coded = text.cast(enum, strict=False)
        if coded.null_count():
            known.extend(sorted(text.filter(coded.is_null()).unique().to_list()))
            enum = pl.Enum(known)
            coded = text.cast(enum)
        parts.append(coded.to_physical().to_numpy())
    ids = np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint8)
    del parts
    channels = sorted(known)
    dtype = _narrow(len(channels))
    if channels == known:  # every channel was in the first rows: the numbers are ranks
        return channels, ids.astype(dtype, copy=False)
    rank = {c: i for i, c in enumerate(channels)}
    lut = np.array([rank[c] for c in known], dtype=dtype)
    ranked: np.ndarray = lut[ids]
    return channels, ranked


def _narrow(n: int) -> type[np.unsignedinteger]:
    """The narrowest unsigned type that holds 0..n - 1."""
    for dtype in (np.uint8, np.uint16, np.uint32):
        if n <= np.iinfo(dtype).max + 1:
            return dtype
    return np.uint64


def _whole_contact_counts(
    runs: np.ndarray, state: np.ndarray, n_states: int, starts: np.ndarray | None = None
) -> np.ndarray:
    """Transition counts over dense (from, to) pairs (`state`: each grouped row's dense state;
    `runs`: each contact's first row, at `starts` when given) as if every contact were one
    journey: a row steps from the row before it, from START at the contact's first row, and
    the contact's last row ends in NULL."""
    n, pairs = len(state), n_states * n_states
    # Row numbers, not masks: numpy reads and writes a few rows by number faster than it
    # walks a mask of every row.
    starts = np.flatnonzero(runs) if starts is None else starts
    key = np.empty(n, dtype=state.dtype)
    key[1:] = state[:-1]
    # Each contact's last row (the row before the next contact's first, which `key` holds
    # there for now) steps to NULL.
    last = np.append(key[starts[1:]], state[-1:])
    last *= n_states
    last += _D_NULL
    key[starts] = _D_START
    key *= n_states
    key += state
    counts = _bincount(key, pairs)
    del key
    counts += _bincount(last, pairs)
    return counts


def _count(
    grouped: Grouped, state: np.ndarray, n_states: int, conv_value: np.ndarray, whole: np.ndarray
) -> tuple[np.ndarray, float, float]:
    """Transition counts over dense (from, to) pairs (`state`: each grouped row's dense
    state; `whole`: _whole_contact_counts, not changed), the number of converting journeys and
    their total value."""
    runs, k, rows = grouped.runs, grouped.conversion, grouped.candidates
    n, pairs = len(state), n_states * n_states
    counts = whole.copy()
    if len(rows):
        # Contacts with a conversion: take those steps back and count their journeys' own.
        # (A row's whole-contact step: from the row before it, or START at a contact's first.)
        back = state[np.maximum(rows - 1, 0)]
        back[runs[rows]] = _D_START
        counts -= np.bincount(back * n_states + state[rows], minlength=pairs)
        del back
        at_end = rows[(rows == n - 1) | runs[np.minimum(rows + 1, n - 1)]]
        counts -= np.bincount(state[at_end] * n_states + _D_NULL, minlength=pairs)
        prev, last = _candidate_steps(rows, grouped, state)
        counts += np.bincount(prev * n_states + state[rows], minlength=pairs)
        ends = rows[last]
        end_to = np.where(k[ends] >= 0, _D_CONV, _D_NULL)
        counts += np.bincount(state[ends] * n_states + end_to, minlength=pairs)
    # A step from a channel to itself is a merged repeat.
    channel = np.arange(3, n_states)
    counts[channel * n_states + channel] = 0
    # One conversion's journey begins where a converting row does not continue the row before.
    opens = rows[k[rows] >= 0]
    opens = opens[(opens == 0) | (k[np.maximum(opens - 1, 0)] != k[opens])]
    total_value = float(conv_value[k[opens]].sum())
    return counts, float(len(opens)), total_value


def _bincount(key: np.ndarray, size: int) -> np.ndarray:
    """np.bincount(key, minlength=size) for `key` below `size`; one-byte keys are counted two
    at a time (as 16-bit pairs), which halves the array bincount widens to 64 bits."""
    if key.dtype != np.uint8 or len(key) < 2:
        return np.bincount(key, minlength=size)
    half = len(key) // 2
    pairs = np.bincount(key[: 2 * half].view(np.uint16), minlength=1 << 16).reshape(256, 256)
    counts = pairs.sum(axis=0) + pairs.sum(axis=1)
    if len(key) % 2:
        counts[key[-1]] += 1
    out: np.ndarray = counts[:size]
    return out


def _candidate_steps(
    rows: np.ndarray, grouped: Grouped, state: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For `rows` (ascending; whole contacts that have a conversion): each row's previous state
    in its journey (START for the journey's first row) and whether it ends its journey.

    A converting row continues the row before it when that row has the same conversion. A
    non-converting row continues the contact's previous non-converting row, and the contact's
    last non-converting row ends its non-converting journey.
    """
    runs, k = grouped.runs, grouped.conversion
    n = len(k)
    kr = k[rows]
    conv = kr >= 0
    prev = np.full(len(rows), _D_START, dtype=state.dtype)
    last = np.zeros(len(rows), dtype=bool)
    at = rows[conv]
    before = np.maximum(at - 1, 0)
    prev[conv] = np.where((at > 0) & (k[before] == kr[conv]), state[before], _D_START)
    last[conv] = (at == n - 1) | (k[np.minimum(at + 1, n - 1)] != kr[conv])
    free = rows[~conv]
    if len(free) == 0:
        return prev, last
    # `rows` holds whole contacts, so their run flags number the contacts among them.
    contact = np.cumsum(runs[rows])[~conv]
    cont = np.zeros(len(free), dtype=bool)
    cont[1:] = contact[1:] == contact[:-1]
    shifted = np.empty(len(free), dtype=state.dtype)
    shifted[0] = _D_START
    shifted[1:] = state[free[:-1]]
    prev[~conv] = np.where(cont, shifted, _D_START)
    ends = np.ones(len(free), dtype=bool)
    ends[:-1] = ~cont[1:]
    last[~conv] = ends
    return prev, last


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
