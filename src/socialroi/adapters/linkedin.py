"""LinkedIn organization pages through the versioned Community Management REST API.

Every call sends ``Linkedin-Version: YYYYMM`` (from config; a sunset version answers HTTP 426)
and ``X-Restli-Protocol-Version: 2.0.0``. Query strings are Rest.li: URN values percent-encoded,
the structural ``( ) , :`` raw, so they are built here by hand and the full URL is sent as is
(a `params=` dict would encode the parentheses and break the call).

Streams
    organization  accounts + account_daily: the organization, its follower count (filed under
                  the run's day, as every platform files it) and daily organic share statistics
                  (impressions, engagements) in windows of at most 90 days; the cursor is the
                  last day fetched, and carries the run day's follower count so that the next
                  run's statistics row for that day keeps it.
    posts         posts: ``/rest/posts?q=author`` newest first (offset paging) back to the cursor
                  (the newest creation time seen), which moves only after every page.
    post_metrics  post_metrics: a snapshot, keyed by the run's day, of the lifetime statistics of
                  each post from the last ``metrics_days`` days (``shares=List(...)`` and
                  ``ugcPosts=List(...)``, asked for separately).

LinkedIn's daily quota resets at midnight UTC and a refusal is a bare 429 with no headers: the
rule waits until then, which is longer than the default ``max_wait``, so a run fails with
RateLimited naming the reset time instead of hanging. Statistics are organic only and cover a
rolling 12 months; ``engagement`` is a ratio and is not stored as a count.

Refusals are classified from LinkedIn's own bodies: ``403 ACCESS_DENIED`` "Not enough permissions
to access: …" (and "Viewer don't have permission to the ADMIN_ONLY …") → PermissionDenied naming
the permission the endpoint needs and where to grant it, which fails the stream before its cursor
moves; 404 → UnknownObject naming ``organization_id``; 426 → the sunset ``api_version``; 401
(serviceErrorCode 65600 invalid/expired, 65601 revoked) → AuthFailed; a 403 or 400 about fields
or parameters ("Unpermitted fields present in …") stays an HttpStatusError, which the post
statistics turn into a warning for the posts it concerns.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote

import requests

from socialroi.adapters import _graph as g
from socialroi.adapters import _social_rows as r
from socialroi.adapters._http import (
    HttpStatusError,
    Signal,
    json_body,
    next_midnight_utc,
    platform_message,
    seconds_until,
)
from socialroi.adapters._streams import OwnerStreams
from socialroi.adapters.base import Adapter, AdapterContext, Batch, Stream
from socialroi.errors import (
    AuthFailed,
    ConfigError,
    PermissionDenied,
    UnknownObject,
    UpstreamError,
)

PLATFORM = "linkedin"
DEFAULTS: dict[str, Any] = {
    "base_url": "https://api.linkedin.com",
    "api_version": "202607",
    "organization_id": "",
    "owner": "brand",
    "lookback_days": 90,
    "metrics_days": 90,
    "posts_days": 365,
    "page_size": 100,
}
SECRETS: tuple[str, ...] = ("access_token",)

INIT_TEMPLATE = """\
# LinkedIn organization page (Community Management API). A 3-legged member token of a page
# ADMINISTRATOR with rw_organization_admin and r_organization_social, in
# SOCIALROI_LINKEDIN_ACCESS_TOKEN or [linkedin] in config/secrets.toml (tokens last 60 days).
[platforms.linkedin]
# organization_id = "12345678"      # the number in urn:li:organization:12345678
# owner = "brand"                   # or the employee_id of the person the page belongs to
# api_version = "202607"            # Linkedin-Version (YYYYMM); each is served for about a year
# base_url = "https://api.linkedin.com"
# lookback_days = 90                # first run: daily statistics this far back (max ~365)
# metrics_days = 90                 # post metrics snapshot: posts from the last N days
# posts_days = 365                  # first run: posts this far back
# page_size = 100                   # posts per page (at most 100)
"""

#: Statistics are kept for a rolling 12 months; asking for more is refused.
MAX_HISTORY_DAYS = 360
WINDOW_DAYS = 90
#: URNs per share-statistics call.
STATS_BATCH = 20
REVOKED_CODE = 65601
SUNSET_STATUS = 426
PUBLISHED = (None, "PUBLISHED", "PUBLISHED_EDITED")

#: The permission each endpoint needs (Community Management API), for PermissionDenied messages.
SCOPES: dict[str, str] = {
    "organizationalEntityShareStatistics": "rw_organization_admin",
    "organizationalEntityFollowerStatistics": "rw_organization_admin",
    "networkSizes": "r_organization_followers (or rw_organization_admin)",
    "organizations": "rw_organization_admin",
    "posts": "r_organization_social",
}
GRANT = (
    "grant it in the LinkedIn developer app (linkedin.com/developers/apps > your app > Products: "
    "Community Management API; Auth tab: OAuth 2.0 scopes), then have a page ADMINISTRATOR "
    "sign in again to consent to it and set the new token in {hint}"
)

STREAMS = (
    Stream("organization", ("accounts", "account_daily"), True, "the page and daily statistics"),
    Stream("posts", ("posts",), True, "the organization's posts"),
    Stream("post_metrics", ("post_metrics",), False, "lifetime statistics of recent posts"),
)


def rate_limit(resp: requests.Response, now: datetime) -> Signal | None:
    """LinkedIn's only signal: a bare 429 once a daily quota is spent (it resets at 00:00 UTC)."""
    if resp.status_code != 429:
        return None
    reset = next_midnight_utc(now)
    detail = platform_message(json_body(resp)) or "daily limit reached"
    return Signal(
        wait=seconds_until(reset, now),
        retry=True,
        reason=f"LinkedIn: 429 ({detail}); daily quota resets at {reset:%Y-%m-%d %H:%M}Z",
    )


