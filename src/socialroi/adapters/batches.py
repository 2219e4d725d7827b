"""Import batches: one file's rows land all or none, merged into what the store holds, undoable.

A batch upserts rows into one or more canonical tables in one transaction. A row whose key the
store holds keeps every column the batch does not carry (a followers file does not erase the
impressions a content file loaded). Before it writes, a batch records each row it changes as it
was (or that it was absent), so `undo` can restore the store exactly, all or nothing. Every batch
is a run in the run log (kind 'import'); its run id is the batch id.

Undo records. A batch keeps, per table, three sets of rows: 'added' (rows the batch added, as it
wrote them), 'before' (rows it updated, as they were) and 'after' (those rows as it left them).
They are stored in the internal table ``import_undo_parts`` (batch_id, table_name, op, part,
n_rows, data): each set as Arrow IPC in parts of at most PART_ROWS rows, which costs a fraction
of writing them as rows. Batches of older versions kept them as rows in ``import_undo_T`` (T's
columns plus ``_batch`` and ``_op``); `undo` reads both. `undo` deletes the added rows and
writes the before-images back, but only when every added and after-image still equals the stored
row: a later batch or pull that changed one must be undone first (a pull cannot be undone, so
its rows then stay). The internal table ``import_batches`` has one row per batch
with undo records; its ``undone_at`` is set when the batch is undone, and `batches` then shows the
status 'undone' (the run log keeps the import's own status). The undo itself is a run of kind
'undo' whose target is the batch id. Undo records are kept after an undo.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import polars as pl

from socialroi import clock, schema
from socialroi.adapters._headers import DEFAULT_EMPTY
from socialroi.errors import DataError
from socialroi.store import UNDO_PREFIX, Store, sql_literal

__all__ = ["BatchResult", "TableCounts", "WriteProgress", "batches", "load_batch", "undo"]

#: progress(done, total) while writing: rows written so far of the rows to write.
WriteProgress = Callable[[int, int], None]

#: The shortest id prefix `undo` accepts.
MIN_PREFIX = 6
_STORED = "_stored"
_ROW = "_row"
#: Rows per stored part of an undo record (about 36 MB of touchpoints).
PART_ROWS = 1_000_000
_OPS = ("added", "before", "after")


@dataclass(frozen=True)
class TableCounts:
    """What a batch did to one table.

    For an import: `rows_read` = rows of its frame; `rows_new` keys the store did not hold;
    `rows_updated` stored rows whose content changed; `rows_unchanged` the rest (identical to the
    stored row, or an exact repeat of an earlier row): new + updated + unchanged = rows_read.
    For an undo: `rows_updated` rows restored to what they were, `rows_removed` rows the batch had
    added and the undo deleted, `rows_read` their sum.
    """

    table: str
    rows_read: int
    rows_new: int
    rows_updated: int
    rows_unchanged: int
    rows_removed: int = 0


@dataclass(frozen=True)
class BatchResult:
    #: The run id ('' for a dry run, which writes nothing); for an undo, the batch undone.
    batch_id: str
    tables: tuple[TableCounts, ...]

    @property
    def rows_written(self) -> int:
        return sum(t.rows_new + t.rows_updated + t.rows_removed for t in self.tables)


@dataclass(frozen=True)
class _Plan:
    table: schema.Table
    counts: TableCounts
    #: Rows to add (keys the store does not hold) and to update, every column of the table.
    new: pl.DataFrame
    updated: pl.DataFrame
    #: The stored rows `updated` replaces, as they are.
    before: pl.DataFrame

    @property
    def rows(self) -> int:
        return self.new.height + self.updated.height


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _typed(t: schema.Table, df: pl.DataFrame) -> pl.DataFrame:
    """`df`'s columns cast to the table's types (naive date-times taken as UTC)."""
    exprs: list[pl.Expr] = []
    for name in df.columns:
        want = t.column(name).dtype
        have = df.schema[name]
        e = pl.col(name)
        if have == want:
            exprs.append(e)
        elif isinstance(want, pl.Datetime) and isinstance(have, pl.Datetime):
            e = e.dt.replace_time_zone("UTC") if have.time_zone is None else e
            exprs.append(e.dt.convert_time_zone("UTC").dt.cast_time_unit("us"))
        else:
            exprs.append(e.cast(want, strict=True))
    try:
        return df.select(exprs)
    except pl.exceptions.PolarsError as exc:
        raise DataError(f"columns do not match table '{t.name}': {exc}") from None


def _first(mask: pl.Series) -> int | None:
    """The 0-based position of the first true value, or None."""
    return int(mask.arg_true()[0]) if mask.any() else None


def _incoming(t: schema.Table, df: pl.DataFrame) -> pl.DataFrame:
    """The frame checked and typed, with `_row` (0-based position), exact repeats dropped."""
    unknown = [c for c in df.columns if c not in t.names]
    if unknown:
        raise DataError(f"table '{t.name}' has no column(s) {unknown}", column=unknown[0])
    blank = DEFAULT_EMPTY.get(t.name, frozenset())
    missing = [k for k in t.key if k not in df.columns and k not in blank]
    if missing:
        raise DataError(f"missing key column(s) {missing} for table '{t.name}'", column=missing[0])
    out = _typed(t, df)
    fill = [
        pl.col(k).fill_null("") if k in out.columns else pl.lit("", dtype=pl.String()).alias(k)
        for k in t.key
        if k in blank
    ]
    if fill:
        out = out.with_columns(fill)
    for name in out.columns:
        col = t.column(name)
        s = out.get_column(name)
        if name in t.key and (i := _first(s.is_null())) is not None:
            raise DataError(f"required value is empty ({t.name}.{name})", row=i + 1, column=name)
        if col.nonnegative and (i := _first((s < 0).fill_null(False))) is not None:
            raise DataError(f"must not be negative ({t.name}.{name})", row=i + 1, column=name)
    out = out.with_row_index(_ROW)
    if out.select(t.key).hash_rows().n_unique() == out.height:
        return out  # no two keys hash alike, so none is repeated (a million keys: ~0.03 s)
    if (clash := schema.first_clash(t.name, out.drop(_ROW))) is not None:
        first, second = clash
        raise DataError(
            f"duplicate key {', '.join(t.key)} with different content in table '{t.name}' "
            f"(the same key as row {first + 1})",
            row=second + 1,
            column=t.key[0],
        )
    return out.unique(
        subset=[c for c in out.columns if c != _ROW], keep="first", maintain_order=True
    )


def _stored(store: Store, t: schema.Table, keys: pl.DataFrame) -> pl.DataFrame:
    """The stored rows whose key is in `keys`, every column, typed."""
    if store.count(t.name) == 0:
        return schema.empty(t.name)
    cols = ", ".join(f"s.{_q(c)}" for c in t.names)
    on = " AND ".join(f"s.{_q(k)} = k.{_q(k)}" for k in t.key)
    with store.registered("_batch_keys", keys):
        got = store.query(f"SELECT {cols} FROM {_q(t.name)} s JOIN _batch_keys k ON {on}")
    return got.select(t.names).cast(t.polars_schema)  # type: ignore[arg-type]


def _plan(store: Store, name: str, df: pl.DataFrame) -> _Plan:
    """Check one table's frame and merge it with the stored rows it touches."""
    t = schema.table(name)
    inc = _incoming(t, df)
    key = list(t.key)
    present = [c for c in t.names if c in inc.columns and c not in t.key]
    old = {c: f"_old_{c}" for c in t.names if c not in t.key}
    stored = _stored(store, t, inc.select(key))
    if stored.height:
        prev = stored.rename(old).with_columns(pl.lit(True).alias(_STORED))
        joined = inc.join(prev, on=key, how="left", maintain_order="left")
        exists = pl.col(_STORED).fill_null(False)
    else:  # nothing stored under these keys: skip the join
        joined = inc.with_columns(
            [pl.lit(None, dtype=t.column(c).dtype).alias(o) for c, o in old.items()]
        )
        exists = pl.lit(False)
    merged_cols = [
        pl.col(c) if c in t.key or c in present else pl.col(old[c]).alias(c) for c in t.names
    ]
    differs = pl.any_horizontal(
        [pl.col(c).ne_missing(pl.col(old[c])) for c in present] or [pl.lit(False)]
    )
    flagged = joined.with_columns(
        exists.alias("_exists"), (exists & differs).alias("_updated")
    ).select([pl.col(_ROW), pl.col("_exists"), pl.col("_updated"), *merged_cols])
    # A new key takes nulls for the columns the frame lacks: required ones must be there.
    for c in t.required:
        if c in t.key:
            continue
        if (i := _first(flagged.get_column(c).is_null())) is not None:
            if c in inc.columns:
                why = f"required value is empty ({t.name}.{c})"
            else:
                why = f"required column {t.name}.{c} is missing and the store holds no such row"
            raise DataError(why, row=int(flagged[_ROW][i]) + 1, column=c)
    new = flagged.filter(~pl.col("_exists")).select(t.names)
    updated = flagged.filter(pl.col("_updated")).select(t.names)
    before = stored.join(updated.select(key), on=key, how="semi") if updated.height else None
    counts = TableCounts(
        table=t.name,
        rows_read=df.height,
        rows_new=new.height,
        rows_updated=updated.height,
        rows_unchanged=df.height - new.height - updated.height,
    )
    return _Plan(t, counts, new, updated, stored.head(0) if before is None else before)


