"""Importing files: a platform's own export or a plain table, into the store as one undoable batch.

`read_export` opens a file, recognises what it is (a named export format, or the canonical table
the caller names) and reads the rows it carries, without touching the store. `import_export`
then normalises names through the one vocabulary, ties rows to what the store already holds
(a deal that names its contact by e-mail), warns where a load is complete but probably not what
the user meant, and loads everything as one batch: all rows or none, undoable with
``socialroi imports undo``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from socialroi import schema
from socialroi.adapters import formats as fmts
from socialroi.adapters._raw import Book, open_book
from socialroi.adapters.batches import TableCounts, load_batch
from socialroi.adapters.linkedin_ids import rekey_import
from socialroi.errors import DataError
from socialroi.store import Store

__all__ = [
    "ImportProgress",
    "ImportResult",
    "import_export",
    "load_export",
    "load_order",
    "read_export",
]

#: progress(stage, done, total), called once per stage, never per row: "read" (files read,
#: files), "write" (rows written, rows to write; once at 0 before the write, once when done).
ImportProgress = Callable[[str, int, int], None]

#: Said after a row number: how rows are counted.
ROW_NOTE = "rows counted as in a spreadsheet: the file's first line is row 1"
#: How many parsed rows per table a dry run shows.
PREVIEW_ROWS = 5
#: Tables whose rows other tables name (loaded first when one command imports several files).
_FIRST = ("employees", "accounts", "contacts", "posts")
_EMAIL_RE = r"[\w.+\-']+@[\w\-]+(\.[\w\-]+)+"


@dataclass(frozen=True)
class ImportResult:
    """What one file's import did (or, for a dry run, would do).

    `table` and the `rows_*` totals cover every table the file filled; `tables` has them per table.
    """

    table: str
    file: str
    rows_read: int
    rows_written: int
    rows_new: int
    rows_updated: int
    rows_unchanged: int = 0
    format: str = ""
    title: str = ""
    batch_id: str = ""
    dry_run: bool = False
    tables: tuple[TableCounts, ...] = ()
    mapping: Mapping[str, str] = field(default_factory=dict)
    ignored: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    #: For a dry run: the first parsed rows of each table.
    preview: Mapping[str, pl.DataFrame] = field(default_factory=dict)


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


def read_export(
    path: str | Path,
    *,
    table: str | None = None,
    fmt: str | None = None,
    mapping: Mapping[str, str] | None = None,
    options: fmts.ReadOptions | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
) -> tuple[fmts.Loaded, str]:
    """Read `path` as canonical `table` (``socialroi import TABLE FILE``), as format `fmt`
    (``--as``), or as whatever export it is recognised to be. Returns the rows and a title.

    Raises DataError naming the file when it is neither a known export nor (without `table`) a
    table whose columns name one.
    """
    from socialroi.adapters.files import read_table

    opts = options or fmts.ReadOptions()
    file = str(path)
    if not Path(path).exists():
        raise DataError("no such file", file=file)
    with _row_note():
        book = open_book(path, sheet=opts.sheet, delimiter=delimiter, encoding=encoding)
        if table is not None:
            schema.table(table)
            return read_table(book, table, mapping=mapping, options=opts), f"table {table}"
        if mapping:
            raise DataError("--map applies to a table import: socialroi import TABLE FILE --map …")
        found = fmts.get(fmt) if fmt is not None else fmts.detect(book)
        if found is None:
            guessed = _table_by_headers(book)
            if guessed is None:
                raise DataError(_unrecognised(book), file=file)
            loaded = read_table(book, guessed, options=opts)
            loaded.notes.insert(
                0, f"read as table {guessed}: its headers name that table's columns"
            )
            return loaded, f"table {guessed}"
        loaded = found.read(book, opts)
    loaded.notes.insert(0, f"read as {found.title} ({found.name})")
    return loaded, found.title


@contextmanager
def _row_note() -> Iterator[None]:
    """A DataError naming a data row says how rows are counted."""
    try:
        yield
    except DataError as exc:
        if exc.row is None or exc.row < 2 or ROW_NOTE in exc.message:
            raise
        note = f"{exc.message} ({ROW_NOTE})"
        raise DataError(note, file=exc.file, row=exc.row, column=exc.column) from None


def _table_by_headers(book: Book) -> str | None:
    """The one canonical table whose columns a header row of `book` names best, if any.

    A table qualifies when the row names all its required columns; the table that takes the most
    of the row's headers wins, and a tie is no answer (the user names the table).
    """
    from socialroi.adapters._headers import resolve

    for row in book.peek(rows=20):
        headers = [c for c in row if c]
        if len(headers) < 2 or len(set(headers)) != len(headers):
            continue
        scores: dict[str, int] = {}
        for name, t in schema.TABLES.items():
            try:
                sources = resolve(t, headers, None, book.file)
            except DataError:
                continue
            scores[name] = len({h for src in sources.values() for h in src.headers})
        ranked = sorted(scores.items(), key=lambda kv: -kv[1])
        if ranked and (len(ranked) == 1 or ranked[0][1] > ranked[1][1]):
            return ranked[0][0]
        if ranked:
            return None
    return None


def _unrecognised(book: Book) -> str:
    first = next((row for row in book.peek(rows=15) if len(row) > 1), [])
    shown = ", ".join(first[:8]) + (", …" if len(first) > 8 else "")
    return (
        "not a known export file"
        + (f" (its first row with several cells: {shown})" if shown else "")
        + "; name the table it fills (socialroi import TABLE FILE) or force a format with "
        "--as (socialroi import --list-formats lists them)"
    )


def import_export(
    store: Store,
    path: str | Path,
    *,
    table: str | None = None,
    fmt: str | None = None,
    mapping: Mapping[str, str] | None = None,
    options: fmts.ReadOptions | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
    dry_run: bool = False,
    progress: ImportProgress | None = None,
) -> ImportResult:
    """Read `path` (as `read_export`) and load it into `store` as one batch: all rows or none.

    The batch is logged (kind 'import') and can be undone (``socialroi imports undo ID``). A dry
    run reads, checks and counts exactly the same, and writes nothing.
    """
    report = progress or _no_progress
    read = read_export(
        path,
        table=table,
        fmt=fmt,
        mapping=mapping,
        options=options,
        delimiter=delimiter,
        encoding=encoding,
    )
    report("read", 1, 1)
    return load_export(store, read, path, dry_run=dry_run, progress=progress)


def load_export(
    store: Store,
    read: tuple[fmts.Loaded, str],
    path: str | Path,
    *,
    dry_run: bool = False,
    progress: ImportProgress | None = None,
) -> ImportResult:
    """Load what `read_export` read from `path` as one batch (see `import_export`)."""
    report = progress or _no_progress
    loaded, title = read
    frames = {name: normalise(name, df) for name, df in loaded.tables.items()}
    frames, tied = _tie_contacts(store, frames, str(path))
    frames = rekey_import(store, frames)  # a LinkedIn export's post the pull already stored
    generic = loaded.format.startswith("table:")
    warnings = [*loaded.warnings, *tied, *load_warnings(store, frames, generic=generic)]
    total = sum(df.height for df in frames.values())
    report("write", 0, total)
    target = f"{loaded.format.removeprefix('table:')} {path}"
    try:
        batch = load_batch(store, frames, target=target, dry_run=dry_run)
    except DataError as exc:
        if exc.file is not None:
            raise
        where = f"{exc.message} (in the rows read for that table, counted from 1)"
        raise DataError(where, file=str(path), row=exc.row, column=exc.column) from None
    report("write", total, total)
    counts = batch.tables
    first = next(iter(frames), "")
    return ImportResult(
        table=first,
        file=str(path),
        rows_read=sum(c.rows_read for c in counts),
        rows_written=sum(c.rows_new + c.rows_updated for c in counts),
        rows_new=sum(c.rows_new for c in counts),
        rows_updated=sum(c.rows_updated for c in counts),
        rows_unchanged=sum(c.rows_unchanged for c in counts),
        format=loaded.format,
        title=title,
        batch_id=batch.batch_id,
        dry_run=dry_run,
        tables=counts,
        mapping=dict(loaded.mapping),
        ignored=tuple(loaded.ignored),
        notes=tuple(loaded.notes),
        warnings=tuple(warnings),
        preview={n: df.head(PREVIEW_ROWS) for n, df in frames.items()} if dry_run else {},
    )


def load_order(reads: Sequence[tuple[fmts.Loaded, str]]) -> list[int]:
    """Positions of several read files in the order to load them: contacts before deals."""

    def rank(i: int) -> tuple[int, int]:
        tables = reads[i][0].tables
        return (0 if any(t in _FIRST for t in tables) else 1, i)

    return sorted(range(len(reads)), key=rank)


# -- one vocabulary, and ties to the store --------------------------------------------------------
_PLATFORM_COLUMNS: dict[str, tuple[str, ...]] = {
    "accounts": ("platform",),
    "account_daily": ("platform",),
    "posts": ("platform",),
    "post_metrics": ("platform",),
    "touchpoints": ("platform",),
    "costs": ("platform",),
}


def normalise(table: str, df: pl.DataFrame) -> pl.DataFrame:
    """Platform and channel names as the vocabulary spells them (``LinkedIn`` → ``linkedin``);
    posts' tracked-link parameters split from their link as the pulls split them."""
    from socialroi.core import vocabulary as v

    named: dict[str, pl.Expr] = {
        c: pl.when(pl.col(c) == "").then(pl.lit("")).otherwise(v.platform_expr(pl.col(c)))
        for c in _PLATFORM_COLUMNS.get(table, ())
        if c in df.columns
    }
    if table == "touchpoints" and "channel" in df.columns:
        named["channel"] = v.channel_expr(pl.col("channel"))
    # A column holds few distinct names: spell each once, then map the column (1M rows: ~0.05 s).
    out = df.with_columns(_spelled(df.get_column(c), expr) for c, expr in named.items())
    if table == "posts":
        out = _split_utm(out)
    return out


