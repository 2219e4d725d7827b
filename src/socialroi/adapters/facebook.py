"""Facebook Pages through the Graph API (version pinned in config, default v25.0).

Streams
    page          accounts + account_daily: the Page, its follower count under the run day, and
                  its daily insights (views, viewers as reach, post engagements, Page views,
                  follows) in windows of at most 90 days; the cursor is the last complete day
                  fetched (plus the follower counts of days whose insights are still to come).
    posts         posts: the Page's own posts (``/{page-id}/posts``), newest first; the cursor is
                  the newest ``created_time`` seen and moves only after every page is committed.
    post_metrics  post_metrics: a snapshot, keyed by the run's day, of every post from the last
                  ``metrics_days`` days (lifetime insights: views, viewers, clicks, reactions).

Metrics are the ones that exist after Meta's 2025-26 deprecations: ``post_media_view`` (views,
stored as impressions) replaced ``post_impressions``, ``post_total_media_view_unique`` (viewers,
stored as reach) replaced ``post_impressions_unique``. A metric the API rejects is dropped with a
warning and the others still load. Any other refusal fails the stream (a missing permission
names it and where to grant it; an unknown Page names ``page_id``), and the cursor stays before
the refused days, so the next pull fetches them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from socialroi.adapters import _graph as g
from socialroi.adapters import _social_rows as r
from socialroi.adapters._streams import OwnerStreams
from socialroi.adapters.base import Adapter, AdapterContext, Batch, Stream
from socialroi.errors import ConfigError

PLATFORM = "facebook"
DEFAULTS: dict[str, Any] = {
    "base_url": "https://graph.facebook.com",
    "api_version": "v25.0",
    "page_id": "",
    "owner": "brand",
    "lookback_days": 90,
    "metrics_days": 90,
    "posts_days": 365,
    "page_size": 100,
}
SECRETS: tuple[str, ...] = ("access_token",)
#: Read when present: signs every call with appsecret_proof.
OPTIONAL_SECRETS: tuple[str, ...] = ("app_secret",)
RATE_LIMIT = g.rate_limit_rule("Facebook")

INIT_TEMPLATE = """\
# Facebook Page (Graph API). Token: a Page access token with pages_read_engagement,
# read_insights and pages_show_list, in SOCIALROI_FACEBOOK_ACCESS_TOKEN or [facebook] in
# config/secrets.toml. Optional SOCIALROI_FACEBOOK_APP_SECRET signs calls (appsecret_proof).
[platforms.facebook]
# page_id = "123456789012345"       # the Page's numeric id
# owner = "brand"                   # or the employee_id of the person the Page belongs to
# api_version = "v25.0"             # Graph API version (v25.0 runs to 2028-07)
# base_url = "https://graph.facebook.com"
# lookback_days = 90                # first run: daily Page insights this far back
# metrics_days = 90                 # post metrics snapshot: posts from the last N days
# posts_days = 365                 # first run: posts this far back
# page_size = 100                   # posts per page (at most 100)
"""

PAGE_METRICS = (
    "page_media_view",
    "page_total_media_view_unique",
    "page_post_engagements",
    "page_views_total",
    "page_follows",
)
#: What the calls need (named when Meta's refusal names nothing).
NEEDS_POSTS = ("pages_read_engagement",)
NEEDS_INSIGHTS = ("read_insights", "pages_read_engagement")
POST_METRICS = (
    "post_media_view",
    "post_total_media_view_unique",
    "post_clicks",
    "post_reactions_by_type_total",
    "post_activity_by_action_type",
)
POST_FIELDS = (
    "id,message,created_time,permalink_url,status_type,parent_id,"
    "attachments{url,unshimmed_url,type},shares"
)
WINDOW_DAYS = 90

STREAMS = (
    Stream("page", ("accounts", "account_daily"), True, "the Page and its daily insights"),
    Stream("posts", ("posts",), True, "the Page's own posts"),
    Stream("post_metrics", ("post_metrics",), False, "lifetime insights of recent posts"),
)


def options(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The config's ``[platforms.facebook]`` table over the defaults."""
    return {**DEFAULTS, **raw}


def create(ctx: AdapterContext) -> Adapter:
    return FacebookAdapter(ctx)


