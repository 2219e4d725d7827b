"""Reading any tabular file into text cells: CSV in any common encoding and delimiter, XLSX, XLS.

The platforms' own exports wrap their table in extra lines: title and note rows above the header
(LinkedIn, Google Ads, LinkedIn Campaign Manager), ``#`` comment lines (GA4), a ``sep=,`` line
(Meta's UTF-16 page series), blank lines, and report footers ("Grand Totals (12 records)",
"Confidential Information", "Total: Account"). A :class:`Book` opens the file once; a format (or the
generic table import) looks at the first rows with :meth:`Book.peek`, then asks for the table with
:meth:`Book.table`, naming how to recognise its header row. Everything else is skipped and said so.

Rows are numbered as a spreadsheet shows them: the file's first line is row 1. In a CSV a quoted
value may span several lines; rows then count records (as a spreadsheet opening the file shows
them), not lines.

What is read, and what is refused (each refusal a DataError naming the file, row and column):

- Files are told apart by content, not by name: an XLSX or XLSM workbook (a ZIP holding ``xl/``)
  or an XLS workbook (OLE2) is read as a workbook (cells as text; an Excel date as
  ``2024-03-05 00:00:00``); an image, PDF, other archive, or a file with many NUL bytes in
  its first kilobyte is refused ("not a text table (looks like a PNG image)"); the rest is CSV.
- CSV text: the encoding comes from a byte-order mark (UTF-8, UTF-16 LE/BE), else is the one
  given (default UTF-8). Line ends may be LF, CRLF or old-Mac CR. A NUL byte in a value is refused.
- The delimiter: the one given, else a ``sep=X`` first line, else the one among ``, ; tab |`` that
  splits the first lines into the most rows of one width.
- The header: without a rule, the first row (after ``#`` comment lines, blank lines and title
  lines; a line starting with ``#`` and then the delimiter is a row, not a comment) at least as
  wide as most rows below it; with a rule, the first of the first 60 rows for
  which the rule holds. Header cells are stripped; an empty header cell over an empty column is
  dropped; an empty header cell over values, or a name given twice, is refused.
- Data rows: a CSV row with more or fewer values than the header is refused; blank rows are
  dropped (the others keep their numbers).
- The end of the table: trailing blank rows and footer rows (first cell "Grand Total(s)…",
  "Total", "Total: …", "Totals", "Confidential Information…", "Copyright…") are dropped. In a file
  whose preamble has ``#`` comment lines (GA4), a later ``#`` line ends the table (GA4 explorations
  export several blocks; only the first is read, and a note says so).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from socialroi.adapters._csv import quote_problem
from socialroi.errors import DataError

#: Is this row (its cells as text, stripped; empty cells as "") the table's header?
HeaderRule = Callable[[Sequence[str]], bool]

#: Column of RawTable.frame holding each data row's spreadsheet row number.
ROW = "_row"

#: The header is looked for among this many first rows.
_HEAD = 60
#: How many rows below a candidate header tell the table's width.
_BELOW = 10
#: How many lines at the end of the table are looked at for a footer.
_TAIL = 50
_DELIMITERS = (",", ";", "\t", "|")
_FOOTER = re.compile(
    r"^(?:grand\s+totals?\b|totals?\s*(?:[:(]|$)|confidential\s+information\b|copyright\b|©)",
    re.IGNORECASE,
)
_DASHES = re.compile(r"^-+$")
_SEP_LINE = re.compile(r'^"?sep=(.)"?$')
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG", "a PNG image"),
    (b"%PDF", "a PDF document"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"BZh", "a bzip2 archive"),
    (b"\xfd7zXZ", "an xz archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"PAR1", "a Parquet file"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"\x7fELF", "a program"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"{\\rtf", "an RTF document"),
)
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")
_OLE = b"\xd0\xcf\x11\xe0"
#: Appended to each CSV body line so that a row one value short shows (see _fast_body).
_MARK = "\x01"


@dataclass(frozen=True)
class RawTable:
    """One table found in a file: its header, its data rows as text, and what was skipped."""

    file: str
    sheet: str | None
    #: The spreadsheet row number of the header row (1 = the file's first line).
    header_row: int
    #: The header cells exactly as written (stripped), in file order; no two alike.
    header: tuple[str, ...]
    #: One String column per header cell (named as in `header`; empty cells null) plus
    #: Int64 column ROW; one row per data row, blank rows dropped.
    frame: pl.DataFrame
    #: What was skipped, in words: "the table starts at row 6 (5 lines above it skipped)",
    #: "3 footer lines skipped (Grand Totals …)".
    notes: tuple[str, ...] = ()
    #: Whether a cell may have white space around its text. False when the table's text holds
    #: none at all (no space, tab or other white space but line ends, no quotes): its cells
    #: then need no trimming.
    spaced: bool = True


# -- rows as the header search sees them ---------------------------------------------------------
@dataclass(frozen=True)
class _Rec:
    """One row near the top of a table: its number, stripped cells and where it ends."""

    row: int
    cells: list[str]
    #: CSV: the byte offset just after the row; sheet: the index of the next row.
    end: int
    #: "data", "blank", "comment" or "sep".
    kind: str


def _span(cells: Sequence[str]) -> int:
    """How many cells up to the last non-empty one."""
    for i in range(len(cells) - 1, -1, -1):
        if cells[i]:
            return i + 1
    return 0


def _find_header(recs: Sequence[_Rec], rule: HeaderRule | None) -> int | None:
    """The index in `recs` of the header row among the first _HEAD rows, or None."""
    data = [i for i, r in enumerate(recs) if r.kind == "data" and r.row <= _HEAD]
    if rule is not None:
        return next((i for i in data if rule(recs[i].cells)), None)
    later = [i for i, r in enumerate(recs) if r.kind == "data"]
    for i in data:
        below = [_span(recs[j].cells) for j in later if j > i][:_BELOW]
        if not below:
            return i
        counts = Counter(below)
        width = max(counts, key=lambda w: (counts[w], -w))
        if _span(recs[i].cells) >= width:
            return i
    return None


def _is_footer(cells: Sequence[str]) -> bool:
    first = next((c for c in cells if c and not _DASHES.match(c)), None)
    return first is not None and _FOOTER.match(first) is not None


def _row_note(header_row: int) -> list[str]:
    above = header_row - 1
    if above <= 0:
        return []
    s = "" if above == 1 else "s"
    return [f"the table starts at row {header_row} ({above} line{s} above it skipped)"]


def _footer_note(lines: Sequence[str]) -> list[str]:
    texts = [t for t in lines if t]
    if not texts:
        return []
    shown = texts[0] if len(texts[0]) <= 40 else texts[0][:37] + "..."
    s = "" if len(texts) == 1 else "s"
    return [f"{len(texts)} footer line{s} skipped ({shown} …)"]


def _header_names(cells: Sequence[str], header_row: int, file: str) -> list[str]:
    """The header cells, checked: no name twice, none that clashes with ROW."""
    seen: set[str] = set()
    for name in cells:
        if not name:
            continue
        if name in seen:
            raise DataError(
                f"the header names column '{name}' twice; rename or remove one",
                file=file,
                row=header_row,
                column=name,
            )
        if name == ROW:
            raise DataError(
                f"the header names a column '{ROW}', a name kept for row numbers; rename it",
                file=file,
                row=header_row,
                column=name,
            )
        seen.add(name)
    return list(cells)


def _blank(body: pl.DataFrame, cols: Sequence[str], spaced: bool = True) -> pl.Series:
    """Rows whose cells in `cols` are all null or spaces (the strip only where a cell may be;
    without `spaced`, no cell holds spaces)."""
    if not spaced:
        return body.select(pl.all_horizontal(pl.col(c).is_null() for c in cols)).to_series()
    spaced_cells = [pl.col(c).str.starts_with(" ") | pl.col(c).str.starts_with("\t") for c in cols]
    maybe = body.select(
        pl.all_horizontal(pl.col(c).is_null() | s for c, s in zip(cols, spaced_cells, strict=True))
    ).to_series()
    if not maybe.any():
        return maybe
    empty = body.filter(maybe).select(
        pl.all_horizontal(pl.col(c).is_null() | (pl.col(c).str.strip_chars() == "") for c in cols)
    )
    return maybe.scatter(maybe.arg_true(), empty.to_series())


def _finish(
    body: pl.DataFrame, names: Sequence[str], header_row: int, file: str, spaced: bool = True
) -> tuple[pl.DataFrame, tuple[str, ...]]:
    """Name the columns of `body` (c0, c1…, ROW), empty cells null, blank rows and empty
    unnamed columns dropped; refuse an unnamed column holding values. Without `spaced`, no
    cell holds white space (see RawTable.spaced)."""
    body = body.rechunk()  # polars reads in many chunks; each step below would join them again
    cols = [f"c{i}" for i in range(len(names))]
    has_empty = (
        body.select((pl.col(c).str.len_bytes() == 0).any() for c in cols).row(0) if cols else ()
    )
    cleaned = [
        pl.when(pl.col(c).str.len_bytes() > 0).then(pl.col(c)).alias(c)
        for c, empty in zip(cols, has_empty, strict=True)
        if empty
    ]
    body = body.with_columns(cleaned)
    if cols:
        blank = _blank(body, cols, spaced)
        if blank.any():
            body = body.filter(~blank)
    keep: list[str] = []
    for i, (c, name) in enumerate(zip(cols, names, strict=True)):
        if name:
            keep.append(c)
            continue
        filled = body.get_column(c).is_not_null()
        if filled.any():
            at = int(body.get_column(ROW)[int(filled.arg_true()[0])])
            raise DataError(
                f"column {i + 1} has values (the first at row {at}) but its header cell is "
                "empty; give it a name",
                file=file,
                row=header_row,
            )
    header = tuple(names[int(c[1:])] for c in keep)
    frame = body.select(
        *(pl.col(c).alias(h) for c, h in zip(keep, header, strict=True)),
        pl.col(ROW).cast(pl.Int64),
    )
    return frame, header


# -- CSV ------------------------------------------------------------------------------------------
class _Lines:
    """The lines of UTF-8 bytes from `pos`, for csv.reader, with peeking and the byte position."""

    def __init__(self, data: bytes, pos: int) -> None:
        self.data = data
        self.pos = pos

    def _end(self) -> int:
        j = self.data.find(b"\n", self.pos)
        return len(self.data) if j < 0 else j + 1

    def peek(self) -> str | None:
        if self.pos >= len(self.data):
            return None
        return self.data[self.pos : self._end()].decode("utf-8", "replace")

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        if self.pos >= len(self.data):
            raise StopIteration
        end = self._end()
        line = self.data[self.pos : end].decode("utf-8", "replace")
        self.pos = end
        return line


def _is_comment(line: str, delimiter: str) -> bool:
    return line.startswith("#") and line[1:2] != delimiter


def _records(
    payload: bytes, delimiter: str, sep_end: int, limit: int | None, *, start: int = 0
) -> list[_Rec]:
    """The first `limit` rows (all when None) of a CSV, comment lines kept whole.

    From the file's start (a ``sep=`` line ending at `sep_end` is a row), or from the byte
    offset `start` (rows then numbered from 1 there).
    """
    recs: list[_Rec] = []
    if sep_end and not start:
        recs.append(_Rec(1, [payload[:sep_end].decode().rstrip("\r\n")], sep_end, "sep"))
    lines = _Lines(payload, start or sep_end)
    reader = csv.reader(lines, delimiter=delimiter)
    row = len(recs)
    while limit is None or len(recs) < limit:
        nxt = lines.peek()
        if nxt is None:
            break
        row += 1
        if _is_comment(nxt, delimiter):
            next(lines)
            recs.append(_Rec(row, [nxt.strip()], lines.pos, "comment"))
            continue
        try:
            cells = [c.strip() for c in next(reader)]
        except (StopIteration, csv.Error):
            break
        kind = "data" if any(cells) else "blank"
        recs.append(_Rec(row, cells if kind == "data" else [], lines.pos, kind))
    return recs


def _sniff(payload: bytes, start: int) -> str:
    """The delimiter among , ; tab | that splits the first lines into most rows of one width."""
    lines: list[str] = []
    for line in _Lines(payload, start):
        if not _is_comment(line, ""):
            lines.append(line)
        if len(lines) >= _HEAD:
            break
    text = "".join(lines)
    best, score = ",", (0, 0)
    for d in _DELIMITERS:
        try:
            widths = [len(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=d)]
        except csv.Error:
            continue
        counts = Counter(w for w in widths if w > 1)
        if not counts:
            continue
        width, n = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
        if (n, width) > score:
            best, score = d, (n, width)
    return best


def _shown(delimiter: str) -> str:
    return "\\t" if delimiter == "\t" else delimiter


@dataclass
class _Csv:
    """A CSV file as UTF-8 bytes (no byte-order mark, LF or CRLF line ends)."""

    payload: bytes
    delimiter: str
    #: The delimiter was given by the user (not read from the file).
    given: bool
    #: The byte offset after a ``sep=X`` first line; 0 without one.
    sep_end: int

    def head(self, limit: int) -> list[_Rec]:
        return _records(self.payload, self.delimiter, self.sep_end, limit)


def _second_block(payload: bytes, start: int, delimiter: str) -> int | None:
    """The offset of the first ``#`` line at or after `start`, or None."""
    pos = start - 1
    while True:
        pos = payload.find(b"\n#", pos)
        if pos < 0:
            return None
        if payload[pos + 2 : pos + 3] != delimiter.encode():
            return pos + 1
        pos += 2


