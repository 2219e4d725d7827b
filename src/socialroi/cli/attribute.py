"""`socialroi attribute`: attribution on plain CSV/Excel files, or on the store (design §9).

Files are read as `socialroi import` reads them (`socialroi.adapters._raw.open_book`: the
delimiter sniffed, the encoding from a byte-order mark, title and footer lines skipped; values by
`socialroi.adapters._values.parse`: ``1,200``, ``$1200``, ``2024/03/01`` read as import reads
them), with ``--map`` for other column names. The crediting is
:func:`socialroi.core.attribution.attribute`. Row numbers in messages are the ones a spreadsheet
shows (the header is row 1). Without --touchpoints/--conversions the touches and conversions
come from the store, through the analysis' pipeline (`socialroi.analysis.prepare`), so the
numbers are the ones `roi` and `report` show for the same model and settings. The model,
lookback and half-life default to the config's ([attribution]).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import click
import polars as pl

from socialroi.cli._analysis import as_of_option
from socialroi.cli._options import (
    config_option,
    format_option,
    parse_delimiter,
    parse_pairs,
    store_option,
)
from socialroi.cli._output import emit, json_rows
from socialroi.core.attribution import (
    MarkovResult,
    ShapleyResult,
    credit_models,
    model_names,
    summarize,
    touch_renames,
)
from socialroi.errors import DataError

#: What the store can be grouped by.
STORE_GROUPS: tuple[str, ...] = (
    "channel",
    "platform",
    "post_id",
    "employee_id",
    "campaign",
    "month",
)
#: Columns read as times and as numbers; every other column is text.
TIME_COLUMNS: tuple[str, ...] = ("ts", "lead_created_at", "deal_created_at")
NUMBER_COLUMNS: tuple[str, ...] = ("value",)

#: Digits kept in printed credits and values: hides floating-point noise (0.30000000000000004).
DECIMALS = 6


def read_file(
    path: Path,
    required: tuple[str, ...],
    *,
    mapping: Mapping[str, str] | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
) -> pl.DataFrame:
    """The table in `path` with `required` columns (after `mapping`: file header → column),
    times and values parsed as `socialroi import` parses them, other columns as text. A
    DataError names the file, the row and the column of the first problem."""
    from socialroi.adapters._raw import ROW, open_book

    book = open_book(path, delimiter=delimiter, encoding=encoding)
    try:
        raw = book.table(header=lambda cells: set(required) <= cells_of(cells, mapping))
    except DataError:
        raw = book.table()
    file = str(path)
    names = {h: _name(h, mapping) for h in raw.header}
    frame = raw.frame.rename({h: n for h, n in names.items() if h != n})
    if raw.frame.width <= 1 or not raw.header:
        raise DataError("the file is empty", file=file)
    for col in required:
        if col not in frame.columns:
            raise DataError("missing required column", file=file, column=col)
    rows = frame.get_column(ROW)
    out: dict[str, pl.Series] = {}
    problems: list[tuple[int, str, str]] = []
    for col in frame.columns:
        if col != ROW:
            out[col] = _column(frame.get_column(col), rows, col in required, problems)
    if problems:
        row, col, msg = min(problems)
        raise DataError(msg, file=file, row=row, column=col)
    df = pl.DataFrame(list(out.values()))
    if "conversion_id" in df.columns:
        repeated = ~pl.col("conversion_id").is_first_distinct()
        hits = df.select(repeated.arg_true()).to_series()
        if hits.len():
            row = int(rows[int(hits[0])])
            raise DataError(
                "conversion_id repeats an earlier row", file=file, row=row, column="conversion_id"
            )
    return df


def _column(
    text: pl.Series, rows: pl.Series, required: bool, problems: list[tuple[int, str, str]]
) -> pl.Series:
    """One column parsed (times, numbers or trimmed text); its first problem added to
    `problems` as (row, column, message)."""
    from socialroi.adapters._values import Kind, parse

    col = text.name
    kind: Kind | None = (
        "datetime" if col in TIME_COLUMNS else "number" if col in NUMBER_COLUMNS else None
    )
    if kind is None:
        values = text.str.strip_chars()
        values = pl.select(pl.when(values != "").then(values)).to_series().alias(col)
    else:
        got = parse(kind, text)
        values = got.values
        if got.bad.any():
            at = int(got.bad.arg_true()[0])
            problems.append((int(rows[at]), col, got.message(str(text[at]))))
    if required and values.is_null().any():
        at = int(values.is_null().arg_true()[0])
        if text[at] is None or not str(text[at]).strip():
            problems.append((int(rows[at]), col, "required value is empty"))
    if col in NUMBER_COLUMNS and (values < 0).any():
        at = int((values < 0).arg_true()[0])
        problems.append((int(rows[at]), col, "must not be negative"))
    return values


def _name(header: str, mapping: Mapping[str, str] | None) -> str:
    """The column a file header feeds: `mapping`'s, else the header itself (BOM and spaces
    trimmed)."""
    clean = header.lstrip("\ufeff").strip()
    return (mapping or {}).get(clean, clean)


def cells_of(cells: Any, mapping: Mapping[str, str] | None) -> set[str]:
    return {_name(str(c), mapping) for c in cells if c}


def read_touchpoints(path: Path, **kw: Any) -> pl.DataFrame:
    """contact_id, ts, channel and any other columns (as text) from a touchpoints file; channel
    names through the vocabulary, as import reads them (``LinkedIn`` is ``linkedin``).

    Rows come back in the store's order (contact, time, then channel and ref for touches at the
    same instant), so ties in time are broken as every engine breaks them, whatever the file's
    row order."""
    from socialroi.core.vocabulary import channel_expr

    df = read_file(path, ("contact_id", "ts", "channel"), **kw)
    df = df.with_columns(channel_expr(pl.col("channel")).alias("channel"))
    keys = [c for c in ("contact_id", "ts", "channel", "ref") if c in df.columns]
    return df.sort(keys, maintain_order=True, nulls_last=True)


def read_conversions(path: Path, **kw: Any) -> pl.DataFrame:
    """contact_id, ts[, value][, lead_created_at][, deal_created_at][, conversion_id]."""
    df = read_file(path, ("contact_id", "ts"), **kw)
    return df.with_columns(pl.col("value").fill_null(0.0)) if "value" in df.columns else df


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


def _store_credits(
    store_path: Path | None,
    config_path: Path | None,
    as_of: date | None,
    *,
    model: str,
    lookback_days: int | None,
    half_life_days: float,
    kind: str,
) -> pl.DataFrame:
    """The store's `kind` credits under `model`, from the analysis' pipeline (the same credits
    `roi` and `report` read)."""
    import dataclasses

    from socialroi.analysis import choose_as_of, prepare, read_tables
    from socialroi.cli._analysis import as_of_line, settings_for, store_path_for
    from socialroi.store import Store

    settings = settings_for(config_path, None)
    settings = dataclasses.replace(
        settings,
        attribution=dataclasses.replace(
            settings.attribution, lookback_days=lookback_days, half_life_days=half_life_days
        ),
    )
    path = store_path_for(store_path, settings)
    if not path.exists():
        raise DataError(f"no store at {path}; give --touchpoints and --conversions, or --store")
    with Store.open(path, read_only=True) as store:
        tables = read_tables(store)
        when, source = choose_as_of(store, as_of, tables)
        pipeline = prepare(store, settings=settings, as_of=when, tables=tables)
    click.echo(as_of_line(when, source), err=True)
    credits = pipeline.credits(model)
    return credits.filter(pl.col("kind") == kind)


def _existing(path: str) -> Path:
    """A file the in-memory engine reads: it must exist (a usage error otherwise)."""
    p = Path(path)
    if not p.is_file():
        raise click.BadParameter(f"file '{path}' does not exist", param_hint="--touchpoints")
    return p


def _on_engine(
    engine: str,
    touchpoints: str,
    conversions: str,
    config_path: Path | None,
    **kw: Any,
) -> pl.DataFrame:
    """The credits totalled `by`, computed on a SQL engine (socialroi.engines)."""
    from socialroi import engines
    from socialroi.cli._analysis import settings_for

    settings = settings_for(config_path, None)
    options = engines.engine_settings(settings.raw.get("engine"))
    return engines.attribute(touchpoints, conversions, engine=engine, engine_options=options, **kw)


def _sql_script(
    model: str, dialect: str, *, lookback: int | None, half_life: float, by: str, order: int
) -> str:
    """The engines' SQL for `model` in `dialect` (socialroi.engines.plan_for)."""
    from socialroi import engines

    plan = engines.plan_for(
        [model],
        lookback_days=FILE_LOOKBACK_DAYS if lookback is None else lookback,
        half_life_days=half_life,
        by=[k.strip() for k in by.split(",") if k.strip()],
        order=order,
    )
    return plan.sql(dialect).script()