class FacebookAdapter(OwnerStreams):
    platform = PLATFORM
    streams: tuple[Stream, ...] = STREAMS

    def __init__(self, ctx: AdapterContext) -> None:
        self.ctx = ctx
        self.opts = options(ctx.options)
        self.page_id = str(self.opts.get("page_id") or "").strip()
        if not self.page_id:
            raise ConfigError("platforms.facebook.page_id is not set (the Page's numeric id)")
        self.graph = g.client(
            ctx,
            self.opts["api_version"],
            label="Facebook",
            hint="set a new Page token",
            objects={self.page_id: "platforms.facebook.page_id"},
        )

    def check(self) -> str:
        page = self.graph.get(
            self.page_id, {"fields": "name,followers_count"}, what=f"Page {self.page_id}"
        )
        followers = g.as_int(page.get("followers_count"))
        count = f"{followers:,} followers" if followers is not None else "followers unknown"
        return f"Facebook Page {page.get('name') or self.page_id}: {count}"

    # --- page ------------------------------------------------------------------------------

    def _owner(self, since: datetime | None, state: Mapping[str, Any] | None) -> Iterator[Batch]:
        page = self.graph.get(
            self.page_id,
            {"fields": "name,username,followers_count"},
            what=f"Page {self.page_id}",
        )
        account = {
            "platform": PLATFORM,
            "account_id": self.page_id,
            "handle": page.get("username") or page.get("name"),
            "owner": str(self.opts["owner"]),
        }
        today = r.snapshot_date(self.ctx.as_of)
        snapshots = g.follower_snapshots(state)
        followers_now = g.as_int(page.get("followers_count"))
        first: list[dict[str, Any]] = []
        if followers_now is not None:
            snapshots[today.isoformat()] = followers_now
            first.append(daily_row(self.page_id, today, {}, followers_now))
        # The Page and today's follower count land even when the insights are refused below.
        yield Batch(
            r.frames({"accounts": [account], "account_daily": first}),
            g.owner_cursor(state, None, snapshots),
        )
        last = today - timedelta(days=1)
        start = g.first_day(state, since, last, int(self.opts["lookback_days"]))
        stuck = False
        for w_start, w_end in g.windows(start, last, WINDOW_DAYS):
            # A refusal other than a dead metric raises here: the stream fails and the cursor
            # stays before this window.
            ins = self.graph.insights(
                self.page_id,
                PAGE_METRICS,
                kind="page",
                params={
                    "period": "day",
                    "since": w_start.isoformat(),
                    "until": (w_end + timedelta(days=1)).isoformat(),
                },
                needs=NEEDS_INSIGHTS,
                what=f"daily insights of Page {self.page_id} ({w_start} to {w_end})",
            )
            rows = []
            daily = ins.daily
            for day in g.days(w_start, w_end):
                v = daily.get(day, {})
                followers = g.as_int(v.get("page_follows"))
                if followers is None:
                    followers = snapshots.get(day.isoformat())
                if not v and followers is None:
                    continue
                rows.append(daily_row(self.page_id, day, v, followers))
            stuck = stuck or ins.failed
            yield Batch(
                r.frames({"account_daily": rows}),
                None if stuck else g.owner_cursor(state, w_end, snapshots),
                tuple(ins.warnings),
            )

    # --- posts -----------------------------------------------------------------------------

    def _posts(self, since: datetime | None, state: Mapping[str, Any] | None) -> Iterator[Batch]:
        old = r.parse_time((state or {}).get("created_time"))
        lower = old or r.window_start(self.ctx.as_of, since, int(self.opts["posts_days"]))
        params = {
            "fields": POST_FIELDS,
            "limit": int(self.opts["page_size"]),
            "since": int(lower.timestamp()),
        }
        newest = old
        pages = self.graph.pages(
            f"{self.page_id}/posts", params, needs=NEEDS_POSTS, what=f"posts of Page {self.page_id}"
        )
        for items in pages:
            rows = []
            for item in items:
                row = self._post(item)
                if row is None:
                    continue
                rows.append(row)
                created = row["created_at"]
                if created is not None and (newest is None or created > newest):
                    newest = created
            yield Batch(r.frames({"posts": rows}), None)
        if newest is not None and newest != old:
            yield Batch(r.frames({"posts": []}), {"created_time": newest.isoformat()})

    def _post(self, item: Mapping[str, Any]) -> dict[str, Any] | None:
        post_id = item.get("id")
        if not post_id:
            return None
        message = item.get("message")
        row = r.post_row(
            PLATFORM,
            str(post_id),
            account_id=self.page_id,
            created_at=r.parse_time(item.get("created_time")),
            text=message,
            kind="share" if item.get("parent_id") else "broadcast",
            link_url=link_of(item) or g.first_url(message),
        )
        permalink = item.get("permalink_url")
        row["url"] = permalink if isinstance(permalink, str) and permalink else None
        return row

    # --- post metrics ----------------------------------------------------------------------

    def _post_metrics(self) -> Iterator[Batch]:
        as_of = r.snapshot_time(self.ctx.as_of)
        lower = as_of - timedelta(days=int(self.opts["metrics_days"]))
        params = {
            "fields": "id,created_time,shares",
            "limit": int(self.opts["page_size"]),
            "since": int(lower.timestamp()),
        }
        pages = self.graph.pages(
            f"{self.page_id}/posts", params, needs=NEEDS_POSTS, what=f"posts of Page {self.page_id}"
        )
        for items in pages:
            rows = []
            warnings: list[str] = []
            for item in items:
                if not item.get("id"):
                    continue
                # A refusal raises: the stream fails rather than store the post with no metrics.
                ins = self.graph.insights(
                    str(item["id"]),
                    POST_METRICS,
                    kind="post",
                    needs=NEEDS_INSIGHTS,
                    what=f"insights of post {item['id']}",
                )
                warnings += ins.warnings
                rows.append(post_metrics_row(item, ins.values, as_of))
            yield Batch(r.frames({"post_metrics": rows}), None, tuple(warnings))


