"""Import CSV and Excel files into any canonical table (design §3).

`read_table` reads the table of an opened file (`socialroi.adapters._raw`) into the rows of one
canonical table; `read_table_file` is the same for a path, with the table's full schema.
`import_file` loads a file into the store as one undoable batch (`socialroi.adapters.importer`).
Which header feeds which column: see `socialroi.adapters._headers`; how text becomes values:
`socialroi.adapters._values`.

Rows are numbered as a spreadsheet shows them: the file's first line is row 1, so with the header
there the first data row is row 2. Title lines, ``#`` comments and blank lines above the header
and report footers below the table are skipped, and the notes say so. Blank rows are skipped and
keep their numbers.

Files
    Excel workbooks (.xlsx, .xlsm, .xls; recognised by content): the first sheet unless `sheet`.
    Anything else is read as CSV: the delimiter is sniffed (or given), the encoding is read from
    a byte-order mark (or given; default UTF-8).

Only the columns the file has are loaded: a row the store already holds keeps the values of every
column the file lacks. ``--set COLUMN=VALUE`` gives a column one value for every row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import polars as pl

from socialroi import schema
from socialroi.adapters._headers import DEFAULT_EMPTY, Source, derive, norm, resolve
from socialroi.adapters._raw import ROW, Book, RawTable, open_book
from socialroi.adapters._values import Parsed, kind_of, parse
from socialroi.adapters.formats import Loaded, ReadOptions
from socialroi.adapters.importer import ImportProgress, ImportResult
from socialroi.errors import DataError
from socialroi.store import Store

__all__ = ["ImportProgress", "ImportResult", "import_file", "read_table", "read_table_file"]

#: Headers holding a session's source and medium together ("linkedin.com / referral").
_SOURCE_MEDIUM = frozenset({norm("Session source / medium"), norm("Source / Medium")})


def _header_rule(
    table: schema.Table, mapping: Mapping[str, str] | None, provided: set[str]
) -> Callable[[Sequence[str]], bool]:
    def rule(cells: Sequence[str]) -> bool:
        headers = [c for c in cells if c]
        if len(set(headers)) != len(headers):
            return False
        try:
            resolve(table, headers, mapping, "", provided=provided)
        except DataError:
            return False
        return True

    return rule


def _table_of(
    book: Book, t: schema.Table, mapping: Mapping[str, str] | None, provided: set[str]
) -> RawTable:
    """The file's table: its header is the first row naming the table's required columns."""
    try:
        return book.table(header=_header_rule(t, mapping, provided))
    except DataError:
        return book.table()  # resolve() then says which column is missing, and how to map it


def _text(raw: RawTable, src: Source) -> pl.Series:
    """The text of one source column: trimmed, empty as null (see `Source.expr`)."""
    if len(src.headers) > 1 or src.first_of_list:
        return raw.frame.select(src.expr()).to_series()
    cells = raw.frame.get_column(src.headers[0])  # empty cells are null already
    if not raw.spaced:
        return cells
    stripped = cells.str.strip_chars()
    return pl.select(pl.when(stripped.str.len_bytes() > 0).then(stripped)).to_series()


def _split_source_medium(raw: RawTable, sources: dict[str, Source]) -> dict[str, pl.Series]:
    """A combined 'Session source / medium' column, when the file has no separate ones."""
    if "source" in sources or "medium" in sources:
        return {}
    header = next((h for h in raw.header if norm(h) in _SOURCE_MEDIUM), None)
    if header is None:
        return {}
    parts = raw.frame.get_column(header).str.split_exact(" / ", 1)
    source = parts.struct.field("field_0").str.strip_chars()
    medium = parts.struct.field("field_1").str.strip_chars()
    sources["source"] = Source("source", (header,))
    sources["medium"] = Source("medium", (header,))
    return {"source": source, "medium": medium}


# -- the public functions -------------------------------------------------------------------------
def read_table(
    book: Book,
    table: str,
    *,
    mapping: Mapping[str, str] | None = None,
    options: ReadOptions | None = None,
) -> Loaded:
    """The rows of canonical `table` in `book`: the key and the columns the file (or --set) gives.

    Raises one DataError naming the file, the row and the column of the first problem.
    """
    opts = options or ReadOptions()
    t = schema.table(table)
    file = book.file
    sets = {_column(t, k): v for k, v in opts.sets.items()}
    raw = _table_of(book, t, mapping, set(sets))
    sources = resolve(t, raw.header, mapping, file, provided=set(sets))
    for name in sets:
        sources.pop(name, None)
    text = raw.frame.select(ROW).with_columns(
        _text(raw, src).alias(name) for name, src in sources.items()
    )
    trimmed = set(sources)
    text = text.with_columns(
        pl.Series(c, s) for c, s in _split_source_medium(raw, sources).items()
    ).with_columns(pl.lit(v).alias(c) for c, v in sets.items())
    provided = [c for c in t.names if c in sources or c in sets]
    if provided:
        text = text.filter(pl.any_horizontal(pl.col(provided).is_not_null()))
    rows = text.get_column(ROW)
    parsed: dict[str, pl.Series] = {}
    problems: list[tuple[int, int, str, str]] = []
    for order, col in enumerate(t.columns):
        blank_ok = col.name in DEFAULT_EMPTY.get(t.name, ())
        if col.name not in provided:
            if blank_ok:
                parsed[col.name] = pl.repeat("", text.height, dtype=pl.String, eager=True)
            continue
        s = text.get_column(col.name)
        got = parse(
            kind_of(col.dtype, month=(t.name, col.name) == ("costs", "month")),
            s,
            dates=opts.dates,
            trimmed=col.name in trimmed,
        )
        parsed[col.name] = got.values.fill_null("") if blank_ok else got.values
        label = sources[col.name].label if col.name in sources else f"--set {col.name}"
        if (hit := _check(t, col, got, parsed[col.name], s)) is not None:
            problems.append((int(rows[hit[0]]), order, hit[1], label))
    if problems:
        row, _, msg, column = min(problems)
        raise DataError(msg, file=file, row=row, column=column)
    frame = derive(t.name, pl.DataFrame([s.alias(c) for c, s in parsed.items()]))
    frame = frame.select(c for c in t.names if c in frame.columns)
    _check_duplicates(t, frame, rows, sources, file)
    used = {h for src in sources.values() for h in src.headers}
    loaded = Loaded(
        format=f"table:{t.name}",
        tables={t.name: frame},
        mapping={h: f"{t.name}.{c}" for c, src in sources.items() for h in src.headers},
        ignored=[h for h in raw.header if h not in used],
        notes=list(raw.notes),
    )
    if loaded.ignored:
        loaded.notes.append(
            f"{len(loaded.ignored)} column(s) no column of '{t.name}' takes, not loaded: "
            + ", ".join(loaded.ignored[:12])
            + (", …" if len(loaded.ignored) > 12 else "")
        )
    return loaded


def _column(t: schema.Table, name: str) -> str:
    """The table column a --set names (case, spaces and '_' ignored)."""
    hit = next((c for c in t.names if norm(c) == norm(name)), None)
    if hit is None:
        raise DataError(
            f"--set {name}=…: table '{t.name}' has no column '{name}'; its columns are: "
            + ", ".join(t.names)
        )
    return hit


def _check_duplicates(
    t: schema.Table, out: pl.DataFrame, rows: pl.Series, sources: Mapping[str, Source], file: str
) -> None:
    key = list(t.key)
    if out.height == 0 or out.select(key).hash_rows().n_unique() == out.height:
        return  # no two keys hash alike, so none is repeated (the common case, found fast)
    clash = schema.first_clash(t.name, out)
    if clash is None:
        return
    first, second = clash
    where = sources[key[0]].label if key[0] in sources else key[0]
    shown = ", ".join(f"{k}={out[k][second]}" for k in key)
    msg = f"duplicate key ({shown}) with different content than row {rows[first]}"
    raise DataError(msg, file=file, row=int(rows[second]), column=where)


def read_table_file(
    table: str,
    path: str | Path,
    *,
    mapping: Mapping[str, str] | None = None,
    sheet: str | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
    options: ReadOptions | None = None,
) -> pl.DataFrame:
    """Read a CSV or Excel file into a frame with `table`'s exact schema (see the module doc).

    `mapping` maps file headers to table columns (like ``--map``); columns the file lacks are
    empty. Raises one DataError naming the file, the row and the column of the first problem.
    """
    book = open_book(path, sheet=sheet, delimiter=delimiter, encoding=encoding)
    loaded = read_table(book, table, mapping=mapping, options=options)
    return schema.conform(table, loaded.tables[table], source=str(path))


def _check(
    t: schema.Table,
    col: schema.Column,
    got: Parsed,
    values: pl.Series,
    s: pl.Series,
) -> tuple[int, str] | None:
    """The first position where `values` (parsed from `s`) break the column's rules, and why."""
    checks: list[tuple[pl.Series, Callable[[int], str]]] = [
        (got.bad, lambda i: got.message(str(s[i]))),
    ]
    if col.name in t.required:
        checks.append(
            (values.is_null(), lambda _: f"required value is empty ({t.name}.{col.name})")
        )
    if col.nonnegative:
        checks.append((values < 0, lambda i: f"must not be negative: {values[i]}"))
    if (t.name, col.name) == ("costs", "month"):
        checks.append((values.dt.day() != 1, lambda _: "month must be the first day of a month"))
    found = [(int(mask.arg_true()[0]), text) for mask, text in checks if mask.any()]
    if not found:
        return None
    i, text = min(found, key=lambda f: f[0])
    return i, text(i)


def import_file(
    store: Store,
    table: str,
    path: str | Path,
    *,
    mapping: Mapping[str, str] | None = None,
    sheet: str | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
    options: ReadOptions | None = None,
    dry_run: bool = False,
    progress: ImportProgress | None = None,
) -> ImportResult:
    """Read `path` (as `read_table_file`) and load it into `table`: all rows or none.

    The load is one batch in the run log (kind 'import', target "table:TABLE FILE"), undoable
    with ``socialroi imports undo``. Rows the store already holds with the same content are not
    rewritten. `progress` hears of each stage (see `ImportProgress`).
    """
    from socialroi.adapters.importer import import_export

    opts = options or ReadOptions()
    if sheet is not None:
        opts = ReadOptions(dates=opts.dates, sets=opts.sets, currency=opts.currency, sheet=sheet)
    return import_export(
        store,
        path,
        table=table,
        mapping=mapping,
        options=opts,
        delimiter=delimiter,
        encoding=encoding,
        dry_run=dry_run,
        progress=progress,
    )
