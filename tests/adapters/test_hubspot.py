"""HubSpot CRM adapter: contacts, leads, source touches and deals; list vs search; rate limits."""

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import polars as pl
import pytest
import requests
import responses

from socialroi.adapters import hubspot
from socialroi.adapters._http import Signal
from socialroi.adapters.sync import run_stream, state_cursor
from socialroi.errors import (
    AuthFailed,
    PermissionDenied,
    RateLimited,
    UnknownObject,
    UpstreamError,
)
from tests.adapters.conftest import AS_OF, load_fixture
from tests.adapters.contract import run_contract
from tests.adapters.fakeserver import Reply

BASE = "https://hubspot.test"
TOKEN = "pat-na1-11111111-2222-3333-4444-555555555555"  # noqa: S105 - a fake token
SECRETS = {"access_token": TOKEN}
CONTACTS = f"{BASE}/crm/v3/objects/contacts"
DEALS = f"{BASE}/crm/v3/objects/deals"
ASSOCIATIONS = f"{BASE}/crm/v4/associations/deals/contacts/batch/read"


def fx(name: str) -> Any:
    return load_fixture("hubspot", name)


def t(day: int, hour: int, minute: int = 0, second: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=UTC)


def register_lists(rsps: Any) -> None:
    """The first run's list pages: two of contacts, two of deals, chosen by the `after` query."""
    for url, pages in (
        (CONTACTS, {None: "contacts_page1", "503": "contacts_page2"}),
        (DEALS, {None: "deals_page1", "9003": "deals_page2"}),
    ):

        def answer(request, pages=pages):
            after = request.params.get("after")
            return 200, {}, json.dumps(fx(pages[after]))

        rsps.add_callback(responses.GET, url, callback=answer)


def register_searches(rsps: Any) -> list[dict[str, Any]]:
    """The incremental run's searches and the deals' association batch read; returns bodies."""
    bodies: list[dict[str, Any]] = []

    def search(name: str) -> Callable[[Any], tuple[int, dict[str, str], str]]:
        def answer(request: Any) -> tuple[int, dict[str, str], str]:
            bodies.append(json.loads(request.body))
            return 200, {}, json.dumps(fx(name))

        return answer

    rsps.add_callback(responses.POST, f"{CONTACTS}/search", callback=search("contacts_search"))
    rsps.add_callback(responses.POST, f"{DEALS}/search", callback=search("deals_search"))
    rsps.post(ASSOCIATIONS, json=fx("deals_associations"), status=207)
    return bodies


@pytest.fixture
def adapter(make_context):
    return hubspot.create(make_context("hubspot", {"base_url": BASE}, SECRETS))


def fetch_all(adapter: Any, stream: str, state: Any = None, since: Any = None) -> Any:
    batches = list(adapter.fetch(stream, since=since, state=state))
    tables = {name: pl.concat([b.tables[name] for b in batches]) for name in batches[0].tables}
    return batches, tables


