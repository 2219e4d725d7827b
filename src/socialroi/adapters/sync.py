"""The sync engine behind `socialroi pull`: adapters' batches into the store, cursor with its rows.

For every configured platform and each of its streams, the stream's stored cursor is handed to the
adapter (`--full` ignores it) and every batch it yields is committed in ONE store transaction with
the stream's new cursor, so a cursor never runs ahead of its rows: a run killed half-way resumes
from the last committed batch with nothing lost and nothing doubled. Snapshot streams (metrics,
followers) are keyed by day, so history accumulates and a same-day re-run replaces that day.

After a committed batch of LinkedIn posts, imported posts (activity URNs) that are the same posts
as pulled ones (share/ugcPost URNs) are merged into them (`linkedin_ids.rekey_linkedin_posts`).

Outcome: everything ran → a PullResult; some streams failed after others committed → PullPartial
(exit 4); nothing succeeded → the failure itself: one failure is raised as it is; several are
joined in one error of the most specific class they share (UpstreamError / AuthFailed /
RateLimited, exit 3; ConfigError, DataError or StoreError, exit 1), so a data or store problem
is never reported as a config problem.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import polars as pl
import requests

from socialroi import clock, schema
from socialroi.adapters import registry
from socialroi.adapters._http import scrub
from socialroi.adapters.base import Adapter, Stream
from socialroi.config import Settings
from socialroi.errors import (
    AuthFailed,
    ConfigError,
    PartialSuccess,
    RateLimited,
    SocialROIError,
    UnknownObject,
    UpstreamError,
)
from socialroi.store import Store

log = logging.getLogger("socialroi.sync")

#: run_stream's progress(platform, stream, rows written so far in this stream)
RowProgress = Callable[[str, str, int], None]
#: pull's progress(platform, stream, rows written so far, pages fetched so far) for the stream
#: being pulled: called when the stream starts, after each page the platform answers (HTTP
#: responses under 400, counted by the HTTP layer) and after each committed batch.
Progress = Callable[[str, str, int, int], None]

#: Errors after which the platform's remaining streams are not tried (they would fail the same way);
#: a permission refusal is per stream, so the others still run.
_PLATFORM_WIDE = (AuthFailed, RateLimited, ConfigError, UnknownObject)


def _rekey_linkedin(store: Store) -> int:
    from socialroi.adapters.linkedin_ids import rekey_linkedin_posts

    return rekey_linkedin_posts(store)


#: After a committed batch of posts from this platform: tidy the store (returns posts merged).
#: LinkedIn: an imported post (activity URN) and the pulled one (share/ugcPost URN) become one.
AFTER_POSTS: dict[str, Callable[[Store], int]] = {"linkedin": _rekey_linkedin}


@dataclass
class StreamResult:
    """What one stream did in one run."""

    platform: str
    stream: str
    rows: int = 0
    batches: int = 0
    cursor: Mapping[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)
    #: "ok", "failed" or "skipped" (an earlier stream of the platform failed platform-wide).
    status: str = "ok"
    error: str | None = None
    exception: BaseException | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass
class PullResult:
    """Every stream's outcome, in run order."""

    streams: list[StreamResult] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(s.rows for s in self.streams)

    @property
    def failed(self) -> list[StreamResult]:
        return [s for s in self.streams if not s.ok]

    @property
    def succeeded(self) -> list[StreamResult]:
        return [s for s in self.streams if s.ok]

    @property
    def warnings(self) -> list[str]:
        return [f"{s.platform}/{s.stream}: {w}" for s in self.streams for w in s.warnings]


class PullPartial(PartialSuccess):
    """Some streams failed after others committed; `result` says which landed."""

    def __init__(self, message: str, result: PullResult) -> None:
        self.result = result
        super().__init__(message)


