"""Shapley-value attribution over channel sets (see docs/attribution.md for the definition).

The game follows Dalessandro et al. (2012), "Causally motivated attribution for online
advertising": for a set T of channels, p(T) is the conversion rate of the journeys (converting and
not) whose set of channels is exactly T (0 when no journey has that set). Each conversion is
shared among the channels of its own journey, set S, by the Shapley value of the game on the
subsets of S. Two minimal adaptations make every credit non-negative and make totals reconcile:

- the game is the monotone cover v(T) = max over U ⊆ T of p(U) (adding a channel never lowers
  the worth of a coalition), whose Shapley values are all ≥ 0;
- a conversion with channel set S gives channel j the share φ_j(S) / v(S); by efficiency the
  shares of S's channels sum to 1 (v(∅) = 0 and v(S) ≥ p(S) > 0).

Channel credit = Σ over conversions of those shares (and Σ share × value for value), so credits
sum to the number (and value) of converting journeys.

Computation, exact: with Harsanyi dividends d = Möbius(v), φ_j(S) = Σ_{T ⊆ S, j ∈ T} d(T)/|T|,
so credit_j = Σ_{T ∋ j} d(T)/|T| · W(T) where W(T) = Σ_{S ⊇ T} conversions(S)/v(S). Fast
subset/superset transforms over the 2^n channel sets make that O(n·2^n) with numpy. With more
than `max_exact` channels in total, each conversion set S is solved on its own 2^|S| subsets;
a set with more than `max_exact` channels is estimated from `samples` random orderings of its
channels, and the standard error of each channel's credit is reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from socialroi.errors import DataError

MAX_EXACT = 20
MAX_CHANNELS = 63
SAMPLES = 2_000


@dataclass(frozen=True)
class ShapleyResult:
    """Per-channel credit; std errors are 0 when every set was solved exactly."""

    credits: pl.DataFrame  # channel, conversions, value, std_error, value_std_error
    exact: bool
    samples: int


def _channel_sets(journeys: pl.DataFrame) -> tuple[list[str], pl.DataFrame]:
    """Channels (sorted) and per channel set (a bit mask): journeys, conversions, value."""
    missing = {"journey_id", "channel", "converted", "value"} - set(journeys.columns)
    if missing:
        raise DataError(f"journeys need column(s) {sorted(missing)}")
    channel_col = journeys.get_column("channel").cast(pl.String)
    if channel_col.null_count():
        raise DataError("journeys contain a touch with no channel")
    channels = sorted(channel_col.unique().to_list())
    if len(channels) > MAX_CHANNELS:
        raise DataError(f"Shapley attribution supports at most {MAX_CHANNELS} channels")
    weight = pl.col("weight") if "weight" in journeys.columns else pl.lit(1.0)
    codes = channel_col.cast(pl.Enum(channels)).to_physical().cast(pl.Int64).to_numpy()
    bit = pl.Series("_bit", np.left_shift(np.int64(1), codes))
    per_journey = (
        journeys.with_columns(bit)
        .group_by("journey_id")
        .agg(
            pl.col("_bit").bitwise_or().alias("mask"),
            pl.col("converted").first(),
            pl.col("value").first().cast(pl.Float64).fill_null(0.0),
            weight.first().cast(pl.Float64).alias("w"),
        )
    )
    conv = pl.col("converted").cast(pl.Float64) * pl.col("w")
    sets = per_journey.group_by("mask").agg(
        pl.col("w").sum().alias("n"),
        conv.sum().alias("conv"),
        (conv * pl.col("value")).sum().alias("val"),
    )
    return channels, sets.sort("mask")


def channel_sets_from_arrays(
    code: np.ndarray,
    new_journey: np.ndarray,
    converted: np.ndarray,
    value: np.ndarray,
    n_channels: int,
) -> pl.DataFrame:
    """_channel_sets of journeys given as arrays: `code` (each row's channel index, rows
    journey by journey), `new_journey` (bool per row: a journey starts) and per journey
    `converted` and `value`. Each journey's set is the OR of its rows' bits, and sets are
    counted with bincounts (a table of every set up to MAX_EXACT channels, else over the
    distinct sets)."""
    if n_channels > MAX_CHANNELS:
        raise DataError(f"Shapley attribution supports at most {MAX_CHANNELS} channels")
    dtype = np.uint16 if n_channels <= 16 else np.uint32 if n_channels <= 32 else np.uint64
    starts = np.flatnonzero(new_journey)
    if len(starts):
        bit = np.left_shift(dtype(1), code.astype(dtype))
        mask = np.bitwise_or.reduceat(bit, starts).astype(np.int64)
        del bit
    else:
        mask = np.zeros(0, dtype=np.int64)
    hit = mask[converted]
    if n_channels <= MAX_EXACT:
        size = 1 << n_channels
        n = np.bincount(mask, minlength=size)
        masks = np.flatnonzero(n)
        n = n[masks]
        conv = np.bincount(hit, minlength=size)[masks]
        val = np.bincount(hit, weights=value[converted], minlength=size)[masks]
    else:
        masks, inverse = np.unique(mask, return_inverse=True)
        size = len(masks)
        n = np.bincount(inverse, minlength=size)
        at = inverse[converted]
        conv = np.bincount(at, minlength=size)
        val = np.bincount(at, weights=value[converted], minlength=size)
    return pl.DataFrame(
        {
            "mask": masks.astype(np.int64),
            "n": n.astype(np.float64),
            "conv": conv.astype(np.float64),
            "val": val.astype(np.float64),
        },
        schema={"mask": pl.Int64, "n": pl.Float64, "conv": pl.Float64, "val": pl.Float64},
    )


def _lattice_step(a: np.ndarray, i: int) -> tuple[np.ndarray, np.ndarray]:
    """Views of `a` (length 2^n, leading axes kept) without / with bit i."""
    v = a.reshape(-1, 2, 1 << i, *a.shape[1:])
    return v[:, 0], v[:, 1]


def _exact(p: np.ndarray, w: np.ndarray, n: int) -> np.ndarray:
    """Credits (n × w.shape[1]) on n channels: p is the rate per set, w what each set converts.

    Sets are bit masks indexing arrays of length 2^n.
    """
    v = p.copy()
    for i in range(n):  # monotone cover: v(T) = max over subsets
        lo, hi = _lattice_step(v, i)
        np.maximum(hi, lo, out=hi)
    d = v.copy()
    for i in range(n):  # Möbius: Harsanyi dividends
        lo, hi = _lattice_step(d, i)
        hi -= lo
    weights = np.zeros_like(w)
    held = w.any(axis=1)
    weights[held] = w[held] / v[held, None]
    for i in range(n):  # superset sums
        lo, hi = _lattice_step(weights, i)
        lo += hi
    size = np.zeros(1 << n, dtype=np.float64)
    for i in range(n):
        lo, hi = _lattice_step(size, i)
        hi += 1.0
    size[0] = 1.0
    h = (d / size)[:, None] * weights
    h[0] = 0.0
    out = np.empty((n, w.shape[1]))
    for j in range(n):
        out[j] = _lattice_step(h, j)[1].sum(axis=(0, 1))
    return np.clip(out, 0.0, None)


def _bits(mask: int) -> list[int]:
    return [i for i in range(mask.bit_length()) if mask >> i & 1]


def _local(masks: np.ndarray, bits: list[int]) -> np.ndarray:
    """Global masks (all subsets of the set `bits`) as indices into that set's 2^k lattice."""
    out = np.zeros(len(masks), dtype=np.int64)
    for k, b in enumerate(bits):
        out |= ((masks >> b) & 1) << k
    return out