@responses.activate
def test_contacts_list_gives_contacts_leads_and_source_touches(adapter):
    register_lists(responses)
    batches, tables = fetch_all(adapter, "contacts")
    # two pages; the cursor (newest lastmodifieddate: 502's) is set by the last one only
    assert [b.cursor for b in batches] == [None, {"modified": "2026-11-21T09:30:00Z"}]
    first = cast(Any, responses.calls[0].request)
    assert first.headers["Authorization"] == f"Bearer {TOKEN}"
    assert "lifecyclestage" in first.params["properties"].split(",")
    assert first.params["limit"] == "100"

    assert tables["contacts"].select(
        "contact_id", "name", "email", "company", "created_at", "owner_employee_id", "handle_x"
    ).rows() == [
        ("501", "Ada Lovelace", "ada@example.com", "Analytical Ltd", t(5, 9, 12, month=10),
         "31415926", "ada_l"),
        ("502", "Grace Hopper", "grace@example.org", None, t(2, 14, 30), None, None),
        ("503", None, "margaret@example.com", None, t(10, 8, 20), None, None),
        ("504", "Linus", None, None, t(12, 11), None, None),
        ("505", "Barbara Liskov", "barbara@example.net", None, t(15, 19, 45), None, None),
    ]  # fmt: skip
    # leads: the earliest lifecycle date at or past lead, else the contact's creation
    assert tables["leads"].rows() == [
        ("501", "501", t(5, 9, 12, month=10), "SOCIAL_MEDIA"),  # lead date (before MQL/customer)
        ("503", "503", t(10, 8, 20), "ORGANIC_SEARCH"),  # stage lead, no date: createdate
        ("505", "505", t(16, 7), "SOCIAL_MEDIA"),  # MQL date
    ]
    assert tables["touchpoints"].rows() == [
        # original source: LinkedIn, first URL carries the tracked-link code of post 7712 by e014
        ("501", t(5, 9, 3, 11, month=10), "linkedin", "hubspot:first:501", "linkedin",
         "post_click", "7712", "e014", "launch"),
        # latest source: direct
        ("501", t(18, 15, 40), "direct", "hubspot:latest:501", None, "direct", None, None, None),
        # paid social on Facebook at createdate (no first-visit time); latest = first, once
        ("502", t(2, 14, 30), "paid_social", "hubspot:first:502", "facebook", "paid", None, None,
         None),
        # first-visit time as epoch milliseconds
        ("503", t(10, 8, 15), "organic_search", "hubspot:first:503", None, "search", None, None,
         None),
        # 504 is OFFLINE: no touch. 505: a network socialroi does not know
        ("505", t(15, 19, 40, 2), "social_other", "hubspot:first:505", None, "web", None, None,
         None),
    ]  # fmt: skip


@responses.activate
def test_deals_list_uses_associations_and_closes_only_closed_deals(adapter):
    register_lists(responses)
    batches, tables = fetch_all(adapter, "deals")
    assert cast(Any, responses.calls[0].request).params["associations"] == "contacts"
    assert [b.cursor for b in batches] == [None, {"modified": "2026-11-21T10:00:00Z"}]
    assert tables["deals"].rows() == [
        ("9001", "501", "Analytical Ltd - renewal", t(20, 12, month=10), t(19, 17), None,
         "closedwon", True, 12500.5),
        # open: HubSpot's closedate is only the expected close; amount "" is empty
        ("9002", "502", "Hopper Inc - pilot", t(3, 10), None, t(31, 0, month=12),
         "appointmentscheduled", None, None),
        ("9004", "503", "Margaret Co", t(11, 9), t(20, 11, 59), None, "closedlost", False,
         3000.0),
    ]  # fmt: skip
    assert batches[1].warnings == ("HubSpot deal 9003: no associated contact, so it is not loaded",)


@responses.activate
def test_later_runs_search_from_the_cursor_less_the_overlap(adapter):
    bodies = register_searches(responses)
    batches, tables = fetch_all(adapter, "deals", state={"modified": "2026-11-21T10:00:00Z"})
    lower = t(21, 9, 50)  # ten minutes of overlap for the search index's lag
    assert bodies[0]["filterGroups"] == [
        {
            "filters": [
                {
                    "propertyName": "hs_lastmodifieddate",
                    "operator": "GTE",
                    "value": str(int(lower.timestamp() * 1000)),
                }
            ]
        }
    ]
    assert bodies[0]["sorts"] == [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}]
    assert bodies[0]["limit"] == 200
    # search results carry no associations: the v4 batch read supplies them (HTTP 207)
    assoc = json.loads(cast(str, responses.calls[1].request.body))
    assert assoc == {"inputs": [{"id": "9003"}, {"id": "9001"}]}
    assert tables["deals"]["deal_id"].to_list() == ["9001"]
    assert tables["deals"]["contact_id"].to_list() == ["501"]
    # the partial error inside the 207 is a warning, said once; the cursor never goes back
    assert batches[0].warnings == (
        "HubSpot deal 9003: not loaded, no contact read (No contact is associated with deal 9003.)",
    )
    assert batches[0].cursor == {"modified": "2026-11-21T10:00:00Z"}


