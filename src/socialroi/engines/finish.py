"""From the engine's small outputs to the models' results, with the exact solvers of core.

The SQL (:mod:`socialroi.engines.sql`) sends back per-channel grams, channel-set counts, group
placements, rule credits and unattributed conversions. Here:

- :func:`transition_counts` turns ``grams`` into the (from, to, n) counts of an order-k chain,
  state codes as :func:`socialroi.core.attribution.markov.solve_chain` reads them;
- :func:`channel_sets` turns ``sets`` into the channel-set counts that
  :func:`socialroi.core.attribution.shapley.shapley_of_sets` and ``shares_of_sets`` solve;
- :func:`combine` adds up the outputs of runs over disjoint sets of contacts (a bucketed run):
  journeys never cross contacts, so each output is the sum of its parts, key by key;
- :func:`finish` places Markov and Shapley credit per conversion set on the groups, totals the
  rule models, adds ``(unattributed)`` and returns what
  :func:`socialroi.core.attribution.attribute` returns: ``[*by, conversions, value]``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import polars as pl

from socialroi.core.attribution import UNATTRIBUTED
from socialroi.core.attribution.markov import (
    _CONV,
    _NULL,
    _START,
    MAX_ORDER,
    MarkovResult,
    solve_chain,
)
from socialroi.core.attribution.rules import RULE_MODELS
from socialroi.core.attribution.shapley import (
    SET_SEPARATOR,
    ShapleyResult,
    shapley_of_sets,
    shares_of_sets,
)
from socialroi.engines.sql import MAX_CHANNELS, AttributionSQL
from socialroi.errors import DataError

_TINY = 2.2250738585072014e-308
#: Every model an engine runs: the rule models, then the data-driven ones.
ENGINE_MODELS: tuple[str, ...] = (*RULE_MODELS, "markov", "shapley")


#: The columns of the outputs that add up over disjoint contacts (every other is a key);
#: rule credits are ``<model>_conversions`` and ``<model>_value``.
_ADDED = ("n", "value", "journeys", "conversions")


def _added(column: str) -> bool:
    return column in _ADDED or column.endswith(("_conversions", "_value"))


def combine(parts: Sequence[Mapping[str, pl.DataFrame]]) -> dict[str, pl.DataFrame]:
    """One run's outputs from the outputs of runs over disjoint sets of contacts: each output's
    rows of equal keys (every column but the counts and sums) added up — counts exactly,
    credits and values as floats. ``channels`` is the same in every part (the channel bits are
    shared) and is taken from the first that has it."""
    if not parts:
        raise DataError("no outputs to combine")
    out: dict[str, pl.DataFrame] = {}
    for name in parts[0]:
        frames = [p[name] for p in parts if name in p]
        if name == "channels" or len(frames) == 1:
            out[name] = frames[0]
            continue
        both = pl.concat(frames, how="vertical_relaxed")
        keys = [c for c in both.columns if not _added(c)]
        sums = [pl.col(c).sum() for c in both.columns if _added(c)]
        added = both.group_by(keys).agg(sums) if keys else both.select(sums)
        out[name] = added.select(both.columns)
    return out


def channel_bits(channels: pl.DataFrame) -> tuple[list[str], dict[int, str]]:
    """The channels (sorted, as core sorts them) and each bit's channel, from ``channels``."""
    names = channels.get_column("channel")
    if names.null_count():
        raise DataError("journeys contain a touch with no channel")
    bits = dict(
        zip(channels.get_column("bit").to_list(), names.cast(pl.String).to_list(), strict=True)
    )
    return sorted(bits.values()), bits