def _spelled(s: pl.Series, expr: pl.Expr) -> pl.Series:
    """`s` with `expr` (over a column named like `s`) applied to its distinct values."""
    distinct = s.unique().drop_nulls()
    spelled = pl.DataFrame({s.name: distinct}).select(expr.alias("_to")).to_series()
    changed = [(a, b) for a, b in zip(distinct.to_list(), spelled.to_list(), strict=True) if a != b]
    if not changed:  # spelled as the vocabulary spells them already (the usual case)
        return s.cast(pl.String)
    old, new = zip(*changed, strict=True)
    return s.cast(pl.String).replace(list(old), list(new)).alias(s.name)


def _split_utm(posts: pl.DataFrame) -> pl.DataFrame:
    from socialroi.adapters._utm import UTM_FIELDS, link_columns

    if "link_url" not in posts.columns or all(f in posts.columns for f in UTM_FIELDS):
        return posts
    parsed = [link_columns(u) for u in posts.get_column("link_url").to_list()]
    added = [
        pl.Series(f, [p.get(f) for p in parsed], dtype=pl.String)
        for f in UTM_FIELDS
        if f not in posts.columns
    ]
    return posts.with_columns(added)


def _tie_contacts(
    store: Store, frames: dict[str, pl.DataFrame], file: str
) -> tuple[dict[str, pl.DataFrame], list[str]]:
    """Deals (and leads) that name their contact by e-mail get the contact's id from the store
    or from this batch's contacts; the rest keep the e-mail, with a warning."""
    warnings: list[str] = []
    known = _contacts_by_email(store, frames.get("contacts"))
    for name in ("deals", "leads"):
        df = frames.get(name)
        if df is None or "contact_id" not in df.columns:
            continue
        email = df.get_column("contact_id").str.extract(f"({_EMAIL_RE})", 1).str.to_lowercase()
        if email.is_null().all():
            continue
        matched = email.replace_strict(known, default=None, return_dtype=pl.String)
        frames[name] = df.with_columns(
            pl.coalesce(matched, email, df.get_column("contact_id")).alias("contact_id")
        )
        missing = int((email.is_not_null() & matched.is_null()).sum())
        if missing:
            example = email.filter(matched.is_null()).drop_nulls()[0]
            warnings.append(
                f"{missing} {name} name their contact by an e-mail the store has no contact for "
                f"(e.g. {example}); they are kept under that e-mail: import the contacts export, "
                "then this file again, to tie them"
            )
    return frames, warnings


