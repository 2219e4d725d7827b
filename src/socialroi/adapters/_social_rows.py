"""Canonical rows for social platforms: shared by the X, Mastodon and Bluesky adapters.

Small pure functions, usable by any adapter that pulls accounts, posts and their metrics:

- `account_specs(options, platform)` reads the `accounts` option (a handle, or a table with
  `handle` and `owner`) into `AccountSpec`s;
- `snapshot_time(as_of)` is the run's day (midnight UTC): the `as_of` of `post_metrics` rows and
  the `date` of `account_daily` rows, so a re-run the same day replaces its snapshot;
- `window_start(as_of, since, days)` is the lower time bound of a fetch;
- `parse_time(text)` reads the ISO 8601 forms platforms send (`Z`, `+00:00`, `+0000`, fractions);
- `account_row`, `daily_row`, `post_row` (link URL parsed into UTM fields and campaign) and
  `metrics_row` build one row each; `count(value)` keeps a counter only when it is one;
- `cursor_by_account(state)` reads a posts cursor (`{account_id: newest id or time}`);
- `iso(t)` writes a time the way cursors keep it (`2026-11-20T14:03:00Z`);
- `frames(rows)` turns `{table: [row, ...]}` into schema-conformed polars frames.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl

from socialroi import schema
from socialroi.adapters._utm import link_columns
from socialroi.errors import ConfigError

Row = dict[str, Any]


@dataclass(frozen=True)
class AccountSpec:
    """One account to pull: its handle on the platform and who owns it (`brand` or an employee)."""

    handle: str
    owner: str = "brand"


def account_specs(options: Mapping[str, Any], platform: str) -> tuple[AccountSpec, ...]:
    """The `accounts` option as specs; a ConfigError names the bad entry.

    Each entry is a handle (`"acme"`, owner `brand`) or a table
    `{ handle = "jdoe", owner = "e014" }` for a staff account.
    """
    raw = options.get("accounts") or ()
    if isinstance(raw, str):
        raw = (raw,)
    if not isinstance(raw, Sequence):
        raise ConfigError(f"[platforms.{platform}] accounts must be a list of handles or tables")
    specs: list[AccountSpec] = []
    for i, entry in enumerate(raw):
        if isinstance(entry, str) and entry.strip():
            specs.append(AccountSpec(entry.strip().lstrip("@")))
        elif isinstance(entry, Mapping) and str(entry.get("handle") or "").strip():
            owner = str(entry.get("owner") or "brand").strip() or "brand"
            specs.append(AccountSpec(str(entry["handle"]).strip().lstrip("@"), owner))
        else:
            raise ConfigError(
                f"[platforms.{platform}] accounts[{i}] must be a handle or a table with "
                f"'handle' (and optionally 'owner'), got {entry!r}"
            )
    if not specs:
        raise ConfigError(
            f'[platforms.{platform}] lists no accounts: set accounts = ["yourhandle"]'
        )
    return tuple(specs)


def cursor_by_account(state: Mapping[str, Any] | None) -> dict[str, str]:
    """A posts stream's cursor, `{account_id: newest id or time seen}`, from the stored state."""
    return {str(k): str(v) for k, v in (state or {}).items() if isinstance(v, str) and v}


def iso(t: datetime) -> str:
    """A time as cursors keep it: UTC, ISO 8601 with a `Z`."""
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def option_int(options: Mapping[str, Any], name: str, platform: str, *, low: int = 1) -> int:
    """An integer option of at least `low`, or a ConfigError naming it."""
    value = options.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(f"[platforms.{platform}] {name} must be an integer >= {low}")
    return value


def snapshot_time(as_of: datetime) -> datetime:
    """The run's day as midnight UTC: the key of this run's metric snapshots."""
    day = as_of.astimezone(UTC)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def snapshot_date(as_of: datetime) -> date:
    return snapshot_time(as_of).date()


