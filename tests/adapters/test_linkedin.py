"""LinkedIn adapter: versioned REST fixtures in LinkedIn's own format, through `responses`."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import polars as pl
import pytest
import requests
import responses
from click.testing import CliRunner
from responses import matchers

from socialroi import clock
from socialroi.adapters import linkedin
from socialroi.adapters._http import HttpStatusError
from socialroi.adapters.base import Adapter, Batch
from socialroi.errors import (
    AuthFailed,
    ConfigError,
    PermissionDenied,
    RateLimited,
    UnknownObject,
    UpstreamError,
)
from socialroi.store import Store
from tests.adapters.conftest import AS_OF, FakeClock, MakeContext, load_fixture
from tests.adapters.contract import run_contract
from tests.adapters.fakeserver import FakeServer, Reply, Seen

API = "https://api.linkedin.com/rest"
ORG_ENC = "urn%3Ali%3Aorganization%3A12345678"
TOKEN = "AQV-linkedin-token-0123456789"  # noqa: S105 - a fixture token
OPTIONS = {"organization_id": "12345678", "lookback_days": 3, "page_size": 2}
SHARE = "urn:li:share:7261000000000000001"
UGC = "urn:li:ugcPost:7259000000000000002"


def load(name: str) -> Any:
    return load_fixture("linkedin", name)


def adapter(make_context: MakeContext, **kw: Any) -> Adapter:
    opts = {**OPTIONS, **kw.pop("options", {})}
    return linkedin.create(make_context("linkedin", opts, {"access_token": TOKEN}, **kw))


def collect(batches: list[Batch], table: str) -> pl.DataFrame:
    frames = [b.tables[table] for b in batches if table in b.tables]
    return pl.concat(frames) if frames else pl.DataFrame()


def _start(n: int) -> Any:
    return matchers.query_param_matcher({"start": str(n)}, strict_match=False)


def add_posts(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{API}/posts", json=load("posts_page1"), match=[_start(0)])
    rsps.get(f"{API}/posts", json=load("posts_page2"), match=[_start(2)])


def _has(param: str) -> Any:
    def match(request: requests.PreparedRequest) -> tuple[bool, str]:
        return param in parse_qs(urlsplit(request.url or "").query), f"no {param}"

    return match


def add_stats(rsps: responses.RequestsMock, *, ugc: tuple[Any, int] | None = None) -> None:
    stats = f"{API}/organizationalEntityShareStatistics"
    rsps.get(stats, json=load("share_stats_shares"), match=[_has("shares")])
    body, status = ugc or (load("share_stats_ugc"), 200)
    rsps.get(stats, json=body, status=status, match=[_has("ugcPosts")])
    rsps.get(stats, json=load("share_stats_daily"), match=[_has("timeIntervals")])


def add_org(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{API}/organizations/12345678", json=load("organization"))
    rsps.get(f"{API}/networkSizes/{ORG_ENC}", json=load("network_size"))


def test_posts_pages_rows_headers_and_restli_query(make_context: MakeContext) -> None:
    a = adapter(make_context)
    with responses.RequestsMock() as rsps:
        add_posts(rsps)
        batches = list(a.fetch("posts", since=None, state=None))
        first = rsps.calls[0].request
    # The URN is percent-encoded in the query, exactly as Rest.li wants it.
    assert f"author={ORG_ENC}&q=author&count=2&start=0&sortBy=CREATED" in (first.url or "")
    assert first.headers["Linkedin-Version"] == "202607"
    assert first.headers["X-Restli-Protocol-Version"] == "2.0.0"
    assert first.headers["Authorization"] == f"Bearer {TOKEN}"
    posts = collect(batches, "posts").sort("created_at", descending=True)
    assert posts["post_id"].to_list() == [SHARE, UGC, "urn:li:share:7200000000000000003"]
    report = posts.row(0, named=True)
    assert report["created_at"] == datetime(2026, 11, 20, 9, 15, tzinfo=UTC)
    assert report["account_id"] == "urn:li:organization:12345678"
    assert report["kind"] == "broadcast"
    assert report["link_url"].startswith("https://acme.example/report-2026?")
    assert (report["utm_source"], report["campaign"]) == ("linkedin", "annual-report")
    assert report["utm_content"] == "sr~linkedin~7261000000000000001~brand"
    reshare = posts.row(1, named=True)
    assert (reshare["kind"], reshare["text"], reshare["link_url"]) == ("share", None, None)
    jobs = posts.row(2, named=True)  # no article: the link written in the text, "." dropped
    assert jobs["link_url"] == (
        "https://acme.example/jobs?utm_source=linkedin&utm_medium=social&utm_campaign=hiring"
    )
    assert batches[-1].cursor == {"created_at": "2026-11-20T09:15:00+00:00"}
    assert all(b.cursor is None for b in batches[:-1])


def test_posts_resume_stops_at_the_cursor_and_an_empty_page_keeps_it(
    make_context: MakeContext,
) -> None:
    a = adapter(make_context)
    with responses.RequestsMock() as rsps:
        add_posts(rsps)
        state = {"created_at": "2026-11-12T14:00:00+00:00"}
        batches = list(a.fetch("posts", since=None, state=state))
    assert sorted(collect(batches, "posts")["post_id"].to_list()) == [SHARE, UGC]
    with responses.RequestsMock() as rsps:
        rsps.get(f"{API}/posts", json=load("posts_empty"))
        batches = list(a.fetch("posts", since=None, state={"created_at": "2026-11-20T09:15:00"}))
        assert len(rsps.calls) == 1
    assert collect(batches, "posts").height == 0
    assert all(b.cursor is None for b in batches)


def test_post_metrics_ask_for_shares_and_ugc_posts_as_restli_lists(
    make_context: MakeContext,
) -> None:
    a = adapter(make_context)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        add_posts(rsps)
        add_stats(rsps)
        batches = list(a.fetch("post_metrics", since=None, state=None))
        urls = [
            c.request.url or "" for c in rsps.calls if "ShareStatistics" in (c.request.url or "")
        ]
    assert [u.split("&", 2)[2] for u in urls] == [
        "shares=List(urn%3Ali%3Ashare%3A7261000000000000001)",
        "ugcPosts=List(urn%3Ali%3AugcPost%3A7259000000000000002)",
    ]
    rows = {r["post_id"]: r for r in collect(batches, "post_metrics").to_dicts()}
    assert rows[SHARE] == {
        "platform": "linkedin",
        "post_id": SHARE,
        "as_of": datetime(2026, 11, 22, tzinfo=UTC),
        "impressions": 3540,
        "reach": 2140,
        "likes": 51,
        "comments": 12,
        "shares": 7,
        "saves": None,
        "clicks": 96,
    }
    assert (rows[UGC]["impressions"], rows[UGC]["shares"]) == (1100, 0)
    # The June post is older than metrics_days: page 2 ends the walk, no row for it.
    assert sorted(rows) == sorted([SHARE, UGC])
    assert [w for b in batches for w in b.warnings] == []


@pytest.mark.parametrize(
    ("fixture", "text"),
    [("error_unpermitted", "Unpermitted fields"), ("error_field_validation", "Field Value")],
)
def test_a_statistics_call_refused_for_its_fields_is_a_warning_and_the_rest_still_loads(
    make_context: MakeContext, fixture: str, text: str
) -> None:
    a = adapter(make_context)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        add_posts(rsps)
        add_stats(rsps, ugc=(load(fixture), 403))
        batches = list(a.fetch("post_metrics", since=None, state=None))
    assert collect(batches, "post_metrics")["post_id"].to_list() == [SHARE]
    warnings = [w for b in batches for w in b.warnings]
    assert any(text in w for w in warnings)
    assert any("no statistics returned for 1 post(s): " + UGC in w for w in warnings)


def test_statistics_refused_for_a_missing_permission_fail_post_metrics(
    make_context: MakeContext,
) -> None:
    """LinkedIn's real ACCESS_DENIED body: not a per-post warning, the stream fails."""
    a = adapter(make_context)
    got: list[Batch] = []
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        add_posts(rsps)
        add_stats(rsps, ugc=(load("error_access_denied"), 403))
        with pytest.raises(PermissionDenied) as err:
            got.extend(a.fetch("post_metrics", since=None, state=None))
    assert got == []  # the page whose statistics were refused is not half-stored
    text = str(err.value)
    assert "rw_organization_admin" in text
    assert "Not enough permissions to access" in text
    assert err.value.exit_code == 3