def _contacts_by_email(store: Store, incoming: pl.DataFrame | None) -> dict[str, str]:
    parts = [store.read("contacts").select("contact_id", "email")]
    if incoming is not None and "email" in incoming.columns:
        parts.append(incoming.select("contact_id", "email"))
    both = pl.concat(parts).drop_nulls().with_columns(pl.col("email").str.to_lowercase())
    return dict(zip(both["email"].to_list(), both["contact_id"].to_list(), strict=True))


# -- warnings -------------------------------------------------------------------------------------
def load_warnings(
    store: Store, frames: Mapping[str, pl.DataFrame], *, generic: bool = True
) -> list[str]:
    """Loads that are complete but probably not what the user meant.

    `generic`: a plain table import (a named format words its own snapshot warning).
    """
    from socialroi.core import vocabulary as v
    from socialroi.core.channels import classify_sessions

    out: list[str] = []
    sessions = frames.get("sessions")
    if sessions is not None and sessions.height and "source" in sessions.columns:
        counted = classify_sessions(sessions).select(
            v.is_social(pl.col("channel")).alias("social"),
            pl.col("count").fill_null(1) if "count" in sessions.columns else pl.lit(1),
        )
        social = int(counted.filter("social").get_column(counted.columns[1]).sum())
        if social == 0:
            out.append(
                f"0 of {sessions.height} session rows come from social media: check that the "
                "source and medium columns are the ones your analytics export calls them"
            )
    touches = frames.get("touchpoints")
    if (
        touches is not None
        and touches.height
        and "channel" in touches.columns
        and not touches.select(v.is_social(pl.col("channel")).any()).item()
    ):
        channels = sorted(set(touches["channel"].drop_nulls().to_list()))[:6]
        out.append(
            f"0 of {touches.height} touches are on a social channel (channels: "
            f"{', '.join(channels)})"
        )
    costs = frames.get("costs")
    if costs is not None and costs.height and "platform" in costs.columns:
        unknown = sorted(
            p
            for p in set(costs["platform"].drop_nulls().to_list())
            if p and v.platform_of(p) is None
        )
        if unknown:
            out.append(
                f"costs for platform(s) socialroi does not know: {', '.join(unknown)}; they count "
                "as costs, but never as social"
            )
    deals = frames.get("deals")
    if deals is not None and deals.height and "contact_id" in deals.columns:
        ids = set(store.read("contacts")["contact_id"].to_list())
        if (contacts := frames.get("contacts")) is not None:
            ids |= set(contacts["contact_id"].to_list())
        orphans = [c for c in deals["contact_id"].to_list() if c not in ids]
        if orphans:
            out.append(
                f"{len(orphans)} deals name a contact the store does not hold (e.g. {orphans[0]}): "
                "they count as revenue, but no social touch can reach them until the contact is "
                "imported"
            )
    metrics = frames.get("post_metrics")
    if generic and metrics is not None and metrics.height and metrics["as_of"].n_unique() == 1:
        day = metrics["as_of"][0]
        shown = day.date().isoformat() if day is not None else "one day"
        out.append(
            f"the post metrics are one snapshot (totals as of {shown}): months before it show no "
            "metric history, not zero activity"
        )
    return out
