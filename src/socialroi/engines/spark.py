"""The Spark engine: the attribution SQL on a Spark cluster (or local mode), small results back.

The same SQL as every engine (:mod:`socialroi.engines.sql`, rendered for Spark) runs where the
data is; only the bounded outputs (grams, sets, placements, rule sums) come back, as polars
frames, and :mod:`socialroi.engines.finish` solves the models from them exactly as the other
engines do.

Where Spark runs is the ``[engine]`` config's business (:class:`SparkSettings`):

- ``spark_remote = "sc://host:15002"`` (or the ``SPARK_REMOTE`` environment variable): a Spark
  Connect server, the usual way to reach a cluster or Databricks from outside it;
- ``spark_master = "spark://host:7077"`` / ``"yarn"`` / ``"local[4]"``: a classic session;
- neither: ``local[*]`` on this machine.

Credentials never sit in the config: a Spark Connect URL's token, a cloud store's keys, come
from the environment as Spark itself reads them.

Inputs (:func:`load`) are polars frames, or text naming files: ``parquet:PATH`` (a glob or a
folder, local or ``s3a://``/``gs://``/``abfss://`` as the cluster can read them), ``csv:PATH``
(a header row; time columns as ISO 8601 text, naive taken as UTC) or a bare path ending in
``.parquet`` or ``.csv``; the touchpoints also ``ga4:EVENTS#options``, the GA4 export reduced
to one touch per session (:func:`_ga4`). They are registered as temporary views; each stage of
the SQL is materialised once (persisted, memory then disk) and dropped when the run ends.
Contacts are keyed by their own ids when every id is an integer's text, else by a dictionary
(:func:`contact_keys`, as the duckdb engine decides).

Spark's own traps, and what this engine does about them: the session time zone is set to UTC
(the SQL compares epoch microseconds anyway); no ordered ``collect_list`` is used (its order is
not kept after a shuffle); no ASOF join (Spark has none); a session takes 5–15 s to start, so
one session serves many runs.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from socialroi.core.conversions import conform_conversions
from socialroi.core.journeys import conform_touches
from socialroi.engines import ga4_export
from socialroi.engines.config import EngineSettings
from socialroi.engines.plan import Plan, Source, refuse_inputs
from socialroi.engines.sql import AttributionSQL, integer_id
from socialroi.errors import ConfigError, DataError

if TYPE_CHECKING:
    from pyspark.sql import Column, SparkSession
    from pyspark.sql import DataFrame as SparkFrame

#: The dialect SQLGlot renders for this engine.
DIALECT = "spark"
#: View names the inputs are registered under (build_sql's defaults).
TOUCHES_VIEW = "sr_input_touches"
CONVERSIONS_VIEW = "sr_input_conversions"
#: Views a ``ga4:`` touchpoints source is read through: its events, contacts and touches.
GA4_VIEWS = ("sr_ga4_events", "sr_ga4_contacts", "sr_ga4_touches")
#: Settings every session gets (on Spark Connect the server's own settings rule instead).
BASE_CONF: dict[str, str] = {
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.showConsoleProgress": "false",
}
#: Source prefixes that are a path's own scheme (the cluster reads them), not a source kind.
_URL_SCHEMES = frozenset(
    {"s3", "s3a", "s3n", "gs", "abfs", "abfss", "wasbs", "hdfs", "dbfs", "file"}
)
#: pyspark warns about pandas versions it has not been tested with; the engine never uses pandas.
_PANDAS_WARNING = r".*[Pp]andas.*"


@dataclass(frozen=True)
class SparkSettings:
    """Where the Spark session runs and how it is tuned (the ``[engine]`` config's spark keys).

    `remote`: a Spark Connect URL (``sc://host:port``); `master`: a classic master URL; neither:
    ``local[*]``. `shuffle_partitions`: ``spark.sql.shuffle.partitions`` (Spark's default of 200
    suits a cluster; local mode wants a few). `ui`: whether the web UI starts. `conf`: any other
    Spark settings, as text.
    """

    master: str | None = None
    remote: str | None = None
    app_name: str = "socialroi"
    shuffle_partitions: int | None = None
    ui: bool = False
    conf: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.master and self.remote:
            raise ConfigError("set either spark_master or spark_remote in [engine], not both")
        if self.remote is not None and not self.remote.startswith("sc://"):
            raise ConfigError(
                f"spark_remote is a Spark Connect URL (sc://host:port), not {self.remote!r}"
            )
        if self.shuffle_partitions is not None and self.shuffle_partitions < 1:
            raise ConfigError("shuffle_partitions must be 1 or more")

    @classmethod
    def from_config(cls, engine: Mapping[str, Any]) -> SparkSettings:
        """Settings from an ``[engine]`` table: spark_master, spark_remote, shuffle_partitions,
        spark_ui and a ``[engine.spark_conf]`` table of further settings."""
        conf = engine.get("spark_conf") or {}
        if not isinstance(conf, Mapping):
            raise ConfigError("[engine] spark_conf is a table of Spark settings")
        partitions = engine.get("shuffle_partitions")
        return cls(
            master=_text(engine.get("spark_master")),
            remote=_text(engine.get("spark_remote")),
            shuffle_partitions=None if partitions is None else int(partitions),
            ui=bool(engine.get("spark_ui", False)),
            conf={str(k): str(v) for k, v in conf.items()},
        )

    @classmethod
    def from_engine(cls, settings: EngineSettings) -> SparkSettings:
        """Settings from the ``[engine]`` table: ``connection`` is a Spark Connect address
        (``sc://…``) or a master URL; the spark keys of :meth:`from_config` may sit beside it."""
        options = dict(settings.options)
        conn = settings.connection
        if conn and conn.startswith("sc://"):
            options.setdefault("spark_remote", conn)
        elif conn:
            options.setdefault("spark_master", conn)
        return cls.from_config(options)

    def spark_conf(self) -> dict[str, str]:
        """Every setting the session is built with."""
        out = dict(BASE_CONF)
        if not self.remote:
            out["spark.ui.enabled"] = "true" if self.ui else "false"
        if self.shuffle_partitions is not None:
            out["spark.sql.shuffle.partitions"] = str(self.shuffle_partitions)
        out.update(self.conf)
        return out


def _text(value: object) -> str | None:
    return None if value is None or value == "" else str(value)


@contextmanager
def _quiet() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_PANDAS_WARNING)
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"pyspark\..*")
        yield


def available() -> bool:
    """Whether pyspark can be imported (it is an optional extra)."""
    try:
        with _quiet():
            import pyspark  # noqa: F401
    except ImportError:
        return False
    return True


def session(settings: SparkSettings | None = None) -> SparkSession:
    """A Spark session as `settings` say (an existing one with the same master is reused)."""
    s = settings or SparkSettings()
    try:
        with _quiet():
            from pyspark.sql import SparkSession
    except ImportError as err:
        raise ConfigError(
            "the spark engine needs pyspark: pip install 'socialroi[spark]' "
            "(and Java 17 or later for local mode)"
        ) from err
    builder: Any = SparkSession.builder.appName(s.app_name)
    builder = builder.remote(s.remote) if s.remote else builder.master(s.master or "local[*]")
    for key, value in s.spark_conf().items():
        builder = builder.config(key, value)
    with _quiet():
        spark: SparkSession = builder.getOrCreate()
    if not s.remote:
        spark.sparkContext.setLogLevel("ERROR")
    return spark


# -- inputs ----------------------------------------------------------------------------------------
def load(spark: SparkSession, source: Source) -> SparkFrame:
    """`source` as a Spark frame: a polars frame, ``parquet:PATH``, ``csv:PATH``,
    ``table:NAME`` (a table of the session's catalog) or a path (.csv: CSV, else parquet)."""
    if isinstance(source, pl.DataFrame):
        with _quiet():
            return spark.createDataFrame(source.to_arrow())
    spec = str(source).strip()
    kind, sep, rest = spec.partition(":")
    if isinstance(source, Path) or not sep or len(kind) == 1:  # a path (C:\… too)
        kind = "csv" if Path(spec).suffix.lower() in (".csv", ".txt", ".tsv") else "parquet"
        rest = spec
    elif kind in _URL_SCHEMES:  # s3a://bucket/…: a path the cluster reads
        kind = "csv" if spec.lower().endswith(".csv") else "parquet"
        rest = spec
    kind = kind.lower()
    if kind == "parquet":
        return spark.read.option("mergeSchema", "true").parquet(rest)
    if kind == "csv":
        return spark.read.option("header", "true").csv(rest)
    if kind == "table":
        return spark.table(rest)
    if kind == "store":
        raise DataError(
            "the spark engine does not read a socialroi store: use --engine duckdb, or export "
            "the store's tables to parquet where the cluster can read them"
        )
    raise DataError(
        f"unknown source '{spec}': give parquet:GLOB, csv:GLOB, table:NAME, a path or a frame"
        + (" (ga4:EVENTS is a touchpoints source)" if kind == "ga4" else "")
    )


def _ga4(spark: SparkSession, spec: str) -> SparkFrame:
    """The touches of a GA4 export, ``ga4:EVENTS#options`` (:mod:`ga4_export`, as the duckdb
    engine makes them): one per session tied to a contact (contact_id, ts as a UTC TIMESTAMP,
    channel, ref and the group columns), made once as a view of :data:`GA4_VIEWS`. EVENTS is
    a table of the session's catalog or ``parquet:GLOB``; ``contacts=`` a table, or
    ``parquet:GLOB`` / ``csv:GLOB``."""
    events_view, contacts_view, touches_view = GA4_VIEWS
    written, _ = ga4_export.split_spec(spec)
    kind, sep, _ = written.partition(":")
    files = bool(sep) and kind.lower() == "parquet"
    source, contacts = ga4_export.export_source(spec, events=events_view if files else None)

    def read(what: str, file_spec: str | None, table: str) -> SparkFrame:
        try:
            frame = load(spark, file_spec) if file_spec else spark.table(table)
            frame.columns  # noqa: B018 - the schema: a missing table or path shows here
        except _spark_errors() as err:
            raise DataError(
                f"ga4 source '{what}': cannot read {table}: {_first_line(err)}"
            ) from err
        return frame

    events = read(spec, written if files else None, written)
    ga4_export.check_structs(source, events.columns, spec)
    events.createOrReplaceTempView(events_view)
    view = None
    if contacts is not None:
        file_spec = (
            contacts if contacts.partition(":")[0].lower() in ga4_export.FILE_KINDS else None
        )
        c = read(f"contacts={contacts}", file_spec, contacts)
        for col in ("contact_id", "visitor_id"):
            if col not in c.columns:
                raise DataError(f"the ga4 contacts ({contacts}) have no column '{col}'", column=col)
        c.selectExpr(
            "CAST(contact_id AS STRING) AS contact_id", "CAST(visitor_id AS STRING) AS visitor_id"
        ).createOrReplaceTempView(contacts_view)
        view = contacts_view
    sql = ga4_export.touchpoints_sql(source, contacts=view, dialect=DIALECT)
    touches = spark.sql(
        f"SELECT contact_id, TIMESTAMP_MICROS(ts_us) AS ts, channel, ref, "
        f"{', '.join(ga4_export.TOUCH_COLUMNS)} FROM ({sql}) AS sr_ga4"
    )
    # Made once and cut from the export's plan: the checks, the keys and every stage read it.
    touches = touches.localCheckpoint()
    touches.createOrReplaceTempView(touches_view)
    return touches


def _conformed(source: Source, *, touches: bool) -> Source:
    """Frames checked and typed as core checks them (the other sources are read as they are)."""
    if isinstance(source, pl.DataFrame):
        return conform_touches(source) if touches else conform_conversions(source)
    return source


def _utc(frame: SparkFrame, name: str) -> Column:
    """Column `name` as TIMESTAMP in UTC (NULL when missing): TIMESTAMP as it is, TIMESTAMP_NTZ,
    DATE and ISO 8601 text read in the session's zone, UTC, so naive times are UTC."""
    from pyspark.sql import functions as sf

    if name not in frame.columns:
        return sf.lit(None).cast("timestamp").alias(name)
    return sf.col(name).cast("timestamp").alias(name)


def normalise(
    spark: SparkSession, touchpoints: Source, conversions: Source, plan: Plan
) -> tuple[SparkFrame, SparkFrame]:
    """The two inputs as the SQL reads them, registered as :data:`TOUCHES_VIEW` and
    :data:`CONVERSIONS_VIEW` (the duckdb engine's normalisation, column for column)."""
    from pyspark.sql import functions as sf

    if ga4_export.is_spec(touchpoints):
        t = _ga4(spark, str(touchpoints))
    else:
        t = load(spark, _conformed(touchpoints, touches=True))
    for col in ("contact_id", "ts", "channel", *plan.touch_columns):
        if col not in t.columns:
            raise DataError(f"touchpoints have no column '{col}'", column=col)
    ref = sf.col("ref") if "ref" in t.columns else sf.lit(None)
    touches = t.select(
        sf.col("contact_id").cast("string").alias("contact_id"),
        _utc(t, "ts"),
        sf.col("channel").cast("string").alias("channel"),
        ref.cast("string").alias("ref"),
        *(sf.col(c) for c in plan.touch_columns),
    )
    c = load(spark, _conformed(conversions, touches=False))
    for col in ("contact_id", "ts"):
        if col not in c.columns:
            raise DataError(f"conversions have no column '{col}'", column=col)
    if "conversion_id" in c.columns:
        cid = sf.col("conversion_id").cast("string")
    else:  # numbered as the file lists them, as core numbers them
        from pyspark.sql import Window

        row = sf.row_number().over(Window.orderBy(sf.monotonically_increasing_id()))
        cid = sf.concat(sf.lit("c"), row.cast("string"))
    value = (
        sf.coalesce(sf.col("value").cast("double"), sf.lit(0.0))
        if "value" in c.columns
        else sf.lit(0.0)
    )
    convs = c.select(
        cid.alias("conversion_id"),
        sf.col("contact_id").cast("string").alias("contact_id"),
        _utc(c, "ts"),
        value.cast("double").alias("value"),
        _utc(c, "lead_created_at"),
        _utc(c, "deal_created_at"),
    )
    touches.createOrReplaceTempView(TOUCHES_VIEW)
    convs.createOrReplaceTempView(CONVERSIONS_VIEW)
    _check(spark)
    return touches, convs


def _check(spark: SparkSession) -> None:
    """The DataErrors core raises for the same input: no time or contact, a repeated id."""
    missing = "ts IS NULL OR contact_id IS NULL"
    touches = spark.sql(
        f"SELECT COUNT(*) FROM {TOUCHES_VIEW} WHERE {missing} OR channel IS NULL"
    ).collect()[0][0]
    refuse_inputs(touches=touches)
    conversions = spark.sql(f"SELECT COUNT(*) FROM {CONVERSIONS_VIEW} WHERE {missing}").collect()
    refuse_inputs(conversions=conversions[0][0])
    dup = spark.sql(
        f"SELECT conversion_id FROM {CONVERSIONS_VIEW} GROUP BY conversion_id "
        "HAVING COUNT(*) > 1 LIMIT 1"
    ).collect()
    refuse_inputs(repeated=dup[0][0] if dup else None)


#: Whether `contact_id` is an integer key's text (:func:`~socialroi.engines.sql.integer_id`,
#: the duckdb engine's test rendered for Spark).
_INTEGER_ID = integer_id(DIALECT)
#: Touch rows the first look at the ids reads (text ids show there, sparing the full scan).
_FIRST_TOUCHES = 10_000


def contact_keys(spark: SparkSession) -> str:
    """``integer`` when every contact id of the input views (:func:`normalise`), touches' and
    conversions', is the text of a non-negative integer (:data:`_INTEGER_ID`, the duckdb
    engine's test); otherwise ``dictionary``. A look at the conversions and the first touches
    (text ids show there, sparing the full scan), then one aggregation over both views."""
    ids = (
        f"SELECT contact_id FROM {CONVERSIONS_VIEW} UNION ALL "
        f"SELECT contact_id FROM (SELECT contact_id FROM {TOUCHES_VIEW} LIMIT {_FIRST_TOUCHES})"
    )
    if spark.sql(f"SELECT 1 FROM ({ids}) WHERE NOT {_INTEGER_ID} LIMIT 1").collect():
        return "dictionary"
    row = spark.sql(
        f"SELECT BOOL_AND({_INTEGER_ID}) FROM (SELECT contact_id FROM {TOUCHES_VIEW} "
        f"UNION ALL SELECT contact_id FROM {CONVERSIONS_VIEW})"
    ).collect()
    return "integer" if row and row[0][0] is not False else "dictionary"


def collect(frame: SparkFrame) -> pl.DataFrame:
    """A (small) Spark result as a polars frame, through Arrow (no pandas)."""
    with _quiet():
        table = frame.toArrow()
    out = pl.from_arrow(table)
    if not isinstance(out, pl.DataFrame):  # pragma: no cover - a table gives a frame
        raise TypeError("a Spark result did not come back as a table")
    return out


# -- running the SQL -------------------------------------------------------------------------------
def run_sql(spark: SparkSession, sql: AttributionSQL) -> dict[str, pl.DataFrame]:
    """Materialise the stages of `sql` (rendered for Spark) in order, fetch every output.

    The inputs `sql` names must already be registered (:func:`normalise`). Each stage is
    persisted once, as the outputs read it several times, and dropped at the end.
    """
    if sql.dialect != DIALECT:
        raise DataError(f"the Spark engine runs SQL rendered for spark, not {sql.dialect}")
    from pyspark import StorageLevel

    kept: list[SparkFrame] = []
    try:
        for stage in sql.stages:
            frame = spark.sql(stage.sql).persist(StorageLevel.MEMORY_AND_DISK)
            kept.append(frame)
            frame.createOrReplaceTempView(stage.name)
        return {q.name: collect(spark.sql(q.sql)) for q in sql.outputs}
    finally:
        for stage in sql.stages:
            spark.catalog.dropTempView(stage.name)
        for frame in kept:
            frame.unpersist()


def run(
    touchpoints: Source, conversions: Source, plan: Plan, settings: EngineSettings
) -> tuple[dict[str, pl.DataFrame], AttributionSQL]:
    """Every output of `plan`'s SQL on Spark (the Runner protocol of
    :mod:`socialroi.engines`). The session is the active one when there is one (as a notebook
    or a test made it), else one made from `settings`; it is left running for the next run.
    Contacts are keyed by their integer ids when they all are integers, else by a dictionary
    (:func:`contact_keys`)."""
    spark = session(SparkSettings.from_engine(settings))
    sql = plan.sql(DIALECT, touches=TOUCHES_VIEW, conversions=CONVERSIONS_VIEW)  # checks the plan
    try:
        normalise(spark, touchpoints, conversions, plan)
        keys = contact_keys(spark)
        if keys != sql.contact_keys:
            sql = plan.sql(
                DIALECT, touches=TOUCHES_VIEW, conversions=CONVERSIONS_VIEW, contact_keys=keys
            )
        return run_sql(spark, sql), sql
    except _spark_errors() as err:
        raise DataError(f"Spark: {_first_line(err)}") from err
    finally:
        for view in (TOUCHES_VIEW, CONVERSIONS_VIEW, *GA4_VIEWS):
            spark.catalog.dropTempView(view)


def _spark_errors() -> tuple[type[BaseException], ...]:
    from pyspark.errors import PySparkException

    return (PySparkException,)


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def explain(spark: SparkSession, sql: AttributionSQL) -> str:
    """Spark's formatted physical plan of every stage and output of `sql` (inputs registered):
    what a cluster run would do, read before running it."""
    parts = []
    created: list[str] = []
    try:
        for stage in sql.stages:
            frame = spark.sql(stage.sql)
            parts.append(f"== stage {stage.name} ==\n{_plan(frame)}")
            frame.createOrReplaceTempView(stage.name)
            created.append(stage.name)
        for q in sql.outputs:
            parts.append(f"== output {q.name} ==\n{_plan(spark.sql(q.sql))}")
    finally:
        for name in created:
            spark.catalog.dropTempView(name)
    return "\n\n".join(parts)


def _plan(frame: SparkFrame) -> str:
    """Spark's formatted physical plan of `frame` (explain prints it)."""
    out = io.StringIO()
    with redirect_stdout(out):
        frame.explain(mode="formatted")
    return out.getvalue()


__all__ = [
    "CONVERSIONS_VIEW",
    "DIALECT",
    "GA4_VIEWS",
    "TOUCHES_VIEW",
    "SparkSettings",
    "available",
    "collect",
    "contact_keys",
    "explain",
    "load",
    "normalise",
    "run",
    "run_sql",
    "session",
]
