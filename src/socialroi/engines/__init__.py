"""Attribution where the data lives: one SQL definition, several engines (docs/scale.md).

:func:`attribute` gives what :func:`socialroi.core.attribution.attribute` gives —
``[*by, conversions, value]`` — for touchpoints and conversions that stay in parquet or CSV
files, a store, a warehouse table or frames. The journeys are built by SQL
(:mod:`socialroi.engines.sql`: written once in the Spark dialect, transpiled by SQLGlot); only
small aggregates come back, and core's exact solvers finish the job
(:mod:`socialroi.engines.finish`).

Engines: ``duckdb`` (default, in memory or out of core), and any registered with
:func:`register_engine` (``spark`` is looked up in :mod:`socialroi.engines.spark`, ``bigquery``
— tables in BigQuery, through its REST API — in :mod:`socialroi.engines.bigquery`).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from typing import Any, cast

import polars as pl

from socialroi.core.attribution.markov import MAX_ORDER
from socialroi.core.attribution.rules import RULE_MODELS
from socialroi.engines.config import EngineSettings, engine_settings
from socialroi.engines.finish import ENGINE_MODELS, finish, markov_chain, shapley_result
from socialroi.engines.plan import Plan, Runner, Source
from socialroi.engines.sql import DIALECTS, AttributionSQL, Query, build_sql
from socialroi.errors import DataError

#: Engines by name: a Runner, or "module:function" imported when first used.
ENGINES: dict[str, Runner | str] = {
    "duckdb": "socialroi.engines.duckdb_engine:run",
    "spark": "socialroi.engines.spark:run",
    "bigquery": "socialroi.engines.bigquery:run",
}


def register_engine(name: str, runner: Runner) -> None:
    """Make `runner` available as engine `name`."""
    ENGINES[name] = runner


def runner(name: str) -> Runner:
    """The engine called `name`; a DataError names the engines there are."""
    found = ENGINES.get(name)
    if found is None:
        raise DataError(f"unknown engine '{name}'; engines are: {', '.join(ENGINES)}")
    if isinstance(found, str):
        module, _, attr = found.partition(":")
        try:
            found = cast(Runner, getattr(importlib.import_module(module), attr))
        except (ImportError, AttributeError) as err:
            raise DataError(f"engine '{name}' is not available here: {err}") from err
        ENGINES[name] = found
    return found


def plan_for(
    models: Sequence[str],
    *,
    lookback_days: int = 90,
    half_life_days: float = 7.0,
    by: Sequence[str] = ("channel",),
    order: int = 1,
) -> Plan:
    """The Plan computing `models` grouped `by`; raises DataError for an unknown model."""
    for model in models:
        if model not in ENGINE_MODELS:
            raise DataError(
                f"unknown model '{model}'; engine models are: {', '.join(ENGINE_MODELS)}"
            )
    if not 1 <= order <= MAX_ORDER:
        raise DataError(f"Markov order must be 1 to {MAX_ORDER}, got {order}")
    keys = tuple(by)
    return Plan(
        lookback_days=lookback_days,
        half_life_days=half_life_days,
        by=keys,
        rule_models=tuple(m for m in RULE_MODELS if m in models),
        data_driven=any(m in ("markov", "shapley") for m in models),
        touch_columns=tuple(k for k in keys if k not in ("channel", "month")),
    )


def attribute_models(
    touchpoints: Source,
    conversions: Source,
    *,
    models: Sequence[str] = ENGINE_MODELS,
    engine: str = "duckdb",
    order: int = 1,
    lookback_days: int = 90,
    half_life_days: float = 7.0,
    by: Sequence[str] = ("channel",),
    engine_options: Mapping[str, Any] | EngineSettings | None = None,
) -> dict[str, pl.DataFrame]:
    """:func:`attribute` for several models in one engine run."""
    plan = plan_for(
        models, lookback_days=lookback_days, half_life_days=half_life_days, by=by, order=order
    )
    if isinstance(engine_options, EngineSettings):
        settings = engine_options
    else:
        settings = engine_settings(dict(engine_options or {}), source="engine_options")
    outputs, sql = runner(engine)(touchpoints, conversions, plan, settings)
    return finish(outputs, sql, models, order=order)


def attribute(
    touchpoints: Source,
    conversions: Source,
    *,
    engine: str = "duckdb",
    model: str = "linear",
    order: int = 1,
    lookback_days: int = 90,
    half_life_days: float = 7.0,
    by: Sequence[str] = ("channel",),
    engine_options: Mapping[str, Any] | EngineSettings | None = None,
) -> pl.DataFrame:
    """Credits of `model` totalled `by` (``[*by, conversions, value]``, sorted as
    :func:`socialroi.core.attribution.summarize` sorts), computed on `engine`.

    `touchpoints` / `conversions`: a frame, a path, or ``parquet:GLOB``, ``csv:GLOB``,
    ``table:NAME``, ``store:PATH`` (conversions ``store:PATH#lead|deal|pipeline``).
    `engine_options`: the ``[engine]`` keys (memory_limit, temp_directory, threads…) or
    EngineSettings.
    """
    return attribute_models(
        touchpoints,
        conversions,
        models=(model,),
        engine=engine,
        order=order,
        lookback_days=lookback_days,
        half_life_days=half_life_days,
        by=by,
        engine_options=engine_options,
    )[model]


__all__ = [
    "DIALECTS",
    "ENGINES",
    "ENGINE_MODELS",
    "AttributionSQL",
    "EngineSettings",
    "Plan",
    "Query",
    "Runner",
    "Source",
    "attribute",
    "attribute_models",
    "build_sql",
    "engine_settings",
    "finish",
    "markov_chain",
    "plan_for",
    "register_engine",
    "runner",
    "shapley_result",
]