def window_start(as_of: datetime, since: datetime | None, days: int) -> datetime:
    """`since` (taken as UTC when naive) if given, else `days` before `as_of`."""
    if since is None:
        return as_of.astimezone(UTC) - timedelta(days=days)
    return since.replace(tzinfo=UTC) if since.tzinfo is None else since.astimezone(UTC)


_OFFSET_NO_COLON = re.compile(r"([+-]\d\d)(\d\d)$")


def parse_time(text: Any) -> datetime | None:
    """A platform timestamp as tz-aware UTC; None when absent or unreadable.

    Accepts `2026-11-20T14:03:00.000Z`, `...+00:00`, `...+0000` and a naive time (taken as UTC).
    """
    if not isinstance(text, str) or not text.strip():
        return None
    s = text.strip()
    if s.endswith(("Z", "z")):
        s = s[:-1] + "+00:00"
    s = _OFFSET_NO_COLON.sub(r"\1:\2", s)
    try:
        t = datetime.fromisoformat(s)
    except ValueError:
        return None
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def count(value: Any) -> int | None:
    """A counter as int when the platform sent one (a non-negative whole number), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def add_counts(*values: Any) -> int | None:
    """The sum of the counters present; None when none is."""
    present = [c for c in (count(v) for v in values) if c is not None]
    return sum(present) if present else None


def account_row(platform: str, account_id: str, handle: str | None, owner: str) -> Row:
    return {"platform": platform, "account_id": account_id, "handle": handle, "owner": owner}


def daily_row(
    platform: str,
    account_id: str,
    as_of: datetime,
    *,
    followers: Any = None,
    impressions: Any = None,
    engagements: Any = None,
    profile_clicks: Any = None,
) -> Row:
    return {
        "platform": platform,
        "account_id": account_id,
        "date": snapshot_date(as_of),
        "followers": count(followers),
        "impressions": count(impressions),
        "engagements": count(engagements),
        "profile_clicks": count(profile_clicks),
    }


def post_row(
    platform: str,
    post_id: str,
    *,
    account_id: str | None,
    created_at: datetime | None,
    text: str | None,
    kind: str,
    link_url: str | None,
    url: str | None = None,
) -> Row:
    """A posts row; UTM fields (and so any tracked-link code in utm_content) and the campaign
    come from `link_url`; `url` is the post's own web address."""
    row: Row = {
        "platform": platform,
        "post_id": post_id,
        "account_id": account_id,
        "created_at": created_at,
        "url": url or None,
        "text": text,
        "kind": kind,
    }
    row.update(link_columns(link_url or None))
    row["campaign"] = row["utm_campaign"]
    return row


def metrics_row(
    platform: str,
    post_id: str,
    as_of: datetime,
    *,
    impressions: Any = None,
    reach: Any = None,
    likes: Any = None,
    comments: Any = None,
    shares: Any = None,
    saves: Any = None,
    clicks: Any = None,
) -> Row:
    """A post_metrics row keyed by the run's day; counters that are not counts become null."""
    return {
        "platform": platform,
        "post_id": post_id,
        "as_of": snapshot_time(as_of),
        "impressions": count(impressions),
        "reach": count(reach),
        "likes": count(likes),
        "comments": count(comments),
        "shares": count(shares),
        "saves": count(saves),
        "clicks": count(clicks),
    }


def frames(rows: Mapping[str, Sequence[Row]]) -> dict[str, pl.DataFrame]:
    """`{table: rows}` as schema-conformed frames (an empty list gives an empty frame).

    Rows with the same key keep the last one, so a page that repeats an item yields one row.
    """
    out: dict[str, pl.DataFrame] = {}
    for name, table_rows in rows.items():
        t = schema.table(name)
        df = pl.DataFrame(list(table_rows), schema=t.polars_schema)
        if df.height:
            df = df.unique(subset=list(t.key), keep="last", maintain_order=True)
        out[name] = schema.conform(name, df, source=name)
    return out
