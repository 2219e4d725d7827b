"""X adapter: tweepy's Client sending through the HTTP layer; fixtures in X API v2's own JSON."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import polars as pl
import pytest
import requests
import responses

from socialroi.adapters import x
from socialroi.adapters._http import Signal
from socialroi.adapters.base import Batch
from socialroi.adapters.sync import run_stream, state_cursor
from socialroi.errors import (
    AuthFailed,
    PermissionDenied,
    RateLimited,
    UnknownObject,
    UpstreamError,
)
from tests.adapters.conftest import load_fixture
from tests.adapters.contract import run_contract
from tests.adapters.fakeserver import FakeServer, Reply

UID = "1456789012345678901"
NEXT = "7140dibdnow9c7btw4b0v8w5qlbmj4q9x1ba0oe3nhmb1"
TOKEN = "AAAAAAAAAAAAAAAAAAAAAx-bearer-0123456789"  # noqa: S105 - a fixture token
OAUTH1 = {
    "consumer_key": "ck-fixture-0123456789",
    "consumer_secret": "cs-fixture-0123456789",
    "access_token": "1456789012345678901-at-fixture",
    "access_token_secret": "ats-fixture-0123456789",
}
OLDEST_P1 = "1991100000000000005"  # the oldest post on tweets_page1
NOW_EPOCH = 1795361400  # 2026-11-22T15:30:00Z, the fake clock's start
DAY = datetime(2026, 11, 22, tzinfo=UTC)
OPTIONS = {"accounts": ["acme"]}


def fx(name: str) -> Any:
    return load_fixture("x", name)


def _in_span(tweet: dict[str, Any], query: dict[str, str]) -> bool:
    created = tweet["created_at"].replace(".000Z", "Z")
    return bool(query.get("start_time", "") <= created < query.get("end_time", "9999"))


class FakeX:
    """X API v2 for `responses`: routes by path and query, honours start_time/end_time."""

    def __init__(self, rsps: responses.RequestsMock, host: str = "https://api.x.com") -> None:
        self.seen: list[tuple[str, dict[str, str], dict[str, str]]] = []
        self.headers = {
            "content-type": "application/json; charset=utf-8",
            "x-rate-limit-limit": "900",
            "x-rate-limit-remaining": "899",
            "x-rate-limit-reset": str(NOW_EPOCH + 900),
        }
        rsps.add_callback("GET", re.compile(re.escape(host) + r"/2/.*"), callback=self)

    def calls(self, path: str) -> list[dict[str, str]]:
        return [q for p, q, _ in self.seen if p == path]

    def __call__(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        url = urlsplit(str(request.url))
        query = dict(parse_qsl(url.query))
        self.seen.append((url.path, query, dict(request.headers)))
        if url.path == "/2/users/by":
            return 200, self.headers, json.dumps(fx("users_by"))
        if url.path == "/2/users/me":
            return 200, self.headers, json.dumps(fx("me"))
        if url.path != f"/2/users/{UID}/tweets":
            return 404, self.headers, json.dumps({"title": "Not Found Error"})
        if "non_public_metrics" in query.get("tweet.fields", ""):
            body = fx("tweets_private")
        elif "since_id" in query:
            body = fx("tweets_empty")
        elif query.get("pagination_token") == NEXT or query.get("until_id") == OLDEST_P1:
            body = fx("tweets_page2")
        else:
            body = fx("tweets_page1")
        if "data" in body:
            body["data"] = [t for t in body["data"] if _in_span(t, query)]
        return 200, self.headers, json.dumps(body)


def collect(batches: list[Batch], table: str) -> pl.DataFrame:
    return pl.concat([b.tables[table] for b in batches if table in b.tables])


def test_first_run_posts_with_links_kinds_and_partial_errors(make_context) -> None:
    adapter = x.create(make_context("x", {"accounts": ["acme", "ghost"]}, {"bearer_token": TOKEN}))
    with responses.RequestsMock() as rsps:
        fake = FakeX(rsps)
        batches = list(adapter.fetch("posts", since=None, state=None))
    first, second = fake.calls(f"/2/users/{UID}/tweets")
    assert first["start_time"] == "2026-08-24T15:30:00Z"  # 90 days before the run
    assert "since_id" not in first
    assert first["max_results"] == "100"
    assert "entities" in first["tweet.fields"].split(",")
    assert second["pagination_token"] == NEXT
    assert fake.seen[0][2]["Authorization"] == f"Bearer {TOKEN}"

    posts = collect(batches, "posts").sort("post_id", descending=True)
    assert posts["post_id"].to_list() == [
        "1991234567890123460",
        "1991200000000000001",
        "1991100000000000005",
        "1985000000000000010",
    ]
    q4, retweet, reply, thread = posts.iter_rows(named=True)
    assert q4["created_at"] == datetime(2026, 11, 21, 9, 15, tzinfo=UTC)
    assert (q4["kind"], q4["account_id"]) == ("broadcast", UID)
    # The unwound URL, not the bit.ly it was shortened to, carries the UTM tags.
    assert q4["link_url"].startswith("https://acme.example/q4?")
    assert (q4["utm_source"], q4["utm_medium"], q4["campaign"], q4["utm_content"]) == (
        "x",
        "social",
        "q4-report",
        "sr~x~q4~brand",
    )
    assert (retweet["kind"], retweet["link_url"]) == ("share", None)
    assert (reply["kind"], reply["text"]) == ("reply", "@bob thanks, see you there!")
    # A reply to itself is a thread (broadcast); the long text is the note's; the quoted post
    # and the photo are X pages, so the blog link is the post's link.
    assert thread["kind"] == "broadcast"
    assert thread["text"].endswith("and the thread below.")
    assert thread["link_url"] == "https://blog.acme.example/post?utm_campaign=launch"

    metrics = collect(batches, "post_metrics").sort("post_id", descending=True)
    cols = ["post_id", "impressions", "likes", "comments", "shares", "saves", "clicks"]
    assert metrics.select(cols).rows() == [
        ("1991234567890123460", 2870, 31, 2, 5, 3, None),
        ("1991100000000000005", 310, 5, 1, 0, 0, None),
        ("1985000000000000010", 1204, 9, 1, 2, None, None),  # no bookmark_count sent
    ]  # no row for the retweet: its counters are the original's
    assert metrics["as_of"].unique().to_list() == [DAY]

    assert q4["url"] == "https://x.com/acme/status/1991234567890123460"
    assert retweet["url"] == "https://x.com/acme/status/1991200000000000001"

    warnings = [w for b in batches for w in b.warnings]
    assert any(
        "[platforms.x] accounts[1] ('ghost') not found (Not Found Error: Could not find user" in w
        for w in warnings
    )
    assert any("Authorization Error (1984000000000000000)" in w for w in warnings)
    # Page 1 moves the newest post and leaves the rest of the window (older than its oldest
    # post) to fetch; page 2 is the last: backfill done.
    window = {"window_from": "2026-08-24T15:30:00Z"}
    assert [b.cursor for b in batches if b.cursor] == [
        {
            UID: "1991234567890123460",
            "backfill": {
                UID: {
                    **window,
                    "ranges": [
                        {"start_time": "2026-08-24T15:30:00Z", "until_id": "1991100000000000005"}
                    ],
                    "done": False,
                }
            },
        },
        {UID: "1991234567890123460", "backfill": {UID: {**window, "ranges": [], "done": True}}},
    ]


def test_later_run_asks_since_the_newest_id_and_an_empty_page_keeps_the_cursor(
    make_context,
) -> None:
    adapter = x.create(make_context("x", OPTIONS, {"bearer_token": TOKEN}))
    with responses.RequestsMock() as rsps:
        fake = FakeX(rsps)
        batches = list(adapter.fetch("posts", since=None, state={UID: "1991234567890123460"}))
    (call,) = fake.calls(f"/2/users/{UID}/tweets")
    assert call["since_id"] == "1991234567890123460"
    assert "start_time" not in call
    assert all(b.cursor is None for b in batches)
    assert sum(b.tables["posts"].height for b in batches) == 0


def test_account_stream_followers_today(make_context) -> None:
    adapter = x.create(make_context("x", OPTIONS, {"bearer_token": TOKEN}))
    with responses.RequestsMock() as rsps:
        fake = FakeX(rsps)
        (batch,) = adapter.fetch("account", since=None, state=None)
        assert adapter.check() == "@acme: 5,120 followers"
    assert fake.calls("/2/users/by") == [
        {"usernames": "acme", "user.fields": "public_metrics,created_at"}
    ]  # one lookup serves the stream and the check
    assert batch.tables["accounts"].rows() == [("x", UID, "acme", "brand")]
    assert batch.tables["account_daily"].select("date", "followers").rows() == [
        (date(2026, 11, 22), 5120)
    ]


def test_link_clicks_with_user_context_for_recent_posts_only(make_context) -> None:
    ctx = make_context("x", {**OPTIONS, "metrics_days": 60}, {"bearer_token": TOKEN, **OAUTH1})
    adapter = x.create(ctx)
    with responses.RequestsMock() as rsps:
        fake = FakeX(rsps)
        batches = list(adapter.fetch("post_metrics", since=None, state=None))
    private, public, public_page2 = fake.calls(f"/2/users/{UID}/tweets")
    assert "non_public_metrics" in private["tweet.fields"]
    assert private["start_time"] == "2026-10-23T16:30:00Z"  # 30 days less an hour
    assert "non_public_metrics" not in public["tweet.fields"]
    assert (public["start_time"], public["end_time"]) == (
        "2026-09-23T15:30:00Z",
        "2026-10-23T16:30:00Z",
    )
    assert public_page2["pagination_token"] == NEXT
    auth = {p: h["Authorization"] for p, _, h in fake.seen}
    assert auth["/2/users/me"].startswith("OAuth ")  # OAuth 1.0a user context
    metrics = collect(batches, "post_metrics").sort("post_id", descending=True)
    assert metrics.select("post_id", "clicks", "impressions").rows() == [
        ("1991234567890123460", 57, 2870),
        ("1991100000000000005", None, 310),  # no link, no url_link_clicks
        ("1985000000000000010", None, 1204),  # older than 30 days: public metrics only
    ]
    assert not [w for b in batches for w in b.warnings if "skipped" in w]


def test_without_user_context_link_clicks_are_skipped_with_a_note(make_context) -> None:
    adapter = x.create(make_context("x", OPTIONS, {"bearer_token": TOKEN}))
    with responses.RequestsMock() as rsps:
        fake = FakeX(rsps)
        batches = list(adapter.fetch("post_metrics", since=None, state=None))
    assert fake.calls("/2/users/me") == []
    calls = fake.calls(f"/2/users/{UID}/tweets")
    assert all("non_public_metrics" not in c["tweet.fields"] for c in calls)
    assert collect(batches, "post_metrics")["clicks"].null_count() == 2
    notes = [w for b in batches for w in b.warnings if "link clicks skipped" in w]
    assert len(notes) == 1
    assert "SOCIALROI_X_CONSUMER_KEY" in notes[0]


def _response(status: int, headers: dict[str, str], body: Any = None) -> requests.Response:
    r = requests.Response()
    r.status_code = status
    r.headers.update(headers)
    r._content = json.dumps(body).encode() if body is not None else b""
    return r


def test_rate_limit_rule_reads_the_reset_headers() -> None:
    now = datetime(2026, 11, 22, 15, 30, tzinfo=UTC)
    head = {"x-rate-limit-limit": "900", "x-rate-limit-reset": str(NOW_EPOCH + 60)}
    refused = x.rate_limit(
        _response(429, {**head, "x-rate-limit-remaining": "0"}, fx("error_rate_limit")), now
    )
    assert refused == Signal(61.0, True, "X: 429 rate limit, window resets 15:31:00Z")
    capped = x.rate_limit(_response(429, head, fx("error_usage_capped")), now)
    assert capped is not None
    assert capped.retry
    assert "usage cap reached" in capped.reason
    spent = x.rate_limit(_response(200, {**head, "x-rate-limit-remaining": "0"}), now)
    assert spent is not None
    assert (spent.wait, spent.retry) == (61.0, False)
    assert x.rate_limit(_response(200, {**head, "x-rate-limit-remaining": "5"}), now) is None
    assert x.rate_limit(_response(429, {}, fx("error_rate_limit")), now) is None


def test_a_429_waits_for_the_window_reset_then_retries(make_context, fake_clock) -> None:
    adapter = x.create(make_context("x", OPTIONS, {"bearer_token": TOKEN}))
    limited = {"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(NOW_EPOCH + 120)}
    with responses.RequestsMock() as rsps:
        rsps.get(
            "https://api.x.com/2/users/by", status=429, json=fx("error_rate_limit"), headers=limited
        )
        rsps.get("https://api.x.com/2/users/by", json=fx("users_by"))
        (batch,) = adapter.fetch("account", since=None, state=None)
    assert fake_clock.sleeps == [121.0]
    assert batch.tables["account_daily"]["followers"].to_list() == [5120]


def test_fail_on_rate_limit_raises_with_the_reset_time(make_context) -> None:
    ctx = make_context("x", OPTIONS, {"bearer_token": TOKEN}, wait_on_rate_limit=False)
    limited = {"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(NOW_EPOCH + 600)}
    with responses.RequestsMock() as rsps:
        rsps.get(
            "https://api.x.com/2/users/by",
            status=429,
            json=fx("error_usage_capped"),
            headers=limited,
        )
        with pytest.raises(RateLimited) as info:
            x.create(ctx).check()
    assert info.value.reset_at == datetime(2026, 11, 22, 15, 40, 1, tzinfo=UTC)
    assert info.value.exit_code == 3


def test_an_expired_token_is_auth_failed_naming_the_variable_only(make_context) -> None:
    adapter = x.create(make_context("x", OPTIONS, {"bearer_token": TOKEN}))
    with responses.RequestsMock() as rsps:
        rsps.get("https://api.x.com/2/users/by", status=401, json=fx("error_unauthorized"))
        with pytest.raises(AuthFailed) as info:
            adapter.check()
    assert "SOCIALROI_X_BEARER_TOKEN" in str(info.value)
    assert TOKEN not in str(info.value)


def test_tweepy_reaches_the_configured_base_url_and_retries_a_5xx(make_context, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    with FakeServer() as srv:
        srv.script("GET", "/2/users/by", Reply(200, body=fx("users_by")))
        srv.script(
            "GET",
            f"/2/users/{UID}/tweets",
            Reply(503, body={"title": "Service Unavailable"}),
            Reply(200, body=fx("tweets_page2")),
        )
        ctx = make_context("x", OPTIONS, {"bearer_token": TOKEN}, base_url=srv.url)
        batches = list(x.create(ctx).fetch("posts", since=None, state=None))
        paths = [r.path for r in srv.requests]
        auth = {k.lower(): v for k, v in srv.requests[0].headers.items()}.get("authorization")
    # tweepy's hard-coded https://api.twitter.com went to the loopback server instead.
    assert paths == ["/2/users/by", f"/2/users/{UID}/tweets", f"/2/users/{UID}/tweets"]
    assert auth == f"Bearer {TOKEN}"
    assert collect(batches, "posts")["post_id"].to_list() == ["1985000000000000010"]
    assert TOKEN not in caplog.text  # tweepy's request dumps carry the header: never logged


def test_contract(make_context, tmp_path) -> None:
    ctx = make_context("x", OPTIONS, {"bearer_token": TOKEN})
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        FakeX(rsps)
        counts = run_contract(lambda: x.create(ctx), tmp_path, secrets=[TOKEN])
    assert counts == {"accounts": 1, "account_daily": 1, "posts": 4, "post_metrics": 3}


def test_a_200_that_is_not_json_is_an_upstream_error(make_context) -> None:
    adapter = x.create(make_context("x", OPTIONS, {"bearer_token": TOKEN}))
    with responses.RequestsMock() as rsps:
        rsps.get("https://api.x.com/2/users/by", json=fx("users_by"))
        rsps.get(f"https://api.x.com/2/users/{UID}/tweets", body="<html>maintenance</html>")
        with pytest.raises(UpstreamError, match="not JSON"):
            list(adapter.fetch("posts", since=None, state=None))


# -- refusals, recordings, backfill ------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "name", "error", "says"),
    [
        (403, "error_client_not_enrolled", PermissionDenied, "attach the app to a Project"),
        (403, "error_forbidden", PermissionDenied, "tweet.read and users.read"),
        (404, "error_unauthorized", UnknownObject, "x: not found"),
    ],
)
def test_refusals_are_classified_from_x_bodies(make_context, status, name, error, says) -> None:
    adapter = x.create(make_context("x", OPTIONS, {"bearer_token": TOKEN}))
    with responses.RequestsMock() as rsps:
        rsps.get("https://api.x.com/2/users/by", json=fx("users_by"))
        rsps.get(f"https://api.x.com/2/users/{UID}/tweets", status=status, json=fx(name))
        with pytest.raises(error) as info:
            list(adapter.fetch("posts", since=None, state=None))
    assert says in str(info.value)
    assert info.value.exit_code == 3
    assert TOKEN not in str(info.value)


def test_a_refused_timeline_page_moves_no_cursor(make_context, store) -> None:
    ctx = make_context("x", OPTIONS, {"bearer_token": TOKEN})
    with responses.RequestsMock() as rsps:
        rsps.get("https://api.x.com/2/users/by", json=fx("users_by"))
        rsps.get(f"https://api.x.com/2/users/{UID}/tweets", json=fx("tweets_page1"))
        rsps.get(f"https://api.x.com/2/users/{UID}/tweets", status=403, json=fx("error_forbidden"))
        result = run_stream(store, x.create(ctx), x.XAdapter.streams[1])
    assert result.status == "failed"
    assert isinstance(result.exception, PermissionDenied)
    cursor = state_cursor(store.get_state("x", "posts"))
    assert cursor is not None
    # Page 1 is in; the refused page 2 stays to fetch (older than page 1's oldest post).
    assert cursor["backfill"][UID]["ranges"] == [
        {"start_time": "2026-08-24T15:30:00Z", "until_id": "1991100000000000005"}
    ]


def test_every_missing_account_is_named_and_none_found_is_unknown_object(make_context) -> None:
    adapter = x.create(make_context("x", {"accounts": ["ghost"]}, {"bearer_token": TOKEN}))
    body = {"errors": fx("users_by")["errors"]}
    with responses.RequestsMock() as rsps:
        rsps.get("https://api.x.com/2/users/by", json=body)
        with pytest.raises(UnknownObject, match=r"\[platforms.x\] accounts\[0\] \('ghost'\)"):
            list(adapter.fetch("account", since=None, state=None))
        with pytest.raises(UnknownObject, match="Could not find user with usernames"):
            adapter.check()


def test_replay_of_tweepys_recorded_timeline_and_users(make_context) -> None:
    """tweepy's cassettes: a users lookup and a timeline page (no tweet.fields were asked)."""
    adapter = x.create(make_context("x", {"accounts": ["Twitter"]}, {"bearer_token": TOKEN}))
    page = fx("recorded_tweepy_users_tweets")
    with responses.RequestsMock() as rsps:
        rsps.get("https://api.x.com/2/users/by", json=fx("recorded_tweepy_users_by"))
        rsps.get("https://api.x.com/2/users/783214/tweets", json=page)
        rsps.get("https://api.x.com/2/users/783214/tweets", json=fx("tweets_empty"))
        accounts = list(adapter.fetch("account", since=None, state=None))
        batches = list(adapter.fetch("posts", since=None, state=None))
        asked = dict(parse_qsl(urlsplit(str(rsps.calls[-1].request.url)).query))
    assert asked["pagination_token"] == page["meta"]["next_token"]  # the recorded next_token
    (acct,) = accounts
    assert acct.tables["accounts"].rows() == [("x", "783214", "Twitter", "brand")]
    assert acct.tables["account_daily"]["followers"].to_list() == [None]  # not asked for
    posts = collect(batches, "posts").sort("post_id")
    assert posts.select("post_id", "url", "kind", "link_url", "created_at").rows() == [
        ("1565318587736285184", "https://x.com/Twitter/status/1565318587736285184",
         "broadcast", None, None),
        ("1577730467436138524", "https://x.com/Twitter/status/1577730467436138524",
         "broadcast", None, None),
    ]  # fmt: skip
    assert posts["text"][1].startswith("whoa, it works")


