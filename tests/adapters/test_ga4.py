"""GA4 Data API adapter: report pages → aggregate session rows, the date window, quota signals."""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import requests
import responses

from socialroi import schema
from socialroi.adapters import ga4
from socialroi.adapters.sync import run_stream, state_cursor
from socialroi.core.identity import ALL_SOCIAL, resolve
from socialroi.errors import (
    AuthFailed,
    ConfigError,
    PermissionDenied,
    RateLimited,
    UnknownObject,
    UpstreamError,
)
from tests.adapters.conftest import AS_OF
from tests.adapters.contract import run_contract
from tests.adapters.fakeserver import Reply

FIXTURES = Path(__file__).parent / "fixtures" / "ga4"
BASE = "https://ga4.test"
URL = f"{BASE}/v1beta/properties/123456789:runReport"
TOKEN = "ya29.a0-test-token-value"  # noqa: S105 - a fake token
SECRETS = {"access_token": TOKEN}


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture
def make(make_context):
    """make(options=None, **context keywords) -> the GA4 adapter on the fake clock."""

    def build(options=None, **kw):
        opts = {"base_url": BASE, "property_id": "123456789", "page_size": 3, "lookback_days": 3}
        return ga4.create(make_context("ga4", {**opts, **(options or {})}, SECRETS, **kw))

    return build


def serve(rsps: Any, pages: dict[int, str]) -> list[dict[str, Any]]:
    """Answer runReport by the request's offset; returns the request bodies seen."""
    bodies: list[dict[str, Any]] = []

    def answer(request):
        body = json.loads(request.body)
        bodies.append(body)
        return 200, {}, json.dumps(load(pages[body.get("offset", 0)]))

    rsps.add_callback(responses.POST, URL, callback=answer, content_type="application/json")
    return bodies


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


@responses.activate
def test_pages_become_daily_aggregate_session_rows(make):
    bodies = serve(responses, {0: "page1.json", 3: "page2.json"})
    batches = list(make().fetch("sessions", since=None, state=None))

    # two pages: offset 0 then 3 (page_size 3, rowCount 6); the cursor moves on the last only
    assert [b["offset"] for b in bodies] == [0, 3]
    assert bodies[0]["dateRanges"] == [{"startDate": "2026-11-19", "endDate": "2026-11-22"}]
    assert [d["name"] for d in bodies[0]["dimensions"]] == list(ga4.DIMENSIONS)
    assert bodies[0]["metrics"] == [{"name": "sessions"}]
    assert bodies[0]["returnPropertyQuota"]
    assert responses.calls[0].request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert [b.cursor for b in batches] == [None, {"through": "2026-11-22"}]

    rows = pl.concat([b.tables["sessions"] for b in batches])
    assert rows.schema == pl.Schema(schema.table("sessions").polars_schema)
    cols = ["started_at", "source", "medium", "campaign", "content", "term", "landing_page"]
    # days start at midnight New York time (EST, UTC-5); (not set), (other) and campaign
    # placeholders are empty; (direct)/(none) stay for the channel rules
    assert rows.select(*cols, "count").rows() == [
        (at(19, 5), "linkedin.com", "social", "launch", "sr~linkedin~7712~e014", None,
         "/pricing", 12),
        (at(19, 5), "reddit.com", "referral", None, None, None, "/blog/roi", 4),
        (at(20, 5), "(direct)", "(none)", None, None, None, None, 30),
        (at(20, 5), "t.co", "referral", None, None, None, "/", 7),
        (at(21, 5), "l.facebook.com", "paid_social", "winter_promo", "carousel_b",
         "crm software", "/demo", 5),
        (at(21, 5), None, None, None, None, None, None, 9),
    ]  # fmt: skip
    assert rows["count"].sum() == 67
    ids = rows["session_id"].to_list()
    assert len(set(ids)) == 6
    assert ids[0].startswith("ga4:123456789:2026-11-19:")
    assert rows.select("click_id", "visitor_id", "contact_id").null_count().row(0) == (6, 6, 6)


@responses.activate
def test_warnings_name_the_rollup_row_channel_disagreements_and_a_low_quota(make):
    serve(responses, {0: "page1.json", 3: "page2.json"})
    first, second = make().fetch("sessions", since=None, state=None)
    # page 1: GA4 counts reddit as Organic Social, the channel rules as a referral
    assert first.warnings == (
        "GA4 counts 4 sessions from reddit.com / referral as Organic Social; socialroi counts "
        "them as referral (tag organic posts utm_medium=social, ads utm_medium=cpc)",
    )
    # l.facebook.com / paid_social is Paid Social for both (GA4's medium rule), so no warning
    assert len(second.warnings) == 2
    assert "9 sessions are in GA4's '(other)' row" in second.warnings[0]
    # 2,800 of 40,000 hourly tokens left: 7% < 10%
    assert second.warnings[1] == (
        "GA4 property 123456789: 2,800 of 40,000 hourly tokens left (7%); "
        "the next pulls may be refused until it returns"
    )


