"""The DuckDB engine (the default): in memory, or out of core under a memory limit.

Sources are read where they lie — parquet or CSV globs, a store's tables, a database's tables,
or polars frames — through two views that give the SQL its normalised inputs (times as naive
UTC TIMESTAMP, so epoch microseconds and month starts never follow a session time zone). The
stages are temporary tables, which spill to the temp directory beyond ``memory_limit``. The
connection is closed and the spill directory removed when the run ends, also on error.

Journeys never cross contacts, so every output is a sum over disjoint buckets of contacts. When
the touches take more than a sixth of ``memory_limit`` (:func:`bucket_count`), or ``buckets``
says so, the stages and outputs run once per bucket (``hash`` of the contact id ``% N``: a
contact's rows all hash alike) and their outputs are added up
(:func:`socialroi.engines.finish.combine`); the channel dictionary is built once, from every
touch, before them. Each pass so sorts about the same number of touches whatever the total, and
the cost per touch stays flat as the touches grow. The touches are read once and written to the
spill directory as one parquet folder per bucket, holding only the columns the stages read; the
same write checks the contact ids (an integer-looking id is staged as its integer only when its
text is exactly that integer's), so each pass reads its own bucket only, and the source once.
"""

from __future__ import annotations

import math
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import duckdb
import polars as pl

from socialroi.core.conversions import (
    conform_conversions,
    deal_conversions,
    lead_conversions,
    pipeline_conversions,
)
from socialroi.core.journeys import conform_touches
from socialroi.engines import ga4_export
from socialroi.engines.config import EngineSettings
from socialroi.engines.finish import combine
from socialroi.engines.plan import Plan, Source, refuse_inputs
from socialroi.engines.sql import MAX_INTEGER_ID, AttributionSQL, integer_id
from socialroi.errors import DataError

_TOUCH = "sr_input_touches"
_CONV = "sr_input_conversions"
#: The whole sources behind the input views (the views are a bucket of them when bucketed).
_ALL_TOUCH = "sr_source_touches"
_ALL_CONV = "sr_source_conversions"
#: DuckDB memory one touch takes at the run's peak (the assignment's sort and windows, the
#: sr_assigned table), in bytes: 100M touches ran in one pass under an 8GB limit without
#: spilling (benchmarks/engines-notes.md). Each touch column read besides contact, time and
#: channel (a group key, and ref with it) is reckoned at 32 bytes more, its text (an
#: estimate, not measured).
BYTES_PER_TOUCH = 72
BYTES_PER_COLUMN = 32
#: The automatic buckets hold at most this share of ``memory_limit`` each (a sixth: 18.5M
#: touches under 8GB). A pass then sorts the same number of touches whatever the total, so
#: the cost per touch stays flat as the touches grow (a bigger sort costs more per touch, and
#: one that outgrows memory spills); writing the buckets costs about a quarter of the run,
#: which is why one pass is kept while the touches fit in a bucket.
BUCKET_SHARE = 1 / 6
#: The most buckets the automatic choice takes.
MAX_BUCKETS = 64
_KINDS = {"deal": deal_conversions, "pipeline": pipeline_conversions}


