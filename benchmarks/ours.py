"""socialroi's own contenders: rule models and data-driven models from raw touchpoints.

Each function takes the raw touchpoints and conversions and returns (timings, channel shares):
timings name each step in seconds, shares are each channel's share of conversions.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import polars as pl

from socialroi.core.attribution import (
    MODELS,
    RULE_MODELS,
    UNATTRIBUTED,
    MarkovResult,
    ShapleyResult,
    credit_models,
    fit,
)
from socialroi.core.attribution.datadriven import journeys_from_touches
from socialroi.core.attribution.markov import markov
from socialroi.core.attribution.shapley import shapley
from socialroi.core.journeys import assign_touches

Shares = dict[str, float]
Timings = dict[str, float]


def build_journeys(touchpoints: pl.DataFrame, conversions: pl.DataFrame) -> pl.DataFrame:
    """The long journeys frame (journey_id, step, channel, converted, value) from raw data.

    Touches are assigned to conversions (lookback 90 days) by the library, then turned into
    journeys by its public helper: a converting journey is one conversion's touches, a
    non-converting journey a contact's touches that no conversion took.
    """
    assigned = assign_touches(
        touchpoints, conversions, lookback_days=90, carry=("value",), keep_order=True
    )
    return journeys_from_touches(assigned)


def _shares(frame: pl.DataFrame, column: str = "conversions") -> Shares:
    total = float(frame[column].sum())
    return {str(c): float(v) / total for c, v in zip(frame["channel"], frame[column], strict=True)}


def rules_and_markov(
    touchpoints: pl.DataFrame, conversions: pl.DataFrame
) -> tuple[Timings, Shares]:
    """Every rule model plus Markov order 1 from raw touchpoints, through credit_models.

    One call, as a user makes it: touches are assigned to conversions once and every model
    credits them (Markov's channel credit spread back over the touches).
    """
    models = [*RULE_MODELS, "markov"] if "markov" in MODELS else list(RULE_MODELS)
    t0 = time.perf_counter()
    credits = credit_models(touchpoints, conversions, models)
    t1 = time.perf_counter()
    timings = {"total": t1 - t0}
    if "markov" not in credits:  # older library: Markov on its own journeys
        journeys = build_journeys(touchpoints, conversions)
        result = markov(journeys, order=1)
        timings = {"rules": t1 - t0, "markov": time.perf_counter() - t1}
        timings["total"] = time.perf_counter() - t0
        return timings, _shares(result.credits)
    by_channel = (
        credits["markov"]
        .filter(pl.col("channel") != UNATTRIBUTED)
        .group_by("channel")
        .agg(pl.col("credit").sum().alias("conversions"))
    )
    return timings, _shares(by_channel)


def markov_from_raw(
    touchpoints: pl.DataFrame, conversions: pl.DataFrame, order: int
) -> tuple[Timings, Shares]:
    """Markov of `order` through the library's one call from raw touchpoints (fit)."""
    t0 = time.perf_counter()
    result = fit(touchpoints, conversions, "markov", order=order)
    t1 = time.perf_counter()
    return {"total": t1 - t0}, _shares(result.credits)


def shapley_from_raw(
    touchpoints: pl.DataFrame, conversions: pl.DataFrame
) -> tuple[Timings, Shares]:
    """Shapley through the library's one call from raw touchpoints (fit)."""
    t0 = time.perf_counter()
    result = fit(touchpoints, conversions, "shapley")
    t1 = time.perf_counter()
    assert isinstance(result, ShapleyResult)
    assert result.exact
    return {"total": t1 - t0}, _shares(result.credits)


def shuffled(touchpoints: pl.DataFrame) -> pl.DataFrame:
    """The same touchpoints in a random (seeded) row order."""
    return touchpoints.sample(fraction=1.0, shuffle=True, seed=11)


# --- exactness -------------------------------------------------------------------------------


def dense_removal_effects(journeys: pl.DataFrame) -> tuple[float, Shares]:
    """First-order chain solved densely with numpy, written independently of the library.

    States: START, each channel; absorbing CONVERSION and NULL. Consecutive repeats merged.
    P(conversion) = x[START] where (I − Q) x = r; removing channel c sends every transition into
    c to NULL, i.e. drops c's row and column from Q.
    """
    rows = (
        journeys.sort("journey_id", "step")
        .group_by("journey_id", maintain_order=True)
        .agg(pl.col("channel"), pl.col("converted").first())
    )
    channels = sorted(journeys["channel"].unique().to_list())
    index = {c: i + 1 for i, c in enumerate(channels)}
    n = len(channels) + 1
    counts = np.zeros((n, n))
    to_conv = np.zeros(n)
    to_null = np.zeros(n)
    for path, converted in zip(rows["channel"].to_list(), rows["converted"].to_list(), strict=True):
        merged = [index[c] for k, c in enumerate(path) if k == 0 or c != path[k - 1]]
        prev = 0
        for s in merged:
            counts[prev, s] += 1
            prev = s
        if converted:
            to_conv[prev] += 1
        else:
            to_null[prev] += 1
    out = counts.sum(axis=1) + to_conv + to_null
    out[out == 0] = 1.0
    q = counts / out[:, None]
    r = to_conv / out

    def absorb(keep: np.ndarray) -> float:
        sub = q[np.ix_(keep, keep)]
        x = np.linalg.solve(np.eye(len(sub)) - sub, r[keep])
        return float(x[0])

    everything = np.ones(n, dtype=bool)
    p_full = absorb(everything)
    effects: Shares = {}
    for c, i in index.items():
        keep = everything.copy()
        keep[i] = False
        effects[c] = 1.0 - absorb(keep) / p_full
    return p_full, effects


def exactness(touchpoints: pl.DataFrame, conversions: pl.DataFrame) -> dict[str, float]:
    """Largest |difference| between our order-1 chain and the dense solve (removal effects,
    P), over both of our paths: markov() on the journeys frame and fit() from raw touchpoints
    (transitions counted from the touch arrays)."""
    journeys = build_journeys(touchpoints, conversions)
    p_dense, dense = dense_removal_effects(journeys)
    diff = diff_p = 0.0
    for result in (markov(journeys, order=1), fit(touchpoints, conversions, "markov")):
        assert isinstance(result, MarkovResult)
        ours = dict(
            zip(result.credits["channel"], result.credits["removal_effect"].to_list(), strict=True)
        )
        diff = max(diff, *(abs(ours[c] - dense[c]) for c in dense))
        diff_p = max(diff_p, abs(result.conversion_probability - p_dense))
    return {
        "max_abs_diff_removal_effect": diff,
        "abs_diff_conversion_probability": diff_p,
        "conversion_probability": p_dense,
    }


def brute_shapley(journeys: pl.DataFrame) -> Shares:
    """The library's Shapley game solved by the textbook formula, one conversion set at a time.

    For each set S of channels that converted: p(T) = conversion rate of journeys whose channel
    set is exactly T, v(T) = max over U ⊆ T of p(U), φ_j = Σ_{T ⊆ S∖j} |T|!(|S|−|T|−1)!/|S|! ·
    (v(T ∪ j) − v(T)), and the set's conversions are shared as φ_j / v(S).
    """
    sets = (
        journeys.group_by("journey_id")
        .agg(pl.col("channel").unique(), pl.col("converted").first())
        .with_columns(pl.col("channel").list.sort())
        .group_by("channel")
        .agg(pl.len().alias("n"), pl.col("converted").sum().alias("conv"))
    )
    rate = {
        frozenset(c): conv / n
        for c, n, conv in zip(sets["channel"], sets["n"], sets["conv"], strict=True)
    }
    credit: dict[str, float] = {}
    for chans, conv in zip(sets["channel"].to_list(), sets["conv"].to_list(), strict=True):
        if not conv:
            continue
        k = len(chans)
        v = [0.0] * (1 << k)
        for t in range(1, 1 << k):
            own = rate.get(frozenset(chans[i] for i in range(k) if t >> i & 1), 0.0)
            v[t] = max([own, *(v[t & ~(1 << i)] for i in range(k) if t >> i & 1)])
        fact = [math.factorial(i) for i in range(k + 1)]
        for j in range(k):
            phi = 0.0
            for t in range(1 << k):
                if t >> j & 1:
                    continue
                size = t.bit_count()
                phi += fact[size] * fact[k - size - 1] / fact[k] * (v[t | 1 << j] - v[t])
            credit[chans[j]] = credit.get(chans[j], 0.0) + conv * phi / v[-1]
    total = sum(credit.values())
    return {c: x / total for c, x in credit.items()}


def shapley_exactness(touchpoints: pl.DataFrame, conversions: pl.DataFrame) -> float:
    """Largest |difference| of channel shares against the textbook formula, over shapley() on
    the journeys frame and fit() from raw touchpoints (channel sets counted from arrays)."""
    journeys = build_journeys(touchpoints, conversions)
    brute = brute_shapley(journeys)
    fitted = fit(touchpoints, conversions, "shapley")
    assert isinstance(fitted, ShapleyResult)
    diff = 0.0
    for credits in (shapley(journeys).credits, fitted.credits):
        ours = _shares(credits)
        diff = max(
            diff, *(abs(ours.get(c, 0.0) - brute.get(c, 0.0)) for c in set(ours) | set(brute))
        )
    return diff


def synthetic_journeys(n_channels: int, n_journeys: int, seed: int = 7) -> pl.DataFrame:
    """Long journeys over `n_channels` channels: 1–8 touches each, ~3% converting."""
    rng = np.random.default_rng(seed)
    lengths = np.minimum(rng.geometric(0.35, n_journeys), 8)
    jid = np.repeat(np.arange(n_journeys), lengths)
    weights = 1.0 / np.arange(1, n_channels + 1) ** 0.8
    channel = rng.choice(n_channels, size=len(jid), p=weights / weights.sum())
    effect = rng.normal(0.0, 0.5, n_channels)
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    logit = -4.2 + np.add.reduceat(effect[channel], offsets)
    converted = rng.random(n_journeys) < 1.0 / (1.0 + np.exp(-logit))
    names = np.array([f"ch{i:02d}" for i in range(n_channels)])
    return pl.DataFrame(
        {
            "journey_id": jid,
            "step": np.arange(len(jid)),
            "channel": names[channel],
            "converted": converted[jid],
            "value": np.where(converted, 1000.0, 0.0)[jid],
        }
    )


def shapley_channels(n_channels: int) -> tuple[Timings, dict[str, Any]]:
    """Time an exact Shapley on 1M synthetic journeys over `n_channels` channels."""
    journeys = synthetic_journeys(n_channels, 1_000_000)
    t0 = time.perf_counter()
    result = shapley(journeys)
    t1 = time.perf_counter()
    conversions = float(
        journeys.group_by("journey_id").agg(pl.col("converted").first())["converted"].sum()
    )
    notes: dict[str, Any] = {
        "exact": bool(result.exact),
        "channels": int(result.credits.height),
        "sum_minus_conversions": float(result.credits["conversions"].sum()) - conversions,
        "max_std_error": float(
            result.credits.select(pl.col("std_error").max().fill_null(0.0)).item()
        ),
    }
    if n_channels <= 15:
        small = synthetic_journeys(n_channels, 100_000, seed=8)
        ours = _shares(shapley(small).credits)
        brute = brute_shapley(small)
        notes["max_abs_diff_vs_formula"] = max(abs(ours[c] - brute.get(c, 0.0)) for c in ours)
    return {"model": t1 - t0}, notes
