"""The generated SQL per dialect (golden files), the BigQuery and Snowflake SQL run through
their DuckDB transpilation, sources, settings and the lookback edge in exact microseconds.

Regenerate the golden files after an intended change of the SQL:
``SOCIALROI_UPDATE_GOLDEN=1 .venv/bin/pytest tests/engines/test_sql.py -k golden``.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
import sqlglot
from sqlglot.errors import ErrorLevel

from socialroi.core.attribution import attribute as core_attribute
from socialroi.engines import (
    ENGINE_MODELS,
    EngineSettings,
    attribute,
    attribute_models,
    build_sql,
    engine_settings,
    finish,
    plan_for,
)
from socialroi.engines.duckdb_engine import run, run_sql
from socialroi.engines.sql import STAGES, AttributionSQL, Query
from socialroi.errors import ConfigError, DataError

GOLDEN = Path(__file__).parent / "golden"
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def _golden_sql(dialect: str) -> AttributionSQL:
    return build_sql(
        touches="analytics.touchpoints",
        conversions="analytics.conversions",
        lookback_days=90,
        by=("channel", "month", "platform"),
        dialect=dialect,
    )


@pytest.mark.parametrize("dialect", ["bigquery", "snowflake", "spark", "duckdb"])
def test_golden(dialect: str) -> None:
    text = _golden_sql(dialect).script()
    path = GOLDEN / f"{dialect}.sql"
    if os.environ.get("SOCIALROI_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"SQL changed: regenerate {path.name}"


def test_golden_facts() -> None:
    # What each dialect needs, checked by name: the traps of docs/scale.md.
    bq = (GOLDEN / "bigquery.sql").read_text(encoding="utf-8")
    assert "UNIX_MICROS(ts)" in bq
    assert "`analytics`.`touchpoints`" in bq
    assert "NULLS LAST" not in bq
    sf = (GOLDEN / "snowflake.sql").read_text(encoding="utf-8")
    assert "DATE_PART(EPOCH_MICROSECOND, ts)" in sf
    assert "UNIX_MICROS" not in sf
    # 90 days in µs does not fit 32 bits: a BIGINT everywhere.
    for text in (bq, sf):
        assert "7776000000000" in text
    for dialect in ("bigquery", "snowflake", "spark", "duckdb"):
        text = (GOLDEN / f"{dialect}.sql").read_text(encoding="utf-8").upper()
        assert "ASOF" not in text
        assert "COLLECT_LIST" not in text
        assert "ARRAY_AGG" not in text


def _frames() -> tuple[pl.DataFrame, pl.DataFrame]:
    h = timedelta(hours=1)
    touches = pl.DataFrame(
        {
            "contact_id": ["a", "a", "a", "a", "b", "b", "c"],
            "ts": [T0, T0 + h, T0 + h, T0 + 3 * h, T0, T0 + 2 * h, T0],
            "channel": ["email", "search", "linkedin", "linkedin", "direct", "search", "email"],
            "ref": ["1", "2", "3", "4", "5", "6", "7"],
            "platform": ["x", "y", "z", "z", None, "y", "x"],
        }
    )
    convs = pl.DataFrame(
        {
            "conversion_id": ["d1", "d2", "d3"],
            "contact_id": ["a", "b", "c"],
            "ts": [T0 + 5 * h, T0 + 2 * h, T0 + 40 * 24 * h],
            "value": [100.0, 50.0, 7.0],
        }
    )
    return touches, convs


@pytest.mark.parametrize("keys", ["dictionary", "integer"])
@pytest.mark.parametrize("dialect", ["bigquery", "snowflake", "spark"])
def test_dialect_sql_runs_through_duckdb(dialect: str, keys: str) -> None:
    touches, convs = _frames()
    if keys == "integer":  # contacts a, b, c as 10, 0, 2
        ids = {"a": "10", "b": "0", "c": "2"}
        touches, convs = (
            f.with_columns(pl.col("contact_id").replace_strict(ids)) for f in (touches, convs)
        )
    plan = plan_for(ENGINE_MODELS, lookback_days=30, by=("channel", "month", "platform"))
    native, sql = run(touches, convs, plan, EngineSettings())
    assert sql.contact_keys == keys
    other = plan.sql(dialect, contact_keys=keys)

    def back(q: Query) -> Query:
        text = sqlglot.transpile(
            q.sql, read=dialect, write="duckdb", unsupported_level=ErrorLevel.RAISE
        )[0]
        return Query(q.name, text)

    via = replace(
        other,
        dialect="duckdb",
        stages=tuple(back(q) for q in other.stages),
        outputs=tuple(back(q) for q in other.outputs),
    )
    outputs = run_sql(touches, convs, plan, EngineSettings(), via)
    assert outputs.keys() == native.keys()
    for name, frame in native.items():
        cols = frame.columns
        assert (
            outputs[name].sort(cols, nulls_last=True).equals(frame.sort(cols, nulls_last=True))
        ), name


def test_hand_computed_credits() -> None:
    touches, convs = _frames()
    # d1 (a, +5h): email 0h, then linkedin and search tie at +1h (channel order: linkedin
    # first), linkedin at +3h. d2 (b): direct, search. d3 (c): its email is 40 days back,
    # outside a 30-day window: unattributed.
    first = attribute(touches, convs, model="first_touch", lookback_days=30)
    assert first.rows() == [
        ("(unattributed)", 1.0, 7.0),
        ("direct", 1.0, 50.0),
        ("email", 1.0, 100.0),
        ("linkedin", 0.0, 0.0),  # touched a conversion, credited nothing: a row, as in core
        ("search", 0.0, 0.0),
    ]
    last = attribute(touches, convs, model="last_touch", lookback_days=30)
    assert dict(zip(last["channel"], last["value"], strict=True)) == {
        "linkedin": 100.0,
        "search": 50.0,
        "(unattributed)": 7.0,
        "email": 0.0,
        "direct": 0.0,
    }
    linear = attribute(touches, convs, model="linear", lookback_days=30, by=("platform",))
    got = dict(zip(linear["platform"], linear["conversions"], strict=True))
    # d1: x 1/4, y 1/4, z 2/4; d2: null 1/2, y 1/2.
    assert got == pytest.approx({"z": 0.5, "y": 0.75, "x": 0.25, None: 0.5, "(unattributed)": 1.0})


def test_lookback_edge_in_microseconds() -> None:
    conv_ts = T0 + timedelta(days=100)
    edge = conv_ts - timedelta(days=90)
    touches = pl.DataFrame(
        {
            "contact_id": ["a", "b"],
            "ts": [edge, edge - timedelta(microseconds=1)],
            "channel": ["email", "search"],
        }
    )
    convs = pl.DataFrame({"contact_id": ["a", "b"], "ts": [conv_ts, conv_ts], "value": [1.0, 2.0]})
    got = attribute(touches, convs, model="linear", lookback_days=90)
    assert got.rows() == [("(unattributed)", 1.0, 2.0), ("email", 1.0, 1.0)]


def test_first_milestone_opens_the_window() -> None:
    close = T0 + timedelta(days=300)
    touches = pl.DataFrame({"contact_id": ["a"], "ts": [T0], "channel": ["email"]})
    convs = pl.DataFrame(
        {
            "contact_id": ["a"],
            "ts": [close],
            "value": [5.0],
            "lead_created_at": [T0 + timedelta(days=10)],
        }
    )
    got = attribute(touches, convs, model="linear", lookback_days=30)
    assert got.rows() == [("email", 1.0, 5.0)]


def test_parquet_and_csv_globs(tmp_path: Path) -> None:
    touches, convs = _frames()
    touches.head(4).write_parquet(tmp_path / "t1.parquet")
    touches.tail(3).write_parquet(tmp_path / "t2.parquet")
    convs.write_csv(tmp_path / "c.csv")
    got = attribute_models(
        f"parquet:{tmp_path}/t*.parquet",
        f"csv:{tmp_path}/c.csv",
        models=("linear", "markov"),
        lookback_days=30,
    )
    frames = attribute_models(touches, convs, models=("linear", "markov"), lookback_days=30)
    for model, frame in frames.items():
        assert got[model].equals(frame), model


def test_spill_directory_removed(tmp_path: Path) -> None:
    touches, convs = _frames()
    attribute(
        touches,
        convs,
        engine_options={"memory_limit": "256MB", "temp_directory": str(tmp_path), "threads": 1},
    )
    assert list(tmp_path.iterdir()) == []


def test_errors() -> None:
    touches, convs = _frames()
    with pytest.raises(DataError, match="unknown engine 'oracle'"):
        attribute(touches, convs, engine="oracle")
    with pytest.raises(DataError, match="unknown model"):
        attribute(touches, convs, model="nope")
    with pytest.raises(DataError, match="no column 'campaign'"):
        attribute(touches, convs, by=("campaign",))
    with pytest.raises(DataError, match="letters, digits"):
        attribute(touches, convs, by=("x; DROP TABLE y",))
    with pytest.raises(DataError, match="unknown source"):
        attribute("ftp:x", convs)
    dup = pl.concat([convs, convs.head(1)])
    with pytest.raises(DataError, match="repeats"):
        attribute(touches, dup)


def test_engine_settings() -> None:
    s = engine_settings(
        {
            "name": "duckdb",
            "memory_limit": "8GB",
            "threads": 2,
            "temp_directory": tempfile.gettempdir(),
        }
    )
    assert (s.name, s.memory_limit, s.threads) == ("duckdb", "8GB", 2)
    assert engine_settings(None) == EngineSettings()
    with pytest.raises(ConfigError, match="threads"):
        engine_settings({"threads": 0})
    with pytest.raises(ConfigError, match="environment"):
        engine_settings({"password": "x"})
    with pytest.raises(ConfigError, match="must be text"):
        engine_settings({"project": 3})
    # BigQuery: the session's location and the cap on the bytes any one query bills.
    bq = engine_settings(
        {"name": "bigquery", "location": " EU ", "maximum_bytes_billed": 50_000_000_000}
    )
    assert (bq.location, bq.maximum_bytes_billed) == ("EU", 50_000_000_000)
    assert bq.as_dict()["maximum_bytes_billed"] == 50_000_000_000
    assert bq.with_options({"maximum_bytes_billed": 10**9}).maximum_bytes_billed == 10**9
    assert EngineSettings().location is None
    assert EngineSettings().maximum_bytes_billed is None
    for bad in (0, -1, "10GB", 1.5, True):
        with pytest.raises(ConfigError, match="maximum_bytes_billed must be a whole number"):
            engine_settings({"maximum_bytes_billed": bad})
    with pytest.raises(ConfigError, match="location must be text"):
        engine_settings({"location": ""})


def test_touch_without_channel_is_refused() -> None:
    touches, convs = _frames()
    blank = touches.with_columns(
        pl.when(pl.col("ref") == "3").then(None).otherwise(pl.col("channel")).alias("channel")
    )
    with pytest.raises(DataError, match="1 touch row\\(s\\) have no time, contact or channel"):
        attribute(blank, convs, model="linear", lookback_days=30)


@pytest.mark.parametrize("buckets", [None, 3])
@pytest.mark.parametrize("column", ["contact_id", "ts", "channel"])
def test_touch_rows_without_contact_time_or_channel_are_counted(
    column: str, buckets: int | None, tmp_path: Path
) -> None:
    # From a file (frames are checked by core first): two rows missing `column` are refused
    # before any journey is built, with their count — over every touch, also when the run is
    # split into contact buckets (not over the bucket the first one fell in).
    touches, convs = _frames()
    blank = touches.with_columns(
        pl.when(pl.col("ref").is_in(["2", "5"])).then(None).otherwise(pl.col(column)).alias(column)
    )
    blank.write_parquet(tmp_path / "touches.parquet")
    convs.write_parquet(tmp_path / "conversions.parquet")
    with pytest.raises(DataError, match=r"^2 touch row\(s\) have no time, contact or channel"):
        attribute(
            f"parquet:{tmp_path}/touches.parquet",
            f"parquet:{tmp_path}/conversions.parquet",
            model="linear",
            lookback_days=30,
            engine_options=None if buckets is None else {"buckets": buckets},
        )


def test_same_instant_same_channel_ties_without_ref() -> None:
    # Two email touches of one contact at the same instant, no ref column: interchangeable.
    touches = pl.DataFrame(
        {
            "contact_id": ["a", "a", "a"],
            "ts": [T0, T0, T0 + timedelta(hours=1)],
            "channel": ["email", "email", "search"],
        }
    )
    convs = pl.DataFrame({"contact_id": ["a"], "ts": [T0 + timedelta(hours=2)], "value": [9.0]})
    got = attribute_models(touches, convs, models=("first_touch", "linear"), lookback_days=30)
    assert got["first_touch"].rows() == [("email", 1.0, 9.0), ("search", 0.0, 0.0)]
    assert got["linear"].rows() == [("email", 2 / 3, 6.0), ("search", 1 / 3, 3.0)]


def test_run_sql_reports_timings() -> None:
    touches, convs = _frames()
    plan = plan_for(("linear", "markov"), lookback_days=30)
    timings: dict[str, float] = {}
    cpu: dict[str, float] = {}
    run_sql(touches, convs, plan, EngineSettings(), plan.sql("duckdb"), timings=timings, cpu=cpu)
    assert set(timings) == {"check", *STAGES} | {
        "channels",
        "grams",
        "sets",
        "unattributed",
        "placement",
        "rules",
    }
    assert set(cpu) == set(timings)
    assert all(t >= 0.0 for t in (*timings.values(), *cpu.values()))


@pytest.mark.parametrize("by", [("channel",), ("channel", "platform")])
def test_non_converting_walk_merges_repeats_across_conversions(by: tuple[str, ...]) -> None:
    # Lookback 1 day. a: email (day 0, before the window), search (2.5, converts at 3), email
    # (4), email (5), linkedin (6) -> walk email, email, email, linkedin -> merged email,
    # linkedin. b: email (0), search (2.5, converts at 3), search (4) -> walk email, search
    # (not merged with the converting search). c: email (0), search (2.5, converts at 3),
    # linkedin (5.5, converts at 6), email (7) -> walk email, email -> merged email.
    day = timedelta(days=1)
    rows = [
        ("a", 0.0, "email"),
        ("a", 2.5, "search"),
        ("a", 4.0, "email"),
        ("a", 5.0, "email"),
        ("a", 6.0, "linkedin"),
        ("b", 0.0, "email"),
        ("b", 2.5, "search"),
        ("b", 4.0, "search"),
        ("c", 0.0, "email"),
        ("c", 2.5, "search"),
        ("c", 5.5, "linkedin"),
        ("c", 7.0, "email"),
    ]
    touches = pl.DataFrame(
        {
            "contact_id": [r[0] for r in rows],
            "ts": [T0 + r[1] * day for r in rows],
            "channel": [r[2] for r in rows],
            "platform": ["x"] * len(rows),
        }
    )
    convs = pl.DataFrame(
        {
            "contact_id": ["a", "b", "c", "c"],
            "ts": [T0 + 3 * day, T0 + 3 * day, T0 + 3 * day, T0 + 6 * day],
            "value": [1.0, 2.0, 4.0, 8.0],
        }
    )
    plan = plan_for(("linear", "markov"), lookback_days=1, by=by)
    outputs, _sql = run(touches, convs, plan, EngineSettings(threads=1))
    name = dict(outputs["channels"].select("bit", "channel").iter_rows())

    def grams(kind: int) -> dict[tuple[str | None, str | None], tuple[int, float]]:
        frame = outputs["grams"].filter(pl.col("kind") == kind)
        return {
            (name[c0], name.get(c1)): (n, value)
            for c0, c1, n, value in frame.select("c0", "c1", "n", "value").iter_rows()
        }

    assert grams(0) == {
        ("email", None): (3, 0.0),  # each walk starts with email
        ("linkedin", "email"): (1, 0.0),  # a
        ("search", "email"): (1, 0.0),  # b
        ("search", None): (3, 0.0),  # the three conversions at day 3
        ("linkedin", None): (1, 0.0),  # c's second conversion
    }
    assert grams(1) == {("search", None): (3, 7.0), ("linkedin", None): (1, 8.0)}
    assert grams(2) == {
        ("linkedin", "email"): (1, 0.0),
        ("search", "email"): (1, 0.0),
        ("email", None): (1, 0.0),
    }


def _keyed(touch_ids: list[str], conv_ids: list[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    h = timedelta(hours=1)
    touches = pl.DataFrame(
        {
            "contact_id": touch_ids,
            "ts": [T0 + i * h for i in range(len(touch_ids))],
            "channel": ["email", "search", "direct", "linkedin", "x", "search"][: len(touch_ids)],
        }
    )
    convs = pl.DataFrame(
        {
            "conversion_id": [f"d{i}" for i in range(len(conv_ids))],
            "contact_id": conv_ids,
            "ts": [T0 + 10 * h] * len(conv_ids),
            "value": [10.0 * (i + 1) for i in range(len(conv_ids))],
        }
    )
    return touches, convs


@pytest.mark.parametrize(
    ("touch_ids", "conv_ids", "keys"),
    [
        # Integer text throughout: the ids are the keys, no dictionary.
        (["0", "12", "12", "7", "0", "9223372036854775806"], ["12", "0", "5"], "integer"),
        # Texts that a cast reads as the same integer are distinct contacts: a dictionary.
        (["7", "07", "7", "+7", " 7", "7.0"], ["07", "7", "+7"], "dictionary"),
        (["5e1", "50", "50", "0x10", "16", "16"], ["50", "16", "5e1"], "dictionary"),
        (["-3", "3", "3", "-3", "1", "1"], ["-3", "3"], "dictionary"),
        (
            ["9223372036854775807", "1", "1", "2", "2", "2"],
            ["1", "9223372036854775807"],
            "dictionary",
        ),
        (["a1", "1", "1", "a1", "2", "2"], ["a1", "1"], "dictionary"),
        # Touches all integers, a conversion's contact not: a dictionary too.
        (["7", "7", "8", "8", "9", "9"], ["7", "08"], "dictionary"),
    ],
)
def test_integer_contact_ids_key_contacts_only_when_exact(
    touch_ids: list[str], conv_ids: list[str], keys: str
) -> None:
    touches, convs = _keyed(touch_ids, conv_ids)
    plan = plan_for(ENGINE_MODELS, lookback_days=30)
    outputs, sql = run(touches, convs, plan, EngineSettings())
    assert sql.contact_keys == keys
    assert ("sr_contacts" in {q.name for q in sql.stages}) == (keys == "dictionary")
    got = finish(outputs, sql, ENGINE_MODELS)
    for model in ENGINE_MODELS:
        expected = core_attribute(touches, convs, model, lookback_days=30)
        assert got[model].select("channel").equals(expected.select("channel")), model
        for col in ("conversions", "value"):
            assert got[model][col].to_list() == pytest.approx(expected[col].to_list()), model


def test_integer_contact_keys_refused_for_other_ids() -> None:
    touches, convs = _keyed(["7", "07", "7"], ["7"])
    plan = plan_for(("linear",), lookback_days=30)
    sql = plan.sql("duckdb", contact_keys="integer")
    with pytest.raises(DataError, match="every contact id to be an integer"):
        run_sql(touches, convs, plan, EngineSettings(), sql)
    with pytest.raises(DataError, match="contact keys are"):
        plan.sql("duckdb", contact_keys="hash")