def test_a_refused_window_fails_the_stream_with_the_earlier_windows_committed(
    make_context: MakeContext,
) -> None:
    """200 days in windows of 90: the second window is refused, so the cursor stays at the
    end of the first and the next pull starts again at the refused days."""
    a = adapter(make_context, options={"lookback_days": 200})
    got: list[Batch] = []
    stats = f"{API}/organizationalEntityShareStatistics"
    with responses.RequestsMock() as rsps:
        add_org(rsps)
        rsps.get(stats, json=load("share_stats_daily"))
        rsps.get(stats, json=load("error_access_denied"), status=403)
        with pytest.raises(PermissionDenied) as err:
            got.extend(a.fetch("organization", since=None, state=None))
    assert [b.cursor for b in got] == [
        {"day": "2026-08-03", "followers": {"2026-11-22": 3870}}  # 2026-05-06 + 89 days
    ]
    text = str(err.value)
    assert "rw_organization_admin" in text
    assert "linkedin.com/developers/apps" in text
    assert "Auth tab" in text
    assert "SOCIALROI_LINKEDIN_ACCESS_TOKEN" in text
    assert TOKEN not in text


def test_posts_refused_name_r_organization_social(make_context: MakeContext) -> None:
    with responses.RequestsMock() as rsps:
        rsps.get(f"{API}/posts", json=load("error_access_denied"), status=403)
        with pytest.raises(PermissionDenied, match="r_organization_social"):
            list(adapter(make_context).fetch("posts", since=None, state=None))


