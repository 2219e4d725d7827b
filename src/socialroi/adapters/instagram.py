"""Instagram professional accounts through the Graph API (the same client as Facebook Pages).

Streams
    account       accounts + account_daily: the account, its follower count under the run day
                  (as every platform files it), and per day its insights with
                  ``metric_type=total_value`` (views, reach, total interactions, profile link
                  taps); the cursor is the last complete day fetched (plus the follower counts
                  of days whose insights are still to come).
    posts         posts: the account's media (``/{ig-user-id}/media``), newest first, back to the
                  cursor (the newest ``timestamp`` seen), which moves only after every page.
    post_metrics  post_metrics: a snapshot, keyed by the run's day, of each media item from the
                  last ``metrics_days`` days, with the metric set its ``media_product_type`` has.

Instagram answers "no data" with an empty data set: those metrics are null, not 0. ``views``
replaced ``impressions``/``plays`` (removed 2025-04-21) and is stored as impressions. A metric
the API rejects as invalid is dropped with a warning; "not enough viewers" leaves one item's
metrics unknown; any other refusal fails the stream (a missing permission names it and where to
grant it; an unknown account names ``ig_user_id``) and the cursor stays before the refused days.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from socialroi.adapters import _graph as g
from socialroi.adapters import _social_rows as r
from socialroi.adapters._streams import OwnerStreams
from socialroi.adapters.base import Adapter, AdapterContext, Batch, Stream
from socialroi.errors import ConfigError

PLATFORM = "instagram"
DEFAULTS: dict[str, Any] = {
    "base_url": "https://graph.facebook.com",
    "api_version": "v25.0",
    "ig_user_id": "",
    "owner": "brand",
    "lookback_days": 30,
    "metrics_days": 90,
    "posts_days": 365,
    "page_size": 100,
}
SECRETS: tuple[str, ...] = ("access_token",)
OPTIONAL_SECRETS: tuple[str, ...] = ("app_secret",)
RATE_LIMIT = g.rate_limit_rule("Instagram")

INIT_TEMPLATE = """\
# Instagram professional account (Graph API, Facebook Login). Token with instagram_basic,
# instagram_manage_insights and pages_read_engagement, in SOCIALROI_INSTAGRAM_ACCESS_TOKEN or
# [instagram] in config/secrets.toml. Optional SOCIALROI_INSTAGRAM_APP_SECRET (appsecret_proof).
[platforms.instagram]
# ig_user_id = "17841400000000000"  # the Instagram business/creator account id
# owner = "brand"                   # or the employee_id of the person the account belongs to
# api_version = "v25.0"
# base_url = "https://graph.facebook.com"   # "https://graph.instagram.com" for Instagram Login
# lookback_days = 30                # first run: daily account insights this far back
# metrics_days = 90                 # post metrics snapshot: media from the last N days
# posts_days = 365                 # first run: posts this far back
# page_size = 100                   # media per page
"""

ACCOUNT_METRICS = ("views", "reach", "total_interactions", "profile_links_taps")
#: Metrics each media product type supports (an unsupported one fails the whole call).
MEDIA_METRICS: dict[str, tuple[str, ...]] = {
    "FEED": ("reach", "views", "likes", "comments", "shares", "saved", "total_interactions"),
    "REELS": ("reach", "views", "likes", "comments", "shares", "saved", "total_interactions"),
    "STORY": ("reach", "views", "shares", "total_interactions"),
}
MEDIA_FIELDS = (
    "id,caption,media_type,media_product_type,permalink,timestamp,like_count,comments_count"
)

STREAMS = (
    Stream("account", ("accounts", "account_daily"), True, "the account and its daily insights"),
    Stream("posts", ("posts",), True, "the account's media"),
    Stream("post_metrics", ("post_metrics",), False, "lifetime insights of recent media"),
)


def options(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The config's ``[platforms.instagram]`` table over the defaults."""
    return {**DEFAULTS, **raw}


