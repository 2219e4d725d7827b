"""What the named formats share: finding headers in any of their languages, and typed columns."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import polars as pl

from socialroi import schema
from socialroi.adapters._headers import norm
from socialroi.adapters._raw import ROW, HeaderRule, RawTable
from socialroi.adapters._values import DateOrder, Kind, kind_of, parse
from socialroi.errors import DataError

__all__ = ["has_headers", "header_rule", "norm", "pick", "text", "typed", "values"]


def header_rule(names: Iterable[str], *, at_least: int) -> HeaderRule:
    """A row is the header when `at_least` of its cells are among `names` (any language)."""
    wanted = {norm(n) for n in names}

    def rule(cells: Sequence[str]) -> bool:
        return sum(norm(c) in wanted for c in cells if c) >= at_least

    return rule


def has_headers(rows: Sequence[Sequence[str]], names: Iterable[str], *, at_least: int) -> bool:
    """Whether one of `rows` (a Book.peek) is a header holding `at_least` of `names`."""
    rule = header_rule(names, at_least=at_least)
    return any(rule(row) for row in rows)


def pick(raw: RawTable, *candidates: str) -> str | None:
    """The header of `raw` matching the first of `candidates` it has (case, spaces, '_' ignored)."""
    by_norm = {norm(h): h for h in raw.header}
    for c in candidates:
        if (hit := by_norm.get(norm(c))) is not None:
            return hit
    return None


def text(raw: RawTable, header: str | None) -> pl.Series:
    """The column `header` as stripped text (empty as null); all null when `header` is None."""
    if header is None:
        return pl.Series(values=[None] * raw.frame.height, dtype=pl.String)
    s = raw.frame.get_column(header).str.strip_chars()
    return pl.select(pl.when(s.str.len_bytes() > 0).then(s)).to_series()


def values(
    raw: RawTable,
    header: str | None,
    kind: Kind,
    *,
    dates: DateOrder | None = None,
    required: bool = False,
) -> pl.Series:
    """The column `header` read as `kind`; DataError naming file, row and header at a bad value.

    `required`: an empty cell is an error too. A missing header (None) is all null, or an
    error when `required`.
    """
    if header is None:
        if required:
            raise DataError("a required column is missing", file=raw.file, row=raw.header_row)
        return text(raw, None)
    s = text(raw, header)
    got = parse(kind, s, dates=dates)
    bad = got.bad
    if bad.any():
        i = int(bad.arg_true()[0])
        raise DataError(
            got.message(str(s[i])),
            file=raw.file,
            row=int(raw.frame.get_column(ROW)[i]),
            column=header,
        )
    if required and got.values.is_null().any():
        i = int(got.values.is_null().arg_true()[0])
        raise DataError(
            "required value is empty",
            file=raw.file,
            row=int(raw.frame.get_column(ROW)[i]),
            column=header,
        )
    return got.values


def typed(
    raw: RawTable,
    table: str,
    columns: Mapping[str, str | None],
    *,
    dates: DateOrder | None = None,
    constants: Mapping[str, object] | None = None,
) -> pl.DataFrame:
    """Rows of canonical `table` from `raw`: each column read from its header with its schema type.

    `columns` maps a table column to the header that feeds it (None: the file lacks it, so the
    column is left out and the store keeps its value). `constants` sets columns to one value.
    Key columns must be present and non-empty.
    """
    t = schema.table(table)
    out: dict[str, pl.Series] = {}
    for col, header in columns.items():
        if header is None:
            continue
        dtype = t.column(col).dtype
        kind = kind_of(dtype, month=(table, col) == ("costs", "month"))
        out[col] = values(raw, header, kind, dates=dates, required=col in t.key).alias(col)
    for col, value in (constants or {}).items():
        out[col] = pl.Series(col, [value] * raw.frame.height, dtype=t.column(col).dtype)
    missing = [k for k in t.key if k not in out]
    if missing:
        raise DataError(
            f"the file gives no '{missing[0]}' for table '{table}'",
            file=raw.file,
            row=raw.header_row,
        )
    return pl.DataFrame(list(out.values()), schema={c: t.column(c).dtype for c in out})
