"""X (Twitter) API v2 through tweepy's `Client`, sending every call through our HTTP layer.

tweepy hard-codes `https://api.twitter.com`; the client's session is `ctx.http`, which rewrites
that origin to the configured `base_url` and handles timeouts, retries and the rate-limit reset
headers (the client runs with `wait_on_rate_limit=False`, and a `tweepy.TweepyException` that still
arises becomes an `UpstreamError`). Responses are read as plain JSON (`return_type=dict`).

- account: `GET /2/users/by?usernames=` (public_metrics) → accounts and today's followers;
- posts: `GET /2/users/{id}/tweets`, paged by `pagination_token`, from `since_id` (the newest post
  seen) or the first run's `start_time`. A walk that `max_pages` stops leaves a backfill range
  (`until_id` = the oldest post reached) that the next runs continue after fetching the new posts
  (see `_social.PostsState`). Retweets are kept as kind `share` without metrics of their own
  (theirs are the original's); the link is the first `entities.urls[]` entry that is not a post
  or media page, read from `unwound_url` else `expanded_url`; `url` is
  `https://x.com/{username}/status/{id}`;
- post_metrics: posts from the last `metrics_days` with public_metrics. With user-context
  credentials for an account (OAuth 1.0a keys, or a user bearer token), its posts under 30 days
  old also get `non_public_metrics` / `organic_metrics`: link clicks. Otherwise those are skipped
  with a note.

Refusals (`classify`): 401 → AuthFailed; 403 `client-forbidden` / `client-not-enrolled` (the app
is not in a Project with API access), `unsupported-authentication` and "You are not permitted to
perform this action" → PermissionDenied naming what to grant in the developer portal; 404 or
`resource-not-found` → UnknownObject. `errors[]` inside a 200 are warnings; for a configured
username they name its `accounts` entry.

Rate limits: per endpoint, in 15-minute windows; `x-rate-limit-remaining` and
`x-rate-limit-reset` (epoch seconds) on every answer, and a 429 (a rate limit, or `usage-capped`
when the plan's credits ran out) waits until the reset.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
import tweepy

from socialroi.adapters import _social_rows as rows
from socialroi.adapters._http import (
    HttpStatusError,
    Signal,
    epoch_to_datetime,
    json_body,
    scrub,
    seconds_until,
)
from socialroi.adapters._social import ACCOUNT_STREAM, HandleAdapter, PostsState, Range
from socialroi.adapters.base import AdapterContext, Batch, Stream
from socialroi.errors import AuthFailed, ConfigError, PermissionDenied, UnknownObject, UpstreamError

PLATFORM = "x"

DEFAULTS: dict[str, Any] = {
    "base_url": "https://api.x.com",
    "accounts": [],
    "lookback_days": 90,
    "metrics_days": 30,
    "page_size": 100,
    "max_pages": 32,
    "include_replies": True,
    "private_metrics": "auto",
}

SECRETS: tuple[str, ...] = ("bearer_token",)
#: OAuth 1.0a user context of one of the accounts: its posts' link clicks.
OPTIONAL_SECRETS: tuple[str, ...] = (
    "consumer_key",
    "consumer_secret",
    "access_token",
    "access_token_secret",
)
#: tweepy's hard-coded host, sent to the configured base_url instead.
REWRITE_HOSTS: tuple[str, ...] = ("https://api.twitter.com",)

INIT_TEMPLATE = """\
# X: an app's bearer token in SOCIALROI_X_BEARER_TOKEN reads accounts, posts and public metrics.
# Link clicks of an account's own posts (under 30 days old) need that account's user context:
# SOCIALROI_X_CONSUMER_KEY, SOCIALROI_X_CONSUMER_SECRET, SOCIALROI_X_ACCESS_TOKEN and
# SOCIALROI_X_ACCESS_TOKEN_SECRET (OAuth 1.0a), or private_metrics = "bearer" when the bearer
# token is an OAuth 2.0 user token of the account.
[platforms.x]
# base_url = "https://api.x.com"
# accounts = ["acme", { handle = "jdoe", owner = "e014" }]   # owner: "brand" or an employee_id
# lookback_days = 90         # how far back the first run reaches (or --since)
# metrics_days = 30          # posts this recent get a fresh metrics snapshot every run
# page_size = 100            # posts per call (5 to 100)
# max_pages = 32             # calls per account and run for new posts, as many for backfill
# include_replies = true     # replies to others are kept as kind "reply"
# private_metrics = "auto"   # "auto" (OAuth 1.0a keys when set), "oauth1", "bearer" or "off"
"""

#: Private metrics exist only for posts created in the last 30 days; stay an hour inside that.
PRIVATE_MARGIN = timedelta(hours=1)
PRIVATE_DAYS = timedelta(days=30) - PRIVATE_MARGIN

TWEET_FIELDS = (
    "created_at",
    "public_metrics",
    "entities",
    "referenced_tweets",
    "in_reply_to_user_id",
    "conversation_id",
    "note_tweet",
)
PRIVATE_FIELDS = ("non_public_metrics", "organic_metrics")
_X_HOSTS = ("x.com", "twitter.com")
WEB_URL = "https://x.com"
PORTAL = "the X developer portal (developer.x.com → Projects & Apps)"
_MODES = ("auto", "oauth1", "bearer", "off")


def rate_limit(response: requests.Response, now: datetime) -> Signal | None:
    """X's signals: a 429 waits until `x-rate-limit-reset` (+1 s); `remaining: 0` slows down."""
    reset = epoch_to_datetime(response.headers.get("x-rate-limit-reset"))
    if reset is None:
        return None
    wait = seconds_until(reset, now) + 1.0
    stamp = reset.strftime("%H:%M:%SZ")
    if response.status_code == 429:
        body = json_body(response)
        capped = isinstance(body, Mapping) and "usage-capped" in str(body.get("type") or "")
        what = "usage cap reached" if capped else "rate limit"
        return Signal(wait, True, f"X: 429 {what}, window resets {stamp}")
    if (response.headers.get("x-rate-limit-remaining") or "").strip() == "0":
        return Signal(wait, False, f"X: no calls left in this window, resets {stamp}")
    return None