@responses.activate
def test_an_empty_report_has_no_rows_and_still_moves_the_cursor(make):
    serve(responses, {0: "empty.json"})
    (batch,) = make().fetch("sessions", since=None, state=None)
    assert batch.tables["sessions"].height == 0
    assert batch.cursor == {"through": "2026-11-22"}
    assert batch.warnings == ()


@responses.activate
def test_missing_metadata_takes_days_as_utc(make):
    serve(responses, {0: "no_metadata.json"})
    (batch,) = make().fetch("sessions", since=None, state=None)
    assert batch.tables["sessions"].select("started_at", "source", "count").rows() == [
        (at(22, 0), "bsky.app", 2)
    ]


@responses.activate
def test_the_window_repulls_the_settling_days_after_the_cursor(make):
    bodies = serve(responses, {0: "empty.json"})
    adapter = make({"lookback_days": 90})
    list(adapter.fetch("sessions", since=None, state={"through": "2026-11-20"}))
    list(adapter.fetch("sessions", since=datetime(2026, 10, 1, tzinfo=UTC), state=None))
    list(adapter.fetch("sessions", since=None, state=None))
    assert [b["dateRanges"][0]["startDate"] for b in bodies] == [
        "2026-11-18",  # three settling days: the 18th, 19th and 20th again
        "2026-10-01",  # --since
        "2026-08-24",  # 90 days of lookback
    ]


@responses.activate
def test_rerunning_gives_the_same_ids_so_upserts_replace(make):
    serve(responses, {0: "page1.json", 3: "page2.json"})
    adapter = make()
    ids = [
        pl.concat([b.tables["sessions"] for b in adapter.fetch("sessions", since=None, state=None)])
        .get_column("session_id")
        .to_list()
        for _ in range(2)
    ]
    assert ids[0] == ids[1]


def test_aggregate_rows_weigh_in_the_match_rate():
    df, _ = ga4.report_rows(load("page1.json") | {"rows": load("page1.json")["rows"][:1]}, "1")
    got = resolve(
        sessions=df,
        contacts=schema.empty("contacts"),
        touchpoints=schema.empty("touchpoints"),
        posts=schema.empty("posts"),
        accounts=schema.empty("accounts"),
    )
    assert got.match_rate.rows() == [("linkedin", 12, 0, 0.0), (ALL_SOCIAL, 12, 0, 0.0)]


@responses.activate
def test_check_reports_sessions_and_quota(make):
    responses.add(responses.POST, URL, json=load("check.json"))
    assert make().check() == (
        "property 123456789 (America/New_York): 1,204 sessions in the last 7 days; "
        "199,995 of 200,000 tokens left today"
    )


@responses.activate
def test_an_expired_token_is_auth_failed_without_the_token(make):
    responses.add(responses.POST, URL, json=load("401.json"), status=401)
    with pytest.raises(AuthFailed) as err:
        make().check()
    text = str(err.value)
    assert "SOCIALROI_GA4_ACCESS_TOKEN" in text
    assert TOKEN not in text


def test_the_property_id_is_required(make):
    with pytest.raises(ConfigError, match="property_id"):
        make({"property_id": ""})
    assert make({"property_id": "properties/123456789"}).property_id == "123456789"


# -- rate limits -----------------------------------------------------------------------------------
def response(
    status: int, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None
) -> requests.Response:
    r = requests.Response()
    r.status_code = status
    r._content = json.dumps(body or {}).encode()
    r.headers.update(headers or {})
    return r


def test_rate_limit_rule_reads_which_quota_ran_out():
    now = AS_OF  # 07:30 in Los Angeles (PST, UTC-8)
    hourly = ga4.rate_limit(response(429, load("429_hourly.json")), now)
    assert hourly is not None
    assert (hourly.wait, hourly.retry) == (3600.0, True)
    assert hourly.reason == "GA4: 429 RESOURCE_EXHAUSTED, hourly quota returns within the hour"
    daily = ga4.rate_limit(response(429, load("429_daily.json")), now)
    # next midnight US Pacific: 2026-11-23 00:00 PST = 08:00Z, 16.5 hours away
    assert daily is not None
    assert (daily.wait, daily.retry) == (16.5 * 3600.0, True)
    assert "2026-11-23 08:00Z" in daily.reason
    concurrent = ga4.rate_limit(response(429, load("429_concurrent.json")), now)
    assert concurrent is not None
    assert concurrent.wait == ga4.CONCURRENT_WAIT
    told = ga4.rate_limit(response(429, load("429_hourly.json"), {"Retry-After": "30"}), now)
    assert told is not None
    assert told.wait == 30.0
    assert ga4.rate_limit(response(200, load("page1.json")), now) is None
    assert ga4.rate_limit(response(403, {"error": {"status": "PERMISSION_DENIED"}}), now) is None


