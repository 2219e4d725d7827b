"""X (Twitter) analytics exports: one format, ``x-analytics``, for the three files X has given.

legacy tweet activity (``tweet_activity_metrics_<user>_<from>_<to>_<lang>.csv``, until 2024)
    Every field quoted; ``Tweet id, Tweet permalink, Tweet text, time, impressions, engagements,
    …, retweets, replies, likes`` (older: ``favorites``) ``, user profile clicks, url clicks, …``
    then ``promoted …`` columns holding ``-``. ``time`` is ``2015-09-30 18:42 +0000``; counts are
    written ``424.0``.
content (``account_analytics_content_<from>_<to>.csv``, 2024+)
    ``Post id, Date, Post text, Post Link, Impressions, Likes, Engagements, Bookmarks, Shares, New
    follows, Replies, Reposts, Profile visits, Detail Expands, URL Clicks, …``; ``Date`` is
    ``Fri, Jun 5, 2026`` (a day, no time).
account overview (``account_overview_analytics.csv``)
    ``Date, Impressions, Likes, Engagements, Bookmarks, Shares, New follows, Unfollows, Replies,
    Reposts, Profile visits, …`` one row per day, newest first.

The post files fill ``posts`` (post id as the X pull writes it: the numeric id; created_at from
the id itself, which X derives from the posting time — exact to the second, as the pull stores it
— else from the file; the text; the permalink as url) and one ``post_metrics`` snapshot per post
(impressions, likes, replies → comments, retweets/reposts → shares, bookmarks → saves, url
clicks → clicks), taken at the midnight after the file's newest post or day. The overview fills
``account_daily`` (impressions, engagements, new follows → new_followers, profile visits →
profile_clicks).

The X pull keys an account by its numeric user id, which no export file holds (the permalink
names the handle): ``--set account_id=USER_ID`` sets it; without it, posts keep the account the
store has, and the overview, which is nothing but account rows, is refused.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from urllib.parse import urlsplit

import polars as pl

from socialroi.adapters._raw import Book, RawTable
from socialroi.adapters.formats import Loaded, ReadOptions
from socialroi.adapters.formats import _social as s
from socialroi.adapters.formats._common import norm, pick, text, values
from socialroi.errors import DataError

LAYOUTS: dict[str, dict[str, tuple[str, ...]]] = {
    "legacy": {
        "post_id": ("Tweet id",),
        "url": ("Tweet permalink",),
        "text": ("Tweet text",),
        "time": ("time",),
        "impressions": ("impressions",),
        "likes": ("likes", "favorites"),
        "comments": ("replies",),
        "shares": ("retweets",),
        "clicks": ("url clicks",),
    },
    "content": {
        "post_id": ("Post id",),
        "url": ("Post Link",),
        "text": ("Post text",),
        "time": ("Date",),
        "impressions": ("Impressions",),
        "likes": ("Likes",),
        "comments": ("Replies",),
        "shares": ("Reposts",),
        "saves": ("Bookmarks",),
        "clicks": ("URL Clicks",),
    },
    "overview": {
        "date": ("Date",),
        "impressions": ("Impressions",),
        "engagements": ("Engagements",),
        "new_followers": ("New follows",),
        "profile_clicks": ("Profile visits",),
    },
}
#: Headers that tell each layout apart (a header row holds all of them).
SIGNATURES: dict[str, tuple[str, ...]] = {
    "legacy": ("Tweet id", "Tweet permalink", "impressions"),
    "content": ("Post id", "Post Link", "Post text"),
    "overview": ("Date", "New follows", "Unfollows", "Profile visits"),
}
TITLES = {
    "legacy": "legacy tweet activity export",
    "content": "post content export (2024+)",
    "overview": "account overview export",
}
#: X ids are snowflakes: (id >> 22) + this = the posting time in epoch milliseconds.
TWEPOCH_MS = 1288834974657
#: Below this an id is not a snowflake (posts before November 2010).
FIRST_SNOWFLAKE = 1 << 42
_HANDLE_RE = re.compile(r"^/([A-Za-z0-9_]{1,15})/status(?:es)?/\d+")


def _layout(cells: Sequence[str]) -> str | None:
    got = {norm(c) for c in cells if c}
    for name, sig in SIGNATURES.items():
        if all(norm(h) in got for h in sig):
            return name
    return None


def _find(rows: list[list[str]]) -> str | None:
    return next((k for r in rows if (k := _layout(r)) is not None), None)


def snowflake_time(post_id: str | None) -> datetime | None:
    """The posting time an X id encodes (to the second, as the API's created_at), or None."""
    if post_id is None or not post_id.isdigit() or int(post_id) < FIRST_SNOWFLAKE:
        return None
    ms = (int(post_id) >> 22) + TWEPOCH_MS
    return datetime.fromtimestamp(ms // 1000, UTC)


def handle_in(url: str | None) -> str | None:
    """The account handle in a post permalink (``https://twitter.com/acme/status/1``)."""
    if not url:
        return None
    m = _HANDLE_RE.match(urlsplit(url).path)
    return m.group(1) if m else None


class XAnalytics:
    """X analytics exports (legacy tweet activity, 2024+ content, account overview)."""

    name = "x-analytics"
    title = "X analytics export (tweet activity, post content or account overview CSV)"
    fills: tuple[str, ...] = ("posts", "post_metrics", "account_daily")

    def score(self, book: Book) -> int:
        if book.kind != "csv":
            return 0
        return 4 if _find(book.peek()) is not None else 0

    def read(self, book: Book, options: ReadOptions) -> Loaded:
        layout = _find(book.peek())
        if layout is None:
            raise DataError(
                "not an X analytics export: no header with "
                + " / ".join(", ".join(sig) for sig in SIGNATURES.values()),
                file=book.file,
            )
        raw = book.table(options.sheet, header=lambda c: _layout(c) == layout)
        heads = {k: pick(raw, *v) for k, v in LAYOUTS[layout].items()}
        account = s.setting(options, "account_id")
        if layout == "overview":
            return self._overview(raw, heads, account)
        return self._posts(raw, heads, account, layout, options)

    def _overview(self, raw: RawTable, h: dict[str, str | None], account: str | None) -> Loaded:
        if account is None:
            raise DataError(
                "the X account overview does not name its account: add --set account_id=USER_ID "
                "(the numeric user id the X pull stores for the account)",
                file=raw.file,
            )
        date_h = h["date"] or raw.header[0]
        day = values(raw, date_h, "date", required=True)
        n = raw.frame.height
        cols: dict[str, pl.Series] = {
            "platform": pl.Series(["x"] * n, dtype=pl.String),
            "account_id": pl.Series([account] * n, dtype=pl.String),
            "date": day,
        }
        mapping = {date_h: "account_daily.date"}
        for column in ("impressions", "engagements", "new_followers", "profile_clicks"):
            header = h[column]
            if header is not None:
                cols[column] = s.counts(raw, header)
                mapping[header] = f"account_daily.{column}"
        daily = pl.DataFrame(cols).sort("date")
        return Loaded(
            format=self.name,
            tables={"account_daily": daily},
            mapping=mapping,
            ignored=[c for c in raw.header if c not in mapping],
            notes=[f"X {TITLES['overview']} for account {account}", *raw.notes],
        )

    def _posts(
        self,
        raw: RawTable,
        h: dict[str, str | None],
        account: str | None,
        layout: str,
        options: ReadOptions,
    ) -> Loaded:
        notes = list(raw.notes)
        id_h = h["post_id"]
        if id_h is None:  # pragma: no cover - the signature holds it
            raise DataError("no post id column", file=raw.file, row=raw.header_row)
        ids = text(raw, id_h).str.replace(r"\.0$", "")
        bad = ids.is_not_null() & ~ids.str.contains(r"^\d+$").fill_null(True)
        if bad.any():
            i = int(bad.arg_true()[0])
            raise DataError(
                f"not an X post id: {ids[i]!r}",
                file=raw.file,
                row=int(raw.frame.get_column("_row")[i]),
                column=id_h,
            )
        written, more = s.when(raw, h["time"], "datetime", options, default="mdy", export="X")
        notes += more
        from_id = pl.Series(
            [snowflake_time(i) for i in ids.to_list()], dtype=pl.Datetime("us", "UTC")
        )
        created = pl.select(
            pl.coalesce(from_id, written.cast(pl.Datetime("us", "UTC")))
        ).to_series()
        n = raw.frame.height
        mapping = {id_h: "posts.post_id, post_metrics.post_id"}
        cols: dict[str, pl.Series] = {
            "platform": pl.Series(["x"] * n, dtype=pl.String),
            "post_id": ids,
        }
        urls = text(raw, h["url"])
        handles = sorted({x for x in (handle_in(u) for u in urls.to_list()) if x})
        if account is not None:
            cols["account_id"] = pl.Series([account] * n, dtype=pl.String)
        else:
            shown = ", ".join(f"@{x}" for x in handles) or "no handle"
            notes.append(
                f"account not set: the permalinks name {shown}, but the X pull keys accounts by "
                "their numeric user id; posts keep the account the store has (give --set "
                "account_id=USER_ID to set it)"
            )
        cols["created_at"] = created
        if h["time"] is not None:
            mapping[h["time"]] = "posts.created_at (the id's own time when it has one)"
        if h["text"] is not None:
            cols["text"] = text(raw, h["text"])
            mapping[h["text"]] = "posts.text"
        if h["url"] is not None:
            cols["url"] = urls
            mapping[h["url"]] = "posts.url"
        posts = pl.DataFrame(cols)
        newest = created.max()
        if not isinstance(newest, datetime):
            raise DataError("no post has a time, so the metrics' date is unknown", file=raw.file)
        as_of = s.next_midnight(newest)
        notes.append(
            f"metrics as of {as_of:%Y-%m-%d %H:%M} UTC: the midnight after the newest post"
        )
        mcols: dict[str, pl.Series] = {
            "platform": posts.get_column("platform"),
            "post_id": ids,
            "as_of": pl.Series([as_of] * n, dtype=pl.Datetime("us", "UTC")),
        }
        for column in ("impressions", "likes", "comments", "shares", "saves", "clicks"):
            header = h.get(column)
            if header is not None:
                mcols[column] = s.counts(raw, header)
                mapping[header] = f"post_metrics.{column}"
        keep = ids.is_not_null()
        metrics = pl.DataFrame(mcols).filter(keep)
        posts = posts.filter(keep)
        return Loaded(
            format=self.name,
            tables={"posts": posts, "post_metrics": metrics},
            mapping=mapping,
            ignored=[c for c in raw.header if c not in mapping],
            notes=[f"X {TITLES[layout]}", *notes],
            warnings=[s.lifetime_warning(as_of)] if posts.height else [],
        )


FORMATS = (XAnalytics(),)
