"""Pseudonyms for contacts: names, emails, handles and ids replaced before any analysis.

Each value becomes a pseudonym made from a keyed hash (HMAC-SHA256 with a secret salt) of the
field and the value: the same value gives the same pseudonym in every table, chart and run that
uses the same salt, and without the salt a pseudonym cannot be tied back to the name (a plain hash
of a name could be found by hashing a list of names). Contact ids and visitor ids are replaced the
same way in every table that holds them, so joins and identity matching work as before.

Pure: the salt is passed in (the store keeps it; see `socialroi.reports.redaction`).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

import polars as pl

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
CODE_CHARS = 8


def code(value: str, *, field: str, salt: bytes) -> str:
    """The keyed hash of `value` in `field` as CODE_CHARS upper-case hex characters."""
    digest = hmac.new(salt, f"{field}\x1f{value}".encode(), hashlib.sha256).hexdigest()
    return digest[:CODE_CHARS].upper()


def pseudonym(value: str, *, field: str, salt: bytes) -> str:
    """``Contact 1A2B3C4D`` for a name, ``c-1A2B3C4D`` for an id, ``1A2B3C4D@redacted.invalid``
    for an email, ``@1A2B3C4D`` for a handle, ``v-1A2B3C4D`` for a visitor id."""
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


def _replace(df: pl.DataFrame, col: str, *, field: str, salt: bytes) -> pl.DataFrame:
    if col not in df.columns:
        return df
    values = df[col].drop_nulls().unique().to_list()
    mapping = {v: pseudonym(v, field=field, salt=salt) for v in values}
    return df.with_columns(
        pl.col(col).replace_strict(mapping, default=None, return_dtype=pl.String)
    )


def redact_tables(tables: Mapping[str, pl.DataFrame], *, salt: bytes) -> dict[str, pl.DataFrame]:
    """`tables` with every contact's name, email, handles, contact id and visitor id replaced by
    pseudonyms. Tables without such columns are returned unchanged."""
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
