"""Markov-chain attribution, solved exactly (design §4).

Each journey is a walk: START → its touches' channels → CONVERSION or NULL. Consecutive repeats of
a channel are merged. In a chain of order k a state is the tuple of the last k channels (shorter at
the start of a journey). Transition probabilities are the observed transition shares.

The conversion probability is the probability of absorbing in CONVERSION from START. The removal
effect of channel c is the share of that probability lost when every state that contains c sends
its walkers to NULL instead. Both are solutions of the linear system x = r + Q x on the absorbing
chain, computed to machine precision (not simulated), so the answer does not depend on a seed and
has no sampling error. Credit for c = removal effect of c / sum of removal effects × total
conversions (and × total value).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
import scipy.sparse as sp

from socialroi.errors import DataError

MAX_ORDER = 4
_START, _CONV, _NULL = -1, -2, -3
_MAX_SWEEPS = 5_000
_TOL = 1e-15


@dataclass(frozen=True)
class MarkovResult:
    """What the chain says: per-channel credit plus the chain itself."""

    credits: pl.DataFrame  # channel, removal_effect, conversions, value
    conversion_probability: float
    transitions: pl.DataFrame  # from_state, to_state, probability
    order: int


def channel_codes(column: pl.Series) -> tuple[list[str], pl.Series]:
    """The channels (sorted) and each row's index into them; categorical input stays numeric."""
    if column.null_count():
        raise DataError("journeys contain a touch with no channel")
    if isinstance(column.dtype, pl.Categorical | pl.Enum):
        used = column.unique()
        names = used.cast(pl.String).to_list()
        physical = used.to_physical().cast(pl.Int64).to_numpy()
        rank = np.argsort(np.argsort(np.array(names, dtype=object), kind="stable"))
        lut = np.zeros(int(physical.max(initial=0)) + 1, dtype=np.int32)
        lut[physical] = rank
        codes = lut[column.to_physical().to_numpy()]
        return sorted(names), pl.Series("code", codes)
    strings = column.cast(pl.String)
    channels = strings.unique().sort().to_list()
    return channels, strings.cast(pl.Enum(channels)).to_physical().alias("code")


def _ordered(journeys: pl.DataFrame) -> pl.DataFrame:
    """The columns markov reads, rows sorted by (journey_id, step); no sort when already so."""
    wanted = ["journey_id", "step", "code", "converted", "value", "weight"]
    narrow = journeys.select(c for c in wanted if c in journeys.columns)
    if narrow.height < 2:
        return narrow
    jid, step = narrow.get_column("journey_id"), narrow.get_column("step")
    if jid.null_count() == 0 and step.null_count() == 0 and jid.is_sorted():
        same = (jid.slice(1) == jid.slice(0, jid.len() - 1)).to_numpy()
        back = (step.slice(1) <= step.slice(0, step.len() - 1)).to_numpy()
        if not (same & back).any():
            return narrow
    return narrow.sort("journey_id", "step")


def _encode(journeys: pl.DataFrame, channels: list[str], order: int, *, unit: bool) -> _States:
    """Journeys (sorted by journey, step; `code` indexes `channels`) as state codes, repeats
    merged (:func:`encode_arrays`)."""
    code = journeys.get_column("code").cast(pl.Int64).to_numpy()
    jid = journeys.get_column("journey_id").to_numpy()
    new_journey = np.ones(len(jid), dtype=bool)
    new_journey[1:] = jid[1:] != jid[:-1]
    starts = np.flatnonzero(new_journey)
    converted = journeys.get_column("converted").to_numpy()[starts].astype(bool)
    value = journeys.get_column("value").cast(pl.Float64).to_numpy()[starts]
    weight = None if unit else journeys.get_column("weight").cast(pl.Float64).to_numpy()
    return encode_arrays(
        code, new_journey, converted, value, n_channels=len(channels), order=order, weight=weight
    )


