"""Bluesky adapter: AppView JSON (profiles, author feeds with cursors), through `responses`."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import polars as pl
import pytest
import requests
import responses
from responses import matchers

from socialroi.adapters import bluesky
from socialroi.adapters._http import Signal
from socialroi.adapters.base import Batch
from socialroi.errors import AuthFailed
from tests.adapters.conftest import load_fixture
from tests.adapters.contract import run_contract
from tests.adapters.fakeserver import FakeServer, Reply

BASE = "https://public.api.bsky.app/xrpc"
PROFILE = f"{BASE}/app.bsky.actor.getProfile"
FEED = f"{BASE}/app.bsky.feed.getAuthorFeed"
DID = "did:plc:acme7xq2sgxkmjxo6dqc3yku"
PAGE = {"actor": DID, "limit": "100", "filter": "posts_with_replies"}
DAY = datetime(2026, 11, 22, tzinfo=UTC)
NOW_EPOCH = 1795361400  # 2026-11-22T15:30:00Z, the fake clock's start


def fx(name: str) -> Any:
    return load_fixture("bluesky", name)


def add_profile(rsps: responses.RequestsMock, actor: str = "acme.bsky.social") -> None:
    rsps.get(PROFILE, json=fx("profile"), match=[matchers.query_param_matcher({"actor": actor})])


def add_history(rsps: responses.RequestsMock) -> None:
    rsps.get(FEED, json=fx("feed_page1"), match=[matchers.query_param_matcher(PAGE)])
    rsps.get(
        FEED,
        json=fx("feed_page2"),
        match=[matchers.query_param_matcher({**PAGE, "cursor": "2026-11-19T18:00:00.000Z"})],
    )


def collect(batches: list[Batch], table: str) -> pl.DataFrame:
    return pl.concat([b.tables[table] for b in batches if table in b.tables])


def test_first_run_drops_reposts_and_stops_at_the_window(make_context) -> None:
    adapter = bluesky.create(make_context("bluesky", {"accounts": ["acme.bsky.social"]}))
    with responses.RequestsMock() as rsps:
        add_profile(rsps)
        add_history(rsps)
        batches = list(adapter.fetch("posts", since=None, state=None))
        assert len(rsps.calls) == 3  # page 2 reached the window: its cursor is not followed
    posts = collect(batches, "posts").sort("created_at", descending=True)
    assert posts["post_id"].to_list() == ["3m6abcxyz2k2a", "3m5zzzreply2c", "3m3launch22d"]
    assert set(posts["account_id"]) == {DID}
    q4, reply, launch = posts.iter_rows(named=True)
    assert q4["created_at"] == datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
    assert q4["kind"] == "broadcast"
    assert (
        q4["link_url"] == fx("feed_page1")["feed"][0]["post"]["record"]["embed"]["external"]["uri"]
    )
    assert (q4["utm_source"], q4["campaign"], q4["utm_content"]) == (
        "bluesky",
        "q4-report",
        "sr~bluesky~3m6abcxyz2k2a~brand",
    )
    assert (reply["kind"], reply["link_url"]) == ("reply", None)  # a mention facet is no link
    assert reply["text"] == "@bob.bsky.social thanks, see you there!"
    # A reply to its own post continues a thread; its link comes from a link facet.
    assert launch["kind"] == "broadcast"
    assert launch["link_url"] == (
        "https://blog.acme.example/post?utm_source=bluesky&utm_medium=social&utm_campaign=launch"
    )
    metrics = collect(batches, "post_metrics").sort("post_id", descending=True)
    assert metrics.select("post_id", "likes", "comments", "shares", "saves").rows() == [
        ("3m6abcxyz2k2a", 25, 3, 9, 4),
        ("3m5zzzreply2c", 1, 0, 0, None),  # quoteCount and bookmarkCount absent
        ("3m3launch22d", 9, 1, 2, None),
    ]
    assert metrics["as_of"].unique().to_list() == [DAY]
    assert [b.cursor for b in batches][-1] == {DID: "2026-11-21T08:00:00Z"}
    assert all(b.cursor is None for b in batches[:-1])


def test_later_run_stops_at_the_newest_post_seen(make_context) -> None:
    adapter = bluesky.create(make_context("bluesky", {"accounts": ["acme.bsky.social"]}))
    with responses.RequestsMock() as rsps:
        add_profile(rsps)
        rsps.get(FEED, json=fx("feed_newer"), match=[matchers.query_param_matcher(PAGE)])
        batches = list(adapter.fetch("posts", since=None, state={DID: "2026-11-21T08:00:00Z"}))
    posts = collect(batches, "posts")
    webinar = posts.filter(pl.col("post_id") == "3m6webinar2f").row(0, named=True)
    # The link card of a post that quotes another and carries a link (record with media).
    assert webinar["link_url"].startswith("https://acme.example/webinar?")
    assert webinar["campaign"] == "webinar-nov"
    assert batches[-1].cursor == {DID: "2026-11-22T07:30:00Z"}


def test_an_empty_feed_gives_no_rows_and_keeps_the_cursor(make_context) -> None:
    adapter = bluesky.create(make_context("bluesky", {"accounts": ["acme.bsky.social"]}))
    with responses.RequestsMock() as rsps:
        add_profile(rsps)
        rsps.get(FEED, json=fx("feed_empty"))
        batches = list(adapter.fetch("posts", since=None, state={DID: "2026-11-21T08:00:00Z"}))
    assert batches == []


def test_accounts_and_a_missing_profile_as_warning(make_context) -> None:
    options = {"accounts": ["acme.bsky.social", {"handle": "gone.bsky.social", "owner": "e014"}]}
    adapter = bluesky.create(make_context("bluesky", options))
    with responses.RequestsMock() as rsps:
        add_profile(rsps)
        rsps.get(
            PROFILE,
            status=400,
            json=fx("error_profile_not_found"),
            match=[matchers.query_param_matcher({"actor": "gone.bsky.social"})],
        )
        (batch,) = adapter.fetch("account", since=None, state=None)
    assert batch.tables["accounts"].rows() == [("bluesky", DID, "acme.bsky.social", "brand")]
    assert batch.tables["account_daily"].select("date", "followers").rows() == [
        (date(2026, 11, 22), 842)
    ]
    assert batch.warnings == ("bluesky: profile 'gone.bsky.social' not found; skipped",)


def test_metrics_stream_covers_the_recent_window_only(make_context) -> None:
    options = {"accounts": ["acme.bsky.social"], "metrics_days": 30}
    adapter = bluesky.create(make_context("bluesky", options))
    with responses.RequestsMock() as rsps:
        add_profile(rsps)
        add_history(rsps)
        batches = list(adapter.fetch("post_metrics", since=None, state=None))
    assert sorted(collect(batches, "post_metrics")["post_id"]) == ["3m5zzzreply2c", "3m6abcxyz2k2a"]


def _response(status: int, headers: dict[str, str]) -> requests.Response:
    r = requests.Response()
    r.status_code = status
    r.headers.update(headers)
    return r


def test_rate_limit_rule_reads_the_epoch_reset_header() -> None:
    now = datetime(2026, 11, 22, 15, 30, tzinfo=UTC)
    head = {"RateLimit-Limit": "3000", "RateLimit-Policy": "3000;w=300"}
    reset = {**head, "RateLimit-Remaining": "0", "RateLimit-Reset": str(NOW_EPOCH + 90)}
    assert bluesky.rate_limit(_response(429, reset), now) == Signal(
        90.0, True, "Bluesky: 429, limit resets 15:31:30Z"
    )
    spent = bluesky.rate_limit(_response(200, reset), now)
    assert spent is not None
    assert (spent.wait, spent.retry) == (90.0, False)
    plenty = {**reset, "RateLimit-Remaining": "2999"}
    assert bluesky.rate_limit(_response(200, plenty), now) is None


def test_a_429_waits_for_the_reset_then_the_feed_comes(make_context, fake_clock) -> None:
    adapter = bluesky.create(make_context("bluesky", {"accounts": ["acme.bsky.social"]}))
    with responses.RequestsMock() as rsps:
        add_profile(rsps)
        limited = {"RateLimit-Remaining": "0", "RateLimit-Reset": str(NOW_EPOCH + 45)}
        rsps.get(FEED, status=429, json=fx("error_rate_limited"), headers=limited)
        rsps.get(FEED, json=fx("feed_newer"))
        batches = list(adapter.fetch("posts", since=None, state={DID: "2026-11-21T08:00:00Z"}))
    assert fake_clock.sleeps == [45.0]
    assert "3m6webinar2f" in collect(batches, "posts")["post_id"].to_list()


def test_a_refused_call_is_auth_failed(make_context) -> None:
    adapter = bluesky.create(make_context("bluesky", {"accounts": ["acme.bsky.social"]}))
    with responses.RequestsMock() as rsps:
        rsps.get(PROFILE, status=401, json=fx("error_auth"))
        with pytest.raises(AuthFailed, match="Authentication Required"):
            adapter.check()


def test_check_and_post_url(make_context) -> None:
    adapter = bluesky.create(make_context("bluesky", {"accounts": ["acme.bsky.social"]}))
    with responses.RequestsMock() as rsps:
        add_profile(rsps)
        assert adapter.check() == "@acme.bsky.social: 842 followers"
    assert bluesky.post_url("acme.bsky.social", "3m6abcxyz2k2a") == (
        "https://bsky.app/profile/acme.bsky.social/post/3m6abcxyz2k2a"
    )


def test_contract(make_context, tmp_path) -> None:
    ctx = make_context("bluesky", {"accounts": ["acme.bsky.social"]})
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        add_profile(rsps)
        add_history(rsps)
        counts = run_contract(lambda: bluesky.create(ctx), tmp_path)
    assert counts == {"accounts": 1, "account_daily": 1, "posts": 3, "post_metrics": 3}


def test_loopback_429_with_bluesky_headers_then_the_profile(make_context, fake_clock) -> None:
    limited = {"RateLimit-Remaining": "0", "RateLimit-Reset": str(NOW_EPOCH + 30)}
    with FakeServer() as srv:
        srv.script(
            "GET",
            "/xrpc/app.bsky.actor.getProfile",
            Reply(429, body=fx("error_rate_limited"), headers=limited),
            Reply(200, body=fx("profile")),
        )
        ctx = make_context("bluesky", {"accounts": ["acme.bsky.social"]}, base_url=srv.url)
        assert bluesky.create(ctx).check() == "@acme.bsky.social: 842 followers"
        assert len(srv.calls("/xrpc/app.bsky.actor.getProfile")) == 2
    assert fake_clock.sleeps == [30.0]
