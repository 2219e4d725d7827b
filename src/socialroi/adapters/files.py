"""Import CSV and XLSX files into any canonical table (design §3).

`read_table_file` reads one file into a frame with the table's exact schema, or raises one DataError
naming the file, the row and the column. `import_file` loads that frame into the store in one
transaction and logs the run. Which header feeds which column: see `socialroi.adapters._headers`.

Rows are numbered as a spreadsheet shows them: the header is row 1, the first data row is row 2.
Blank rows are skipped and keep their numbers.

Files
    Excel workbooks (.xlsx, .xlsm, .xls; recognised by content): the first sheet unless `sheet`;
    the header is the sheet's first used row; dates may be real Excel dates or text.
    Anything else is read as CSV: delimiter ',' (tab for .tsv) unless `delimiter`, '"' quotes,
    text in `encoding` (default UTF-8; a byte-order mark is ignored).

Values (surrounding spaces are dropped; an empty cell is empty)
    date-time  ISO 8601: 2024-03-05, 2024-03-05 14:22, 2024-03-05T14:22:05.123, each optionally
               followed by Z or an offset (+01:00, +0100, -05); without one the time is UTC.
               Also 2024/03/05 [14:22[:05]], 5 Mar 2024, 5 March 2024, Mar 5, 2024, March 5, 2024.
               03/05/2024 and other day-month orders are refused as ambiguous.
    date       the same date forms, or a date at 00:00:00 (Excel); costs.month also 2024-03 and
               must be the first day of a month.
    number     '.' is the decimal point; ',' only between groups of three digits (1,234.50); one
               currency sign $ € £ ¥ ₹ before or after is dropped. No currency codes, no decimal
               comma: "1,5" is refused, not guessed. Counts must be whole numbers.
    boolean    true/false, yes/no, y/n, t/f, 1/0, any case.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from socialroi import schema
from socialroi.adapters._csv import located_error as _err
from socialroi.adapters._csv import read_csv_bytes
from socialroi.adapters._headers import DEFAULT_EMPTY, derive, resolve
from socialroi.errors import DataError
from socialroi.store import Store

__all__ = ["ImportProgress", "ImportResult", "import_file", "read_table_file"]

#: progress(stage, done, total), called once per stage or column, never per row: "read" (rows
#: read, rows), "parse" (columns parsed, columns), "check" (rows checked, rows), "write" (rows
#: written, rows to write; once at 0 before the write and once when it is done).
ImportProgress = Callable[[str, int, int], None]


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


_EXCEL_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")
_CURRENCY = "$€£¥₹"
_OTHER_DATES = ("%Y/%m/%d", "%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y")
_ISO_TIMES = ("T%H:%M:%S%.f%#z", " %H:%M:%S%.f", " %H:%M", "", "T%H:%M:%S%.f", "T%H:%M")
_ISO_TIMES_RARE = (" %H:%M:%S%.f%#z", "T%H:%M%#z", " %H:%M%#z")
#: Tried in this order, each on the values still unparsed: the common forms first.
_DT_FORMATS = (
    *(f"%Y-%m-%d{t}" for t in _ISO_TIMES + _ISO_TIMES_RARE),
    *(f"{d}{t}" for d in _OTHER_DATES for t in ("", " %H:%M", " %H:%M:%S")),
)
_DATE_FORMATS = ("%Y-%m-%d", *_OTHER_DATES)
_AMBIGUOUS = r"^\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}\b"
_BOOLS = {
    **dict.fromkeys(("true", "t", "yes", "y", "1", "1.0"), True),
    **dict.fromkeys(("false", "f", "no", "n", "0", "0.0"), False),
}


@dataclass(frozen=True)
class ImportResult:
    """What one import did. `rows_written` = new + updated; unchanged rows are not rewritten."""

    table: str
    file: str
    rows_read: int
    rows_written: int
    rows_new: int
    rows_updated: int


def _read_excel(path: Path, sheet: str | None, file: str) -> pl.DataFrame:
    import fastexcel

    def broken(exc: Exception) -> DataError:
        return _err(f"cannot read as an Excel workbook: {str(exc).splitlines()[0]}", file)

    try:  # fastexcel raises its own error types for broken workbooks
        book = fastexcel.read_excel(path)
    except Exception as exc:
        raise broken(exc) from None
    names = list(book.sheet_names)
    if sheet is not None and sheet not in names:
        raise _err(f"no sheet '{sheet}'; the sheets are: {', '.join(names)}", file)
    name = sheet if sheet is not None else names[0]
    try:
        df: pl.DataFrame = book.load_sheet(name, dtypes="string").to_polars()
    except Exception as exc:
        raise broken(exc) from None
    if df.width == 0:
        raise _err(f"sheet '{name}' is empty", file)
    return df


def _read_raw(
    path: Path, sheet: str | None, delimiter: str | None, encoding: str, file: str
) -> pl.DataFrame:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise _err("no such file", file) from None
    except OSError as exc:
        raise _err(f"cannot read the file: {exc.strerror}", file) from None
    if not data.strip():
        raise _err("the file is empty", file)
    if data.startswith(_EXCEL_MAGIC):
        return _read_excel(path, sheet, file)
    if sheet is not None:
        raise _err("--sheet applies to Excel workbooks; this file is read as CSV", file)
    if delimiter is None:
        delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    return read_csv_bytes(data, delimiter, encoding, file)


# -- parsing ------------------------------------------------------------------------------------
def _first_match(s: pl.Series, attempts: Sequence[Callable[[pl.Series], pl.Series]]) -> pl.Series:
    """Apply the first attempt to all values, each later one only to those still unparsed."""
    out = attempts[0](s)
    for attempt in attempts[1:]:
        todo = out.is_null() & s.is_not_null()
        if not todo.any():
            break
        idx = todo.arg_true()
        out = out.scatter(idx, attempt(s.gather(idx)))
    return out


def _to_utc(fmt: str) -> Callable[[pl.Series], pl.Series]:
    def parse(s: pl.Series) -> pl.Series:
        out = s.str.to_datetime(fmt, strict=False, time_unit="us")
        return out if "%#z" in fmt else out.dt.replace_time_zone("UTC")

    return parse


def _to_date(fmt: str) -> Callable[[pl.Series], pl.Series]:
    return lambda s: s.str.to_date(fmt, strict=False)


def _midnight(s: pl.Series) -> pl.Series:
    dt = s.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", strict=False, time_unit="us")
    return pl.select(pl.when(dt.dt.time() == pl.time(0)).then(dt.dt.date())).to_series()


def _to_number(s: pl.Series) -> pl.Series:
    def cleaned(x: pl.Series) -> pl.Series:
        t = x.str.replace(rf"^([+-]?)\s*[{_CURRENCY}]\s*", "${1}")
        t = t.str.replace(rf"\s*[{_CURRENCY}]$", "")
        grouped = t.str.contains(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
        t = pl.select(pl.when(grouped).then(t.str.replace_all(",", "")).otherwise(t)).to_series()
        return t.cast(pl.Float64, strict=False)

    out = _first_match(s, [lambda x: x.cast(pl.Float64, strict=False), cleaned])
    return pl.select(pl.when(out.is_finite()).then(out)).to_series()


def _to_int(s: pl.Series) -> pl.Series:
    f = _to_number(s)
    whole = (f == f.floor()) & (f.abs() < 2.0**53)
    return pl.select(pl.when(whole).then(f).cast(pl.Int64)).to_series()


def _show(value: object) -> str:
    text = str(value)
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _parse(col: schema.Column, s: pl.Series, month: bool) -> tuple[pl.Series, Callable[[str], str]]:
    """Text `s` as the column's type (null where unparseable), and the message for a failure."""
    dtype = col.dtype
    if isinstance(dtype, pl.Datetime | pl.Date):
        if isinstance(dtype, pl.Datetime):
            attempts, kind = [_to_utc(f) for f in _DT_FORMATS], "date-time"
        else:
            attempts, kind = [*(_to_date(f) for f in _DATE_FORMATS), _midnight], "date"
            attempts += [_to_date("%Y-%m")] if month else []
        out = _first_match(s, attempts)
        out = pl.select(pl.when(out.dt.year() >= 1000).then(out)).to_series()  # no 2-digit years
        return out, lambda v: _date_msg(v, kind)
    if isinstance(dtype, pl.Float64):
        return _to_number(s), lambda v: f"not a number: {_show(v)}; write e.g. 1234.50 or 1,234.50"
    if isinstance(dtype, pl.Int64):
        return _to_int(s), lambda v: f"not a whole number: {_show(v)}"
    if isinstance(dtype, pl.Boolean):
        out = s.str.to_lowercase().replace_strict(_BOOLS, default=None, return_dtype=pl.Boolean)
        return out, lambda v: f"not true/false: {_show(v)}; use true/false, yes/no or 1/0"
    return s, lambda v: f"unexpected value {_show(v)}"