def test_a_member_who_is_not_an_administrator_is_told_so(make_context: MakeContext) -> None:
    with responses.RequestsMock() as rsps:
        rsps.get(f"{API}/organizations/12345678", json=load("error_admin_only"), status=403)
        with pytest.raises(PermissionDenied, match="ADMINISTRATOR role of organization 12345678"):
            adapter(make_context).check()


def test_an_unknown_organization_names_organization_id(make_context: MakeContext) -> None:
    with responses.RequestsMock() as rsps:
        rsps.get(f"{API}/organizations/12345678", json=load("error_404"), status=404)
        with pytest.raises(UnknownObject, match=r"platforms\.linkedin\.organization_id"):
            list(adapter(make_context).fetch("organization", since=None, state=None))


def test_expired_token_is_auth_failed_with_linkedins_words(make_context: MakeContext) -> None:
    with responses.RequestsMock() as rsps:
        rsps.get(f"{API}/organizations/12345678", json=load("error_expired"), status=401)
        with pytest.raises(AuthFailed) as err:
            adapter(make_context).check()
    assert "Invalid access token" in str(err.value)
    assert "SOCIALROI_LINKEDIN_ACCESS_TOKEN" in str(err.value)


def test_an_invalid_parameter_is_an_upstream_error_not_a_permission(
    make_context: MakeContext,
) -> None:
    with responses.RequestsMock() as rsps:
        rsps.get(f"{API}/posts", json=load("error_invalid_params"), status=400)
        with pytest.raises(HttpStatusError) as err:
            list(adapter(make_context).fetch("posts", since=None, state=None))
    assert not isinstance(err.value, PermissionDenied)
    assert "HTTP 400: Invalid query parameters passed to request" in str(err.value)


def test_organization_daily_statistics_and_followers(make_context: MakeContext) -> None:
    a = adapter(make_context)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        add_org(rsps)
        add_stats(rsps)
        batches = list(a.fetch("organization", since=None, state=None))
        urls = [c.request.url or "" for c in rsps.calls]
    daily_url = next(u for u in urls if "timeIntervals" in u)
    assert daily_url.endswith(
        f"organizationalEntity={ORG_ENC}&timeIntervals=(timeRange:(start:1795046400000,"
        "end:1795305600000),timeGranularityType:DAY)"
    )
    assert collect(batches, "accounts").unique().to_dicts() == [
        {
            "platform": "linkedin",
            "account_id": "urn:li:organization:12345678",
            "handle": "acme-consulting",
            "owner": "brand",
        }
    ]
    daily = collect(batches, "account_daily").sort("date")
    cols = ("date", "followers", "impressions", "engagements", "profile_clicks")
    assert daily.select(cols).rows() == [
        (date(2026, 11, 19), None, 690, 27, None),  # 14 likes + 2 comments + 2 shares + 9 clicks
        (date(2026, 11, 21), None, 1210, 80, None),  # 40 + 6 + 3 + 31
        # the follower count is filed under the run's day, as X, Mastodon and Bluesky file it
        (date(2026, 11, 22), 3870, None, None, None),
    ]
    # the cursor keeps the run day's count for the statistics row the next run writes for it
    assert batches[-1].cursor == {"day": "2026-11-21", "followers": {"2026-11-22": 3870}}