RATE_LIMIT = rate_limit


def _problem(payload: Any) -> tuple[str, str, str]:
    """(type, reason, detail) of an X problem body (or its first `errors[]` entry)."""
    body: Any = payload
    if isinstance(body, Mapping) and not body.get("type") and isinstance(body.get("errors"), list):
        first = body["errors"][0] if body["errors"] else None
        body = first if isinstance(first, Mapping) else body
    if not isinstance(body, Mapping):
        return "", "", ""
    detail = str(body.get("detail") or body.get("message") or body.get("title") or "")
    return str(body.get("type") or ""), str(body.get("reason") or ""), detail


def classify(exc: HttpStatusError) -> UpstreamError:
    """An X refusal as the error it is: permission, unknown object, or `exc` unchanged."""
    kind, reason, detail = _problem(exc.payload)
    said = f" ({detail})" if detail else ""
    if exc.status == 403:
        if reason == "client-not-enrolled" or kind.endswith("/client-forbidden"):
            return PermissionDenied(
                f"x: the app is not allowed to call API v2{said}: in {PORTAL}, attach the app "
                "to a Project on a plan that includes this endpoint, then use that app's "
                "bearer token (SOCIALROI_X_BEARER_TOKEN)"
            )
        if kind.endswith("/unsupported-authentication"):
            return PermissionDenied(
                f"x: this call needs user context{said}: set the account's OAuth 1.0a keys "
                "(SOCIALROI_X_CONSUMER_KEY, _CONSUMER_SECRET, _ACCESS_TOKEN, _ACCESS_TOKEN_SECRET) "
                'or private_metrics = "off"'
            )
        return PermissionDenied(
            f"x: refused{said}: the credentials may not read this. An OAuth 2.0 user token needs "
            f"the scopes tweet.read and users.read (User authentication settings in {PORTAL}); "
            "private metrics are only given to the account that owns the posts"
        )
    if exc.status == 404 or kind.endswith("/resource-not-found"):
        return UnknownObject(f"x: not found{said}")
    return exc


