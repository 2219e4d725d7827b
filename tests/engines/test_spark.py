"""The Spark engine gives the numbers DuckDB and the in-memory path give.

One local[2] session serves every test here (it takes 5–15 s to start). Without pyspark the tests
are skipped, except under CI (CI=true), where a missing pyspark fails the run.
"""

from __future__ import annotations

import itertools
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from socialroi.core.attribution import attribute as core_attribute
from socialroi.core.attribution import markov
from socialroi.core.attribution.datadriven import journeys_from_touches
from socialroi.core.attribution.markov import MAX_ORDER
from socialroi.core.channels import classify_sessions
from socialroi.core.journeys import assign_touches
from socialroi.engines import EngineSettings, attribute_models, duckdb_engine, ga4_export, plan_for
from socialroi.engines import spark as spark_engine
from socialroi.engines.finish import (
    ENGINE_MODELS,
    channel_bits,
    finish,
    markov_chain,
    transition_counts,
)
from socialroi.errors import ConfigError, DataError
from tests.engines import test_ga4_export as ga4_tests
from tests.engines.compare import same_frame

pytestmark = [
    pytest.mark.skipif(
        not spark_engine.available() and os.environ.get("CI") != "true",
        reason="pyspark is not installed (the spark extra); under CI this fails instead",
    ),
    pytest.mark.filterwarnings("ignore:.*[Pp]andas.*"),
    # One worker starts one Spark session: make test's --dist loadscope keeps a module on one
    # worker (xdist_group is ignored under pytest 9 with pytest-xdist 3.8: nodeids stay unsuffixed).
    pytest.mark.xdist_group("spark"),
    pytest.mark.spark,
]

LOOKBACK = 30
RULES = ("first_touch", "last_touch", "linear", "time_decay", "position_based", "w_shaped")
MODELS = (*RULES, "markov", "shapley")


@pytest.fixture(scope="session")
def spark():
    # Tuned for many tiny queries: whole-stage code generation and adaptive execution pay off on
    # big data only, and the JVM's quick compiler (C1 alone) and serial GC start faster than the
    # optimising one on runs this short. The results do not depend on any of these.
    conf = {
        "spark.sql.codegen.wholeStage": "false",
        "spark.sql.adaptive.enabled": "false",
        "spark.default.parallelism": "1",
        "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
    }
    s = spark_engine.session(
        spark_engine.SparkSettings(master="local[2]", shuffle_partitions=1, conf=conf)
    )
    yield s
    s.stop()