@responses.activate
def test_since_searches_and_an_empty_result_keeps_no_cursor(adapter):
    responses.post(f"{CONTACTS}/search", json=fx("contacts_search_empty"))
    (batch,) = adapter.fetch("contacts", since=t(1, 0), state=None)
    body = json.loads(cast(str, responses.calls[0].request.body))
    assert body["filterGroups"][0]["filters"][0]["value"] == str(int(t(1, 0).timestamp() * 1000))
    assert all(df.height == 0 for df in batch.tables.values())
    assert batch.cursor is None


@responses.activate
def test_an_empty_list_page(adapter):
    responses.get(CONTACTS, json=fx("contacts_empty"))
    (batch,) = adapter.fetch("contacts", since=None, state=None)
    assert [df.height for df in batch.tables.values()] == [0, 0, 0]
    assert batch.cursor is None


@responses.activate
def test_a_search_past_ten_thousand_results_starts_again_from_the_last_time(adapter, monkeypatch):
    monkeypatch.setattr(hubspot, "SEARCH_CAP", 3)  # 10,000 in HubSpot; 3 here
    page2 = fx("contacts_page2")["results"]
    answers = [
        {"total": 5, "results": [page2[0], page2[2]], "paging": {"next": {"after": "2"}}},
        {"total": 2, "results": [page2[2], fx("contacts_page1")["results"][0]]},
    ]
    bodies = []

    def answer(request):
        bodies.append(json.loads(request.body))
        return 200, {}, json.dumps(answers[len(bodies) - 1])

    responses.add_callback(responses.POST, f"{CONTACTS}/search", callback=answer)
    batches = list(adapter.fetch("contacts", since=t(1, 0), state=None))
    # 2 + 2 results would pass the cap: the second query starts at 505's time, without `after`
    assert "after" not in bodies[1]
    assert bodies[1]["filterGroups"][0]["filters"][0]["value"] == str(
        int(t(16, 7).timestamp() * 1000)
    )
    assert [b.cursor for b in batches] == [
        {"modified": "2026-11-16T07:00:00Z"},
        {"modified": "2026-11-20T08:00:00Z"},
    ]


@responses.activate
def test_a_search_stuck_on_one_time_fails_clearly(adapter, monkeypatch):
    monkeypatch.setattr(hubspot, "SEARCH_CAP", 1)
    rec = fx("contacts_page2")["results"][0]
    responses.post(
        f"{CONTACTS}/search",
        json={"total": 9, "results": [rec], "paging": {"next": {"after": "1"}}},
    )
    with pytest.raises(UpstreamError, match="share the modification time"):
        list(adapter.fetch("contacts", since=t(10, 8, 20), state=None))


@responses.activate
def test_check_counts_contacts(adapter):
    responses.post(f"{CONTACTS}/search", json=fx("contacts_search_count"))
    assert adapter.check() == "CRM readable: 1,204 contacts"


@responses.activate
def test_an_expired_token_is_auth_failed_without_the_token(adapter):
    responses.post(f"{CONTACTS}/search", json=fx("401_expired"), status=401)
    with pytest.raises(AuthFailed) as err:
        adapter.check()
    message = str(err.value)
    assert "expired 2 day(s) ago" in message
    assert "SOCIALROI_HUBSPOT_ACCESS_TOKEN" in message
    assert TOKEN not in message


def test_contract(make_context, tmp_path):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        register_lists(rsps)
        register_searches(rsps)
        ctx = make_context("hubspot", {"base_url": BASE}, SECRETS)
        counts = run_contract(lambda: hubspot.create(ctx), tmp_path, secrets=list(SECRETS.values()))
    assert counts == {"contacts": 5, "leads": 3, "touchpoints": 5, "deals": 3}


# -- rate limits -----------------------------------------------------------------------------------
WINDOW = {"X-HubSpot-RateLimit-Interval-Milliseconds": "10000", "X-HubSpot-RateLimit-Max": "150"}


def response(status: int, body=None, headers=None):
    r = requests.Response()
    r.status_code = status
    r._content = json.dumps(body or {}).encode()
    r.headers.update(headers or {})
    return r


