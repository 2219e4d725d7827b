"""Bluesky: profiles, their posts and the posts' counters, from the public AppView (no login).

- `GET /xrpc/app.bsky.actor.getProfile?actor=` → the account (DID, handle) and `followersCount`;
- `GET /xrpc/app.bsky.feed.getAuthorFeed?actor=&limit=&filter=&cursor=` → the author's feed,
  newest first; `cursor` is absent on the last page. Items with a `reason` (reposts, pins) are
  dropped, as are posts by anyone else. The link is the external embed's `uri` (the link card),
  else the first link facet. A post's id is its record key, the last part of its `at://` URI; its
  web address is `post_url(handle, rkey)`.

The feed can only be walked back, so every run walks from the newest post down to its lower bound
(the newest `createdAt` seen last time, or the first run's window). Each page commits with the
state after it: the newest time seen, and the feed `cursor` where a walk stopped by `max_pages`
continues (with the bound it walks down to) as a backfill range that the next runs finish after
fetching the new posts (`_social.PostsState`). The cursor is kept as the AppView sent it (an ISO
time today, `<epoch ms>::<cid>` in older answers).

Refusals (`classify`, atproto XRPC bodies `{"error", "message"}`): `InvalidRequest` "Profile not
found" / "Actor not found" / a malformed actor, `AccountTakedown`, `AccountDeactivated`,
`BlockedActor`, `BlockedByActor` → UnknownObject (on the profile lookup: a warning naming the
`accounts` entry); `AuthMissing`, `InvalidToken`, `ExpiredToken` (401 or 400) → AuthFailed
naming `base_url`, since the public AppView needs no login.

Rate limits follow the IETF draft headers `RateLimit-Remaining` / `RateLimit-Reset` (epoch
seconds); a 429 waits until the reset.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from socialroi.adapters import _social_rows as rows
from socialroi.adapters._http import HttpStatusError, epoch_to_datetime
from socialroi.adapters._social import (
    ACCOUNT_STREAM,
    HandleAdapter,
    PostsState,
    Range,
    window_rule,
)
from socialroi.adapters.base import AdapterContext, Batch, Stream
from socialroi.errors import AuthFailed, UnknownObject, UpstreamError

PLATFORM = "bluesky"

DEFAULTS: dict[str, Any] = {
    "base_url": "https://public.api.bsky.app",
    "accounts": [],
    "lookback_days": 90,
    "metrics_days": 30,
    "page_size": 100,
    "max_pages": 50,
    "include_replies": True,
}

SECRETS: tuple[str, ...] = ()

WEB_URL = "https://bsky.app"

INIT_TEMPLATE = """\
# Bluesky: public data from the AppView; no secret is needed.
[platforms.bluesky]
# base_url = "https://public.api.bsky.app"
# accounts = ["acme.bsky.social", { handle = "jdoe.bsky.social", owner = "e014" }]
#            # a handle or a DID; owner: "brand" or an employee_id
# lookback_days = 90      # how far back the first run reaches (or --since)
# metrics_days = 30       # posts this recent get a fresh metrics snapshot every run
# page_size = 100         # feed items per call (at most 100)
# max_pages = 50          # calls per account and run for new posts, as many for backfill
# include_replies = true  # replies to others are kept as kind "reply"
"""

_LINK_FACET = "app.bsky.richtext.facet#link"
_EXTERNAL = "app.bsky.embed.external"
_WITH_MEDIA = "app.bsky.embed.recordWithMedia"


#: Bluesky's signals: a 429 waits until `RateLimit-Reset`; `Remaining: 0` slows down.
rate_limit = window_rule(
    "Bluesky", reset="RateLimit-Reset", remaining="RateLimit-Remaining", parse=epoch_to_datetime
)
RATE_LIMIT = rate_limit

_AUTH_ERRORS = ("AuthMissing", "AuthRequired", "InvalidToken", "ExpiredToken")
_GONE_ERRORS = ("AccountTakedown", "AccountDeactivated", "BlockedActor", "BlockedByActor")
PUBLIC_APPVIEW = "https://public.api.bsky.app"


def _xrpc_error(payload: Any) -> tuple[str, str]:
    if not isinstance(payload, Mapping):
        return "", ""
    return str(payload.get("error") or ""), str(payload.get("message") or "")


def classify(exc: HttpStatusError | AuthFailed, base_url: str) -> UpstreamError:
    """An XRPC refusal as the error it is: auth, unknown object, or `exc` unchanged."""
    payload = exc.payload if isinstance(exc, HttpStatusError) else None
    name, message = _xrpc_error(payload)
    said = ": ".join(p for p in (name, message) if p) or str(exc)
    if isinstance(exc, AuthFailed) or name in _AUTH_ERRORS:
        return AuthFailed(
            f"bluesky: {base_url} asks for a login ({said}); socialroi reads the public AppView, "
            f'which needs none: set base_url = "{PUBLIC_APPVIEW}" in [platforms.bluesky]'
        )
    lowered = message.lower()
    if name in _GONE_ERRORS or (
        name == "InvalidRequest" and ("not found" in lowered or "actor" in lowered)
    ):
        return UnknownObject(f"bluesky: {said}")
    return exc


# -- rows from feed items (pure) ---------------------------------------------------------------


def rkey(uri: str) -> str:
    """The record key of `at://did/app.bsky.feed.post/{rkey}`."""
    return uri.rstrip("/").rsplit("/", 1)[-1]


def did_of(uri: str) -> str:
    """The repository DID of an `at://` URI."""
    rest = uri.removeprefix("at://")
    return rest.split("/", 1)[0]


def post_url(handle: str, key: str) -> str:
    """The post's address on the Bluesky web app."""
    return f"{WEB_URL}/profile/{handle}/post/{key}"