def _write(store: Store, plan: _Plan, batch_id: str) -> None:
    """Write the plan's rows and, in the same transaction, their undo records."""
    t = plan.table
    if plan.rows == 0:
        return
    store.replace_rows(t.name, plan.new, new_keys=True)
    store.replace_rows(t.name, plan.updated)
    parts: dict[str, list[object]] = {"op": [], "part": [], "n_rows": [], "data": []}
    for rows, op in ((plan.new, "added"), (plan.updated, "after"), (plan.before, "before")):
        for part, start in enumerate(range(0, rows.height, PART_ROWS)):
            chunk = rows.slice(start, PART_ROWS)
            data = io.BytesIO()
            chunk.write_ipc(data, compression="lz4")
            for name, value in zip(parts, (op, part, chunk.height, data.getvalue()), strict=True):
                parts[name].append(value)
    records = pl.DataFrame(
        parts, schema={"op": pl.String, "part": pl.Int32, "n_rows": pl.Int64, "data": pl.Binary}
    )
    store.append(  # one statement, no bound parameters (see Store.execute)
        "import_undo_parts",
        records.select(
            pl.lit(batch_id).alias("batch_id"), pl.lit(t.name).alias("table_name"), pl.all()
        ),
    )


def load_batch(
    store: Store,
    frames: Mapping[str, pl.DataFrame],
    *,
    target: str,
    dry_run: bool = False,
    progress: WriteProgress | None = None,
) -> BatchResult:
    """Merge `frames` (table -> rows with the key and the columns the file provides) into the store.

    `target` is the run log's target ("hubspot-contacts contacts.csv"). A dry run computes the
    same counts and writes nothing, not even a run log row.

    A column the frame lacks keeps its stored value (a new key: null; '' for costs' platform and
    employee_id); a column it has replaces it, an empty cell included. Exact repeats collapse;
    two rows with one key and different content, an empty key, a negative number where the
    schema forbids one, or a required column empty for a new key are a DataError whose `row` is
    the 1-based position in the frame. Rows identical to what the store holds are not rewritten.
    """
    if dry_run:
        plans = [_plan(store, name, df) for name, df in frames.items()]
        return BatchResult("", tuple(p.counts for p in plans))
    with store.run("import", target) as rec:
        with store.transaction():
            plans = [_plan(store, name, df) for name, df in frames.items()]
            total = sum(p.rows for p in plans)
            done = 0
            if progress is not None:
                progress(0, total)
            for p in plans:
                _write(store, p, rec.run_id)
                done += p.rows
                if progress is not None and p.rows:
                    progress(done, total)
            store.append("import_batches", pl.DataFrame({"batch_id": [rec.run_id]}))
        rec.rows = total
    return BatchResult(rec.run_id, tuple(p.counts for p in plans))