def _footer(payload: bytes, start: int, end: int, delimiter: str) -> tuple[int, list[str]]:
    """Where the table ending at `end` really ends: before trailing blank and footer lines.

    Returns that offset and the footer lines, first to last ("" for a blank line).
    """
    footer: list[str] = []
    for _ in range(_TAIL):
        if end <= start:
            break
        line_end = end - 1 if payload[end - 1 : end] == b"\n" else end
        line_start = payload.rfind(b"\n", start, line_end) + 1 or start
        line_start = max(line_start, start)
        line = payload[line_start:line_end].decode("utf-8", "replace").rstrip("\r")
        if line.count('"') % 2:
            break
        cells = [c.strip() for row in csv.reader([line], delimiter=delimiter) for c in row]
        if any(cells) and not _is_footer(cells):
            break
        footer.append(next((c for c in cells if c), ""))
        end = line_start
    footer.reverse()
    return end, footer


def _read_body(
    body: bytes, cols: Sequence[str], delimiter: str, skip_lines: int = 0
) -> pl.DataFrame | None:
    """`body` (after its first `skip_lines` lines) read by polars as text columns `cols`, or
    None when polars refuses it."""
    try:
        return pl.scan_csv(
            body,
            has_header=False,
            skip_lines=skip_lines,
            schema=dict.fromkeys(cols, pl.String),
            separator=delimiter,
            quote_char='"',
            infer_schema=False,
        ).collect()
    except pl.exceptions.PolarsError:
        return None