def test_next_days_statistics_row_keeps_the_follower_count_filed_the_day_before(
    make_context: MakeContext,
) -> None:
    next_day = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
    a = adapter(make_context, as_of=next_day)
    day22 = {
        "elements": [
            {
                "totalShareStatistics": {
                    "shareCount": 1,
                    "engagement": 0.05,
                    "clickCount": 12,
                    "likeCount": 20,
                    "impressionCount": 700,
                    "commentCount": 2,
                },
                "organizationalEntity": "urn:li:organization:12345678",
                "timeRange": {"start": 1795305600000, "end": 1795392000000},
            }
        ]
    }
    state = {"day": "2026-11-21", "followers": {"2026-11-22": 3870}}
    with responses.RequestsMock() as rsps:
        rsps.get(f"{API}/organizations/12345678", json=load("organization"))
        rsps.get(f"{API}/networkSizes/{ORG_ENC}", json={"firstDegreeSize": 3901})
        rsps.get(f"{API}/organizationalEntityShareStatistics", json=day22)
        batches = list(a.fetch("organization", since=None, state=state))
    daily = collect(batches, "account_daily").sort("date")
    assert daily.select("date", "followers", "impressions", "engagements").rows() == [
        (date(2026, 11, 22), 3870, 700, 35),  # yesterday's snapshot survives the stats row
        (date(2026, 11, 23), 3901, None, None),
    ]
    assert batches[-1].cursor == {"day": "2026-11-22", "followers": {"2026-11-23": 3901}}


def test_rule_waits_until_next_utc_midnight_on_a_bare_429() -> None:
    resp = requests.Response()
    resp.status_code = 429
    resp._content = b'{"status":429,"message":"Resource level throttle APPLICATION DAY limit"}'
    sig = linkedin.rate_limit(resp, AS_OF)
    assert sig is not None
    assert sig.retry
    assert sig.wait == 8.5 * 3600  # 15:30 -> 00:00 UTC
    assert "2026-11-23 00:00Z" in sig.reason
    ok = requests.Response()
    ok.status_code = 200
    assert linkedin.rate_limit(ok, AS_OF) is None


def test_daily_limit_fails_with_the_reset_time_under_the_default_max_wait(
    make_context: MakeContext, fake_clock: FakeClock
) -> None:
    with responses.RequestsMock() as rsps:
        rsps.get(f"{API}/organizations/12345678", json=load("error_429"), status=429)
        with pytest.raises(RateLimited) as err:
            adapter(make_context).check()
    assert err.value.reset_at == datetime(2026, 11, 23, tzinfo=UTC)
    assert "2026-11-23 00:00:00Z" in str(err.value)
    assert fake_clock.sleeps == []


def test_daily_limit_is_waited_out_when_max_wait_allows(
    make_context: MakeContext, fake_clock: FakeClock
) -> None:
    with responses.RequestsMock() as rsps:
        rsps.get(f"{API}/organizations/12345678", json=load("error_429"), status=429)
        rsps.get(f"{API}/organizations/12345678", json=load("organization"))
        text = adapter(make_context, max_wait=86400).check()
    assert text == "LinkedIn organization Acme Consulting (acme-consulting)"
    assert fake_clock.sleeps == [30600.0]


def test_sunset_version_names_the_setting(make_context: MakeContext) -> None:
    with responses.RequestsMock() as rsps:
        rsps.get(f"{API}/organizations/12345678", json=load("error_426"), status=426)
        with pytest.raises(UpstreamError, match=r"platforms\.linkedin\.api_version") as err:
            adapter(make_context, options={"api_version": "202405"}).check()
    assert "202405" in str(err.value)
    assert err.value.exit_code == 3


