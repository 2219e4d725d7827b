"""Mastodon: accounts, their statuses and the statuses' counters, from the account's home instance.

Public API (an access token is optional: it only adds the account's unlisted posts):

- `GET /api/v1/accounts/lookup?acct=` → the account and its follower count;
- `GET /api/v1/accounts/{id}/statuses` → statuses, newest first, paged by the `Link` header:
  `rel="next"` walks back (`max_id`), `rel="prev"` walks forward (`min_id`). A first run walks
  back to its lower time bound; each page moves the state, and when `max_pages` stops the walk
  the rest of the window stays as a backfill range (`max_id` of the next page) that later runs
  continue. Later runs walk forward from the newest status seen (each page moves the cursor),
  then continue any backfill. Boosts (`reblog` set) are skipped; the HTML `content` becomes
  plain text; the link is the preview card's `card.url`, else the first link in the text that is
  not a mention or a hashtag; `url` is the status's own `url`.

Refusals (`classify`, bodies as Mastodon's `Api::BaseController` renders them): 401 `The access
token is invalid` → AuthFailed; 403 `This action is outside the authorized scopes` →
PermissionDenied naming the scopes; 404 `Record not found` (410 for a suspended account) →
UnknownObject: on the account lookup, a warning naming the `accounts` entry.

Rate limits: 300 requests per 5 minutes per account and per IP, signalled by
`X-RateLimit-Remaining` and `X-RateLimit-Reset` (an ISO 8601 time); a 429 waits until the reset.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from socialroi.adapters import _social_rows as rows
from socialroi.adapters._http import HttpStatusError, iso_to_datetime, platform_message
from socialroi.adapters._social import (
    ACCOUNT_STREAM,
    HandleAdapter,
    PostsState,
    Range,
    window_rule,
)
from socialroi.adapters.base import AdapterContext, Batch, Stream
from socialroi.errors import PermissionDenied, UnknownObject, UpstreamError

PLATFORM = "mastodon"

DEFAULTS: dict[str, Any] = {
    "base_url": "https://mastodon.social",
    "accounts": [],
    "lookback_days": 90,
    "metrics_days": 30,
    "page_size": 40,
    "max_pages": 50,
    "include_replies": True,
}

SECRETS: tuple[str, ...] = ()
#: Used when set: an access token (scope `read:statuses`) also returns unlisted posts.
OPTIONAL_SECRETS: tuple[str, ...] = ("access_token",)

INIT_TEMPLATE = """\
# Mastodon: public data from each account's home instance. No secret is needed; an access
# token (scope read:statuses) in SOCIALROI_MASTODON_ACCESS_TOKEN also returns unlisted posts.
[platforms.mastodon]
# base_url = "https://mastodon.social"   # the accounts' home instance
# accounts = ["acme", { handle = "jdoe", owner = "e014" }]   # owner: "brand" or an employee_id
# lookback_days = 90      # how far back the first run reaches (or --since)
# metrics_days = 30       # posts this recent get a fresh metrics snapshot every run
# page_size = 40          # statuses per call (at most 40)
# max_pages = 50          # calls per account and run for new posts (as many again for backfill)
# include_replies = true  # replies to others are kept as kind "reply"
"""


#: Mastodon's signals: a 429 waits until `X-RateLimit-Reset`; `Remaining: 0` slows down.
rate_limit = window_rule(
    "Mastodon", reset="X-RateLimit-Reset", remaining="X-RateLimit-Remaining", parse=iso_to_datetime
)
RATE_LIMIT = rate_limit


def classify(exc: HttpStatusError, base_url: str) -> UpstreamError:
    """A Mastodon refusal as the error it is: permission, unknown object, or `exc` unchanged."""
    said = platform_message(exc.payload) or ""
    if exc.status == 403:
        if "scope" in said.lower():
            return PermissionDenied(
                f"mastodon: {said}: the access token needs the scopes read:accounts and "
                f"read:statuses (or read): create it under Preferences → Development on "
                f"{base_url}, then set SOCIALROI_MASTODON_ACCESS_TOKEN"
            )
        return PermissionDenied(
            f"mastodon: refused ({said or 'HTTP 403'}): the instance does not let this token "
            f"read it; check the account behind SOCIALROI_MASTODON_ACCESS_TOKEN on {base_url}"
        )
    if exc.status in (404, 410):
        return UnknownObject(f"mastodon: {said or f'HTTP {exc.status}'} on {base_url}")
    return exc


# -- rows from statuses (pure) ---------------------------------------------------------------------


class _Html(HTMLParser):
    """Plain text and links of a status's HTML `content`.

    The `<p class="quote-inline">RE: link</p>` that Mastodon 4.4+ adds to quote posts for older
    clients is left out: it names the quoted post, it is not the author's text or link.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self.skipping = False

    def handle_endtag(self, tag: str) -> None:
        if tag == "p":
            self.skipping = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "p" and "quote-inline" in (dict(attrs).get("class") or "").split():
            self.skipping = True
        if self.skipping:
            return
        if tag == "br":
            self.parts.append("\n")
        elif tag == "p" and "".join(self.parts).strip():
            self.parts.append("\n\n")
        elif tag == "a":
            a = dict(attrs)
            classes = (a.get("class") or "").split()
            rel = (a.get("rel") or "").split()
            href = a.get("href")
            if href and "mention" not in classes and "hashtag" not in classes and "tag" not in rel:
                self.links.append(href)

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(content: str | None) -> tuple[str | None, str | None]:
    """A status's HTML as plain text (paragraphs split by a blank line), and its first link that
    is not a mention or hashtag."""
    if not content:
        return None, None
    parser = _Html()
    parser.feed(content)
    parser.close()
    text = "".join(parser.parts).strip()
    return (text or None), (parser.links[0] if parser.links else None)