def _sampled(
    sub_masks: np.ndarray, sub_p: np.ndarray, k: int, samples: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard error of each of k channels' share φ_j / v(S) from random orderings."""
    full = (1 << k) - 1
    contrib = np.zeros((samples, k))
    for s in range(samples):
        order = rng.permutation(k)
        prefixes = np.cumsum(np.left_shift(1, order, dtype=np.int64))
        covered = (sub_masks[None, :] & ~prefixes[:, None]) == 0
        vals = np.where(covered, sub_p[None, :], 0.0).max(axis=1)
        contrib[s, order] = np.diff(vals, prepend=0.0)
    v_full = float(np.where((sub_masks & ~full) == 0, sub_p, 0.0).max())
    share = contrib / v_full
    return share.mean(axis=0), share.std(axis=0, ddof=1) / np.sqrt(samples)


def _per_set(
    sets: pl.DataFrame, n: int, max_exact: int, samples: int, seed: int
) -> tuple[np.ndarray, np.ndarray, bool]:
    masks = sets["mask"].to_numpy()
    p = (sets["conv"] / sets["n"]).to_numpy()
    w = np.column_stack([sets["conv"].to_numpy(), sets["val"].to_numpy()])
    credit = np.zeros((n, 2))
    var = np.zeros((n, 2))
    rng = np.random.default_rng(seed)
    exact = True
    for row in np.flatnonzero(w[:, 0] > 0):
        s = int(masks[row])
        bits = _bits(s)
        k = len(bits)
        inside = (masks & ~s) == 0
        sub_masks = _local(masks[inside], bits)
        if k <= max_exact:
            lp = np.zeros(1 << k)
            lp[sub_masks] = p[inside]
            lw = np.zeros((1 << k, 2))
            lw[-1] = w[row]
            credit[bits] += _exact(lp, lw, k)
            continue
        exact = False
        mean, se = _sampled(sub_masks, p[inside], k, samples, rng)
        credit[bits] += mean[:, None] * w[row]
        var[bits] += (se[:, None] * w[row]) ** 2
    return credit, np.sqrt(var), exact


#: Separates the channel names of a channel set's key (sorted names, joined).
SET_SEPARATOR = "\x1f"


def _check(max_exact: int, samples: int) -> None:
    if not 1 <= max_exact <= 24:
        raise DataError(f"max_exact must be 1 to 24, got {max_exact}")
    if samples < 2:
        raise DataError(f"samples must be 2 or more, got {samples}")


def shapley_shares(
    journeys: pl.DataFrame,
    *,
    max_exact: int = MAX_EXACT,
    samples: int = SAMPLES,
    seed: int = 0,
) -> pl.DataFrame:
    """Each converting channel set S's shares φ_j(S) / v(S) (module doc): columns ``set_key``
    (S's channel names, sorted, joined by SET_SEPARATOR), ``channel`` and ``share``; a set's
    shares sum to 1. Summed over the conversions they give exactly :func:`shapley`'s credits
    (a set above `max_exact` channels draws the same seeded orderings as there)."""
    _check(max_exact, samples)
    channels, sets = _channel_sets(journeys)
    return shares_of_sets(channels, sets, max_exact=max_exact, samples=samples, seed=seed)


def shares_of_sets(
    channels: list[str],
    sets: pl.DataFrame,
    *,
    max_exact: int = MAX_EXACT,
    samples: int = SAMPLES,
    seed: int = 0,
) -> pl.DataFrame:
    """:func:`shapley_shares` of channel `sets` (mask, n, conv, val; masks index `channels`)."""
    _check(max_exact, samples)
    masks = sets["mask"].to_numpy()
    conv = sets["conv"].to_numpy()
    p = (sets["conv"] / sets["n"]).to_numpy()
    rng = np.random.default_rng(seed)
    keys: list[str] = []
    names: list[str] = []
    shares: list[np.ndarray] = []
    for row in np.flatnonzero(conv > 0):
        s = int(masks[row])
        bits = _bits(s)
        k = len(bits)
        inside = (masks & ~s) == 0
        sub_masks = _local(masks[inside], bits)
        if k <= max_exact:
            lp = np.zeros(1 << k)
            lp[sub_masks] = p[inside]
            lw = np.zeros((1 << k, 1))
            lw[-1] = 1.0
            share = _exact(lp, lw, k)[:, 0]
        else:
            share, _ = _sampled(sub_masks, p[inside], k, samples, rng)
            share = np.clip(share, 0.0, None)
        total = share.sum()
        share = share / total if total > 0 else np.full(k, 1.0 / k)
        set_names = [channels[b] for b in bits]
        keys.extend([SET_SEPARATOR.join(set_names)] * k)
        names.extend(set_names)
        shares.append(share)
    return pl.DataFrame(
        {
            "set_key": keys,
            "channel": names,
            "share": np.concatenate(shares) if shares else np.zeros(0),
        },
        schema={"set_key": pl.String, "channel": pl.String, "share": pl.Float64},
    )


def shapley(
    journeys: pl.DataFrame,
    *,
    max_exact: int = MAX_EXACT,
    samples: int = SAMPLES,
    seed: int = 0,
) -> ShapleyResult:
    """Shapley attribution of the converting journeys over channel sets (module doc).

    `journeys` is long, as for markov: journey_id, channel, converted, value (the journey's
    conversion value) and optionally weight; step order does not matter. Up to `max_exact`
    channels in all, every credit is exact; above, each conversion's channel set is solved on
    its own, exactly when it holds at most `max_exact` channels, else from `samples` random
    orderings (seeded by `seed`, standard errors in the result).
    """
    _check(max_exact, samples)
    channels, sets = _channel_sets(journeys)
    return shapley_of_sets(channels, sets, max_exact=max_exact, samples=samples, seed=seed)


def shapley_of_sets(
    channels: list[str],
    sets: pl.DataFrame,
    *,
    max_exact: int = MAX_EXACT,
    samples: int = SAMPLES,
    seed: int = 0,
) -> ShapleyResult:
    """:func:`shapley` of channel `sets` (mask, n, conv, val; masks index `channels`), as
    _channel_sets or channel_sets_from_arrays count them."""
    _check(max_exact, samples)
    n = len(channels)
    total = np.array([sets["conv"].sum(), sets["val"].sum()], dtype=np.float64)
    exact = True
    se = np.zeros((n, 2))
    if n == 0 or total[0] == 0:
        credit = np.zeros((n, 2))
    elif n <= max_exact:
        p = np.zeros(1 << n)
        masks = sets["mask"].to_numpy()
        p[masks] = (sets["conv"] / sets["n"]).to_numpy()
        w = np.zeros((1 << n, 2))
        w[masks, 0] = sets["conv"].to_numpy()
        w[masks, 1] = sets["val"].to_numpy()
        credit = _exact(p, w, n)
    else:
        credit, se, exact = _per_set(sets, n, max_exact, samples, seed)
    sums = credit.sum(axis=0)
    scale = np.divide(total, sums, out=np.zeros(2), where=sums > 0)
    credit = credit * scale  # removes rounding drift; exact sums by construction
    frame = pl.DataFrame(
        {
            "channel": channels,
            "conversions": credit[:, 0],
            "value": credit[:, 1],
            "std_error": se[:, 0],
            "value_std_error": se[:, 1],
        },
        schema={
            "channel": pl.String,
            "conversions": pl.Float64,
            "value": pl.Float64,
            "std_error": pl.Float64,
            "value_std_error": pl.Float64,
        },
    ).sort("conversions", "channel", descending=[True, False])
    return ShapleyResult(frame, exact, 0 if exact else samples)
