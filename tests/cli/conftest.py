"""The fake platforms and loopback server fixtures, for every CLI test that pulls."""

from __future__ import annotations

from tests.cli._platforms import fake_platforms_fixture, server_fixture

__all__ = ["fake_platforms_fixture", "server_fixture"]
