"""Identity: tie web sessions to contacts and turn them into touches (design §3).

A session belongs to a contact through the first of these that applies:

1. its own ``contact_id`` (the analytics tool already knew the person);
2. its ``visitor_id`` equals a contact's ``visitor_id`` (a form fill or login linked them);
3. its ``visitor_id`` is shared with another session that rules 1–2 tied to a contact — the one
   nearest in time when several contacts used the device;
4. its ``click_id`` is shared with a session that rules 1–3 tied to a contact (nearest in time).

Stored touchpoints' channel and platform are read through :mod:`socialroi.core.vocabulary`
(``LinkedIn`` is ``linkedin``). Matched sessions become touches (``ref`` = session id) next to the
stored touchpoints; unmatched
ones stay visible as anonymous reach. A touch's employee is the one in its tracked-link code, else
the owner of the post's account when an employee owns it; its campaign is the session's, else the
post's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from socialroi.core.channels import classify_sessions
from socialroi.core.vocabulary import channel_expr, is_social, platform_expr
from socialroi.schema import conform, table

ALL_SOCIAL = "(all social)"
ANONYMOUS_COLUMNS: tuple[str, ...] = (
    "session_id",
    "started_at",
    "channel",
    "platform",
    "post_id",
    "employee_id",
    "campaign",
    "count",
)
#: The session columns identity reads, and those only classification reads (of those).
_CLASSIFIED_FROM: tuple[str, ...] = ("source", "medium", "content")
_SESSION_COLUMNS: tuple[str, ...] = (
    "session_id",
    "started_at",
    "campaign",
    "click_id",
    "visitor_id",
    "contact_id",
    "count",
    *_CLASSIFIED_FROM,
)
#: Analytics placeholders that mean "no campaign": (not set), (organic), (referral), (direct)…
_PLACEHOLDER = r"^\(.*\)$"


@dataclass(frozen=True)
class Identity:
    """What :func:`resolve` found."""

    touchpoints: pl.DataFrame
    """Canonical touchpoints: the stored ones and one per matched session, deduplicated by key,
    in time order."""
    anonymous: pl.DataFrame
    """Sessions tied to no contact (ANONYMOUS_COLUMNS); a row stands for ``count`` sessions
    (empty: one)."""
    match_rate: pl.DataFrame
    """platform, sessions, matched, match_rate: one row per platform of the social sessions, and
    ``(all social)``. A session is social by its channel (:func:`vocabulary.is_social`); one
    naming no platform counts under its channel, ``social_other`` or ``paid_social``. A
    session row counts as its ``count`` sessions (empty: one), so aggregate rows weigh in full."""


def _borrow(df: pl.DataFrame, key: str) -> pl.DataFrame:
    """Fill `_contact` from the nearest-in-time session with the same `key` that has one.

    `df` must be sorted by started_at (join_asof with `by` needs each key's rows in time order).
    """
    known = df.filter(pl.col("_contact").is_not_null() & pl.col(key).is_not_null()).select(
        key, pl.col("started_at").alias("_at"), pl.col("_contact").alias("_borrowed")
    )
    joined = df.join_asof(
        known,
        left_on="started_at",
        right_on="_at",
        by=key,
        strategy="nearest",
        check_sortedness=False,
    )
    borrowed = pl.when(pl.col(key).is_not_null()).then(pl.col("_borrowed"))
    return joined.with_columns(pl.coalesce("_contact", borrowed).alias("_contact")).drop(
        "_at", "_borrowed", strict=False
    )


def match_sessions(sessions: pl.DataFrame, contacts: pl.DataFrame) -> pl.DataFrame:
    """`sessions` in time order plus `_contact`: the contact each belongs to by the four rules."""
    by_visitor = (
        contacts.filter(pl.col("visitor_id").is_not_null())
        .group_by("visitor_id")
        .agg(pl.col("contact_id").min().alias("_visitor_contact"))
    )
    df = sessions.join(by_visitor, on="visitor_id", how="left", maintain_order="left")
    df = df.with_columns(pl.coalesce("contact_id", "_visitor_contact").alias("_contact")).drop(
        "_visitor_contact"
    )
    if not df.get_column("started_at").is_sorted():
        df = df.sort("started_at", maintain_order=True)
    return _borrow(_borrow(df, "visitor_id"), "click_id")


def _post_lookup(posts: pl.DataFrame, accounts: pl.DataFrame) -> pl.DataFrame:
    """platform, post_id → the owning employee (null for brand accounts) and the post's campaign."""
    owners = accounts.select(
        pl.col("platform").str.to_lowercase(),
        "account_id",
        pl.when(pl.col("owner") != "brand").then(pl.col("owner")).alias("_owner"),
    ).unique(subset=["platform", "account_id"], keep="first", maintain_order=True)
    return (
        posts.select(
            pl.col("platform").str.to_lowercase(),
            "post_id",
            "account_id",
            pl.col("campaign").alias("_post_campaign"),
        )
        .unique(subset=["platform", "post_id"], keep="first", maintain_order=True)
        .join(owners, on=["platform", "account_id"], how="left")
        .drop("account_id")
    )


def _enrich(df: pl.DataFrame, lookup: pl.DataFrame) -> pl.DataFrame:
    """Fill employee_id from the post's account owner and campaign from the post."""
    raw = pl.col("campaign").str.strip_chars()
    placeholder = (raw == "") | raw.str.contains(_PLACEHOLDER)
    session_campaign = pl.when(placeholder).then(None).otherwise(pl.col("campaign"))
    joined = df.join(lookup, on=["platform", "post_id"], how="left", maintain_order="left")
    return joined.with_columns(
        pl.coalesce("employee_id", "_owner").alias("employee_id"),
        pl.coalesce(session_campaign, "_post_campaign").alias("campaign"),
    ).drop("_owner", "_post_campaign")


def _match_rate(sessions: pl.DataFrame) -> pl.DataFrame:
    """Social sessions and matched ones per platform, each row weighted by its `count`.

    A row's `count` is the number of sessions it stands for (GA4 rows are daily aggregates); an
    empty count is one session.
    """
    social = sessions.filter(is_social(pl.col("channel"))).select(
        pl.coalesce("platform", "channel").alias("platform"),
        pl.col("count").fill_null(1).cast(pl.Int64).alias("_n"),
        pl.col("_contact").is_not_null().alias("_matched"),
    )
    sessions_n = pl.col("_n").sum().cast(pl.Int64).alias("sessions")
    matched_n = pl.col("_n").filter(pl.col("_matched")).sum().cast(pl.Int64).alias("matched")
    per = social.group_by("platform").agg(sessions_n, matched_n)
    total = social.select(pl.lit(ALL_SOCIAL).alias("platform"), sessions_n, matched_n)
    out = pl.concat([per.sort("platform"), total])
    rate = pl.when(pl.col("sessions") > 0).then(pl.col("matched") / pl.col("sessions"))
    return out.with_columns(rate.cast(pl.Float64).alias("match_rate"))


def _spelled(touchpoints: pl.DataFrame) -> pl.DataFrame:
    """Stored touches with channel and platform in the vocabulary's spelling (``LinkedIn`` as
    HubSpot writes it is ``linkedin``, ``Social media`` is ``social_other``), so that a touch's
    channel decides whether it is social the same way wherever the touch came from."""
    channel, platform = pl.col("channel"), pl.col("platform")
    return touchpoints.with_columns(
        pl.coalesce(channel_expr(channel), channel).alias("channel"),
        platform_expr(platform).alias("platform"),
    )


def resolve(
    *,
    sessions: pl.DataFrame,
    contacts: pl.DataFrame,
    touchpoints: pl.DataFrame,
    posts: pl.DataFrame,
    accounts: pl.DataFrame,
) -> Identity:
    """Tie sessions to contacts and merge them with the stored touchpoints (see the module doc)."""
    lookup = _post_lookup(conform("posts", posts), conform("accounts", accounts))
    # Only the columns read below travel through classification and matching.
    classified = classify_sessions(conform("sessions", sessions).select(_SESSION_COLUMNS)).drop(
        _CLASSIFIED_FROM
    )
    matched = _enrich(match_sessions(classified, conform("contacts", contacts)), lookup)
    del classified

    session_touches = matched.filter(pl.col("_contact").is_not_null()).select(
        pl.col("_contact").alias("contact_id"),
        pl.col("started_at").alias("ts"),
        "channel",
        pl.col("session_id").alias("ref"),
        "platform",
        "kind",
        "post_id",
        "employee_id",
        "campaign",
    )
    stored = _enrich(_spelled(conform("touchpoints", touchpoints)), lookup)
    key = list(table("touchpoints").key)
    merged = (
        pl.concat([stored, conform("touchpoints", session_touches)])
        .unique(subset=key, keep="first", maintain_order=True)
        .sort("ts", maintain_order=True)
    )
    anonymous = matched.filter(pl.col("_contact").is_null()).select(ANONYMOUS_COLUMNS)
    return Identity(
        touchpoints=conform("touchpoints", merged),
        anonymous=anonymous,
        match_rate=_match_rate(matched),
    )


#: The canonical tables identity resolution reads.
IDENTITY_TABLES: tuple[str, ...] = ("sessions", "contacts", "touchpoints", "posts", "accounts")


def resolve_tables(tables: Mapping[str, pl.DataFrame]) -> Identity:
    """:func:`resolve` on a mapping of canonical tables by name (as Store.read_all returns)."""
    return resolve(**{name: tables[name] for name in IDENTITY_TABLES})
