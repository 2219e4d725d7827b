"""HubSpot CRM v3: contacts (with their analytics source), leads, first touches and deals.

Two streams, each incremental by its records' last-modified time:

- ``contacts`` → ``contacts``, ``leads`` and ``touchpoints``;
- ``deals`` → ``deals`` (a deal's contact is its first associated contact).

A first run (no cursor and no ``--since``) lists every record: ``GET /crm/v3/objects/{type}``
with ``after`` paging until ``paging`` is absent. Later runs search:
``POST /crm/v3/objects/{type}/search`` for records modified at or after the cursor (less
``overlap_minutes`` for the search index's lag), sorted ascending, 200 a page. One search query
returns at most 10,000 records, so after 10,000 the query starts again from the last
modification time seen. Search results carry no associations: deals found by search get theirs
from ``POST /crm/v4/associations/deals/contacts/batch/read``, whose per-deal errors (HTTP 207)
become warnings. Every property value arrives as a string; empty strings are empty values.

Rows (docs/platforms/hubspot.md explains the rules):

- contact: id, first + last name, email, company, ``createdate``, ``hubspot_owner_id`` as the
  owner, ``twitterhandle`` as the X handle;
- lead: one per contact that reached the lead stage or later (``lifecyclestage`` or any of the
  ``hs_lifecyclestage_*_date`` properties); created at the earliest of those dates, else at the
  contact's creation; source ``hs_analytics_source``; the lead id is the contact id (as a
  HubSpot contacts export imported as leads gives);
- touchpoints: the original source (``hs_analytics_source`` + drill-downs, at
  ``hs_analytics_first_timestamp``, else ``createdate``) and the latest source (at
  ``hs_latest_source_timestamp``), mapped to socialroi's channels; a tracked-link code in the
  first URL's ``utm_content`` names the post and the employee;
- deal: ``dealname``, ``amount`` (decimal text), ``dealstage``, ``createdate``; closed deals
  (``hs_is_closed``/``hs_is_closed_won``) get ``closedate`` as their close and ``won``; open
  deals have neither, as HubSpot's ``closedate`` on an open deal is only the expected close.

Refusals are classified from HubSpot's ``{"status":"error","message","correlationId","category"}``
bodies: 403 ``MISSING_SCOPES`` (scopes in ``errors[].context.requiredGranularScopes`` or
``requiredScopes``) → PermissionDenied naming the scopes and where to add them; 404
``OBJECT_NOT_FOUND`` → UnknownObject; 400 ``VALIDATION_ERROR`` → an UpstreamError with HubSpot's
message; 401 ``EXPIRED_AUTHENTICATION``/``INVALID_AUTHENTICATION`` → AuthFailed. A refused page
(or its associations) fails the stream before that page's batch, so the cursor stays before it.

Rate limits: a 429 body names its ``policyName``: ``TEN_SECONDLY_ROLLING`` waits
``Retry-After`` or the window (``X-HubSpot-RateLimit-Interval-Milliseconds``, 10 s), ``SECONDLY``
(search) one second, ``DAILY`` until the next day (longer than ``max_wait``: the pull fails with
the reset time). ``X-HubSpot-RateLimit-Remaining`` under 10% of ``-Max`` spaces out the next calls.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
import requests

from socialroi import schema
from socialroi.adapters._http import (
    HttpStatusError,
    RateLimitRule,
    Signal,
    json_body,
    next_midnight_utc,
    retry_after,
    seconds_until,
)
from socialroi.adapters._utm import parse_utm
from socialroi.adapters.base import Adapter, AdapterContext, Batch, Stream
from socialroi.adapters.formats._crm import stage_won
from socialroi.core.links import parse_link_code
from socialroi.core.vocabulary import PAID_SOCIAL, SOCIAL_OTHER, social_platform_of
from socialroi.errors import ConfigError, PermissionDenied, UnknownObject, UpstreamError

PLATFORM = "hubspot"
DEFAULTS: dict[str, Any] = {
    "base_url": "https://api.hubapi.com",
    "page_size": 100,
    "search_page_size": 200,
    "overlap_minutes": 10,
}
SECRETS: tuple[str, ...] = ("access_token",)

LEAD_DATES: tuple[str, ...] = (
    "hs_lifecyclestage_lead_date",
    "hs_lifecyclestage_marketingqualifiedlead_date",
    "hs_lifecyclestage_salesqualifiedlead_date",
    "hs_lifecyclestage_opportunity_date",
    "hs_lifecyclestage_customer_date",
)
#: Lifecycle stages at or past "lead": a contact in one of them is a lead.
LEAD_STAGES = frozenset(
    {
        "lead",
        "marketingqualifiedlead",
        "salesqualifiedlead",
        "opportunity",
        "customer",
        "evangelist",
    }
)
CONTACT_PROPERTIES: tuple[str, ...] = (
    "email",
    "firstname",
    "lastname",
    "company",
    "createdate",
    "lastmodifieddate",
    "lifecyclestage",
    "hubspot_owner_id",
    "twitterhandle",
    "hs_analytics_source",
    "hs_analytics_source_data_1",
    "hs_analytics_source_data_2",
    "hs_analytics_first_timestamp",
    "hs_analytics_first_url",
    "hs_analytics_first_referrer",
    "hs_analytics_first_touch_converting_campaign",
    "hs_latest_source",
    "hs_latest_source_data_1",
    "hs_latest_source_data_2",
    "hs_latest_source_timestamp",
    *LEAD_DATES,
)
DEAL_PROPERTIES: tuple[str, ...] = (
    "dealname",
    "amount",
    "dealstage",
    "pipeline",
    "closedate",
    "createdate",
    "hs_lastmodifieddate",
    "hs_is_closed",
    "hs_is_closed_won",
)

#: hs_analytics_source → (channel, touch kind). SOCIAL_MEDIA's channel is the network's platform;
#: OFFLINE (imports, manual entry) and unknown values make no touch.
SOURCE_CHANNELS: dict[str, tuple[str, str]] = {
    "SOCIAL_MEDIA": (SOCIAL_OTHER, "web"),
    "PAID_SOCIAL": (PAID_SOCIAL, "paid"),
    "ORGANIC_SEARCH": ("organic_search", "search"),
    "PAID_SEARCH": ("paid_search", "paid"),
    "EMAIL_MARKETING": ("email", "email"),
    "REFERRALS": ("referral", "referral"),
    "AI_REFERRALS": ("referral", "referral"),
    "DIRECT_TRAFFIC": ("direct", "direct"),
    "OTHER_CAMPAIGNS": ("other", "web"),
}
#: Export labels (and older or renamed names) whose normal form is not the API enum.
SOURCE_ALIASES: dict[str, str] = {
    "ORGANIC_SOCIAL": "SOCIAL_MEDIA",
    "OFFLINE_SOURCES": "OFFLINE",
    "AI_REFERRAL": "AI_REFERRALS",
    "REFERRAL": "REFERRALS",
    "DIRECT": "DIRECT_TRAFFIC",
    "EMAIL": "EMAIL_MARKETING",
    "OTHER_CAMPAIGN": "OTHER_CAMPAIGNS",
}
#: Records one search query can page through.
SEARCH_CAP = 10_000
DEFAULT_INTERVAL = 10.0
SLOW_DOWN_SHARE = 0.10


# -- rate limits ---------------------------------------------------------------------------------
def _header_float(resp: requests.Response, name: str) -> float | None:
    try:
        return float(resp.headers[name])
    except (KeyError, ValueError):
        return None


def rate_limit(resp: requests.Response, now: datetime) -> Signal | None:
    """HubSpot's signals: the 429 body's ``policyName``, and the window headers on every call."""
    interval_ms = _header_float(resp, "X-HubSpot-RateLimit-Interval-Milliseconds")
    interval = interval_ms / 1000.0 if interval_ms else DEFAULT_INTERVAL
    if resp.status_code == 429:
        body = json_body(resp)
        policy = str(body.get("policyName", "") if isinstance(body, dict) else "").upper()
        hinted = retry_after(resp, now)
        if policy == "DAILY":
            reset = next_midnight_utc(now)
            why = f"daily limit reached, resets {reset:%Y-%m-%d %H:%MZ}"
            return Signal(seconds_until(reset, now), True, f"HubSpot: 429 DAILY, {why}")
        if policy == "SECONDLY":
            wait = hinted if hinted is not None else 1.0
        else:
            wait = hinted if hinted is not None else interval
        name = policy or "rate limit"
        return Signal(wait, True, f"HubSpot: 429 {name}, waiting {wait:g}s")
    remaining = _header_float(resp, "X-HubSpot-RateLimit-Remaining")
    most = _header_float(resp, "X-HubSpot-RateLimit-Max")
    if remaining is None or not most or remaining > SLOW_DOWN_SHARE * most:
        return None
    wait = interval / max(remaining, 1.0)
    return Signal(
        wait, False, f"HubSpot: {remaining:g} of {most:g} calls left in this window, slowing down"
    )


RATE_LIMIT: RateLimitRule = rate_limit


# -- values --------------------------------------------------------------------------------------
def text(value: Any) -> str | None:
    """A property value: stripped text, empty as None."""
    if value is None:
        return None
    v = str(value).strip()
    return v or None


def timestamp(value: Any) -> datetime | None:
    """HubSpot time text: ISO 8601 (``2026-11-20T14:03:00.000Z``) or epoch milliseconds.

    A datetime (an export's date column, already read) is taken as it is (naive: UTC).
    """
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    v = text(value)
    if v is None:
        return None
    if v.isdigit():
        return datetime.fromtimestamp(int(v) / 1000.0, UTC)
    try:
        parsed = datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _iso(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _ms(ts: datetime) -> str:
    return str(int(ts.timestamp() * 1000))


def _boolean(value: Any) -> bool | None:
    v = text(value)
    return None if v is None else v.lower() == "true"


def source_key(value: Any) -> str | None:
    """The ``hs_analytics_source`` enum of an API value or an export's label.

    ``SOCIAL_MEDIA``, ``Social media``, ``Organic social`` → ``SOCIAL_MEDIA``; ``Paid social`` →
    ``PAID_SOCIAL``; ``Offline sources`` → ``OFFLINE``; ``AI referrals`` → ``AI_REFERRALS``.
    Other text comes back in the same upper-case form (and then makes no touch).
    """
    v = text(value)
    if v is None:
        return None
    key = re.sub(r"[^A-Z0-9]+", "_", v.upper()).strip("_")
    return SOURCE_ALIASES.get(key, key) or None


def stage_key(value: Any) -> str:
    """A lifecycle stage's internal name from an API value or an export label.

    ``Marketing Qualified Lead`` → ``marketingqualifiedlead``; empty → "".
    """
    return re.sub(r"[^a-z0-9]+", "", (text(value) or "").lower())


def _platform_of(*names: str | None) -> str | None:
    """The social platform the first of `names` that names one names (a network or a URL)."""
    return next((p for p in map(social_platform_of, names) if p is not None), None)


# -- contacts ------------------------------------------------------------------------------------
def _touch(
    contact_id: str,
    ts: datetime | None,
    source: str | None,
    data_1: str | None,
    *,
    ref: str,
    data_2: str | None = None,
    referrer: str | None = None,
    url: str | None = None,
    campaign: str | None = None,
) -> dict[str, Any] | None:
    key = source_key(source)
    if ts is None or key is None or key not in SOURCE_CHANNELS:
        return None
    channel, kind = SOURCE_CHANNELS[key]
    utm = parse_utm(url)
    code = parse_link_code(utm["link_code"])
    platform = code.platform.lower() if code else _platform_of(data_1, referrer, data_2)
    if channel not in (SOCIAL_OTHER, PAID_SOCIAL) and code is None:
        platform = None  # a search or e-mail visit names no social platform
    if channel == SOCIAL_OTHER and platform is not None:
        channel = platform
    return {
        "contact_id": contact_id,
        "ts": ts,
        "channel": channel,
        "ref": ref,
        "platform": platform,
        "kind": "post_click" if code else kind,
        "post_id": code.post_id if code else None,
        "employee_id": code.employee_id if code else None,
        "campaign": utm["utm_campaign"] or campaign,
    }


def _lead(contact_id: str, p: Mapping[str, Any], created: datetime | None) -> dict[str, Any] | None:
    dates = [d for d in (timestamp(p.get(name)) for name in LEAD_DATES) if d is not None]
    stage = stage_key(p.get("lifecyclestage"))
    if not dates and stage not in LEAD_STAGES:
        return None
    at = min(dates) if dates else created
    if at is None:
        return None
    return {
        "lead_id": contact_id,
        "contact_id": contact_id,
        "created_at": at,
        "source": _source_name(p.get("hs_analytics_source")),
    }


def _source_name(value: Any) -> str | None:
    """A lead's source: the enum when HubSpot's value or label is a known one, else the text."""
    key = source_key(value)
    return key if key in SOURCE_CHANNELS or key == "OFFLINE" else text(value)


def contact_tables(results: Iterable[Mapping[str, Any]]) -> dict[str, pl.DataFrame]:
    """Contacts, leads and touchpoints from contact records (list or search results)."""
    contacts: list[dict[str, Any]] = []
    leads: list[dict[str, Any]] = []
    touches: list[dict[str, Any]] = []
    for rec in results:
        cid = text(rec.get("id"))
        if cid is None:
            continue
        p = rec.get("properties") or {}
        created = timestamp(p.get("createdate")) or timestamp(rec.get("createdAt"))
        first, last = text(p.get("firstname")), text(p.get("lastname"))
        handle = text(p.get("twitterhandle"))
        contacts.append(
            {
                "contact_id": cid,
                "name": " ".join(x for x in (first, last) if x) or None,
                "email": text(p.get("email")),
                "company": text(p.get("company")),
                "created_at": created,
                "owner_employee_id": text(p.get("hubspot_owner_id")),
                "handle_x": handle.removeprefix("@") if handle else None,
            }
        )
        if (lead := _lead(cid, p, created)) is not None:
            leads.append(lead)
        first_touch = _touch(
            cid,
            timestamp(p.get("hs_analytics_first_timestamp")) or created,
            text(p.get("hs_analytics_source")),
            text(p.get("hs_analytics_source_data_1")),
            ref=f"hubspot:first:{cid}",
            data_2=text(p.get("hs_analytics_source_data_2")),
            referrer=text(p.get("hs_analytics_first_referrer")),
            url=text(p.get("hs_analytics_first_url")),
            campaign=text(p.get("hs_analytics_first_touch_converting_campaign")),
        )
        latest = _touch(
            cid,
            timestamp(p.get("hs_latest_source_timestamp")),
            text(p.get("hs_latest_source")),
            text(p.get("hs_latest_source_data_1")),
            ref=f"hubspot:latest:{cid}",
            data_2=text(p.get("hs_latest_source_data_2")),
        )
        for touch in (first_touch, latest):
            if touch is not None and not (
                touch is latest and first_touch is not None and touch["ts"] == first_touch["ts"]
            ):
                touches.append(touch)
    return {
        "contacts": _frame("contacts", contacts),
        "leads": _frame("leads", leads),
        "touchpoints": _frame("touchpoints", touches),
    }


def _frame(table: str, records: list[dict[str, Any]]) -> pl.DataFrame:
    t = schema.table(table)
    if not records:
        return schema.empty(table)
    cols = [c for c in t.names if c in records[0]]
    df = pl.DataFrame(
        [[r.get(c) for c in cols] for r in records],
        schema={c: t.column(c).dtype for c in cols},
        orient="row",
    )
    return schema.conform(table, df, source="hubspot")


# -- deals ---------------------------------------------------------------------------------------
def listed_contacts(rec: Mapping[str, Any]) -> list[str]:
    """The contact ids a listed deal's ``associations`` name, in order, without repeats."""
    found = ((rec.get("associations") or {}).get("contacts") or {}).get("results") or []
    ids = [text(a.get("id")) for a in found]
    return list(dict.fromkeys(i for i in ids if i))


def batch_associations(answer: Mapping[str, Any]) -> tuple[dict[str, list[str]], list[str]]:
    """Deal id → contact ids from a v4 batch read, and one warning per error it reports."""
    out: dict[str, list[str]] = {}
    for res in answer.get("results") or []:
        deal = text((res.get("from") or {}).get("id"))
        targets = [text(t.get("toObjectId")) for t in res.get("to") or []]
        if deal:
            out[deal] = list(dict.fromkeys(i for i in targets if i))
    warnings = []
    for err in answer.get("errors") or []:
        deals = ", ".join(str(i) for i in (err.get("context") or {}).get("fromObjectId") or [])
        msg = text(err.get("message")) or text(err.get("category")) or "error"
        warnings.append(f"HubSpot deal {deals or '?'}: not loaded, no contact read ({msg})")
    return out, warnings


def errored_deals(answer: Mapping[str, Any]) -> set[str]:
    """The deal ids a v4 batch read reported errors for."""
    return {
        str(i)
        for err in answer.get("errors") or []
        for i in (err.get("context") or {}).get("fromObjectId") or []
    }


def deal_close(
    stage: str | None, won_flag: bool | None, closed_flag: bool | None, close_date: datetime | None
) -> dict[str, Any]:
    """A deal's ``won``, ``closed_at`` and ``expected_close``.

    The flags decide when HubSpot sends them (``hs_is_closed_won``, ``hs_is_closed``); without
    them the stage does (:func:`~socialroi.adapters.formats._crm.stage_won`: ``closedwon``,
    "Closed won", "Gewonnen"… won; "Closed lost", "Verloren"… lost; anything else open). A closed
    deal's close date is when it closed; an open deal's is only the expected close.
    """
    if won_flag is None and closed_flag is None:
        won = stage_won(stage)
        closed = won is not None
    else:
        closed = bool(closed_flag) or bool(won_flag)
        won = bool(won_flag) if closed else None
    return {
        "won": won,
        "closed_at": close_date if closed else None,
        "expected_close": None if closed else close_date,
    }


def deal_rows(
    results: Iterable[Mapping[str, Any]],
    contacts: Mapping[str, Sequence[str]],
    *,
    noted: Iterable[str] = (),
    where: Mapping[str, str] | None = None,
) -> tuple[pl.DataFrame, list[str]]:
    """Canonical deals and warnings (a deal with no contact, or a bad amount, is noted).

    `noted` are deals already warned about (their associations could not be read). `where`
    names a deal's place for warnings ("row 5" of an export file).
    """
    quiet = set(noted)
    rows: list[dict[str, Any]] = []
    warnings: list[str] = []
    for rec in results:
        did = text(rec.get("id"))
        if did is None:
            continue
        deal = f"HubSpot deal {did}" + (f" ({where[did]})" if where and did in where else "")
        p = rec.get("properties") or {}
        linked = contacts.get(did) or []
        if not linked:
            if did not in quiet:
                warnings.append(f"{deal}: no associated contact, so it is not loaded")
            continue
        created = timestamp(p.get("createdate")) or timestamp(rec.get("createdAt"))
        if created is None:
            warnings.append(f"{deal}: no create date, so it is not loaded")
            continue
        amount_text = text(p.get("amount"))
        try:
            amount = float(amount_text) if amount_text is not None else None
        except ValueError:
            amount = None
            warnings.append(f"{deal}: amount {amount_text!r} is not a number")
        if amount is not None and amount < 0:
            warnings.append(f"{deal}: negative amount {amount_text} left empty")
            amount = None
        stage = text(p.get("dealstage"))
        close = deal_close(
            stage,
            _boolean(p.get("hs_is_closed_won")),
            _boolean(p.get("hs_is_closed")),
            timestamp(p.get("closedate")),
        )
        rows.append(
            {
                "deal_id": did,
                "contact_id": linked[0],
                "name": text(p.get("dealname")),
                "created_at": created,
                "closed_at": close["closed_at"],
                "expected_close": close["expected_close"],
                "stage": stage,
                "won": close["won"],
                "amount": amount,
            }
        )
    if not rows:
        return schema.empty("deals"), warnings
    df = pl.DataFrame(rows, schema=schema.table("deals").polars_schema, orient="row")
    return schema.conform("deals", df, source="hubspot"), warnings


# -- the adapter ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Kind:
    object_type: str
    properties: tuple[str, ...]
    modified: str


KINDS = {
    "contacts": _Kind("contacts", CONTACT_PROPERTIES, "lastmodifieddate"),
    "deals": _Kind("deals", DEAL_PROPERTIES, "hs_lastmodifieddate"),
}


class HubSpot:
    """The HubSpot adapter: ``contacts`` and ``deals`` streams."""

    platform = PLATFORM
    streams: tuple[Stream, ...] = (
        Stream(
            "contacts",
            ("contacts", "leads", "touchpoints"),
            incremental=True,
            description="contacts, their leads and original/latest source touches",
        ),
        Stream("deals", ("deals",), incremental=True, description="deals with their contact"),
    )

    def __init__(self, ctx: AdapterContext) -> None:
        self.ctx = ctx
        self.options = {**DEFAULTS, **dict(ctx.options)}
        try:
            self.page_size = int(self.options["page_size"])
            self.search_page_size = int(self.options["search_page_size"])
            self.overlap = timedelta(minutes=float(self.options["overlap_minutes"]))
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"[platforms.hubspot]: {exc}") from None
        if not 1 <= self.page_size <= 100 or not 1 <= self.search_page_size <= 200:
            raise ConfigError(
                "[platforms.hubspot] page_size must be 1-100 and search_page_size 1-200"
            )

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.ctx.secrets.get('access_token')}"}

    def _get(self, path: str, params: Mapping[str, Any]) -> dict[str, Any]:
        try:
            got = self.ctx.http.get_json(path, params=params, headers=self._headers())
        except HttpStatusError as exc:
            raise refusal(exc, "GET", path) from None
        return _object(got, path)

    def _post(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        try:
            got = self.ctx.http.post_json(path, json=dict(body), headers=self._headers())
        except HttpStatusError as exc:
            raise refusal(exc, "POST", path) from None
        return _object(got, path)

    def check(self) -> str:
        page = self._post("/crm/v3/objects/contacts/search", {"limit": 1, "properties": ["email"]})
        total = int(page.get("total", 0) or 0)
        return f"CRM readable: {total:,} contacts"

    def fetch(
        self, stream: str, *, since: datetime | None, state: Mapping[str, Any] | None
    ) -> Iterator[Batch]:
        kind = KINDS.get(stream)
        if kind is None:
            raise ConfigError(f"hubspot has no stream '{stream}'; it has: contacts, deals")
        cursor = timestamp((state or {}).get("modified"))
        if cursor is not None:
            yield from self._search(kind, cursor - self.overlap, cursor)
        elif since is not None:
            yield from self._search(kind, since.astimezone(UTC), None)
        else:
            yield from self._list(kind)

    # list: every record, pages in id order (the cursor is only known at the end)
    def _list(self, kind: _Kind) -> Iterator[Batch]:
        params: dict[str, Any] = {
            "limit": self.page_size,
            "properties": ",".join(kind.properties),
            "archived": "false",
        }
        if kind.object_type == "deals":
            params["associations"] = "contacts"
        newest: datetime | None = None
        while True:
            page = self._get(f"/crm/v3/objects/{kind.object_type}", params)
            results = list(page.get("results") or [])
            newest = _newest(results, kind, newest)
            after = text(((page.get("paging") or {}).get("next") or {}).get("after"))
            tables, warnings = self._tables(kind, results, listed=True)
            done = after is None
            cursor = {"modified": _iso(newest)} if done and newest is not None else None
            yield Batch(tables=tables, cursor=cursor, warnings=tuple(warnings))
            if done:
                return
            if after == params.get("after"):
                raise UpstreamError(f"HubSpot: {kind.object_type} paging repeated 'after' {after}")
            params["after"] = after

    # search: records modified at or after `lower`, oldest first, so every page moves the cursor
    def _search(self, kind: _Kind, lower: datetime, cursor: datetime | None) -> Iterator[Batch]:
        newest = cursor
        after: str | None = None
        while True:
            body: dict[str, Any] = {
                "filterGroups": [{"filters": [_since_filter(kind.modified, lower)]}],
                "sorts": [{"propertyName": kind.modified, "direction": "ASCENDING"}],
                "properties": list(kind.properties),
                "limit": self.search_page_size,
            }
            if after is not None:
                body["after"] = after
            page = self._post(f"/crm/v3/objects/{kind.object_type}/search", body)
            results = list(page.get("results") or [])
            page_newest = _newest(results, kind, None)
            newest = _newest(results, kind, newest)
            tables, warnings = self._tables(kind, results, listed=False)
            cursor_out = {"modified": _iso(newest)} if newest is not None else None
            yield Batch(tables=tables, cursor=cursor_out, warnings=tuple(warnings))
            after = text(((page.get("paging") or {}).get("next") or {}).get("after"))
            if after is None or not results:
                return
            if after.isdigit() and int(after) + len(results) > SEARCH_CAP:
                # one query pages through at most 10,000 records: start again from here
                if page_newest is None or page_newest <= lower:
                    raise UpstreamError(
                        f"HubSpot: more than {SEARCH_CAP:,} {kind.object_type} share the "
                        f"modification time {lower:%Y-%m-%d %H:%M:%S.%f}Z; pull with --full"
                    )
                lower, after = page_newest, None

    def _tables(
        self, kind: _Kind, results: list[dict[str, Any]], *, listed: bool
    ) -> tuple[dict[str, pl.DataFrame], list[str]]:
        if kind.object_type == "contacts":
            return contact_tables(results), []
        warnings: list[str] = []
        noted: set[str] = set()
        if listed:
            links = {str(r.get("id")): listed_contacts(r) for r in results}
        elif results:
            answer = self._post(
                "/crm/v4/associations/deals/contacts/batch/read",
                {"inputs": [{"id": str(r.get("id"))} for r in results]},
            )
            links, warnings = batch_associations(answer)
            noted = errored_deals(answer)
        else:
            links = {}
        deals, more = deal_rows(results, links, noted=noted)
        return {"deals": deals}, warnings + more


#: The scopes a path needs when HubSpot's refusal names none.
PATH_SCOPES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("/associations/deals/contacts", ("crm.objects.deals.read", "crm.objects.contacts.read")),
    ("/objects/deals", ("crm.objects.deals.read",)),
    ("/objects/contacts", ("crm.objects.contacts.read",)),
)
GRANT = (
    "add it to the private app (Settings > Integrations > Private Apps > the app > Scopes), "
    "commit the change and use the token the app then shows; an OAuth app must be installed "
    "again so the account consents to the new scopes"
)