RATE_LIMIT = rate_limit


def options(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The config's ``[platforms.linkedin]`` table over the defaults."""
    return {**DEFAULTS, **raw}


def create(ctx: AdapterContext) -> Adapter:
    return LinkedInAdapter(ctx)


def enc(urn: str) -> str:
    """A URN as a Rest.li query value: every reserved character percent-encoded."""
    return quote(urn, safe="")


def restli_list(urns: Sequence[str]) -> str:
    return "List(" + ",".join(enc(u) for u in urns) + ")"


def time_range(start: date, end_exclusive: date) -> str:
    """``(timeRange:(start:ms,end:ms),timeGranularityType:DAY)`` for whole UTC days."""
    lo = int(datetime(start.year, start.month, start.day, tzinfo=UTC).timestamp() * 1000)
    e = end_exclusive
    hi = int(datetime(e.year, e.month, e.day, tzinfo=UTC).timestamp() * 1000)
    return f"(timeRange:(start:{lo},end:{hi}),timeGranularityType:DAY)"


def post_url(urn: str) -> str:
    """A post's web address: LinkedIn opens ``/feed/update/<urn>`` for share, ugcPost and
    activity URNs alike (the Page export's ``Post link`` is this address with the activity URN).
    """
    return f"https://www.linkedin.com/feed/update/{urn}/"


def from_ms(value: Any) -> datetime | None:
    """Epoch milliseconds (LinkedIn's time format) as tz-aware UTC."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return datetime.fromtimestamp(value / 1000, UTC)


class LinkedInAdapter(OwnerStreams):
    platform = PLATFORM
    streams: tuple[Stream, ...] = STREAMS

    def __init__(self, ctx: AdapterContext) -> None:
        self.ctx = ctx
        self.opts = options(ctx.options)
        org = str(self.opts.get("organization_id") or "").strip()
        if org.startswith("urn:li:organization:"):
            org = org.rsplit(":", 1)[1]
        if not org.isdigit():
            raise ConfigError(
                "platforms.linkedin.organization_id must be the page's number "
                f"(from urn:li:organization:NUMBER), got {org or 'nothing'!r}"
            )
        self.org_id = org
        self.urn = f"urn:li:organization:{org}"
        self.version = str(self.opts["api_version"])
        self._token = ctx.secrets.get("access_token")

    # --- calls -----------------------------------------------------------------------------

    def _get(self, path: str, query: str = "", *, finder: bool = False) -> Any:
        url = self.ctx.http.url(path) + (f"?{query}" if query else "")
        headers = {
            "Authorization": f"Bearer {self._token}",
            "Linkedin-Version": self.version,
            "X-Restli-Protocol-Version": "2.0.0",
        }
        if finder:
            headers["X-RestLi-Method"] = "FINDER"
        try:
            resp = self.ctx.http.request("GET", url, headers=headers)
        except HttpStatusError as exc:
            raise self._error(exc, path) from None
        body = json_body(resp)
        if body is None:
            raise UpstreamError(f"LinkedIn: GET {path}: HTTP {resp.status_code} is not JSON")
        return body

    def _error(self, exc: HttpStatusError, path: str) -> UpstreamError:
        """LinkedIn's refusal as the error hierarchy's class (see the module doc)."""
        payload = exc.payload if isinstance(exc.payload, Mapping) else {}
        message = str(payload.get("message") or "")
        where = f"LinkedIn: GET {path}"
        if exc.status == SUNSET_STATUS:
            return UpstreamError(
                f"LinkedIn: API version {self.version} is sunset (HTTP 426: "
                f"{message or 'version not active'}); set platforms.linkedin.api_version to a "
                "current YYYYMM version"
            )
        if payload.get("serviceErrorCode") == REVOKED_CODE:
            return AuthFailed(
                f"LinkedIn: the access token was revoked (65601); set a new one in "
                f"{self.ctx.secrets.hint()}"
            )
        low = message.lower()
        if exc.status == 403 and low.startswith("not enough permissions"):
            scope = SCOPES.get(_resource(path), "rw_organization_admin")
            grant = GRANT.format(hint=self.ctx.secrets.hint())
            return PermissionDenied(
                f"{where}: refused, the token lacks the permission {scope} (LinkedIn: "
                f"{message}); {grant}"
            )
        if exc.status == 403 and ("admin_only" in low or "administrator" in low):
            return PermissionDenied(
                f"{where}: refused ({message}); the member whose token this is must hold the "
                f"ADMINISTRATOR role of organization {self.org_id} (the page's admin tools > "
                "Manage admins), then sign in again for a new token"
            )
        if exc.status == 404:
            return UnknownObject(
                f"{where}: HTTP 404, LinkedIn knows no organization {self.org_id} (or this token "
                "cannot see it); check platforms.linkedin.organization_id, the number in "
                "urn:li:organization:NUMBER from the page's admin URL"
            )
        return exc

    def check(self) -> str:
        org = self._get(f"/rest/organizations/{self.org_id}")
        name = org.get("localizedName") or self.org_id
        vanity = org.get("vanityName")
        return f"LinkedIn organization {name}" + (f" ({vanity})" if vanity else "")

    # --- organization ----------------------------------------------------------------------

    def _owner(self, since: datetime | None, state: Mapping[str, Any] | None) -> Iterator[Batch]:
        org = self._get(f"/rest/organizations/{self.org_id}")
        handle = org.get("vanityName") or org.get("localizedName")
        account = r.account_row(PLATFORM, self.urn, handle, str(self.opts["owner"]))
        today = r.snapshot_date(self.ctx.as_of)
        last = today - timedelta(days=1)
        start = g.first_day(state, since, last, int(self.opts["lookback_days"]))
        start = max(start, last - timedelta(days=MAX_HISTORY_DAYS - 1))
        sizes = self._get(
            f"/rest/networkSizes/{enc(self.urn)}", "edgeType=COMPANY_FOLLOWED_BY_MEMBER"
        )
        # Follower counts filed under earlier run days, so their statistics rows keep them.
        known = _carried_followers(state)
        followers = r.count(sizes.get("firstDegreeSize"))
        if followers is not None:
            known[today.isoformat()] = followers
        cursor_day = (state or {}).get("day") if start > last else None
        for w_start, w_end in g.windows(start, last, WINDOW_DAYS):
            query = (
                f"q=organizationalEntity&organizationalEntity={enc(self.urn)}"
                f"&timeIntervals={time_range(w_start, w_end + timedelta(days=1))}"
            )
            body = self._get("/rest/organizationalEntityShareStatistics", query)
            by_day: dict[date, Mapping[str, Any]] = {}
            for el in body.get("elements") or []:
                begin = from_ms((el.get("timeRange") or {}).get("start"))
                stats = el.get("totalShareStatistics")
                if begin is not None and isinstance(stats, Mapping):
                    by_day[begin.date()] = stats
            rows = []
            for day in g.days(w_start, w_end):
                stats = by_day.get(day)
                day_followers = known.get(day.isoformat())
                if stats is None and day_followers is None:
                    continue
                rows.append(self._daily_row(day, stats or {}, day_followers))
            known = {k: v for k, v in known.items() if k > w_end.isoformat()}
            batch_cursor: dict[str, Any] = {"day": w_end.isoformat()}
            if known:
                batch_cursor["followers"] = dict(known)
            yield Batch(r.frames({"accounts": [account], "account_daily": rows}), batch_cursor)
            cursor_day = w_end.isoformat()
        snapshot = [self._daily_row(today, {}, followers)] if followers is not None else []
        final: dict[str, Any] | None = None
        if cursor_day is not None:
            final = {"day": cursor_day, "followers": dict(known)} if known else {"day": cursor_day}
        yield Batch(r.frames({"accounts": [account], "account_daily": snapshot}), final)

    def _daily_row(
        self, day: date, stats: Mapping[str, Any], followers: int | None
    ) -> dict[str, Any]:
        return {
            "platform": PLATFORM,
            "account_id": self.urn,
            "date": day,
            "followers": followers,
            "impressions": r.count(stats.get("impressionCount")),
            "engagements": r.add_counts(
                stats.get("likeCount"),
                stats.get("commentCount"),
                stats.get("shareCount"),
                stats.get("clickCount"),
            ),
            "profile_clicks": None,
        }

    # --- posts -----------------------------------------------------------------------------

    def _post_pages(self, lower: datetime) -> Iterator[list[Mapping[str, Any]]]:
        """Published posts created at or after `lower`, newest first, a page at a time."""
        count = max(1, min(100, int(self.opts["page_size"])))
        start = 0
        while True:
            query = f"author={enc(self.urn)}&q=author&count={count}&start={start}&sortBy=CREATED"
            body = self._get("/rest/posts", query, finder=True)
            elements = [e for e in body.get("elements") or [] if isinstance(e, Mapping)]
            keep = []
            done = False
            for el in elements:
                created = from_ms(el.get("createdAt") or el.get("publishedAt"))
                if created is not None and created < lower:
                    done = True
                    continue
                if el.get("id") and el.get("lifecycleState") in PUBLISHED:
                    keep.append(el)
            yield keep
            total = (body.get("paging") or {}).get("total")
            start += len(elements)
            if done or len(elements) < count or (isinstance(total, int) and start >= total):
                return

    def _posts(self, since: datetime | None, state: Mapping[str, Any] | None) -> Iterator[Batch]:
        old = r.parse_time((state or {}).get("created_at"))
        lower = old or r.window_start(self.ctx.as_of, since, int(self.opts["posts_days"]))
        newest = old
        for items in self._post_pages(lower):
            rows = [self._post(el) for el in items]
            for row in rows:
                created = row["created_at"]
                if created is not None and (newest is None or created > newest):
                    newest = created
            yield Batch(r.frames({"posts": rows}), None)
        if newest is not None and newest != old:
            yield Batch(r.frames({"posts": []}), {"created_at": newest.isoformat()})

    def _post(self, el: Mapping[str, Any]) -> dict[str, Any]:
        text = el.get("commentary")
        content = el.get("content")
        article = content.get("article") if isinstance(content, Mapping) else None
        link = article.get("source") if isinstance(article, Mapping) else None
        row = r.post_row(
            PLATFORM,
            str(el["id"]),
            account_id=self.urn,
            created_at=from_ms(el.get("publishedAt") or el.get("createdAt")),
            text=text if isinstance(text, str) else None,
            kind="share" if el.get("reshareContext") else "broadcast",
            link_url=link if isinstance(link, str) and link else g.first_url(text),
        )
        row["url"] = post_url(str(el["id"]))
        return row

    # --- post metrics ----------------------------------------------------------------------

    def _post_metrics(self) -> Iterator[Batch]:
        as_of = r.snapshot_time(self.ctx.as_of)
        lower = as_of - timedelta(days=int(self.opts["metrics_days"]))
        for items in self._post_pages(lower):
            ids = [str(el["id"]) for el in items]
            rows: list[dict[str, Any]] = []
            warnings: list[str] = []
            for param, prefix in (("shares", "urn:li:share:"), ("ugcPosts", "urn:li:ugcPost:")):
                urns = [u for u in ids if u.startswith(prefix)]
                for i in range(0, len(urns), STATS_BATCH):
                    chunk = urns[i : i + STATS_BATCH]
                    got, warn = self._share_stats(param, chunk, as_of)
                    rows += got
                    warnings += warn
            seen = {row["post_id"] for row in rows}
            missing = [u for u in ids if u not in seen]
            if missing:
                warnings.append(
                    f"LinkedIn: no statistics returned for {len(missing)} post(s): "
                    + ", ".join(missing[:5])
                    + (" ..." if len(missing) > 5 else "")
                )
            yield Batch(r.frames({"post_metrics": rows}), None, tuple(warnings))

    def _share_stats(
        self, param: str, urns: list[str], as_of: datetime
    ) -> tuple[list[dict[str, Any]], list[str]]:
        query = (
            f"q=organizationalEntity&organizationalEntity={enc(self.urn)}"
            f"&{param}={restli_list(urns)}"
        )
        try:
            body = self._get("/rest/organizationalEntityShareStatistics", query)
        except HttpStatusError as exc:  # e.g. 403 "Unpermitted fields" for some post kinds
            return [], [f"LinkedIn: statistics for {len(urns)} post(s) refused: {exc}"]
        rows = []
        key = "share" if param == "shares" else "ugcPost"
        for el in body.get("elements") or []:
            post_id = el.get(key)
            s = el.get("totalShareStatistics")
            if not post_id or not isinstance(s, Mapping):
                continue
            rows.append(
                r.metrics_row(
                    PLATFORM,
                    str(post_id),
                    as_of,
                    impressions=s.get("impressionCount"),
                    reach=s.get("uniqueImpressionsCount"),
                    likes=s.get("likeCount"),
                    comments=s.get("commentCount"),
                    shares=s.get("shareCount"),
                    clicks=s.get("clickCount"),
                )
            )
        return rows, []


def _resource(path: str) -> str:
    """The Rest.li resource a path calls: ``/rest/networkSizes/urn…`` → ``networkSizes``."""
    parts = [p for p in path.split("?", 1)[0].split("/") if p]
    if parts and parts[0] == "rest":
        parts = parts[1:]
    return parts[0] if parts else ""


def _carried_followers(state: Mapping[str, Any] | None) -> dict[str, int]:
    """The follower counts an earlier run filed under its own day (``YYYY-MM-DD`` → count)."""
    raw = (state or {}).get("followers")
    if not isinstance(raw, Mapping):
        return {}
    return {
        str(k): int(v) for k, v in raw.items() if isinstance(v, int) and not isinstance(v, bool)
    }