def _tail_body(payload: bytes, start: int, width: int, delimiter: str) -> pl.DataFrame | None:
    """The rows of a table that runs from byte `start` to the end of `payload`, read in place
    (no copy of the text) when no quote, CR or _MARK is in them and every line holds exactly
    `width - 1` delimiters; else None (see _fast_body)."""
    end = len(payload)
    if any(payload.find(c, start, end) >= 0 for c in (b'"', b"\r", _MARK.encode())):
        return None
    lines = payload.count(b"\n", start, end) + (start < end and payload[-1:] != b"\n")
    if payload.count(delimiter.encode(), start, end) != (width - 1) * lines:
        return None
    skip = payload.count(b"\n", 0, start)
    df = _read_body(payload, [f"c{i}" for i in range(width)], delimiter, skip_lines=skip)
    return df if df is not None and df.height == lines else None


def _fast_body(body: bytes, width: int, delimiter: str, plain: bool = True) -> pl.DataFrame | None:
    """The body rows with polars, or None when only the slow reader can tell what is wrong.

    Polars refuses a row with more values than the header, but fills a row with fewer values
    with nulls, as if its last values were empty. Without quotes every line is a row, so when the
    body holds exactly `width - 1` delimiters per line, no row is short: the frame has the
    `width` columns. Otherwise each line gets one more value, _MARK, so that a short row shows
    as a null in the last column (the frame then has that column, for `_check_short`). A quoted
    value spanning lines would get the mark inside it: then None. `plain`: try the body without
    the mark first (False: _tail_body tried it already).
    """
    if _MARK.encode() in body:
        return None
    if b"\r" in body:
        body = body.replace(b"\r\n", b"\n")
    if not body.endswith(b"\n"):
        body += b"\n"
    lines = body.count(b"\n") if plain and b'"' not in body else -1
    if lines >= 0 and body.count(delimiter.encode()) == (width - 1) * lines:
        df = _read_body(body, [f"c{i}" for i in range(width)], delimiter)
        if df is not None and df.height == lines:
            return df
    marked = body.replace(b"\n", (delimiter + _MARK + "\n").encode())
    cols = [f"c{i}" for i in range(width + 1)]
    df = _read_body(marked, cols, delimiter)
    if df is None:
        return None
    real = cols[:-1]
    if (
        b'"' in body
        and df.select(pl.any_horizontal(pl.col(c).str.contains(_MARK, literal=True) for c in real))
        .to_series()
        .any()
    ):
        return None
    return df


