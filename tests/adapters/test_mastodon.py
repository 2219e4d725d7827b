"""Mastodon adapter: statuses in Mastodon's JSON and Link-header paging, through `responses`."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import polars as pl
import pytest
import requests
import responses
from responses import matchers

from socialroi.adapters import _social_rows as rows
from socialroi.adapters import mastodon
from socialroi.adapters._http import Signal
from socialroi.adapters.base import Batch
from socialroi.adapters.sync import run_stream, state_cursor
from socialroi.errors import AuthFailed, ConfigError, PermissionDenied, UnknownObject
from tests.adapters.conftest import load_fixture
from tests.adapters.contract import run_contract
from tests.adapters.fakeserver import FakeServer, Reply

BASE = "https://mastodon.social"
LOOKUP = f"{BASE}/api/v1/accounts/lookup"
STATUSES = f"{BASE}/api/v1/accounts/109302/statuses"
PAGE = {"limit": "40", "exclude_reblogs": "true"}
DAY = datetime(2026, 11, 22, tzinfo=UTC)
TOKEN = "mstdn-token-0123456789abcdef"  # noqa: S105 - a fixture token


def fx(name: str) -> Any:
    return load_fixture("mastodon", name)


def link(**rels: dict[str, str]) -> dict[str, str]:
    parts = [
        f"<{STATUSES}?" + "&".join(f"{k}={v}" for k, v in {**PAGE, **q}.items()) + f'>; rel="{rel}"'
        for rel, q in rels.items()
    ]
    return {"Link": ", ".join(parts)}


def add_lookup(rsps: responses.RequestsMock) -> None:
    rsps.get(
        LOOKUP, json=fx("account_lookup"), match=[matchers.query_param_matcher({"acct": "acme"})]
    )


def add_history(rsps: responses.RequestsMock) -> None:
    """Two pages back in time (the second reaches past the first run's window), then more."""
    rsps.get(
        STATUSES,
        json=fx("statuses_page1"),
        headers=link(next={"max_id": "115570000000000001"}, prev={"min_id": "115580000000000003"}),
        match=[matchers.query_param_matcher(PAGE)],
    )
    rsps.get(
        STATUSES,
        json=fx("statuses_page2"),
        headers=link(next={"max_id": "115000000000000001"}, prev={"min_id": "115490000000000010"}),
        match=[matchers.query_param_matcher({**PAGE, "max_id": "115570000000000001"})],
    )


def add_forward(rsps: responses.RequestsMock, *, newer: bool = True) -> None:
    """Forward from the cursor: one newer status, then an empty page (no Link header)."""
    rsps.get(
        STATUSES,
        json=fx("statuses_newer") if newer else [],
        headers=link(prev={"min_id": "115590000000000001"}) if newer else {},
        match=[matchers.query_param_matcher({**PAGE, "min_id": "115580000000000003"})],
    )
    rsps.get(
        STATUSES,
        json=[],
        match=[matchers.query_param_matcher({**PAGE, "min_id": "115590000000000001"})],
    )


def collect(batches: list[Batch], table: str) -> pl.DataFrame:
    frames = [b.tables[table] for b in batches if table in b.tables]
    return pl.concat(frames)


def test_first_run_walks_back_to_the_window_with_exact_rows(make_context) -> None:
    adapter = mastodon.create(make_context("mastodon", {"accounts": ["acme"]}))
    with responses.RequestsMock() as rsps:
        add_lookup(rsps)
        add_history(rsps)
        batches = list(adapter.fetch("posts", since=None, state=None))
        assert len(rsps.calls) == 3  # lookup + 2 pages; page 2 passed the window, so no page 3
    posts = collect(batches, "posts").sort("post_id", descending=True)
    assert posts["post_id"].to_list() == [
        "115580000000000003",
        "115570000000000001",
        "115490000000000010",
    ]  # the boost and the post older than 90 days are not there
    q4, reply, thread = posts.iter_rows(named=True)
    assert q4["text"] == (
        "Our Q4 report is out: https://acme.example/q4?utm_source=mastodon&utm_medium=social #B2B"
    )
    assert q4["created_at"] == datetime(2026, 11, 21, 9, 15, tzinfo=UTC)
    assert (q4["kind"], q4["account_id"]) == ("broadcast", "109302")
    assert q4["link_url"] == fx("statuses_page1")[0]["card"]["url"]
    assert (q4["utm_source"], q4["utm_medium"], q4["campaign"]) == (
        "mastodon",
        "social",
        "q4-report",
    )
    assert q4["utm_content"] == "sr~mastodon~q4~brand"
    assert (reply["kind"], reply["text"], reply["link_url"]) == (
        "reply",
        "@bob Thanks & see you there!",
        None,  # a mention is not a link
    )
    # A reply to itself continues a thread; with no card, the link in the text is used.
    assert thread["kind"] == "broadcast"
    assert thread["text"] == "Line one\nline two\n\nRead blog.acme.example/post"
    assert thread["link_url"] == "https://blog.acme.example/post?utm_campaign=launch"
    assert (thread["campaign"], thread["utm_source"]) == ("launch", None)

    metrics = collect(batches, "post_metrics").sort("post_id", descending=True)
    assert metrics.select("likes", "comments", "shares").rows() == [
        (11, 2, 6),
        (3, 1, 0),
        (4, 0, 2),
    ]
    assert metrics["as_of"].unique().to_list() == [DAY]
    assert metrics["impressions"].null_count() == 3  # Mastodon counts no views
    assert q4["url"] == "https://mastodon.social/@acme/115580000000000003"  # the status's url
    # Each page commits with the state after it: page 1 moves the newest status and leaves the
    # rest of the window as a backfill range; page 2 passed the window, so backfill is done.
    window = {"window_from": "2026-08-24T15:30:00Z"}
    assert [b.cursor for b in batches] == [
        {
            "109302": "115580000000000003",
            "backfill": {
                "109302": {
                    **window,
                    "ranges": [{"bound": "2026-08-24T15:30:00Z", "max_id": "115570000000000001"}],
                    "done": False,
                }
            },
        },
        {
            "109302": "115580000000000003",
            "backfill": {"109302": {**window, "ranges": [], "done": True}},
        },
    ]


def test_later_run_walks_forward_from_the_cursor_one_page_at_a_time(make_context) -> None:
    adapter = mastodon.create(make_context("mastodon", {"accounts": ["acme"]}))
    with responses.RequestsMock() as rsps:
        add_lookup(rsps)
        add_forward(rsps)
        batches = list(adapter.fetch("posts", since=None, state={"109302": "115580000000000003"}))
    assert len(batches) == 1  # the empty page after it adds nothing
    assert batches[0].cursor == {"109302": "115590000000000001"}
    row = batches[0].tables["posts"].row(0, named=True)
    assert (row["post_id"], row["text"], row["campaign"]) == (
        "115590000000000001",
        "Webinar on Thursday",
        "webinar-nov",
    )


def test_accounts_with_followers_and_a_missing_one_as_warning(make_context) -> None:
    options = {"accounts": ["acme", {"handle": "@ghost", "owner": "e014"}]}
    adapter = mastodon.create(make_context("mastodon", options))
    with responses.RequestsMock() as rsps:
        add_lookup(rsps)
        rsps.get(
            LOOKUP,
            status=404,
            json=fx("error_not_found"),
            match=[matchers.query_param_matcher({"acct": "ghost"})],
        )
        (batch,) = adapter.fetch("account", since=None, state=None)
    assert batch.tables["accounts"].rows() == [
        ("mastodon", "109302", "acme@mastodon.social", "brand")
    ]
    assert batch.tables["account_daily"].select("date", "followers").rows() == [
        (date(2026, 11, 22), 1204)
    ]
    assert len(batch.warnings) == 1
    assert "ghost" in batch.warnings[0]


def test_metrics_stream_snapshots_only_the_recent_window(make_context) -> None:
    adapter = mastodon.create(make_context("mastodon", {"accounts": ["acme"], "metrics_days": 30}))
    with responses.RequestsMock() as rsps:
        add_lookup(rsps)
        add_history(rsps)
        batches = list(adapter.fetch("post_metrics", since=None, state=None))
    metrics = collect(batches, "post_metrics")
    assert sorted(metrics["post_id"]) == ["115570000000000001", "115580000000000003"]
    assert all(set(b.tables) == {"post_metrics"} and b.cursor is None for b in batches)


def _response(status: int, headers: dict[str, str]) -> requests.Response:
    r = requests.Response()
    r.status_code = status
    r.headers.update(headers)
    return r


def test_rate_limit_rule_reads_the_iso_reset_header() -> None:
    now = datetime(2026, 11, 22, 15, 30, tzinfo=UTC)
    reset = {"X-RateLimit-Limit": "300", "X-RateLimit-Reset": "2026-11-22T15:35:00.000Z"}
    refused = mastodon.rate_limit(_response(429, {**reset, "X-RateLimit-Remaining": "0"}), now)
    assert refused == Signal(300.0, True, "Mastodon: 429, limit resets 15:35:00Z")
    spent = mastodon.rate_limit(_response(200, {**reset, "X-RateLimit-Remaining": "0"}), now)
    assert spent is not None
    assert (spent.wait, spent.retry) == (300.0, False)
    assert (
        mastodon.rate_limit(_response(200, {**reset, "X-RateLimit-Remaining": "12"}), now) is None
    )
    assert mastodon.rate_limit(_response(429, {}), now) is None  # the HTTP layer backs off itself


def test_a_429_waits_until_the_reset_then_the_page_comes(make_context, fake_clock) -> None:
    adapter = mastodon.create(make_context("mastodon", {"accounts": ["acme"]}))
    with responses.RequestsMock() as rsps:
        rsps.get(
            LOOKUP,
            status=429,
            json=fx("error_rate_limited"),
            headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2026-11-22T15:32:30.000Z"},
        )
        rsps.get(LOOKUP, json=fx("account_lookup"))
        (batch,) = adapter.fetch("account", since=None, state=None)
    assert fake_clock.sleeps == [150.0]
    assert batch.tables["account_daily"]["followers"].to_list() == [1204]


def test_an_invalid_token_is_auth_failed_naming_the_variable_not_the_token(make_context) -> None:
    ctx = make_context("mastodon", {"accounts": ["acme"]}, {"access_token": TOKEN})
    adapter = mastodon.create(ctx)
    with responses.RequestsMock() as rsps:
        rsps.get(LOOKUP, status=401, json=fx("error_invalid_token"))
        with pytest.raises(AuthFailed) as info:
            adapter.check()
        assert rsps.calls[0].request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert "SOCIALROI_MASTODON_ACCESS_TOKEN" in str(info.value)
    assert TOKEN not in str(info.value)


def test_check_names_the_account_and_its_followers(make_context) -> None:
    adapter = mastodon.create(make_context("mastodon", {"accounts": ["acme"]}))
    with responses.RequestsMock() as rsps:
        add_lookup(rsps)
        assert adapter.check() == "@acme@mastodon.social: 1,204 followers"
        assert "Authorization" not in rsps.calls[0].request.headers  # public API, no token


def test_contract(make_context, tmp_path) -> None:
    ctx = make_context("mastodon", {"accounts": ["acme"]}, {"access_token": TOKEN})
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        add_lookup(rsps)
        add_history(rsps)
        add_forward(rsps, newer=False)
        counts = run_contract(lambda: mastodon.create(ctx), tmp_path, secrets=[TOKEN])
    assert counts == {"accounts": 1, "account_daily": 1, "posts": 3, "post_metrics": 3}


def test_a_connection_dropped_mid_pagination_resumes_with_nothing_lost_or_doubled(
    make_context, store
) -> None:
    with FakeServer() as srv:
        statuses = "/api/v1/accounts/109302/statuses"
        query = "limit=40&exclude_reblogs=true&max_id=115570000000000001"
        # The instance names itself in Link; it is followed through the configured base URL.
        nxt = f'<https://infosec.exchange{statuses}?{query}>; rel="next"'
        srv.script("GET", "/api/v1/accounts/lookup", Reply(200, body=fx("account_lookup")))
        srv.script("GET", statuses, Reply(200, body=fx("statuses_page1"), headers={"Link": nxt}))
        srv.script(
            "GET",
            statuses,
            Reply(200, body=fx("statuses_page2"), drop="mid-body"),
            Reply(200, body=fx("statuses_page2"), drop="mid-body"),
            Reply(200, body=fx("statuses_page2")),
            query={"max_id": "115570000000000001"},
        )
        ctx = make_context("mastodon", {"accounts": ["acme"]}, base_url=srv.url, max_retries=1)
        stream = mastodon.MastodonAdapter.streams[1]
        failed = run_stream(store, mastodon.create(ctx), stream)
        assert (failed.status, failed.rows) == ("failed", 4)  # page 1: 2 posts + 2 snapshots
        assert "connection dropped" in (failed.error or "")
        # Page 1 is committed with the state after it: the rest of the window is still to fetch.
        left = state_cursor(store.get_state("mastodon", "posts"))
        assert left is not None
        assert left["109302"] == "115580000000000003"
        assert left["backfill"]["109302"]["ranges"] == [
            {"bound": "2026-08-24T15:30:00Z", "max_id": "115570000000000001"}
        ]
        assert left["backfill"]["109302"]["done"] is False
        srv.script("GET", statuses, Reply(200, body=[]), query={"min_id": "115580000000000003"})
        resumed = run_stream(store, mastodon.create(ctx), stream)
    assert resumed.ok
    assert resumed.cursor is not None
    assert resumed.cursor["109302"] == "115580000000000003"
    assert resumed.cursor["backfill"]["109302"]["done"] is True
    posts = store.read("posts")
    assert sorted(posts["post_id"]) == [
        "115490000000000010",
        "115570000000000001",
        "115580000000000003",
    ]
    assert store.count("post_metrics") == 3


@pytest.mark.parametrize(
    ("accounts", "message"),
    [
        ([], "lists no accounts"),
        ([{"owner": "e014"}], "accounts[0] must be a handle"),
        ("acme", None),
    ],
)
def test_accounts_option_is_checked(make_context, accounts, message) -> None:
    ctx = make_context("mastodon", {"accounts": accounts})
    if message is None:
        assert mastodon.create(ctx).specs == (rows.AccountSpec("acme", "brand"),)
    else:
        with pytest.raises(ConfigError, match=re.escape(message)):
            mastodon.create(ctx)


def test_platform_times_read_as_utc() -> None:
    want = datetime(2026, 11, 20, 14, 3, tzinfo=UTC)
    for text in (
        "2026-11-20T14:03:00.000Z",
        "2026-11-20T15:03:00+01:00",
        "2026-11-20T14:03:00+0000",
    ):
        assert rows.parse_time(text) == want
    assert rows.parse_time("yesterday") is None
    assert rows.parse_time(None) is None


def test_html_to_text_leaves_out_the_quote_fallback_paragraph() -> None:
    html = (
        '<p class="quote-inline">RE: <a href="https://mastodon.social/@news/1155">'
        "mastodon.social/@news/1155</a></p>"
        '<p>Worth a read &lt;3 <a href="https://acme.example/a?utm_source=mastodon">'
        "acme.example/a</a></p>"
    )
    assert mastodon.html_to_text(html) == (
        "Worth a read <3 acme.example/a",
        "https://acme.example/a?utm_source=mastodon",
    )
    assert mastodon.html_to_text("") == (None, None)


# -- refusals, recordings, backfill ------------------------------------------------------------

#: Mastodon.py's cassette tests/cassettes/test_fetch_next_previous.yaml: one account's statuses
#: in two pages of 5, recorded on a test instance (localhost:3000) on 2026-08-01.
REC_ID = "117020565966271181"
REC_STATUSES = f"{BASE}/api/v1/accounts/{REC_ID}/statuses"
REC_LINKS = {
    "page1": '<http://localhost:3000/api/v1/accounts/117020565966271181/statuses?limit=5&max_id=117020580489281910>; rel="next", <http://localhost:3000/api/v1/accounts/117020565966271181/statuses?limit=5&min_id=117020580518794573>; rel="prev"',  # noqa: E501
    "page2": '<http://localhost:3000/api/v1/accounts/117020565966271181/statuses?limit=5&max_id=117020580452511285>; rel="next", <http://localhost:3000/api/v1/accounts/117020565966271181/statuses?limit=5&min_id=117020580481736214>; rel="prev"',  # noqa: E501
}
REC_AS_OF = datetime(2026, 8, 2, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "name", "error", "says"),
    [
        (403, "error_scope", PermissionDenied, "read:statuses"),
        (404, "recorded_lookup_not_found", UnknownObject, "Record not found"),
        (401, "recorded_invalid_token", AuthFailed, "SOCIALROI_MASTODON_ACCESS_TOKEN"),
    ],
)
def test_refusals_are_classified_from_mastodon_bodies(
    make_context, status, name, error, says
) -> None:
    ctx = make_context("mastodon", {"accounts": ["acme"]}, {"access_token": TOKEN})
    with responses.RequestsMock() as rsps:
        add_lookup(rsps)
        rsps.get(STATUSES, status=status, json=fx(name))
        with pytest.raises(error) as info:
            list(mastodon.create(ctx).fetch("posts", since=None, state=None))
    assert says in str(info.value)
    assert TOKEN not in str(info.value)