def state_cursor(state: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """The cursor inside a stored stream state ({"cursor": ..., "last_success": ...})."""
    if not state:
        return None
    cursor = state.get("cursor")
    return cursor if isinstance(cursor, Mapping) else None


#: Tables whose empty cells in a pulled row mean "not measured by this call": a stored value stays
#: (a day's follower count, filed by one call, is not erased by the day's statistics from another).
MEASURED_TABLES = ("account_daily",)


def keep_measured(store: Store, tables: Mapping[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """`tables` with the empty cells of MEASURED_TABLES' rows filled from the stored rows."""
    out = dict(tables)
    for name in MEASURED_TABLES:
        df = tables.get(name)
        if df is None or df.height == 0 or store.count(name) == 0:
            continue
        t = schema.table(name)
        key = list(t.key)
        incoming = schema.conform(name, df, source=name)
        stored = store.read(name).join(incoming.select(key), on=key, how="semi")
        merged = incoming.join(stored, on=key, how="left", suffix="_stored", nulls_equal=True)
        out[name] = merged.select(
            *key, *(pl.coalesce(c, f"{c}_stored").alias(c) for c in t.names if c not in key)
        )
    return out


def run_stream(
    store: Store,
    adapter: Adapter,
    stream: Stream,
    *,
    since: datetime | None = None,
    full: bool = False,
    progress: RowProgress | None = None,
    secrets: Sequence[str] = (),
    now: Callable[[], datetime] = clock.now,
) -> StreamResult:
    """Fetch one stream and commit each batch with its cursor; never raises SocialROIError.

    A failure stops the stream; the batches before it stay committed and the result says why.
    """
    platform = adapter.platform
    result = StreamResult(platform, stream.name)
    stored = None if full else store.get_state(platform, stream.name)
    cursor = state_cursor(stored)
    result.cursor = cursor
    source = f"{platform}/{stream.name}"
    try:
        for batch in adapter.fetch(stream.name, since=since, state=cursor):
            _check_tables(batch.tables, stream, source)
            if batch.cursor is not None:
                cursor = dict(batch.cursor)
            with store.transaction():
                written = store.upsert_many(keep_measured(store, batch.tables), source=source)
                store.set_state(
                    platform,
                    stream.name,
                    {"cursor": cursor, "last_success": now().astimezone(UTC).isoformat()},
                )
            result.rows += written
            result.batches += 1
            result.cursor = cursor
            after = AFTER_POSTS.get(platform)
            posts = batch.tables.get("posts")
            if after is not None and posts is not None and posts.height:
                after(store)  # its own transaction, once the batch and its cursor are committed
            result.warnings.extend(scrub(w, secrets) for w in batch.warnings)
            if progress is not None:
                progress(platform, stream.name, result.rows)
    except SocialROIError as exc:
        result.status, result.error, result.exception = "failed", scrub(str(exc), secrets), exc
    except Exception as exc:  # an adapter bug or an unexpected response shape: report, go on
        log.debug("%s failed", source, exc_info=True)
        text = scrub(f"{source}: unexpected {type(exc).__name__}: {exc}", secrets)
        result.status, result.error = "failed", text
        result.exception = UpstreamError(text)
    return result


def _check_tables(tables: Mapping[str, Any], stream: Stream, source: str) -> None:
    unknown = sorted(set(tables) - set(stream.tables))
    if unknown:
        raise UpstreamError(
            f"{source}: the adapter returned tables {unknown} the stream does not declare"
        )


def _since_datetime(since: date | datetime | None) -> datetime | None:
    if since is None:
        return None
    if isinstance(since, datetime):
        return since if since.tzinfo else since.replace(tzinfo=UTC)
    return datetime(since.year, since.month, since.day, tzinfo=UTC)


def _selected(settings: Settings, platforms: Sequence[str] | None) -> dict[str, dict[str, Any]]:
    configured = settings.platforms()
    if not platforms:
        if not configured:
            raise ConfigError(
                f"{settings.source}: no [platforms.*] tables: run `socialroi init PLATFORM...` "
                "to write them, then `socialroi doctor`"
            )
        return configured
    chosen: dict[str, dict[str, Any]] = {}
    for name in platforms:
        if name not in registry.PLATFORMS:
            raise ConfigError(f"unknown platform '{name}'; known: {', '.join(registry.PLATFORMS)}")
        if name not in configured:
            raise ConfigError(
                f"{settings.source}: platform '{name}' is not configured: add [platforms.{name}] "
                f"(`socialroi init {name}` writes an example)"
            )
        chosen[name] = configured[name]
    return chosen


def pull_platform(
    store: Store,
    platform: str,
    options: Mapping[str, Any],
    *,
    as_of: datetime,
    since: datetime | None = None,
    full: bool = False,
    wait_on_rate_limit: bool = True,
    progress: Progress | None = None,
    environ: Mapping[str, str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    source: str = "config",
) -> list[StreamResult]:
    """Every stream of one platform; logged as one `pull` run."""
    results: list[StreamResult] = []
    with store.run("pull", platform) as rec:
        try:
            ctx = registry.build_context(
                platform,
                options=options,
                as_of=as_of,
                wait_on_rate_limit=wait_on_rate_limit,
                sleep=sleep,
                environ=environ,
                source=source,
            )
            adapter = registry.create(ctx)
        except SocialROIError as exc:
            rec.error = str(exc)
            return [StreamResult(platform, "*", status="failed", error=str(exc), exception=exc)]
        meter = _Meter(platform, progress)
        if progress is not None:
            ctx.http.taps.append(meter.page)
        stop: StreamResult | None = None
        for stream in adapter.streams:
            if stop is not None:
                why = f"not tried after {stop.stream} failed"
                results.append(StreamResult(platform, stream.name, status="skipped", error=why))
                continue
            meter.start(stream.name)
            res = run_stream(
                store,
                adapter,
                stream,
                since=since,
                full=full,
                progress=meter.rows if progress is not None else None,
                secrets=ctx.secrets.values(),
            )
            results.append(res)
            rec.rows += res.rows
            if not res.ok and isinstance(res.exception, _PLATFORM_WIDE):
                stop = res
        failed = [r for r in results if r.status == "failed"]
        if failed:
            rec.error = "; ".join(r.error or r.stream for r in failed)
    return results


class _Meter:
    """Rows and pages of the stream being pulled, reported to a pull's `Progress`."""

    def __init__(self, platform: str, progress: Progress | None) -> None:
        self.platform = platform
        self.progress = progress
        self.stream = ""
        self.written = 0
        self.pages = 0

    def start(self, stream: str) -> None:
        self.stream, self.written, self.pages = stream, 0, 0
        self._report()

    def rows(self, platform: str, stream: str, rows: int) -> None:
        self.written = rows
        self._report()

    def page(self, response: requests.Response) -> None:
        if response.status_code < 400:
            self.pages += 1
            self._report()

    def _report(self) -> None:
        if self.progress is not None:
            self.progress(self.platform, self.stream, self.written, self.pages)


def pull(
    store: Store,
    settings: Settings,
    *,
    platforms: Sequence[str] | None = None,
    since: date | datetime | None = None,
    full: bool = False,
    wait_on_rate_limit: bool = True,
    as_of: datetime,
    progress: Progress | None = None,
    environ: Mapping[str, str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> PullResult:
    """Pull every configured platform (or `platforms`) into `store`; see the module doc."""
    chosen = _selected(settings, platforms)
    result = PullResult()
    for name, options in chosen.items():
        result.streams.extend(
            pull_platform(
                store,
                name,
                options,
                as_of=as_of,
                since=_since_datetime(since),
                full=full,
                wait_on_rate_limit=wait_on_rate_limit,
                progress=progress,
                environ=environ,
                sleep=sleep,
                source=settings.source,
            )
        )
    return outcome(result)


def outcome(result: PullResult) -> PullResult:
    """`result` when nothing failed; otherwise the PullPartial or the failure (see module doc)."""
    failed = [s for s in result.streams if s.status == "failed"]
    if not failed:
        return result
    lines = [
        f"{s.platform}/{s.stream}: {s.error}"
        + (f" ({s.rows} rows committed before it failed)" if s.rows else "")
        for s in failed
    ]
    if result.succeeded:
        landed = ", ".join(f"{s.platform}/{s.stream} ({s.rows} rows)" for s in result.succeeded)
        raise PullPartial(
            f"{len(failed)} stream(s) failed: {'; '.join(lines)}. Committed: {landed}", result
        )
    first = failed[0].exception
    if len(failed) == 1 and isinstance(first, SocialROIError):
        raise first
    raise _joined([s.exception for s in failed], "; ".join(lines))


def _joined(errors: Sequence[BaseException | None], text: str) -> SocialROIError:
    """One error with `text`, of the most specific class every one of `errors` belongs to.

    Several data errors stay a DataError, several store errors a StoreError, several auth
    failures an AuthFailed; a mix of exit-3 failures is an UpstreamError, and a mix of exit-1
    problems of different kinds the base SocialROIError (exit 1) rather than a ConfigError.
    When exit-3 and exit-1 failures mix, the exit-3 side wins (a platform failed).
    """
    known = [e for e in errors if isinstance(e, SocialROIError)]
    if len(known) < len(errors) or any(e.exit_code != 1 for e in known):
        known = [e for e in known if e.exit_code == 3] or [UpstreamError(text)]
    for cls in type(known[0]).__mro__:
        if not (isinstance(cls, type) and issubclass(cls, SocialROIError)):
            continue
        if all(isinstance(e, cls) for e in known):
            try:
                return cls(text)
            except TypeError:  # a class whose constructor needs more (HttpStatusError)
                continue
    return SocialROIError(text)  # pragma: no cover - SocialROIError(text) always works


__all__ = [
    "PullPartial",
    "PullResult",
    "StreamResult",
    "outcome",
    "pull",
    "pull_platform",
    "run_stream",
    "state_cursor",
]
