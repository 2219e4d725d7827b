"""Pseudonyms for contacts: names, emails, handles and ids replaced in what is shown.

Each value becomes a pseudonym made from a keyed hash (HMAC-SHA256 with a secret salt) of the
field and the value: the same value gives the same pseudonym in every table, chart and run that
uses the same salt, and without the salt a pseudonym cannot be tied back to the name (a plain hash
of a name could be found by hashing a list of names).

A pseudonym carries CODE_BITS = 64 bits of the hash (16 hex characters). Two of n different
values share one with probability about n² / 2⁶⁵ — one in 400 million for 300,000 contacts (with
32 bits it was a near certainty: 10 collisions were measured at 300,000). Even so a pseudonym is
never a join key: :func:`redact_result` pseudonymises a finished result, whose numbers were
computed on the real ids, so two people can never be merged into one; and two values that do get
the same pseudonym are an error, not a silent merge.

What is replaced (:func:`redact_result`), in every frame of the result:

* contact ids in columns named CONTACT_ID_NAMES (``contact_id``, ``referred_by``, the referral
  network's ``origin``, ``root_id`` and ``node``), visitor ids in ``visitor_id``;
* contacts' names, emails and handles in columns named like them (``name``, ``*_name``,
  ``email``, ``handle*``): a cell equal to a contact's name becomes its pseudonym, so employee
  names in a mixed column (the influence table's ``name``) stay readable;
* the run log (``failed_runs``): its source and error text can hold local paths and cell values,
  so only the kind of source (``file``, or the platform) and the error's row and column remain.

Pure: the salt is passed in (the store keeps it; see `socialroi.analysis.redaction_salt`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

import polars as pl

from socialroi.errors import DataError

#: Columns of `contacts` holding a handle on a platform.
HANDLE_COLUMNS: tuple[str, ...] = (
    "handle_x",
    "handle_linkedin",
    "handle_facebook",
    "handle_instagram",
    "handle_mastodon",
    "handle_bluesky",
)
#: table → columns holding a contact id.
CONTACT_ID_COLUMNS: dict[str, tuple[str, ...]] = {
    "contacts": ("contact_id", "referred_by"),
    "touchpoints": ("contact_id",),
    "sessions": ("contact_id",),
    "leads": ("contact_id",),
    "deals": ("contact_id",),
}
VISITOR_ID_TABLES: tuple[str, ...] = ("contacts", "sessions")
#: Bits of the keyed hash a pseudonym carries, and the hex characters that hold them.
CODE_BITS = 64
CODE_CHARS = CODE_BITS // 4
#: Columns of a result that hold contact ids (values that are not a contact's id stay).
CONTACT_ID_NAMES: tuple[str, ...] = ("contact_id", "referred_by", "origin", "root_id", "node")
#: The run log's columns a redacted result keeps as they are.
RUN_LOG_FIELD = "failed_runs"
HIDDEN = "details hidden in a redacted report"

T = TypeVar("T")


def code(value: str, *, field: str, salt: bytes) -> str:
    """The keyed hash of `value` in `field` as CODE_CHARS upper-case hex characters."""
    digest = hmac.new(salt, f"{field}\x1f{value}".encode(), hashlib.sha256).hexdigest()
    return digest[:CODE_CHARS].upper()


def pseudonym(value: str, *, field: str, salt: bytes) -> str:
    """``Contact 1A2B…`` for a name, ``c-1A2B…`` for an id, ``1a2b…@redacted.invalid`` for an
    email, ``@1a2b…`` for a handle, ``v-1A2B…`` for a visitor id (CODE_CHARS hex characters)."""
    c = code(value, field=field, salt=salt)
    if field == "name":
        return f"Contact {c}"
    if field == "email":
        return f"{c.lower()}@redacted.invalid"
    if field == "visitor_id":
        return f"v-{c}"
    if field == "contact_id":
        return f"c-{c}"
    return f"@{c.lower()}"


def pseudonyms(values: Iterable[str | None], *, field: str, salt: bytes) -> dict[str, str]:
    """value → pseudonym for every distinct non-null value; a DataError if two different values
    would share one (so a pseudonym never stands for two people)."""
    if not salt:
        raise ValueError("a redaction salt must not be empty")
    mapping = {v: pseudonym(v, field=field, salt=salt) for v in set(values) if v is not None}
    if len(set(mapping.values())) != len(mapping):
        raise DataError(
            f"two different {field} values share a pseudonym; redaction would merge them "
            "(a new salt fixes it: delete the store's redact_salt)"
        )
    return mapping


def _replace(df: pl.DataFrame, col: str, *, field: str, salt: bytes) -> pl.DataFrame:
    if col not in df.columns:
        return df
    mapping = pseudonyms(df[col].drop_nulls().unique().to_list(), field=field, salt=salt)
    return df.with_columns(
        pl.col(col).replace_strict(mapping, default=None, return_dtype=pl.String)
    )


def redact_tables(tables: Mapping[str, pl.DataFrame], *, salt: bytes) -> dict[str, pl.DataFrame]:
    """`tables` with every contact's name, email, handles, contact id and visitor id replaced by
    pseudonyms. Tables without such columns are returned unchanged.

    For sharing data, not for analysing it: compute on the real tables and pseudonymise the
    result with :func:`redact_result`."""
    if not salt:
        raise ValueError("a redaction salt must not be empty")
    out = dict(tables)
    for name, cols in CONTACT_ID_COLUMNS.items():
        if name in out:
            for col in cols:
                out[name] = _replace(out[name], col, field="contact_id", salt=salt)
    for name in VISITOR_ID_TABLES:
        if name in out:
            out[name] = _replace(out[name], "visitor_id", field="visitor_id", salt=salt)
    if "contacts" in out:
        contacts = _replace(out["contacts"], "name", field="name", salt=salt)
        contacts = _replace(contacts, "email", field="email", salt=salt)
        for col in HANDLE_COLUMNS:
            contacts = _replace(contacts, col, field="handle", salt=salt)
        out["contacts"] = contacts
    return out


def _column(tables: Mapping[str, pl.DataFrame], table: str, col: str) -> list[str]:
    df = tables.get(table)
    if df is None or col not in df.columns:
        return []
    return [v for v in df.get_column(col).cast(pl.String).unique().to_list() if v is not None]


@dataclasses.dataclass(frozen=True)
class Pseudonyms:
    """The pseudonyms of the contacts in a set of canonical tables, by what they replace."""

    ids: dict[str, str]
    visitors: dict[str, str]
    #: Names, emails and handles, for cells of columns named like them.
    text: dict[str, str]

    @classmethod
    def of(cls, tables: Mapping[str, pl.DataFrame], *, salt: bytes) -> Pseudonyms:
        """Every contact id, visitor id, name, email and handle in `tables` (the real ones)."""
        ids = [
            v for t, cols in CONTACT_ID_COLUMNS.items() for c in cols for v in _column(tables, t, c)
        ]
        visitors = [v for t in VISITOR_ID_TABLES for v in _column(tables, t, "visitor_id")]
        handles = [v for c in HANDLE_COLUMNS for v in _column(tables, "contacts", c)]
        text = {
            **pseudonyms(handles, field="handle", salt=salt),
            **pseudonyms(_column(tables, "contacts", "email"), field="email", salt=salt),
            **pseudonyms(_column(tables, "contacts", "name"), field="name", salt=salt),
        }
        return cls(
            ids=pseudonyms(ids, field="contact_id", salt=salt),
            visitors=pseudonyms(visitors, field="visitor_id", salt=salt),
            text=text,
        )

    def frame(self, df: pl.DataFrame) -> pl.DataFrame:
        """`df` with the contacts' values in its id, name, email and handle columns replaced."""
        swaps = []
        for col, dtype in df.schema.items():
            if dtype != pl.String:
                continue
            mapping = self._mapping(col)
            if mapping:
                swaps.append(pl.col(col).replace(mapping))
        return df.with_columns(swaps) if swaps else df

    def _mapping(self, col: str) -> dict[str, str] | None:
        low = col.lower()
        if low in CONTACT_ID_NAMES:
            return self.ids
        if low == "visitor_id":
            return self.visitors
        if low == "name" or low.endswith("_name") or "email" in low or low.startswith("handle"):
            return self.text
        return None