def _date_msg(value: str, kind: str) -> str:
    example = "2024-03-05T14:22:00Z, 2024-03-05 14:22" if kind == "date-time" else "2024-03-05"
    if re.match(_AMBIGUOUS, value):
        return (
            f"ambiguous date {_show(value)}: day and month order is unknown; "
            f"write it as YYYY-MM-DD (ISO 8601)"
        )
    return f"not a {kind}: {_show(value)}; use ISO 8601, e.g. {example}"


# -- the public functions -------------------------------------------------------------------------
def read_table_file(
    table: str,
    path: str | Path,
    *,
    mapping: Mapping[str, str] | None = None,
    sheet: str | None = None,
    delimiter: str | None = None,
    encoding: str = "utf-8",
    progress: ImportProgress | None = None,
) -> pl.DataFrame:
    """Read a CSV or Excel file into a frame with `table`'s exact schema (see the module doc).

    `mapping` maps file headers to table columns (like ``--map``). Raises one DataError naming
    the file, the row and the column of the first problem. `progress` hears of each stage.
    """
    report = progress or _no_progress
    t = schema.table(table)
    path = Path(path)
    file = str(path)
    raw = _read_raw(path, sheet, delimiter, encoding, file)
    report("read", raw.height, raw.height)
    sources = resolve(t, raw.columns, mapping, file)
    text = raw.with_row_index("_row", offset=2).select(
        "_row", *[src.expr().alias(name) for name, src in sources.items()]
    )
    if sources:
        text = text.filter(pl.any_horizontal(pl.exclude("_row").is_not_null()))
    rows = text.get_column("_row")
    parsed: dict[str, pl.Series] = {}
    problems: list[tuple[int, int, str, str]] = []
    for order, col in enumerate(t.columns):
        empty_is_blank = col.name in DEFAULT_EMPTY.get(t.name, ())
        if col.name not in sources:
            if empty_is_blank:
                parsed[col.name] = pl.repeat("", text.height, dtype=pl.String, eager=True)
            report("parse", order + 1, len(t.columns))
            continue
        s = text.get_column(col.name)
        values, message = _parse(col, s, month=(t.name, col.name) == ("costs", "month"))
        parsed[col.name] = values.fill_null("") if empty_is_blank else values
        if (hit := _check(t, col, s, parsed[col.name], message)) is not None:
            problems.append((int(rows[hit[0]]), order, hit[1], sources[col.name].label))
        report("parse", order + 1, len(t.columns))
    if problems:
        row, _, msg, column = min(problems)
        raise _err(msg, file, row, column)
    frame = derive(t.name, pl.DataFrame(parsed, height=text.height))
    out = schema.conform(t.name, frame, source=file)
    key = list(t.key)
    dups = schema.duplicate_keys(t.name, out) if _has_repeats(out, key) else None
    if dups is not None and dups.height:
        first, second = (
            dups.sort("_row")
            .with_columns(pl.col("_row").first().over(key).alias("_first"))
            .filter(pl.int_range(pl.len()).over(key) == 1)
            .select("_first", "_row")
            .row(0)
        )
        where = sources[key[0]].label if key[0] in sources else key[0]
        shown = ", ".join(f"{k}={out[k][second]}" for k in key)
        msg = f"duplicate key ({shown}) with different content than row {rows[first]}"
        raise _err(msg, file, int(rows[second]), where)
    report("check", out.height, out.height)
    return out