def test_rate_limit_rule_reads_the_policy_and_the_window_headers():
    rule = hubspot.rate_limit
    ten = rule(response(429, fx("429_ten_secondly"), WINDOW), AS_OF)
    assert ten == Signal(10.0, True, "HubSpot: 429 TEN_SECONDLY_ROLLING, waiting 10s")
    told = rule(response(429, fx("429_ten_secondly"), {**WINDOW, "Retry-After": "3"}), AS_OF)
    assert told is not None
    assert told.wait == 3.0
    secondly = rule(response(429, fx("429_secondly")), AS_OF)
    assert secondly is not None
    assert (secondly.wait, secondly.retry) == (1.0, True)
    daily = rule(response(429, fx("429_daily"), WINDOW), AS_OF)
    assert daily is not None
    # 15:30 UTC → next midnight UTC is 8.5 hours away
    assert (daily.wait, daily.retry) == (8.5 * 3600, True)
    # 5 of 150 left (under 10%): the next call waits the window over what is left, 10 s / 5
    low = rule(response(200, {}, {**WINDOW, "X-HubSpot-RateLimit-Remaining": "5"}), AS_OF)
    assert low is not None
    assert (low.wait, low.retry) == (2.0, False)
    assert (
        rule(response(200, {}, {**WINDOW, "X-HubSpot-RateLimit-Remaining": "100"}), AS_OF) is None
    )
    assert rule(response(200, {}), AS_OF) is None


@responses.activate
def test_waits_through_http_and_a_daily_limit_fails_with_its_reset(make_context, fake_clock):
    search = f"{CONTACTS}/search"
    responses.post(search, json=fx("429_ten_secondly"), status=429, headers=WINDOW)
    responses.post(
        search,
        json=fx("contacts_search_count"),
        headers={**WINDOW, "X-HubSpot-RateLimit-Remaining": "0"},
    )
    responses.post(search, json=fx("contacts_search_count"))
    adapter = hubspot.create(make_context("hubspot", {"base_url": BASE}, SECRETS))
    adapter.check()
    assert fake_clock.sleeps == [10.0]  # the 429, then retried
    adapter.check()
    assert fake_clock.sleeps == [10.0, 10.0]  # none left in the window: the next call waited

    responses.replace(responses.POST, search, json=fx("429_daily"), status=429)
    with pytest.raises(RateLimited) as err:
        hubspot.create(make_context("hubspot", {"base_url": BASE}, SECRETS)).check()
    reset = err.value.reset_at
    assert reset is not None
    assert reset.replace(microsecond=0) == (AS_OF + timedelta(seconds=20)).replace(
        hour=0, minute=0, second=0
    ) + timedelta(days=1)


def test_faults_on_the_loopback_server_lose_nothing_and_double_nothing(
    fake_server, make_context, fake_clock, store
):
    fake_server.script(
        "GET",
        "/crm/v3/objects/deals",
        Reply(429, fx("429_ten_secondly"), WINDOW),  # ten-secondly window: wait, retry
        Reply(200, fx("deals_page1")),
    )
    fake_server.script(
        "GET",
        "/crm/v3/objects/deals",
        Reply(200, fx("deals_page2"), drop="mid-body"),  # page 2 cut half-way, then a 502
        Reply(502, "Bad Gateway"),
        Reply(200, fx("deals_page2")),
        query={"after": "9003"},
    )
    fake_server.script("POST", "/crm/v3/objects/deals/search", Reply(200, fx("deals_search")))
    fake_server.script(
        "POST",
        "/crm/v4/associations/deals/contacts/batch/read",
        Reply(207, fx("deals_associations")),
    )

    def adapter(**kw: Any) -> Any:
        return hubspot.create(make_context("hubspot", {}, SECRETS, base_url=fake_server.url, **kw))

    stream = adapter().streams[1]
    first = run_stream(store, adapter(max_retries=1), stream, secrets=[TOKEN])
    # retries ran out on page 2 (exit 3): page 1's deals stay, the cursor is not set
    assert not first.ok
    assert first.exception is not None
    assert isinstance(first.exception, UpstreamError)
    assert first.exception.exit_code == 3
    assert TOKEN not in (first.error or "")
    assert fake_clock.sleeps[0] == 10.0
    assert store.count("deals") == 2
    assert state_cursor(store.get_state("hubspot", "deals")) is None
    # the next run lists again and completes
    second = run_stream(store, adapter(), stream, secrets=[TOKEN])
    assert second.ok
    assert store.count("deals") == 3
    assert state_cursor(store.get_state("hubspot", "deals")) == {"modified": "2026-11-21T10:00:00Z"}
    # then searches from the cursor: 9001 again (replaced), 9003 warned about; nothing doubled
    third = run_stream(store, adapter(), stream, secrets=[TOKEN])
    assert third.ok
    assert store.count("deals") == 3
    assert third.warnings == [
        "HubSpot deal 9003: not loaded, no contact read (No contact is associated with deal 9003.)"
    ]
    assert all(c.headers["authorization"] == f"Bearer {TOKEN}" for c in fake_server.calls())