_ROW = re.compile(r"\brow (\d+)")
_COLUMN = re.compile(r"\bcolumn '([^']*)'")
_PATHISH = re.compile(r"[/\\]|\.(csv|tsv|txt|xlsx?|json|parquet)$", re.IGNORECASE)


def redact_run_log(runs: pl.DataFrame) -> pl.DataFrame:
    """The run log with no local path and no cell value: a source that is a file becomes
    ``file``; an error keeps only its row and column (``row 12, column 'amount'``)."""
    if runs.height == 0:
        return runs

    def error(text: str | None) -> str | None:
        if text is None:
            return None
        where = []
        if (row := _ROW.search(text)) is not None:
            where.append(f"row {row[1]}")
        if (column := _COLUMN.search(text)) is not None:
            where.append(f"column '{column[1]}'")
        return f"{', '.join(where)}: {HIDDEN}" if where else HIDDEN

    def target(text: str | None) -> str | None:
        return None if text is None else ("file" if _PATHISH.search(text) else text)

    swaps = []
    if "target" in runs.columns:
        swaps.append(pl.col("target").map_elements(target, return_dtype=pl.String))
    if "error" in runs.columns:
        swaps.append(pl.col("error").map_elements(error, return_dtype=pl.String))
    return runs.with_columns(swaps)


def _walk(obj: Any, names: Pseudonyms, field: str | None) -> Any:
    if isinstance(obj, pl.DataFrame):
        return redact_run_log(obj) if field == RUN_LOG_FIELD else names.frame(obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        changes = {}
        for f in dataclasses.fields(obj):
            if not f.init:
                continue
            old = getattr(obj, f.name)
            new = _walk(old, names, f.name)
            if new is not old:
                changes[f.name] = new
        if any(f.name == "redacted" for f in dataclasses.fields(obj)):
            changes["redacted"] = True
        return dataclasses.replace(obj, **changes) if changes else obj
    if isinstance(obj, Mapping):
        out = {k: _walk(v, names, field) for k, v in obj.items()}
        return out if any(out[k] is not obj[k] for k in out) else obj
    if isinstance(obj, tuple | list) and any(isinstance(v, pl.DataFrame) for v in obj):
        return type(obj)(_walk(v, names, field) for v in obj)
    return obj


def redact_result(result: T, tables: Mapping[str, pl.DataFrame], *, salt: bytes) -> T:
    """`result` (an `Analysis`, or any dataclass of frames) with the contacts of `tables`
    pseudonymised in every frame it holds, and its ``redacted`` flag set.

    `tables` are the real canonical tables the result was computed from; the result's numbers
    are untouched. Frames are reached through dataclass fields, mappings, lists and tuples;
    other objects (such as the analysis' ``pipeline``, which holds the real tables to compute
    more from) are kept as they are, so show only the result's frames.
    """
    return _walk(result, Pseudonyms.of(tables, salt=salt), None)  # type: ignore[no-any-return]


__all__ = [
    "CODE_BITS",
    "CONTACT_ID_NAMES",
    "Pseudonyms",
    "code",
    "pseudonym",
    "pseudonyms",
    "redact_result",
    "redact_run_log",
    "redact_tables",
]