def daily_row(
    page_id: str, day: date, values: Mapping[str, Any], followers: int | None
) -> dict[str, Any]:
    """One account_daily row from a day's insights: views -> impressions, viewers -> reach,
    Page views -> page_views."""
    return {
        "platform": PLATFORM,
        "account_id": page_id,
        "date": day,
        "followers": followers,
        "impressions": g.as_int(values.get("page_media_view")),
        "reach": g.as_int(values.get("page_total_media_view_unique")),
        "engagements": g.as_int(values.get("page_post_engagements")),
        "page_views": g.as_int(values.get("page_views_total")),
    }


def post_metrics_row(
    item: Mapping[str, Any], values: Mapping[str, Any], as_of: datetime
) -> dict[str, Any]:
    """One post's snapshot: views -> impressions, viewers -> reach, all reactions -> likes.

    ``shares`` is absent from a post with no shares, so absent means 0; a metric absent from the
    insights is unknown (null).
    """
    activity = values.get("post_activity_by_action_type")
    # A breakdown dict leaves out the action types with no activity: absent there means 0.
    comments = (g.as_int(activity.get("comment")) or 0) if isinstance(activity, Mapping) else None
    shares = item.get("shares")
    share_count = g.as_int(shares.get("count")) if isinstance(shares, Mapping) else 0
    return {
        "platform": PLATFORM,
        "post_id": str(item["id"]),
        "as_of": as_of,
        "impressions": g.as_int(values.get("post_media_view")),
        "reach": g.as_int(values.get("post_total_media_view_unique")),
        "likes": g.as_int(values.get("post_reactions_by_type_total")),
        "comments": comments,
        "shares": share_count,
        "saves": None,
        "clicks": g.as_int(values.get("post_clicks")),
    }


def link_of(item: Mapping[str, Any]) -> str | None:
    """The post's outbound link: the first attachment URL that is not Facebook's own page."""
    att = item.get("attachments")
    data = att.get("data") if isinstance(att, Mapping) else None
    for a in data if isinstance(data, list) else []:
        if not isinstance(a, Mapping):
            continue
        url = a.get("unshimmed_url") or a.get("url")
        if isinstance(url, str) and url and not _is_facebook(url):
            return url
    return None


def _is_facebook(url: str) -> bool:
    from urllib.parse import urlsplit

    host = (urlsplit(url).hostname or "").lower()
    return host == "facebook.com" or host.endswith((".facebook.com", ".fb.com", ".fbcdn.net"))