# -- refusals (HubSpot's own bodies) ---------------------------------------------------------------
@responses.activate
def test_associations_refused_for_a_scope_fail_deals_before_the_page_moves_the_cursor(
    adapter, store
):
    """The search page's deals need their contacts; that call is refused (HubSpot's real
    MISSING_SCOPES body), so neither the page nor its cursor is stored."""
    before = {"modified": "2026-11-01T00:00:00Z"}
    store.set_state("hubspot", "deals", {"cursor": before, "last_success": "2026-11-01T00:00:00Z"})
    responses.post(f"{DEALS}/search", json=fx("deals_search"))
    responses.post(ASSOCIATIONS, json=fx("403_missing_scopes"), status=403)
    result = run_stream(store, adapter, adapter.streams[1], secrets=[TOKEN])
    assert result.status == "failed"
    assert isinstance(result.exception, PermissionDenied)
    assert state_cursor(store.get_state("hubspot", "deals")) == before
    assert store.count("deals") == 0
    text = result.error or ""
    assert "HubSpot: POST /crm/v4/associations/deals/contacts/batch/read: HTTP 403" in text
    assert "the token lacks contacts" in text  # the scope HubSpot's body names
    assert "Private Apps > the app > Scopes" in text
    assert TOKEN not in text


@responses.activate
def test_a_granular_missing_scope_is_named(adapter):
    responses.get(DEALS, json=fx("403_missing_granular_scopes"), status=403)
    with pytest.raises(PermissionDenied, match=r"lacks crm\.objects\.deals\.read \(This app"):
        list(adapter.fetch("deals", since=None, state=None))


def test_required_scopes_reads_every_form_hubspot_uses():
    assert hubspot.required_scopes(fx("403_missing_scopes")) == ["contacts"]
    assert hubspot.required_scopes(fx("403_missing_granular_scopes")) == ["crm.objects.deals.read"]
    body = {
        "context": {"missingScopes": ["a", "b"]},
        "errors": [{"context": {"requiredScopes": ["b"]}}],
    }
    assert hubspot.required_scopes(body) == ["a", "b"]
    assert hubspot.required_scopes({"status": "error"}) == []


@responses.activate
def test_a_refusal_without_scopes_names_the_scope_of_the_call(adapter):
    responses.get(CONTACTS, json={"status": "error", "message": "Forbidden"}, status=403)
    with pytest.raises(PermissionDenied, match=r"lacks crm\.objects\.contacts\.read"):
        list(adapter.fetch("contacts", since=None, state=None))


@responses.activate
def test_not_found_invalid_input_and_invalid_authentication(adapter):
    responses.post(f"{CONTACTS}/search", json=fx("404_not_found"), status=404)
    with pytest.raises(UnknownObject, match="OBJECT_NOT_FOUND: Object not found"):
        adapter.check()
    responses.replace(
        responses.POST, f"{CONTACTS}/search", json=fx("400_invalid_input"), status=400
    )
    with pytest.raises(UpstreamError) as err:
        adapter.check()
    assert not isinstance(err.value, PermissionDenied | UnknownObject)
    assert "Invalid input JSON on line 1, column 18" in str(err.value)
    responses.replace(responses.POST, f"{CONTACTS}/search", json=fx("401_invalid"), status=401)
    with pytest.raises(AuthFailed, match="Authentication credentials not found"):
        adapter.check()