def batches(store: Store) -> pl.DataFrame:
    """Every import batch, newest first: batch_id, started_at, target, status, rows, undone_at.

    `status` is the run's ('ok', 'error', 'running') or 'undone'; `rows` the rows it wrote.
    """
    undone = (
        "LEFT JOIN import_batches b ON b.batch_id = r.run_id"
        if store.has_table("import_batches")
        else "LEFT JOIN (SELECT NULL::VARCHAR AS batch_id, NULL::TIMESTAMPTZ AS undone_at) b "
        "ON b.batch_id = r.run_id"
    )
    df = store.query(
        "SELECT r.run_id AS batch_id, r.started_at, r.target, "
        "CASE WHEN b.undone_at IS NULL THEN r.status ELSE 'undone' END AS status, "
        f"r.rows, b.undone_at FROM run_log r {undone} WHERE r.kind = 'import' "
        "ORDER BY r.started_at DESC, r.rowid DESC"
    )
    return df.cast(
        {
            "batch_id": pl.String,
            "started_at": schema.UTC_TS,
            "target": pl.String,
            "status": pl.String,
            "rows": pl.Int64,
            "undone_at": schema.UTC_TS,
        }
    )


def _resolve(store: Store, batch_id: str) -> str:
    """The full id of the import batch `batch_id` names (the id or a unique prefix of it)."""
    wanted = batch_id.strip().lower()
    if len(wanted) < MIN_PREFIX:
        raise DataError(
            f"batch id '{batch_id}' is too short: give at least {MIN_PREFIX} characters"
        )
    found = store.query(
        "SELECT run_id FROM run_log WHERE kind = 'import' "
        f"AND starts_with(run_id, {sql_literal(wanted)}) ORDER BY started_at"
    )["run_id"].to_list()
    if not found:
        raise DataError(f"no import batch '{batch_id}' (`socialroi imports` lists them)")
    if wanted in found:
        return wanted
    if len(found) > 1:
        shown = ", ".join(str(f)[:12] for f in found[:5])
        raise DataError(f"batch id '{batch_id}' is ambiguous: it starts {shown}; give more of it")
    return str(found[0])


