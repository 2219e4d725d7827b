"""Credit every model the report compares, per conversion kind, and set them side by side.

Rule models always run. Data-driven models (every other model in the attribution registry) run
when registered; one that cannot run on the data (a DataError, e.g. too many channels) is left
out and named in ``skipped`` with its reason, so the report still renders.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from socialroi.core.attribution import RULE_MODELS, credit_models, credit_touches, model_names
from socialroi.core.conversions import CONVERSION_KINDS
from socialroi.errors import DataError

MODELS_SCHEMA: dict[str, pl.DataType] = {
    "model": pl.String(),
    "channel": pl.String(),
    "leads": pl.Float64(),
    "deals": pl.Float64(),
    "deal_value": pl.Float64(),
}


def default_compare() -> tuple[str, ...]:
    """Every registered model: the rule models, then the data-driven ones registered so far."""
    return model_names()


def is_rule_model(model: str) -> bool:
    return model in RULE_MODELS


def credit_all(
    touchpoints: pl.DataFrame,
    conversions: pl.DataFrame,
    models: Sequence[str],
    *,
    lookback_days: int,
    half_life_days: float,
) -> dict[str, pl.DataFrame]:
    """Each model's credits for leads, won deals and open deals. Each kind is credited on its own
    (so a lead does not take the touches that led to the deal); ``kind`` is the conversion kind."""
    parts: dict[str, list[pl.DataFrame]] = {m: [] for m in models}
    for kind in CONVERSION_KINDS:
        conv = conversions.filter(pl.col("kind") == kind)
        if conv.height == 0:
            continue
        credited = credit_models(
            touchpoints,
            conv,
            models,
            lookback_days=lookback_days,
            half_life_days=half_life_days,
        )
        for m, credits in credited.items():
            parts[m].append(credits.with_columns(pl.lit(kind).alias("kind")))
    out = {}
    for m in models:
        if parts[m]:
            out[m] = pl.concat(parts[m], how="vertical_relaxed")
        else:
            empty = credit_touches(touchpoints.clear(), conversions.clear(), m)
            out[m] = empty.with_columns(pl.col("kind").cast(pl.String))
    return out


def credit_compared(
    touchpoints: pl.DataFrame,
    conversions: pl.DataFrame,
    models: Sequence[str],
    *,
    lookback_days: int,
    half_life_days: float,
) -> tuple[dict[str, pl.DataFrame], dict[str, str]]:
    """(credits by model, skipped model → reason). Rule models are credited together (touches
    assigned once); each data-driven model on its own, so one that fails on the data is skipped
    rather than failing the whole analysis."""
    wanted = list(dict.fromkeys(models))
    rules = [m for m in wanted if is_rule_model(m)]

    def run(names: list[str]) -> dict[str, pl.DataFrame]:
        return credit_all(
            touchpoints,
            conversions,
            names,
            lookback_days=lookback_days,
            half_life_days=half_life_days,
        )

    credits = run(rules) if rules else {}
    skipped: dict[str, str] = {}
    for m in wanted:
        if is_rule_model(m):
            continue
        try:
            credits.update(run([m]))
        except DataError as exc:
            skipped[m] = str(exc)
    return {m: credits[m] for m in wanted if m in credits}, skipped


def models_side_by_side(credits: Mapping[str, pl.DataFrame]) -> pl.DataFrame:
    """model, channel, leads, deals, deal_value: credited per channel under each model."""
    cols = ["model", "channel", "kind", "credit", "value_credit"]
    frames = [c.with_columns(pl.lit(m).alias("model")).select(cols) for m, c in credits.items()]
    if not frames:
        return pl.DataFrame(schema=MODELS_SCHEMA)
    kind = pl.col("kind")
    out = (
        pl.concat(frames, how="vertical_relaxed")
        .group_by("model", "channel")
        .agg(
            pl.col("credit").filter(kind == "lead").sum().alias("leads"),
            pl.col("credit").filter(kind == "deal").sum().alias("deals"),
            pl.col("value_credit").filter(kind == "deal").sum().alias("deal_value"),
        )
    )
    order = {m: i for i, m in enumerate(credits)}
    return out.sort(
        pl.col("model").replace_strict(order, return_dtype=pl.Int64),
        pl.col("deal_value"),
        pl.col("channel"),
        descending=[False, True, False],
    )