#: The lookback in file mode when neither the option nor the config sets one.
FILE_LOOKBACK_DAYS = 90


def _rows(df: pl.DataFrame) -> list[dict[str, Any]]:
    return json_rows(df)


def _rounded(df: pl.DataFrame) -> pl.DataFrame:
    floats = [c for c, t in df.schema.items() if t == pl.Float64]
    return df.with_columns(pl.col(floats).round(DECIMALS))


def _data_driven_json(
    result: pl.DataFrame, model: str, fitted: MarkovResult | ShapleyResult
) -> str:
    """The credits plus what the model found: the chain (markov) or per-channel values."""
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
#: A file, or with --engine a source spec (parquet:GLOB, csv:GLOB, table:NAME, store:PATH,
#: ga4:EVENTS#options).
_source = click.STRING


@click.command("attribute")
@click.option(
    "--touchpoints",
    "touchpoints_path",
    type=_source,
    default=None,
    help="CSV or Excel file with contact_id,ts,channel (extra columns such as platform, "
    "employee_id, campaign can be grouped by); with --engine also parquet:GLOB, csv:GLOB, "
    "table:NAME or store:PATH, and with --engine duckdb or bigquery the GA4 BigQuery export, "
    "ga4:EVENTS[#key=value,...] (EVENTS: [[project.]dataset.]events_* on bigquery, a table of "
    "[engine] database or parquet:GLOB on duckdb; options since=YYYYMMDD, until=YYYYMMDD, "
    "contacts=TABLE with contact_id,visitor_id, max_sessions=N, last_click=false, "
    "collected=false; one touch per session, groupable by platform, kind, post_id, "
    "employee_id, campaign; docs/scale.md). Without it, the store is used.",
)
@click.option(
    "--engine",
    type=click.Choice(["memory", "duckdb", "spark", "bigquery"]),
    default="memory",
    show_default=True,
    help="Where the journeys are built: memory (polars, the fast path for data that fits), "
    "duckdb (out of core, on files or the store), spark (the [engine] connection, else local) "
    "or bigquery (tables in BigQuery, table:[[project.]dataset.]table, with [engine] project, "
    "dataset, location, maximum_bytes_billed and a token in SOCIALROI_BIGQUERY_ACCESS_TOKEN); "
    "every engine gives the same numbers (docs/scale.md).",
)
@click.option(
    "--sql",
    "sql_dialect",
    type=click.Choice(["duckdb", "spark", "bigquery", "snowflake"]),
    default=None,
    help="Print the SQL that builds the journeys and aggregates in this dialect (to run in your "
    "warehouse on tables sr_input_touches and sr_input_conversions), and stop.",
)
@click.option(
    "--conversions",
    "conversions_path",
    type=_source,
    default=None,
    help="CSV or Excel file with contact_id,ts[,value][,lead_created_at][,deal_created_at]"
    "[,conversion_id].",
)
@click.option(
    "--model",
    type=click.Choice(model_names()),
    default=None,
    help="Attribution model: a fixed rule (first_touch ... inverse_j) or data-driven "
    "(markov: removal effects; shapley: each channel's marginal value) [default: the config's "
    "[attribution] model, else linear].",
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
    default=None,
    help="Touches at most this many days before a conversion's first milestone count towards it "
    "[default: the config's; else, on the store, the sales cycle measured from the won deals, "
    "and 90 for files].",
)
@click.option(
    "--half-life-days",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="time_decay only: a touch this many days before the conversion gets half the weight "
    "of one at the conversion [default: the config's, else 7].",
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
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar="SOURCE=TARGET",
    help="Files: read the file's column SOURCE as column TARGET (repeatable), as for import.",
)
@click.option(
    "--delimiter",
    default=None,
    help="Files: CSV delimiter (one character, or tab, comma, semicolon, pipe) [default: sniffed].",
)
@click.option(
    "--encoding",
    default=None,
    help="Files: text encoding of a CSV without a byte-order mark [default: utf-8].",
)
@as_of_option
@store_option
@config_option
@format_option("table", "csv", "json")
def command(
    *,
    touchpoints_path: str | None,
    conversions_path: str | None,
    engine: str,
    sql_dialect: str | None,
    model: str | None,
    order: int,
    lookback_days: int | None,
    half_life_days: float | None,
    by: str,
    kind: str,
    maps: tuple[str, ...],
    delimiter: str | None,
    encoding: str | None,
    as_of: date | None,
    store_path: Path | None,
    config_path: Path | None,
    fmt: str,
) -> None:
    """Credit conversions to the touches before them and print the totals.

    Files are read as `socialroi import` reads them: times in ISO 8601 or the usual spreadsheet
    forms (naive times are UTC), amounts such as 1,200 or $1200. Every conversion is counted
    once: those no touch reached show as (unattributed), so the conversions column sums to the
    number of conversions. Numbers are rounded to 6 decimals. On the store the credits are the
    ones `roi` and `report` use (same model, lookback and date). For markov and shapley,
    --format json also gives the removal effects, conversion probability and transition matrix
    (markov) or each channel's value and error (shapley).
    """
    from socialroi.cli._analysis import settings_for

    if (touchpoints_path is None) != (conversions_path is None):
        raise click.UsageError("give both --touchpoints and --conversions, or neither (store)")
    att = settings_for(config_path, None).attribution
    model = model or att.model
    lookback = att.lookback_days if lookback_days is None else lookback_days
    half_life = att.half_life_days if half_life_days is None else half_life_days
    if sql_dialect is not None:
        script = _sql_script(
            model, sql_dialect, lookback=lookback, half_life=half_life, by=by, order=order
        )
        click.echo(script, nl=False)
        return
    if engine != "memory":
        if touchpoints_path is None or conversions_path is None:
            raise click.UsageError("--engine needs --touchpoints and --conversions sources")
        result = _on_engine(
            engine,
            touchpoints_path,
            conversions_path,
            config_path,
            model=model,
            order=order,
            lookback_days=FILE_LOOKBACK_DAYS if lookback is None else lookback,
            half_life_days=half_life,
            by=[k.strip() for k in by.split(",") if k.strip()],
        )
    elif touchpoints_path is not None and conversions_path is not None:
        read = {
            "mapping": parse_pairs(maps, "--map", "SOURCE=TARGET"),
            "delimiter": parse_delimiter(delimiter),
            "encoding": encoding,
        }
        touches = read_touchpoints(_existing(touchpoints_path), **read)
        conversions = read_conversions(_existing(conversions_path), **read)
        keys = _group_keys(by, touches, Path(touchpoints_path))
        renames = touch_renames(touches.columns)
        internal = [renames.get(k, k) for k in keys]
        lookback = FILE_LOOKBACK_DAYS if lookback is None else lookback
        fitted: dict[str, MarkovResult | ShapleyResult] = {}
        credited = credit_models(
            touches,
            conversions,
            [model],
            lookback_days=lookback,
            half_life_days=half_life,
            order=order,
            fitted=fitted,
        )[model]
        result = summarize(credited, internal)
        result = result.rename({v: k for k, v in zip(keys, internal, strict=True) if v != k})
        if fmt == "json" and model in fitted:
            click.echo(_data_driven_json(result, model, fitted[model]))
            return
    else:
        if maps or delimiter or encoding:
            raise click.UsageError("--map, --delimiter and --encoding apply to files")
        keys = [k.strip() for k in by.split(",") if k.strip()]
        bad = [k for k in keys if k not in STORE_GROUPS]
        if bad or not keys:
            raise click.BadParameter(
                f"on the store, group by {', '.join(STORE_GROUPS)}", param_hint="--by"
            )
        if order != 1:
            raise click.UsageError("--order applies to files; the store's markov is order 1")
        credits = _store_credits(
            store_path,
            config_path,
            as_of,
            model=model,
            lookback_days=lookback,
            half_life_days=half_life,
            kind=kind,
        )
        result = summarize(credits, keys)
    emit(result.with_columns(pl.col("conversions", "value").round(DECIMALS)), fmt)