@responses.activate
def test_an_hourly_429_waits_then_retries_and_a_daily_one_fails_with_its_reset(make, fake_clock):
    responses.add(responses.POST, URL, json=load("429_hourly.json"), status=429)
    responses.add(responses.POST, URL, json=load("check.json"))
    assert "1,204 sessions" in make().check()
    assert fake_clock.sleeps == [3600.0]

    responses.replace(responses.POST, URL, json=load("429_daily.json"), status=429)
    with pytest.raises(RateLimited) as err:
        make().check()  # 16.5 hours is longer than max_wait (1 hour)
    assert err.value.reset_at == datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def test_contract(make, tmp_path):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        serve(rsps, {0: "page1.json", 3: "page2.json"})
        counts = run_contract(make, tmp_path, secrets=[TOKEN])
    assert counts == {"sessions": 6}


PATH = "/v1beta/properties/123456789:runReport"


def test_faults_on_the_loopback_server_lose_nothing_and_double_nothing(
    fake_server, make, fake_clock, store
):
    page1, page2 = load("page1.json"), load("page2.json")
    fake_server.script(
        "POST",
        PATH,
        Reply(429, load("429_hourly.json")),  # hourly quota: wait, retry
        Reply(200, page1),
        Reply(200, page2, drop="mid-body"),  # page 2 cut half-way, twice
        Reply(200, page2, drop="before"),
        Reply(200, page2),
    )
    adapter = make({"base_url": fake_server.url}, max_retries=1)
    stream = adapter.streams[0]
    first = run_stream(store, adapter, stream, secrets=[TOKEN])
    # retries ran out on page 2 (exit 3); page 1 is kept and the cursor did not move
    assert not first.ok
    assert isinstance(first.exception, UpstreamError)
    assert first.exception.exit_code == 3
    assert TOKEN not in (first.error or "")
    assert fake_clock.sleeps[0] == 3600.0
    assert store.count("sessions") == 3
    assert state_cursor(store.get_state("ga4", "sessions")) is None
    # the next run starts again from the same (unset) cursor and completes
    second = run_stream(store, make({"base_url": fake_server.url}), stream, secrets=[TOKEN])
    assert second.ok
    assert store.read("sessions")["count"].sum() == 67
    assert state_cursor(store.get_state("ga4", "sessions")) == {"through": "2026-11-22"}
    # every call carried the token and asked for the property's quota
    calls = fake_server.calls()
    assert all(c.headers["authorization"] == f"Bearer {TOKEN}" for c in calls)
    assert all(json.loads(c.body)["returnPropertyQuota"] for c in calls)


def test_doctor_requires_the_property_id_only():
    from socialroi.adapters.checks import required_options

    assert required_options(ga4) == ("property_id",)


# -- refusals (the Data API's own bodies) ----------------------------------------------------------
@responses.activate
def test_a_property_refused_on_page_two_fails_the_stream_and_keeps_the_cursor(make, store):
    """Page 1 commits; page 2 is refused: no cursor, so the next pull asks for the days again."""

    def answer(request):
        offset = json.loads(request.body).get("offset", 0)
        if offset == 0:
            return 200, {}, json.dumps(load("page1.json"))
        return 403, {}, json.dumps(load("403_property.json"))

    responses.add_callback(responses.POST, URL, callback=answer, content_type="application/json")
    adapter = make()
    result = run_stream(store, adapter, adapter.streams[0], secrets=[TOKEN])
    assert result.status == "failed"
    assert isinstance(result.exception, PermissionDenied)
    assert result.rows == 3  # page 1's rows stay
    assert state_cursor(store.get_state("ga4", "sessions")) is None
    text = result.error or ""
    assert "GA4 property 123456789: runReport refused (HTTP 403 PERMISSION_DENIED)" in text
    assert "User does not have sufficient permissions for this property" in text
    assert "Viewer role" in text
    assert "Property access management" in text
    assert TOKEN not in text


@responses.activate
def test_an_invalid_metric_names_the_field_and_is_not_a_permission(make):
    responses.add(responses.POST, URL, json=load("400_invalid_metric.json"), status=400)
    with pytest.raises(UpstreamError) as err:
        list(make().fetch("sessions", since=None, state=None))
    assert not isinstance(err.value, PermissionDenied)
    assert "Field pageViews is not a valid metric" in str(err.value)
    assert err.value.exit_code == 3


@responses.activate
def test_an_unknown_property_names_property_id(make):
    responses.add(responses.POST, URL, json=load("404_property.json"), status=404)
    with pytest.raises(UnknownObject, match=r"platforms\.ga4\.property_id"):
        make().check()