class _DropTweepyDumps(logging.Filter):
    """tweepy logs every request's headers (the bearer token) and body at DEBUG: never let them
    through."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = str(record.msg)
        return not msg.startswith(("Making API request", "Received API response"))


logging.getLogger("tweepy.client").addFilter(_DropTweepyDumps())


# -- rows from posts (pure) ------------------------------------------------------------------------


def _is_x_page(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return any(host == h or host.endswith("." + h) for h in _X_HOSTS)


def post_link(tweet: Mapping[str, Any]) -> str | None:
    """The post's outside link: the first `entities.urls[]` entry that is not an X page (a
    quoted post, a photo), read from `unwound_url` (the resolved card) else `expanded_url`."""
    entities = tweet.get("entities")
    urls = entities.get("urls") if isinstance(entities, Mapping) else None
    for entry in urls or ():
        if not isinstance(entry, Mapping):
            continue
        link = entry.get("unwound_url") or entry.get("expanded_url") or entry.get("url")
        if link and not _is_x_page(str(link)) and not entry.get("media_key"):
            return str(link)
    return None


def _refs(tweet: Mapping[str, Any]) -> set[str]:
    return {
        str(r.get("type"))
        for r in tweet.get("referenced_tweets") or ()
        if isinstance(r, Mapping) and r.get("type")
    }


def post_kind(tweet: Mapping[str, Any], user_id: str) -> str:
    """`share` for a retweet, `reply` for a reply to someone else, else `broadcast` (a reply to
    oneself continues a thread)."""
    refs = _refs(tweet)
    if "retweeted" in refs:
        return "share"
    replying_to = tweet.get("in_reply_to_user_id")
    if "replied_to" in refs and str(replying_to or "") not in ("", user_id):
        return "reply"
    return "broadcast"


def post_text(tweet: Mapping[str, Any]) -> str | None:
    """The full text: a long post's `note_tweet.text`, else `text`."""
    note = tweet.get("note_tweet")
    if isinstance(note, Mapping) and note.get("text"):
        return str(note["text"])
    text = tweet.get("text")
    return str(text) if text else None


