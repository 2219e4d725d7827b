"""The one small protocol every platform adapter implements.

An adapter declares its streams and, for one stream at a time, yields batches of canonical rows
(tables of `socialroi.schema`) together with the stream's cursor after that batch. The sync engine
(`socialroi.adapters.sync`) commits each batch's rows and its cursor in one store transaction, so
a run killed half-way resumes from the last committed batch with nothing lost and nothing doubled.

Adapters never read the clock (the run's `as_of` comes in the context), never write to the store
and never print: they fetch through the one HTTP layer (`socialroi.adapters._http.Http`) and turn
responses into rows.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

import polars as pl

if TYPE_CHECKING:
    from socialroi.adapters._http import Http
    from socialroi.adapters.secrets import Secrets


@dataclass(frozen=True)
class Stream:
    """One kind of data an adapter pulls.

    `tables` are the canonical tables its batches write. An `incremental` stream keeps a cursor
    (an opaque JSON-able mapping) and fetches only what is newer; a snapshot stream (metrics,
    follower counts) is fetched whole each run and kept as history by its `as_of`/`date` key.
    """

    name: str
    tables: tuple[str, ...]
    incremental: bool = True
    description: str = ""


@dataclass(frozen=True)
class Batch:
    """Canonical rows to commit together, and the stream's cursor once they are committed.

    `cursor=None` leaves the stored cursor as it was. A batch may be empty (no rows) and still
    move the cursor, e.g. after a page with nothing new.
    """

    tables: Mapping[str, pl.DataFrame]
    cursor: Mapping[str, Any] | None = None
    #: Per-item problems the platform reported inside an otherwise good response (e.g. one
    #: post's insights unavailable). The sync engine reports them; rows still commit.
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class AdapterContext:
    """What an adapter gets from the edge: its config, secrets, HTTP client and the run's time."""

    platform: str
    #: The non-secret `[platforms.<name>]` table from the config (accounts, api_version,
    #: base_url, ...), with defaults already applied by the adapter's own `options()`.
    options: Mapping[str, Any]
    secrets: Secrets
    http: Http
    #: The run's "now" (tz-aware UTC). Snapshots are keyed by its day: a re-run on the same day
    #: replaces that day's snapshot instead of adding another.
    as_of: datetime
    extra: Mapping[str, Any] = field(default_factory=dict)


class Adapter(Protocol):
    """What every platform module's `create(ctx)` returns."""

    platform: str
    streams: tuple[Stream, ...]

    def check(self) -> str:
        """One cheap authenticated call; returns what it found (e.g. "@acme: 1,204 followers").

        Raises the error hierarchy's UpstreamError / AuthFailed / ConfigError on failure.
        """
        ...

    def fetch(
        self, stream: str, *, since: datetime | None, state: Mapping[str, Any] | None
    ) -> Iterator[Batch]:
        """Yield batches for `stream`, oldest first where the API allows.

        `state` is the cursor committed by the last successful batch (None on a first or
        `--full` run); `since` is the user's lower bound (None: the adapter's default window).
        """
        ...


__all__ = ["Adapter", "AdapterContext", "Batch", "Stream"]