def _slow_body(
    text: str, names: Sequence[str], delimiter: str, first_row: int, file: str
) -> tuple[list[list[str]], list[int]]:
    """The body rows with the csv module, refusing the first row that is wrong, located."""
    width = len(names)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[list[str]] = []
    numbers: list[int] = []
    row, line = first_row - 1, 1
    try:
        for fields in reader:
            row += 1
            if any(f.strip() for f in fields):
                if len(fields) != width:
                    raise _width_error(len(fields), width, delimiter, file, row)
                rows.append(fields)
                numbers.append(row)
            line = reader.line_num + 1
    except csv.Error as err:
        offset = 0
        for _ in range(line - 1):
            offset = text.index("\n", offset) + 1
        found = quote_problem(text, offset, delimiter)
        if found is not None:
            index, what = found
            column = names[index] if index < width and names[index] else None
            raise DataError(
                f"broken quoting: {what}", file=file, row=row + 1, column=column
            ) from None
        raise DataError(f"broken quoting: {err}", file=file, row=row + 1) from None
    return rows, numbers


def _width_error(got: int, width: int, delimiter: str, file: str, row: int) -> DataError:
    hint = (
        f" (a '{delimiter}' inside a value that is not quoted?)"
        if got > width and delimiter == ","
        else ""
    )
    return DataError(f"{got} values but the header has {width} columns{hint}", file=file, row=row)