def post_link(record: Mapping[str, Any]) -> str | None:
    """The link a post carries: its external embed (link card), else its first link facet."""
    embed = record.get("embed")
    if isinstance(embed, Mapping):
        if embed.get("$type") == _WITH_MEDIA and isinstance(embed.get("media"), Mapping):
            embed = embed["media"]
        external = embed.get("external") if embed.get("$type") == _EXTERNAL else None
        if isinstance(external, Mapping) and external.get("uri"):
            return str(external["uri"])
    for facet in record.get("facets") or ():
        if not isinstance(facet, Mapping):
            continue
        for feature in facet.get("features") or ():
            if (
                isinstance(feature, Mapping)
                and feature.get("$type") == _LINK_FACET
                and feature.get("uri")
            ):
                return str(feature["uri"])
    return None


def post_kind(record: Mapping[str, Any], did: str) -> str:
    """`reply` for a reply to someone else; a reply to oneself (a thread) is a `broadcast`."""
    reply = record.get("reply")
    if isinstance(reply, Mapping):
        parent = reply.get("parent")
        parent_uri = str(parent.get("uri") or "") if isinstance(parent, Mapping) else ""
        return "broadcast" if did_of(parent_uri) == did else "reply"
    return "broadcast"


def own_posts(feed: list[Any], did: str) -> list[Mapping[str, Any]]:
    """The `post` views of feed items that are the author's own posts (no reposts, no pins)."""
    out: list[Mapping[str, Any]] = []
    for item in feed:
        if not isinstance(item, Mapping) or item.get("reason") is not None:
            continue
        post = item.get("post")
        if not isinstance(post, Mapping) or not post.get("uri"):
            continue
        author = post.get("author")
        if isinstance(author, Mapping) and author.get("did") not in (None, did):
            continue
        out.append(post)
    return out


def created_at(post: Mapping[str, Any]) -> datetime | None:
    record = post.get("record")
    when = record.get("createdAt") if isinstance(record, Mapping) else None
    return rows.parse_time(when) or rows.parse_time(post.get("indexedAt"))


def feed_rows(
    posts: list[Mapping[str, Any]], did: str, as_of: datetime
) -> tuple[list[rows.Row], list[rows.Row]]:
    """posts and post_metrics rows for the author's own post views (`url` from the author's
    handle in the view, else the DID)."""
    post_rows: list[rows.Row] = []
    metrics: list[rows.Row] = []
    for post in posts:
        key = rkey(str(post["uri"]))
        raw = post.get("record")
        record: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
        text = record.get("text")
        author = post.get("author")
        handle = author.get("handle") if isinstance(author, Mapping) else None
        post_rows.append(
            rows.post_row(
                PLATFORM,
                key,
                account_id=did,
                created_at=created_at(post),
                text=str(text) if text else None,
                kind=post_kind(record, did),
                link_url=post_link(record),
                url=post_url(str(handle or did), key),
            )
        )
        metrics.append(
            rows.metrics_row(
                PLATFORM,
                key,
                as_of,
                likes=post.get("likeCount"),
                comments=post.get("replyCount"),
                shares=rows.add_counts(post.get("repostCount"), post.get("quoteCount")),
                saves=post.get("bookmarkCount"),
            )
        )
    return post_rows, metrics


# -- the adapter -----------------------------------------------------------------------------------


