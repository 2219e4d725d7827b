"""Facebook Pages adapter: Graph fixtures in Meta's own format, served through `responses`."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import polars as pl
import pytest
import responses
from responses import matchers

from socialroi.adapters import facebook
from socialroi.adapters.base import AdapterContext, Batch
from socialroi.adapters.registry import build_context
from socialroi.adapters.secrets import Secrets
from socialroi.adapters.sync import run_stream, state_cursor
from socialroi.errors import (
    AuthFailed,
    ConfigError,
    PermissionDenied,
    UnknownObject,
    UpstreamError,
)
from socialroi.store import Store
from tests.adapters.conftest import FakeClock
from tests.adapters.contract import run_contract
from tests.adapters.fakeserver import FakeServer, Reply, Seen

FIX = Path(__file__).parent / "fixtures" / "facebook"
GRAPH = "https://graph.facebook.com/v25.0"
TOKEN = "EAAB-page-token-0123456789"  # noqa: S105 - a fixture token
AS_OF = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)


def load(name: str) -> Any:
    return json.loads((FIX / name).read_text())


def make_ctx(sleeps: list[float] | None = None, **options: Any) -> AdapterContext:
    values = {"access_token": TOKEN, **options.pop("secrets", {})}
    record = sleeps if sleeps is not None else []
    return build_context(
        "facebook",
        options={"page_id": "1111", **options},
        secrets=Secrets("facebook", values),
        as_of=AS_OF,
        sleep=record.append,
        now=lambda: AS_OF,
    )


def collect(batches: list[Batch], table: str) -> pl.DataFrame:
    frames = [b.tables[table] for b in batches if table in b.tables]
    return pl.concat(frames) if frames else pl.DataFrame()


def _first_page(request: Any) -> tuple[bool, str]:
    """Matches a request with no paging cursor (the first page)."""
    return "after" not in parse_qs(urlsplit(request.url or "").query), "has an after cursor"


def add_posts(rsps: responses.RequestsMock, base: str = GRAPH) -> None:
    rsps.get(
        f"{base}/1111/posts",
        json=load("posts_page2.json"),
        match=[matchers.query_param_matcher({"after": "QVFIUmJfMg"}, strict_match=False)],
    )
    rsps.get(f"{base}/1111/posts", json=load("posts_page1.json"), match=[_first_page])


def test_posts_two_pages_give_exact_rows_and_a_final_cursor() -> None:
    adapter = facebook.create(make_ctx())
    with responses.RequestsMock() as rsps:
        add_posts(rsps)
        batches = list(adapter.fetch("posts", since=None, state=None))
        calls = [c.request.url or "" for c in rsps.calls]
    posts = collect(batches, "posts").sort("post_id")
    assert posts["post_id"].to_list() == ["1111_2001", "1111_2002", "1111_2003"]
    first = posts.row(0, named=True)
    assert first["created_at"] == datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    assert first["kind"] == "broadcast"
    assert first["link_url"].startswith("https://acme.example/guide?")  # unshimmed, not l.php
    assert (first["utm_source"], first["utm_medium"]) == ("facebook", "social")
    assert first["campaign"] == first["utm_campaign"] == "cloud-q4"
    assert first["utm_content"] == "sr~facebook~2001~brand"
    photo = posts.row(1, named=True)
    assert photo["link_url"] is None  # a facebook.com photo page is not an outbound link
    assert photo["utm_source"] is None
    reshare = posts.row(2, named=True)
    assert (reshare["kind"], reshare["text"]) == ("share", None)
    # Only the last batch moves the cursor, to the newest post seen.
    assert [b.cursor for b in batches[:-1]] == [None] * (len(batches) - 1)
    assert batches[-1].cursor == {"created_time": "2026-11-20T10:00:00+00:00"}
    # The paging link is followed with our token once, not the one Meta echoed back.
    second = parse_qs(urlsplit(calls[1]).query)
    assert second["access_token"] == [TOKEN]
    assert second["after"] == ["QVFIUmJfMg"]


def test_posts_resume_from_the_cursor_and_an_empty_page_keeps_it() -> None:
    adapter = facebook.create(make_ctx())
    state = {"created_time": "2026-11-20T10:00:00+00:00"}
    with responses.RequestsMock() as rsps:
        rsps.get(f"{GRAPH}/1111/posts", json=load("posts_empty.json"))
        batches = list(adapter.fetch("posts", since=None, state=state))
        sent = parse_qs(urlsplit(rsps.calls[0].request.url or "").query)
    assert sent["since"] == [str(int(datetime(2026, 11, 20, 10, tzinfo=UTC).timestamp()))]
    assert collect(batches, "posts").height == 0
    assert all(b.cursor is None for b in batches)


def test_base_url_is_used_for_every_call_including_paging_links() -> None:
    adapter = facebook.create(make_ctx(base_url="http://127.0.0.1:9/meta"))
    with responses.RequestsMock() as rsps:
        add_posts(rsps, base="http://127.0.0.1:9/meta/v25.0")
        batches = list(adapter.fetch("posts", since=None, state=None))
        hosts = {urlsplit(c.request.url or "").netloc for c in rsps.calls}
    assert collect(batches, "posts").height == 3
    assert hosts == {"127.0.0.1:9"}


def _insights_2002(rsps: responses.RequestsMock) -> None:
    """Post 2002: the combined call fails on one dead metric; each other metric alone works."""
    url = f"{GRAPH}/1111_2002/insights"
    every = ",".join(facebook.POST_METRICS)
    bad = load("error_invalid_metric.json")
    rsps.get(url, json=bad, status=400, match=[_metric(every)])
    rsps.get(url, json=bad, status=400, match=[_metric("post_clicks")])
    for m in facebook.POST_METRICS:
        if m != "post_clicks":
            rsps.get(url, json=load(f"post_insights_2002_{m}.json"), match=[_metric(m)])


def _metric(value: str) -> Any:
    return matchers.query_param_matcher({"metric": value}, strict_match=False)


def test_post_metrics_snapshot_drops_a_dead_metric_and_warns_on_partial_errors() -> None:
    adapter = facebook.create(make_ctx())
    without_clicks = ",".join(m for m in facebook.POST_METRICS if m != "post_clicks")
    with responses.RequestsMock() as rsps:
        add_posts(rsps)
        rsps.get(f"{GRAPH}/1111_2001/insights", json=load("post_insights_2001.json"))
        _insights_2002(rsps)
        # The dead metric is not asked for again; this post's insights are refused outright.
        rsps.get(
            f"{GRAPH}/1111_2003/insights",
            json=load("error_permission.json"),
            status=400,
            match=[_metric(without_clicks)],
        )
        batches = list(adapter.fetch("post_metrics", since=None, state=None))
    rows = {r["post_id"]: r for r in collect(batches, "post_metrics").to_dicts()}
    midnight = datetime(2026, 11, 22, tzinfo=UTC)
    assert rows["1111_2001"] == {
        "platform": "facebook",
        "post_id": "1111_2001",
        "as_of": midnight,
        "impressions": 2310,
        "reach": 1650,
        "likes": 46,  # 40 like + 5 love + 1 wow
        "comments": 9,
        "shares": 4,
        "saves": None,
        "clicks": 87,
    }
    r2 = rows["1111_2002"]
    assert (r2["impressions"], r2["reach"], r2["likes"]) == (640, 512, 12)
    assert (r2["comments"], r2["shares"], r2["clicks"]) == (0, 0, None)
    r3 = rows["1111_2003"]
    assert (r3["impressions"], r3["shares"]) == (None, 0)
    warnings = [w for b in batches for w in b.warnings]
    assert any("post_clicks" in w and "dropped" in w for w in warnings)
    assert any("1111_2003" in w and "error 10" in w for w in warnings)
    assert all(b.cursor is None for b in batches)


def test_page_stream_gives_daily_rows_and_moves_the_day_cursor() -> None:
    adapter = facebook.create(make_ctx(lookback_days=3))
    with responses.RequestsMock() as rsps:
        rsps.get(f"{GRAPH}/1111", json=load("page.json"))
        rsps.get(
            f"{GRAPH}/1111/insights",
            json=load("page_insights.json"),
            match=[
                matchers.query_param_matcher(
                    {"period": "day", "since": "2026-11-19", "until": "2026-11-22"},
                    strict_match=False,
                )
            ],
        )
        batches = list(adapter.fetch("page", since=None, state=None))
    accounts = collect(batches, "accounts").unique()
    assert accounts.to_dicts() == [
        {"platform": "facebook", "account_id": "1111", "handle": "acmeconsulting", "owner": "brand"}
    ]
    daily = collect(batches, "account_daily").sort("date")
    cols = ("date", "followers", "impressions", "reach", "engagements", "page_views")
    assert daily.select(cols).rows() == [
        (date(2026, 11, 19), 1195, 1520, 1010, 64, 12),
        (date(2026, 11, 20), 1199, 980, 700, 31, 7),
        # no page_follows yet for yesterday, and no count taken that day: unknown
        (date(2026, 11, 21), None, 2210, 1650, 118, None),
        # the run day: the Page's followers_count, as every platform files it
        (date(2026, 11, 22), 1204, None, None, None, None),
    ]
    # the run day's count rides in the cursor until that day's insights are fetched
    assert batches[0].cursor == {"followers": {"2026-11-22": 1204}}
    assert batches[-1].cursor == {"day": "2026-11-21", "followers": {"2026-11-22": 1204}}


def test_next_days_insights_keep_the_follower_count_taken_on_that_day() -> None:
    state = {"day": "2026-11-18", "followers": {"2026-11-21": 1203}}
    adapter = facebook.create(make_ctx())
    with responses.RequestsMock() as rsps:
        rsps.get(f"{GRAPH}/1111", json=load("page.json"))
        rsps.get(f"{GRAPH}/1111/insights", json=load("page_insights.json"))
        batches = list(adapter.fetch("page", since=None, state=state))
        sent = parse_qs(urlsplit(rsps.calls[1].request.url or "").query)
    assert (sent["since"], sent["until"]) == (["2026-11-19"], ["2026-11-22"])
    daily = {r["date"]: r["followers"] for r in collect(batches, "account_daily").to_dicts()}
    assert daily[date(2026, 11, 21)] == 1203  # rewritten with its insights, count kept
    assert daily[date(2026, 11, 22)] == 1204
    assert batches[-1].cursor == {"day": "2026-11-21", "followers": {"2026-11-22": 1204}}


def test_page_stream_splits_long_ranges_into_90_day_windows_and_stops_at_the_cursor() -> None:
    adapter = facebook.create(make_ctx())
    with responses.RequestsMock() as rsps:
        rsps.get(f"{GRAPH}/1111", json=load("page.json"))
        rsps.get(f"{GRAPH}/1111/insights", json={"data": []})
        batches = list(adapter.fetch("page", since=datetime(2026, 5, 1, tzinfo=UTC), state=None))
        windows = [
            (q["since"][0], q["until"][0])
            for q in (parse_qs(urlsplit(c.request.url or "").query) for c in rsps.calls[1:])
        ]
    assert windows == [
        ("2026-05-01", "2026-07-30"),
        ("2026-07-30", "2026-10-28"),
        ("2026-10-28", "2026-11-22"),
    ]
    snap = {"followers": {"2026-11-22": 1204}}
    assert [b.cursor for b in batches] == [
        snap,
        {"day": "2026-07-29", **snap},
        {"day": "2026-10-27", **snap},
        {"day": "2026-11-21", **snap},
    ]
    # Only the run day has a row (the followers count); days without data are left out.
    assert collect(batches, "account_daily")["date"].to_list() == [date(2026, 11, 22)]
    # Re-run the same day from that cursor: nothing left to fetch, no insights call.
    with responses.RequestsMock() as rsps:
        rsps.get(f"{GRAPH}/1111", json=load("page.json"))
        again = list(adapter.fetch("page", since=None, state=batches[-1].cursor))
        assert len(rsps.calls) == 1
    assert [b.cursor for b in again] == [{"day": "2026-11-21", **snap}]
    assert again[0].tables["account_daily"]["date"].to_list() == [date(2026, 11, 22)]


def test_check_names_the_page_and_its_followers() -> None:
    adapter = facebook.create(make_ctx())
    with responses.RequestsMock() as rsps:
        rsps.get(f"{GRAPH}/1111", json=load("page.json"))
        assert adapter.check() == "Facebook Page Acme Consulting: 1,204 followers"


def test_expired_token_is_auth_failed_naming_the_variable_not_the_token() -> None:
    adapter = facebook.create(make_ctx())
    with responses.RequestsMock() as rsps:
        rsps.get(f"{GRAPH}/1111", json=load("error_token_expired.json"), status=400)
        with pytest.raises(AuthFailed) as err:
            adapter.check()
    text = str(err.value)
    assert "SOCIALROI_FACEBOOK_ACCESS_TOKEN" in text
    assert "190" in text
    assert TOKEN not in text


def test_app_secret_signs_every_call_with_appsecret_proof() -> None:
    adapter = facebook.create(make_ctx(secrets={"app_secret": "s3cr3t-app"}))
    with responses.RequestsMock() as rsps:
        rsps.get(f"{GRAPH}/1111", json=load("page.json"))
        adapter.check()
        sent = parse_qs(urlsplit(rsps.calls[0].request.url or "").query)
    # HMAC-SHA256(key=app secret, message=token), computed once with hmac by hand:
    expected = "52b9a8f5e6674b9de93e3c8c2c38f5e54a393e870b19147d672a5b623b71d0a7"
    assert sent["appsecret_proof"] == [expected]


def test_missing_page_id_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="page_id"):
        facebook.create(make_ctx(page_id=""))


def test_contract(make_context: Any, tmp_path: Path) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        add_posts(rsps)
        rsps.get(f"{GRAPH}/1111", json=load("page.json"))
        rsps.get(f"{GRAPH}/1111/insights", json=load("page_insights.json"))
        rsps.get(f"{GRAPH}/1111_2001/insights", json=load("post_insights_2001.json"))
        _insights_2002(rsps)
        rsps.get(f"{GRAPH}/1111_2003/insights", json=load("error_permission.json"), status=400)
        ctx = make_context(
            "facebook", {"page_id": "1111", "lookback_days": 3}, {"access_token": TOKEN}
        )
        counts = run_contract(lambda: facebook.create(ctx), tmp_path, secrets=[TOKEN])
    assert counts == {"accounts": 1, "account_daily": 4, "posts": 3, "post_metrics": 3}


def test_faults_on_the_loopback_server_lose_nothing_and_double_nothing(
    fake_server: FakeServer, make_context: Any, fake_clock: FakeClock, store: Store
) -> None:
    usage = {"X-App-Usage": json.dumps({"call_count": 100, "total_time": 20, "total_cputime": 9})}
    fake_server.script(
        "GET",
        "/v25.0/1111/posts",
        Reply(403, load("error_app_limit.json"), usage),  # code 4 under 403: wait, retry
        Reply(200, load("posts_page1.json")),
    )
    page2 = load("posts_page2.json")
    fake_server.script(
        "GET",
        "/v25.0/1111/posts",
        Reply(200, page2, drop="mid-body"),
        Reply(200, page2, drop="before"),
        Reply(200, page2),
        query={"after": "QVFIUmJfMg"},
    )
    ctx = make_context(
        "facebook",
        {"page_id": "1111"},
        {"access_token": TOKEN},
        base_url=fake_server.url,
        max_retries=1,
    )
    stream = facebook.STREAMS[1]
    first = run_stream(store, facebook.create(ctx), stream, secrets=[TOKEN])
    # Page 2 broke twice: retries ran out (exit 3); page 1 is kept, the cursor did not move.
    assert not first.ok
    assert isinstance(first.exception, UpstreamError)
    assert first.exception.exit_code == 3
    assert "connection" in (first.error or "")
    assert TOKEN not in (first.error or "")
    assert store.count("posts") == 2
    assert state_cursor(store.get_state("facebook", "posts")) is None
    assert fake_clock.sleeps[0] == 300.0  # the app-limit wait, before any backoff
    # The next run starts over from the same (unset) cursor and completes.
    second = run_stream(store, facebook.create(ctx), stream, secrets=[TOKEN])
    assert second.ok
    assert store.count("posts") == 3
    cursor = {"created_time": "2026-11-20T10:00:00+00:00"}
    assert state_cursor(store.get_state("facebook", "posts")) == cursor
    third = run_stream(store, facebook.create(ctx), stream, secrets=[TOKEN])
    assert third.ok
    assert store.count("posts") == 3
    # Every call carried our token.
    assert all(c.query.get("access_token") == TOKEN for c in fake_server.calls())


def test_refused_page_insights_fail_the_stream_and_keep_the_cursor(store: Store) -> None:
    """Meta's real code-100 permission refusal is no dead metric: the stream fails, the day
    cursor stays where it was, and the Page's row and today's followers still land."""
    state = {"day": "2026-11-18"}
    store.set_state("facebook", "page", {"cursor": state, "last_success": "x"})
    with responses.RequestsMock() as rsps:
        rsps.get(f"{GRAPH}/1111", json=load("page.json"))
        rsps.get(f"{GRAPH}/1111/insights", json=load("error_permission_insights.json"), status=400)
        res = run_stream(store, facebook.create(make_ctx()), facebook.STREAMS[0], secrets=[TOKEN])
        assert len(rsps.calls) == 2  # one refusal, no per-metric retries
    assert not res.ok
    assert isinstance(res.exception, PermissionDenied)
    assert res.exception.exit_code == 3
    text = res.error or ""
    assert "daily insights of Page 1111 (2026-11-19 to 2026-11-21) refused" in text
    assert "pages_read_engagement" in text
    assert "App Review" in text
    assert TOKEN not in text
    assert state_cursor(store.get_state("facebook", "page")) == {
        "day": "2026-11-18",
        "followers": {"2026-11-22": 1204},
    }
    daily = store.read("account_daily")
    assert daily.select("date", "followers").rows() == [(date(2026, 11, 22), 1204)]


def test_refused_post_insights_fail_post_metrics_instead_of_storing_nulls() -> None:
    adapter = facebook.create(make_ctx())
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        add_posts(rsps)
        rsps.get(
            f"{GRAPH}/1111_2001/insights",
            json=load("error_requires_pages_read_engagement.json"),
            status=400,
        )
        gen = adapter.fetch("post_metrics", since=None, state=None)
        with pytest.raises(PermissionDenied, match="insights of post 1111_2001 refused"):
            next(iter(gen))
        assert len(rsps.calls) == 2  # the posts page, one refused insights call


def test_a_wrong_page_id_names_the_setting() -> None:
    adapter = facebook.create(make_ctx(page_id="999"))
    with responses.RequestsMock() as rsps:
        rsps.get(f"{GRAPH}/999", json=load("error_unknown_object.json"), status=400)
        with pytest.raises(UnknownObject, match=r"check platforms\.facebook\.page_id"):
            list(adapter.fetch("page", since=None, state=None))


def test_posts_carry_their_permalink_as_url() -> None:
    adapter = facebook.create(make_ctx())
    with responses.RequestsMock() as rsps:
        add_posts(rsps)
        batches = list(adapter.fetch("posts", since=None, state=None))
    urls = dict(collect(batches, "posts").select("post_id", "url").rows())
    assert urls["1111_2001"] == "https://www.facebook.com/acmeconsulting/posts/2001"
    assert urls["1111_2002"] == "https://www.facebook.com/acmeconsulting/posts/2002"


# --- evidence: a permission-refused pull through the CLI, then the same pull once granted ------


def test_cli_pull_refused_insights_exits_4_then_fetches_the_days_once_granted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from socialroi import clock
    from socialroi.cli import main

    monkeypatch.setattr(clock, "now", lambda: AS_OF)
    granted = {"yes": False}
    refused = load("error_permission_insights.json")

    def insights(seen: Seen) -> Reply | None:
        if not seen.path.endswith("/insights"):
            return None
        if not granted["yes"]:
            return Reply(400, refused)
        if seen.path == "/v25.0/1111/insights":
            return Reply(200, load("page_insights.json"))
        if seen.path == "/v25.0/1111_2001/insights":
            return Reply(200, load("post_insights_2001.json"))
        return Reply(200, {"data": []})

    with FakeServer(route=insights) as srv:
        srv.script("GET", "/v25.0/1111", Reply(200, load("page.json")))
        srv.script("GET", "/v25.0/1111/posts", Reply(200, load("posts_page1.json")))
        srv.script(
            "GET",
            "/v25.0/1111/posts",
            Reply(200, load("posts_page2.json")),
            query={"after": "QVFIUmJfMg"},
        )
        cfg = tmp_path / "socialroi.toml"
        cfg.write_text(
            '[company]\nname = "Test"\n[platforms.facebook]\npage_id = "1111"\n'
            f'base_url = "{srv.url}"\nlookback_days = 3\n',
            encoding="utf-8",
        )
        env = {"SOCIALROI_FACEBOOK_ACCESS_TOKEN": TOKEN, "SOCIALROI_SECRETS": ""}
        argv = ["pull", "--config", str(cfg), "--store", str(tmp_path / "s.duckdb"), "--quiet"]
        first = CliRunner().invoke(main, argv, env=env)
        granted["yes"] = True
        second = CliRunner().invoke(main, argv, env=env)
    # Posts landed, page and post_metrics were refused: partial success, exit 4.
    assert first.exit_code == 4, first.output
    assert "facebook/page: Facebook: daily insights of Page 1111" in first.stderr
    assert "pages_read_engagement" in first.stderr
    assert "App Review" in first.stderr
    assert "facebook/post_metrics: Facebook: insights of post 1111_2001 refused" in first.stderr
    assert TOKEN not in first.output + first.stderr
    assert second.exit_code == 0, second.output
    with Store.open(tmp_path / "s.duckdb", read_only=True) as db:
        daily = db.read("account_daily").sort("date")
        cursor = state_cursor(db.get_state("facebook", "page"))
        metrics = db.read("post_metrics").sort("post_id")
    # The refused days were asked for again and stored once granted.
    assert daily.select("date", "followers", "impressions", "reach").rows() == [
        (date(2026, 11, 19), 1195, 1520, 1010),
        (date(2026, 11, 20), 1199, 980, 700),
        (date(2026, 11, 21), None, 2210, 1650),
        (date(2026, 11, 22), 1204, None, None),
    ]
    assert cursor == {"day": "2026-11-21", "followers": {"2026-11-22": 1204}}
    assert metrics.filter(pl.col("post_id") == "1111_2001")["impressions"].to_list() == [2310]
