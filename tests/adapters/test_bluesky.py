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
from socialroi.adapters.sync import run_stream
from socialroi.errors import AuthFailed, UnknownObject
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
    assert q4["url"] == "https://bsky.app/profile/acme.bsky.social/post/3m6abcxyz2k2a"
    # Each page commits with the state after it; page 2 reached the window: backfill done.
    done = {"window_from": "2026-08-24T15:30:00Z", "ranges": [], "done": True}
    assert [b.cursor for b in batches] == [
        {
            DID: "2026-11-21T08:00:00Z",
            "backfill": {
                DID: {
                    "window_from": "2026-08-24T15:30:00Z",
                    "ranges": [
                        {"bound": "2026-08-24T15:30:00Z", "cursor": "2026-11-19T18:00:00.000Z"}
                    ],
                    "done": False,
                }
            },
        },
        {DID: "2026-11-21T08:00:00Z", "backfill": {DID: done}},
    ]


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
    assert sum(b.tables["posts"].height for b in batches) == 0
    assert all(b.cursor is None for b in batches)


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
    (warning,) = batch.warnings
    assert warning.startswith(
        "bluesky: profile [platforms.bluesky] accounts[1] ('gone.bsky.social') not found "
        "(bluesky: InvalidRequest: Profile not found); skipped."
    )


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


# -- refusals, recordings, backfill ------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "name", "error", "says"),
    [
        (400, "error_profile_not_found", UnknownObject, "Profile not found"),
        (400, "error_takedown", UnknownObject, "AccountTakedown"),
        (400, "error_expired_token", AuthFailed, 'base_url = "https://public.api.bsky.app"'),
        (401, "error_auth", AuthFailed, 'base_url = "https://public.api.bsky.app"'),
    ],
)
def test_refusals_are_classified_from_xrpc_bodies(make_context, status, name, error, says) -> None:
    adapter = bluesky.create(make_context("bluesky", {"accounts": ["acme.bsky.social"]}))
    with responses.RequestsMock() as rsps:
        add_profile(rsps)
        rsps.get(FEED, status=status, json=fx(name))
        with pytest.raises(error) as info:
            list(adapter.fetch("posts", since=None, state=None))
    assert says in str(info.value)


def test_no_profile_found_fails_naming_the_entry(make_context) -> None:
    adapter = bluesky.create(make_context("bluesky", {"accounts": ["gone.bsky.social"]}))
    with responses.RequestsMock() as rsps:
        rsps.get(PROFILE, status=400, json=fx("error_profile_not_found"))
        with pytest.raises(UnknownObject, match=r"\[platforms.bluesky\] accounts\[0\]"):
            list(adapter.fetch("account", since=None, state=None))


def _replay(make_context, name: str, did: str, handle: str) -> list[Batch]:
    body = fx(name)
    ctx = make_context(
        "bluesky",
        {"accounts": [handle], "lookback_days": 3650},
        as_of=datetime(2025, 7, 3, tzinfo=UTC),
    )
    with responses.RequestsMock() as rsps:
        rsps.get(PROFILE, json={"did": did, "handle": handle, "followersCount": 1})
        page = {"actor": did, "limit": "100", "filter": "posts_with_replies"}
        rsps.get(FEED, json=body, match=[matchers.query_param_matcher(page)])
        rsps.get(  # the end of the feed: no items, no cursor
            FEED,
            json={"feed": []},
            match=[matchers.query_param_matcher({**page, "cursor": body["cursor"]})],
        )
        return list(bluesky.create(ctx).fetch("posts", since=None, state=None))


def test_replay_of_a_recorded_feed_with_reposts_and_an_old_style_cursor(make_context) -> None:
    """chead/SwiftBluesky's saved getAuthorFeed answer: 50 items, 23 of them reposts (one of the
    author's own post, which also appears as itself), replies, and a `<ms>::<cid>` cursor."""
    did = "did:plc:etdcb47v54mwv2wdufhi4tu6"
    batches = _replay(make_context, "recorded_author_feed_with_reposts", did, "osmote.net")
    posts = collect(batches, "posts")
    assert posts.height == 27
    assert set(posts["account_id"]) == {did}
    assert posts.filter(pl.col("kind") == "reply").height == 20
    own_repost = posts.filter(pl.col("post_id") == "3kk6cgu7o6n2o").row(0, named=True)
    assert own_repost["url"] == "https://bsky.app/profile/osmote.net/post/3kk6cgu7o6n2o"
    cursors = [b.cursor for b in batches if b.cursor]
    assert cursors[0]["backfill"][did]["ranges"][0]["cursor"] == (
        "1706556632894::bafyreiamvm4wf2tnuyc4g7j6q6aaoan4ld3ye7jn2rhwszsmop2ezqsyiu"
    )
    assert cursors[-1][did] == "2024-01-30T16:04:52.126000Z"
    assert cursors[-1]["backfill"][did]["done"] is True


def test_replay_of_a_recorded_feed_with_link_cards(make_context) -> None:
    """DeKoxD/personal-website's saved getAuthorFeed answer (30 posts, ISO cursor)."""
    did = "did:plc:ys5aypbbeqmwn42edy5t3sho"
    batches = _replay(make_context, "recorded_author_feed", did, "mkbhd.com")
    posts = collect(batches, "posts")
    assert posts.height == 30
    cards = posts.filter(pl.col("link_url").is_not_null())
    assert cards.height == 8
    row = posts.filter(pl.col("post_id") == "3lqcpi7nlys2s").row(0, named=True)
    assert row["link_url"] == "https://thepointsguy.com/news/united-airlines-jetblue-partnership/"
    assert row["created_at"] == datetime(2025, 5, 29, 12, 23, 10, 296000, tzinfo=UTC)
    metrics = collect(batches, "post_metrics").filter(pl.col("post_id") == "3lsy4fwoq6s23")
    assert metrics.select("likes", "comments", "shares", "saves").row(0) == (418, 20, 29, None)


def test_backfill_completes_the_window_over_runs_with_nothing_doubled(make_context, store) -> None:
    ctx = make_context("bluesky", {"accounts": ["acme.bsky.social"], "max_pages": 1})
    stream = bluesky.BlueskyAdapter.streams[1]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        add_profile(rsps)
        add_history(rsps)
        first = run_stream(store, bluesky.create(ctx), stream)
        assert first.ok
        assert sorted(store.read("posts")["post_id"]) == ["3m5zzzreply2c", "3m6abcxyz2k2a"]
        assert first.cursor is not None
        assert first.cursor["backfill"][DID]["done"] is False
        second = run_stream(store, bluesky.create(ctx), stream)
        feed_calls = [
            str(c.request.url) for c in rsps.calls if "getAuthorFeed" in str(c.request.url)
        ]
    assert second.ok
    # Run 2 reads the top first (nothing new), then continues from run 1's feed cursor.
    assert "cursor" not in feed_calls[1]
    assert "cursor=2026-11-19T18%3A00%3A00.000Z" in feed_calls[2]
    posts = store.read("posts")
    assert sorted(posts["post_id"]) == ["3m3launch22d", "3m5zzzreply2c", "3m6abcxyz2k2a"]
    assert posts.height == 3
    assert second.cursor is not None
    assert second.cursor["backfill"][DID] == {
        "window_from": "2026-08-24T15:30:00Z",
        "ranges": [],
        "done": True,
    }