@contextmanager
def connect(settings: EngineSettings) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB connection with `settings`' memory limit, threads and a fresh spill
    directory (inside ``temp_directory`` when set); closed and cleaned up on exit."""
    spill = Path(tempfile.mkdtemp(prefix="socialroi-duckdb-", dir=settings.temp_directory))
    config: dict[str, str | bool | int | float | list[str]] = {
        "temp_directory": str(spill),
        "preserve_insertion_order": False,
    }
    if settings.memory_limit:
        config["memory_limit"] = settings.memory_limit
    if settings.threads:
        config["threads"] = settings.threads
    try:
        con = duckdb.connect(":memory:", config=config)
    except duckdb.Error as err:
        shutil.rmtree(spill, ignore_errors=True)
        raise DataError(f"DuckDB cannot start with these [engine] settings: {err}") from err
    try:
        if settings.database:
            con.execute(f"ATTACH '{_quote(settings.database)}' AS src (READ_ONLY)")
            con.execute("USE src")
        yield con
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)


def _quote(text: str) -> str:
    return text.replace("'", "''")


def _relation(con: duckdb.DuckDBPyConnection, source: Source, name: str, *, touches: bool) -> str:
    """A FROM item for `source` (registering frames under `name`)."""
    if isinstance(source, pl.DataFrame):
        frame = conform_touches(source) if touches else conform_conversions(source)
        con.register(name, frame.to_arrow())
        return f'"{name}"'
    spec = str(source)
    kind, sep, rest = spec.partition(":")
    if isinstance(source, Path) or not sep or len(kind) == 1:  # a path (C:\… too)
        path = Path(spec)
        kind = "csv" if path.suffix.lower() in (".csv", ".txt", ".tsv") else "parquet"
        rest = spec
    if kind == "parquet":
        return f"read_parquet('{_quote(rest)}', union_by_name = true)"
    if kind == "csv":
        return f"read_csv('{_quote(rest)}', union_by_name = true)"
    if kind == "table":
        return ".".join(f'"{p}"' for p in rest.split("."))
    if kind == "store":
        return _store(con, rest, name, touches=touches)
    if kind.lower() == "ga4" and touches:
        return _ga4(con, spec, name)
    raise DataError(
        f"unknown source '{spec}': give parquet:GLOB, csv:GLOB, table:NAME, store:PATH or a frame"
        + (" (ga4:EVENTS is a touchpoints source)" if kind.lower() == "ga4" else "")
    )


def _ga4_columns(con: duckdb.DuckDBPyConnection, relation: str, what: str) -> dict[str, str]:
    """The columns of `relation`; a DataError naming `what` when it cannot be read."""
    try:
        return _columns(con, relation)
    except duckdb.Error as err:
        first = str(err).splitlines()[0]
        raise DataError(f"ga4 source '{what}': cannot read {relation}: {first}") from err


def _ga4(con: duckdb.DuckDBPyConnection, spec: str, name: str) -> str:
    """The touches of a GA4 export, ``ga4:EVENTS#options`` (:mod:`ga4_export`): one per
    session tied to a contact, made once into temp table `name` (contact_id, ts as UTC
    TIMESTAMP, channel, ref and the group columns), as the export's SQL gives them. EVENTS is
    a table (of ``[engine] database``) or ``parquet:GLOB``; ``contacts=`` a table, or
    ``parquet:GLOB`` / ``csv:GLOB``."""
    written, _ = ga4_export.split_spec(spec)
    kind, sep, rest = written.partition(":")
    events = None
    if sep and kind.lower() == "parquet":
        events = f"{name}_events"
        con.execute(
            f"CREATE TEMP VIEW {events} AS "
            f"SELECT * FROM read_parquet('{_quote(rest)}', union_by_name = true)"
        )
    source, contacts = ga4_export.export_source(spec, events=events)
    have = _ga4_columns(con, ".".join(f'"{p}"' for p in source.events.split(".")), spec)
    ga4_export.check_structs(source, have, spec)
    view = None
    if contacts is not None:
        c_kind = contacts.partition(":")[0].lower()
        if c_kind in ga4_export.FILE_KINDS:
            c_rel = _relation(con, contacts, f"{name}_contacts_file", touches=False)
        else:
            c_rel = ".".join(f'"{p}"' for p in contacts.split("."))
        c_cols = _ga4_columns(con, c_rel, f"contacts={contacts}")
        for col in ("contact_id", "visitor_id"):
            if col not in c_cols:
                raise DataError(f"the ga4 contacts ({contacts}) have no column '{col}'", column=col)
        view = f"{name}_contacts"
        con.execute(
            f"CREATE TEMP VIEW {view} AS SELECT CAST(contact_id AS VARCHAR) AS contact_id, "
            f"CAST(visitor_id AS VARCHAR) AS visitor_id FROM {c_rel}"
        )
    sql = ga4_export.touchpoints_sql(source, contacts=view, dialect="duckdb")
    con.execute(
        f"CREATE TEMP TABLE {name} AS SELECT contact_id, make_timestamp(ts_us) AS ts, channel, "
        f"ref, {', '.join(ga4_export.TOUCH_COLUMNS)} FROM ({sql}) AS sr_ga4"
    )
    return f'"{name}"'


def _store(con: duckdb.DuckDBPyConnection, spec: str, name: str, *, touches: bool) -> str:
    """The store's touchpoints (read in place), or its conversions of one kind (built from its
    leads and deals, which are small)."""
    path, _, kind = spec.partition("#")
    if not Path(path).exists():
        raise DataError(f"no store at {path}")
    alias = f"{name}_store"
    con.execute(f"ATTACH '{_quote(path)}' AS {alias} (READ_ONLY)")
    if touches:
        return f"{alias}.touchpoints"
    kind = kind or "deal"
    leads = con.execute(f"SELECT * FROM {alias}.leads").pl()
    if kind == "lead":
        frame = lead_conversions(leads)
    elif kind in _KINDS:
        deals = con.execute(f"SELECT * FROM {alias}.deals").pl()
        frame = _KINDS[kind](deals, leads)
    else:
        raise DataError(f"unknown conversion kind '{kind}' (lead, deal or pipeline)")
    con.register(name, frame.to_arrow())
    return f'"{name}"'


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> dict[str, str]:
    rows = con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
    return {str(r[0]): str(r[1]).upper() for r in rows}


def _utc(col: str, dtype: str | None) -> str:
    """`col` as a naive UTC TIMESTAMP (µs); NULL when the source has no such column."""
    if dtype is None:
        return "CAST(NULL AS TIMESTAMP)"
    quoted = f'"{col}"'
    # Through epoch microseconds: never through the session time zone.
    if dtype.startswith("TIMESTAMP WITH TIME ZONE") or dtype == "TIMESTAMPTZ":
        return f"make_timestamp(epoch_us({quoted}))"
    if dtype.startswith("TIMESTAMP") or dtype == "DATE":
        return f"CAST({quoted} AS TIMESTAMP)"
    return f"make_timestamp(epoch_us(CAST({quoted} AS TIMESTAMPTZ)))"


#: The touches' contact id as the source holds it, when that is an integer type.
_RAW_ID = "sr_raw_contact_id"
_INTEGER_TYPES = frozenset(
    f"{u}{t}" for u in ("", "U") for t in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT")
)


def _views(
    con: duckdb.DuckDBPyConnection, touchpoints: Source, conversions: Source, plan: Plan
) -> bool:
    """The normalised input views the SQL reads. True when the touches are counted without
    reading them (parquet footers, a table's or a frame's row count), False for text files."""
    t_rel = _relation(con, touchpoints, "sr_frame_touches", touches=True)
    t_cols = _columns(con, t_rel)
    for col in ("contact_id", "ts", "channel", *plan.touch_columns):
        if col not in t_cols:
            raise DataError(f"touchpoints have no column '{col}'", column=col)
    ref = "CAST(ref AS VARCHAR)" if "ref" in t_cols else "CAST(NULL AS VARCHAR)"
    extra = "".join(f', "{c}"' for c in plan.touch_columns)
    # Ids stored as integers are an integer's text unless negative or too big: checked on the
    # number (:func:`contact_keys`, :func:`_stage`), not by printing and parsing every one.
    raw = f", contact_id AS {_RAW_ID}" if t_cols["contact_id"] in _INTEGER_TYPES else ""
    con.execute(
        f"CREATE TEMP VIEW {_ALL_TOUCH} AS SELECT CAST(contact_id AS VARCHAR) AS contact_id, "
        f"{_utc('ts', t_cols['ts'])} AS ts, CAST(channel AS VARCHAR) AS channel, {ref} AS ref"
        f"{extra}{raw} FROM {t_rel}"
    )
    c_rel = _relation(con, conversions, "sr_frame_conversions", touches=False)
    c_cols = _columns(con, c_rel)
    for col in ("contact_id", "ts"):
        if col not in c_cols:
            raise DataError(f"conversions have no column '{col}'", column=col)
    cid = (
        "CAST(conversion_id AS VARCHAR)"
        if "conversion_id" in c_cols
        else "'c' || CAST(ROW_NUMBER() OVER () AS VARCHAR)"
    )
    value = "COALESCE(CAST(value AS DOUBLE), 0)" if "value" in c_cols else "CAST(0 AS DOUBLE)"
    con.execute(
        f"CREATE TEMP VIEW {_ALL_CONV} AS SELECT {cid} AS conversion_id, "
        f"CAST(contact_id AS VARCHAR) AS contact_id, {_utc('ts', c_cols['ts'])} AS ts, "
        f"{value} AS value, "
        f"{_utc('lead_created_at', c_cols.get('lead_created_at'))} AS lead_created_at, "
        f"{_utc('deal_created_at', c_cols.get('deal_created_at'))} AS deal_created_at "
        f"FROM {c_rel}"
    )
    _bucket(con, 0, 1)
    return not t_rel.startswith("read_csv(")


def _bucket(
    con: duckdb.DuckDBPyConnection,
    index: int,
    buckets: int,
    staged: Path | None = None,
    *,
    integer: bool = False,
) -> None:
    """The input views as bucket `index` of `buckets` of the contacts (1: every row); the
    touches from `staged` (:func:`_stage`) when given. A contact's bucket is the hash of its
    id: of its BIGINT when the touches were staged with `integer` ids, else of its text."""
    where = f" WHERE {_bucket_key(integer)} % {buckets} = {index}" if buckets > 1 else ""
    touches = f"SELECT * FROM {_ALL_TOUCH}{where}"
    conversions = f"SELECT * FROM {_ALL_CONV}{where}"
    if staged is not None:
        conversions = f"SELECT * EXCLUDE ({_BUCKET}) FROM {_STAGED_CONV} WHERE {_BUCKET} = {index}"
        folder = staged / f"{_BUCKET}={index}"
        files = f"{_quote(str(folder))}/*.parquet"
        # The files hold no bucket column. An empty bucket has no folder: no rows, then.
        touches = (
            f"SELECT * FROM read_parquet('{files}', hive_partitioning = false)"
            if folder.is_dir()
            else f"SELECT * FROM {_STAGED_COLUMNS} LIMIT 0"
        )
    con.execute(f"CREATE OR REPLACE TEMP VIEW {_TOUCH} AS {touches}")
    con.execute(f"CREATE OR REPLACE TEMP VIEW {_CONV} AS {conversions}")


def _bucket_key(integer: bool) -> str:
    """The hash a contact's bucket is taken from: of its BIGINT with `integer` keys."""
    return "hash(CAST(contact_id AS BIGINT))" if integer else "hash(contact_id)"


