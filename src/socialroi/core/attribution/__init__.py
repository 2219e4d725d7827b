"""Attribution: how much of each conversion each touch earns, and totals by any grouping.

:func:`credit_touches` assigns touches to conversions (:mod:`socialroi.core.journeys`), asks a model
for each converting touch's share, and adds one ``(unattributed)`` row for every conversion no touch
reached, so totals always reconcile with the number (and value) of conversions.
:func:`summarize` totals credits by channel, platform, post, employee, campaign or month.

Models live in a registry (:data:`MODELS`): a name and a function that takes every touch (with its
conversion_id, null for non-converting touches, and the conversion's kind, conv_ts, value and
milestones) and returns the converting rows with a ``credit`` column (and optionally
``value_credit``; else credit × value). Under every built-in model each conversion's credits sum
to 1 and its value credits to its value, and every credit row belongs to a conversion, so any
slice (month, platform, employee…) sums to its conversions. The data-driven models (``markov``,
``shapley``) weigh the channels of each conversion's own journey
(:mod:`socialroi.core.attribution.datadriven`): Markov by the chain's removal effects, Shapley by
the conversion's own channel set's Shapley shares.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial

import numpy as np
import polars as pl

from socialroi.core.attribution.datadriven import (
    journey_arrays,
    journeys_from_touches,
    place_by_channel,
    place_by_code,
    place_by_set,
)
from socialroi.core.attribution.markov import MAX_ORDER, MarkovResult, markov
from socialroi.core.attribution.rules import RULE_MODELS, rule_credits, rule_credits_all
from socialroi.core.attribution.shapley import (
    ShapleyResult,
    channel_sets_from_arrays,
    shapley,
    shapley_of_sets,
    shapley_shares,
    shares_of_sets,
)
from socialroi.core.attribution.transitions import (
    ChannelCodes,
    Order1Start,
    markov_grouped,
    order1_start,
    touch_channel_codes,
)
from socialroi.core.conversions import conform_conversions
from socialroi.core.journeys import Grouped, assign_touches, conform_touches, group_touches
from socialroi.errors import DataError

UNATTRIBUTED = "(unattributed)"

#: Columns credit_touches adds after the touch's own columns.
CREDIT_COLUMNS: tuple[str, ...] = (
    "conversion_id",
    "kind",
    "conv_ts",
    "value",
    "credit",
    "value_credit",
)
#: The conversions row of each converting touch, while credit_models builds its frame.
_KEY = "__conversion_row"
#: Each converting touch's channel code, likewise.
_CODE = "__channel_code"
#: Conversion columns joined onto touches for the models (dropped from the result when not asked).
_JOURNEY_COLUMNS: tuple[str, ...] = ("kind", "value", "lead_created_at", "deal_created_at")


@dataclass(frozen=True)
class ModelParams:
    """Options a model may read; each model ignores the ones it does not use."""

    lookback_days: int = 90
    half_life_days: float = 7.0
    order: int = 1


CreditFn = Callable[[pl.DataFrame, ModelParams], pl.DataFrame]


def _rule(model: str, journeys: pl.DataFrame, params: ModelParams) -> pl.DataFrame:
    return rule_credits(journeys, model, half_life_days=params.half_life_days)


def _effects(result: MarkovResult) -> pl.DataFrame:
    """A Markov chain's removal effects as channel weights."""
    return result.credits.select("channel", pl.col("removal_effect").alias("weight"))


def _markov(journeys: pl.DataFrame, params: ModelParams) -> pl.DataFrame:
    result = markov(journeys_from_touches(journeys), order=params.order)
    return place_by_channel(journeys, _effects(result))


def _shapley(journeys: pl.DataFrame, params: ModelParams) -> pl.DataFrame:
    return place_by_set(journeys, shapley_shares(journeys_from_touches(journeys)))


#: Data-driven models: fitted on converting and non-converting journeys, placed per conversion.
DATA_DRIVEN_MODELS: tuple[str, ...] = ("markov", "shapley")

#: Every model by name. Add one with :func:`register_model`.
MODELS: dict[str, CreditFn] = {name: partial(_rule, name) for name in RULE_MODELS}
MODELS["markov"] = _markov
MODELS["shapley"] = _shapley
#: The built-in models, to tell them from ones registered under the same name.
_BUILTIN: dict[str, CreditFn] = dict(MODELS)