def _key_text(t: schema.Table, row: Mapping[str, object]) -> str:
    return ", ".join(f"{k}={row[k]}" for k in t.key)


def _records(store: Store, batch: str, t: schema.Table) -> dict[str, pl.DataFrame]:
    """Batch `batch`'s undo records for table `t`, op -> rows (every column of `t`, typed; a
    column the schema gained since is empty)."""
    parts: dict[str, list[pl.DataFrame]] = {op: [] for op in _OPS}
    stored = store.query(
        f"SELECT op, data FROM import_undo_parts WHERE batch_id = {sql_literal(batch)} "
        f"AND table_name = {sql_literal(t.name)} ORDER BY op, part"
    )
    for op, data in stored.iter_rows():
        parts[op].append(pl.read_ipc(io.BytesIO(data), memory_map=False))
    old = UNDO_PREFIX + t.name
    if store.has_table(old):  # records of a batch from an older version
        cols = ", ".join(_q(c) for c in t.names)
        rows = store.query(f"SELECT {cols}, _op FROM {_q(old)} WHERE _batch = {sql_literal(batch)}")
        for op in _OPS:
            parts[op].append(rows.filter(pl.col("_op") == op).drop("_op"))
    out: dict[str, pl.DataFrame] = {}
    for op, frames in parts.items():
        typed = [
            f.with_columns(pl.lit(None).alias(c) for c in t.names if c not in f.columns)
            .select(t.names)
            .cast(t.polars_schema)  # type: ignore[arg-type]
            for f in frames
            if f.height
        ]
        out[op] = pl.concat(typed) if typed else schema.empty(t.name)
    return out