#: The bucket column of the staged touches (their folders' names), the view of the columns
#: they hold over the whole source, and the table of the conversions with their buckets.
_BUCKET = "sr_bucket"
_STAGED_COLUMNS = "sr_staged_columns"
_STAGED_CONV = "sr_staged_conversions"


def _stage(con: duckdb.DuckDBPyConnection, plan: Plan, keys: str, buckets: int) -> Path:
    """Every touch, read once, written to the spill directory as one parquet folder per bucket
    of contacts (as :func:`_bucket` filters the conversions): the columns the stages read,
    uncompressed (cheaper to write and to read than any codec). With ``integer`` `keys` the
    contact id is staged as its BIGINT when its text is exactly that integer's (the SQL's cast
    of it is then no work), else as NULL, which :func:`_staged_check` counts: the same scan
    checks the ids and stages them. Returns the folder."""
    row = con.execute("SELECT current_setting('temp_directory')").fetchone()
    if not (row and row[0]):
        raise DataError("DuckDB has no temp directory to write the contact buckets to")
    folder = Path(str(row[0])) / f"touches-{keys}"
    shutil.rmtree(folder, ignore_errors=True)
    contact = "contact_id"
    if keys == "integer" and _raw_ids(con):
        contact = f"CASE WHEN {_IN_RANGE.format(_RAW_ID)} THEN CAST({_RAW_ID} AS BIGINT) END"
    elif keys == "integer":
        contact = f"CASE WHEN {_INTEGER_ID} THEN CAST(contact_id AS BIGINT) END"
    extra = "".join(f', "{c}"' for c in plan.touch_columns)
    ref = ", ref" if plan.touch_columns else ""
    columns = f"{contact} AS contact_id, ts, channel{ref}{extra}"
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {_STAGED_COLUMNS} AS SELECT {columns} FROM {_ALL_TOUCH}"
    )
    con.execute(
        f"COPY (SELECT *, hash(contact_id) % {buckets} AS {_BUCKET} FROM {_STAGED_COLUMNS}) "
        f"TO '{_quote(str(folder))}' "
        f"(FORMAT parquet, PARTITION_BY ({_BUCKET}), COMPRESSION uncompressed)"
    )
    return folder