def _id_key(status_id: str) -> tuple[int, str]:
    """Order of Mastodon ids (numeric strings, or fixed-length sortable ids on other servers)."""
    return (len(status_id), status_id)


def newest_id(ids: list[str], current: str | None = None) -> str | None:
    """The newest of `ids` and `current` (the cursor never moves back)."""
    candidates = [i for i in (*ids, current) if i]
    return max(candidates, key=_id_key) if candidates else None


def status_kind(status: Mapping[str, Any], account_id: str) -> str:
    """`reply` for a reply to someone else; a reply to oneself (a thread) is a `broadcast`."""
    if status.get("in_reply_to_id") and str(status.get("in_reply_to_account_id")) != account_id:
        return "reply"
    return "broadcast"


def status_url(status: Mapping[str, Any]) -> str | None:
    """The status's web address (`url`; `uri` for servers that send no `url`)."""
    value = status.get("url") or status.get("uri")
    return str(value) if value else None


def status_rows(
    statuses: list[Mapping[str, Any]], account_id: str, as_of: datetime
) -> tuple[list[rows.Row], list[rows.Row]]:
    """posts and post_metrics rows for a page of statuses; boosts are skipped."""
    posts: list[rows.Row] = []
    metrics: list[rows.Row] = []
    for st in statuses:
        if st.get("reblog") or not st.get("id"):
            continue
        post_id = str(st["id"])
        text, first_link = html_to_text(st.get("content"))
        card = st.get("card") if isinstance(st.get("card"), Mapping) else None
        link = (card or {}).get("url") or first_link
        posts.append(
            rows.post_row(
                PLATFORM,
                post_id,
                account_id=account_id,
                created_at=rows.parse_time(st.get("created_at")),
                text=text,
                kind=status_kind(st, account_id),
                link_url=link,
                url=status_url(st),
            )
        )
        metrics.append(
            rows.metrics_row(
                PLATFORM,
                post_id,
                as_of,
                likes=st.get("favourites_count"),
                comments=st.get("replies_count"),
                shares=rows.add_counts(st.get("reblogs_count"), st.get("quotes_count")),
            )
        )
    return posts, metrics


def account_handle(account: Mapping[str, Any], base_url: str) -> str:
    """`user@instance` for an account (lookup gives a bare `acct` for local accounts)."""
    acct = str(account.get("acct") or account.get("username") or "")
    if "@" in acct:
        return acct
    host = urlsplit(str(account.get("url") or base_url)).hostname or urlsplit(base_url).hostname
    return f"{acct}@{host}" if host else acct


# -- the adapter -----------------------------------------------------------------------------------


