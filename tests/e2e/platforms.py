"""Every platform's API as the adapters call it, answered from tests/adapters/fixtures/.

`route(seen)` serves all eight platforms from one loopback server (their paths do not overlap):
X ``/2/``, Facebook and Instagram ``/v25.0/``, LinkedIn ``/rest/``, Mastodon ``/api/v1/``,
Bluesky ``/xrpc/``, GA4 ``/v1beta/`` and HubSpot ``/crm/``. Pages are chosen by the query (or
the JSON body) exactly as each platform pages; an incremental re-run gets the platform's "nothing
new" answer, so a second pull must leave the store as it was.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from socialroi.adapters import facebook
from tests.adapters.conftest import load_fixture
from tests.adapters.fakeserver import Reply, Seen

# Ids the fixtures use.
X_UID = "1456789012345678901"
X_NEXT = "7140dibdnow9c7btw4b0v8w5qlbmj4q9x1ba0oe3nhmb1"
PAGE_ID = "1111"
IG_USER = "17841400000000001"
ORG_ID = "12345678"
GA4_PROPERTY = "123456789"
BSKY_HANDLE = "acme.bsky.social"


def ok(platform: str, name: str, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, load_fixture(platform, name), dict(headers or {}))


# -- X -------------------------------------------------------------------------------------------
def _in_span(tweet: dict[str, Any], query: dict[str, str]) -> bool:
    created = str(tweet["created_at"]).replace(".000Z", "Z")
    return query.get("start_time", "") <= created < query.get("end_time", "9999")


def x(seen: Seen) -> Reply | None:
    q = seen.query
    if seen.path == "/2/users/by":
        return ok("x", "users_by")
    if seen.path == "/2/users/me":
        return ok("x", "me")
    if seen.path != f"/2/users/{X_UID}/tweets":
        return None
    if "non_public_metrics" in q.get("tweet.fields", ""):
        name = "tweets_private"
    elif "since_id" in q:
        name = "tweets_empty"
    elif q.get("pagination_token") == X_NEXT:
        name = "tweets_page2"
    else:
        name = "tweets_page1"
    body = load_fixture("x", name)
    if "data" in body:
        body["data"] = [t for t in body["data"] if _in_span(t, q)]
    return Reply(200, body)


# -- Facebook and Instagram (Graph API) -----------------------------------------------------------
def graph(seen: Seen) -> Reply | None:
    path, q = seen.path.removeprefix("/v25.0"), seen.query
    fb = {
        f"/{PAGE_ID}": "page",
        f"/{PAGE_ID}/insights": "page_insights",
        f"/{PAGE_ID}_2001/insights": "post_insights_2001",
    }
    if path in fb:
        return ok("facebook", fb[path])
    if path == f"/{PAGE_ID}/posts":
        return ok("facebook", "posts_page2" if q.get("after") == "QVFIUmJfMg" else "posts_page1")
    if path == f"/{PAGE_ID}_2002/insights":  # the combined call fails on one dead metric
        metric = q.get("metric", "")
        if metric in (",".join(facebook.POST_METRICS), "post_clicks"):
            return ok("facebook", "error_invalid_metric", 400)
        return ok("facebook", f"post_insights_2002_{metric}")
    if path == f"/{PAGE_ID}_2003/insights":
        return ok("facebook", "error_permission", 400)
    ig = {
        f"/{IG_USER}": "user",
        "/18000000000000001/insights": "media_insights_feed",
        "/18000000000000002/insights": "media_insights_empty",
    }
    if path in ig:
        return ok("instagram", ig[path])
    if path == "/18000000000000003/insights":
        return ok("instagram", "error_not_enough_viewers", 400)
    if path == f"/{IG_USER}/media":
        return ok("instagram", "media_page2" if q.get("after") == "QVFIUm1lZAzM" else "media_page1")
    if path == f"/{IG_USER}/insights":
        day = datetime.fromtimestamp(int(q.get("since", "0")), UTC).date().isoformat()
        return ok("instagram", f"account_insights_{day}")
    return None


# -- LinkedIn ------------------------------------------------------------------------------------
def linkedin(seen: Seen) -> Reply | None:
    path, q = seen.path.removeprefix("/rest"), seen.query
    if path == "/posts":
        return ok(
            "linkedin",
            {"0": "posts_page1", "2": "posts_page2"}.get(q.get("start", "0"), "posts_empty"),
        )
    if path == "/organizationalEntityShareStatistics":
        for key, name in (("shares", "share_stats_shares"), ("ugcPosts", "share_stats_ugc")):
            if key in q:
                return ok("linkedin", name)
        return ok("linkedin", "share_stats_daily")
    if path == f"/organizations/{ORG_ID}":
        return ok("linkedin", "organization")
    if path.startswith("/networkSizes/"):
        return ok("linkedin", "network_size")
    return None


# -- Mastodon ------------------------------------------------------------------------------------
STATUSES = "/api/v1/accounts/109302/statuses"


def _link(base: str, **rels: str) -> dict[str, str]:
    parts = [
        f'<{base}{STATUSES}?limit=40&exclude_reblogs=true&{q}>; rel="{rel}"'
        for rel, q in rels.items()
    ]
    return {"Link": ", ".join(parts)}


def mastodon(seen: Seen) -> Reply | None:
    q, base = seen.query, "https://mastodon.social"  # the adapter sends the default host home
    if seen.path == "/api/v1/accounts/lookup" and q.get("acct") == "acme":
        return ok("mastodon", "account_lookup")
    if seen.path != STATUSES:
        return None
    if "min_id" in q or q.get("max_id") == "115000000000000001":
        return Reply(200, [])  # nothing newer / nothing older
    if q.get("max_id") == "115570000000000001":
        links = _link(base, next="max_id=115000000000000001", prev="min_id=115490000000000010")
        return ok("mastodon", "statuses_page2", headers=links)
    links = _link(base, next="max_id=115570000000000001", prev="min_id=115580000000000003")
    return ok("mastodon", "statuses_page1", headers=links)


# -- Bluesky -------------------------------------------------------------------------------------
def bluesky(seen: Seen) -> Reply | None:
    q = seen.query
    if seen.path == "/xrpc/app.bsky.actor.getProfile" and q.get("actor") == BSKY_HANDLE:
        return ok("bluesky", "profile")
    if seen.path != "/xrpc/app.bsky.feed.getAuthorFeed":
        return None
    cursor = q.get("cursor")
    if cursor is None:
        return ok("bluesky", "feed_page1")
    return ok("bluesky", "feed_page2" if cursor == "2026-11-19T18:00:00.000Z" else "feed_empty")


# -- GA4 -----------------------------------------------------------------------------------------
def ga4(seen: Seen) -> Reply | None:
    if seen.method != "POST" or seen.path != f"/v1beta/properties/{GA4_PROPERTY}:runReport":
        return None
    body = json.loads(seen.body or b"{}")
    if "dimensions" not in body:  # doctor's one cheap call
        return ok("ga4", "check")
    return ok("ga4", {0: "page1", 3: "page2"}.get(int(body.get("offset", 0)), "empty"))


# -- HubSpot -------------------------------------------------------------------------------------
def hubspot(seen: Seen) -> Reply | None:
    path, q = seen.path, seen.query
    lists = {
        "/crm/v3/objects/contacts": {None: "contacts_page1", "503": "contacts_page2"},
        "/crm/v3/objects/deals": {None: "deals_page1", "9003": "deals_page2"},
    }
    if seen.method == "GET" and path in lists:
        name = lists[path].get(q.get("after"))
        return ok("hubspot", name) if name else None
    if path == "/crm/v3/objects/contacts/search":
        body = json.loads(seen.body or b"{}")
        is_check = body.get("limit") == 1 and not body.get("filterGroups")
        return ok("hubspot", "contacts_search_count" if is_check else "contacts_search_empty")
    if path == "/crm/v3/objects/deals/search":
        return Reply(200, {"total": 0, "results": []})  # nothing modified since the last run
    if path == "/crm/v4/associations/deals/contacts/batch/read":
        return ok("hubspot", "deals_associations", 207)
    return None


_ROUTES = {
    "/2/": x,
    "/v25.0/": graph,
    "/rest/": linkedin,
    "/api/v1/": mastodon,
    "/xrpc/": bluesky,
    "/v1beta/": ga4,
    "/crm/": hubspot,
}

#: Each platform's path prefix on the loopback server (for fault injection).
PREFIX = {
    "x": "/2/",
    "facebook": f"/v25.0/{PAGE_ID}",
    "instagram": f"/v25.0/{IG_USER}",
    "linkedin": "/rest/",
    "mastodon": "/api/v1/",
    "bluesky": "/xrpc/",
    "ga4": "/v1beta/",
    "hubspot": "/crm/",
}


def route(seen: Seen) -> Reply | None:
    for prefix, handler in _ROUTES.items():
        if seen.path.startswith(prefix):
            return handler(seen)
    return None
