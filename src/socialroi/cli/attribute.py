"""`socialroi attribute`: attribution on plain CSV files, or on the store (design §9).

Reading and checking the files happens here; the crediting is :func:`socialroi.core.attribution.
attribute`. Row numbers in messages are the ones a spreadsheet shows (the header is row 1).
Without --touchpoints/--conversions the touches and conversions come from the store, through
identity resolution as the report sees them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import polars as pl

from socialroi.cli._options import format_option, store_option
from socialroi.cli._output import emit, json_rows
from socialroi.core.attribution import (
    DATA_DRIVEN_MODELS,
    MarkovResult,
    attribute,
    fit,
    model_names,
    touch_renames,
)
from socialroi.errors import DataError
from socialroi.schema import UTC_TS

#: What the store can be grouped by.
STORE_GROUPS: tuple[str, ...] = (
    "channel",
    "platform",
    "post_id",
    "employee_id",
    "campaign",
    "month",
)

#: Digits kept in printed credits and values: hides floating-point noise (0.30000000000000004).
DECIMALS = 6
_TIME_FORMATS: tuple[str, ...] = ("%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d")


def read_csv(path: Path) -> pl.DataFrame:
    """Every column of a CSV file as text, header names trimmed. DataError when unreadable."""
    try:
        df = pl.read_csv(path, infer_schema=False)
    except pl.exceptions.NoDataError:
        raise DataError("the file is empty", file=str(path)) from None
    except (pl.exceptions.PolarsError, UnicodeDecodeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"cannot read the file as CSV: {first}", file=str(path)) from None
    return df.rename({c: c.lstrip("\ufeff").strip() for c in df.columns})


def parse_times(text: pl.Expr) -> pl.Expr:
    """ISO 8601 text → UTC datetime: with or without an offset (naive = UTC), or a date.

    Accepts ``T`` or a space between date and time, ``Z``, ``+02:00``/``+0200`` and fractions of a
    second. Anything else becomes null.
    """
    t = text.str.strip_chars()
    t = t.str.replace(r"^(\d{4}-\d{2}-\d{2}) ", "${1}T")
    t = t.str.replace(r"[zZ]$", "+00:00")
    t = t.str.replace(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})([+-]|$)", "${1}:00${2}")
    return pl.coalesce(
        t.str.to_datetime(f, strict=False, time_unit="us", time_zone="UTC") for f in _TIME_FORMATS
    ).cast(UTC_TS)


def _first_row(df: pl.DataFrame, cond: pl.Expr) -> int | None:
    """Spreadsheet row (header = 1) of the first row where `cond` holds."""
    hits = df.select(cond.fill_null(False).arg_true()).to_series()
    return int(hits[0]) + 2 if hits.len() else None


def _blank(col: str) -> pl.Expr:
    return pl.col(col).is_null() | (pl.col(col).str.strip_chars() == "")


def _check(df: pl.DataFrame, cond: pl.Expr, message: str, path: Path, column: str) -> None:
    row = _first_row(df, cond)
    if row is not None:
        raise DataError(message, file=str(path), row=row, column=column)


def _require(df: pl.DataFrame, path: Path, required: tuple[str, ...]) -> None:
    if df.width == 0:
        raise DataError("the file is empty", file=str(path))
    for col in required:
        if col not in df.columns:
            raise DataError("missing required column", file=str(path), column=col)
        _check(df, _blank(col), "required value is empty", path, col)


def _times(df: pl.DataFrame, path: Path, col: str) -> pl.DataFrame:
    """`col` parsed to UTC; DataError naming the first cell that is not a time."""
    parsed = df.with_columns(parse_times(pl.col(col)).alias("_parsed"))
    bad = ~_blank(col) & pl.col("_parsed").is_null()
    row = _first_row(parsed, bad)
    if row is not None:
        value = parsed.get_column(col)[row - 2]
        raise DataError(
            f"cannot read {value!r} as a time "
            "(use ISO 8601, e.g. 2025-03-01T09:30:00Z or 2025-03-01)",
            file=str(path),
            row=row,
            column=col,
        )
    return parsed.with_columns(pl.col("_parsed").alias(col)).drop("_parsed")


def _values(df: pl.DataFrame, path: Path) -> pl.DataFrame:
    text = pl.col("value").str.strip_chars()
    parsed = df.with_columns(
        pl.when(text == "").then(None).otherwise(text).cast(pl.Float64, strict=False).alias("_v")
    )
    _check(parsed, ~_blank("value") & pl.col("_v").is_null(), "not a number", path, "value")
    _check(parsed, pl.col("_v") < 0, "must not be negative", path, "value")
    return parsed.with_columns(pl.col("_v").fill_null(0.0).alias("value")).drop("_v")


def read_touchpoints(path: Path) -> pl.DataFrame:
    """contact_id, ts, channel and any other columns (as text) from a touchpoints CSV."""
    df = read_csv(path)
    _require(df, path, ("contact_id", "ts", "channel"))
    return _times(df, path, "ts")


def read_conversions(path: Path) -> pl.DataFrame:
    """contact_id, ts[, value][, lead_created_at][, deal_created_at][, conversion_id] from a CSV."""
    df = read_csv(path)
    _require(df, path, ("contact_id", "ts"))
    for col in ("ts", "lead_created_at", "deal_created_at"):
        if col in df.columns:
            df = _times(df, path, col)
    if "value" in df.columns:
        df = _values(df, path)
    if "conversion_id" in df.columns:
        _check(df, _blank("conversion_id"), "required value is empty", path, "conversion_id")
        repeated = ~pl.col("conversion_id").is_first_distinct()
        _check(df, repeated, "conversion_id repeats an earlier row", path, "conversion_id")
    return df


def _group_keys(by: str, touches: pl.DataFrame, path: Path) -> list[str]:
    keys = [k.strip() for k in by.split(",") if k.strip()]
    if not keys:
        raise click.BadParameter("name at least one column", param_hint="--by")
    for k in keys:
        if k != "month" and k not in touches.columns:
            raise DataError(
                f"cannot group by '{k}': no such column (columns are: "
                f"{', '.join([*touches.columns, 'month'])})",
                file=str(path),
                column=k,
            )
    return keys


def _store_data(store_path: Path | None, kind: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Resolved touchpoints and the lead or won-deal conversions from the store."""
    from socialroi.cli._analysis import store_path_for
    from socialroi.config import load as load_config
    from socialroi.core.conversions import deal_conversions, lead_conversions
    from socialroi.core.identity import IDENTITY_TABLES, resolve_tables
    from socialroi.store import Store

    path = store_path_for(store_path, load_config(None))
    if not path.exists():
        raise DataError(f"no store at {path}; give --touchpoints and --conversions, or --store")
    with Store.open(path, read_only=True) as store:
        t = {n: store.read(n) for n in (*IDENTITY_TABLES, "leads", "deals")}
    identity = resolve_tables(t)
    if kind == "lead":
        conversions = lead_conversions(t["leads"])
    else:
        conversions = deal_conversions(t["deals"], t["leads"])
    return identity.touchpoints, conversions