def encode_arrays(
    code: np.ndarray,
    new_journey: np.ndarray,
    converted: np.ndarray,
    value: np.ndarray,
    *,
    n_channels: int,
    order: int,
    weight: np.ndarray | None = None,
) -> _States:
    """Journeys as state codes, repeats merged: `code` (0-based channel index per row, rows
    journey by journey, each journey in step order), `new_journey` (bool per row: a journey
    starts), per journey `converted` and `value`, and optionally each row's `weight`.

    Channel codes are 1..C and 0 pads a history shorter than `order`, so a state code is
    sum(channel[i - j] * (C + 1) ** j for j < order). Works on plain arrays: rows of one journey
    are contiguous, so a shift plus a same-journey test replaces a window over groups.
    """
    base = n_channels + 1
    if base**order >= 2**62:
        raise DataError(f"too many channels ({n_channels}) for a Markov chain of order {order}")
    # The narrowest integer that holds every state code: less memory to walk through.
    codes = code.astype(np.int32 if base**order < 2**31 else np.int64) + 1
    keep = new_journey.copy()
    keep[1:] |= codes[1:] != codes[:-1]
    codes = codes[keep]
    first = new_journey[keep]
    state = codes.copy() if order > 1 else codes
    # valid[i]: row i - j is in the same journey as row i (no journey starts in between).
    valid = ~first
    for j in range(1, order):
        if j > 1:
            valid[j - 1 :] &= ~first[: len(first) - j + 1]
        shifted = codes[:-j] * base**j
        shifted[~valid[j:]] = 0
        state[j:] += shifted
    if weight is None:
        # Every weight is 1: read-only views of one 1.0 stand in for the weight arrays.
        one = np.ones(1)
        return _States(
            state,
            first,
            converted,
            np.broadcast_to(one, state.shape),
            np.broadcast_to(one, converted.shape),
            value,
            True,
            codes,
            order,
        )
    starts = np.flatnonzero(new_journey)
    return _States(
        state, first, converted, weight[keep], weight[starts], value, False, codes, order
    )


@dataclass(frozen=True)
class _States:
    """A sorted journeys frame as arrays: one entry per touch left after merging repeats, except
    the per-journey ones (converted, journey_weight, value), one entry per journey in order."""

    state: np.ndarray  # integer state code
    first: np.ndarray  # bool, the journey's first state
    converted: np.ndarray  # bool per journey
    weight: np.ndarray  # float per state (its row's weight)
    journey_weight: np.ndarray  # float per journey (its first row's weight)
    value: np.ndarray  # float per journey
    unit: bool  # every weight is 1
    channel: np.ndarray  # the channel (1..C) each state ends in
    order: int


_DENSE_CODES = 1 << 22
_DENSE_PAIRS = 1 << 24