def transition_counts(
    grams: pl.DataFrame, channels: Sequence[str], order: int, bits: Mapping[int, str]
) -> tuple[pl.DataFrame, float, float]:
    """The order-`order` transition counts (from, to, n; sorted) of ``grams`` (channels as
    their `bits`), the number of converting journeys and their value: what
    :func:`solve_chain` takes, states coded by `channels`' order."""
    if not 1 <= order <= MAX_ORDER:
        raise DataError(f"Markov order must be 1 to {MAX_ORDER}, got {order}")
    base = len(channels) + 1
    lut = {name: i + 1 for i, name in enumerate(channels)}
    by_bit = np.zeros(MAX_CHANNELS + 1, dtype=np.int64)  # bit + 1 -> state code; 0: none
    for bit, name in bits.items():
        by_bit[int(bit) + 1] = lut[name]

    def code(col: str) -> np.ndarray:
        values = grams.get_column(col).cast(pl.Int64).fill_null(-1).to_numpy()
        out: np.ndarray = by_bit[values + 1]
        return out

    c = [code(f"c{j}") for j in range(5)]
    kind = grams.get_column("kind").cast(pl.Int64).to_numpy()
    n = grams.get_column("n").cast(pl.Float64).to_numpy()
    cur = sum((c[j] * base**j for j in range(order)), np.zeros(len(kind), dtype=np.int64))
    before = sum((c[j + 1] * base**j for j in range(order)), np.zeros(len(kind), dtype=np.int64))
    step = kind == 0
    frm = np.where(step, np.where(c[1] == 0, _START, before), cur)
    to = np.where(step, cur, np.where(kind == 1, _CONV, _NULL))
    counts = (
        pl.DataFrame(
            {"from": frm, "to": to, "n": n},
            schema={"from": pl.Int64, "to": pl.Int64, "n": pl.Float64},
        )
        .group_by("from", "to")
        .agg(pl.col("n").sum())
        .sort("from", "to")
    )
    ends = grams.filter(pl.col("kind") == 1)
    total_conv = float(ends.get_column("n").sum())
    total_value = float(ends.get_column("value").cast(pl.Float64).fill_null(0.0).sum())
    return counts, total_conv, total_value


def markov_chain(outputs: Mapping[str, pl.DataFrame], order: int) -> MarkovResult:
    """The exact Markov chain of order `order` from the engine's ``channels`` and ``grams``."""
    channels, bits = channel_bits(outputs["channels"])
    counts, total_conv, total_value = transition_counts(outputs["grams"], channels, order, bits)
    return solve_chain(counts, channels, order, total_conv, total_value)


def _names(mask: int, bits: Mapping[int, str]) -> list[str]:
    return [bits[b] for b in range(MAX_CHANNELS) if mask >> b & 1]


def channel_sets(
    sets: pl.DataFrame, channels: Sequence[str], bits: Mapping[int, str]
) -> pl.DataFrame:
    """``sets`` (masks in the engine's `bits`, one row per set and outcome) as core's channel sets
    (mask, n, conv, val; masks index `channels`), what :func:`shapley_of_sets` and
    :func:`shares_of_sets` read."""
    index = {name: i for i, name in enumerate(channels)}
    engine_mask = sets.get_column("mask").cast(pl.Int64).to_numpy()
    mask = np.zeros(len(engine_mask), dtype=np.int64)
    for bit, name in bits.items():
        mask |= ((engine_mask >> int(bit)) & 1) << index[name]
    converted = pl.col("converted") == 1
    return (
        sets.with_columns(pl.Series("mask", mask))
        .filter(pl.col("journeys") > 0)
        .group_by("mask")
        .agg(
            pl.col("journeys").sum().cast(pl.Float64).alias("n"),
            pl.col("journeys").filter(converted).sum().cast(pl.Float64).alias("conv"),
            pl.col("value").filter(converted).cast(pl.Float64).fill_null(0.0).sum().alias("val"),
        )
        .sort("mask")
    )


def shapley_result(outputs: Mapping[str, pl.DataFrame]) -> ShapleyResult:
    """The Shapley result (per-channel credit) from the engine's ``channels`` and ``sets``."""
    channels, bits = channel_bits(outputs["channels"])
    return shapley_of_sets(channels, channel_sets(outputs["sets"], channels, bits))


def _set_shares(outputs: Mapping[str, pl.DataFrame], model: str, order: int) -> pl.DataFrame:
    """Each converting set's channel shares (mask, channel, share) under `model`."""
    channels, bits = channel_bits(outputs["channels"])
    sets = (
        outputs["sets"].filter(pl.col("converted") == 1).with_columns(pl.col("mask").cast(pl.Int64))
    )
    if model == "shapley":
        shares = shares_of_sets(channels, channel_sets(outputs["sets"], channels, bits))
        index = {name: b for b, name in bits.items()}
        masks = [
            sum(1 << index[n] for n in key.split(SET_SEPARATOR))
            for key in shares.get_column("set_key").to_list()
        ]
        return shares.select(pl.Series("mask", masks, dtype=pl.Int64), "channel", "share")
    effects = dict.fromkeys(channels, 0.0)
    if sets.height:
        chain = markov_chain(outputs, order)
        for name, re in chain.credits.select("channel", "removal_effect").iter_rows():
            effects[name] = max(float(re), 0.0)
    out: dict[str, list[object]] = {"mask": [], "channel": [], "share": []}
    for mask in sets.get_column("mask").unique().to_list():
        names = _names(int(mask), bits)
        total = sum(effects[n] for n in names)
        for n in names:
            out["mask"].append(int(mask))
            out["channel"].append(n)
            out["share"].append(effects[n] / total if total >= _TINY else 1.0 / len(names))
    return pl.DataFrame(out, schema={"mask": pl.Int64, "channel": pl.String, "share": pl.Float64})


