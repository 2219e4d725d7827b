"""Picking a stream's fetch by name, for adapters whose streams each take their own arguments."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from socialroi.adapters.base import Batch
from socialroi.errors import ConfigError

Fetch = Callable[[], Iterator[Batch]]


def dispatch(platform: str, stream: str, fetches: Mapping[str, Fetch]) -> Iterator[Batch]:
    """`fetches[stream]()`, or a ConfigError naming the streams there are (raised at once)."""
    fetch = fetches.get(stream)
    if fetch is None:
        known = ", ".join(fetches)
        raise ConfigError(f"{platform} has no stream '{stream}'; streams: {known}")
    return fetch()


__all__ = ["Fetch", "dispatch"]