def _rows(df: pl.DataFrame) -> list[dict[str, Any]]:
    return json_rows(df)


def _rounded(df: pl.DataFrame) -> pl.DataFrame:
    floats = [c for c, t in df.schema.items() if t == pl.Float64]
    return df.with_columns(pl.col(floats).round(DECIMALS))


def _data_driven_json(
    result: pl.DataFrame, model: str, touches: pl.DataFrame, conversions: pl.DataFrame, **kw: Any
) -> str:
    """The credits plus what the model found: the chain (markov) or per-channel values."""
    fitted = fit(touches, conversions, model, **kw)
    out: dict[str, Any] = {"model": model, "credits": _rows(_rounded(result))}
    if isinstance(fitted, MarkovResult):
        out["order"] = fitted.order
        out["conversion_probability"] = fitted.conversion_probability
        out["removal_effects"] = _rows(fitted.credits.select("channel", "removal_effect"))
        out["transitions"] = _rows(fitted.transitions)
    else:
        out["exact"] = fitted.exact
        out["samples"] = fitted.samples
        out["channels"] = _rows(fitted.credits)
    return json.dumps(out, indent=2)


_file = click.Path(exists=True, dir_okay=False, readable=True, path_type=Path)


@click.command("attribute")
@click.option(
    "--touchpoints",
    "touchpoints_path",
    type=_file,
    default=None,
    help="CSV with contact_id,ts,channel (extra columns such as platform, "
    "employee_id, campaign can be grouped by). Without it, the store is used.",
)
@click.option(
    "--conversions",
    "conversions_path",
    type=_file,
    default=None,
    help="CSV with contact_id,ts[,value][,lead_created_at][,deal_created_at][,conversion_id].",
)
@click.option(
    "--model",
    type=click.Choice(model_names()),
    default="linear",
    show_default=True,
    help="Attribution model: a fixed rule (first_touch ... inverse_j) or data-driven "
    "(markov: removal effects; shapley: each channel's marginal value).",
)
@click.option(
    "--order",
    type=click.IntRange(1, 4),
    default=1,
    show_default=True,
    help="Order of the markov model (states are the last K channels).",
)
@click.option(
    "--lookback-days",
    type=click.IntRange(min=0),
    default=90,
    show_default=True,
    help="Touches at most this many days before a conversion count towards it.",
)
@click.option(
    "--half-life-days",
    type=click.FloatRange(min=0, min_open=True),
    default=7.0,
    show_default=True,
    help="time_decay only: a touch this many days before the conversion gets half the weight "
    "of one at the conversion.",
)
@click.option(
    "--by",
    default="channel",
    show_default=True,
    help="Column(s) to total by, comma-separated: channel, platform, post_id, employee_id, "
    "campaign, month or (files) any touchpoints column.",
)
@click.option(
    "--kind",
    type=click.Choice(["lead", "deal"]),
    default="deal",
    show_default=True,
    help="Store only: credit leads, or won deals with their value.",
)
@store_option
@format_option("csv", "json", "table", default="csv")
def command(
    *,
    touchpoints_path: Path | None,
    conversions_path: Path | None,
    model: str,
    order: int,
    lookback_days: int,
    half_life_days: float,
    by: str,
    kind: str,
    store_path: Path | None,
    fmt: str,
) -> None:
    """Credit conversions to the touches before them and print the totals.

    Timestamps are ISO 8601 with or without an offset (naive times are UTC) or plain dates.
    Every conversion is counted once: those no touch reached show as (unattributed), so the
    conversions column sums to the number of conversions. Numbers are rounded to 6 decimals.
    For markov and shapley, --format json also gives the removal effects, conversion
    probability and transition matrix (markov) or each channel's value and error (shapley).
    """
    if (touchpoints_path is None) != (conversions_path is None):
        raise click.UsageError("give both --touchpoints and --conversions, or neither (store)")
    if touchpoints_path is not None and conversions_path is not None:
        touches = read_touchpoints(touchpoints_path)
        conversions = read_conversions(conversions_path)
        keys = _group_keys(by, touches, touchpoints_path)
    else:
        keys = [k.strip() for k in by.split(",") if k.strip()]
        bad = [k for k in keys if k not in STORE_GROUPS]
        if bad or not keys:
            raise click.BadParameter(
                f"on the store, group by {', '.join(STORE_GROUPS)}", param_hint="--by"
            )
        touches, conversions = _store_data(store_path, kind)
    renames = touch_renames(touches.columns)
    internal = [renames.get(k, k) for k in keys]
    result = attribute(
        touches,
        conversions,
        model,
        lookback_days=lookback_days,
        half_life_days=half_life_days,
        order=order,
        by=internal,
    )
    result = result.rename({v: k for k, v in zip(keys, internal, strict=True) if v != k})
    if fmt == "json" and model in DATA_DRIVEN_MODELS:
        extra = {"lookback_days": lookback_days, "order": order}
        click.echo(_data_driven_json(result, model, touches, conversions, **extra))
        return
    emit(result.with_columns(pl.col("conversions", "value").round(DECIMALS)), fmt)