def required_scopes(payload: Any) -> list[str]:
    """The scopes a MISSING_SCOPES body names (``requiredGranularScopes``, ``requiredScopes``
    or ``missingScopes``, in the body's or its ``errors[]``'s ``context``), without repeats."""
    if not isinstance(payload, Mapping):
        return []
    contexts = [payload.get("context")]
    contexts += [e.get("context") for e in payload.get("errors") or [] if isinstance(e, Mapping)]
    out: list[str] = []
    for ctx in contexts:
        if not isinstance(ctx, Mapping):
            continue
        for key in ("requiredGranularScopes", "requiredScopes", "missingScopes"):
            for scope in ctx.get(key) or []:
                if isinstance(scope, str) and scope and scope not in out:
                    out.append(scope)
    return out


def refusal(exc: HttpStatusError, method: str, path: str) -> UpstreamError:
    """A HubSpot 4xx (not 401/429) as the error hierarchy's class; see the module doc."""
    payload = exc.payload if isinstance(exc.payload, Mapping) else {}
    category = str(payload.get("category") or "")
    message = text(payload.get("message")) or f"HTTP {exc.status}"
    where = f"HubSpot: {method} {path}: HTTP {exc.status}" + (f" {category}" if category else "")
    if exc.status == 403 or category == "MISSING_SCOPES":
        scopes = required_scopes(payload) or next(
            (list(s) for part, s in PATH_SCOPES if part in path), []
        )
        named = " and ".join(scopes) if scopes else "the scope this call needs"
        return PermissionDenied(f"{where}: the token lacks {named} ({message}); {GRANT}")
    if exc.status == 404 or category == "OBJECT_NOT_FOUND":
        return UnknownObject(f"{where}: {message}")
    if exc.status == 400 or category == "VALIDATION_ERROR":
        return HttpStatusError(
            f"{where}: {message} (a property or filter this call names is not valid in this "
            "HubSpot account)",
            status=exc.status,
            payload=exc.payload,
        )
    return exc