class MastodonAdapter(HandleAdapter):
    platform: str = PLATFORM
    streams: tuple[Stream, ...] = (
        ACCOUNT_STREAM,
        Stream("posts", ("posts", "post_metrics"),
               description="new statuses (boosts skipped) with today's counters"),
        Stream("post_metrics", ("post_metrics",), incremental=False,
               description="today's counters of statuses from the last metrics_days"),
    )  # fmt: skip

    def __init__(self, ctx: AdapterContext) -> None:
        super().__init__(ctx, DEFAULTS)
        opts = self.opts
        self.base_url = str(opts["base_url"])
        self.page_size = min(self.page_size, 40)
        self.include_replies = bool(opts["include_replies"])
        self.headers: dict[str, str] = {}
        if ctx.secrets.has("access_token"):
            self.headers["Authorization"] = f"Bearer {ctx.secrets.get('access_token')}"
        self._accounts: dict[str, Mapping[str, Any] | None] = {}

    # -- calls ---------------------------------------------------------------------------------
    def _find(self, spec: rows.AccountSpec) -> Mapping[str, Any] | None:
        if spec.handle not in self._accounts:
            try:
                found = self._get("/api/v1/accounts/lookup", {"acct": spec.handle}).json()
            except UnknownObject as exc:
                found = None
                self._note_missing(spec, f"not found ({exc})")
            except ValueError:
                raise UpstreamError("mastodon: the account lookup answer is not JSON") from None
            ok = isinstance(found, Mapping) and found.get("id")
            if found is not None and not ok:
                self._note_missing(spec, f"not found on {self.base_url} (no account in the answer)")
            self._accounts[spec.handle] = found if ok else None
        return self._accounts[spec.handle]

    def _get(self, path_or_url: str, params: Mapping[str, Any] | None) -> requests.Response:
        """GET through the HTTP layer, refusals classified."""
        try:
            return self.ctx.http.get(path_or_url, params=params, headers=self.headers)
        except HttpStatusError as exc:
            raise classify(exc, self.base_url) from None

    def _identity(self, found: Mapping[str, Any], spec: rows.AccountSpec) -> tuple[str, str, Any]:
        handle = account_handle(found, self.base_url)
        return str(found["id"]), handle, found.get("followers_count")

    def _page(
        self, path_or_url: str, params: Mapping[str, Any] | None
    ) -> tuple[list[Mapping[str, Any]], dict[str, str]]:
        """One page of statuses and its `Link` URLs by rel."""
        resp = self._get(path_or_url, params)
        try:
            body = resp.json() if resp.content else []
        except ValueError:
            raise UpstreamError("mastodon: a statuses answer is not JSON") from None
        if not isinstance(body, list):
            raise UpstreamError(f"mastodon: GET {urlsplit(resp.url).path}: expected a list")
        links = {rel: _on_base(str(v["url"])) for rel, v in resp.links.items() if v.get("url")}
        return [s for s in body if isinstance(s, Mapping)], links

    def _params(self, **extra: str) -> dict[str, str]:
        params = {"limit": str(self.page_size), "exclude_reblogs": "true", **extra}
        if not self.include_replies:
            params["exclude_replies"] = "true"
        return params

    # -- protocol --------------------------------------------------------------------------------
    def _account_posts(
        self, aid: str, since: datetime | None, state: PostsState
    ) -> Iterator[Batch]:
        path = f"/api/v1/accounts/{aid}/statuses"
        budget = self.max_pages
        window_from = state.window_from(aid)
        queue = state.ranges(aid)
        if aid in state.newest and since is None:
            yield from (batch for batch, _ in self._walk_forward(aid, path, state, budget))
        else:
            bound = rows.window_start(self.ctx.as_of, since, self.lookback_days)
            if since is None:
                window_from = rows.iso(bound)
            queue = [{"bound": rows.iso(bound)}, *queue]
        yield from self._backfill(
            aid, path, state, queue=queue, window_from=window_from, budget=budget
        )

    def _batch(
        self, statuses: list[Mapping[str, Any]], aid: str, state: Mapping[str, Any] | None
    ) -> Batch:
        posts, metrics = status_rows(statuses, aid, self.ctx.as_of)
        tables = rows.frames({"posts": posts, "post_metrics": metrics})
        return Batch(tables, state, self._drain_warnings())

    def _walk_forward(
        self, aid: str, path: str, state: PostsState, budget: int
    ) -> Iterator[tuple[Batch, int]]:
        """Statuses newer than the cursor, oldest page first: each page moves the cursor."""
        url: str | None = path
        params: dict[str, str] | None = self._params(min_id=state.newest[aid])
        for _ in range(budget):
            if url is None:
                return
            statuses, links = self._page(url, params)
            if not statuses:
                return
            newest = newest_id([str(s.get("id") or "") for s in statuses], state.newest[aid])
            if newest:
                state.newest[aid] = newest
            yield self._batch(statuses, aid, state.snapshot()), 1
            url, params = links.get("prev"), None
        if url is not None:
            self._warnings.append(
                f"mastodon: {aid}: stopped after max_pages={self.max_pages}; "
                "the rest comes next run"
            )

    def _backfill(
        self,
        aid: str,
        path: str,
        state: PostsState,
        *,
        queue: list[Range],
        window_from: str | None,
        budget: int,
    ) -> Iterator[Batch]:
        """Walk back through each range (newest first) down to its bound; each page commits
        with the ranges left after it."""
        top = bool(queue) and "max_id" not in queue[0]
        for i, rng in enumerate(queue):
            if i == 1 and top:  # the backfill ranges get their own max_pages calls
                budget = self.max_pages
            bound = rows.parse_time(rng.get("bound")) or self.ctx.as_of
            current: Range | None = rng
            url: str | None = path
            params: dict[str, str] | None = self._params(
                **({"max_id": str(rng["max_id"])} if rng.get("max_id") else {})
            )
            while url is not None and budget > 0:
                statuses, links = self._page(url, params)
                budget -= 1
                before = state.snapshot()
                keep = [s for s in statuses if _at_or_after(s, bound)]
                ids = [str(s.get("id") or "") for s in keep]
                if "max_id" not in rng:  # the top of a first run: the newest status
                    newest = newest_id(ids, state.newest.get(aid))
                    if newest:
                        state.newest[aid] = newest
                url, params = links.get("next"), None
                if not statuses or len(keep) < len(statuses) or url is None:
                    url, current = None, None
                else:
                    current = {**rng, "max_id": _max_id(url) or _oldest(ids) or ""}
                state.set_ranges(aid, ([current] if current else []) + queue[i + 1 :], window_from)
                after = state.snapshot()
                yield self._batch(keep, aid, after if after != before else None)
            if budget <= 0 and (i > 0 or not top):
                break
        if state.ranges(aid):
            self._warnings.append(
                f"mastodon: {aid}: stopped after max_pages={self.max_pages} before the start "
                "of the window; older statuses are fetched on the next runs (backfill)"
            )

    def _back_pages(
        self, aid: str, path: str, bound: datetime
    ) -> Iterator[list[Mapping[str, Any]]]:
        """Pages of statuses created at or after `bound`, newest first (metrics snapshots)."""
        url: str | None = path
        params: dict[str, str] | None = self._params()
        for _ in range(self.max_pages):
            if url is None:
                return
            statuses, links = self._page(url, params)
            keep = [s for s in statuses if _at_or_after(s, bound)]
            if keep:
                yield keep
            if not statuses or len(keep) < len(statuses):
                return
            url, params = links.get("next"), None
        if url is not None:
            self._warnings.append(
                f"mastodon: {aid}: stopped after max_pages={self.max_pages} before reaching "
                f"{bound:%Y-%m-%d}; raise max_pages to reach further back"
            )

    def _account_metrics(self, aid: str, bound: datetime) -> Iterator[Batch]:
        for statuses in self._back_pages(aid, f"/api/v1/accounts/{aid}/statuses", bound):
            _, metrics = status_rows(statuses, aid, self.ctx.as_of)
            yield Batch(rows.frames({"post_metrics": metrics}), None, self._drain_warnings())


def _on_base(link: str) -> str:
    """A `Link` URL as path and query, so it is followed on the configured base URL (a proxy or
    test server in front of the instance) rather than on the host the instance names."""
    parts = urlsplit(link)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _max_id(link: str) -> str | None:
    """The `max_id` of a `rel="next"` link (where the walk back continues)."""
    values = parse_qs(urlsplit(link).query).get("max_id")
    return values[0] if values else None


def _oldest(ids: list[str]) -> str | None:
    candidates = [i for i in ids if i]
    return min(candidates, key=_id_key) if candidates else None


def _at_or_after(status: Mapping[str, Any], bound: datetime) -> bool:
    created = rows.parse_time(status.get("created_at"))
    return created is None or created >= bound


def create(ctx: AdapterContext) -> MastodonAdapter:
    return MastodonAdapter(ctx)


__all__ = [
    "DEFAULTS",
    "INIT_TEMPLATE",
    "OPTIONAL_SECRETS",
    "PLATFORM",
    "RATE_LIMIT",
    "SECRETS",
    "MastodonAdapter",
    "classify",
    "create",
    "html_to_text",
    "rate_limit",
    "status_rows",
]
