"""Each platform's own rate-limit signal, sent by the loopback server, through the platform's rule
and the one HTTP layer: the wait is the one the platform asked for, then the call succeeds."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from socialroi.errors import RateLimited
from tests.adapters.conftest import AS_OF
from tests.adapters.fakeserver import Reply


def epoch(seconds: float) -> str:
    return str(int((AS_OF + timedelta(seconds=seconds)).timestamp()))


META_LIMIT = {"error": {"message": "(#4) Application request limit reached", "code": 4}}
BUC = {"1234": [{"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 3}]}

# platform, refusal (status, body, headers), seconds the layer must wait before retrying
CASES = [
    ("x", 429, {"title": "Too Many Requests"}, {"x-rate-limit-reset": epoch(120)}, 121.0),
    ("facebook", 400, META_LIMIT, {}, 300.0),
    ("facebook", 403, META_LIMIT, {"X-Business-Use-Case-Usage": json.dumps(BUC)}, 180.0),
    (
        "instagram",
        400,
        {"error": {"message": "(#80002) too many calls", "code": 80002}},
        {},
        300.0,
    ),
    ("linkedin", 429, None, {}, 8.5 * 3600),  # 15:30 UTC -> next midnight UTC
    (
        "mastodon",
        429,
        {"error": "Too many requests"},
        {"X-RateLimit-Reset": "2026-11-22T15:35:00Z"},
        300.0,
    ),
    ("bluesky", 429, {"error": "RateLimitExceeded"}, {"RateLimit-Reset": epoch(60)}, 60.0),
    (
        "ga4",
        429,
        {
            "error": {
                "code": 429,
                "message": "Exhausted concurrent requests quota.",
                "status": "RESOURCE_EXHAUSTED",
            }
        },
        {},
        10.0,
    ),
    (
        "hubspot",
        429,
        {
            "status": "error",
            "message": "You have reached your ten_secondly_rolling limit.",
            "errorType": "RATE_LIMIT",
            "policyName": "TEN_SECONDLY_ROLLING",
        },
        {"Retry-After": "4"},
        4.0,
    ),
]


@pytest.mark.parametrize(
    ("platform", "status", "body", "headers", "wait"),
    CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)],
)
def test_the_platform_signal_sets_the_wait(
    fake_server, make_context, fake_clock, platform, status, body, headers, wait
):
    fake_server.script(
        "GET", "/probe", Reply(status, body, headers=headers), Reply(200, {"ok": True})
    )
    ctx = make_context(platform, base_url=fake_server.url, max_wait=86_400)
    assert ctx.http.get_json("/probe") == {"ok": True}
    assert fake_clock.sleeps == [pytest.approx(wait, abs=1.0)]


def test_hubspot_daily_limit_fails_rather_than_waiting_a_day(fake_server, make_context):
    body = {"status": "error", "message": "daily limit", "policyName": "DAILY"}
    fake_server.script("GET", "/probe", Reply(429, body))
    ctx = make_context("hubspot", base_url=fake_server.url)
    with pytest.raises(RateLimited) as err:
        ctx.http.get_json("/probe")
    assert err.value.reset_at == datetime(2026, 11, 23, tzinfo=UTC)  # next midnight UTC
    assert "longer than max_wait" in str(err.value)


def test_linkedin_fail_on_rate_limit_names_midnight(fake_server, make_context):
    fake_server.script("GET", "/probe", Reply(429))
    ctx = make_context("linkedin", base_url=fake_server.url, wait_on_rate_limit=False)
    with pytest.raises(RateLimited, match=r"resets at 2026-11-23 00:00:00Z"):
        ctx.http.get_json("/probe")