def _since_filter(prop: str, lower: datetime) -> dict[str, str]:
    return {"propertyName": prop, "operator": "GTE", "value": _ms(lower)}


def _object(got: Any, path: str) -> dict[str, Any]:
    if not isinstance(got, dict):
        raise UpstreamError(f"HubSpot: {path} did not return a JSON object")
    return got


def _newest(
    results: Iterable[Mapping[str, Any]], kind: _Kind, newest: datetime | None
) -> datetime | None:
    for rec in results:
        p = rec.get("properties") or {}
        ts = timestamp(p.get(kind.modified)) or timestamp(rec.get("updatedAt"))
        if ts is not None and (newest is None or ts > newest):
            newest = ts
    return newest


def create(ctx: AdapterContext) -> Adapter:
    """The HubSpot adapter for `ctx`."""
    return HubSpot(ctx)


INIT_TEMPLATE = """\
# HubSpot CRM: contacts (with their original and latest source), leads and deals.
# Secret: a private app's access token in SOCIALROI_HUBSPOT_ACCESS_TOKEN (or access_token under
# [hubspot] in config/secrets.toml), with scopes crm.objects.contacts.read and
# crm.objects.deals.read (Settings > Integrations > Private Apps).
[platforms.hubspot]
# base_url = "https://api.hubapi.com"
# page_size = 100          # records per list call (at most 100)
# search_page_size = 200   # records per search call (at most 200)
# overlap_minutes = 10     # later runs look back this far before the cursor (search index lag)
"""
