"""The fake platform and loopback server for CLI tests of pull and doctor."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from socialroi.adapters import registry
from tests.adapters.fakepages import serve_pages
from tests.adapters.fakeserver import FakeServer, Reply

TOKEN = "fake-token-5f4e3d2c1b0a"  # noqa: S105 - made up; the tests hunt for it in output
ENV = {"SOCIALROI_FAKE_TOKEN": TOKEN, "SOCIALROI_FAKE2_TOKEN": TOKEN, "SOCIALROI_SECRETS": ""}

METRICS = {"items": [{"id": 1, "likes": 4}], "warnings": ["post 3: insights not ready"]}


@pytest.fixture(name="fake_platforms")
def fake_platforms_fixture(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry.PLATFORMS, "fake", "tests.adapters.fakeplatform")
    monkeypatch.setitem(registry.PLATFORMS, "fake2", "tests.adapters.fakeplatform")


@pytest.fixture(name="server")
def server_fixture() -> Iterator[FakeServer]:
    with FakeServer() as srv:
        yield srv


def serve_good(srv: FakeServer) -> None:
    srv.script("GET", "/me", Reply(200, {"handle": "acme"}))
    serve_pages(srv, METRICS)


def write_config(tmp_path: Path, **platforms: dict[str, object]) -> Path:
    lines = ['[company]\nname = "Test"\n']
    for name, table in platforms.items():
        lines.append(f"[platforms.{name}]")
        for key, value in table.items():
            lines.append(
                f"{key} = {value!r}" if not isinstance(value, str) else f'{key} = "{value}"'
            )
    path = tmp_path / "socialroi.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
