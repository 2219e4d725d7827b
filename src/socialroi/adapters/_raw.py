"""Reading any tabular file into text cells: CSV in any common encoding and delimiter, XLSX, XLS.

The platforms' own exports wrap their table in extra lines: title and note rows above the header
(LinkedIn, Google Ads, LinkedIn Campaign Manager), ``#`` comment lines (GA4), a ``sep=,`` line
(Meta's UTF-16 page series), blank lines, and report footers ("Grand Totals (12 records)",
"Confidential Information", "Total: Account"). A :class:`Book` opens the file once; a format (or the
generic table import) looks at the first rows with :meth:`Book.peek`, then asks for the table with
:meth:`Book.table`, naming how to recognise its header row. Everything else is skipped and said so.

Rows are numbered as a spreadsheet shows them: the file's first line is row 1.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

#: Is this row (its cells as text, stripped; empty cells as "") the table's header?
HeaderRule = Callable[[Sequence[str]], bool]

#: Column of RawTable.frame holding each data row's spreadsheet row number.
ROW = "_row"


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


@dataclass
class Book:
    """An opened file: CSV (one unnamed sheet) or a workbook (named sheets)."""

    file: str
    #: "csv" or "excel".
    kind: str
    #: Sheet names in workbook order; [""] for a CSV.
    sheet_names: list[str]
    _cache: dict[str, object] = field(default_factory=dict, repr=False)

    def peek(self, sheet: str | None = None, rows: int = 40) -> list[list[str]]:
        """The first `rows` rows of `sheet` (default: the first) as stripped text cells.

        Comment (``#``) and blank lines are included as they are (a blank line is ``[]``), so a
        format can recognise a file by its preamble as well as its header.
        """
        raise NotImplementedError

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
        raise NotImplementedError


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
    """
    raise NotImplementedError