def create(ctx: AdapterContext) -> Adapter:
    return InstagramAdapter(ctx)


class InstagramAdapter(OwnerStreams):
    platform = PLATFORM
    streams: tuple[Stream, ...] = STREAMS

    def __init__(self, ctx: AdapterContext) -> None:
        self.ctx = ctx
        self.opts = options(ctx.options)
        self.user_id = str(self.opts.get("ig_user_id") or "").strip()
        if not self.user_id:
            raise ConfigError(
                "platforms.instagram.ig_user_id is not set (the professional account's id)"
            )
        self.graph = g.client(
            ctx,
            self.opts["api_version"],
            label="Instagram",
            hint="set a new token",
            objects={self.user_id: "platforms.instagram.ig_user_id"},
        )
        # Instagram Login (graph.instagram.com) has its own permission names.
        ig_login = "graph.instagram.com" in str(self.opts.get("base_url") or "")
        self.needs_basic = ("instagram_business_basic",) if ig_login else ("instagram_basic",)
        self.needs_insights = (
            ("instagram_business_manage_insights",) if ig_login else ("instagram_manage_insights",)
        )

    def check(self) -> str:
        me = self._me()
        followers = g.as_int(me.get("followers_count"))
        count = f"{followers:,} followers" if followers is not None else "followers unknown"
        return f"Instagram @{me.get('username') or self.user_id}: {count}"

    # --- account ---------------------------------------------------------------------------

    def _me(self) -> Any:
        return self.graph.get(
            self.user_id,
            {"fields": "username,followers_count"},
            needs=self.needs_basic,
            what=f"account {self.user_id}",
        )

    def _owner(self, since: datetime | None, state: Mapping[str, Any] | None) -> Iterator[Batch]:
        me = self._me()
        account = r.account_row(PLATFORM, self.user_id, me.get("username"), str(self.opts["owner"]))
        today = r.snapshot_date(self.ctx.as_of)
        snapshots = g.follower_snapshots(state)
        followers_now = g.as_int(me.get("followers_count"))
        first: list[dict[str, Any]] = []
        if followers_now is not None:
            snapshots[today.isoformat()] = followers_now
            first.append(daily_row(self.user_id, today, {}, followers_now))
        # The account and today's follower count land even when the insights are refused below.
        yield Batch(
            r.frames({"accounts": [account], "account_daily": first}),
            g.owner_cursor(state, None, snapshots),
        )
        last = today - timedelta(days=1)
        start = g.first_day(state, since, last, int(self.opts["lookback_days"]))
        stuck = False
        for day in g.days(start, last):
            lo = datetime(day.year, day.month, day.day, tzinfo=UTC)
            # A refusal other than a dead metric raises here: the stream fails and the cursor
            # stays before this day.
            ins = self.graph.insights(
                self.user_id,
                ACCOUNT_METRICS,
                kind="account",
                params={
                    "period": "day",
                    "metric_type": "total_value",
                    "since": int(lo.timestamp()),
                    "until": int((lo + timedelta(days=1)).timestamp()),
                },
                needs=self.needs_insights,
                what=f"daily insights of account {self.user_id} ({day})",
            )
            v = ins.values
            followers = snapshots.get(day.isoformat())
            rows = (
                [daily_row(self.user_id, day, v, followers)] if v or followers is not None else []
            )
            stuck = stuck or ins.failed
            yield Batch(
                r.frames({"account_daily": rows}),
                None if stuck else g.owner_cursor(state, day, snapshots),
                tuple(ins.warnings),
            )

    # --- media -----------------------------------------------------------------------------

    def _media(self, lower: datetime | None) -> Iterator[list[Mapping[str, Any]]]:
        """Pages of media newer than `lower` (newest first); stops at the first older item."""
        params = {"fields": MEDIA_FIELDS, "limit": int(self.opts["page_size"])}
        pages = self.graph.pages(
            f"{self.user_id}/media",
            params,
            needs=self.needs_basic,
            what=f"media of account {self.user_id}",
        )
        for items in pages:
            keep = []
            done = False
            for item in items:
                if not isinstance(item, Mapping) or not item.get("id"):
                    continue
                t = r.parse_time(item.get("timestamp"))
                if lower is not None and t is not None and t < lower:
                    done = True
                    continue
                keep.append(item)
            yield keep
            if done:
                return

    def _posts(self, since: datetime | None, state: Mapping[str, Any] | None) -> Iterator[Batch]:
        old = r.parse_time((state or {}).get("timestamp"))
        newest = old
        lower = old or r.window_start(self.ctx.as_of, since, int(self.opts["posts_days"]))
        for items in self._media(lower):
            rows = []
            for item in items:
                created = r.parse_time(item.get("timestamp"))
                caption = item.get("caption")
                row = r.post_row(
                    PLATFORM,
                    str(item["id"]),
                    account_id=self.user_id,
                    created_at=created,
                    text=caption,
                    kind="broadcast",
                    link_url=g.first_url(caption),
                )
                permalink = item.get("permalink")
                row["url"] = permalink if isinstance(permalink, str) and permalink else None
                rows.append(row)
                if created is not None and (newest is None or created > newest):
                    newest = created
            yield Batch(r.frames({"posts": rows}), None)
        if newest is not None and newest != old:
            yield Batch(r.frames({"posts": []}), {"timestamp": newest.isoformat()})

    def _post_metrics(self) -> Iterator[Batch]:
        as_of = r.snapshot_time(self.ctx.as_of)
        lower = as_of - timedelta(days=int(self.opts["metrics_days"]))
        for items in self._media(lower):
            rows = []
            warnings: list[str] = []
            for item in items:
                kind = str(item.get("media_product_type") or "FEED").upper()
                metrics = MEDIA_METRICS.get(kind, MEDIA_METRICS["FEED"])
                # A refusal raises: the stream fails rather than store the item with no metrics.
                ins = self.graph.insights(
                    str(item["id"]),
                    metrics,
                    kind=kind.lower(),
                    needs=self.needs_insights,
                    what=f"insights of media {item['id']}",
                )
                warnings += ins.warnings
                rows.append(media_metrics_row(item, ins.values, as_of))
            yield Batch(r.frames({"post_metrics": rows}), None, tuple(warnings))