def register_model(name: str, fn: CreditFn) -> None:
    """Make `fn` available as model `name` (to credit_touches, attribute and the CLI)."""
    MODELS[name] = fn


def model_names() -> tuple[str, ...]:
    """The names of every registered model, rule models first."""
    return tuple(MODELS)


def touch_renames(columns: Sequence[str]) -> dict[str, str]:
    """How credit_touches renames touch columns named like one it adds (kind → touch_kind)."""
    taken = set(CREDIT_COLUMNS) | set(_JOURNEY_COLUMNS)
    return {c: f"touch_{c}" for c in columns if c in taken}


def _check_model(model: str) -> None:
    if model not in MODELS:
        raise DataError(f"unknown model '{model}'; models are: {', '.join(MODELS)}")


def _with_unattributed(
    credited: pl.DataFrame,
    convs: pl.DataFrame,
    touch_columns: list[str],
    missing: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """A model's credited touches plus one (unattributed) row per conversion it left out.

    `missing`, when given, is those conversions already found (the built-in models credit
    every conversion that has a touch, so one look-up serves them all).
    """
    if missing is None:
        missing = convs.join(credited.select("conversion_id"), on="conversion_id", how="anti")
    unattributed = missing.select(
        "contact_id",
        pl.lit(UNATTRIBUTED).alias("channel"),
        "conversion_id",
        "kind",
        pl.col("ts").alias("conv_ts"),
        "value",
        pl.lit(1.0).alias("credit"),
    )
    columns = [*touch_columns, *CREDIT_COLUMNS]
    if "value_credit" not in credited.columns:
        # hstack, not with_columns: the frame's columns are kept as they are, not copied.
        value_credit = credited.get_column("credit") * credited.get_column("value")
        credited = credited.hstack([value_credit.alias("value_credit")])
    unattributed = unattributed.with_columns(pl.col("value").alias("value_credit"))
    # From the columns themselves: select would copy columns whose chunks do not line up.
    credited = pl.DataFrame([credited.get_column(c) for c in columns])
    schema = credited.schema
    if all(schema[c] == dtype for c, dtype in unattributed.schema.items()):
        # Appended as a chunk of its own: the touch columns stay shared with the frame every
        # model credits, not copied once per model.
        filled = unattributed.select(
            (pl.col(c) if c in unattributed.columns else pl.lit(None, dtype=schema[c])).alias(c)
            for c in columns
        )
        return pl.concat([credited, filled], how="vertical", rechunk=False)
    out = pl.concat([credited, unattributed], how="diagonal_relaxed")
    return out.select(columns)


def _is_builtin(model: str) -> bool:
    """Whether `model` is a built-in model, not one registered under its name."""
    return MODELS[model] is _BUILTIN.get(model)


def _untouched(convs: pl.DataFrame, converting: pl.DataFrame) -> pl.DataFrame:
    """The conversions no touch belongs to."""
    return convs.join(converting.select("conversion_id"), on="conversion_id", how="anti")


def _is_builtin_rule(model: str) -> bool:
    """Whether `model` is a built-in rule model (they read converting touches only)."""
    return model in RULE_MODELS and MODELS[model] is _BUILTIN[model]


def _credit_models_assigned(
    touches: pl.DataFrame, convs: pl.DataFrame, models: Sequence[str], params: ModelParams
) -> dict[str, pl.DataFrame]:
    """credit_models through assign_touches' frame (the path for input with no touches)."""
    journeys = assign_touches(
        touches, convs, lookback_days=params.lookback_days, carry=_JOURNEY_COLUMNS, keep_order=True
    )
    converting = journeys.filter(pl.col("conversion_id").is_not_null())
    missing = _untouched(convs, converting)
    return {
        model: _with_unattributed(
            MODELS[model](converting if _is_builtin_rule(model) else journeys, params),
            convs,
            touches.columns,
            missing if _is_builtin(model) else None,
        )
        for model in models
    }


def _chain(
    grouped: Grouped,
    touches: pl.DataFrame,
    convs: pl.DataFrame,
    order: int,
    *,
    codes: ChannelCodes | None = None,
    start: Order1Start | None = None,
) -> MarkovResult:
    """The Markov chain of conformed touches already grouped by contact (`grouped`); `codes`,
    when given, are the touches' channel codes (touch_channel_codes), and `start` (order 1)
    their order1_start."""
    channel = touches.get_column("channel")
    value = convs.get_column("value").cast(pl.Float64).fill_null(0.0).to_numpy()
    return markov_grouped(grouped, channel, value, order, codes, start=start)


def _fit_grouped(
    model: str,
    grouped: Grouped,
    touches: pl.DataFrame,
    convs: pl.DataFrame,
    order: int,
    *,
    codes: ChannelCodes | None = None,
    start: Order1Start | None = None,
) -> MarkovResult | ShapleyResult:
    """A data-driven model on conformed touches already grouped by contact (`grouped`);
    `codes`, when given, are the touches' channel codes (touch_channel_codes), and `start`
    (Markov order 1) their order1_start."""
    if model == "shapley":
        channels, sets = _sets(grouped, touches, convs, codes)
        return shapley_of_sets(channels, sets)
    return _chain(grouped, touches, convs, order, codes=codes, start=start)


def _sets(
    grouped: Grouped, touches: pl.DataFrame, convs: pl.DataFrame, codes: ChannelCodes | None
) -> tuple[list[str], pl.DataFrame]:
    """The channels and the channel sets (Shapley's journeys, conversions and value per set)
    of conformed touches already grouped by contact, counted from arrays."""
    value = convs.get_column("value").cast(pl.Float64).fill_null(0.0).to_numpy()
    channels, code = touch_channel_codes(touches.get_column("channel")) if codes is None else codes
    code, new, converted, journey_value = journey_arrays(grouped, code, value)
    return channels, channel_sets_from_arrays(code, new, converted, journey_value, len(channels))


def _group(
    touches: pl.DataFrame,
    convs: pl.DataFrame,
    lookback_days: int,
    *,
    codes: bool,
    order1: bool = False,
) -> tuple[Grouped | None, ChannelCodes | None, Order1Start | None]:
    """group_touches, and with `codes` the touches' channel codes, worked out meanwhile on a
    second thread: both spend their time in array code that runs outside the interpreter lock.
    With `order1` as well, and rows already grouped, that thread then counts an order-1
    chain's steps as if each contact were one journey (order1_start) while the conversions
    are matched."""
    if not codes:
        return group_touches(touches, convs, lookback_days=lookback_days), None, None
    with ThreadPoolExecutor(max_workers=1) as pool:
        coding = pool.submit(touch_channel_codes, touches.get_column("channel"))
        starting: list[Future[Order1Start | None]] = []

        def start(order: np.ndarray | None, runs: np.ndarray, starts: np.ndarray) -> None:
            # Queued behind the codes on the one worker. Only for rows kept in input order:
            # reordered rows' states are gathered at random, which beside the matching's own
            # random reads costs more than it saves.
            if order is None:
                starting.append(pool.submit(_order1_start, coding, order, runs, starts))

        grouped = group_touches(
            touches, convs, lookback_days=lookback_days, on_grouped=start if order1 else None
        )
        return grouped, coding.result(), starting[0].result() if starting else None


def _order1_start(
    coding: Future[ChannelCodes], order: np.ndarray | None, runs: np.ndarray, starts: np.ndarray
) -> Order1Start | None:
    """order1_start of the channel codes `coding` gives."""
    channels, code = coding.result()
    return order1_start(code, len(channels), order, runs, starts)


def _converting(
    touches: pl.DataFrame,
    added: pl.DataFrame,
    index: np.ndarray,
    grouped: Grouped,
    codes: ChannelCodes | None,
    *,
    as_assigned: Callable[[pl.DataFrame], pl.DataFrame],
) -> tuple[pl.DataFrame, np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """The converting touches (`index`: each touch's row of `added`, -1: none) with their
    conversion's columns (`added`), in the order assign_touches gives them (`as_assigned`),
    and for each of those rows its conversion's number and its channel code (`codes`), when
    known: the rule models group by the number, and Markov places its credit by the numbers,
    not by text. Last, for rows that `grouped` reordered, those rows listed conversion by
    conversion (:func:`_converting_reordered`)."""
    keyed = _KEY not in touches.columns
    if grouped.order is not None and keyed:
        return _converting_reordered(touches, added, grouped.order, grouped, codes)
    hit = index >= 0
    rows = np.flatnonzero(hit)
    extra = [pl.Series(_KEY, index[rows])] if keyed else []
    coded = keyed and codes is not None and _CODE not in touches.columns
    if coded and codes is not None:
        extra.append(pl.Series(_CODE, codes[1][rows]))
    # One chunk per column: models then add columns without copying the touch columns. (A
    # filter reads the rows in order, cheaper than gathering them.)
    converting = as_assigned(
        touches.filter(pl.Series(hit)).hstack([*added[index[rows]].get_columns(), *extra]),
    ).rechunk()
    key = converting.get_column(_KEY).to_numpy() if keyed else None
    code = converting.get_column(_CODE).to_numpy() if coded else None
    converting = converting.drop(_KEY, _CODE, strict=False) if keyed else converting
    return converting, key, code, None


def _converting_reordered(
    touches: pl.DataFrame,
    added: pl.DataFrame,
    order: np.ndarray,
    grouped: Grouped,
    codes: ChannelCodes | None,
) -> tuple[pl.DataFrame, np.ndarray, np.ndarray | None, np.ndarray]:
    """_converting for touches that `grouped` reordered (`order`: its order; no touch column
    named like a scratch one): the converting touches in assign_touches' order (by time, ties
    in input order), gathered once in that order rather than filtered and sorted, with each
    row's conversion number and channel code, and the rows listed conversion by conversion
    (each conversion's rows ascending), so the rule models need no sort of their own.

    The grouping lists the converting touches conversion by conversion, each conversion's
    in (time, input row) order: one sort of those few rows by (time, input row) gives
    assign_touches' order, and undoing it gives the listing.
    """
    k, candidates = grouped.conversion, grouped.candidates
    at = candidates[k[candidates] >= 0]
    listed = order[at]  # input rows, conversion by conversion
    keys = pl.DataFrame({"ts": touches.get_column("ts").gather(listed), "row": listed})
    by_time = keys.select(pl.arg_sort_by("ts", "row")).to_series().to_numpy()
    del keys
    rows = listed[by_time]
    key = k[at][by_time]
    code = codes[1][rows] if codes is not None else None
    # One chunk per column (a gather gives one): models then add columns without copying.
    converting = touches[rows].hstack(added[key].get_columns())
    by_conversion = np.empty(len(rows), dtype=np.int64)
    by_conversion[by_time] = np.arange(len(rows))
    return converting, key, code, by_conversion


def _place_chain(
    converting: pl.DataFrame,
    chain: MarkovResult,
    key: np.ndarray | None,
    code: np.ndarray | None,
    codes: ChannelCodes | None,
) -> pl.DataFrame:
    """Markov's credit on the converting touches: by their conversion numbers (`key`) and
    channel codes (`code`, into `codes`' channels) when known, else by text."""
    if key is None or code is None or codes is None:  # pragma: no cover - a touch column
        return place_by_channel(converting, _effects(chain))  # named like the frame's own
    effect = dict(chain.credits.select("channel", "removal_effect").iter_rows())
    weight = np.array([effect.get(c, 0.0) for c in codes[0]], dtype=np.float64)
    return place_by_code(converting, key, code, weight)


def credit_models(
    touchpoints: pl.DataFrame,
    conversions: pl.DataFrame,
    models: Sequence[str] = RULE_MODELS,
    *,
    lookback_days: int = 90,
    half_life_days: float = 7.0,
    order: int = 1,
    fitted: dict[str, MarkovResult | ShapleyResult] | None = None,
) -> dict[str, pl.DataFrame]:
    """:func:`credit_touches` for several models, assigning touches to conversions only once.

    `fitted`, when given, receives the data-driven models' whole results (as :func:`fit` gives
    them) from the same grouping, so nothing is fitted twice."""
    for model in models:
        _check_model(model)
    if not 1 <= order <= MAX_ORDER:
        raise DataError(f"Markov order must be 1 to {MAX_ORDER}, got {order}")
    params = ModelParams(lookback_days=lookback_days, half_life_days=half_life_days, order=order)
    touches = conform_touches(touchpoints).rename(touch_renames(touchpoints.columns))
    convs = conform_conversions(conversions)
    if lookback_days < 0:
        raise DataError(f"lookback_days must be 0 or more, not {lookback_days}")
    coded = any(m in DATA_DRIVEN_MODELS and _is_builtin(m) for m in models)
    order1 = order == 1 and "markov" in models and _is_builtin("markov")
    grouped, codes, start = _group(touches, convs, lookback_days, codes=coded, order1=order1)
    if grouped is None:  # no touches
        return _credit_models_assigned(touches, convs, models, params)
    # `index` numbers each touch's conversion (a row of convs, -1 for none) in input order. A
    # stable sort by ts of any subset gives the rows in the order assign_touches would give
    # them (which is the input order itself when contacts come sorted, in time order).
    index = grouped.in_input_order()
    contact = touches.get_column("contact_id")
    store_order = grouped.order is None and (grouped.sorted_contacts or contact.is_sorted())

    def as_assigned(frame: pl.DataFrame, *first: pl.Expr) -> pl.DataFrame:
        keys = [*first] if store_order else [*first, pl.col("ts")]
        return frame.sort(keys, maintain_order=True) if keys else frame

    added = convs.select("conversion_id", pl.col("ts").alias("conv_ts"), *_JOURNEY_COLUMNS)
    converting, key, code, by_conversion = _converting(
        touches, added, index, grouped, codes, as_assigned=as_assigned
    )
    missing = _untouched(convs, converting)
    full: pl.DataFrame | None = None

    def in_order() -> pl.DataFrame:
        # Every touch with its conversion's columns (input order), for models that read them all.
        nonlocal full
        if full is None:
            at = pl.Series(index)
            at = pl.select(pl.when(at >= 0).then(at)).to_series()
            full = touches.hstack(added[at].get_columns())
        return full

    # Data-driven models first: their work on every touch then peaks before the rule models'
    # results are held.
    credited: dict[str, pl.DataFrame] = {}
    for model in models:
        if model == "markov" and _is_builtin(model):
            chain = _chain(grouped, touches, convs, order, codes=codes, start=start)
            credited[model] = _place_chain(converting, chain, key, code, codes)
            if fitted is not None:
                fitted[model] = chain
        elif model == "shapley" and _is_builtin(model):
            channels, sets = _sets(grouped, touches, convs, codes)
            credited[model] = place_by_set(converting, shares_of_sets(channels, sets))
            if fitted is not None:
                fitted[model] = shapley_of_sets(channels, sets)
    credited.update(
        rule_credits_all(
            converting,
            [m for m in models if _is_builtin_rule(m)],
            half_life_days=half_life_days,
            conversion_key=key,
            conversion_order=by_conversion,
        )
    )
    out: dict[str, pl.DataFrame] = {}
    for model in models:
        if model not in credited:
            credited[model] = MODELS[model](as_assigned(in_order()), params)
        out[model] = _with_unattributed(
            credited[model], convs, touches.columns, missing if _is_builtin(model) else None
        )
    return out


def credit_touches(
    touchpoints: pl.DataFrame,
    conversions: pl.DataFrame,
    model: str,
    *,
    lookback_days: int = 90,
    half_life_days: float = 7.0,
    order: int = 1,
) -> pl.DataFrame:
    """One row per (conversion, touch that belongs to it) with its share of the conversion.

    Columns: every touch column (one named like an added column gets a ``touch_`` prefix, so the
    touch's `kind` becomes `touch_kind`), then conversion_id, kind, conv_ts, value, credit and
    value_credit. Under every built-in model a conversion's credits sum to 1 and its
    value_credits to its value. `order` is markov's. A conversion without
    a touch in its window is one row with channel ``(unattributed)``, its contact_id, other touch
    columns null and credit 1. Raises DataError for an unknown model.
    """
    credits = credit_models(
        touchpoints,
        conversions,
        (model,),
        lookback_days=lookback_days,
        half_life_days=half_life_days,
        order=order,
    )
    return credits[model]


def fit(
    touchpoints: pl.DataFrame,
    conversions: pl.DataFrame,
    model: str,
    *,
    lookback_days: int = 90,
    order: int = 1,
) -> MarkovResult | ShapleyResult:
    """The whole result of a data-driven `model` (markov: removal effects, conversion
    probability and transitions; shapley: per-channel credit and error) on raw touches."""
    if model not in DATA_DRIVEN_MODELS:
        raise DataError(f"'{model}' is not a data-driven model ({', '.join(DATA_DRIVEN_MODELS)})")
    touches = conform_touches(touchpoints).rename(touch_renames(touchpoints.columns))
    convs = conform_conversions(conversions)
    if lookback_days < 0:
        raise DataError(f"lookback_days must be 0 or more, not {lookback_days}")
    # The result does not depend on row order: touches grouped by contact in time order give
    # the journeys without ranking any text, and an order-1 chain without building them.
    order1 = model == "markov" and order == 1
    grouped, codes, start = _group(touches, convs, lookback_days, codes=True, order1=order1)
    if grouped is None:  # no touches
        assigned = assign_touches(
            touches, convs, lookback_days=lookback_days, carry=("value",), keep_order=True
        )
        journeys = journeys_from_touches(assigned)
        return markov(journeys, order=order) if model == "markov" else shapley(journeys)
    return _fit_grouped(model, grouped, touches, convs, order, codes=codes, start=start)


def _keys(by: Sequence[str] | str) -> list[str]:
    return [by] if isinstance(by, str) else list(by)


def summarize(credits: pl.DataFrame, by: Sequence[str] = ("channel",)) -> pl.DataFrame:
    """Credits totalled by `by`: columns [*by, conversions, value].

    Sorted by conversions (descending), then by the keys. ``month`` is the first day of the
    conversion's month (a date). For ``(unattributed)`` rows an empty text key (platform, post…)
    reads ``(unattributed)`` too, so those conversions stay labelled under any grouping.
    """
    keys = _keys(by)
    if not keys:
        raise DataError("summarize needs at least one column to group by")
    df = credits
    if "month" in keys and "month" not in df.columns:
        df = df.with_columns(pl.col("conv_ts").dt.month_start().dt.date().alias("month"))
    unknown = [k for k in keys if k not in df.columns]
    if unknown:
        have = ", ".join(c for c in [*df.columns, "month"] if c not in CREDIT_COLUMNS[-2:])
        raise DataError(f"cannot group by {', '.join(unknown)}; columns are: {have}")
    unattributed = pl.col("channel") == UNATTRIBUTED
    df = df.with_columns(
        pl.when(unattributed & pl.col(k).is_null())
        .then(pl.lit(UNATTRIBUTED))
        .otherwise(pl.col(k))
        .alias(k)
        for k in keys
        if k != "channel" and df.schema[k] == pl.String
    )
    out = df.group_by(keys).agg(
        pl.col("credit").sum().alias("conversions"),
        pl.col("value_credit").sum().alias("value"),
    )
    return out.sort(
        ["conversions", *keys],
        descending=[True] + [False] * len(keys),
        nulls_last=True,
    )


def attribute(
    touchpoints: pl.DataFrame,
    conversions: pl.DataFrame,
    model: str = "linear",
    *,
    lookback_days: int = 90,
    half_life_days: float = 7.0,
    order: int = 1,
    by: Sequence[str] = ("channel",),
) -> pl.DataFrame:
    """Credit touches under `model` and total the credits by `by` (credit_touches, summarize)."""
    credits = credit_touches(
        touchpoints,
        conversions,
        model,
        lookback_days=lookback_days,
        half_life_days=half_life_days,
        order=order,
    )
    return summarize(credits, by)


__all__ = [
    "DATA_DRIVEN_MODELS",
    "MODELS",
    "RULE_MODELS",
    "UNATTRIBUTED",
    "CreditFn",
    "MarkovResult",
    "ModelParams",
    "ShapleyResult",
    "attribute",
    "credit_models",
    "credit_touches",
    "fit",
    "journeys_from_touches",
    "markov",
    "model_names",
    "place_by_channel",
    "place_by_set",
    "register_model",
    "shapley",
    "shapley_shares",
    "summarize",
    "touch_renames",
]
