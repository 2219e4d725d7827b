"""Instagram adapter: Graph fixtures in Instagram's own format, served through `responses`."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import polars as pl
import pytest
import responses
from responses import matchers

from socialroi.adapters import _graph as g
from socialroi.adapters import instagram
from socialroi.adapters.base import Adapter, Batch
from socialroi.adapters.sync import run_stream, state_cursor
from socialroi.errors import PermissionDenied, RateLimited, UnknownObject
from socialroi.store import Store
from tests.adapters.conftest import FakeClock, MakeContext, load_fixture
from tests.adapters.contract import run_contract

GRAPH = "https://graph.facebook.com/v25.0"
IG = "17841400000000001"
TOKEN = "IGQ-token-0123456789abcdef"  # noqa: S105 - a fixture token
OPTIONS = {"ig_user_id": IG, "lookback_days": 3}


def load(name: str) -> Any:
    return load_fixture("instagram", name)


def adapter(make_context: MakeContext, **kw: Any) -> Adapter:
    opts = {**OPTIONS, **kw.pop("options", {})}
    return instagram.create(make_context("instagram", opts, {"access_token": TOKEN}, **kw))


def collect(batches: list[Batch], table: str) -> pl.DataFrame:
    frames = [b.tables[table] for b in batches if table in b.tables]
    return pl.concat(frames) if frames else pl.DataFrame()


def query(url: str | None) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url or "").query)


def _first_page(request: Any) -> tuple[bool, str]:
    return "after" not in query(request.url), "has an after cursor"


def add_media(rsps: responses.RequestsMock) -> None:
    rsps.get(
        f"{GRAPH}/{IG}/media",
        json=load("media_page2"),
        match=[matchers.query_param_matcher({"after": "QVFIUm1lZAzM"}, strict_match=False)],
    )
    rsps.get(f"{GRAPH}/{IG}/media", json=load("media_page1"), match=[_first_page])


def add_media_insights(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{GRAPH}/18000000000000001/insights", json=load("media_insights_feed"))
    rsps.get(f"{GRAPH}/18000000000000002/insights", json=load("media_insights_empty"))
    rsps.get(
        f"{GRAPH}/18000000000000003/insights", json=load("error_not_enough_viewers"), status=400
    )


def add_account(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{GRAPH}/{IG}", json=load("user"))
    for day in ("2026-11-19", "2026-11-20", "2026-11-21"):
        since = int(datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp())
        rsps.get(
            f"{GRAPH}/{IG}/insights",
            json=load(f"account_insights_{day}"),
            match=[matchers.query_param_matcher({"since": str(since)}, strict_match=False)],
        )


def test_posts_pages_give_exact_rows_utm_and_link_code(make_context: MakeContext) -> None:
    a = adapter(make_context)
    with responses.RequestsMock() as rsps:
        add_media(rsps)
        batches = list(a.fetch("posts", since=None, state=None))
    posts = collect(batches, "posts").sort("created_at", descending=True)
    assert posts["post_id"].to_list() == [
        "18000000000000001",
        "18000000000000002",
        "18000000000000003",
        "17999999999999999",
    ]
    first = posts.row(0, named=True)
    assert first["created_at"] == datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    assert first["link_url"] == (
        "https://acme.example/webinar?utm_source=instagram&utm_medium=social"
        "&utm_campaign=webinar-dec&utm_content=sr~instagram~18000000000000001~e014"
    )
    assert (first["utm_source"], first["campaign"]) == ("instagram", "webinar-dec")
    assert first["utm_content"] == "sr~instagram~18000000000000001~e014"
    reel = posts.row(1, named=True)  # no caption at all: nulls, not a crash
    assert (reel["text"], reel["link_url"], reel["kind"]) == (None, None, "broadcast")
    assert batches[-1].cursor == {"timestamp": "2026-11-20T10:00:00+00:00"}
    assert all(b.cursor is None for b in batches[:-1])


def test_posts_resume_stops_paging_at_the_cursor(make_context: MakeContext) -> None:
    a = adapter(make_context)
    state = {"timestamp": "2026-11-19T18:45:00+00:00"}
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        add_media(rsps)
        batches = list(a.fetch("posts", since=None, state=state))
        assert len(rsps.calls) == 1  # an older item on page 1 ends the walk
    ids = sorted(collect(batches, "posts")["post_id"].to_list())
    assert ids == ["18000000000000001", "18000000000000002"]
    assert batches[-1].cursor == {"timestamp": "2026-11-20T10:00:00+00:00"}


def test_an_empty_media_page_gives_no_rows_and_keeps_the_cursor(make_context: MakeContext) -> None:
    a = adapter(make_context)
    with responses.RequestsMock() as rsps:
        rsps.get(f"{GRAPH}/{IG}/media", json=load("media_empty"))
        batches = list(a.fetch("posts", since=None, state={"timestamp": "2026-11-01T00:00:00"}))
    assert collect(batches, "posts").height == 0
    assert all(b.cursor is None for b in batches)


def test_post_metrics_empty_data_is_null_and_errors_are_warnings(
    make_context: MakeContext,
) -> None:
    a = adapter(make_context)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        add_media(rsps)
        add_media_insights(rsps)
        batches = list(a.fetch("post_metrics", since=None, state=None))
        asked = {
            urlsplit(c.request.url or "").path.split("/")[2]: query(c.request.url)["metric"][0]
            for c in rsps.calls
            if "/insights" in (c.request.url or "")
        }
    rows = {r["post_id"]: r for r in collect(batches, "post_metrics").to_dicts()}
    # The July item is outside metrics_days (90): not asked for, and paging stopped there.
    assert sorted(rows) == ["18000000000000001", "18000000000000002", "18000000000000003"]
    assert rows["18000000000000001"] == {
        "platform": "instagram",
        "post_id": "18000000000000001",
        "as_of": datetime(2026, 11, 22, tzinfo=UTC),
        "impressions": 1490,
        "reach": 812,
        "likes": 118,
        "comments": 8,
        "shares": 5,
        "saves": 14,
        "clicks": None,
    }
    reel = rows["18000000000000002"]
    # Empty data set: unknown, not zero; likes/comments from the media's own counters.
    assert (reel["impressions"], reel["reach"], reel["shares"], reel["saves"]) == (None,) * 4
    assert (reel["likes"], reel["comments"]) == (64, 3)
    carousel = rows["18000000000000003"]
    assert (carousel["reach"], carousel["likes"], carousel["comments"]) == (None, 41, 0)
    warnings = [w for b in batches for w in b.warnings]
    assert len(warnings) == 1
    assert "18000000000000003" in warnings[0]
    assert "Not enough viewers" in warnings[0]
    assert asked["18000000000000002"] == ",".join(instagram.MEDIA_METRICS["REELS"])


def test_account_days_from_total_value_insights(make_context: MakeContext) -> None:
    a = adapter(make_context)
    with responses.RequestsMock() as rsps:
        add_account(rsps)
        batches = list(a.fetch("account", since=None, state=None))
        sent = [query(c.request.url) for c in rsps.calls[1:]]
    assert {q["metric_type"][0] for q in sent} == {"total_value"}
    assert collect(batches, "accounts").unique().to_dicts() == [
        {"platform": "instagram", "account_id": IG, "handle": "acme.consulting", "owner": "brand"}
    ]
    daily = collect(batches, "account_daily").sort("date")
    cols = ("date", "followers", "impressions", "engagements", "profile_clicks")
    assert daily.select(cols).rows() == [
        (date(2026, 11, 19), None, 5400, 212, 17),
        # 11-20 had an empty data set: no row rather than a row of zeros
        (date(2026, 11, 21), None, 6100, 240, None),
        # followers under the run day, as X, Mastodon and Bluesky file them
        (date(2026, 11, 22), 2310, None, None, None),
    ]
    snap = {"followers": {"2026-11-22": 2310}}
    assert [b.cursor for b in batches] == [
        snap,
        {"day": "2026-11-19", **snap},
        {"day": "2026-11-20", **snap},
        {"day": "2026-11-21", **snap},
    ]


def test_instagram_limit_80002_waits_or_fails_by_flag(
    make_context: MakeContext, fake_clock: FakeClock
) -> None:
    with responses.RequestsMock() as rsps:
        rsps.get(f"{GRAPH}/{IG}", json=load("error_ig_limit"), status=400)
        rsps.get(f"{GRAPH}/{IG}", json=load("user"))
        assert adapter(make_context).check() == "Instagram @acme.consulting: 2,310 followers"
    assert fake_clock.sleeps == [g.DEFAULT_LIMIT_WAIT]
    with responses.RequestsMock() as rsps:
        rsps.get(f"{GRAPH}/{IG}", json=load("error_ig_limit"), status=400)
        with pytest.raises(RateLimited, match="80002"):
            adapter(make_context, wait_on_rate_limit=False).check()


def test_contract(make_context: MakeContext, tmp_path: Path) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        add_media(rsps)
        add_media_insights(rsps)
        add_account(rsps)
        ctx = make_context("instagram", OPTIONS, {"access_token": TOKEN})
        counts = run_contract(lambda: instagram.create(ctx), tmp_path, secrets=[TOKEN])
    assert counts == {"accounts": 1, "account_daily": 3, "posts": 4, "post_metrics": 3}


def test_expired_token_is_auth_failed_naming_the_variable(make_context: MakeContext) -> None:
    from socialroi.errors import AuthFailed

    expired = load_fixture("facebook", "error_token_expired")
    with responses.RequestsMock() as rsps:
        rsps.get(f"{GRAPH}/{IG}", json=expired, status=400)
        with pytest.raises(AuthFailed) as err:
            adapter(make_context).check()
    assert "SOCIALROI_INSTAGRAM_ACCESS_TOKEN" in str(err.value)
    assert TOKEN not in str(err.value)


# --- refusals, recorded bodies, url and reach ------------------------------------------------

REFUSED = "../facebook/error_permission_insights"  # Meta's real code-100 permission refusal


def test_refused_account_insights_fail_then_the_days_come_once_granted(
    make_context: MakeContext, store: Store
) -> None:
    stream = instagram.STREAMS[0]
    with responses.RequestsMock() as rsps:
        rsps.get(f"{GRAPH}/{IG}", json=load("user"))
        rsps.get(f"{GRAPH}/{IG}/insights", json=load(REFUSED), status=400)
        first = run_stream(store, adapter(make_context), stream, secrets=[TOKEN])
    assert not first.ok
    assert isinstance(first.exception, PermissionDenied)
    assert "daily insights of account 17841400000000001 (2026-11-19) refused" in (first.error or "")
    assert "pages_read_engagement" in (first.error or "")
    assert state_cursor(store.get_state("instagram", "account")) == {
        "followers": {"2026-11-22": 2310}
    }
    with responses.RequestsMock() as rsps:
        add_account(rsps)
        second = run_stream(store, adapter(make_context), stream, secrets=[TOKEN])
    assert second.ok
    daily = store.read("account_daily").sort("date")
    assert daily.select("date", "followers", "impressions").rows() == [
        (date(2026, 11, 19), None, 5400),
        (date(2026, 11, 21), None, 6100),
        (date(2026, 11, 22), 2310, None),
    ]


def test_refused_media_insights_fail_post_metrics(make_context: MakeContext) -> None:
    a = adapter(make_context)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        add_media(rsps)
        rsps.get(f"{GRAPH}/18000000000000001/insights", json=load(REFUSED), status=400)
        with pytest.raises(PermissionDenied, match="insights of media 18000000000000001"):
            list(a.fetch("post_metrics", since=None, state=None))


def test_a_wrong_account_id_names_the_setting(make_context: MakeContext) -> None:
    with responses.RequestsMock() as rsps:
        rsps.get(f"{GRAPH}/{IG}", json=load("error_unknown_object"), status=400)
        with pytest.raises(UnknownObject, match=r"check platforms\.instagram\.ig_user_id"):
            adapter(make_context).check()


def test_media_posted_before_the_business_conversion_is_a_warning(
    make_context: MakeContext,
) -> None:
    a = adapter(make_context)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        add_media(rsps)
        add_media_insights(rsps)
        rsps.replace(
            responses.GET,
            f"{GRAPH}/18000000000000002/insights",
            json=load("error_media_before_conversion"),
            status=400,
        )
        batches = list(a.fetch("post_metrics", since=None, state=None))
    rows = {r["post_id"]: r for r in collect(batches, "post_metrics").to_dicts()}
    assert (rows["18000000000000002"]["reach"], rows["18000000000000002"]["likes"]) == (None, 64)
    warnings = [w for b in batches for w in b.warnings]
    assert any("18000000000000002" in w and "business account conversion" in w for w in warnings)


def test_recorded_media_insights_replay(make_context: MakeContext) -> None:
    """A real recorded media insights body (older metric set, localised titles)."""
    a = adapter(make_context)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        add_media(rsps)
        add_media_insights(rsps)
        rsps.replace(
            responses.GET,
            f"{GRAPH}/18000000000000001/insights",
            json=load("media_insights_recorded"),
        )
        batches = list(a.fetch("post_metrics", since=None, state=None))
    row = next(
        r for r in collect(batches, "post_metrics").to_dicts() if r["post_id"].endswith("01")
    )
    # reach and saved read; impressions is no longer `impressions` but `views`, so unknown;
    # likes and comments fall back to the media's own counters.
    assert (row["reach"], row["saves"], row["impressions"]) == (948, 1, None)
    assert (row["likes"], row["comments"]) == (120, 8)


def test_recorded_account_reach_replay_fills_reach(make_context: MakeContext) -> None:
    """A real recorded `reach` total_value body with breakdowns, for one day."""
    a = adapter(make_context, options={"lookback_days": 1})
    with responses.RequestsMock() as rsps:
        rsps.get(f"{GRAPH}/{IG}", json=load("user"))
        rsps.get(f"{GRAPH}/{IG}/insights", json=load("account_insights_reach_recorded"))
        batches = list(a.fetch("account", since=None, state=None))
        sent = query(rsps.calls[1].request.url)
    assert sent["metric"] == ["views,reach,total_interactions,profile_links_taps"]
    daily = collect(batches, "account_daily").sort("date")
    assert daily.select("date", "reach", "impressions").rows() == [
        (date(2026, 11, 21), 14516883, None),
        (date(2026, 11, 22), None, None),
    ]


def test_media_carry_their_permalink_as_url(make_context: MakeContext) -> None:
    with responses.RequestsMock() as rsps:
        add_media(rsps)
        batches = list(adapter(make_context).fetch("posts", since=None, state=None))
    urls = dict(collect(batches, "posts").select("post_id", "url").rows())
    assert urls["18000000000000001"] == "https://www.instagram.com/p/DAbCdEf1/"
    assert urls["18000000000000002"] == "https://www.instagram.com/reel/DAbCdEf2/"