def _has_repeats(df: pl.DataFrame, key: list[str]) -> bool:
    return df.select(key).n_unique() < df.height


def _check(
    t: schema.Table,
    col: schema.Column,
    s: pl.Series,
    values: pl.Series,
    message: Callable[[str], str],
) -> tuple[int, str] | None:
    """The first position where `values` (parsed from `s`) break the column's rules, and why."""
    checks: list[tuple[pl.Series, Callable[[int], str]]] = [
        (values.is_null() & s.is_not_null(), lambda i: message(str(s[i]))),
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
    encoding: str = "utf-8",
    progress: ImportProgress | None = None,
) -> ImportResult:
    """Read `path` (as `read_table_file`) and upsert it into `table`: all rows or none.

    The run is logged (kind 'import', target "TABLE FILE") with the rows written, or the error.
    Rows the store already holds with the same content are not rewritten. `progress` hears of
    each stage (see `ImportProgress`).
    """
    report = progress or _no_progress
    t = schema.table(table)
    with store.run("import", f"{table} {path}") as rec:
        df = read_table_file(
            table,
            path,
            mapping=mapping,
            sheet=sheet,
            delimiter=delimiter,
            encoding=encoding,
            progress=progress,
        )
        incoming = df.unique(maintain_order=True) if _has_repeats(df, list(t.key)) else df
        with store.transaction():
            existing = store.read(table) if store.count(table) else schema.empty(table)
            changed = incoming.join(existing, on=t.names, how="anti", nulls_equal=True)
            updated = changed.join(existing.select(t.key), on=list(t.key), how="semi").height
            report("write", 0, changed.height)
            store.upsert(table, changed, source=str(path))
            report("write", changed.height, changed.height)
        rec.rows = changed.height
    return ImportResult(
        table=table,
        file=str(path),
        rows_read=df.height,
        rows_written=changed.height,
        rows_new=changed.height - updated,
        rows_updated=updated,
    )