def _csv_table(src: _Csv, file: str, rule: HeaderRule | None, two_header_rows: bool) -> RawTable:
    recs = src.head(_HEAD + _BELOW)
    i = _find_header(recs, rule)
    if i is None:
        raise _no_header(recs, rule, file)
    head = recs[i]
    _check_one_column(head.cells, src, file, head.row)
    names = _header_names(head.cells, head.row, file)
    start, first_row = head.end, head.row + 1
    if two_header_rows:
        nxt = _records(src.payload, src.delimiter, 0, 1, start=start)
        if nxt:
            start, first_row = nxt[0].end, first_row + 1
    payload = src.payload
    end = len(payload)
    block = None
    if any(r.kind == "comment" for r in recs[:i]):
        block = _second_block(payload, start, src.delimiter)
        if block is not None:
            end = block
    end, footer = _footer(payload, start, end, src.delimiter)
    width = len(names)
    df = None
    in_place = bool(width) and end == len(payload)
    if in_place:
        df = _tail_body(payload, start, width, src.delimiter)
    body = payload[start:end] if df is None or block is not None else b""
    if df is None and width:
        df = _fast_body(body, width, src.delimiter, plain=not in_place or b"\r" in body)
    if df is not None:
        df = df.with_columns(
            pl.int_range(first_row, first_row + df.height, dtype=pl.Int64).alias(ROW)
        )
        if f"c{width}" in df.columns:
            df = _check_short(df, width, file)
    else:
        rows, numbers = _slow_body(body.decode(), names, src.delimiter, first_row, file)
        data: dict[str, Any] = {f"c{k}": [r[k] for r in rows] for k in range(width)}
        data[ROW] = numbers
        df = pl.DataFrame(data, schema={**dict.fromkeys(data, pl.String), ROW: pl.Int64})
    spaced = _spaced(payload, start, end)
    frame, header = _finish(df, names, head.row, file, spaced)
    notes = _row_note(head.row) + _footer_note(footer)
    if block is not None:
        last = first_row + _count_lines(body) + len(footer) - 1
        notes.append(f"a second block after row {last} was not read")
    return RawTable(file, None, head.row, header, frame, tuple(notes), spaced)


#: White space other than line ends, in ASCII (beyond ASCII, any text counts as spaced).
_ASCII_SPACES = (b" ", b"\t", b"\r", b"\x0b", b"\x0c", b'"')


def _spaced(payload: bytes, start: int, end: int) -> bool:
    """Whether a cell of the CSV text `payload[start:end]` may have white space around it (see
    RawTable.spaced): any white space but LF, any quote or any non-ASCII text (in the whole
    payload) says it may."""
    return not payload.isascii() or any(payload.find(c, start, end) >= 0 for c in _ASCII_SPACES)


def _count_lines(body: bytes) -> int:
    if not body:
        return 0
    return body.count(b"\n") + (not body.endswith(b"\n"))


def _check_short(df: pl.DataFrame, width: int, file: str) -> pl.DataFrame:
    """Refuse a non-blank row with fewer values than the header; drop the mark column."""
    real = [f"c{i}" for i in range(width)]
    mark = f"c{width}"
    unmarked = [pl.when(pl.col(c) != _MARK).then(pl.col(c)).alias(c) for c in real]
    short = df.get_column(mark).is_null()
    if short.any():
        cleaned = df.with_columns(unmarked)
        empty = [pl.when(pl.col(c).str.len_bytes() > 0).then(pl.col(c)).alias(c) for c in real]
        bad = short & ~_blank(cleaned.with_columns(empty), real)
        if bad.any():
            k = int(bad.arg_true()[0])
            cells = df.row(k)
            got = next(j for j, v in enumerate(cells[:width]) if v == _MARK)
            raise _width_error(got, width, "", file, int(cells[-1]))
        return cleaned.drop(mark)
    return df.drop(mark)


def _check_one_column(cells: Sequence[str], src: _Csv, file: str, row: int) -> None:
    """Refuse a one-cell header that another delimiter would split (the wrong one was given)."""
    if len(cells) != 1 or not src.given:
        return
    seen = [d for d in _DELIMITERS if d != src.delimiter and d in cells[0]]
    if seen:
        shown = _shown(seen[0])
        raise DataError(
            f"the whole header is one column: the file seems to be separated by '{shown}', "
            f"not '{_shown(src.delimiter)}'; use --delimiter '{shown}'",
            file=file,
            row=row,
            column=cells[0] if len(cells[0]) <= 40 else cells[0][:37] + "...",
        )


def _no_header(recs: Sequence[_Rec], rule: HeaderRule | None, file: str) -> DataError:
    last = min(max((r.row for r in recs), default=1), _HEAD)
    what = (
        "one with the expected column names"
        if rule is not None
        else "one as wide as the table below it"
    )
    return DataError(f"no header row found: looked at rows 1–{last} for {what}", file=file)