def _metrics(tweet: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = tweet.get(name)
    return value if isinstance(value, Mapping) else {}


def tweet_rows(
    tweets: Sequence[Mapping[str, Any]],
    user_id: str,
    as_of: datetime,
    *,
    handle: str | None = None,
) -> tuple[list[rows.Row], list[rows.Row]]:
    """posts and post_metrics rows for a page of one user's posts (no metrics for retweets);
    with the user's `handle`, posts get their web address."""
    posts: list[rows.Row] = []
    metrics: list[rows.Row] = []
    for tw in tweets:
        if not tw.get("id"):
            continue
        post_id = str(tw["id"])
        kind = post_kind(tw, user_id)
        posts.append(
            rows.post_row(
                PLATFORM,
                post_id,
                account_id=user_id,
                created_at=rows.parse_time(tw.get("created_at")),
                text=post_text(tw),
                kind=kind,
                link_url=post_link(tw),
                url=post_url(handle, post_id) if handle else None,
            )
        )
        if kind == "share":
            continue
        public = _metrics(tw, "public_metrics")
        private = _metrics(tw, "non_public_metrics")
        organic = _metrics(tw, "organic_metrics")
        impressions = public.get("impression_count")
        if rows.count(impressions) is None:
            impressions = private.get("impression_count", organic.get("impression_count"))
        metrics.append(
            rows.metrics_row(
                PLATFORM,
                post_id,
                as_of,
                impressions=impressions,
                likes=public.get("like_count"),
                comments=public.get("reply_count"),
                shares=rows.add_counts(public.get("retweet_count"), public.get("quote_count")),
                saves=public.get("bookmark_count"),
                clicks=private.get("url_link_clicks", organic.get("url_link_clicks")),
            )
        )
    return posts, metrics


def partial_errors(body: Mapping[str, Any]) -> list[str]:
    """The `errors[]` X sends inside a 200 (a missing user, a field not authorised) as lines."""
    out = []
    for err in body.get("errors") or ():
        if not isinstance(err, Mapping):
            continue
        title = str(err.get("title") or "error")
        detail = str(err.get("detail") or err.get("message") or "")
        what = err.get("resource_id") or err.get("value")
        line = f"x: {title}" + (f" ({what})" if what else "") + (f": {detail}" if detail else "")
        out.append(line)
    return out


# -- the adapter -----------------------------------------------------------------------------------


class XAdapter(HandleAdapter):
    platform: str = PLATFORM
    streams: tuple[Stream, ...] = (
        ACCOUNT_STREAM,
        Stream("posts", ("posts", "post_metrics"),
               description="new posts, replies and retweets with today's public metrics"),
        Stream("post_metrics", ("post_metrics",), incremental=False,
               description="today's metrics of posts from the last metrics_days "
                           "(link clicks with user context)"),
    )  # fmt: skip

    def __init__(self, ctx: AdapterContext) -> None:
        super().__init__(ctx, DEFAULTS)
        opts = self.opts
        self.page_size = max(5, min(self.page_size, 100))
        self.include_replies = bool(opts["include_replies"])
        mode = str(opts["private_metrics"])
        if mode not in _MODES:
            raise ConfigError(
                f"[platforms.x] private_metrics must be one of {', '.join(_MODES)}, got {mode!r}"
            )
        has_oauth1 = all(ctx.secrets.has(n) for n in OPTIONAL_SECRETS)
        if mode == "oauth1" and not has_oauth1:
            missing = [n for n in OPTIONAL_SECRETS if not ctx.secrets.has(n)]
            raise ConfigError(ctx.secrets.missing_message(missing[0]))
        self.mode = "oauth1" if mode == "auto" and has_oauth1 else mode
        secret = ctx.secrets.get
        self.client = tweepy.Client(
            bearer_token=secret("bearer_token"),
            consumer_key=secret("consumer_key") if has_oauth1 else None,
            consumer_secret=secret("consumer_secret") if has_oauth1 else None,
            access_token=secret("access_token") if has_oauth1 else None,
            access_token_secret=secret("access_token_secret") if has_oauth1 else None,
            return_type=dict,
            wait_on_rate_limit=False,
        )
        self.client.session = ctx.http
        self._users: dict[str, Mapping[str, Any]] | None = None
        self._why: dict[str, str] = {}
        self._me: str | None = None
        self._me_known = False

    # -- calls ---------------------------------------------------------------------------------
    def _call(self, method: Any, *args: Any, **kwargs: Any) -> Mapping[str, Any]:
        """A tweepy call; its own exceptions become UpstreamError (ours pass through)."""
        try:
            body = method(*args, **kwargs)
        except HttpStatusError as exc:
            raise classify(exc) from None
        except tweepy.TweepyException as exc:
            raise UpstreamError(scrub(f"x: {exc}", self.ctx.secrets.values())) from None
        except ValueError:
            raise UpstreamError("x: the answer is not JSON") from None
        return body if isinstance(body, Mapping) else {}

    def users(self) -> dict[str, Mapping[str, Any]]:
        """The configured accounts by lower-cased username; X's word on missing ones is kept
        for the warning that names their `accounts` entry."""
        if self._users is None:
            found: dict[str, Mapping[str, Any]] = {}
            handles = [s.handle for s in self.specs]
            configured = {h.lower() for h in handles}
            for i in range(0, len(handles), 100):
                body = self._call(
                    self.client.get_users,
                    usernames=handles[i : i + 100],
                    user_fields=["public_metrics", "created_at"],
                )
                for user in body.get("data") or ():
                    if isinstance(user, Mapping) and user.get("id") and user.get("username"):
                        found[str(user["username"]).lower()] = user
                for err in body.get("errors") or ():
                    if not isinstance(err, Mapping):
                        continue
                    what = str(err.get("value") or err.get("resource_id") or "").lower()
                    if what in configured:
                        title, detail = err.get("title") or "error", err.get("detail") or ""
                        self._why[what] = f"not found ({title}: {detail})" if detail else title
                    else:
                        self._warnings.extend(partial_errors({"errors": [err]}))
            self._users = found
        return self._users

    def _find(self, spec: rows.AccountSpec) -> Mapping[str, Any] | None:
        user = self.users().get(spec.handle.lower())
        if user is None:
            why = self._why.get(spec.handle.lower(), "not in X's answer to the username lookup")
            self._note_missing(spec, why)
        return user

    def _identity(self, found: Mapping[str, Any], spec: rows.AccountSpec) -> tuple[str, str, Any]:
        followers = _metrics(found, "public_metrics").get("followers_count")
        return str(found["id"]), str(found["username"]), followers

    def _me_id(self) -> str | None:
        """The user id the user-context credentials belong to; None when there are none."""
        if self._me_known:
            return self._me
        self._me_known = True
        if self.mode == "off":
            return None
        if self.mode == "auto":
            self._warnings.append(
                "x: link clicks skipped: they need the account's user context "
                "(SOCIALROI_X_CONSUMER_KEY, _CONSUMER_SECRET, _ACCESS_TOKEN, _ACCESS_TOKEN_SECRET, "
                'or private_metrics = "bearer" with a user token)'
            )
            return None
        try:
            body = self._call(self.client.get_me, user_auth=self.mode == "oauth1")
        except AuthFailed as exc:
            raise AuthFailed(
                f"{exc}; the user context for link clicks was refused: check "
                "SOCIALROI_X_CONSUMER_KEY, _CONSUMER_SECRET, _ACCESS_TOKEN and "
                '_ACCESS_TOKEN_SECRET (or the user token), or set private_metrics = "off"'
            ) from None
        data = body.get("data")
        self._me = str(data["id"]) if isinstance(data, Mapping) and data.get("id") else None
        return self._me

    def _timeline(
        self,
        user_id: str,
        *,
        since_id: str | None = None,
        until_id: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        private: bool = False,
        pages: int | None = None,
    ) -> Iterator[tuple[Mapping[str, Any], bool]]:
        """Pages of the user's posts, newest first, each with whether more pages follow."""
        fields = list(TWEET_FIELDS) + (list(PRIVATE_FIELDS) if private else [])
        kwargs: dict[str, Any] = {
            "max_results": self.page_size,
            "tweet_fields": fields,
            "user_auth": private and self.mode == "oauth1",
        }
        if since_id:
            kwargs["since_id"] = since_id
        if until_id:
            kwargs["until_id"] = until_id
        if start is not None:
            kwargs["start_time"] = start
        if end is not None:
            kwargs["end_time"] = end
        if not self.include_replies:
            kwargs["exclude"] = ["replies"]
        limit = self.max_pages if pages is None else pages
        token: str | None = None
        for _ in range(limit):
            if token:
                kwargs["pagination_token"] = token
            try:
                body = self.client.get_users_tweets(user_id, **kwargs)
            except HttpStatusError as exc:
                raise classify(exc) from None
            except tweepy.TweepyException as exc:
                raise UpstreamError(scrub(f"x: {exc}", self.ctx.secrets.values())) from None
            except ValueError:
                raise UpstreamError(f"x: {user_id}: the timeline answer is not JSON") from None
            if not isinstance(body, Mapping):
                return
            self._warnings.extend(partial_errors(body))
            meta = body.get("meta")
            token = str(meta.get("next_token") or "") if isinstance(meta, Mapping) else ""
            yield body, bool(token)
            if not token:
                return

    # -- protocol --------------------------------------------------------------------------------
    def _account_posts(
        self, uid: str, since: datetime | None, state: PostsState
    ) -> Iterator[Batch]:
        seen = state.newest.get(uid) if since is None else None
        window_from = state.window_from(uid)
        if seen:
            top: Range = {"since_id": seen}
        else:
            start = rows.window_start(self.ctx.as_of, since, self.lookback_days)
            top = {"start_time": rows.iso(start)}
            if since is None:
                window_from = rows.iso(start)
        queue = [top, *state.ranges(uid)]
        handle = self.handles.get(uid, uid)
        budget = self.max_pages
        for i, rng in enumerate(queue):
            if i == 1:  # the backfill ranges get their own max_pages calls
                budget = self.max_pages
            if budget <= 0:
                break
            current: Range | None = rng
            for body, more in self._timeline(
                uid,
                since_id=rng.get("since_id"),
                until_id=rng.get("until_id"),
                start=rows.parse_time(rng.get("start_time")),
                pages=budget,
            ):
                budget -= 1
                before = state.snapshot()
                tweets = [t for t in body.get("data") or () if isinstance(t, Mapping)]
                posts, metrics = tweet_rows(tweets, uid, self.ctx.as_of, handle=handle)
                ids = [str(t.get("id") or "") for t in tweets]
                if i == 0:
                    newest = _newer(state.newest.get(uid), ids)
                    if newest:
                        state.newest[uid] = newest
                oldest = _older(ids)
                if more and oldest:
                    current = {**rng, "until_id": oldest}
                elif not more:
                    current = None
                state.set_ranges(uid, ([current] if current else []) + queue[i + 1 :], window_from)
                after = state.snapshot()
                tables = rows.frames({"posts": posts, "post_metrics": metrics})
                yield Batch(tables, after if after != before else None, self._drain_warnings())
        if state.ranges(uid):
            self._warnings.append(
                f"x: @{handle}: stopped after max_pages={self.max_pages}; the older posts "
                "of the window are fetched on the next runs (backfill)"
            )

    def _account_metrics(self, uid: str, start: datetime) -> Iterator[Batch]:
        as_of = self.ctx.as_of
        spans: list[tuple[datetime, datetime | None, bool]] = [(start, None, False)]
        if self._me_id() == uid:
            private_start = max(start, as_of - PRIVATE_DAYS)
            spans = [(private_start, None, True)]
            if private_start - start > PRIVATE_MARGIN:  # older posts: public metrics only
                spans.append((start, private_start, False))
        for span_start, span_end, private in spans:
            for body, _ in self._timeline(uid, start=span_start, end=span_end, private=private):
                tweets = [t for t in body.get("data") or () if isinstance(t, Mapping)]
                _, metrics = tweet_rows(tweets, uid, as_of)
                tables = rows.frames({"post_metrics": metrics})
                yield Batch(tables, None, self._drain_warnings())


def _newer(current: str | None, ids: Sequence[str]) -> str | None:
    """The newest of `current` and `ids` (X ids are integers growing with time)."""
    best = current
    for i in ids:
        if i.isdigit() and (best is None or int(i) > int(best)):
            best = i
    return best


def _older(ids: Sequence[str]) -> str | None:
    """The oldest of `ids` (None when there is none)."""
    nums = [int(i) for i in ids if i.isdigit()]
    return str(min(nums)) if nums else None


def post_url(handle: str, post_id: str) -> str:
    """The post's address on the web."""
    return f"{WEB_URL}/{handle}/status/{post_id}"


def create(ctx: AdapterContext) -> XAdapter:
    return XAdapter(ctx)


__all__ = [
    "DEFAULTS",
    "INIT_TEMPLATE",
    "OPTIONAL_SECRETS",
    "PLATFORM",
    "RATE_LIMIT",
    "REWRITE_HOSTS",
    "SECRETS",
    "XAdapter",
    "classify",
    "create",
    "post_link",
    "post_url",
    "rate_limit",
    "tweet_rows",
]
