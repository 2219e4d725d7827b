"""Adapters to the peer libraries, each fed its own preferred input built from the same data.

Every peer sees the journeys socialroi builds from the raw touchpoints (touches assigned to
conversions with the same 90-day lookback), so all contenders solve the same problem. What each
peer needs beyond that is built with polars and timed apart as ``prep``:

- ChannelAttribution: aggregated paths ``a>b>c`` (consecutive repeats merged, as the chain
  definition merges them) with conversion, null and value counts — ``markov_model`` at its
  defaults except ``order``.
- marketing-attribution-models (``mam``): touch rows in its "session" format (journey id, time,
  channel, conversion flag) — ``MAM(...).run_markov()`` / ``run_shapley()`` at defaults.
- mta: aggregated paths ``a > b > c`` with total_conversions / total_null — ``MTA(data=...)``
  then ``.markov()`` (its analytic default) / ``.shapley()``. The constructor is part of its time.

Each function returns (timings in seconds, channel shares of conversions, notes).
"""

from __future__ import annotations

import contextlib
import io
import time
from typing import Any

import polars as pl

from socialroi.core.attribution.datadriven import journeys_from_touches
from socialroi.core.journeys import assign_touches

Shares = dict[str, float]
Timings = dict[str, float]
Outcome = tuple[Timings, Shares, dict[str, Any]]


def _assigned(touchpoints: pl.DataFrame, conversions: pl.DataFrame) -> pl.DataFrame:
    assigned = assign_touches(
        touchpoints, conversions, lookback_days=90, carry=("value",), keep_order=True
    )
    return journeys_from_touches(assigned).with_columns(assigned.get_column("ts"))


def aggregate_paths(journeys: pl.DataFrame, sep: str) -> pl.DataFrame:
    """One row per distinct path: total_conversions, total_null, total_conversion_value."""
    repeat = (pl.col("journey_id") == pl.col("journey_id").shift(1)) & (
        pl.col("channel") == pl.col("channel").shift(1)
    )
    return (
        journeys.sort("journey_id", "step")
        .filter(~repeat.fill_null(False))
        .group_by("journey_id")
        .agg(
            pl.col("channel").str.join(sep).alias("path"),
            pl.col("converted").first(),
            pl.col("value").first(),
        )
        .group_by("path")
        .agg(
            pl.col("converted").cast(pl.Int64).sum().alias("total_conversions"),
            (~pl.col("converted")).cast(pl.Int64).sum().alias("total_null"),
            pl.col("value").sum().alias("total_conversion_value"),
        )
        .sort("path")
    )


def _normalise(values: dict[str, float]) -> Shares:
    total = sum(values.values())
    return {str(k): float(v) / total for k, v in values.items()} if total else {}


# --- ChannelAttribution ----------------------------------------------------------------------


def channelattribution_markov(
    touchpoints: pl.DataFrame, conversions: pl.DataFrame, order: int
) -> Outcome:
    from ChannelAttribution import markov_model

    t0 = time.perf_counter()
    journeys = _assigned(touchpoints, conversions)
    t1 = time.perf_counter()
    paths = aggregate_paths(journeys, ">").to_pandas()
    t2 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        result = markov_model(
            paths,
            "path",
            "total_conversions",
            var_value="total_conversion_value",
            var_null="total_null",
            order=order,
        )
    t3 = time.perf_counter()
    shares = _normalise(dict(zip(result["channel_name"], result["total_conversions"], strict=True)))
    notes = {"paths": len(paths)}
    return {"journeys": t1 - t0, "prep": t2 - t1, "model": t3 - t2}, shares, notes


# --- marketing-attribution-models ------------------------------------------------------------


def _mam(touchpoints: pl.DataFrame, conversions: pl.DataFrame) -> tuple[Any, float, float]:
    import mam

    t0 = time.perf_counter()
    journeys = _assigned(touchpoints, conversions)
    t1 = time.perf_counter()
    model = mam.MAM(
        journeys.select("journey_id", "ts", "channel", "converted"),
        format_type="session",
        channels_colname="channel",
        journey_with_conv_colname="converted",
        datetime_colname="ts",
        user_id_colname="journey_id",
    )
    t2 = time.perf_counter()
    return model, t1 - t0, t2 - t1


def _mam_shares(result: Any) -> Shares:
    frame = result.to_polars()
    return _normalise(dict(zip(frame["channels"], frame["attribution"], strict=True)))


def mam_markov(touchpoints: pl.DataFrame, conversions: pl.DataFrame) -> Outcome:
    model, journeys_s, ctor_s = _mam(touchpoints, conversions)
    t0 = time.perf_counter()
    result = model.run_markov()
    t1 = time.perf_counter()
    removal = result.metadata["removal_effect"]["removal_effect"]
    notes = {"removal_effect_shares": _normalise({str(k): float(v) for k, v in removal.items()})}
    return (
        {"journeys": journeys_s, "model": ctor_s + t1 - t0},
        _mam_shares(result),
        notes,
    )


def mam_shapley(touchpoints: pl.DataFrame, conversions: pl.DataFrame) -> Outcome:
    model, journeys_s, ctor_s = _mam(touchpoints, conversions)
    t0 = time.perf_counter()
    result = model.run_shapley()
    t1 = time.perf_counter()
    frame = result.to_polars()
    negative = int((frame["attribution"] < 0).sum())
    return (
        {"journeys": journeys_s, "model": ctor_s + t1 - t0},
        _mam_shares(result),
        {"negative_channels": negative},
    )


# --- mta ------------------------------------------------------------------------------------


def _mta(touchpoints: pl.DataFrame, conversions: pl.DataFrame) -> tuple[Any, Timings]:
    from mta import MTA

    t0 = time.perf_counter()
    journeys = _assigned(touchpoints, conversions)
    t1 = time.perf_counter()
    paths = aggregate_paths(journeys, " > ").to_pandas()
    t2 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        model = MTA(data=paths)
    t3 = time.perf_counter()
    return model, {"journeys": t1 - t0, "prep": t2 - t1, "constructor": t3 - t2}


def mta_markov(touchpoints: pl.DataFrame, conversions: pl.DataFrame) -> Outcome:
    model, timings = _mta(touchpoints, conversions)
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        model.markov()
    constructor = timings.pop("constructor")
    timings["model"] = constructor + time.perf_counter() - t0
    notes = {"constructor_s": constructor}
    return timings, _normalise(dict(model.attribution["markov"])), notes


def mta_shapley(touchpoints: pl.DataFrame, conversions: pl.DataFrame) -> Outcome:
    model, timings = _mta(touchpoints, conversions)
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        model.shapley()
    constructor = timings.pop("constructor")
    timings["model"] = constructor + time.perf_counter() - t0
    notes = {"constructor_s": constructor}
    return timings, _normalise(dict(model.attribution["shapley"])), notes


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for dist in (
        "socialroi",
        "polars",
        "numpy",
        "scipy",
        "channelattribution",
        "marketing-attribution-models",
        "mta",
    ):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = "not installed"
    return out
