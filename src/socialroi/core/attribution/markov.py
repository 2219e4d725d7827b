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
from scipy.sparse.linalg import splu

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


def _encode(journeys: pl.DataFrame, order: int) -> tuple[pl.DataFrame, list[str]]:
    """Journeys (sorted by journey, step) as integer state codes, repeats merged.

    Channel codes are 1..C and 0 pads a history shorter than `order`, so a state code is
    sum(channel[i - j] * (C + 1) ** j for j < order). Works on plain arrays: rows of one journey
    are contiguous, so a shift plus a same-journey test replaces a window over groups.
    """
    channel_col = journeys.get_column("channel").cast(pl.String)
    channels = sorted(channel_col.unique().drop_nulls().to_list())
    if channel_col.null_count():
        raise DataError("journeys contain a touch with no channel")
    base = len(channels) + 1
    if base**order >= 2**62:
        raise DataError(f"too many channels ({len(channels)}) for a Markov chain of order {order}")
    codes = channel_col.cast(pl.Enum(channels)).to_physical().cast(pl.Int64).to_numpy() + 1
    jid = journeys.get_column("journey_id").to_numpy()
    new_journey = np.ones(len(jid), dtype=bool)
    new_journey[1:] = jid[1:] != jid[:-1]
    keep = new_journey.copy()
    keep[1:] |= codes[1:] != codes[:-1]
    codes, jid = codes[keep], jid[keep]
    first = np.ones(len(jid), dtype=bool)
    first[1:] = jid[1:] != jid[:-1]
    start = np.maximum.accumulate(np.where(first, np.arange(len(jid)), 0))
    pos = np.arange(len(jid)) - start
    state = codes.copy()
    for j in range(1, order):
        shifted = np.zeros_like(codes)
        shifted[j:] = codes[:-j]
        state += np.where(pos >= j, shifted, 0) * base**j
    kept = journeys.filter(pl.Series(keep))
    return kept.with_columns(pl.Series("state", state), pl.Series("_first", first)), channels


def _transition_counts(states: pl.DataFrame) -> pl.DataFrame:
    """(from, to, n) over every journey, START and the absorbing end included."""
    prev = states.get_column("state").shift(1).fill_null(_START)
    frm = pl.when(pl.col("_first")).then(pl.lit(_START, dtype=pl.Int64)).otherwise(prev)
    steps = states.select(frm.alias("from"), pl.col("state").alias("to"), "weight")
    last = states.get_column("_first").shift(-1).fill_null(True)
    ends = states.filter(last).select(
        pl.col("state").alias("from"),
        pl.when(pl.col("converted"))
        .then(pl.lit(_CONV, dtype=pl.Int64))
        .otherwise(pl.lit(_NULL, dtype=pl.Int64))
        .alias("to"),
        "weight",
    )
    return (
        pl.concat([steps, ends])
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
    if "weight" not in journeys.columns:
        journeys = journeys.with_columns(pl.lit(1.0).alias("weight"))
    journeys = journeys.sort("journey_id", "step")
    per_journey = journeys.group_by("journey_id").agg(
        pl.col("converted").first(), pl.col("value").first(), pl.col("weight").first()
    )
    total_conv = float(per_journey.filter(pl.col("converted"))["weight"].sum())
    total_value = float(
        per_journey.filter(pl.col("converted"))
        .select(pl.col("value") * pl.col("weight"))
        .sum()
        .item()
        or 0.0
    )
    states, channels = _encode(journeys, order)
    counts = _transition_counts(states)

    transient = np.unique(
        np.concatenate([[_START], counts["from"].to_numpy(), states["state"].to_numpy()])
    )
    transient = transient[transient >= 0]
    index = {int(s): i + 1 for i, s in enumerate(transient)}
    index[_START] = 0
    n = len(index)

    totals = counts.group_by("from").agg(pl.col("n").sum().alias("out"))
    probs = counts.join(totals, on="from").with_columns((pl.col("n") / pl.col("out")).alias("p"))
    inner = probs.filter(pl.col("to") >= 0)
    codes = np.array(sorted(index, key=index.__getitem__), dtype=np.int64)
    remap = pl.DataFrame({"code": codes, "i": np.arange(n, dtype=np.int64)})
    inner_idx = inner.join(remap.rename({"code": "from", "i": "fi"}), on="from").join(
        remap.rename({"code": "to", "i": "ti"}), on="to"
    )
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