def test_revoked_token_is_auth_failed_without_the_token(make_context: MakeContext) -> None:
    with responses.RequestsMock() as rsps:
        rsps.get(f"{API}/organizations/12345678", json=load("error_revoked"), status=401)
        with pytest.raises(AuthFailed) as err:
            adapter(make_context).check()
    assert "SOCIALROI_LINKEDIN_ACCESS_TOKEN" in str(err.value)
    assert TOKEN not in str(err.value)


def test_organization_id_must_be_a_number(make_context: MakeContext) -> None:
    with pytest.raises(ConfigError, match="organization_id"):
        adapter(make_context, options={"organization_id": "acme-consulting"})
    urn = adapter(make_context, options={"organization_id": "urn:li:organization:12345678"})
    assert urn.streams == linkedin.STREAMS


def test_contract(make_context: MakeContext, tmp_path: Path) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        add_posts(rsps)
        add_stats(rsps)
        add_org(rsps)
        ctx = make_context("linkedin", OPTIONS, {"access_token": TOKEN})
        counts = run_contract(lambda: linkedin.create(ctx), tmp_path, secrets=[TOKEN])
    assert counts == {"accounts": 1, "account_daily": 3, "posts": 3, "post_metrics": 2}


# -- evidence: `socialroi pull` with a refused permission, then after it was granted -------------


class _LinkedInServer:
    """LinkedIn's endpoints on the loopback server; statistics refused until `granted`."""

    def __init__(self) -> None:
        self.granted = False

    def __call__(self, seen: Seen) -> Reply | None:
        path, query = seen.path, seen.query
        if path == "/rest/organizations/12345678":
            return Reply(200, load("organization"))
        if path.startswith("/rest/networkSizes/"):
            return Reply(200, load("network_size"))
        if path == "/rest/posts":
            return Reply(200, load("posts_page1" if query.get("start") == "0" else "posts_page2"))
        if path == "/rest/organizationalEntityShareStatistics":
            if not self.granted:
                return Reply(403, load("error_access_denied"))
            if "timeIntervals" in query:
                return Reply(200, load("share_stats_daily"))
            return Reply(
                200, load("share_stats_shares" if "shares" in query else "share_stats_ugc")
            )
        return None


def test_pull_refused_then_granted_fetches_the_refused_days(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from socialroi.cli import main  # here, so a CLI problem fails this test only

    monkeypatch.setattr(clock, "now", lambda: AS_OF)
    platform = _LinkedInServer()
    env = {"SOCIALROI_LINKEDIN_ACCESS_TOKEN": TOKEN, "SOCIALROI_SECRETS": ""}
    db = tmp_path / "s.duckdb"
    with FakeServer(route=platform) as srv:
        cfg = tmp_path / "socialroi.toml"
        cfg.write_text(
            '[company]\nname = "Test"\n[platforms.linkedin]\norganization_id = "12345678"\n'
            f'base_url = "{srv.url}"\nlookback_days = 3\npage_size = 2\n',
            encoding="utf-8",
        )
        argv = ["pull", "--config", str(cfg), "--store", str(db), "--quiet"]
        first = CliRunner().invoke(main, argv, env=env)
        assert first.exit_code == 4, first.output  # posts committed, statistics refused
        assert "linkedin/organization: LinkedIn: GET /rest/organizationalEntity" in first.stderr
        assert "lacks the permission rw_organization_admin" in first.stderr
        assert "Committed: linkedin/posts (3 rows)" in first.stderr
        assert TOKEN not in first.output + first.stderr
        with Store.open(db, read_only=True) as store:
            assert store.count("account_daily") == 0
            assert store.get_state("linkedin", "organization") is None  # no cursor moved
            assert store.count("posts") == 3

        platform.granted = True  # the scope was added and the page admin consented again
        second = CliRunner().invoke(main, argv, env=env)
        assert second.exit_code == 0, second.output
    with Store.open(db, read_only=True) as store:
        daily = store.read("account_daily").sort("date")
        metrics = store.read("post_metrics").sort("post_id")
    assert daily.select("date", "followers", "impressions", "engagements").rows() == [
        (date(2026, 11, 19), None, 690, 27),
        (date(2026, 11, 21), None, 1210, 80),
        (date(2026, 11, 22), 3870, None, None),
    ]
    assert metrics.select("post_id", "impressions").rows() == [(SHARE, 3540), (UGC, 1100)]