def _present_codes(state: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The state codes present in `state` plus START, CONVERSION and NULL (sorted), and a table
    marking them (index: code − NULL); None when the codes span more than _DENSE_CODES."""
    size = int(state.max(initial=0)) + 1 - _NULL
    if size > _DENSE_CODES:
        return None
    present = np.zeros(size, dtype=bool)
    present[state - _NULL] = True
    present[[_START - _NULL, _CONV - _NULL, _NULL - _NULL]] = True
    return np.flatnonzero(present) + _NULL, present


def _dense_counts(states: _States, last: np.ndarray) -> pl.DataFrame | None:
    """_transition_counts through a lookup table to dense codes and bincounts; None when the
    state space is too large for that."""
    state, first = states.state, states.first
    found = _present_codes(state)
    if found is None:
        return None
    codes, present = found
    n = len(codes)
    if n * n > _DENSE_PAIRS:
        return None
    lut = (np.cumsum(present) - 1).astype(np.int32)
    dense = lut[state - _NULL]
    # Steps: key = dense(from) * n + dense(to), with START as `from` at each journey's start.
    key = np.empty_like(dense)
    key[1:] = dense[:-1]
    key[first] = lut[_START - _NULL]
    key *= n
    key += dense
    ends = np.where(states.converted, lut[_CONV - _NULL], lut[_NULL - _NULL]).astype(np.int32)
    end_key = dense[last] * n + ends
    pairs = n * n
    seen_n = np.bincount(key, minlength=pairs) + np.bincount(end_key, minlength=pairs)
    seen = np.flatnonzero(seen_n)
    sums: np.ndarray = seen_n.astype(np.float64)
    if not states.unit:
        sums = np.bincount(key, weights=states.weight, minlength=pairs)
        sums += np.bincount(end_key, weights=states.weight[last], minlength=pairs)
    sums = sums[seen]
    return pl.DataFrame(
        {"from": codes[seen // n], "to": codes[seen % n], "n": sums},
        schema={"from": pl.Int64, "to": pl.Int64, "n": pl.Float64},
    )


def _successor_counts(states: _States, last: np.ndarray, n_channels: int) -> pl.DataFrame | None:
    """_transition_counts of unit-weight journeys keyed by (from state, what follows): a step's
    target is its from state shifted by the new channel, so the pairs to count number at most
    states × (channels + 2), however large the chain's order makes the state space. None when
    the codes are too many for tables."""
    state, first = states.state, states.first
    found = _present_codes(state)
    if found is None:
        return None
    codes, present = found
    n = len(codes)
    # What follows: the new channel 1..C, CONVERSION as C + 1, NULL as C + 2.
    width = n_channels + 3
    pairs = n * width
    if pairs > _DENSE_PAIRS:
        return None
    lut = (np.cumsum(present) - 1).astype(np.intp)
    key = np.empty(len(state), dtype=np.intp)
    key[1:] = lut[state[:-1] - _NULL]
    key[first] = lut[_START - _NULL]
    key *= width
    key += states.channel
    ends = np.where(states.converted, n_channels + 1, n_channels + 2)
    end_key = lut[state[last] - _NULL] * width + ends
    counts = np.bincount(key, minlength=pairs)
    del key
    counts += np.bincount(end_key, minlength=pairs)
    seen = np.flatnonzero(counts)
    frm = codes[seen // width]
    then = seen % width
    base = n_channels + 1
    # The target keeps the from state's newest order - 1 channels and adds the new one.
    to = np.where(frm >= 0, frm % base ** (states.order - 1), 0) * base + then
    to[then == n_channels + 1] = _CONV
    to[then == n_channels + 2] = _NULL
    at = np.lexsort((to, frm))
    return pl.DataFrame(
        {"from": frm[at], "to": to[at], "n": counts[seen][at].astype(np.float64)},
        schema={"from": pl.Int64, "to": pl.Int64, "n": pl.Float64},
    )


def _transition_counts(states: _States, n_channels: int | None = None) -> pl.DataFrame:
    """(from, to, n) over every journey, START and the absorbing end included, sorted.

    Counted with bincounts over dense codes when the state space is small enough (an order-1
    chain always is), or, for unit weights and `n_channels` given, over (from state, next
    channel); otherwise a group-by does the counting.
    """
    state, first = states.state, states.first
    last = np.ones(len(state), dtype=bool)
    last[:-1] = first[1:]
    if states.order > 1 and states.unit and n_channels is not None:
        counted = _successor_counts(states, last, n_channels)
        if counted is not None:
            return counted
    dense = _dense_counts(states, last)
    if dense is not None:
        return dense
    state = state.astype(np.int64, copy=False)
    prev = np.empty_like(state)
    prev[0:1] = _START
    prev[1:] = state[:-1]
    prev[first] = _START
    ends = np.where(states.converted, _CONV, _NULL).astype(np.int64)
    # One int64 key per (from, to): codes are below 2**62 / 4 and the offset keeps them >= 0.
    span = int(state.max(initial=0)) + 1 - _NULL
    frm = np.concatenate([prev, state[last]]) - _NULL
    to = np.concatenate([state, ends]) - _NULL
    if span <= 2**31:
        key = frm * span + to
        grouped = (
            pl.DataFrame(
                {"key": key, "weight": np.concatenate([states.weight, states.weight[last]])}
            )
            .group_by("key")
            .agg(pl.col("weight").sum().alias("n"))
            .sort("key")
        )
        pair = grouped.get_column("key").to_numpy()
        return pl.DataFrame(
            {"from": pair // span + _NULL, "to": pair % span + _NULL, "n": grouped.get_column("n")},
            schema={"from": pl.Int64, "to": pl.Int64, "n": pl.Float64},
        )
    weight = np.concatenate([states.weight, states.weight[last]])
    return (
        pl.DataFrame({"from": frm + _NULL, "to": to + _NULL, "weight": weight})
        .group_by("from", "to")
        .agg(pl.col("weight").sum().alias("n"))
        .sort("from", "to")
    )


def _absorption(q: sp.csr_matrix, r: np.ndarray, keep: np.ndarray | None = None) -> float:
    """P(absorb in CONVERSION | START) on the chain restricted to `keep` (START is state 0).

    Solves x = r + Q x. Journeys are short, so the fixed-point iteration contracts fast; it stops
    when an iteration changes no probability by more than 1e-15, i.e. at machine precision. A
    chain that mixes too slowly for that falls back to a sparse LU solve of (I - Q) x = r.
    """
    if keep is not None:
        idx = np.flatnonzero(keep)
        q = q[idx][:, idx]
        r = r[idx]
    x = r.copy()
    for _ in range(_MAX_SWEEPS):
        nxt = r + q @ x
        if np.max(np.abs(nxt - x), initial=0.0) <= _TOL:
            return float(nxt[0])
        x = nxt
    # Imported here: scipy.sparse.linalg (and scipy.linalg under it) costs more to import than
    # most chains take to solve, and the iteration above almost always converges.
    from scipy.sparse.linalg import splu

    system = (sp.identity(q.shape[0], format="csc") - q.tocsc()).tocsc()
    return float(splu(system).solve(r)[0])


def markov(
    journeys: pl.DataFrame,
    *,
    order: int = 1,
) -> MarkovResult:
    """Exact Markov attribution of order `order` (1..4).

    `journeys` is long: one row per touch with `journey_id`, `step` (order within the journey),
    `channel`, `converted` (bool, the same on every row of a journey), `value` (the journey's
    conversion value, 0 when it did not convert) and optionally `weight` (how many identical
    journeys the rows stand for; default 1).
    """
    if not 1 <= order <= MAX_ORDER:
        raise DataError(f"Markov order must be 1 to {MAX_ORDER}, got {order}")
    missing = {"journey_id", "step", "channel", "converted", "value"} - set(journeys.columns)
    if missing:
        raise DataError(f"journeys need column(s) {sorted(missing)}")
    columns = journeys.columns
    weights = (
        [pl.col("weight").cast(pl.Float64).fill_null(0.0).alias("weight")]
        if "weight" in columns
        else []
    )
    channels, code = channel_codes(journeys.get_column("channel"))
    journeys = _ordered(
        journeys.with_columns(
            code,
            pl.col("converted").fill_null(False).cast(pl.Boolean),
            pl.col("value").cast(pl.Float64).fill_null(0.0),
            *weights,
        )
    )
    states = _encode(journeys, channels, order, unit="weight" not in columns)
    return solve_states(states, channels, order)


def solve_states(states: _States, channels: list[str], order: int) -> MarkovResult:
    """The chain of encoded journeys (:func:`encode_arrays`) counted and solved exactly."""
    converted = states.converted
    total_conv = float(states.journey_weight[converted].sum())
    total_value = float((states.value * states.journey_weight)[converted].sum())
    counts = _transition_counts(states, len(channels))
    return solve_chain(counts, channels, order, total_conv, total_value)


def solve_chain(
    counts: pl.DataFrame, channels: list[str], order: int, total_conv: float, total_value: float
) -> MarkovResult:
    """The chain of transition `counts` (from, to, n: state codes as _encode numbers them,
    sorted by from then to) solved exactly, its removal effects turned into credit for
    `channels` out of `total_conv` conversions worth `total_value`."""
    transient = np.unique(
        np.concatenate([[_START], counts["from"].to_numpy(), counts["to"].to_numpy()])
    )
    transient = transient[transient >= 0]
    index = {int(s): i + 1 for i, s in enumerate(transient)}
    index[_START] = 0
    n = len(index)

    totals = counts.group_by("from").agg(pl.col("n").sum().alias("out"))
    # Joins keep the left frame's order, so transitions come sorted and the solve is repeatable.
    probs = counts.join(totals, on="from", maintain_order="left").with_columns(
        (pl.col("n") / pl.col("out")).alias("p")
    )
    inner = probs.filter(pl.col("to") >= 0)
    codes = np.array(sorted(index, key=index.__getitem__), dtype=np.int64)
    remap = pl.DataFrame({"code": codes, "i": np.arange(n, dtype=np.int64)})
    inner_idx = inner.join(
        remap.rename({"code": "from", "i": "fi"}), on="from", maintain_order="left"
    ).join(remap.rename({"code": "to", "i": "ti"}), on="to", maintain_order="left")
    q = sp.csr_matrix(
        (inner_idx["p"].to_numpy(), (inner_idx["fi"].to_numpy(), inner_idx["ti"].to_numpy())),
        shape=(n, n),
    )
    to_conv = probs.filter(pl.col("to") == _CONV).join(remap.rename({"code": "from"}), on="from")
    r = np.zeros(n)
    r[to_conv["i"].to_numpy()] = to_conv["p"].to_numpy()

    p_full = _absorption(q, r) if total_conv > 0 else 0.0
    base = len(channels) + 1
    digits = np.stack([(codes // base**j) % base for j in range(order)])  # order × n
    effects = np.zeros(len(channels))
    if p_full > 0:
        for ci in range(1, len(channels) + 1):
            keep = ~(digits == ci).any(axis=0)
            keep[0] = True  # START never contains a channel
            effects[ci - 1] = 1.0 - _absorption(q, r, keep) / p_full
    effects = np.clip(effects, 0.0, None)
    share = effects / effects.sum() if effects.sum() > 0 else effects
    credits = pl.DataFrame(
        {
            "channel": channels,
            "removal_effect": effects,
            "conversions": share * total_conv,
            "value": share * total_value,
        }
    ).sort("conversions", "channel", descending=[True, False])
    labels = {int(c): _label(int(c), channels, base, order) for c in codes}
    labels.update({_CONV: "(conversion)", _NULL: "(null)", _START: "(start)"})
    transitions = probs.select(
        pl.col("from").replace_strict(labels, return_dtype=pl.String).alias("from_state"),
        pl.col("to").replace_strict(labels, return_dtype=pl.String).alias("to_state"),
        pl.col("p").alias("probability"),
    )
    return MarkovResult(credits, p_full, transitions, order)


def _label(code: int, channels: list[str], base: int, order: int) -> str:
    if code == _START:
        return "(start)"
    parts = []
    for j in reversed(range(order)):
        digit = (code // base**j) % base
        if digit:
            parts.append(channels[digit - 1])
    return " > ".join(parts)
