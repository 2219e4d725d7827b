"""The embedded store: one DuckDB file with the canonical tables, sync state and a run log.

Every write is one transaction. Loads upsert by primary key, so loading the same rows twice changes
nothing. The store keeps each canonical table's key unique itself (every write replaces the rows
whose key it carries); the tables have no PRIMARY KEY index, which DuckDB would maintain one entry
at a time (a 1M-row load: seconds, most of the load's time). Stores created with that index lose
it the first time they are opened for writing.

DuckDB lets one process hold a file for writing; a second writer waits up to `wait_seconds` for
the first to finish and then fails with StoreLocked, never touching the file.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from socialroi import clock, schema
from socialroi.errors import DataError, StoreError, StoreLocked

DEFAULT_STORE = Path("data/socialroi.duckdb")
STORE_ENV = "SOCIALROI_STORE"

_DUCK_TYPES: dict[type[pl.DataType], str] = {
    pl.String: "VARCHAR",
    pl.Float64: "DOUBLE",
    pl.Int64: "BIGINT",
    pl.Boolean: "BOOLEAN",
    pl.Date: "DATE",
    pl.Datetime: "TIMESTAMPTZ",
}

_INTERNAL_DDL = (
    """CREATE TABLE IF NOT EXISTS run_log (
        run_id VARCHAR PRIMARY KEY, kind VARCHAR NOT NULL, target VARCHAR,
        started_at TIMESTAMPTZ NOT NULL, ended_at TIMESTAMPTZ, status VARCHAR NOT NULL,
        rows BIGINT, error VARCHAR, pid BIGINT, host VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS sync_state (
        adapter VARCHAR NOT NULL, stream VARCHAR NOT NULL, state VARCHAR NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL, PRIMARY KEY (adapter, stream))""",
    """CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)""",
    # One row per import batch that kept undo records; undone_at is set when it is undone.
    """CREATE TABLE IF NOT EXISTS import_batches (
        batch_id VARCHAR PRIMARY KEY, undone_at TIMESTAMPTZ, undone_by VARCHAR)""",
    # An import batch's undo records: rows of one table as Arrow IPC (see adapters/batches.py).
    """CREATE TABLE IF NOT EXISTS import_undo_parts (
        batch_id VARCHAR NOT NULL, table_name VARCHAR NOT NULL, op VARCHAR NOT NULL,
        part INTEGER NOT NULL, n_rows BIGINT NOT NULL, data BLOB NOT NULL)""",
)

#: A store file smaller than this is read by one DuckDB thread (see `Store.open`).
SMALL_STORE_BYTES = 64 * 1024 * 1024

#: The error of a run whose process ended (killed, out of memory) before the run finished.
INTERRUPTED = "interrupted (the process ended before the run finished)"

#: Import batches' undo records for table T live in UNDO_PREFIX + T (see adapters/batches.py).
UNDO_PREFIX = "import_undo_"


def default_path() -> Path:
    """The store path from SOCIALROI_STORE, else data/socialroi.duckdb."""
    env = os.environ.get(STORE_ENV)
    return Path(env) if env else DEFAULT_STORE


def resolve_path(path: str | Path | None, configured: str | Path | None = None) -> Path:
    """The store to use: `path` (``--store``, which click also fills from SOCIALROI_STORE), else
    `configured` (the config's ``[store] path``, ``Settings.store``), else :func:`default_path`."""
    if path is not None:
        return Path(path)
    if configured is not None:
        return Path(configured)
    return default_path()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_ddl(t: schema.Table, name: str | None = None) -> str:
    """CREATE TABLE IF NOT EXISTS for canonical table `t` (called `name`, default its own).

    Key columns are NOT NULL; the key's uniqueness is kept by the store's writes (no index)."""
    cols = []
    for c in t.columns:
        null = " NOT NULL" if (not c.nullable or c.name in t.key) else ""
        cols.append(f"{_quote(c.name)} {_DUCK_TYPES[type(c.dtype)]}{null}")
    return f"CREATE TABLE IF NOT EXISTS {_quote(name or t.name)} ({', '.join(cols)})"


class Store:
    """An open store. Use `Store.open(path)` as a context manager."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, *, read_only: bool) -> None:
        self._con = con
        self.path = path
        self.read_only = read_only
        self._in_tx = False
        #: A read-only store's tables and columns, read once (nothing can change them while it
        #: is open: DuckDB lets no writer in).
        self._frozen_catalogue: dict[str, set[str]] | None = None

    # -- opening -----------------------------------------------------------------------------
    @classmethod
    @contextmanager
    def open(
        cls,
        path: str | Path | None = None,
        *,
        read_only: bool = False,
        wait_seconds: float = 30.0,
        threads: int | None = None,
    ) -> Iterator[Store]:
        """Open (creating when writable and missing) the store at `path`.

        Waits up to `wait_seconds` while another process holds the file, then raises StoreLocked.
        `threads`: DuckDB's worker threads (default: one per core, but one to read a store under
        SMALL_STORE_BYTES); one is faster for a small store such as the demo's, where splitting
        the work costs more than it saves.
        """
        p = Path(path) if path is not None else default_path()
        if read_only and not p.exists():
            raise StoreError(f"no store at {p}: run `socialroi demo`, `import` or `pull` first")
        if not read_only:
            try:
                p.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                why = "a file has that name" if isinstance(exc, FileExistsError) else exc.strerror
                raise StoreError(f"cannot create store {p}: no folder {p.parent} ({why})") from None
        con = cls._connect(p, read_only=read_only, wait_seconds=wait_seconds)
        if threads is None and read_only and p.stat().st_size < SMALL_STORE_BYTES:
            threads = 1
        store = cls(con, p, read_only=read_only)
        try:
            con.execute("SET TimeZone = 'UTC'")
            if threads is not None:
                con.execute(f"SET threads = {int(threads)}")
            # DuckDB draws a progress bar on stdout for queries over 2 s; stdout is for data.
            # (Inside Jupyter without ipywidgets DuckDB refuses to change the setting: keep going.)
            with contextlib.suppress(duckdb.Error):
                con.execute("SET enable_progress_bar = false")
            if not read_only:
                store._create_tables()
            yield store
        finally:
            con.close()

    @staticmethod
    def _connect(p: Path, *, read_only: bool, wait_seconds: float) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + wait_seconds
        delay = 0.05
        while True:
            try:
                return duckdb.connect(str(p), read_only=read_only)
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower():
                    raise StoreError(f"cannot open store {p}: {exc}") from None
                if time.monotonic() >= deadline:
                    raise StoreLocked(
                        f"store {p} is in use by another socialroi process; waited "
                        f"{wait_seconds:g}s. Try again when it has finished."
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
            except duckdb.Error as exc:
                raise StoreError(f"cannot open store {p}: {exc}") from None

    def _create_tables(self) -> None:
        """Create missing tables, and add columns a newer schema gained to older stores.

        One catalogue query says what exists; the statements needed run as one batch (a new
        store: only CREATE TABLE statements). No parameters are bound on this path (DuckDB imports
        pandas, when installed, to inspect bound values)."""
        with self.transaction():
            have = self._catalogue()
            indexed = self._keyed_tables() if have else set()
            ddl: list[str] = []
            for t in schema.TABLES.values():
                if t.name not in have:
                    ddl.append(table_ddl(t))
                    continue
                added = self._missing_columns_ddl(t.name, t, have[t.name])
                if t.name in indexed:  # the rebuild copies every column: add them first
                    for statement in added:
                        self._con.execute(statement)
                    self._drop_key_index(t)
                else:
                    ddl.extend(added)
            ddl.extend(_INTERNAL_DDL)
            if "run_log" in have:  # older stores
                ddl.extend(
                    f"ALTER TABLE run_log ADD COLUMN IF NOT EXISTS {column} {kind}"
                    for column, kind in (("pid", "BIGINT"), ("host", "VARCHAR"))
                )
            for name, columns in have.items():
                canonical = schema.TABLES.get(name.removeprefix(UNDO_PREFIX))
                if name.startswith(UNDO_PREFIX) and canonical is not None:
                    ddl.extend(self._missing_columns_ddl(name, canonical, columns))
            self._con.execute(";\n".join(ddl))
            if "run_log" in have:
                self._close_interrupted()

    def _catalogue(self) -> dict[str, set[str]]:
        """The columns of each table of this store's main schema."""
        rows = self._con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() "
            "WHERE database_name = current_database() AND schema_name = 'main'"
        ).fetchall()
        out: dict[str, set[str]] = {}
        for table, column in rows:
            out.setdefault(str(table), set()).add(str(column))
        return out

    def _keyed_tables(self) -> set[str]:
        """Tables of this store's main schema that have a PRIMARY KEY constraint."""
        rows = self._con.execute(
            "SELECT table_name FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY' "
            "AND database_name = current_database() AND schema_name = 'main'"
        ).fetchall()
        return {str(r[0]) for r in rows}

    def _drop_key_index(self, t: schema.Table) -> None:
        """Rebuild canonical table `t` (of an older store) without its PRIMARY KEY index."""
        cols = ", ".join(_quote(c) for c in t.names)
        order = ", ".join(_quote(k) for k in t.key)
        staged = f"_{t.name}_rebuilt"
        self._con.execute(f"DROP TABLE IF EXISTS {_quote(staged)}")
        self._con.execute(table_ddl(t, staged))
        self._con.execute(
            f"INSERT INTO {_quote(staged)} ({cols}) SELECT {cols} FROM {_quote(t.name)} "
            f"ORDER BY {order}"
        )
        self._con.execute(f"DROP TABLE {_quote(t.name)}")
        self._con.execute(f"ALTER TABLE {_quote(staged)} RENAME TO {_quote(t.name)}")

    def _add_missing_columns(self, name: str, t: schema.Table) -> None:
        """Add to table `name` the columns of `t` it lacks (nullable)."""
        for ddl in self._missing_columns_ddl(name, t, self._columns(name)):
            self._con.execute(ddl)

    @staticmethod
    def _missing_columns_ddl(name: str, t: schema.Table, have: set[str]) -> list[str]:
        """ALTER TABLE statements adding to table `name` (with columns `have`) those of `t` it
        lacks (nullable)."""
        return [
            f"ALTER TABLE {_quote(name)} ADD COLUMN {_quote(c.name)} {_DUCK_TYPES[type(c.dtype)]}"
            for c in t.columns
            if c.name not in have
        ]

    def _columns(self, table: str) -> set[str]:
        if self.read_only:
            if self._frozen_catalogue is None:
                self._frozen_catalogue = self._catalogue()
            return self._frozen_catalogue.get(table, set())
        # The name inlined as a literal: no bound parameter on the read path (see _frame).
        rows = self._con.execute(
            f"SELECT column_name FROM duckdb_columns() WHERE table_name = {_sql_string(table)} "
            "AND database_name = current_database() AND schema_name = 'main'"
        ).fetchall()
        return {r[0] for r in rows}

    # -- transactions ------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction; nested calls join the outer one. Rolls back on any exception."""
        if self._in_tx:
            yield
            return
        self._con.execute("BEGIN TRANSACTION")
        self._in_tx = True
        try:
            yield
        except BaseException:
            self._con.execute("ROLLBACK")
            raise
        else:
            self._con.execute("COMMIT")
        finally:
            self._in_tx = False

    # -- canonical tables --------------------------------------------------------------------
    def upsert(self, table: str, df: pl.DataFrame, *, source: str | None = None) -> int:
        """Insert or replace rows by primary key in one transaction; returns rows written.

        Exact repeats collapse to one row. Two rows with the same key and different content in one
        batch are a DataError naming the second row.
        """
        return self.upsert_many({table: df}, source=source)

    def upsert_many(self, frames: Mapping[str, pl.DataFrame], *, source: str | None = None) -> int:
        """Upsert several tables in one transaction: all land or none do."""
        self._check_writable()
        prepared: list[tuple[schema.Table, pl.DataFrame]] = []
        for name, df in frames.items():
            t = schema.table(name)
            conformed = schema.conform(name, df, source=source)
            if conformed.select(t.key).n_unique() == conformed.height:
                prepared.append((t, conformed))  # unique keys: no repeats to check or collapse
                continue
            if (clash := schema.first_clash(name, conformed)) is not None:
                raise DataError(
                    f"duplicate key {', '.join(t.key)} with different content in table '{name}'",
                    file=source,
                    row=clash[1] + 1,
                    column=t.key[0],
                )
            prepared.append((t, conformed.unique(maintain_order=True)))
        written = 0
        with self.transaction():
            for t, df in prepared:
                if df.height == 0:
                    continue
                self.replace_rows(t.name, df)
                written += df.height
        return written

    def replace_rows(self, table: str, df: pl.DataFrame, *, new_keys: bool = False) -> None:
        """Write `df` (every column of `table`, typed, keys unique) in place of the stored rows
        with its keys, in one transaction. `new_keys`: the caller knows the store holds none of
        them (nothing to delete first)."""
        self._check_writable()
        t = schema.table(table)
        if df.height == 0:
            return
        cols = ", ".join(_quote(c) for c in t.names)
        target = _quote(t.name)
        on = " AND ".join(f"s.{_quote(k)} = i.{_quote(k)}" for k in t.key)
        with self.transaction():
            if not new_keys and self.count(t.name):
                with self.registered("_incoming", df):
                    self._con.execute(f"DELETE FROM {target} s USING _incoming i WHERE {on}")
            with self.registered("_incoming", df):
                self._con.execute(f"INSERT INTO {target} ({cols}) SELECT {cols} FROM _incoming")

    def delete_keys(self, table: str, keys: pl.DataFrame) -> int:
        """Delete the rows of `table` whose key is a row of `keys` (the key columns); returns rows
        deleted. One transaction."""
        self._check_writable()
        t = schema.table(table)
        if keys.height == 0:
            return 0
        name = _quote(t.name)
        before = self.count(t.name)
        on = " AND ".join(f"s.{_quote(k)} = _keys.{_quote(k)}" for k in t.key)
        with self.transaction(), self.registered("_keys", keys.select(t.key).unique()):
            self._con.execute(f"DELETE FROM {name} s USING _keys WHERE {on}")
        return before - self.count(t.name)

    def undo_table(self, table: str) -> str:
        """The internal table of import undo records for canonical `table`, created on demand.

        It has the table's columns (all nullable) plus `_batch` (the batch id) and `_op`. Columns
        a newer schema gained are added to undo tables too (here and when a store is opened).
        """
        self._check_writable()
        t = schema.table(table)
        name = UNDO_PREFIX + t.name
        cols = [f"{_quote(c.name)} {_DUCK_TYPES[type(c.dtype)]}" for c in t.columns]
        with self.transaction():
            self._con.execute(
                f"CREATE TABLE IF NOT EXISTS {_quote(name)} "
                f"({', '.join(cols)}, _batch VARCHAR NOT NULL, _op VARCHAR NOT NULL)"
            )
            self._add_missing_columns(name, t)
        return name

    def has_table(self, name: str) -> bool:
        """Whether the store holds a table called `name` (canonical or internal)."""
        return bool(self._columns(name))

    @contextmanager
    def registered(self, name: str, df: pl.DataFrame) -> Iterator[None]:
        """`df` visible to SQL as the view `name` for ONE statement, which may read it once.

        DuckDB reads it in place as an Arrow C stream: a polars frame registered as such would
        load pyarrow, and reading it pandas (together about 0.5 s and 90 MB); a stream needs
        neither. A stream is read once: a second statement needs `registered` again.
        """
        self._con.register(name, df.__arrow_c_stream__())
        try:
            yield
        finally:
            self._con.unregister(name)

    def append(self, table: str, rows: pl.DataFrame) -> None:
        """Insert `rows` into `table` (canonical or internal), their columns by name."""
        self._check_writable()
        if rows.height == 0:
            return
        cols = ", ".join(_quote(c) for c in rows.columns)
        with self.registered("_appended", rows):
            self._con.execute(f"INSERT INTO {_quote(table)} ({cols}) SELECT {cols} FROM _appended")

    def execute(self, sql: str, params: list[Any] | None = None) -> None:
        """Run one writing SQL statement (inside the current transaction when there is one).

        Bound `params` make DuckDB load pandas, when installed, to inspect them (about 0.5 s):
        a hot path inlines its values (`sql_literal`) or uses `append`."""
        self._check_writable()
        if params:
            self._con.execute(sql, params)
        else:
            self._con.execute(sql)

    def read(self, table: str) -> pl.DataFrame:
        """The whole table with its canonical schema, in key order."""
        t = schema.table(table)
        have = self._columns(t.name)
        if not have:  # a read-only store older than the table
            return schema.empty(table)
        # A read-only store older than a column shows it empty (a writable one gained it on open).
        cols = ", ".join(_quote(c) if c in have else f"NULL AS {_quote(c)}" for c in t.names)
        order = ", ".join(_quote(k) for k in t.key)
        df = _frame(self._con.sql(f"SELECT {cols} FROM {_quote(t.name)} ORDER BY {order}"))
        if df.height == 0:
            return schema.empty(table)
        return df.cast(t.polars_schema)  # type: ignore[arg-type]

    def read_all(self) -> dict[str, pl.DataFrame]:
        """Every canonical table, by name."""
        return {name: self.read(name) for name in schema.TABLES}

    def count(self, table: str) -> int:
        t = schema.table(table)
        row = self._con.execute(f"SELECT count(*) FROM {_quote(t.name)}").fetchone()
        return int(row[0]) if row else 0

    def query(self, sql: str, params: list[Any] | None = None) -> pl.DataFrame:
        """Run read-only SQL against the store and return a polars frame."""
        if not params:
            return _frame(self._con.sql(sql))
        return self._con.execute(sql, params).pl()

    def clear(self, table: str) -> None:
        """Remove every row of a canonical table (used before regenerating demo data).

        Drops and recreates the table inside the transaction (instant, whatever its size).
        """
        self._check_writable()
        t = schema.table(table)
        with self.transaction():
            self._con.execute(f"DROP TABLE IF EXISTS {_quote(t.name)}")
            self._con.execute(table_ddl(t))

    # -- sync state and run log --------------------------------------------------------------
    def get_state(self, adapter: str, stream: str) -> dict[str, Any] | None:
        row = self._con.execute(
            "SELECT state FROM sync_state WHERE adapter = ? AND stream = ?", [adapter, stream]
        ).fetchone()
        return json.loads(row[0]) if row else None

    def set_state(self, adapter: str, stream: str, state: Mapping[str, Any]) -> None:
        """Record a stream's cursor. Call inside the transaction that commits its rows."""
        self._check_writable()
        with self.transaction():
            text = json.dumps(dict(state), sort_keys=True, default=str)
            values = ", ".join(sql_literal(v) for v in (adapter, stream, text, clock.now()))
            self._con.execute(f"INSERT OR REPLACE INTO sync_state VALUES ({values})")

    def get_meta(self, key: str) -> str | None:
        # Inlined as a literal: no bound parameter on the read path (see _frame).
        row = self._con.execute(f"SELECT value FROM meta WHERE key = {_sql_string(key)}").fetchone()
        return str(row[0]) if row else None

    def set_meta(self, key: str, value: str) -> None:
        self._check_writable()
        with self.transaction():
            self._con.execute(
                f"INSERT OR REPLACE INTO meta VALUES ({sql_literal(key)}, {sql_literal(value)})"
            )

    @contextmanager
    def run(self, kind: str, target: str | None = None) -> Iterator[RunRecord]:
        """Log one import or pull: start, end, rows and status ('ok' or 'error' with the message).

        A run that handled its own failure sets `rec.error` to be logged as 'error' all the same.

        The log row is written outside the data transaction so a failed load is still recorded.
        """
        self._check_writable()
        rec = RunRecord(run_id=uuid.uuid4().hex, kind=kind, target=target, started_at=clock.now())
        values = ", ".join(
            sql_literal(v) for v in (rec.run_id, kind, target, rec.started_at, "running")
        )
        pid, host = _process()
        self._con.execute(  # values inlined: no bound parameter (see `execute`)
            "INSERT INTO run_log (run_id, kind, target, started_at, status, pid, host) "
            f"VALUES ({values}, {sql_literal(pid)}, {sql_literal(host)})"
        )
        try:
            yield rec
        except BaseException as exc:
            self._finish(rec, "error", str(exc) or type(exc).__name__)
            raise
        else:
            self._finish(rec, "error" if rec.error else "ok", rec.error)

    def _finish(self, rec: RunRecord, status: str, error: str | None) -> None:
        ended, rows = sql_literal(clock.now()), sql_literal(rec.rows)
        self._con.execute(  # values inlined: no bound parameter (see `execute`)
            f"UPDATE run_log SET ended_at = {ended}, status = {sql_literal(status)}, "
            f"rows = {rows}, error = {sql_literal(error)} WHERE run_id = {sql_literal(rec.run_id)}"
        )

    def _close_interrupted(self) -> None:
        """Mark 'error' the runs left 'running' by another process (see `runs`)."""
        self._con.execute(
            f"UPDATE run_log SET status = 'error', error = {_sql_string(INTERRUPTED)} "
            f"WHERE {_running_elsewhere()}"
        )

    def runs(self) -> pl.DataFrame:
        """The run log, oldest first.

        A run still 'running' that another process started shows as 'error' with INTERRUPTED:
        while this store is open no other process can write to it (DuckDB locks the file), so
        that process ended without finishing the run (killed by cron, out of memory). Opening
        the store for writing records that in the log; a read-only open shows it all the same.
        """
        elsewhere = _running_elsewhere()
        return _frame(
            self._con.sql(
                f"SELECT * REPLACE (CASE WHEN {elsewhere} THEN 'error' ELSE status END AS status, "
                f"CASE WHEN {elsewhere} THEN {_sql_string(INTERRUPTED)} ELSE error END AS error) "
                "FROM run_log ORDER BY started_at"
            )
        )

    def _check_writable(self) -> None:
        if self.read_only:
            raise StoreError(f"store {self.path} was opened read-only")