def _staged_check(con: duckdb.DuckDBPyConnection, folder: Path) -> tuple[int, int]:
    """The staged touches with no contact id (or, staged as integers, one that is not an
    integer's text) and with no time: one scan of two fixed-width columns."""
    if not list(folder.glob("*/*.parquet")):
        return 0, 0
    row = con.execute(
        "SELECT COUNT(*) FILTER (WHERE contact_id IS NULL), COUNT(*) FILTER (WHERE ts IS NULL) "
        f"FROM read_parquet('{_quote(str(folder))}/*/*.parquet', hive_partitioning = false)"
    ).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


#: A contact id that is an integer key's text (:func:`~socialroi.engines.sql.integer_id`).
_INTEGER_ID = integer_id("duckdb")


def _maybe_integer(con: duckdb.DuckDBPyConnection) -> bool:
    """False when a conversion's contact id, or one of the touches' first 10,000, is not an
    integer's text (text ids show there); True when all are, so far."""
    for view in (_CONV, f"(SELECT contact_id FROM {_TOUCH} LIMIT 10000)"):
        if con.execute(f"SELECT 1 FROM {view} WHERE NOT {_INTEGER_ID} LIMIT 1").fetchone():
            return False
    return True


#: An integer-typed id that is a key (its text is an integer's, 0 ≤ id < 2⁶³ − 1).
_IN_RANGE = f"COALESCE({{0}} BETWEEN 0 AND {MAX_INTEGER_ID}, FALSE)"