# -- workbooks ------------------------------------------------------------------------------------
def _sheet_recs(df: pl.DataFrame, limit: int) -> list[_Rec]:
    recs: list[_Rec] = []
    for k, values in enumerate(df.head(limit).iter_rows()):
        cells = ["" if v is None else str(v).strip() for v in values]
        if not any(cells):
            recs.append(_Rec(k + 1, [], k + 1, "blank"))
        elif _is_comment(cells[0], "") and not (cells[0] == "#" and _span(cells) > 1):
            recs.append(_Rec(k + 1, [cells[0]], k + 1, "comment"))
        else:
            recs.append(_Rec(k + 1, cells, k + 1, "data"))
    return recs


def _sheet_table(
    df: pl.DataFrame, sheet: str, file: str, rule: HeaderRule | None, two_header_rows: bool
) -> RawTable:
    recs = _sheet_recs(df, _HEAD + _BELOW)
    i = _find_header(recs, rule)
    if i is None:
        if df.height == 0:
            raise DataError(f"sheet '{sheet}' is empty", file=file)
        raise _no_header(recs, rule, file)
    head = recs[i]
    names = _header_names(head.cells, head.row, file)
    start = head.end + (1 if two_header_rows else 0)
    end = df.height
    block = None
    if any(r.kind == "comment" for r in recs[:i]) and start < end:
        first = df.get_column(df.columns[0]).slice(start)
        hits = first.str.strip_chars().str.starts_with("#").fill_null(False)
        if hits.any():
            block = start + int(hits.arg_true()[0])
            end = block
    footer: list[str] = []
    while end > start and len(footer) < _TAIL:
        cells = ["" if v is None else str(v).strip() for v in df.row(end - 1)]
        if any(cells) and not _is_footer(cells):
            break
        footer.append(next((c for c in cells if c), ""))
        end -= 1
    footer.reverse()
    cols = [f"c{k}" for k in range(df.width)]
    body = df.slice(start, max(end - start, 0)).rename(dict(zip(df.columns, cols, strict=True)))
    body = body.with_columns(
        pl.int_range(start + 1, start + 1 + body.height, dtype=pl.Int64).alias(ROW)
    )
    frame, header = _finish(body, names, head.row, file)
    notes = _row_note(head.row) + _footer_note(footer)
    if block is not None:
        notes.append(f"a second block after row {block} was not read")
    return RawTable(file, sheet, head.row, header, frame, tuple(notes))


# -- the book -------------------------------------------------------------------------------------
@dataclass
class Book:
    """An opened file: CSV (one unnamed sheet) or a workbook (named sheets)."""

    file: str
    #: "csv" or "excel".
    kind: str
    #: Sheet names in workbook order; [""] for a CSV.
    sheet_names: list[str]
    _cache: dict[str, object] = field(default_factory=dict, repr=False)
    _csv: _Csv | None = field(default=None, repr=False)
    _workbook: Any = field(default=None, repr=False)
    _sheet: str | None = field(default=None, repr=False)

    def _name(self, sheet: str | None) -> str:
        name = sheet if sheet is not None else self._sheet
        if name is None:
            return self.sheet_names[0]
        if self.kind == "csv":
            if name:
                raise DataError(
                    f"no sheet '{name}': this file is read as CSV, which has no sheets",
                    file=self.file,
                )
            return ""
        if name not in self.sheet_names:
            raise DataError(
                f"no sheet '{name}'; the sheets are: {', '.join(self.sheet_names)}",
                file=self.file,
            )
        return name

    def _frame(self, name: str) -> pl.DataFrame:
        key = f"sheet:{name}"
        cached = self._cache.get(key)
        if isinstance(cached, pl.DataFrame):
            return cached
        try:  # fastexcel raises its own error types for broken workbooks
            sheet = self._workbook.load_sheet(name, header_row=None, dtypes="string", skip_rows=0)
            df: pl.DataFrame = sheet.to_polars()
        except Exception as exc:
            raise _broken_workbook(exc, self.file) from None
        self._cache[key] = df
        return df

    def _head(self, src: _Csv, limit: int) -> list[_Rec]:
        cached = self._cache.get("head")
        if isinstance(cached, tuple) and (cached[0] >= limit or len(cached[1]) < cached[0]):
            return list(cached[1][:limit])
        recs = src.head(limit)
        self._cache["head"] = (limit, recs)
        return recs

    def peek(self, sheet: str | None = None, rows: int = 40) -> list[list[str]]:
        """The first `rows` rows of `sheet` (default: the first) as stripped text cells.

        Comment (``#``) and blank lines are included as they are (a blank line is ``[]``), so a
        format can recognise a file by its preamble as well as its header. A comment line is one
        cell holding the whole line; a ``sep=,`` line is ``["sep=,"]``.
        """
        name = self._name(sheet)
        if self._csv is not None:
            return [list(r.cells) for r in self._head(self._csv, rows)]
        return [list(r.cells) for r in _sheet_recs(self._frame(name), rows)]

    def table(
        self,
        sheet: str | None = None,
        *,
        header: HeaderRule | None = None,
        two_header_rows: bool = False,
    ) -> RawTable:
        """The table of `sheet` (default: the first sheet).

        `header` picks the header row among the first rows; without it the header is the first
        row, after comments, blank and title lines, as wide as the table below it. Raises
        DataError naming the file and where it looked when no row qualifies. Footer lines are
        dropped. `two_header_rows`: the row after the header describes the columns (Meta's older
        exports) and is skipped too.
        """
        name = self._name(sheet)
        if self._csv is not None:
            return _csv_table(self._csv, self.file, header, two_header_rows)
        return _sheet_table(self._frame(name), name, self.file, header, two_header_rows)


