"""The platforms' and CRMs' own export files, recognised by their signature (design §6).

Each named format reads one kind of export file (what a "Download" or "Export" button gives)
and fills the canonical tables it carries, through the same vocabulary and mapping code as the
pulls. `detect` picks the format of a file from its sheet names, preamble and header cells;
`socialroi import --as NAME` forces one. ``socialroi import --list-formats`` prints `FORMATS`.

A format returns only the columns the file holds: the loader keeps every other column of a row
the store already has (a followers file does not erase the impressions a content file loaded).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

import polars as pl

from socialroi.adapters._raw import Book
from socialroi.adapters._values import DateOrder
from socialroi.errors import DataError

#: The modules of this package that define formats, each as a tuple FORMATS.
_MODULES = (
    "hubspot",
    "salesforce",
    "pipedrive",
    "meta",
    "meta_ads",
    "linkedin",
    "linkedin_ads",
    "x",
    "ga4",
    "google_ads",
)


@dataclass(frozen=True)
class ReadOptions:
    """What the user said about the file (CLI options and config)."""

    #: Day-month order of ambiguous dates (``--dates``); None: inferred per column.
    dates: DateOrder | None = None
    #: ``--set COLUMN=VALUE``: constant columns (e.g. ``account_id=urn:li:organization:1``).
    sets: Mapping[str, str] = field(default_factory=dict)
    #: The reporting currency (config); money in another currency is refused, never converted.
    currency: str = "USD"
    #: ``--sheet``: only this sheet of a workbook.
    sheet: str | None = None


@dataclass
class Loaded:
    """What a format (or the generic table import) read from one file."""

    #: The format's name ("hubspot-contacts", or "table:deals" for the generic import).
    format: str
    #: Canonical table -> rows. Each frame has the table's key columns and only the columns the
    #: file provides, each with the canonical type (schema.TABLES[t].polars_schema[c]).
    tables: dict[str, pl.DataFrame]
    #: File header -> "table.column" it fed (several targets joined by ", ").
    mapping: dict[str, str] = field(default_factory=dict)
    #: Headers no table uses (reported, never silently dropped).
    ignored: list[str] = field(default_factory=list)
    #: What was recognised and skipped: "LinkedIn page content export (sheets Metrics, All posts)",
    #: "the table starts at row 2".
    notes: list[str] = field(default_factory=list)
    #: Loads that are complete but probably not what the user meant.
    warnings: list[str] = field(default_factory=list)


class Format(Protocol):
    """One kind of export file."""

    #: The name for ``--as`` ("meta-posts").
    name: str
    #: What it is, for ``--list-formats`` ("Meta Business Suite post export, Facebook and IG").
    title: str
    #: The canonical tables it fills.
    fills: tuple[str, ...]

    def score(self, book: Book) -> int:
        """0 when `book` is not this format; higher the surer (a sheet name and 3 headers: 4)."""
        ...

    def read(self, book: Book, options: ReadOptions) -> Loaded:
        """The rows this file carries. Raises DataError naming the file, row and column."""
        ...


def formats() -> dict[str, Format]:
    """Every named format by name, in the order --list-formats prints them."""
    out: dict[str, Format] = {}
    for name in _MODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        for fmt in module.FORMATS:
            out[fmt.name] = fmt
    return out


def get(name: str) -> Format:
    """The format called `name`, or a DataError listing them."""
    known = formats()
    if name not in known:
        raise DataError(f"unknown format '{name}'; formats are: {', '.join(known)}")
    return known[name]


def detect(book: Book) -> Format | None:
    """The format `book` is, or None when no format recognises it (a plain table file)."""
    scored = [(fmt.score(book), i, fmt) for i, fmt in enumerate(formats().values())]
    best = max(scored, key=lambda s: (s[0], -s[1]), default=None)
    return best[2] if best is not None and best[0] > 0 else None
