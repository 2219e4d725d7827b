"""The shape Bluesky, Mastodon and X share: accounts by handle, then posts and their counters.

Each of those adapters finds an account for a configured handle in its own way; everything
after that is the same and lives here: the `account`/`posts`/`post_metrics` stream dispatch,
the accounts + follower-count batch, the walk over the configured accounts for posts and metrics
(skipping missing ones), the "@handle: N followers" check line and the per-item warnings that
ride along with the next batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any

import requests

from socialroi.adapters import _social_rows as rows
from socialroi.adapters._http import Signal, seconds_until
from socialroi.adapters.base import AdapterContext, Batch, Stream
from socialroi.errors import UpstreamError

#: The follower-count snapshot stream, the same on every handle-based platform.
ACCOUNT_STREAM = Stream(
    "account",
    ("accounts", "account_daily"),
    incremental=False,
    description="each account and its follower count today",
)


RateRule = Callable[[requests.Response, datetime], Signal | None]


def window_rule(
    label: str, *, reset: str, remaining: str, parse: Callable[[str | None], datetime | None]
) -> RateRule:
    """A rate-limit rule for a window that resets at the time in header `reset` (read by
    `parse`): a 429 waits until then; `remaining` at 0 slows down until then."""

    def rule(response: requests.Response, now: datetime) -> Signal | None:
        at = parse(response.headers.get(reset))
        if at is None:
            return None
        wait = seconds_until(at, now)
        stamp = at.strftime("%H:%M:%SZ")
        if response.status_code == 429:
            return Signal(wait, True, f"{label}: 429, limit resets {stamp}")
        if (response.headers.get(remaining) or "").strip() == "0":
            return Signal(wait, False, f"{label}: no calls left in this window, resets {stamp}")
        return None

    return rule


def followers_text(value: Any) -> str:
    """'1,204 followers' ('? followers' when the platform did not say)."""
    followers = rows.count(value)
    shown = f"{followers:,}" if followers is not None else "?"
    return f"{shown} followers"


class HandleAdapter:
    """Base of the adapters whose accounts are handles; subclasses supply the hooks below."""

    platform: str
    streams: tuple[Stream, ...]
    #: What `check` calls the first account when it is missing ("account", "profile").
    noun: str = "account"

    def __init__(self, ctx: AdapterContext, defaults: Mapping[str, Any]) -> None:
        """Reads the options every handle-based platform has; `page_size` is capped by the
        subclass, which reads its own options from `self.opts` after this."""
        self.ctx = ctx
        self.opts: dict[str, Any] = {**defaults, **ctx.options}
        name = self.platform
        self.specs = rows.account_specs(self.opts, name)
        self.lookback_days = rows.option_int(self.opts, "lookback_days", name)
        self.metrics_days = rows.option_int(self.opts, "metrics_days", name)
        self.page_size = rows.option_int(self.opts, "page_size", name)
        self.max_pages = rows.option_int(self.opts, "max_pages", name)
        self._warnings: list[str] = []

    # -- hooks -------------------------------------------------------------------------------
    def _find(self, spec: rows.AccountSpec) -> Mapping[str, Any] | None:
        """The platform's account for `spec` (None, with a warning noted, when it has none)."""
        raise NotImplementedError

    def _identity(self, found: Mapping[str, Any], spec: rows.AccountSpec) -> tuple[str, str, Any]:
        """(account id, handle, raw follower count) of a found account."""
        raise NotImplementedError

    def _check_handle(self, found: Mapping[str, Any], spec: rows.AccountSpec) -> str:
        """The handle `check` shows; the account row's handle unless a platform says otherwise."""
        return self._identity(found, spec)[1]

    def _account_posts(
        self, account_id: str, since: datetime | None, cursor: dict[str, str]
    ) -> Iterator[Batch]:
        """One account's new posts; batches that move the cursor carry a copy of `cursor`."""
        raise NotImplementedError

    def _account_metrics(self, account_id: str, bound: datetime) -> Iterator[Batch]:
        """Today's counters of one account's posts created at or after `bound`."""
        raise NotImplementedError

    # -- shared ------------------------------------------------------------------------------
    def _drain_warnings(self) -> tuple[str, ...]:
        out, self._warnings = tuple(self._warnings), []
        return out

    def check(self) -> str:
        spec = self.specs[0]
        found = self._find(spec)
        if found is None:
            raise UpstreamError(f"{self.platform}: {self.noun} '{spec.handle}' not found")
        _, _, followers = self._identity(found, spec)
        return f"@{self._check_handle(found, spec)}: {followers_text(followers)}"

    def fetch(
        self, stream: str, *, since: datetime | None, state: Mapping[str, Any] | None
    ) -> Iterator[Batch]:
        if stream == "account":
            yield self._fetch_accounts()
        elif stream == "posts":
            yield from self._fetch_posts(since, state)
        elif stream == "post_metrics":
            yield from self._fetch_metrics()
        else:
            raise ValueError(f"{self.platform} has no stream '{stream}'")

    def _fetch_accounts(self) -> Batch:
        accounts: list[rows.Row] = []
        daily: list[rows.Row] = []
        for spec in self.specs:
            found = self._find(spec)
            if found is None:
                continue
            account_id, handle, followers = self._identity(found, spec)
            accounts.append(rows.account_row(self.platform, account_id, handle, spec.owner))
            daily.append(
                rows.daily_row(self.platform, account_id, self.ctx.as_of, followers=followers)
            )
        tables = rows.frames({"accounts": accounts, "account_daily": daily})
        return Batch(tables, None, self._drain_warnings())

    def _fetch_posts(
        self, since: datetime | None, state: Mapping[str, Any] | None
    ) -> Iterator[Batch]:
        cursor = rows.cursor_by_account(state)
        for spec in self.specs:
            found = self._find(spec)
            if found is None:
                if self._warnings:  # the account's "not found" goes out before the next one
                    yield Batch(rows.frames({"posts": []}), None, self._drain_warnings())
                continue
            yield from self._account_posts(self._identity(found, spec)[0], since, cursor)

    def _fetch_metrics(self) -> Iterator[Batch]:
        bound = rows.window_start(self.ctx.as_of, None, self.metrics_days)
        for spec in self.specs:
            found = self._find(spec)
            if found is not None:
                yield from self._account_metrics(self._identity(found, spec)[0], bound)
        if self._warnings:
            yield Batch(rows.frames({"post_metrics": []}), None, self._drain_warnings())


__all__ = ["ACCOUNT_STREAM", "HandleAdapter", "RateRule", "followers_text", "window_rule"]