def _t(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


EDGE = _t(2024, 3, 31) - timedelta(days=LOOKBACK)  # window start of conversion b1
TOUCHES = pl.DataFrame(
    [
        # a: a repeat, a tie in time (email and x at the same instant), a touch at the very
        # instant of its conversion, then a second conversion and a touch after the last one.
        ("a", _t(2024, 1, 1), "linkedin", "s1"),
        ("a", _t(2024, 1, 2), "linkedin", "s2"),
        ("a", _t(2024, 1, 5, 12), "x", "s3"),
        ("a", _t(2024, 1, 5, 12), "email", "s4"),
        ("a", _t(2024, 1, 10), "direct", "s5"),
        ("a", _t(2024, 2, 1), "facebook", "s6"),
        ("a", _t(2024, 3, 1), "organic_search", "s7"),
        # b: one touch exactly at the window's start (in), one a microsecond before it (out).
        ("b", EDGE - timedelta(microseconds=1), "x", "s8"),
        ("b", EDGE, "linkedin", "s9"),
        ("b", _t(2024, 3, 15), "email", "s10"),
        # c: never converts.
        ("c", _t(2024, 1, 3), "x", "s11"),
        ("c", _t(2024, 1, 4), "x", "s12"),
        ("c", _t(2024, 1, 6), "linkedin", "s13"),
    ],
    schema={
        "contact_id": pl.String,
        "ts": pl.Datetime("us", "UTC"),
        "channel": pl.String,
        "ref": pl.String,
    },
    orient="row",
)
CONVERSIONS = pl.DataFrame(
    [
        ("a1", "a", "lead", _t(2024, 1, 10), 0.0, _t(2024, 1, 10), None),
        ("a2", "a", "deal", _t(2024, 2, 15), 1000.0, _t(2024, 2, 1), _t(2024, 2, 10)),
        ("b1", "b", "deal", _t(2024, 3, 31), 200.0, None, None),
        ("d1", "d", "deal", _t(2024, 3, 20), 500.0, None, None),  # no touch: unattributed
    ],
    schema={
        "conversion_id": pl.String,
        "contact_id": pl.String,
        "kind": pl.String,
        "ts": pl.Datetime("us", "UTC"),
        "value": pl.Float64,
        "lead_created_at": pl.Datetime("us", "UTC"),
        "deal_created_at": pl.Datetime("us", "UTC"),
    },
    orient="row",
)


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    cols = [c for c in frame.columns if frame.schema[c] != pl.Float64]
    return frame.sort(cols, nulls_last=True)


def _same_credits(got: pl.DataFrame, want: pl.DataFrame, what: str) -> None:
    joined = want.join(got, on="channel", how="full", suffix="_got", coalesce=True)
    assert joined.height == want.height == got.height, what
    for col in ("conversions", "value"):
        diff = (pl.col(col) - pl.col(f"{col}_got")).abs()
        tol = 1e-9 * pl.max_horizontal(pl.col(col).abs(), pl.lit(1.0))
        bad = joined.filter(~(diff <= tol))
        assert bad.height == 0, (what, col, bad.to_dicts())


def _check_all_engines(
    spark, touches, conversions, lookback: int = LOOKBACK, keys: str = "dictionary"
) -> tuple[dict[str, pl.DataFrame], dict[str, pl.DataFrame]]:
    """Spark's raw outputs equal DuckDB's; every model's credits equal DuckDB's and core's.
    Both engines key the contacts by `keys`. Returns Spark's models and raw outputs.

    Touches at the same instant: the engines order them by the stated key (channel, then ref);
    core keeps the input's order, so core is given them in that order.
    """
    in_order = touches.sort("ts", "channel", "ref", maintain_order=True)
    plan = plan_for(MODELS, lookback_days=lookback)
    s_out, s_sql = spark_engine.run(touches, conversions, plan, EngineSettings(name="spark"))
    assert s_sql.contact_keys == keys
    # DuckDB in one pass, and in passes over 2 and 3 disjoint buckets of contacts.
    for buckets in (1, 2, 3):
        settings = EngineSettings(buckets=buckets)
        d_out, d_sql = duckdb_engine.run(touches, conversions, plan, settings)
        assert d_sql.contact_keys == keys, buckets
        for name in ("channels", "grams", "sets", "unattributed"):
            assert _sorted(s_out[name]).rows() == _sorted(d_out[name]).rows(), (name, buckets)
    channels, bits = channel_bits(s_out["channels"])
    for order in range(1, MAX_ORDER + 1):
        s_counts = transition_counts(s_out["grams"], channels, order, bits)
        d_counts = transition_counts(d_out["grams"], channels, order, bits)
        assert s_counts[0].rows() == d_counts[0].rows(), order
        assert s_counts[1:] == d_counts[1:]
    spark_models = finish(s_out, s_sql, MODELS)
    for model in MODELS:
        want = core_attribute(in_order, conversions, model, lookback_days=lookback)
        _same_credits(spark_models[model], want, f"spark vs core: {model}")
    duck_models = attribute_models(touches, conversions, models=MODELS, lookback_days=lookback)
    for model in MODELS:
        _same_credits(spark_models[model], duck_models[model], f"spark vs duckdb: {model}")
    # The chain solved from Spark's counts is core's chain, for every order.
    journeys = journeys_from_touches(
        assign_touches(in_order, conversions, lookback_days=lookback, carry=["value"])
    )
    for order in range(1, MAX_ORDER + 1):
        if journeys.filter(pl.col("converted")).height == 0:
            break
        core = markov(journeys, order=order).credits.select("channel", "removal_effect")
        ours = markov_chain(s_out, order).credits.select("channel", "removal_effect")
        joined = core.join(ours, on="channel", suffix="_s")
        assert joined.height == core.height
        assert (joined["removal_effect"] - joined["removal_effect_s"]).abs().max() <= 1e-9  # type: ignore[operator]
    return spark_models, s_out


def test_fixed_journeys_match_duckdb_core_and_hand_counts(spark):
    models, _ = _check_all_engines(spark, TOUCHES, CONVERSIONS)
    # By hand: a1's journey ends with direct (the touch at its own instant), a2's is facebook
    # alone, b1's ends with email; d1 has no touch.
    last = models["last_touch"].filter(pl.col("conversions") > 0).sort("channel")
    assert last.rows() == [
        ("(unattributed)", 1.0, 500.0),
        ("direct", 1.0, 0.0),
        ("email", 1.0, 200.0),
        ("facebook", 1.0, 1000.0),
    ]
    # First touches: a1 linkedin (s1), a2 facebook, b1 linkedin at the window's very start
    # (x a microsecond earlier is outside).
    first = dict(
        models["first_touch"]
        .filter(pl.col("conversions") > 0)
        .select("channel", "conversions")
        .iter_rows()
    )
    assert first == {"linkedin": 2.0, "facebook": 1.0, "(unattributed)": 1.0}


#: The fixed contacts under integer ids: the smallest, the largest that keys (2⁶³ − 2: its key
#: is the id plus one) and two between.
INTEGER_IDS = {"a": "0", "b": "9223372036854775806", "c": "7", "d": "42"}


def _renamed(frame: pl.DataFrame, ids: dict[str, str]) -> pl.DataFrame:
    return frame.with_columns(pl.col("contact_id").replace_strict(ids))


def _same_outputs(got: dict[str, pl.DataFrame], want: dict[str, pl.DataFrame]) -> None:
    """Every output alike: the same rows, counts and keys exactly, floats to 1e-9."""
    assert got.keys() == want.keys()
    for name, frame in want.items():
        g, w = _sorted(got[name]), _sorted(frame)
        assert g.schema == w.schema, name
        floats = [c for c in w.columns if w.schema[c] == pl.Float64]
        assert g.drop(floats).rows() == w.drop(floats).rows(), name
        for col in floats:
            assert g[col].is_null().to_list() == w[col].is_null().to_list(), (name, col)
            diff = (g[col] - w[col]).abs()
            tol = 1e-9 * w[col].abs().clip(lower_bound=1.0)
            assert not (diff > tol).any(), (name, col)


def test_integer_ids_take_integer_keys_with_the_dictionary_outputs(spark):
    touches, convs = _renamed(TOUCHES, INTEGER_IDS), _renamed(CONVERSIONS, INTEGER_IDS)
    models, outputs = _check_all_engines(spark, touches, convs, keys="integer")
    # The same SQL with the dictionary, on the same views: the same outputs and credits.
    plan = plan_for(MODELS, lookback_days=LOOKBACK)
    spark_engine.normalise(spark, touches, convs, plan)
    try:
        sql = plan.sql(spark_engine.DIALECT, contact_keys="dictionary")
        dictionary = spark_engine.run_sql(spark, sql)
    finally:
        spark.catalog.dropTempView(spark_engine.TOUCHES_VIEW)
        spark.catalog.dropTempView(spark_engine.CONVERSIONS_VIEW)
    _same_outputs(outputs, dictionary)
    by_dictionary = finish(dictionary, sql, MODELS)
    for model in MODELS:
        _same_credits(models[model], by_dictionary[model], f"integer vs dictionary: {model}")


def test_integer_ids_in_touches_and_text_in_conversions_take_the_dictionary(spark):
    # d1's contact has no touch: only the conversions show it is text.
    ids = {**INTEGER_IDS, "d": "d"}
    _check_all_engines(spark, _renamed(TOUCHES, ids), _renamed(CONVERSIONS, ids))


#: Ids that are not the plain decimal text of an integer 0 ≤ id < 2⁶³ − 1 (the last: 2⁶³ − 1).
TEXT_IDS = ("07", "+7", " 7", "7 ", "7.0", "5e1", "-1", "-0", "abc", "", "9223372036854775807")


def test_contact_keys_are_integer_only_for_plain_integer_text(spark, monkeypatch):
    plan = plan_for(("linear",))
    ids = [str(i) for i in range(50)]

    def frame(contacts: list[str]) -> pl.DataFrame:
        return pl.DataFrame({"contact_id": contacts}).with_columns(
            ts=pl.datetime(2024, 1, 1, time_zone="UTC"), channel=pl.lit("x")
        )

    base = frame(ids)
    conv = CONVERSIONS.with_columns(contact_id=pl.lit("3"))

    def keys(touches: pl.DataFrame, conversions: pl.DataFrame = conv) -> str:
        spark_engine.normalise(spark, touches, conversions, plan)
        try:
            return spark_engine.contact_keys(spark)
        finally:
            spark.catalog.dropTempView(spark_engine.TOUCHES_VIEW)
            spark.catalog.dropTempView(spark_engine.CONVERSIONS_VIEW)

    assert keys(base) == "integer"
    # Integer-typed ids print as their decimal text.
    assert keys(base.with_columns(pl.col("contact_id").cast(pl.Int64))) == "integer"
    assert keys(base.with_columns(contact_id=pl.lit("abc"))) == "dictionary"  # the first look
    assert keys(base, conv.with_columns(contact_id=pl.lit("07"))) == "dictionary"
    # Past the first look: the one aggregation over every id sees the last touch.
    monkeypatch.setattr(spark_engine, "_FIRST_TOUCHES", 0)
    for text in TEXT_IDS:
        assert keys(frame([*ids[:-1], text])) == "dictionary", text
    # TRY_CAST, not CAST: text ids are no error with ANSI mode on or off.
    ansi = spark.conf.get("spark.sql.ansi.enabled")
    try:
        for mode in ("true", "false"):
            spark.conf.set("spark.sql.ansi.enabled", mode)
            assert keys(base) == "integer", mode
            assert keys(base.with_columns(contact_id=pl.lit("7.0"))) == "dictionary", mode
    finally:
        spark.conf.set("spark.sql.ansi.enabled", ansi)


def test_spark_reads_parquet_and_csv_files(spark, tmp_path):
    touches = tmp_path / "touches"
    touches.mkdir()
    # Two parquet files read as one glob; conversions as CSV with ISO times (naive = UTC).
    TOUCHES.head(7).write_parquet(touches / "part-0.parquet")
    TOUCHES.slice(7).write_parquet(touches / "part-1.parquet")
    convs = tmp_path / "conversions.csv"
    CONVERSIONS.with_columns(pl.col(pl.Datetime).dt.strftime("%Y-%m-%dT%H:%M:%S%.6f")).write_csv(
        convs
    )
    got = attribute_models(
        f"parquet:{touches}/*.parquet",
        f"csv:{convs}",
        models=("linear",),
        engine="spark",
        lookback_days=LOOKBACK,
    )
    want = core_attribute(TOUCHES, CONVERSIONS, "linear", lookback_days=LOOKBACK)
    _same_credits(got["linear"], want, "linear from files")


def test_spark_refuses_bad_input_as_core_does(spark):
    with pytest.raises(DataError, match="channel"):
        spark_engine.run(
            TOUCHES.drop("channel"), CONVERSIONS, plan_for(("linear",)), EngineSettings()
        )
    with pytest.raises(DataError, match="does not read a socialroi store"):
        spark_engine.run("store:x.duckdb", CONVERSIONS, plan_for(("linear",)), EngineSettings())


_CHANNELS = st.sampled_from(["linkedin", "x", "email", "direct"])
_DAY = st.integers(0, 12)  # a coarse grid: ties in time and lookback edges are common


@st.composite
def _contact(draw, name: str):
    """One contact's touches and conversions on a half-day grid."""
    touches = draw(st.lists(st.tuples(_DAY, st.integers(0, 1), _CHANNELS), max_size=8))
    convs = draw(st.lists(st.tuples(_DAY, st.sampled_from([0.0, 100.0, 250.0])), max_size=3))
    return name, touches, convs


@st.composite
def _data(draw):
    """Several independent contacts in one data set, so one Spark run checks many journeys."""
    base = _t(2024, 1, 1)
    contacts = [draw(_contact(f"p{i}")) for i in range(draw(st.integers(4, 12)))]
    t_rows = [
        (name, base + timedelta(days=d, hours=12 * h), ch, f"{name}r{i}")
        for name, touches, _ in contacts
        for i, (d, h, ch) in enumerate(touches)
    ]
    c_rows = [
        (f"{name}k{i}", name, base + timedelta(days=d), v)
        for name, _, convs in contacts
        for i, (d, v) in enumerate(convs)
    ]
    ts = pl.Datetime("us", "UTC")
    t = pl.DataFrame(
        t_rows or [("p0", base, "x", "r")],
        schema={"contact_id": pl.String, "ts": ts, "channel": pl.String, "ref": pl.String},
        orient="row",
    )
    c = pl.DataFrame(
        c_rows or [("k", "p0", base, 1.0)],
        schema={"conversion_id": pl.String, "contact_id": pl.String, "ts": ts, "value": pl.Float64},
        orient="row",
    )
    return t, c


@settings(
    max_examples=2,
    deadline=None,
    derandomize=True,
    # A Spark run takes seconds: report the failing example as found, do not shrink it.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=_data())
def test_random_journeys_match_duckdb_and_core(spark, data):
    touches, conversions = data
    # Lookback 3 days on a half-day grid: touches fall on both sides of the windows' edges.
    _check_all_engines(spark, touches, conversions, lookback=3)


# -- the GA4 export (ga4:EVENTS#options) ----------------------------------------------------------
def test_ga4_classify_sql_on_spark_matches_classify_sessions(spark):
    """The channel rules rendered for Spark give classify_sessions' answers on the grid of
    test_ga4_export (Spark's REGEXP_EXTRACT gives '' where the SQL means NULL: no match)."""
    rows = list(itertools.product(ga4_tests.SOURCES, ga4_tests.MEDIUMS, ga4_tests.CONTENTS))
    cols = ("session_id", "source", "medium", "content")
    sessions = pl.DataFrame(
        [(str(i), *r) for i, r in enumerate(rows)],
        schema=dict.fromkeys(cols, pl.String),
        orient="row",
    )
    added = ["channel", "platform", "kind", "post_id", "employee_id"]
    spark_engine.load(spark, sessions).createOrReplaceTempView("sr_test_sessions")
    try:
        sql = ga4_export.classify_sql("sr_test_sessions", dialect=spark_engine.DIALECT)
        got = spark_engine.collect(spark.sql(sql)).select("session_id", *added)
    finally:
        spark.catalog.dropTempView("sr_test_sessions")
    want = classify_sessions(sessions).select("session_id", *added)
    joined = want.join(got, on="session_id", suffix="_sql")
    assert joined.height == len(rows) > 2000
    for col in added:
        bad = joined.filter(pl.col(col).ne_missing(pl.col(f"{col}_sql")))
        assert bad.height == 0, (col, bad.head(5).to_dicts())


@pytest.fixture(scope="module")
def ga4_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The synthetic nested export of test_ga4_export as parquet (DuckDB's COPY keeps the
    structs and lists), and its contacts: (events folder, contacts file)."""
    folder = tmp_path_factory.mktemp("ga4-spark")
    (folder / "events").mkdir()
    with duckdb.connect() as con:
        ga4_tests.fill_generated(con)
        con.execute(f"COPY events TO '{folder / 'events' / 'part-0.parquet'}' (FORMAT parquet)")
        con.execute(f"COPY contacts TO '{folder / 'contacts.parquet'}' (FORMAT parquet)")
    return folder / "events", folder / "contacts.parquet"


def test_ga4_export_gives_the_duckdb_engines_touches_and_credits(spark, ga4_files):
    events, contacts = ga4_files
    spec = f"ga4:parquet:{events}/*.parquet#contacts=parquet:{contacts},since=20240502"
    plan = plan_for(ENGINE_MODELS, lookback_days=30, by=ga4_tests.BY_KIND)
    convs = ga4_tests.CONVERSIONS
    # The touches themselves, every column, as read_touchpoints gives them; here from tables of
    # the session's catalog (ga4:TABLE, contacts=TABLE), below from the files.
    spark.read.parquet(str(events)).createOrReplaceTempView("sr_test_events")
    spark.read.parquet(str(contacts)).createOrReplaceTempView("sr_test_contacts")
    tables = "ga4:sr_test_events#contacts=sr_test_contacts,since=20240502"
    try:
        spark_engine.normalise(spark, tables, convs, plan)
        touches = spark_engine.collect(spark.table(spark_engine.GA4_VIEWS[-1]))
    finally:
        views = (spark_engine.TOUCHES_VIEW, spark_engine.CONVERSIONS_VIEW, *spark_engine.GA4_VIEWS)
        for view in (*views, "sr_test_events", "sr_test_contacts"):
            spark.catalog.dropTempView(view)
    with duckdb.connect() as con:
        source, _ = ga4_export.export_source(spec, events="events")
        con.execute(f"CREATE VIEW events AS SELECT * FROM read_parquet('{events}/*.parquet')")
        con.execute(f"CREATE VIEW contacts AS SELECT * FROM read_parquet('{contacts}')")
        want = ga4_export.read_touchpoints(con, source, contacts="contacts")
    assert want.height > 10
    same_frame(touches.select(want.columns), want, "touches")
    # Every output and every model's credits, as the duckdb engine gives them from the same spec.
    s_out, s_sql = spark_engine.run(spec, convs, plan, EngineSettings(name="spark"))
    d_out, d_sql = duckdb_engine.run_plan(spec, convs, plan, EngineSettings())
    assert s_sql.contact_keys == d_sql.contact_keys == "dictionary"
    # DuckDB sums counts as HUGEINT: the same counts.
    _same_outputs(
        s_out, {k: v.with_columns(pl.col(pl.Decimal).cast(pl.Int64)) for k, v in d_out.items()}
    )
    got, want_models = finish(s_out, s_sql, ENGINE_MODELS), finish(d_out, d_sql, ENGINE_MODELS)
    for model in ENGINE_MODELS:
        same_frame(got[model], want_models[model], model)
    assert got["linear"].height > 3
    assert spark.catalog.listTables() == []  # every view dropped


def test_ga4_sources_the_spark_engine_refuses(spark, tmp_path):
    plan = plan_for(("linear",))
    old = tmp_path / "old.parquet"
    with duckdb.connect() as con:
        con.execute(
            "COPY (SELECT '20240501' AS event_date, 1 AS event_timestamp, 'p' AS user_pseudo_id) "
            f"TO '{old}' (FORMAT parquet)"
        )
    with pytest.raises(ConfigError, match="last_click=false"):
        spark_engine.run(f"ga4:parquet:{old}", CONVERSIONS, plan, EngineSettings())
    with pytest.raises(DataError, match="contacts=nope"):
        spark_engine.run(
            f"ga4:parquet:{old}#last_click=false,collected=false,contacts=nope",
            CONVERSIONS,
            plan,
            EngineSettings(),
        )
    with pytest.raises(DataError, match="ga4:nothere"):
        spark_engine.run("ga4:nothere", CONVERSIONS, plan, EngineSettings())
    with pytest.raises(DataError, match="touchpoints source"):
        spark_engine.run(TOUCHES, f"ga4:parquet:{old}", plan, EngineSettings())
    with pytest.raises(ConfigError, match="since"):
        spark_engine.run("ga4:events#since=2024", CONVERSIONS, plan, EngineSettings())


def test_settings_from_the_engine_table():
    s = spark_engine.SparkSettings.from_engine(
        EngineSettings(
            name="spark",
            connection="sc://spark.example:15002",
            options={"shuffle_partitions": 64, "spark_conf": {"spark.executor.memory": "8g"}},
        )
    )
    assert s.remote == "sc://spark.example:15002"
    assert s.master is None
    conf = s.spark_conf()
    assert conf["spark.sql.shuffle.partitions"] == "64"
    assert conf["spark.executor.memory"] == "8g"
    assert conf["spark.sql.session.timeZone"] == "UTC"
    assert "spark.ui.enabled" not in conf  # a Connect server's UI is the server's business
    classic = spark_engine.SparkSettings.from_engine(EngineSettings(connection="yarn"))
    assert classic.master == "yarn"
    assert classic.spark_conf()["spark.ui.enabled"] == "false"
    with pytest.raises(ConfigError, match="Spark Connect URL"):
        spark_engine.SparkSettings(remote="http://x")
    with pytest.raises(ConfigError, match="not both"):
        spark_engine.SparkSettings(master="local[2]", remote="sc://x")


def test_engine_models_cover_every_model_the_test_checks():
    assert set(MODELS) <= set(ENGINE_MODELS)
