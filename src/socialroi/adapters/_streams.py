"""The fetch of adapters with one owner-level stream, then posts and post_metrics.

Facebook (`page`), Instagram (`account`) and LinkedIn (`organization`) declare their owner stream
first; `OwnerStreams.fetch` picks the method for a stream name and calls it at once, so an unknown
name fails before any batch is asked for.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from socialroi.adapters.base import Batch, Stream
from socialroi.errors import ConfigError


class OwnerStreams:
    """Base of the owner + posts + post_metrics adapters; subclasses supply the three fetches."""

    platform: str
    streams: tuple[Stream, ...]

    def _owner(self, since: datetime | None, state: Mapping[str, Any] | None) -> Iterator[Batch]:
        """The first stream: the owner (Page, account, organization) and its daily figures."""
        raise NotImplementedError

    def _posts(self, since: datetime | None, state: Mapping[str, Any] | None) -> Iterator[Batch]:
        raise NotImplementedError

    def _post_metrics(self) -> Iterator[Batch]:
        raise NotImplementedError

    def fetch(
        self, stream: str, *, since: datetime | None, state: Mapping[str, Any] | None
    ) -> Iterator[Batch]:
        names = [s.name for s in self.streams]
        if stream == names[0]:
            return self._owner(since, state)
        if stream == "posts":
            return self._posts(since, state)
        if stream == "post_metrics":
            return self._post_metrics()
        raise ConfigError(f"{self.platform} has no stream '{stream}'; streams: {', '.join(names)}")


__all__ = ["OwnerStreams"]