def test_a_missing_account_names_its_entry_and_check_fails(make_context) -> None:
    ctx = make_context("mastodon", {"accounts": ["kljadklajsdkljlkjlkjlkjasdasd"]})
    with responses.RequestsMock() as rsps:
        rsps.get(LOOKUP, status=404, json=fx("recorded_lookup_not_found"))
        adapter = mastodon.create(ctx)
        with pytest.raises(
            UnknownObject, match=r"accounts\[0\] \('kljadklajsdkljlkjlkjlkjasdasd'\)"
        ):
            adapter.check()
        with pytest.raises(UnknownObject, match="Record not found"):
            list(adapter.fetch("posts", since=None, state=None))


def _recorded_instance(rsps: responses.RequestsMock) -> None:
    rsps.get(LOOKUP, json=fx("recorded_lookup"))
    rsps.get(
        REC_STATUSES,
        json=fx("recorded_statuses_page1"),
        headers={"Link": REC_LINKS["page1"]},
        match=[matchers.query_param_matcher({**PAGE})],
    )
    rsps.get(
        REC_STATUSES,
        json=fx("recorded_statuses_page2"),
        headers={"Link": REC_LINKS["page2"]},
        match=[matchers.query_param_matcher({"max_id": "117020580489281910"}, strict_match=False)],
    )
    rsps.get(  # past the last status an instance answers an empty list
        REC_STATUSES,
        json=[],
        match=[matchers.query_param_matcher({"max_id": "117020580452511285"}, strict_match=False)],
    )
    rsps.get(
        REC_STATUSES,
        json=[],
        match=[matchers.query_param_matcher({**PAGE, "min_id": "117020580518794573"})],
    )


