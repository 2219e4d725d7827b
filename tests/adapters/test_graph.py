"""The Graph client shared by Facebook and Instagram: Meta's errors, usage headers and paging."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from socialroi.adapters import _graph as g
from socialroi.adapters._http import Http
from socialroi.errors import AuthFailed, RateLimited

FIX = Path(__file__).parent / "fixtures" / "facebook"
NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
BASE = "https://graph.facebook.com"
TOKEN = "EAAB-graph-token-abcdef"  # noqa: S105 - a fixture token


def load(name: str) -> Any:
    return json.loads((FIX / name).read_text())


def response(status: int, body: Any, headers: dict[str, str] | None = None) -> requests.Response:
    r = requests.Response()
    r.status_code = status
    r._content = json.dumps(body).encode()
    r.headers.update({"Content-Type": "application/json", **(headers or {})})
    return r


RULE = g.rate_limit_rule("Facebook")


def test_app_limit_code_4_under_403_is_a_refusal_with_the_default_wait() -> None:
    usage = json.dumps({"call_count": 100, "total_time": 12, "total_cputime": 9})
    sig = RULE(response(403, load("error_app_limit.json"), {"X-App-Usage": usage}), NOW)
    assert sig is not None
    assert sig.retry
    assert sig.wait == g.DEFAULT_LIMIT_WAIT
    assert "error 4" in sig.reason
    assert "09:35:00Z" in sig.reason


def test_page_limit_80001_waits_the_estimated_minutes_from_the_buc_header() -> None:
    buc = {
        "1111": [
            {
                "type": "pages",
                "call_count": 100,
                "total_cputime": 15,
                "total_time": 20,
                "estimated_time_to_regain_access": 12,
            }
        ]
    }
    headers = {"X-Business-Use-Case-Usage": json.dumps(buc)}
    sig = RULE(response(400, load("error_page_limit.json"), headers), NOW)
    assert sig is not None
    assert (sig.retry, sig.wait) == (True, 720.0)


@pytest.mark.parametrize("code", [17, 32, 613, 80002])
def test_every_meta_limit_code_is_a_refusal(code: int) -> None:
    body = {"error": {"message": "limit", "type": "OAuthException", "code": code}}
    sig = RULE(response(400, body), NOW)
    assert sig is not None
    assert sig.retry


def test_usage_at_90_percent_slows_down_without_refusing() -> None:
    usage = json.dumps({"call_count": 91, "total_time": 40, "total_cputime": 30})
    sig = RULE(response(200, {"data": []}, {"X-App-Usage": usage}), NOW)
    assert sig is not None
    assert (sig.retry, sig.wait) == (False, g.DEFAULT_SLOWDOWN_WAIT)
    assert "91%" in sig.reason


def test_usage_below_90_percent_and_other_errors_say_nothing() -> None:
    usage = json.dumps({"call_count": 89, "total_time": 10, "total_cputime": 10})
    assert RULE(response(200, {"data": []}, {"X-App-Usage": usage}), NOW) is None
    assert RULE(response(400, load("error_invalid_metric.json")), NOW) is None
    assert RULE(response(400, load("error_token_expired.json")), NOW) is None
    # A header that is not JSON is ignored, not a crash.
    assert RULE(response(200, {}, {"X-App-Usage": "call_count=95"}), NOW) is None


def test_insight_values_read_ints_breakdown_dicts_and_total_value() -> None:
    body = {
        "data": [
            {"name": "a", "values": [{"value": 5}]},
            {"name": "b", "values": [{"value": {"like": 2, "love": 1}}]},
            {"name": "c", "total_value": {"value": 7}},
            {"name": "d", "values": []},
        ]
    }
    values = g.insight_values(body)
    assert values == {"a": 5, "b": {"like": 2, "love": 1}, "c": 7}
    assert g.as_int(values["b"]) == 3
    assert g.as_int(None) is None
    assert g.as_int("12") == 12


def test_daily_values_belong_to_the_day_before_end_time() -> None:
    body = load("page_insights.json")
    days = g.daily_values(body)
    assert sorted(days) == [date(2026, 11, 19), date(2026, 11, 20), date(2026, 11, 21)]
    assert days[date(2026, 11, 21)] == {
        "page_media_view": 2210,
        "page_total_media_view_unique": 1650,
        "page_post_engagements": 118,
    }


def make_http(sleeps: list[float], **kw: Any) -> Http:
    return Http(
        "facebook",
        BASE,
        rate_limit=RULE,
        secrets=(TOKEN,),
        sleep=sleeps.append,
        now=lambda: NOW,
        **kw,
    )


def test_http_waits_on_a_page_limit_then_retries() -> None:
    sleeps: list[float] = []
    client = g.GraphClient(make_http(sleeps), label="Facebook", version="v25.0", token=TOKEN)
    with responses.RequestsMock() as rsps:
        rsps.get(f"{BASE}/v25.0/1111", json=load("error_page_limit.json"), status=400)
        rsps.get(f"{BASE}/v25.0/1111", json=load("page.json"))
        assert client.get("1111")["followers_count"] == 1204
        assert len(rsps.calls) == 2
    assert sleeps == [g.DEFAULT_LIMIT_WAIT]


def test_http_fails_with_rate_limited_when_asked_not_to_wait() -> None:
    client = g.GraphClient(
        make_http([], wait_on_rate_limit=False), label="Facebook", version="v25.0", token=TOKEN
    )
    with responses.RequestsMock() as rsps:
        rsps.get(f"{BASE}/v25.0/1111", json=load("error_app_limit.json"), status=403)
        with pytest.raises(RateLimited) as err:
            client.get("1111")
    assert err.value.reset_at == datetime(2026, 11, 22, 9, 35, tzinfo=UTC)
    assert TOKEN not in str(err.value)


def test_transient_code_2_is_retried_and_190_is_auth_failed() -> None:
    sleeps: list[float] = []
    client = g.GraphClient(make_http(sleeps), label="Facebook", version="v25.0", token=TOKEN)
    with responses.RequestsMock() as rsps:
        rsps.get(f"{BASE}/v25.0/1111", json=load("error_transient.json"), status=400)
        rsps.get(f"{BASE}/v25.0/1111", json=load("page.json"))
        assert client.get("1111")["name"] == "Acme Consulting"
    assert len(sleeps) == 1
    with responses.RequestsMock() as rsps:
        rsps.get(f"{BASE}/v25.0/1111", json=load("error_token_expired.json"), status=400)
        with pytest.raises(AuthFailed, match="190/463"):
            client.get("1111")


def test_paging_stops_when_next_is_absent_even_with_cursors() -> None:
    client = g.GraphClient(make_http([]), label="Facebook", version="v25.0", token=TOKEN)
    with responses.RequestsMock() as rsps:
        rsps.get(f"{BASE}/v25.0/1111/posts", json=load("posts_page2.json"))
        pages = list(client.pages("1111/posts"))
        assert len(rsps.calls) == 1
    assert [len(p) for p in pages] == [1]


def test_invalid_metric_is_dropped_once_and_not_asked_for_again() -> None:
    client = g.GraphClient(make_http([]), label="Facebook", version="v25.0", token=TOKEN)
    bad = load("error_invalid_metric.json")
    ok = {"data": [{"name": "good", "period": "lifetime", "values": [{"value": 3}]}]}
    with responses.RequestsMock() as rsps:
        url = f"{BASE}/v25.0/9/insights"
        rsps.get(url, json=bad, status=400, match=[_metric("good,dead")])
        rsps.get(url, json=ok, match=[_metric("good")])
        rsps.get(url, json=bad, status=400, match=[_metric("dead")])
        first = client.insights("9", ["good", "dead"], kind="post")
        second = client.insights("9", ["good", "dead"], kind="post")
        asked = [parse_qs(urlsplit(c.request.url or "").query)["metric"][0] for c in rsps.calls]
    assert first.values == second.values == {"good": 3}
    assert len(first.warnings) == 1
    assert second.warnings == []
    assert asked == ["good,dead", "good", "dead", "good"]


def _metric(value: str) -> Any:
    return responses.matchers.query_param_matcher({"metric": value}, strict_match=False)


def test_appsecret_proof_is_hmac_sha256_of_the_token() -> None:
    # Value from Meta's documented construction: hmac(app_secret, token, sha256) as hex.
    assert (
        g.appsecret_proof("EAAB-page-token-0123456789", "s3cr3t-app")
        == "52b9a8f5e6674b9de93e3c8c2c38f5e54a393e870b19147d672a5b623b71d0a7"
    )


def test_first_url_and_windows() -> None:
    assert (
        g.first_url("see https://a.example/x?utm_source=ig.") == "https://a.example/x?utm_source=ig"
    )
    assert g.first_url("no link") is None
    windows = list(g.windows(date(2026, 1, 1), date(2026, 1, 5), 2))
    assert windows == [
        (date(2026, 1, 1), date(2026, 1, 2)),
        (date(2026, 1, 3), date(2026, 1, 4)),
        (date(2026, 1, 5), date(2026, 1, 5)),
    ]


# --- error classification over real bodies (tests/adapters/fixtures/SOURCES.md) -----------------

IG_FIX = FIX.parent / "instagram"


@pytest.mark.parametrize(
    ("name", "kind", "permissions"),
    [
        # code 100 carrying a permission refusal, and the same wording under code 10 and 283
        (
            "error_permission_insights.json",
            g.PERMISSION,
            ["pages_read_engagement", "Page Public Content Access", "Page Public Metadata Access"],
        ),
        (
            "error_requires_pages_read_engagement.json",
            g.PERMISSION,
            ["pages_read_engagement", "Page Public Content Access"],
        ),
        ("error_283_pages_read_engagement.json", g.PERMISSION, ["pages_read_engagement"]),
        ("error_ppca_app_secret.json", g.PERMISSION, ["Page Public Content Access"]),
        ("error_permissions_200.json", g.PERMISSION, []),
        # code 100 / subcode 33, the id in error_user_msg only
        ("error_unknown_object.json", g.UNKNOWN_OBJECT, []),
        ("error_invalid_metric.json", g.DEAD_METRIC, []),
        ("error_password_changed.json", g.AUTH, []),
        ("error_token_expired.json", g.AUTH, []),
        ("error_transient.json", g.TRANSIENT, []),
        ("error_app_limit.json", g.RATE_LIMIT, []),
        ("error_page_limit.json", g.RATE_LIMIT, []),
        ("error_permission.json", g.NO_DATA, []),  # "(#10) Not enough viewers", no subcode
        ("../instagram/error_not_enough_viewers.json", g.NO_DATA, []),
        ("../instagram/error_media_before_conversion.json", g.NO_DATA, []),
    ],
)
def test_meta_error_bodies_are_classified_by_what_they_say(
    name: str, kind: str, permissions: list[str]
) -> None:
    info = g.error_info(load(name))
    assert info is not None
    assert g.classify(info) == kind
    assert g.permissions_named(info.text) == permissions


def test_instagram_metric_refusals_are_dead_metrics_but_other_code_100s_are_not() -> None:
    def kind(message: str, subcode: int | None = None) -> str:
        return g.classify(g.GraphErrorInfo(100, subcode, message, False))

    assert kind("(#100) metric[0] must be one of the following values: reach, views") == (
        g.DEAD_METRIC
    )
    assert kind(
        "(#100) The Media Insights API does not support the impressions metric for this media "
        "product type."
    ) == (g.DEAD_METRIC)
    # A bad parameter that is not a metric fails the call instead of being dropped.
    assert kind("(#100) Tried accessing nonexisting field (permalink_url)") == g.OTHER
    assert kind("(#100) Param since must be a unix timestamp") == g.OTHER


def client(**kw: Any) -> g.GraphClient:
    return g.GraphClient(
        make_http([]),
        label="Facebook",
        version="v25.0",
        token=TOKEN,
        token_where="SOCIALROI_FACEBOOK_ACCESS_TOKEN or [facebook] in config/secrets.toml",  # noqa: S106
        **kw,
    )


def test_a_permission_refused_insights_call_raises_naming_the_permission_and_where() -> None:
    from socialroi.errors import PermissionDenied

    c = client()
    with responses.RequestsMock() as rsps:
        rsps.get(
            f"{BASE}/v25.0/1111/insights",
            json=load("error_permission_insights.json"),
            status=400,
        )
        with pytest.raises(PermissionDenied) as err:
            c.insights("1111", ["page_media_view", "page_follows"], kind="page")
        # Refused outright: no per-metric retries, nothing marked dead.
        assert len(rsps.calls) == 1
    text = str(err.value)
    assert "pages_read_engagement" in text
    assert "App Review" in text
    assert "SOCIALROI_FACEBOOK_ACCESS_TOKEN" in text
    assert "Refer to https" not in text  # Meta's long tail is cut
    assert err.value.exit_code == 3
    assert c.dead_metrics == set()


def test_a_refusal_without_a_name_names_what_the_call_needs() -> None:
    from socialroi.errors import PermissionDenied

    c = client()
    with responses.RequestsMock() as rsps:
        rsps.get(f"{BASE}/v25.0/9/insights", json=load("error_permissions_200.json"), status=403)
        with pytest.raises(PermissionDenied, match="lacks read_insights or pages_read_engagement"):
            c.insights(
                "9", ["post_clicks"], kind="post", needs=("read_insights", "pages_read_engagement")
            )


def test_ppca_refusal_points_at_the_app_secret_too() -> None:
    from socialroi.errors import PermissionDenied

    with responses.RequestsMock() as rsps:
        rsps.get(f"{BASE}/v25.0/1111", json=load("error_ppca_app_secret.json"), status=400)
        with pytest.raises(PermissionDenied) as err:
            client().get("1111")
    assert "Page Public Content Access" in str(err.value)
    assert "app_secret" in str(err.value)


def test_an_unknown_id_names_the_config_key() -> None:
    from socialroi.errors import UnknownObject

    c = client(objects={"1111": "platforms.facebook.page_id"})
    with responses.RequestsMock() as rsps:
        rsps.get(f"{BASE}/v25.0/1111", json=load("error_unknown_object.json"), status=400)
        with pytest.raises(UnknownObject) as err:
            c.get("1111", what="Page 1111")
    text = str(err.value)
    assert "check platforms.facebook.page_id" in text
    assert "'1111'" in text
    assert "error 100/33" in text


def test_a_changed_password_is_auth_failed_saying_so() -> None:
    with responses.RequestsMock() as rsps:
        rsps.get(f"{BASE}/v25.0/1111", json=load("error_password_changed.json"), status=400)
        with pytest.raises(AuthFailed) as err:
            client().get("1111")
    assert "password changed" in str(err.value)
    assert "190/460" in str(err.value)


def test_no_data_for_one_object_is_a_warning_not_a_failure() -> None:
    with responses.RequestsMock() as rsps:
        rsps.get(
            f"{BASE}/v25.0/18/insights",
            json=json.loads((IG_FIX / "error_media_before_conversion.json").read_text()),
            status=400,
        )
        out = client().insights("18", ["reach", "saved"], kind="feed")
    assert out.failed
    assert out.values == {}
    assert "Media posted before business account conversion" in out.warnings[0]


def test_owner_cursor_keeps_follower_snapshots_until_their_day_is_fetched() -> None:
    state = {"day": "2026-11-20", "followers": {"2026-11-21": 90, "2026-11-19": 80}}
    snaps = g.follower_snapshots(state)
    assert snaps == {"2026-11-21": 90, "2026-11-19": 80}
    snaps["2026-11-22"] = 95
    assert g.owner_cursor(state, None, snaps) == {
        "day": "2026-11-20",
        "followers": {"2026-11-21": 90, "2026-11-22": 95},
    }
    assert g.owner_cursor(state, date(2026, 11, 21), snaps) == {
        "day": "2026-11-21",
        "followers": {"2026-11-22": 95},
    }
    assert g.owner_cursor(None, None, {"2026-11-22": 95}) == {"followers": {"2026-11-22": 95}}
    assert g.follower_snapshots({"followers": {"x": True, "y": "7"}}) == {}