def _broken_workbook(exc: Exception, file: str) -> DataError:
    return DataError(
        f"cannot read as an Excel workbook: {str(exc).splitlines()[0] if str(exc) else exc}",
        file=file,
    )


def _zip_kind(data: bytes) -> str | None:
    """None for a spreadsheet ZIP (XLSX, XLSM, ODS); else what the ZIP looks like."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = z.namelist()
            mime = z.read("mimetype").decode("ascii", "replace") if "mimetype" in names else ""
    except (zipfile.BadZipFile, OSError, KeyError):
        return "a ZIP archive"
    if any(n.startswith("xl/") for n in names) or "opendocument.spreadsheet" in mime:
        return None
    if any(n.startswith("word/") for n in names) or "opendocument.text" in mime:
        return "a Word document"
    if any(n.startswith("ppt/") for n in names) or "opendocument.presentation" in mime:
        return "a PowerPoint presentation"
    return "a ZIP archive"


def _binary_kind(data: bytes) -> str | None:
    """What a non-text file looks like, or None when it may be text."""
    for magic, what in _MAGIC:
        if data.startswith(magic):
            return what
    if data[8:12] == b"WEBP" and data.startswith(b"RIFF"):
        return "a WebP image"
    first = data[:1024]
    nul = first.count(0)
    if nul == 0:
        return None
    if nul > 8:
        return "binary data"
    controls = sum(b < 32 and b not in (9, 10, 12, 13) for b in first)
    if controls * 10 > len(first) and not _utf8_start(first):
        return "binary data"
    return None


def _utf8_start(first: bytes) -> bool:
    """Whether `first` (the start of a file) is UTF-8, allowing a character cut at its end."""
    try:
        first.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(first) - 3 and exc.reason == "unexpected end of data"
    return True


def _looks_utf16(data: bytes) -> str | None:
    """'le' or 'be' when `data` looks like UTF-16 text without a byte-order mark."""
    first = data[:1024]
    if len(first) < 4:
        return None
    odd = first[1::2].count(0)
    even = first[0::2].count(0)
    half = len(first) // 2
    if odd > half * 0.6 and even == 0:
        return "le"
    if even > half * 0.6 and odd == 0:
        return "be"
    return None


def _decode(data: bytes, encoding: str | None, file: str) -> tuple[bytes, str]:
    """The text of a CSV as UTF-8 bytes without a byte-order mark, and the encoding used."""
    if data.startswith(codecs.BOM_UTF8):
        enc, raw = "utf-8", data[3:]
    elif data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) and data[:4] != b"\xff\xfe\0\0":
        enc, raw = "utf-16", data
    else:
        enc, raw = encoding or "utf-8", data
    try:
        codec = codecs.lookup(enc).name
    except LookupError:
        raise DataError(f"unknown encoding '{enc}'", file=file) from None
    if not codec.startswith(("utf-16", "utf-32")):
        if (order := _looks_utf16(raw)) is not None:
            raise DataError(
                "not a text table in this encoding: it looks like UTF-16 text without a "
                f"byte-order mark; use --encoding utf-16-{order}",
                file=file,
            )
        if (what := _binary_kind(raw)) is not None:
            raise DataError(f"not a text table (looks like {what})", file=file)
    try:
        if codec == "utf-8":
            if not raw.isascii():  # ASCII is UTF-8: checked without decoding
                raw.decode("utf-8")
            return raw, enc
        text = raw.decode(enc)
    except UnicodeDecodeError as exc:
        raise _decode_error(raw, enc, exc, file) from None
    return text.removeprefix("\ufeff").encode("utf-8"), enc


def _decode_error(raw: bytes, enc: str, exc: UnicodeDecodeError, file: str) -> DataError:
    offset = len(raw[: exc.start].decode(enc, "replace").encode("utf-8"))
    text = _line_ends(raw.decode(enc, "replace").removeprefix("\ufeff").encode("utf-8"))
    row, column = _locate(text, offset)
    hint = (
        "if it was saved by Excel or another Windows program, try --encoding cp1252"
        if codecs.lookup(enc).name == "utf-8"
        else "try another --encoding (utf-8, cp1252, utf-16…)"
    )
    return DataError(
        f"not valid {enc} text (byte 0x{raw[exc.start]:02x}); {hint}",
        file=file,
        row=row,
        column=column,
    )


def _locate(payload: bytes, offset: int, delimiter: str | None = None) -> tuple[int, str | None]:
    """The row of byte `offset` of `payload`, and its column when the header above it is found.

    Rows count records in the first megabyte, lines beyond it (for an error message only).
    """
    _, sep_end, sep = _sep_line(payload)
    delimiter = delimiter or sep or _sniff(payload, sep_end)
    cut = offset
    for _ in range(_BELOW + 2):
        j = payload.find(b"\n", cut)
        cut = len(payload) if j < 0 else j + 1
    if offset <= 1 << 20:
        recs = _records(payload[:cut], delimiter, sep_end, None)
        at = next((k for k, r in enumerate(recs) if r.end > offset), len(recs) - 1)
        if at < 0:
            return 1, None
        row, start, head = recs[at].row, recs[at - 1].end if at else sep_end, recs
        if recs[at].kind != "data":
            return row, None
    else:
        row = payload.count(b"\n", 0, offset) + 1
        start = payload.rfind(b"\n", 0, offset) + 1
        head = _records(payload, delimiter, sep_end, _HEAD + _BELOW)
    i = _find_header(head, None)
    if i is None or head[i].row >= row:
        return row, None
    before = payload[start:offset].decode("utf-8", "replace") + "x"
    cells = next(csv.reader([before], delimiter=delimiter), [])
    names = head[i].cells
    index = len(cells) - 1
    column = names[index] if 0 <= index < len(names) and names[index] else None
    return row, column


def _line_ends(payload: bytes) -> bytes:
    """Old-Mac CR line ends as LF (a file with CR and no LF at all)."""
    if b"\r" in payload and b"\n" not in payload:
        return payload.replace(b"\r", b"\n")
    return payload


def _sep_line(payload: bytes) -> tuple[bytes, int, str | None]:
    """The payload, the offset after a ``sep=X`` first line (0 if none) and its delimiter."""
    j = payload.find(b"\n", 0, 64)
    first = payload[: j if j >= 0 else min(len(payload), 64)].decode("utf-8", "replace")
    m = _SEP_LINE.match(first.rstrip("\r\n"))
    if m is None:
        return payload, 0, None
    return payload, (j + 1 if j >= 0 else len(payload)), m.group(1)


def _open_csv(data: bytes, delimiter: str | None, encoding: str | None, file: str) -> _Csv:
    payload, _ = _decode(data, encoding, file)
    if not payload or payload.isspace():
        raise DataError("the file is empty", file=file)
    payload = _line_ends(payload)
    payload, sep_end, sep = _sep_line(payload)
    given = delimiter is not None
    delim = delimiter or sep or _sniff(payload, sep_end)
    if len(delim) != 1:
        raise DataError(f"the delimiter must be one character, not '{delim}'", file=file)
    nul = payload.find(b"\x00")
    if nul >= 0:
        row, column = _locate(payload, nul, delim)
        raise DataError(
            "a NUL byte (binary data) inside a value; remove it or export the file again",
            file=file,
            row=row,
            column=column,
        )
    return _Csv(payload, delim, given, sep_end)


def open_book(
    path: str | Path,
    *,
    sheet: str | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
) -> Book:
    """Open `path` as CSV or workbook (recognised by content, not by name).

    CSV: the encoding is read from a byte-order mark (UTF-8, UTF-16 LE/BE) or is `encoding`
    (default UTF-8); the delimiter is `delimiter`, else a ``sep=X`` first line, else sniffed from
    the first lines among ``, ; tab |``. Old-Mac CR-only line endings are read. Raises DataError
    for a missing, empty, binary (image, PDF…) or undecodable file, or a `sheet` the workbook lacks.
    `sheet` becomes the default sheet of :meth:`Book.peek` and :meth:`Book.table`.
    """
    path = Path(path)
    file = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DataError("no such file", file=file) from None
    except IsADirectoryError:
        raise DataError("is a directory, not a file", file=file) from None
    except OSError as exc:
        raise DataError(f"cannot read the file: {exc.strerror}", file=file) from None
    if not data or data.isspace():
        raise DataError("the file is empty", file=file)
    excel = data.startswith(_OLE)
    if data.startswith(_ZIP):
        what = _zip_kind(data)
        if what is not None:
            raise DataError(f"not a text table (looks like {what})", file=file)
        excel = True
    if excel:
        import fastexcel

        try:
            workbook = fastexcel.read_excel(data)
        except Exception as exc:
            raise _broken_workbook(exc, file) from None
        book = Book(file, "excel", list(workbook.sheet_names), _workbook=workbook)
        if sheet is not None:
            book._name(sheet)
        book._sheet = sheet
        return book
    if sheet is not None:
        raise DataError("--sheet applies to Excel workbooks; this file is read as CSV", file=file)
    return Book(file, "csv", [""], _csv=_open_csv(data, delimiter, encoding, file))