def test_recorded_pages_backfill_over_runs_with_nothing_doubled(make_context, store) -> None:
    ctx = make_context(
        "mastodon", {"accounts": ["mastodonpy_test"], "max_pages": 1}, as_of=REC_AS_OF
    )
    stream = mastodon.MastodonAdapter.streams[1]
    ids = [s["id"] for s in fx("recorded_statuses_page1") + fx("recorded_statuses_page2")]
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        _recorded_instance(rsps)
        first = run_stream(store, mastodon.create(ctx), stream)
        assert sorted(store.read("posts")["post_id"]) == sorted(ids[:5])
        assert first.cursor is not None
        assert first.cursor["backfill"][REC_ID]["ranges"] == [
            {"bound": "2026-05-04T12:00:00Z", "max_id": "117020580489281910"}
        ]  # the recorded rel="next" link
        second = run_stream(store, mastodon.create(ctx), stream)
        assert second.cursor is not None
        assert second.cursor["backfill"][REC_ID]["done"] is False  # page 2 had a next link
        third = run_stream(store, mastodon.create(ctx), stream)
    assert (first.ok, second.ok, third.ok) == (True, True, True)
    posts = store.read("posts")
    assert sorted(posts["post_id"]) == sorted(ids)
    assert posts.height == 10
    assert third.cursor is not None
    assert third.cursor[REC_ID] == "117020580518794573"
    assert third.cursor["backfill"][REC_ID]["done"] is True
    row = posts.filter(pl.col("post_id") == "117020580452511285").row(0, named=True)
    assert (row["text"], row["url"], row["account_id"]) == (
        "Toot number 0!",
        "http://localhost:3000/@mastodonpy_test/117020580452511285",
        REC_ID,
    )


def test_recorded_lookup_gives_the_account_and_its_followers(make_context) -> None:
    ctx = make_context("mastodon", {"accounts": ["mastodonpy_test"]})
    with responses.RequestsMock() as rsps:
        rsps.get(LOOKUP, json=fx("recorded_lookup"))
        (batch,) = mastodon.create(ctx).fetch("account", since=None, state=None)
    assert batch.tables["accounts"].rows() == [
        ("mastodon", REC_ID, "mastodonpy_test@localhost", "brand")
    ]
    assert batch.tables["account_daily"]["followers"].to_list() == [0]