def _raw_ids(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the touches' source holds contact ids as integers (:data:`_RAW_ID`)."""
    return _RAW_ID in _columns(con, _ALL_TOUCH)


def contact_keys(con: duckdb.DuckDBPyConnection) -> str:
    """``integer`` when every contact id of the input views, touches' and conversions', is
    the text of a non-negative integer; otherwise ``dictionary``. One parallel scan of the
    touches' ids, after a look at their first rows (text ids are seen there, sparing it);
    ids the source holds as integers are only compared with the range."""
    if not _maybe_integer(con):
        return "dictionary"
    test = _IN_RANGE.format(_RAW_ID) if _raw_ids(con) else _INTEGER_ID
    row = con.execute(f"SELECT BOOL_AND({test}) FROM {_TOUCH}").fetchone()
    return "integer" if row and row[0] is not False else "dictionary"


def _check_conversions(con: duckdb.DuckDBPyConnection) -> None:
    """The DataError core raises for a conversion with no time or contact."""
    row = con.execute(
        f"SELECT COUNT(*) FROM {_CONV} WHERE ts IS NULL OR contact_id IS NULL"
    ).fetchone()
    refuse_inputs(conversions=int(row[0]) if row else 0)


def _check_repeats(con: duckdb.DuckDBPyConnection) -> None:
    """The DataError core raises for a repeated conversion id."""
    dup = con.execute(
        f"SELECT conversion_id FROM {_CONV} GROUP BY conversion_id HAVING COUNT(*) > 1 LIMIT 1"
    ).fetchone()
    refuse_inputs(repeated=dup[0] if dup else None)


def _count(con: duckdb.DuckDBPyConnection, *, free: bool) -> tuple[int, int | None]:
    """The number of touches, and of those with no time when the count reads them anyway
    (not `free`: a text file is parsed to count it); None when it was not counted."""
    if free:
        row = con.execute(f"SELECT COUNT(*) FROM {_ALL_TOUCH}").fetchone()
        return (int(row[0]) if row else 0), None
    row = con.execute(
        f"SELECT COUNT(*), COUNT(*) FILTER (WHERE ts IS NULL) FROM {_ALL_TOUCH}"
    ).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


#: The dictionary stages and the column of each that is NULL for a touch without one.
_DICTIONARIES = {"sr_channels": "channel", "sr_contacts": "contact_id"}


def _check_touches(
    con: duckdb.DuckDBPyConnection, *, force: bool = False, dictionaries: Sequence[str] = ()
) -> None:
    """Touches with no time, contact or channel refused, counted over every touch (`force`:
    there are some; otherwise only when one of `dictionaries` holds a NULL contact or channel —
    integer keys have no contact dictionary and no NULL contact)."""
    if not force:
        nulls = " + ".join(
            f"(SELECT COUNT(*) FROM {d} WHERE {_DICTIONARIES[d]} IS NULL)" for d in dictionaries
        )
        row = con.execute(f"SELECT {nulls}").fetchone() if nulls else None
        if not (row and row[0]):
            return
    row = con.execute(
        f"SELECT COUNT(*) FROM {_ALL_TOUCH} "
        "WHERE ts IS NULL OR contact_id IS NULL OR channel IS NULL"
    ).fetchone()
    refuse_inputs(touches=int(row[0]) if row else 0)


def run(
    touchpoints: Source, conversions: Source, plan: Plan, settings: EngineSettings
) -> tuple[dict[str, pl.DataFrame], AttributionSQL]:
    """Every output of `plan`'s SQL on DuckDB (the Runner protocol), contacts keyed by their
    integer ids when they all are integers, else by a dictionary."""
    return run_plan(touchpoints, conversions, plan, settings)


def run_plan(
    touchpoints: Source,
    conversions: Source,
    plan: Plan,
    settings: EngineSettings,
    *,
    timings: dict[str, float] | None = None,
    cpu: dict[str, float] | None = None,
    details: dict[str, int] | None = None,
) -> tuple[dict[str, pl.DataFrame], AttributionSQL]:
    """:func:`run`, with the seconds of each step as :func:`run_sql` gives them (``keys``:
    choosing the contact keys) and its `details`."""
    sql = plan.sql("duckdb", touches=_TOUCH, conversions=_CONV)  # checks the plan first

    def render(keys: str) -> AttributionSQL:
        if keys == sql.contact_keys:
            return sql
        return plan.sql("duckdb", touches=_TOUCH, conversions=_CONV, contact_keys=keys)

    return _connected(
        touchpoints,
        conversions,
        plan,
        settings,
        render=render,
        fixed=None,
        timings=timings,
        cpu=cpu,
        details=details,
    )


def run_sql(
    touchpoints: Source,
    conversions: Source,
    plan: Plan,
    settings: EngineSettings,
    sql: AttributionSQL,
    *,
    timings: dict[str, float] | None = None,
    cpu: dict[str, float] | None = None,
    details: dict[str, int] | None = None,
) -> dict[str, pl.DataFrame]:
    """Every output of `sql` (DuckDB text reading ``sr_input_touches`` and
    ``sr_input_conversions``: `plan`'s SQL, possibly by way of another dialect) on DuckDB.
    `timings`, when given, receives the seconds of the input check, each stage and each
    output, by name (summed over the buckets); `cpu` the process's CPU seconds (all threads)
    of each; `details` the number of ``touches`` and of ``buckets`` run. SQL with integer
    contact keys is refused unless every contact id is an integer's text."""
    outputs, _ = _connected(
        touchpoints,
        conversions,
        plan,
        settings,
        render=lambda _: sql,
        fixed=sql.contact_keys,
        timings=timings,
        cpu=cpu,
        details=details,
    )
    return outputs


def _connected(
    touchpoints: Source,
    conversions: Source,
    plan: Plan,
    settings: EngineSettings,
    *,
    render: Callable[[str], AttributionSQL],
    fixed: str | None,
    timings: dict[str, float] | None,
    cpu: dict[str, float] | None,
    details: dict[str, int] | None,
) -> tuple[dict[str, pl.DataFrame], AttributionSQL]:
    """:func:`_execute` on a fresh connection with the input views; DuckDB's errors as
    DataErrors."""
    with connect(settings) as con:
        try:
            free = _views(con, touchpoints, conversions, plan)
            return _execute(
                con,
                render,
                plan,
                settings,
                fixed=fixed,
                free=free,
                timings=timings,
                cpu=cpu,
                details=details,
            )
        except duckdb.Error as err:
            raise DataError(f"DuckDB: {err}") from err


_NOT_INTEGER = "integer contact keys need every contact id to be an integer"


@contextmanager
def _timed(
    name: str, timings: dict[str, float] | None, cpu: dict[str, float] | None
) -> Iterator[None]:
    start, cpu0 = time.perf_counter(), time.process_time()
    yield
    if timings is not None:
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - start
    if cpu is not None:
        cpu[name] = cpu.get(name, 0.0) + time.process_time() - cpu0


_SIZE = re.compile(r"^\s*([0-9.]+)\s*([KMGTP]?)(I?B)?(YTES)?\s*$", re.IGNORECASE)


def _memory_bytes(con: duckdb.DuckDBPyConnection) -> float | None:
    """The connection's memory limit in bytes (DuckDB prints it as ``7.4 GiB``); None if unread."""
    row = con.execute("SELECT current_setting('memory_limit')").fetchone()
    match = _SIZE.match(str(row[0])) if row else None
    if not match:
        return None
    number, prefix, unit = match.group(1), match.group(2).upper(), (match.group(3) or "B")
    base = 1024 if unit.upper() == "IB" else 1000
    return float(number) * float(base ** "_KMGTP".index(prefix or "_"))


def bucket_count(touches: int, memory: float | None, plan: Plan) -> int:
    """How many buckets of contacts `touches` take for each to fit in :data:`BUCKET_SHARE` of
    `memory` bytes of DuckDB memory (:data:`BYTES_PER_TOUCH`, and :data:`BYTES_PER_COLUMN` per
    group column and ref): 1 while they fit in one."""
    if not memory or memory <= 0:
        return 1
    width = BYTES_PER_TOUCH + BYTES_PER_COLUMN * (
        len(plan.touch_columns) + 1 if plan.touch_columns else 0
    )
    return max(1, min(MAX_BUCKETS, math.ceil(touches * width / (memory * BUCKET_SHARE))))


def _execute(
    con: duckdb.DuckDBPyConnection,
    render: Callable[[str], AttributionSQL],
    plan: Plan,
    settings: EngineSettings,
    *,
    fixed: str | None,
    free: bool,
    timings: dict[str, float] | None,
    cpu: dict[str, float] | None,
    details: dict[str, int] | None,
) -> tuple[dict[str, pl.DataFrame], AttributionSQL]:
    """The input check, the contact keys (`fixed`, else chosen), the stages, then the outputs
    of the SQL `render` gives for those keys, on the input views: once, or once per bucket of
    contacts (the channel dictionary once, first), outputs added up. `free`: counting the
    touches reads nothing (:func:`_views`)."""
    with _timed("check", timings, cpu):
        _check_conversions(con)
        touches, no_time = _count(con, free=free)
    buckets = settings.buckets or bucket_count(touches, _memory_bytes(con), plan)
    if details is not None:
        details.update(touches=touches, buckets=buckets)
    if buckets == 1:
        with _timed("check", timings, cpu):
            if no_time is None:
                _, no_time = _count(con, free=False)
            if no_time:
                _check_touches(con, force=True)
            _check_repeats(con)
        keys = "dictionary"
        if fixed != "dictionary":
            with _timed("keys", timings, cpu):
                keys = contact_keys(con)
        if fixed == "integer" and keys != "integer":
            raise DataError(_NOT_INTEGER)
        sql = render(keys)
        return _once(con, sql, timings, cpu), sql
    keys = fixed or "dictionary"
    if not fixed:
        with _timed("keys", timings, cpu):
            keys = "integer" if _maybe_integer(con) else "dictionary"
    staged, keys = _staged(
        con, plan, keys, buckets, fixed=fixed is not None, timings=timings, cpu=cpu
    )
    with _timed("check", timings, cpu):
        _check_repeats(con)
    sql = render(keys)
    try:
        return _passes(con, sql, buckets, staged, timings=timings, cpu=cpu), sql
    finally:
        shutil.rmtree(staged, ignore_errors=True)


def _staged(
    con: duckdb.DuckDBPyConnection,
    plan: Plan,
    keys: str,
    buckets: int,
    *,
    fixed: bool,
    timings: dict[str, float] | None,
    cpu: dict[str, float] | None,
) -> tuple[Path, str]:
    """The touches staged (:func:`_stage`) with `keys`, checked: touches with no time refused;
    staged as integers with an id that is not one, staged again with the dictionary's text
    ids (refused when the keys are `fixed`). Returns the folder and the keys it holds."""
    with _timed("buckets", timings, cpu):
        staged = _stage(con, plan, keys, buckets)
    with _timed("check", timings, cpu):
        no_contact, no_time = _staged_check(con, staged)
    if no_time or (no_contact and keys == "dictionary"):
        _check_touches(con, force=True)
    if no_contact and keys == "integer":
        shutil.rmtree(staged, ignore_errors=True)
        if fixed:
            _check_touches(con, force=True)  # no contact at all: that error first
            raise DataError(_NOT_INTEGER)
        return _staged(con, plan, "dictionary", buckets, fixed=fixed, timings=timings, cpu=cpu)
    return staged, keys


def _passes(
    con: duckdb.DuckDBPyConnection,
    sql: AttributionSQL,
    buckets: int,
    staged: Path,
    *,
    timings: dict[str, float] | None,
    cpu: dict[str, float] | None,
) -> dict[str, pl.DataFrame]:
    """The stages and outputs of `sql` once per bucket of the `staged` touches (the channel
    dictionary once, first, from every touch), the outputs added up."""
    integer = sql.contact_keys == "integer"
    shared = [q for q in sql.stages if q.name == "sr_channels"]
    for stage in shared:  # every touch's channel: the same bits in every bucket
        with _timed(stage.name, timings, cpu):
            con.execute(f"CREATE TEMP TABLE {stage.name} AS {stage.sql}")
    if shared:
        _check_touches(con, dictionaries=["sr_channels"])
    else:  # SQL without the dictionaries: count them out
        _check_touches(con, force=True)
    local = [q for q in sql.stages if q.name != "sr_channels"]
    # The conversions, read once with their buckets: each pass takes its own by one column.
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {_STAGED_CONV} AS SELECT *, "
        f"{_bucket_key(integer)} % {buckets} AS {_BUCKET} FROM {_ALL_CONV}"
    )
    parts: list[dict[str, pl.DataFrame]] = []
    for index in range(buckets):
        _bucket(con, index, buckets, staged, integer=integer)
        for stage in local:
            with _timed(stage.name, timings, cpu):
                con.execute(f"CREATE OR REPLACE TEMP TABLE {stage.name} AS {stage.sql}")
        part = {}
        for q in sql.outputs:
            if q.name != "channels" or not index:
                with _timed(q.name, timings, cpu):
                    part[q.name] = con.execute(q.sql).pl()
        parts.append(part)
        for stage in local:
            con.execute(f"DROP TABLE IF EXISTS {stage.name}")
    _bucket(con, 0, 1)
    con.execute(f"DROP TABLE {_STAGED_CONV}")
    return combine(parts)


def _once(
    con: duckdb.DuckDBPyConnection,
    sql: AttributionSQL,
    timings: dict[str, float] | None,
    cpu: dict[str, float] | None,
) -> dict[str, pl.DataFrame]:
    """The stages, then the outputs of `sql`, in one pass over every contact."""
    names = {q.name for q in sql.stages}
    # The touches' contacts and channels are known once both dictionaries are built.
    dictionaries = sorted({"sr_channels", "sr_contacts"} & names)
    done: set[str] = set()
    checked = False
    for stage in sql.stages:
        with _timed(stage.name, timings, cpu):
            con.execute(f"CREATE TEMP TABLE {stage.name} AS {stage.sql}")
            done.add(stage.name)
            if dictionaries and done >= set(dictionaries) and not checked:
                _check_touches(con, dictionaries=dictionaries)
                checked = True
    if not checked:  # SQL without the dictionaries: count them out
        _check_touches(con, force=True)
    outputs = {}
    for q in sql.outputs:
        with _timed(q.name, timings, cpu):
            outputs[q.name] = con.execute(q.sql).pl()
    return outputs
