"""Seeded synthetic touchpoints and conversions for the benchmarks, cached as parquet.

Each contact has a geometric number of touches (mean 3.5) spread over weeks; channels come from
12 channels with skewed (Zipf-like) frequencies, and a quarter of touches repeat the contact's
previous channel. A few % of contacts convert, with a probability that depends on the channels
they saw, shortly after their last touch (or between their last two touches, so some touches
follow a conversion). Conversion values are log-normal.

Every contender reads the same files:
``benchmarks/.cache/<size>/{touchpoints,conversions}.parquet``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

CACHE = Path(__file__).resolve().parent / ".cache"
SEED = 20240601
TOUCHES_PER_CONTACT = 3.5
CONVERSION_RATE = 0.03
REPEAT_SHARE = 0.25
CHANNELS: tuple[str, ...] = (
    "linkedin_employee",
    "organic_search",
    "direct",
    "linkedin_company",
    "email",
    "paid_search",
    "linkedin_ads",
    "referral",
    "x",
    "youtube",
    "facebook",
    "instagram",
)
_US_PER_DAY = 86_400 * 1_000_000
_START_US = 1_704_067_200 * 1_000_000  # 2024-01-01 UTC

SIZES: dict[str, int] = {
    "100k": 100_000,
    "1m": 1_000_000,
    "10m": 10_000_000,
    "30m": 30_000_000,
}


def _contact_id(number: pl.Expr) -> pl.Expr:
    """'c00000042': zero-padded, so contact order is also the ids' sort order."""
    return (pl.lit("c") + number.cast(pl.String).str.zfill(8)).alias("contact_id")


def parse_size(label: str) -> int:
    """'100k' → 100_000, '1m' → 1_000_000, '2500' → 2500."""
    text = label.strip().lower()
    for suffix, factor in (("k", 1_000), ("m", 1_000_000)):
        if text.endswith(suffix):
            return int(float(text[:-1]) * factor)
    return int(text)


def _calibrate(logit: np.ndarray, rate: float) -> float:
    """The intercept b with mean(sigmoid(logit + b)) == rate (bisection)."""
    lo, hi = -30.0, 30.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if np.mean(1.0 / (1.0 + np.exp(-(logit + mid)))) < rate:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def generate(n_touches: int, seed: int = SEED) -> tuple[pl.DataFrame, pl.DataFrame]:
    """About `n_touches` touchpoints (contact_id, ts, channel) and their conversions.

    Rows are sorted by contact, then time (as the store keeps touchpoints and as CRM exports
    grouped by contact come), not by time across contacts.
    """
    # Arrays are freed as soon as they are used and kept in the narrowest type, so 30M touches
    # peak near the frames' own size; the random draws (and so the data) do not depend on it.
    rng = np.random.default_rng(seed)
    n_contacts = max(1, round(n_touches / TOUCHES_PER_CONTACT))
    counts = rng.geometric(1 / TOUCHES_PER_CONTACT, n_contacts)
    total = int(counts.sum())
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
    first = np.zeros(total, dtype=bool)
    first[offsets] = True

    weights = 1.0 / np.arange(1, len(CHANNELS) + 1) ** 1.1
    drawn = rng.choice(len(CHANNELS), size=total, p=weights / weights.sum()).astype(np.int8)
    repeat = (rng.random(total) < REPEAT_SHARE) & ~first
    source = np.where(repeat, 0, np.arange(total))
    del repeat
    np.maximum.accumulate(source, out=source)
    channel = drawn[source]
    del drawn, source

    start = _START_US + rng.integers(0, 365 * _US_PER_DAY, n_contacts)
    gaps = rng.exponential(6.0 * _US_PER_DAY, total).astype(np.int64)
    gaps[first] = 0
    del first
    ts = np.cumsum(gaps)
    del gaps
    ts -= np.repeat(ts[offsets], counts)
    ts += np.repeat(start, counts)

    effect = rng.normal(0.0, 0.6, len(CHANNELS))
    logit = np.add.reduceat(effect[channel] * 0.7, offsets) + 0.1 * counts
    intercept = _calibrate(logit, CONVERSION_RATE)
    converts = rng.random(n_contacts) < 1.0 / (1.0 + np.exp(-(logit + intercept)))
    # 15% of converting contacts with 2+ touches convert before their last touch.
    early = converts & (counts >= 2) & (rng.random(n_contacts) < 0.15)
    last = offsets + counts - 1
    after = np.where(early, last - 1, last)
    gap_next = np.where(early, ts[last] - ts[np.maximum(last - 1, 0)], _US_PER_DAY * 2)
    conv_ts = ts[after] + (rng.random(n_contacts) * np.maximum(gap_next, 1)).astype(np.int64)
    idx = np.flatnonzero(converts)
    value = np.round(rng.lognormal(8.5, 1.0, len(idx)), 2)

    touchpoints = pl.DataFrame(
        {
            "contact_id": np.repeat(np.arange(n_contacts, dtype=np.int32), counts),
            "ts": ts,
            "channel": pl.Series(CHANNELS).gather(channel),
        }
    ).select(
        _contact_id(pl.col("contact_id")),
        pl.col("ts").cast(pl.Datetime("us", "UTC")),
        "channel",
    )
    del ts, channel
    conversions = pl.DataFrame({"contact_id": idx, "ts": conv_ts[idx], "value": value}).select(
        _contact_id(pl.col("contact_id")),
        pl.col("ts").cast(pl.Datetime("us", "UTC")),
        "value",
    )
    return touchpoints, conversions


def paths(label: str) -> tuple[Path, Path]:
    folder = CACHE / label
    return folder / "touchpoints.parquet", folder / "conversions.parquet"


def ensure(label: str, seed: int = SEED) -> tuple[Path, Path]:
    """Write the data set for size `label` once; return its two parquet paths."""
    tp_path, conv_path = paths(label)
    if tp_path.exists() and conv_path.exists():
        return tp_path, conv_path
    tp_path.parent.mkdir(parents=True, exist_ok=True)
    touchpoints, conversions = generate(parse_size(label), seed)
    touchpoints.write_parquet(tp_path.with_suffix(".tmp"))
    conversions.write_parquet(conv_path.with_suffix(".tmp"))
    tp_path.with_suffix(".tmp").rename(tp_path)
    conv_path.with_suffix(".tmp").rename(conv_path)
    return tp_path, conv_path


def load(label: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    tp_path, conv_path = paths(label)
    return pl.read_parquet(tp_path), pl.read_parquet(conv_path)


if __name__ == "__main__":
    import sys
    import time

    for size in sys.argv[1:] or list(SIZES):
        t0 = time.perf_counter()
        ensure(size)
        tp, conv = load(size)
        print(
            f"{size}: {tp.height:,} touchpoints, {tp['contact_id'].n_unique():,} contacts, "
            f"{conv.height:,} conversions ({time.perf_counter() - t0:.1f} s)"
        )
