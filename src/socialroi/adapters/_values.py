"""Text cells as typed values: the one parser every import and every named format uses.

Values are read per column, so a column's own unambiguous values decide how its ambiguous ones
read: a column holding ``15/09/2026`` is day-first, so its ``03/09/2026`` is 3 September.

date-time / date
    ISO 8601 (``2024-03-05``, ``2024-03-05 14:22``, ``2024-03-05T14:22:05.123Z``, offsets
    ``+01:00 +0100 -05``), ``2015-09-30 18:42 +0000``, ``20260903`` (GA4), ``2024/03/05``,
    ``5 Mar 2024``, ``Mar 5, 2024``, ``Thu, Sep 3, 2026``, ``September 3, 2026``, and
    slashed/dotted/dashed day-month forms (``09/03/2026``, ``9/3/2026 14:05``, ``03.09.2026``)
    whose order is `dates` when given, else inferred from the column, else refused as ambiguous.
    Without an offset a time is UTC. Excel's own dates arrive as ``2024-03-05 00:00:00``.
number
    ``1234.5``, ``1,234.50``, ``"2,140"``, ``424.0``, ``1.234,50``, ``1.200 €``, ``€1,200``,
    ``1200 EUR``, ``USD 1,200``, ``12%`` is refused (a rate is not a count). Decimal comma when
    the column shows it (a ``,dd`` ending, ``.ddd`` groups with a ``,``, or a sign after the
    number as in ``1.200 €``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import polars as pl

DateOrder = Literal["dmy", "mdy", "ymd"]
Kind = Literal["datetime", "date", "month", "number", "int", "bool", "text"]


@dataclass(frozen=True)
class Parsed:
    """One column read as `kind`."""

    #: The typed values (Datetime('us','UTC'), Date, Float64, Int64, Boolean or String); null where
    #: the text is empty or could not be read.
    values: pl.Series
    #: True where the text is non-empty but could not be read.
    bad: pl.Series
    #: Why a text value could not be read, for a DataError: "ambiguous date '03/05/2024': …".
    message: Callable[[str], str]


def kind_of(dtype: pl.DataType, *, month: bool = False) -> Kind:
    """The parse kind of a canonical column type (`month`: costs.month, which takes 2024-03)."""
    raise NotImplementedError


def parse(kind: Kind, s: pl.Series, *, dates: DateOrder | None = None) -> Parsed:
    """Read the text column `s` (String, null = empty) as `kind` (see the module doc)."""
    raise NotImplementedError