class BlueskyAdapter(HandleAdapter):
    noun = "profile"
    platform: str = PLATFORM
    streams: tuple[Stream, ...] = (
        ACCOUNT_STREAM,
        Stream("posts", ("posts", "post_metrics"),
               description="new posts (reposts dropped) with today's counters"),
        Stream("post_metrics", ("post_metrics",), incremental=False,
               description="today's counters of posts from the last metrics_days"),
    )  # fmt: skip

    def __init__(self, ctx: AdapterContext) -> None:
        super().__init__(ctx, DEFAULTS)
        opts = self.opts
        self.page_size = min(self.page_size, 100)
        self.filter = "posts_with_replies" if opts["include_replies"] else "posts_no_replies"
        self._profiles: dict[str, Mapping[str, Any] | None] = {}

    def _find(self, spec: rows.AccountSpec) -> Mapping[str, Any] | None:
        if spec.handle not in self._profiles:
            try:
                found = self._get("/xrpc/app.bsky.actor.getProfile", {"actor": spec.handle})
            except UnknownObject as exc:
                found = None
                self._note_missing(spec, f"not found ({exc})")
            ok = isinstance(found, Mapping) and found.get("did")
            if found is not None and not ok:
                self._note_missing(spec, "not found (no profile in the answer)")
            self._profiles[spec.handle] = found if ok else None
        return self._profiles[spec.handle]

    def _get(self, path: str, params: Mapping[str, str]) -> Any:
        """GET an XRPC query's JSON through the HTTP layer, refusals classified."""
        try:
            return self.ctx.http.get_json(path, params=params)
        except (HttpStatusError, AuthFailed) as exc:
            raise classify(exc, self.ctx.http.base_url) from None

    def _identity(self, found: Mapping[str, Any], spec: rows.AccountSpec) -> tuple[str, str, Any]:
        handle = str(found.get("handle") or spec.handle)
        return str(found["did"]), handle, found.get("followersCount")

    def _check_handle(self, found: Mapping[str, Any], spec: rows.AccountSpec) -> str:
        return str(found.get("handle") or found["did"])

    def _feed_page(
        self, did: str, cursor: str | None
    ) -> tuple[list[Mapping[str, Any]], str | None]:
        """One page of the author's own posts (newest first) and the cursor of the next."""
        params = {"actor": did, "limit": str(self.page_size), "filter": self.filter}
        if cursor:
            params["cursor"] = cursor
        body = self._get("/xrpc/app.bsky.feed.getAuthorFeed", params)
        feed = body.get("feed") if isinstance(body, Mapping) else None
        if not isinstance(feed, list):
            raise UpstreamError("bluesky: getAuthorFeed: the answer has no 'feed' list")
        nxt = body.get("cursor") if isinstance(body, Mapping) else None
        return own_posts(feed, did), (str(nxt) if nxt else None)

    def _pages(self, did: str, bound: datetime) -> Iterator[list[Mapping[str, Any]]]:
        """The author's own posts created at or after `bound`, a page at a time, newest first."""
        cursor: str | None = None
        for _ in range(self.max_pages):
            posts, cursor = self._feed_page(did, cursor)
            keep = [p for p in posts if (created_at(p) or bound) >= bound]
            if keep:
                yield keep
            if cursor is None or len(keep) < len(posts):
                return
        self._warnings.append(
            f"bluesky: {did}: stopped after max_pages={self.max_pages} before reaching "
            f"{bound:%Y-%m-%d}; raise max_pages to reach further back"
        )

    def _account_posts(
        self, did: str, since: datetime | None, state: PostsState
    ) -> Iterator[Batch]:
        seen = rows.parse_time(state.newest.get(did)) if since is None else None
        window_from = state.window_from(did)
        if seen is None:
            start = rows.window_start(self.ctx.as_of, since, self.lookback_days)
            top: Range = {"bound": rows.iso(start)}
            if since is None:
                window_from = rows.iso(start)
        else:
            top = {"bound": rows.iso(seen)}
        queue = [top, *state.ranges(did)]
        budget = self.max_pages
        for i, rng in enumerate(queue):
            if i == 1:  # the backfill ranges get their own max_pages calls
                budget = self.max_pages
            bound = rows.parse_time(rng.get("bound")) or self.ctx.as_of
            cursor: str | None = rng.get("cursor") or None
            while budget > 0:
                posts, nxt = self._feed_page(did, cursor)
                budget -= 1
                before = state.snapshot()
                keep = [p for p in posts if (created_at(p) or bound) >= bound]
                if i == 0:
                    times = [t for t in (created_at(p) for p in keep) if t is not None]
                    top_seen = rows.parse_time(state.newest.get(did))
                    if times and (top_seen is None or max(times) > top_seen):
                        state.newest[did] = rows.iso(max(times))
                finished = nxt is None or len(keep) < len(posts)
                current = None if finished else {**rng, "cursor": nxt}
                state.set_ranges(did, ([current] if current else []) + queue[i + 1 :], window_from)
                after = state.snapshot()
                post_rows, metrics = feed_rows(keep, did, self.ctx.as_of)
                tables = rows.frames({"posts": post_rows, "post_metrics": metrics})
                yield Batch(tables, after if after != before else None, self._drain_warnings())
                if finished:
                    break
                cursor = nxt
            if budget <= 0 and i > 0:
                break
        if state.ranges(did):
            self._warnings.append(
                f"bluesky: {did}: stopped after max_pages={self.max_pages}; the older posts of "
                "the window are fetched on the next runs (backfill)"
            )

    def _account_metrics(self, did: str, bound: datetime) -> Iterator[Batch]:
        for posts in self._pages(did, bound):
            _, metrics = feed_rows(posts, did, self.ctx.as_of)
            yield Batch(rows.frames({"post_metrics": metrics}), None, self._drain_warnings())


def create(ctx: AdapterContext) -> BlueskyAdapter:
    return BlueskyAdapter(ctx)


__all__ = [
    "DEFAULTS",
    "INIT_TEMPLATE",
    "PLATFORM",
    "RATE_LIMIT",
    "SECRETS",
    "BlueskyAdapter",
    "classify",
    "create",
    "feed_rows",
    "post_link",
    "post_url",
    "rate_limit",
]