def _check_undoable(store: Store, batch: str) -> list[tuple[schema.Table, dict[str, pl.DataFrame]]]:
    """The tables batch `batch` wrote with its undo records, or a DataError saying why it cannot
    be undone."""
    short = batch[:12]
    run = store.query(f"SELECT status FROM run_log WHERE run_id = {sql_literal(batch)}")
    status = str(run["status"][0])
    info = (
        store.query(f"SELECT undone_at FROM import_batches WHERE batch_id = {sql_literal(batch)}")
        if store.has_table("import_batches")
        else pl.DataFrame()
    )
    if info.height == 0:
        if status != "ok":
            raise DataError(f"import {short} ended with status '{status}': it wrote nothing")
        raise DataError(f"import {short} kept no undo records (it predates undoable imports)")
    when = info["undone_at"][0]
    if when is not None:
        raise DataError(f"import {short} was already undone ({when:%Y-%m-%d %H:%M} UTC)")
    tables: list[tuple[schema.Table, dict[str, pl.DataFrame]]] = []
    for t in schema.TABLES.values():
        records = _records(store, batch, t)
        mine = pl.concat([records["added"], records["after"]])
        if mine.height == 0:
            continue
        key = list(t.key)
        now = _stored(store, t, mine.select(key))
        old = {c: f"_now_{c}" for c in t.names if c not in t.key}
        joined = mine.join(
            now.rename(old).with_columns(pl.lit(True).alias(_STORED)),
            on=key,
            how="left",
            nulls_equal=True,
        )
        changed = joined.filter(
            pl.col(_STORED).is_null()
            | pl.any_horizontal([pl.col(c).ne_missing(pl.col(o)) for c, o in old.items()])
        )
        if changed.height:
            shown = _key_text(t, changed.row(0, named=True))
            raise DataError(
                f"cannot undo import {short}: {t.name} row ({shown}) "
                "changed since it loaded; undo the later import that changed it first "
                "(`socialroi imports` lists them; a pull's changes cannot be undone)",
            )
        tables.append((t, records))
    return tables


def undo(store: Store, batch_id: str) -> BatchResult:
    """Restore every row batch `batch_id` changed to what it was before, in one transaction.

    Refused (DataError, nothing changed) when the batch is unknown, already undone, or when a
    later batch or pull changed one of its rows since (undo that one first). Logged as a run of
    kind 'undo'. `batch_id` may be a unique prefix of the id.
    """
    batch = _resolve(store, batch_id)
    tables = _check_undoable(store, batch)
    counts: list[TableCounts] = []
    with store.run("undo", batch) as rec:
        with store.transaction():
            for t, records in tables:
                added, before = records["added"], records["before"]
                removed = store.delete_keys(t.name, added.select(t.key)) if added.height else 0
                store.replace_rows(t.name, before)
                counts.append(
                    TableCounts(
                        table=t.name,
                        rows_read=removed + before.height,
                        rows_new=0,
                        rows_updated=before.height,
                        rows_unchanged=0,
                        rows_removed=removed,
                    )
                )
            when, by, which = (sql_literal(v) for v in (clock.now(), rec.run_id, batch))
            store.execute(  # values inlined: no bound parameter (see Store.execute)
                f"UPDATE import_batches SET undone_at = {when}, undone_by = {by} "
                f"WHERE batch_id = {which}"
            )
        rec.rows = sum(c.rows_read for c in counts)
    return BatchResult(batch, tuple(counts))
