"""Reading CSV bytes into text columns, and locating why a broken CSV cannot be read.

Every error names the file, the row (as a spreadsheet counts them: header = row 1) and, where it
can, the column.
"""

from __future__ import annotations

import codecs
import csv
import io

import polars as pl

from socialroi.adapters._headers import check_header
from socialroi.errors import DataError

ROW_NOTE = "rows counted as in a spreadsheet, header = row 1"


def located_error(
    message: str, file: str, row: int | None = None, column: str | None = None
) -> DataError:
    """A DataError for `file`; a data row number carries a note on how rows are counted."""
    note = f" ({ROW_NOTE})" if row is not None and row > 1 else ""
    return DataError(message + note, file=file, row=row, column=column)


# -- reading ------------------------------------------------------------------------------------
def read_csv_bytes(data: bytes, delimiter: str, encoding: str, file: str) -> pl.DataFrame:
    try:
        utf8 = codecs.lookup(encoding).name == "utf-8"
        text = data.decode(encoding)
    except LookupError:
        raise located_error(f"unknown encoding '{encoding}'", file) from None
    except UnicodeDecodeError as exc:
        row, column = _position(data[: exc.start].decode(encoding, "replace"), delimiter)
        bom16 = data[:2] in (b"\xff\xfe", b"\xfe\xff")
        hint = (
            "the file starts with a UTF-16 byte-order mark: use --encoding utf-16"
            if bom16
            else "if it was saved by Excel or another Windows program, try --encoding cp1252"
        )
        raise located_error(
            f"not valid {encoding} text (byte 0x{data[exc.start]:02x}); {hint}", file, row, column
        ) from None
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise located_error("the file is empty", file)
    payload = data.removeprefix(codecs.BOM_UTF8) if utf8 else text.encode()
    try:
        df = pl.read_csv(payload, separator=delimiter, infer_schema=False, quote_char='"')
    except pl.exceptions.PolarsError as exc:
        raise _csv_problem(text, delimiter, file, exc) from None
    check_header(df.columns, delimiter, file)
    return df


# -- locating a broken CSV row (error path only, so plain Python) --------------------------------
def _position(prefix: str, delimiter: str) -> tuple[int, str | None]:
    """Row number and column name of the character just after `prefix`."""
    header: list[str] = []
    record: list[str] = []
    row = 0
    try:
        for record in csv.reader(io.StringIO(prefix + "x"), delimiter=delimiter):
            header = header or record
            row += 1
    except csv.Error:
        pass
    i = len(record) - 1
    return row, header[i] if 0 <= i < len(header) else None


def _quote_problem(text: str, start: int, delimiter: str) -> tuple[int, str] | None:
    """In the record starting at `start`: the field index of a bad quote and what is wrong."""
    field, i, at_start = 0, start, True
    while i < len(text):
        ch = text[i]
        if ch == '"' and at_start:
            opened = field
            while True:
                j = text.find('"', i + 1)
                if j < 0:
                    return opened, "a quote opened in this value is never closed"
                if text.startswith('""', j):
                    i = j + 1
                    continue
                i = j + 1
                break
            if i < len(text) and text[i] not in (delimiter, "\n", "\r"):
                return opened, "a closing quote must be followed by the delimiter or a line end"
            at_start = False
            continue
        if ch == "\n":
            return None
        at_start = ch == delimiter
        field += ch == delimiter
        i += 1
    return None


def _csv_problem(text: str, delimiter: str, file: str, exc: Exception) -> DataError:
    """One DataError locating why the CSV reader failed, found with the stdlib csv module."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] = []
    row, line = 0, 1
    try:
        for fields in reader:
            row += 1
            if row == 1:
                header = fields
            elif len(fields) > len(header):
                return located_error(
                    f"{len(fields)} values but the header has {len(header)} columns "
                    f"(a '{delimiter}' inside a value that is not quoted?)",
                    file,
                    row,
                )
            line = reader.line_num + 1
    except csv.Error as err:
        offset = 0
        for _ in range(line - 1):
            offset = text.index("\n", offset) + 1
        found = _quote_problem(text, offset, delimiter)
        if found is not None:
            index, what = found
            column = header[index] if index < len(header) else None
            return located_error(f"broken quoting: {what}", file, row + 1, column)
        return located_error(f"broken quoting: {err}", file, row + 1)
    return located_error(f"cannot read as CSV: {str(exc).splitlines()[0]}", file)