def _frame(rel: duckdb.DuckDBPyRelation) -> pl.DataFrame:
    """A query's result as a polars frame through the Arrow C stream interface: the same
    columns and types as DuckDB's ``.pl()``, without loading pyarrow (about 90 MB).

    The read path also binds no parameters: DuckDB then imports pandas (and with it pyarrow)
    whenever pandas is installed, to check whether a value is a pandas object.
    """
    return pl.DataFrame(rel)


def _sql_string(text: str) -> str:
    """`text` as a SQL string literal (quotes doubled: DuckDB reads no backslash escapes)."""
    return "'" + text.replace("'", "''") + "'"


def sql_literal(value: str | int | datetime | None) -> str:
    """`value` as a SQL literal, to inline in a statement instead of binding it (see
    `Store.execute`): text quoted, a whole number as digits, a tz-aware date-time as a
    TIMESTAMPTZ to the microsecond, None as NULL."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        raise TypeError("no boolean literal is needed")
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("a date-time literal needs a time zone")
        return f"TIMESTAMPTZ {_sql_string(value.isoformat())}"
    return _sql_string(str(value))


def _running_elsewhere() -> str:
    """SQL condition on run_log: a run still 'running' that another process started."""
    pid, host = _process()
    return (
        f"status = 'running' AND (pid IS DISTINCT FROM {int(pid)} "
        f"OR host IS DISTINCT FROM {_sql_string(host)})"
    )


def _process() -> tuple[int, str]:
    """This process's id and host, recorded with each run it starts."""
    return os.getpid(), socket.gethostname()


class RunRecord:
    """What a run reports back to the log. Set `rows` as work is committed."""

    def __init__(self, *, run_id: str, kind: str, target: str | None, started_at: datetime) -> None:
        self.run_id = run_id
        self.kind = kind
        self.target = target
        self.started_at = started_at
        self.rows = 0
        #: Set to log the run as failed without raising (e.g. a pull whose streams failed).
        self.error: str | None = None
