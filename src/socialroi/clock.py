"""The only place that reads the wall clock. core/ and policy/ take `as_of` instead."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """The current time, UTC, tz-aware."""
    return datetime.now(UTC)
