"""Comparing two engines' results: outputs row for row, credits to 1e-9."""

from __future__ import annotations

import polars as pl

from socialroi.engines import ENGINE_MODELS, finish
from socialroi.engines.sql import AttributionSQL


def same_frame(got: pl.DataFrame, want: pl.DataFrame, name: str) -> None:
    """The same schema, the same keys and counts exactly, the floats to 1e-9."""
    assert got.schema == want.schema, name
    keys = [c for c, t in want.schema.items() if not t.is_float()]
    got, want = got.sort(keys, nulls_last=True), want.sort(keys, nulls_last=True)
    assert got.select(keys).equals(want.select(keys)), name  # counts and keys exactly
    for col in (c for c, t in want.schema.items() if t.is_float()):
        diff = (got.get_column(col) - want.get_column(col)).abs().max()
        assert diff is None or float(diff) <= 1e-9, (name, col)  # type: ignore[arg-type]


def same_run(
    outputs: dict[str, pl.DataFrame],
    sql: AttributionSQL,
    native: dict[str, pl.DataFrame],
    native_sql: AttributionSQL,
) -> dict[str, pl.DataFrame]:
    """Every output of a run the same as `native`'s, and every model's credits finished from
    them; returns the run's credits by model."""
    assert outputs.keys() == native.keys()
    for name, frame in native.items():
        same_frame(outputs[name], frame, name)
    got, want = finish(outputs, sql, ENGINE_MODELS), finish(native, native_sql, ENGINE_MODELS)
    for model in ENGINE_MODELS:
        same_frame(got[model], want[model], model)
    return got
