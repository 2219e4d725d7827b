"""The HTTP layer against the loopback fake server: retries, timeouts, drops, rate limits."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta

import pytest
import requests

from socialroi.adapters._http import (
    Http,
    HttpStatusError,
    Signal,
    platform_message,
    retry_after,
    scrub,
)
from socialroi.errors import AuthFailed, RateLimited, UpstreamError
from tests.adapters.conftest import AS_OF
from tests.adapters.fakeserver import Reply

SECRET = "tok-9f8e7d6c5b4a"  # noqa: S105 - a made-up token the tests hunt for


def reset_rule(response: requests.Response, now: datetime) -> Signal | None:
    """Like X: a 429 carries an absolute epoch reset; remaining 0 on a 200 means slow down."""
    reset = response.headers.get("x-rate-limit-reset")
    if reset is None:
        return None
    wait = max(0.0, float(reset) - now.timestamp())
    if response.status_code == 429:
        return Signal(wait=wait, retry=True, reason=f"test: 429, resets in {wait:g}s")
    if response.headers.get("x-rate-limit-remaining") == "0":
        return Signal(wait=wait, retry=False, reason="test: window spent")
    return None


def epoch(seconds_after_as_of: float) -> str:
    return str(int((AS_OF + timedelta(seconds=seconds_after_as_of)).timestamp()))


def test_5xx_is_retried_with_growing_backoff_then_succeeds(fake_server, make_http, fake_clock):
    fake_server.script(
        "GET", "/items", Reply(503), Reply(502, "bad gateway"), Reply(200, {"ok": 1})
    )
    http = make_http(fake_server.url, backoff=1.0)
    assert http.get_json("/items") == {"ok": 1}
    assert len(fake_server.calls("/items")) == 3
    first, second = fake_clock.sleeps
    assert 1.0 <= first < 2.0  # backoff × (1 + jitter)
    assert 2.0 <= second < 4.0  # doubled


def test_retries_run_out_with_upstream_error(fake_server, make_http):
    fake_server.script("GET", "/items", Reply(500, {"error": {"message": "backend down"}}))
    http = make_http(fake_server.url, max_retries=2)
    with pytest.raises(UpstreamError) as err:
        http.get("/items")
    assert err.value.exit_code == 3
    assert len(fake_server.calls("/items")) == 3
    assert "HTTP 500 (backend down); gave up after 3 attempts" in str(err.value)


def test_a_slow_server_times_out_and_is_retried(fake_server, make_http):
    fake_server.script("GET", "/slow", Reply(200, {"late": True}, delay=1.0), Reply(200, {"n": 2}))
    http = make_http(fake_server.url, timeout=(1.0, 0.2))
    assert http.get_json("/slow") == {"n": 2}
    assert len(fake_server.calls("/slow")) == 2


def test_timeouts_until_retries_run_out(fake_server, make_http):
    fake_server.script("GET", "/slow", Reply(200, {}, delay=0.5))
    http = make_http(fake_server.url, timeout=(1.0, 0.1), max_retries=1)
    with pytest.raises(UpstreamError, match="timed out; gave up after 2 attempts"):
        http.get("/slow")


@pytest.mark.parametrize("drop", ["before", "mid-body"])
def test_a_dropped_connection_is_retried(fake_server, make_http, drop):
    fake_server.script(
        "GET", "/page", Reply(200, {"items": [1, 2, 3]}, drop=drop), Reply(200, {"items": [1]})
    )
    http = make_http(fake_server.url)
    assert http.get_json("/page") == {"items": [1]}
    assert len(fake_server.calls("/page")) == 2


def test_a_rate_limit_signal_waits_the_signalled_time(fake_server, make_http, fake_clock):
    fake_server.script(
        "GET",
        "/items",
        Reply(429, {"title": "Too Many Requests"}, headers={"x-rate-limit-reset": epoch(90)}),
        Reply(200, {"ok": True}),
    )
    http = make_http(fake_server.url, rate_limit=reset_rule)
    assert http.get_json("/items") == {"ok": True}
    assert fake_clock.sleeps == [90.0]


def test_fail_on_rate_limit_raises_with_the_reset_time(fake_server, make_http, fake_clock):
    fake_server.script("GET", "/items", Reply(429, headers={"x-rate-limit-reset": epoch(600)}))
    http = make_http(fake_server.url, rate_limit=reset_rule, wait_on_rate_limit=False)
    with pytest.raises(RateLimited) as err:
        http.get("/items")
    assert err.value.reset_at == AS_OF + timedelta(seconds=600)
    assert err.value.exit_code == 3
    assert "resets at 2026-11-22 15:40:00Z" in str(err.value)
    assert "--fail-on-rate-limit" in str(err.value)
    assert fake_clock.sleeps == []
    assert len(fake_server.calls("/items")) == 1


def test_a_wait_longer_than_max_wait_fails_instead(fake_server, make_http, fake_clock):
    fake_server.script("GET", "/items", Reply(429, headers={"x-rate-limit-reset": epoch(7200)}))
    http = make_http(fake_server.url, rate_limit=reset_rule, max_wait=3600)
    with pytest.raises(RateLimited, match="longer than max_wait"):
        http.get("/items")
    assert fake_clock.sleeps == []


def test_endless_rate_limit_refusals_stop(fake_server, make_http, fake_clock):
    fake_server.script("GET", "/items", Reply(429, headers={"x-rate-limit-reset": epoch(0)}))
    http = make_http(fake_server.url, rate_limit=reset_rule, max_retries=2)
    with pytest.raises(RateLimited, match="still rate limited after 5 waits"):
        http.get("/items")
    assert len(fake_server.calls("/items")) == 5


def test_proactive_slow_down_waits_before_the_next_call(fake_server, make_http, fake_clock):
    spent = {"x-rate-limit-remaining": "0", "x-rate-limit-reset": epoch(45)}
    fake_server.script("GET", "/a", Reply(200, {"page": 1}, headers=spent))
    fake_server.script("GET", "/b", Reply(200, {"page": 2}))
    http = make_http(fake_server.url, rate_limit=reset_rule)
    assert http.get_json("/a") == {"page": 1}
    assert fake_clock.sleeps == []  # the answer itself is returned at once
    assert http.get_json("/b") == {"page": 2}
    assert fake_clock.sleeps == [45.0]  # ... and the next call waits first
    http.get_json("/b")
    assert fake_clock.sleeps == [45.0]  # once


def test_bare_429_honours_retry_after(fake_server, make_http, fake_clock):
    fake_server.script(
        "GET", "/items", Reply(429, headers={"Retry-After": "7"}), Reply(200, {"ok": 1})
    )
    http = make_http(fake_server.url)
    assert http.get_json("/items") == {"ok": 1}
    assert fake_clock.sleeps == [7.0]


def test_bare_429_without_waiting_is_rate_limited(fake_server, make_http):
    fake_server.script("GET", "/items", Reply(429, headers={"Retry-After": "30"}))
    http = make_http(fake_server.url, wait_on_rate_limit=False)
    with pytest.raises(RateLimited) as err:
        http.get("/items")
    assert err.value.reset_at == AS_OF + timedelta(seconds=30)


def test_401_names_the_setting_and_never_the_secret(fake_server, make_http, caplog):
    caplog.set_level(logging.DEBUG)
    fake_server.script(
        "GET", "/me", Reply(401, {"error": {"message": f"Invalid OAuth access token {SECRET}"}})
    )
    http = make_http(
        fake_server.url,
        platform="facebook",
        secrets=[SECRET],
        auth_hint="SOCIALROI_FACEBOOK_ACCESS_TOKEN (or [facebook] in config/secrets.toml)",
    )
    http.headers["Authorization"] = f"Bearer {SECRET}"
    with pytest.raises(AuthFailed) as err:
        http.get("/me", params={"access_token": SECRET, "fields": "id"})
    msg = str(err.value)
    assert "facebook: GET /me: HTTP 401" in msg
    assert "SOCIALROI_FACEBOOK_ACCESS_TOKEN" in msg
    assert "Invalid OAuth access token ***" in msg
    assert SECRET not in msg
    assert caplog.records, "the call is logged"
    assert SECRET not in caplog.text
    assert fake_server.calls("/me")[0].query["access_token"] == SECRET  # it was really sent


def test_other_4xx_carry_the_platform_message_and_status(fake_server, make_http):
    fake_server.script(
        "GET", "/posts/9", Reply(404, {"message": "Post 9 does not exist", "status": "error"})
    )
    http = make_http(fake_server.url, platform="hubspot")
    with pytest.raises(HttpStatusError) as err:
        http.get_json("/posts/9")
    assert err.value.status == 404
    assert err.value.exit_code == 3
    assert str(err.value) == "hubspot: GET /posts/9: HTTP 404: Post 9 does not exist"
    assert len(fake_server.calls("/posts/9")) == 1  # a 4xx is not retried


def test_secrets_are_scrubbed_from_retry_exhaustion(fake_server, make_http):
    fake_server.script("GET", "/x", Reply(503, {"error": f"token {SECRET} overloaded"}))
    http = make_http(fake_server.url, secrets=[SECRET], max_retries=0)
    with pytest.raises(UpstreamError) as err:
        http.get("/x", params={"access_token": SECRET})
    assert "overloaded" in str(err.value)
    assert SECRET not in str(err.value)


def test_connection_refused_gives_up_without_leaking_the_query(make_http):
    http = make_http("http://127.0.0.1:9", secrets=[SECRET], max_retries=1)
    with pytest.raises(UpstreamError) as err:
        http.get("/x", params={"access_token": SECRET})
    assert re.search(r"connection failed \(.*\); gave up after 2 attempts", str(err.value))
    assert SECRET not in str(err.value)


def test_non_json_body_is_an_upstream_error(fake_server, make_http):
    fake_server.script(
        "GET", "/x", Reply(200, "<html>maintenance</html>", {"Content-Type": "text/html"})
    )
    with pytest.raises(UpstreamError, match="expected JSON, got text/html"):
        make_http(fake_server.url).get_json("/x")


def test_hard_coded_hosts_are_rewritten_to_the_base_url(fake_server, make_http):
    fake_server.script("GET", "/2/users/me", Reply(200, {"data": {"id": "1"}}))
    http = make_http(fake_server.url, rewrite_hosts={"https://api.twitter.com": fake_server.url})
    resp = http.get("https://api.twitter.com/2/users/me")
    assert resp.json() == {"data": {"id": "1"}}
    assert http.url("https://api.twitter.com.example/2") == "https://api.twitter.com.example/2"
    assert http.url("/2/a") == fake_server.url + "/2/a"
    assert http.url("2/a") == fake_server.url + "/2/a"


def test_tweepy_sends_through_the_layer(fake_server, make_http):
    import tweepy

    fake_server.script(
        "GET",
        "/2/users/by/username/acme",
        Reply(200, {"data": {"id": "42", "name": "Acme", "username": "acme"}}),
    )
    http = make_http(fake_server.url, rewrite_hosts={"https://api.twitter.com": fake_server.url})
    client = tweepy.Client(bearer_token=SECRET)
    client.session = http
    user = client.get_user(username="acme").data
    assert user.id == 42
    assert fake_server.calls()[0].headers["authorization"] == f"Bearer {SECRET}"


def test_helpers():
    assert scrub("GET /a?access_token=abc123&x=1") == "GET /a?access_token=***&x=1"
    assert scrub("Authorization: Bearer AAAAAAAAAAAAAAAAAAAAAA") == "Authorization: Bearer ***"
    assert scrub("the token s3cr3t-value failed", ["s3cr3t-value"]) == "the token *** failed"
    assert platform_message({"error": {"message": "m", "code": 4}}) == "m"
    assert (
        platform_message({"error": "invalid_grant", "error_description": "d"}) == "invalid_grant: d"
    )
    assert platform_message({"errors": [{"code": 88, "message": "Rate limit exceeded"}]}) == (
        "Rate limit exceeded"
    )
    assert platform_message(["x"]) is None
    resp = requests.Response()
    resp.headers["Retry-After"] = "Sun, 22 Nov 2026 15:31:00 GMT"
    assert retry_after(resp, datetime(2026, 11, 22, 15, 30, tzinfo=UTC)) == 60.0
    resp.headers["Retry-After"] = "soon"
    assert retry_after(resp, AS_OF) is None


def test_http_is_a_requests_session():
    assert isinstance(Http("x", "https://api.twitter.com"), requests.Session)


# -- taps and the recording scrubber --------------------------------------------------------------


def test_taps_see_every_response_retried_ones_included(fake_server, make_http):
    fake_server.script("GET", "/a", Reply(503), Reply(404, {"message": "gone"}))
    http = make_http(fake_server.url)
    seen: list[int] = []
    http.taps.append(lambda r: seen.append(r.status_code))
    with pytest.raises(UpstreamError, match="HTTP 404"):
        http.get_json("/a")
    assert seen == [503, 404]


def test_a_secret_parameter_stops_at_the_end_of_a_link_header():
    assert scrub("<https://h/p?page=2&access_token=abc>; rel=next") == (
        "<https://h/p?page=2&access_token=***>; rel=next"
    )


def test_the_scrubber_keeps_metric_and_field_names_and_ids():
    from socialroi.adapters.recording import Scrubber

    s = Scrubber()
    graph = {  # Graph insights: "name" is the metric
        "data": [{"name": "page_impressions", "period": "day", "id": "1/insights/x/day"}],
        "paging": {"cursors": {"after": "QVFIUj"}},
    }
    ga4 = {
        "dimensionHeaders": [{"name": "sessionSourceMedium"}],
        "metricHeaders": [{"name": "sessions", "type": "TYPE_INTEGER"}],
    }
    hubspot = {
        "filterGroups": [
            {"filters": [{"propertyName": "email", "operator": "EQ", "value": "ann@firm.example"}]}
        ],
        "after": "200",
        "next_page_token": "np-1",
    }
    s.collect([graph, ga4, hubspot])
    assert s.clean(graph) == graph
    assert s.clean(ga4) == ga4
    assert s.clean(hubspot)["filterGroups"][0]["filters"][0] == {
        "propertyName": "email",
        "operator": "EQ",
        "value": "person1@example.invalid",
    }
    assert s.clean(hubspot)["next_page_token"] == "np-1"  # noqa: S105 - a paging token


def test_the_scrubber_replaces_people_pages_and_handles_everywhere():
    from socialroi.adapters.recording import Scrubber

    s = Scrubber(secrets=["s3cr3t-value"])
    s.seed_options({"accounts": ["acme.bsky.social", {"handle": "jdoe", "owner": "e014"}]})
    linkedin = {
        "localizedName": "Acme Corp",
        "vanityName": "acme-corp",
        "id": 2414183,
        "name": {
            "localized": {"en_US": "Acme Corp"},
            "preferredLocale": {"country": "US", "language": "en"},
        },
    }
    mastodon = {
        "acct": "ann@mastodon.example",
        "display_name": "Ann Lee",
        "username": "annlee",
        "url": "https://mastodon.example/@annlee",
        "note": "DM @jdoe or 555-867-5309, key s3cr3t-value",
    }
    bsky = {
        "handle": "acme.bsky.social",
        "did": "did:plc:z72i7hdynmk6r22z27h6tvur",
        "accessJwt": "eyJhbGciOi.x.y",
    }
    s.collect([linkedin, mastodon, bsky])
    assert s.clean(linkedin) == {
        "localizedName": "Name 1",
        "vanityName": "user3",
        "id": 2414183,
        "name": {
            "localized": {"en_US": "Name 1"},
            "preferredLocale": {"country": "Name 2", "language": "en"},
        },
    }
    assert s.clean(mastodon) == {
        "acct": "person1@example.invalid",
        "display_name": "Name 3",
        "username": "user4",
        "url": "https://mastodon.example/@user4",
        "note": "DM @user2 or [phone], key ***",
    }
    assert s.clean(bsky) == {
        "handle": "user1",
        "did": "did:plc:z72i7hdynmk6r22z27h6tvur",
        "accessJwt": "***",
    }
    assert (
        s.url("https://public.api.bsky.app/xrpc/app.bsky.actor.getProfile?actor=acme.bsky.social")
        == "https://public.api.bsky.app/xrpc/app.bsky.actor.getProfile?actor=user1"
    )


def test_a_recording_reads_the_same_as_json_and_as_yaml():
    import json

    import yaml  # type: ignore[import-untyped]

    from socialroi.adapters.recording import dumps

    doc = {"responses": [{"response": {"body": "caf\u00e9 \U0001f600 \x85 \x9c \u2028 \x01"}}]}
    text = dumps(doc)
    assert json.loads(text) == doc
    assert yaml.safe_load(text) == doc
