"""The contract suite itself, run on the framework's fake platform through the loopback server."""

from __future__ import annotations

import pytest

from tests.adapters import fakeplatform
from tests.adapters.contract import assert_not_behind, run_contract
from tests.adapters.fakepages import serve_pages
from tests.adapters.fakeserver import FakeServer

METRICS = {"items": [{"id": 1, "likes": 5}, {"id": 3, "likes": 0}]}


def script(srv: FakeServer) -> None:
    serve_pages(srv, METRICS)


def test_fake_platform_passes_the_contract(fake_platform, fake_server, make_context, tmp_path):
    script(fake_server)
    ctx = make_context("fake", {"base_url": fake_server.url}, {"token": "tok-secret-1"})
    counts = run_contract(lambda: fakeplatform.create(ctx), tmp_path, secrets=["tok-secret-1"])
    assert counts == {"accounts": 1, "posts": 3, "post_metrics": 2}


def test_contract_catches_a_cursor_that_moves_backwards():
    with pytest.raises(AssertionError, match="moved backwards"):
        assert_not_behind({"since_id": "10"}, {"since_id": "9"}, "posts")
    assert_not_behind({"since_id": "9"}, {"since_id": "10"}, "posts")  # numeric, not text, order
    assert_not_behind({"next": "b"}, {"next": "a"}, "posts")  # opaque tokens are not compared


def test_contract_catches_a_secret_in_a_row(fake_platform, fake_server, make_context, tmp_path):
    script(fake_server)
    ctx = make_context("fake", {"base_url": fake_server.url}, {"token": "two"})
    with pytest.raises(AssertionError, match=r"secret value is in posts\.text"):
        run_contract(lambda: fakeplatform.create(ctx), tmp_path, secrets=["two"])
