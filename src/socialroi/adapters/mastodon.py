"""Mastodon: accounts, their statuses and the statuses' counters, from the account's home instance.

Public API (an access token is optional: it only adds the account's unlisted posts):

- `GET /api/v1/accounts/lookup?acct=` → the account and its follower count;
- `GET /api/v1/accounts/{id}/statuses` → statuses, newest first, paged by the `Link` header:
  `rel="next"` walks back (`max_id`), `rel="prev"` walks forward (`min_id`). A first run walks
  back to its lower time bound; later runs walk forward from the newest status seen, so each page
  can move the cursor. Boosts (`reblog` set) are skipped; the HTML `content` becomes plain text;
  the link is the preview card's `card.url`, else the first link in the text that is not a
  mention or a hashtag.

Rate limits: 300 requests per 5 minutes per account and per IP, signalled by
`X-RateLimit-Remaining` and `X-RateLimit-Reset` (an ISO 8601 time); a 429 waits until the reset.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from socialroi.adapters import _social_rows as rows
from socialroi.adapters._http import HttpStatusError, iso_to_datetime
from socialroi.adapters._social import ACCOUNT_STREAM, HandleAdapter, window_rule
from socialroi.adapters.base import AdapterContext, Batch, Stream
from socialroi.errors import UpstreamError

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
# max_pages = 50          # calls per account and run, at most
# include_replies = true  # replies to others are kept as kind "reply"
"""


#: Mastodon's signals: a 429 waits until `X-RateLimit-Reset`; `Remaining: 0` slows down.
rate_limit = window_rule(
    "Mastodon", reset="X-RateLimit-Reset", remaining="X-RateLimit-Remaining", parse=iso_to_datetime
)
RATE_LIMIT = rate_limit


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
                found = self.ctx.http.get_json(
                    "/api/v1/accounts/lookup", params={"acct": spec.handle}, headers=self.headers
                )
            except HttpStatusError as exc:
                if exc.status != 404:
                    raise
                found = None
                self._warnings.append(
                    f"mastodon: account '{spec.handle}' not found on {self.base_url}; skipped"
                )
            ok = isinstance(found, Mapping) and found.get("id")
            self._accounts[spec.handle] = found if ok else None
        return self._accounts[spec.handle]

    def _identity(self, found: Mapping[str, Any], spec: rows.AccountSpec) -> tuple[str, str, Any]:
        handle = account_handle(found, self.base_url)
        return str(found["id"]), handle, found.get("followers_count")

    def _page(
        self, path_or_url: str, params: Mapping[str, Any] | None
    ) -> tuple[list[Mapping[str, Any]], dict[str, str]]:
        """One page of statuses and its `Link` URLs by rel."""
        resp = self.ctx.http.get(path_or_url, params=params, headers=self.headers)
        body = resp.json() if resp.content else []
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
        self, aid: str, since: datetime | None, cursor: dict[str, str]
    ) -> Iterator[Batch]:
        path = f"/api/v1/accounts/{aid}/statuses"
        if aid in cursor and since is None:
            yield from self._walk_forward(aid, path, cursor)
        else:
            yield from self._walk_back(aid, path, since, cursor)

    def _batch(
        self, statuses: list[Mapping[str, Any]], aid: str, cursor: Mapping[str, str] | None
    ) -> Batch:
        posts, metrics = status_rows(statuses, aid, self.ctx.as_of)
        tables = rows.frames({"posts": posts, "post_metrics": metrics})
        state = dict(cursor) if cursor is not None else None
        return Batch(tables, state, self._drain_warnings())

    def _walk_forward(self, aid: str, path: str, cursor: dict[str, str]) -> Iterator[Batch]:
        """Statuses newer than the cursor, oldest page first: each page moves the cursor."""
        url: str | None = path
        params: dict[str, str] | None = self._params(min_id=cursor[aid])
        for _ in range(self.max_pages):
            if url is None:
                return
            statuses, links = self._page(url, params)
            if not statuses:
                return
            newest = newest_id([str(s.get("id") or "") for s in statuses], cursor[aid])
            if newest:
                cursor[aid] = newest
            yield self._batch(statuses, aid, cursor)
            url, params = links.get("prev"), None
        if url is not None:
            self._warnings.append(
                f"mastodon: {aid}: stopped after max_pages={self.max_pages}; "
                "the rest comes next run"
            )

    def _walk_back(
        self, aid: str, path: str, since: datetime | None, cursor: dict[str, str]
    ) -> Iterator[Batch]:
        """Statuses back to the lower bound, newest first; the cursor moves once all are in."""
        bound = rows.window_start(self.ctx.as_of, since, self.lookback_days)
        newest: str | None = None
        for statuses in self._back_pages(aid, path, bound):
            newest = newest_id([str(s.get("id") or "") for s in statuses], newest)
            yield self._batch(statuses, aid, None)
        new = newest_id([newest] if newest else [], cursor.get(aid))
        if new and new != cursor.get(aid):
            cursor[aid] = new
            yield self._batch([], aid, cursor)

    def _back_pages(
        self, aid: str, path: str, bound: datetime
    ) -> Iterator[list[Mapping[str, Any]]]:
        """Pages of statuses created at or after `bound`, newest first."""
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
    "create",
    "html_to_text",
    "rate_limit",
    "status_rows",
]