def _groups(sql: AttributionSQL) -> list[str]:
    return [f"g{i}" for i in range(len(sql.by))]


def _unattributed(
    outputs: Mapping[str, pl.DataFrame], sql: AttributionSQL, schema: Mapping[str, pl.DataType]
) -> pl.DataFrame:
    un = outputs["unattributed"]
    cols = []
    for g, key in zip(_groups(sql), sql.by, strict=True):
        dtype = schema[g]
        if key == "month":
            cols.append(pl.col("conv_month").cast(dtype).alias(g))
        elif key == "channel" or dtype == pl.String:
            cols.append(pl.lit(UNATTRIBUTED, dtype=pl.String).cast(dtype).alias(g))
        else:
            cols.append(pl.lit(None, dtype=dtype).alias(g))
    return un.select(
        *cols,
        pl.col("conversions").cast(pl.Float64),
        pl.col("value").cast(pl.Float64).fill_null(0.0),
    )


def _summarized(
    frame: pl.DataFrame, outputs: Mapping[str, pl.DataFrame], sql: AttributionSQL
) -> pl.DataFrame:
    """`frame` (g0.., conversions, value) plus the unattributed conversions, totalled by the
    group keys (named back), sorted as summarize sorts: conversions descending, then the keys."""
    groups = _groups(sql)
    un = _unattributed(outputs, sql, frame.schema)
    both = pl.concat([frame.select(*groups, "conversions", "value"), un], how="vertical_relaxed")
    out = both.group_by(groups).agg(pl.col("conversions").sum(), pl.col("value").sum())
    out = out.sort(
        ["conversions", *groups], descending=[True] + [False] * len(groups), nulls_last=True
    )
    return out.rename(dict(zip(groups, sql.by, strict=True)))


def _typed(frame: pl.DataFrame, sql: AttributionSQL) -> pl.DataFrame:
    """Group keys with their engine types; an all-null key read as text."""
    return frame.with_columns(
        pl.col(g).cast(pl.String) for g in _groups(sql) if frame.schema[g] == pl.Null
    )


def finish(
    outputs: Mapping[str, pl.DataFrame],
    sql: AttributionSQL,
    models: Sequence[str],
    *,
    order: int = 1,
) -> dict[str, pl.DataFrame]:
    """Each of `models` as ``[*by, conversions, value]`` (the columns and order of
    :func:`socialroi.core.attribution.attribute`) from an engine's `outputs` of `sql`."""
    groups = _groups(sql)
    result: dict[str, pl.DataFrame] = {}
    for model in models:
        if model in ("markov", "shapley"):
            if "placement" not in outputs:
                raise DataError(f"the engine's SQL was built without '{model}'")
            placement = _typed(outputs["placement"], sql).with_columns(
                pl.col("mask").cast(pl.Int64)
            )
            shares = _set_shares(outputs, model, order)
            joined = placement.join(shares, on=["mask", "channel"], how="left")
            share = pl.col("share").fill_null(0.0)
            frame = joined.group_by(groups).agg(
                (share * pl.col("conversions")).sum().alias("conversions"),
                (share * pl.col("value")).sum().alias("value"),
            )
        elif model in sql.models:
            rules = _typed(outputs["rules"], sql)
            frame = rules.select(
                *groups,
                pl.col(f"{model}_conversions").cast(pl.Float64).alias("conversions"),
                pl.col(f"{model}_value").cast(pl.Float64).alias("value"),
            )
        else:
            raise DataError(
                f"unknown model '{model}'; engine models are: {', '.join(ENGINE_MODELS)}"
            )
        result[model] = _summarized(frame, outputs, sql)
    return result