def daily_row(
    user_id: str, day: date, values: Mapping[str, Any], followers: int | None
) -> dict[str, Any]:
    """One account_daily row: views -> impressions, reach, interactions -> engagements, profile
    link taps -> profile_clicks."""
    return {
        "platform": PLATFORM,
        "account_id": user_id,
        "date": day,
        "followers": followers,
        "impressions": g.as_int(values.get("views")),
        "reach": g.as_int(values.get("reach")),
        "engagements": g.as_int(values.get("total_interactions")),
        "profile_clicks": g.as_int(values.get("profile_links_taps")),
    }


def media_metrics_row(
    item: Mapping[str, Any], values: Mapping[str, Any], as_of: datetime
) -> dict[str, Any]:
    """One media item's snapshot: views -> impressions, saved -> saves; no data -> null.

    Likes and comments fall back to the media's own ``like_count``/``comments_count`` when the
    insights have none (e.g. an item too new or with too few viewers).
    """
    likes = values.get("likes", item.get("like_count"))
    comments = values.get("comments", item.get("comments_count"))
    return r.metrics_row(
        PLATFORM,
        str(item["id"]),
        as_of,
        impressions=g.as_int(values.get("views")),
        reach=g.as_int(values.get("reach")),
        likes=g.as_int(likes),
        comments=g.as_int(comments),
        shares=g.as_int(values.get("shares")),
        saves=g.as_int(values.get("saved")),
        clicks=None,
    )