def test_recorded_tweet_objects_give_the_unwound_link_and_public_metrics() -> None:
    """A real /2/tweets answer with entities and public_metrics: media links are X pages."""
    body = fx("recorded_tweets_lookup")
    rows_by_id: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    for tweet in body["data"]:
        tweet_posts, tweet_metrics = x.tweet_rows([tweet], tweet["author_id"], DAY, handle="h")
        rows_by_id[tweet["id"]] = (tweet_posts[0], tweet_metrics[0])
    links = {i: p["link_url"] for i, (p, _) in rows_by_id.items() if p["link_url"]}
    assert links == {"1696902398717853999": "https://landtorn.com/lorak"}
    _, landtorn = rows_by_id["1696902398717853999"]
    assert (
        landtorn["impressions"],
        landtorn["likes"],
        landtorn["comments"],
        landtorn["shares"],
        landtorn["saves"],
    ) == (2284, 31, 2, 10, 1)
    post, _ = rows_by_id["1697319426213716021"]
    assert post["created_at"] == datetime(2023, 8, 31, 18, 44, 20, tzinfo=UTC)


def test_backfill_completes_the_window_over_runs_with_nothing_doubled(make_context, store) -> None:
    ctx = make_context("x", {**OPTIONS, "max_pages": 1}, {"bearer_token": TOKEN})
    stream = x.XAdapter.streams[1]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake = FakeX(rsps)
        first = run_stream(store, x.create(ctx), stream)
        assert sorted(store.read("posts")["post_id"]) == [
            "1991100000000000005",
            "1991200000000000001",
            "1991234567890123460",
        ]
        assert first.cursor is not None
        assert first.cursor["backfill"][UID]["done"] is False
        second = run_stream(store, x.create(ctx), stream)
    tweets = fake.calls(f"/2/users/{UID}/tweets")
    # Run 2: new posts at the top first, then the window below run 1's oldest post.
    assert tweets[1]["since_id"] == "1991234567890123460"
    assert (tweets[2]["until_id"], tweets[2]["start_time"]) == (
        "1991100000000000005",
        "2026-08-24T15:30:00Z",
    )
    posts = store.read("posts")
    assert sorted(posts["post_id"]) == [
        "1985000000000000010",
        "1991100000000000005",
        "1991200000000000001",
        "1991234567890123460",
    ]
    assert posts.height == 4
    assert second.cursor is not None
    assert second.cursor[UID] == "1991234567890123460"
    assert second.cursor["backfill"][UID] == {
        "window_from": "2026-08-24T15:30:00Z",
        "ranges": [],
        "done": True,
    }
