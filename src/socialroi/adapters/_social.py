"""The shape Bluesky, Mastodon and X share: accounts by handle, then posts and their counters.

Each of those adapters finds an account for a configured handle in its own way; everything
after that is the same and lives here: the `account`/`posts`/`post_metrics` stream dispatch,
the accounts + follower-count batch, the walk over the configured accounts for posts and metrics,
the "@handle: N followers" check line and the per-item warnings that ride along with the next
batch.

Missing accounts. A handle the platform does not know (or no longer shows) is reported by every
stream as a warning naming its `accounts` entry, and the other accounts are still pulled (the
documented behaviour on all three platforms). When no configured account is found at all, and
in `check` (`socialroi doctor`), it is an `UnknownObject` instead. A missing account moves no
cursor: its posts are fetched from the start of the window once the entry is fixed.

Posts state (`PostsState`). These timelines can only be walked from the newest post back. The
state keeps, per account, the newest post seen (`{account_id: id or time}`, as before) and under
`"backfill"` the ranges still to fetch: the rest of the first run's window when `max_pages`
stopped the walk, or a gap at the top when a run found more new posts than `max_pages` pages.
Every run first walks the top (new posts), then continues the oldest-pending ranges with the
pages left; each page commits its rows with the state after it, so a refused or failed page is
fetched again next run. `backfill.<account>.done` says whether the window is complete.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any

import requests

from socialroi.adapters import _social_rows as rows
from socialroi.adapters._http import Signal, seconds_until
from socialroi.adapters.base import AdapterContext, Batch, Stream
from socialroi.errors import UnknownObject

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


Range = dict[str, Any]


class PostsState:
    """The posts stream's state: the newest post seen per account and the ranges still to fetch.

    Stored as `{account_id: newest, ..., "backfill": {account_id: {"window_from": time,
    "ranges": [range, ...], "done": bool}}}`; a range is the platform's own paging position
    (X `since_id`/`start_time` + `until_id`, Bluesky feed `cursor` + lower time `bound`, Mastodon
    `max_id` + `bound`). A state written before backfill existed (newest only) reads as done.
    """

    def __init__(self, state: Mapping[str, Any] | None) -> None:
        self.newest = rows.cursor_by_account(state)
        raw = (state or {}).get("backfill")
        self.backfill: dict[str, dict[str, Any]] = {}
        if isinstance(raw, Mapping):
            for uid, entry in raw.items():
                if isinstance(entry, Mapping):
                    ranges = [dict(r) for r in entry.get("ranges") or () if isinstance(r, Mapping)]
                    self.backfill[str(uid)] = {
                        "window_from": entry.get("window_from"),
                        "ranges": ranges,
                        "done": not ranges,
                    }

    def ranges(self, uid: str) -> list[Range]:
        entry = self.backfill.get(uid)
        return [dict(r) for r in entry["ranges"]] if entry else []

    def window_from(self, uid: str) -> str | None:
        entry = self.backfill.get(uid)
        value = entry.get("window_from") if entry else None
        return str(value) if value else None

    def set_ranges(self, uid: str, ranges: list[Range], window_from: str | None) -> None:
        if not ranges and not window_from and uid not in self.backfill:
            return  # a state from before backfill: nothing to record
        self.backfill[uid] = {
            "window_from": window_from or self.window_from(uid),
            "ranges": [dict(r) for r in ranges],
            "done": not ranges,
        }

    def snapshot(self) -> dict[str, Any]:
        """The state to store (a copy: later pages do not change a committed batch's cursor)."""
        out: dict[str, Any] = dict(self.newest)
        if self.backfill:
            out["backfill"] = copy.deepcopy(self.backfill)
        return out


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
        #: handle → why the platform did not find it (filled by the subclasses' `_find`).
        self._missing: dict[str, str] = {}
        #: account id → the handle its post URLs use.
        self.handles: dict[str, str] = {}

    # -- hooks -------------------------------------------------------------------------------
    def _find(self, spec: rows.AccountSpec) -> Mapping[str, Any] | None:
        """The platform's account for `spec`; None, with `_note_missing`, when it has none."""
        raise NotImplementedError

    def _identity(self, found: Mapping[str, Any], spec: rows.AccountSpec) -> tuple[str, str, Any]:
        """(account id, handle, raw follower count) of a found account."""
        raise NotImplementedError

    def _check_handle(self, found: Mapping[str, Any], spec: rows.AccountSpec) -> str:
        """The handle `check` shows; the account row's handle unless a platform says otherwise."""
        return self._identity(found, spec)[1]

    def _account_posts(
        self, account_id: str, since: datetime | None, state: PostsState
    ) -> Iterator[Batch]:
        """One account's new posts and pending backfill; batches that move the state carry
        `state.snapshot()`."""
        raise NotImplementedError

    def _account_metrics(self, account_id: str, bound: datetime) -> Iterator[Batch]:
        """Today's counters of one account's posts created at or after `bound`."""
        raise NotImplementedError

    # -- shared ------------------------------------------------------------------------------
    def _drain_warnings(self) -> tuple[str, ...]:
        out, self._warnings = tuple(self._warnings), []
        return out

    def _entry(self, spec: rows.AccountSpec) -> str:
        """Where the user fixes a handle: `[platforms.x] accounts[1] ('ghost')`."""
        return f"[platforms.{self.platform}] accounts[{self.specs.index(spec)}] ('{spec.handle}')"

    def _note_missing(self, spec: rows.AccountSpec, why: str) -> None:
        self._missing[spec.handle] = why

    def _missing_line(self, spec: rows.AccountSpec) -> str:
        why = self._missing.get(spec.handle) or "not found"
        return (
            f"{self.platform}: {self.noun} {self._entry(spec)} {why}; skipped. Fix or remove "
            "the entry; its posts are fetched from the start of the window once it is found"
        )

    def _found(self) -> list[tuple[rows.AccountSpec, Mapping[str, Any]]]:
        """The configured accounts the platform knows, in config order; a warning for each
        missing one, and UnknownObject when none is found."""
        found: list[tuple[rows.AccountSpec, Mapping[str, Any]]] = []
        missing: list[rows.AccountSpec] = []
        for spec in self.specs:
            account = self._find(spec)
            if account is None:
                missing.append(spec)
            else:
                found.append((spec, account))
        if missing and not found:
            raise UnknownObject(
                "; ".join(self._missing_line(s).replace("; skipped", "") for s in missing)
            )
        self._warnings.extend(self._missing_line(s) for s in missing)
        return found

    def check(self) -> str:
        found = [(spec, self._find(spec)) for spec in self.specs]
        missing = [spec for spec, account in found if account is None]
        if missing:
            lines = [self._missing_line(s).replace("; skipped", "") for s in missing]
            raise UnknownObject("; ".join(lines))
        spec, account = next((s, a) for s, a in found if a is not None)
        _, _, followers = self._identity(account, spec)
        return f"@{self._check_handle(account, spec)}: {followers_text(followers)}"

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
        for spec, found in self._found():
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
        posts_state = PostsState(state)
        found = self._found()
        if self._warnings:  # missing accounts are reported before any post
            yield Batch(rows.frames({"posts": []}), None, self._drain_warnings())
        for spec, account in found:
            account_id, handle, _ = self._identity(account, spec)
            self.handles[account_id] = handle
            yield from self._account_posts(account_id, since, posts_state)
        if self._warnings:
            yield Batch(rows.frames({"posts": []}), None, self._drain_warnings())

    def _fetch_metrics(self) -> Iterator[Batch]:
        bound = rows.window_start(self.ctx.as_of, None, self.metrics_days)
        for spec, account in self._found():
            yield from self._account_metrics(self._identity(account, spec)[0], bound)
        if self._warnings:
            yield Batch(rows.frames({"post_metrics": []}), None, self._drain_warnings())


__all__ = [
    "ACCOUNT_STREAM",
    "HandleAdapter",
    "PostsState",
    "Range",
    "RateRule",
    "followers_text",
    "window_rule",
]
