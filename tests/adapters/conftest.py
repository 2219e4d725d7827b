"""Shared helpers for adapter tests: a fake clock, adapter contexts, fixtures, a temporary store.

    def test_posts(make_context, fake_clock):
        ctx = make_context("x", {"username": "acme"}, {"bearer_token": "t0ken-123"})
        adapter = x.create(ctx)
        ...
        assert fake_clock.sleeps == [61.0]   # what the HTTP layer waited, without real sleeping

`make_context` applies the platform module's DEFAULTS and RATE_LIMIT exactly as `socialroi pull`
does, with secrets from the test (never the environment) and the fake clock for `sleep`/`now`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from socialroi.adapters import registry
from socialroi.adapters._http import Http, RateLimitRule
from socialroi.adapters.base import AdapterContext
from socialroi.adapters.secrets import Secrets
from socialroi.store import Store
from tests.adapters.fakeserver import FakeServer

#: The run time every adapter test uses (snapshots are keyed by its day, 2026-11-22).
AS_OF = datetime(2026, 11, 22, 15, 30, tzinfo=UTC)
FIXTURES = Path(__file__).parent / "fixtures"


class FakeClock:
    """`now` and `sleep` for the HTTP layer: sleeping records the wait and moves time on."""

    def __init__(self, start: datetime = AS_OF) -> None:
        self.t = start
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += timedelta(seconds=seconds)

    @property
    def slept(self) -> float:
        return sum(self.sleeps)


def load_fixture(platform: str, name: str) -> Any:
    """tests/adapters/fixtures/<platform>/<name>(.json), parsed."""
    path = FIXTURES / platform / (name if name.endswith(".json") else f"{name}.json")
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


MakeContext = Callable[..., AdapterContext]


@pytest.fixture
def make_context(fake_clock: FakeClock) -> MakeContext:
    """make_context(platform, options=None, secrets=None, *, base_url=None, as_of=AS_OF,
    wait_on_rate_limit=True, max_retries=None, max_wait=None, extra=None) -> AdapterContext."""

    def make(
        platform: str,
        options: Mapping[str, Any] | None = None,
        secrets: Mapping[str, str] | None = None,
        *,
        base_url: str | None = None,
        as_of: datetime = AS_OF,
        wait_on_rate_limit: bool = True,
        max_retries: int | None = None,
        max_wait: float | None = None,
        timeout: float | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> AdapterContext:
        opts = dict(options or {})
        for key, value in (
            ("base_url", base_url),
            ("max_retries", max_retries),
            ("max_wait", max_wait),
            ("timeout", timeout),
        ):
            if value is not None:
                opts[key] = value
        return registry.build_context(
            platform,
            options=opts,
            secrets=Secrets(platform, dict(secrets or {}), file=Path("config/secrets.toml")),
            as_of=as_of,
            wait_on_rate_limit=wait_on_rate_limit,
            sleep=fake_clock.sleep,
            now=fake_clock.now,
            source="test config",
            extra=extra,
        )

    return make


@pytest.fixture
def make_http(fake_clock: FakeClock) -> Callable[..., Http]:
    """make_http(base_url, rate_limit=None, **kw) -> Http on the fake clock, short backoff."""

    def make(base_url: str, rate_limit: RateLimitRule | None = None, **kw: Any) -> Http:
        kw.setdefault("backoff", 0.01)
        kw.setdefault("timeout", (2.0, 2.0))
        return Http(
            kw.pop("platform", "test"),
            base_url,
            rate_limit=rate_limit,
            sleep=fake_clock.sleep,
            now=fake_clock.now,
            **kw,
        )

    return make


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "socialroi.duckdb", wait_seconds=2) as s:
        yield s


@pytest.fixture
def fake_platform(monkeypatch: pytest.MonkeyPatch) -> str:
    """Registers tests/adapters/fakeplatform.py as platform "fake" for this test."""
    monkeypatch.setitem(registry.PLATFORMS, "fake", "tests.adapters.fakeplatform")
    return "fake"


@pytest.fixture
def fake_server() -> Iterator[FakeServer]:
    """A started loopback FakeServer (127.0.0.1, stops itself)."""
    with FakeServer() as srv:
        yield srv
