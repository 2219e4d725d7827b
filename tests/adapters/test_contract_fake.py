"""The contract suite itself, run on the framework's fake platform through the loopback server."""

from __future__ import annotations

import pytest

from tests.adapters import fakeplatform
from tests.adapters.contract import assert_not_behind, run_contract
from tests.adapters.fakeserver import FakeServer, Reply

POSTS_1 = {
    "items": [
        {"id": 1, "text": "one", "created_at": "2026-11-01T10:00:00+00:00"},
        {"id": 2, "text": "two", "created_at": "2026-11-02T10:00:00+00:00"},
    ],
    "next": "2",
}
POSTS_2 = {"items": [{"id": 3, "text": "three", "created_at": "2026-11-03T10:00:00+00:00"}]}
METRICS = {"items": [{"id": 1, "likes": 5}, {"id": 3, "likes": 0}]}


def script(srv: FakeServer) -> None:
    srv.script("GET", "/posts", Reply(200, POSTS_1), query={"page": "1"})
    srv.script("GET", "/posts", Reply(200, POSTS_2), query={"page": "2"})
    srv.script("GET", "/metrics", Reply(200, METRICS))


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
