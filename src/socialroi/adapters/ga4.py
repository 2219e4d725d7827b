"""GA4 Data API: web sessions by source, medium, campaign, content, term and landing page.

One stream, ``sessions``: ``POST {base_url}/{api_version}/properties/{id}:runReport`` for the
dimensions in :data:`DIMENSIONS` and the metric ``sessions``, paged with ``offset``/``limit``
while ``offset < rowCount`` (GA4 omits ``rows`` and ``rowCount`` when a report is empty).

GA4 reports aggregates, not single visits: each report row becomes one canonical ``sessions`` row
standing for ``count`` sessions, with the deterministic id
``ga4:<property>:<YYYY-MM-DD>:<hash of the other dimension values>`` and ``started_at`` at the
start of that day in the property's time zone. Re-pulling a day replaces its rows. ``(not set)``
and the ``(other)`` roll-up row become empty values (the roll-up is reported as a warning);
``(direct)``/``(none)`` stay, as the channel rules read them. Which channel a row counts for is
decided later by :mod:`socialroi.core.channels` (GA4's own Organic/Paid Social rules); GA4's
``sessionDefaultChannelGroup`` is requested only to report where the two disagree.

Incremental by date: the cursor is the last day pulled; each run starts ``settle_days`` (3) days
before it again because GA4 keeps processing a day for up to 72 hours.

Refusals are classified from the Data API's ``{"error": {"code", "message", "status"}}`` bodies:
403 ``PERMISSION_DENIED`` → PermissionDenied (no access to the property, a token without the
``analytics.readonly`` scope, or the API not enabled in the Cloud project: the message says which
and where to fix it); 404 ``NOT_FOUND`` → UnknownObject naming ``property_id``; 400
``INVALID_ARGUMENT`` ("Field X is not a valid metric") → an UpstreamError naming the field; 401 →
AuthFailed; 429 ``RESOURCE_EXHAUSTED`` → the rate-limit rule above. A refused page fails the
stream: the cursor is only written with the last page, so the refused days are fetched again.

Authentication is an OAuth access token (secret ``access_token``) sent as a bearer token, with
an optional ``quota_project`` sent as ``X-Goog-User-Project``; docs/platforms/ga4.md says how
to get one with gcloud. Service-account key files would need google-auth, which is not a
dependency.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl
import requests

from socialroi import schema
from socialroi.adapters._http import (
    HttpStatusError,
    RateLimitRule,
    Signal,
    json_body,
    retry_after,
)
from socialroi.adapters.base import Adapter, AdapterContext, Batch, Stream
from socialroi.core.channels import classify_sessions
from socialroi.core.vocabulary import PAID_SOCIAL, SOCIAL_OTHER
from socialroi.errors import ConfigError, PermissionDenied, UnknownObject, UpstreamError

PLATFORM = "ga4"
DEFAULTS: dict[str, Any] = {
    "base_url": "https://analyticsdata.googleapis.com",
    "api_version": "v1beta",
    "property_id": "",
    "quota_project": "",
    "lookback_days": 90,
    "settle_days": 3,
    "page_size": 10_000,
}
SECRETS: tuple[str, ...] = ("access_token",)
#: Options `socialroi doctor` requires (quota_project may stay empty).
REQUIRED_OPTIONS: tuple[str, ...] = ("property_id",)

#: Report dimensions, in request order. The first is the date; the rest name the combination.
DIMENSIONS: tuple[str, ...] = (
    "date",
    "sessionSource",
    "sessionMedium",
    "sessionCampaignName",
    "sessionManualAdContent",
    "sessionManualTerm",
    "landingPage",
    "sessionDefaultChannelGroup",
)
#: Canonical sessions column of each dimension that has one.
COLUMNS: dict[str, str] = {
    "sessionSource": "source",
    "sessionMedium": "medium",
    "sessionCampaignName": "campaign",
    "sessionManualAdContent": "content",
    "sessionManualTerm": "term",
    "landingPage": "landing_page",
}
#: Columns where any parenthesised GA4 placeholder ("(organic)", "(referral)"…) means "none".
_PLACEHOLDER_COLUMNS = frozenset({"campaign", "content", "term", "landing_page"})
NOT_SET = "(not set)"
OTHER = "(other)"
#: Share of a token quota left under which a pull warns.
QUOTA_WARN_SHARE = 0.10
_QUOTAS = {
    "tokensPerDay": "daily tokens",
    "tokensPerHour": "hourly tokens",
    "tokensPerProjectPerHour": "hourly tokens for this project",
}
PACIFIC = ZoneInfo("America/Los_Angeles")
#: Waits for a 429 whose message names no quota window.
HOURLY_WAIT = 3600.0
CONCURRENT_WAIT = 10.0
DEFAULT_WAIT = 60.0


# -- rate limits ---------------------------------------------------------------------------------
def _error(resp: requests.Response) -> dict[str, Any]:
    body = json_body(resp)
    err = body.get("error") if isinstance(body, dict) else None
    return err if isinstance(err, dict) else {}


def _next_pacific_midnight(now: datetime) -> datetime:
    local = now.astimezone(PACIFIC)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(), tzinfo=PACIFIC)
    return midnight.astimezone(UTC)


def rate_limit(resp: requests.Response, now: datetime) -> Signal | None:
    """GA4's signal: HTTP 429 ``RESOURCE_EXHAUSTED``; the message says which quota ran out.

    Daily token quotas return at midnight US Pacific, hourly ones within the hour, concurrent
    request slots within seconds. A ``Retry-After`` header, when sent, wins.
    """
    if resp.status_code != 429:
        return None
    err = _error(resp)
    message = str(err.get("message", ""))
    low = message.lower()
    hinted = retry_after(resp, now)
    if hinted is not None:
        wait, when = hinted, f"Retry-After {hinted:g}s"
    elif "per day" in low or "daily" in low:
        reset = _next_pacific_midnight(now)
        wait = (reset - now).total_seconds()
        when = f"daily quota returns at midnight US Pacific ({reset:%Y-%m-%d %H:%MZ})"
    elif "concurrent" in low:
        wait, when = CONCURRENT_WAIT, "too many concurrent requests"
    elif "hour" in low:
        wait, when = HOURLY_WAIT, "hourly quota returns within the hour"
    else:
        wait, when = DEFAULT_WAIT, "quota exhausted"
    status = err.get("status", "RESOURCE_EXHAUSTED")
    return Signal(wait=max(wait, 0.0), retry=True, reason=f"GA4: 429 {status}, {when}")


RATE_LIMIT: RateLimitRule = rate_limit


# -- responses to rows ---------------------------------------------------------------------------
def _zone(name: str | None) -> tuple[ZoneInfo | None, list[str]]:
    if not name:
        return None, []
    try:
        return ZoneInfo(name), []
    except (ZoneInfoNotFoundError, ValueError):
        return None, [f"GA4: unknown property time zone {name!r}; days are taken as UTC"]


def clean_value(column: str, value: str | None) -> str | None:
    """A dimension value as stored in canonical `column`: ``(not set)``, ``(other)`` and, for
    campaign, content, term and landing page, any parenthesised placeholder become empty."""
    if value is None:
        return None
    v = value.strip()
    if v in ("", NOT_SET, OTHER):
        return None
    if column in _PLACEHOLDER_COLUMNS and v.startswith("(") and v.endswith(")"):
        return None
    return v


def _day(value: str) -> date:
    """GA4's ``date`` dimension (``20261120``) as a date."""
    v = value.strip()
    return date(int(v[:4]), int(v[4:6]), int(v[6:8]))


def session_id(property_id: str, day: date, values: Sequence[str | None]) -> str:
    """The deterministic id of one report row: property, day and a hash of its other values.

    `values` are GA4's own texts of :data:`DIMENSIONS` ``[1:]`` in order, ``(not set)`` included,
    as the Data API returns them. A file export (:mod:`socialroi.adapters.formats.ga4`) passes
    None for a dimension it lacks, so its rows, which add up over that dimension, never take the
    id of a pull's row.
    """
    digest = hashlib.sha256(json.dumps(list(values)).encode("utf-8")).hexdigest()[:16]
    return f"ga4:{property_id}:{day.isoformat()}:{digest}"


def report_rows(report: Mapping[str, Any], property_id: str) -> tuple[pl.DataFrame, list[str]]:
    """One runReport page as canonical sessions rows, plus warnings about the data.

    Also returns (in the frame, column ``_group``) GA4's channel group of each row, for
    :func:`channel_warnings`; :func:`socialroi.schema.conform` drops it.
    """
    warnings: list[str] = []
    dims = [h.get("name", "") for h in report.get("dimensionHeaders", [])]
    mets = [h.get("name", "") for h in report.get("metricHeaders", [])]
    rows = report.get("rows") or []
    if rows and ("date" not in dims or "sessions" not in mets):
        raise UpstreamError(
            f"GA4: the report has no date dimension or sessions metric (got {dims} / {mets})"
        )
    zone, zone_warnings = _zone((report.get("metadata") or {}).get("timeZone"))
    warnings += zone_warnings
    records: list[dict[str, Any]] = []
    rolled_up = 0
    for row in rows:
        values = [str(v.get("value", "")) for v in row.get("dimensionValues", [])]
        raw = dict(zip(dims, values, strict=False))
        metrics = dict(zip(mets, row.get("metricValues", []), strict=False))
        day = _day(raw["date"])
        start = datetime.combine(day, time(), tzinfo=zone or UTC).astimezone(UTC)
        count = int(float(metrics["sessions"].get("value", "0") or 0))
        rec: dict[str, Any] = {
            "session_id": session_id(property_id, day, [raw.get(d, "") for d in DIMENSIONS[1:]]),
            "started_at": start,
            "count": count,
            "_group": raw.get("sessionDefaultChannelGroup"),
        }
        for dim, col in COLUMNS.items():
            rec[col] = clean_value(col, raw.get(dim))
        if OTHER in values:
            rolled_up += count
        records.append(rec)
    if rolled_up:
        warnings.append(
            f"GA4 property {property_id}: {rolled_up:,} sessions are in GA4's '(other)' row "
            "(too many distinct values that day); their source, campaign or page is unknown"
        )
    frame_schema: dict[str, pl.DataType] = {
        "session_id": pl.String(),
        "started_at": schema.UTC_TS,
        "count": pl.Int64(),
        "_group": pl.String(),
        **{c: pl.String() for c in COLUMNS.values()},
    }
    df = pl.DataFrame(records, schema=frame_schema, orient="row") if records else None
    if df is None:
        df = pl.DataFrame(schema=frame_schema)
    return df, warnings


def channel_warnings(df: pl.DataFrame, *, limit: int = 5) -> list[str]:
    """Where GA4's Organic/Paid Social grouping and socialroi's channel rules disagree.

    `df` is :func:`report_rows`'s frame. Names the source / medium pairs with the most sessions.
    """
    if df.height == 0:
        return []
    classified = classify_sessions(df)
    ours_social = pl.col("platform").is_not_null() | (pl.col("channel") == SOCIAL_OTHER)
    ours = (
        pl.when(pl.col("channel") == PAID_SOCIAL)
        .then(pl.lit("Paid Social"))
        .when(ours_social)
        .then(pl.lit("Organic Social"))
        .otherwise(pl.lit("not social"))
    )
    theirs = (
        pl.when(pl.col("_group").is_in(["Organic Social", "Paid Social"]))
        .then(pl.col("_group"))
        .otherwise(pl.lit("not social"))
    )
    diff = (
        classified.with_columns(ours.alias("_ours"), theirs.alias("_theirs"))
        .filter(pl.col("_ours") != pl.col("_theirs"))
        .group_by("source", "medium", "_theirs", "channel")
        .agg(pl.col("count").sum().alias("n"))
        .sort(["n", "source", "medium"], descending=[True, False, False], nulls_last=True)
    )
    out = []
    for r in diff.head(limit).iter_rows(named=True):
        out.append(
            f"GA4 counts {r['n']:,} sessions from {r['source'] or '(empty)'} / "
            f"{r['medium'] or '(empty)'} as {r['_theirs']}; socialroi counts them as "
            f"{r['channel']} (tag organic posts utm_medium=social, ads utm_medium=cpc)"
        )
    return out


def quota_warnings(report: Mapping[str, Any], property_id: str) -> list[str]:
    """A warning per token quota with less than 10% left (``returnPropertyQuota``)."""
    quota = report.get("propertyQuota") or {}
    out = []
    for key, label in _QUOTAS.items():
        q = quota.get(key) or {}
        consumed, remaining = int(q.get("consumed", 0) or 0), q.get("remaining")
        if remaining is None:
            continue
        total = consumed + int(remaining)
        if total > 0 and int(remaining) < QUOTA_WARN_SHARE * total:
            out.append(
                f"GA4 property {property_id}: {int(remaining):,} of {total:,} {label} left "
                f"({int(remaining) / total:.0%}); the next pulls may be refused until it returns"
            )
    return out


# -- refusals ------------------------------------------------------------------------------------
SCOPE = "https://www.googleapis.com/auth/analytics.readonly"


def refusal(exc: HttpStatusError, property_id: str, hint: str) -> UpstreamError:
    """A Data API 4xx (not 401/429) as the error hierarchy's class; see the module doc."""
    err = exc.payload.get("error") if isinstance(exc.payload, Mapping) else None
    err = err if isinstance(err, Mapping) else {}
    message = str(err.get("message") or "")
    status = str(err.get("status") or "")
    low = message.lower()
    where = f"GA4 property {property_id}: runReport refused (HTTP {exc.status} {status})".rstrip()
    if exc.status == 403 or status == "PERMISSION_DENIED":
        if "has not been used in project" in low or "service_disabled" in low or "disabled" in low:
            fix = (
                "enable the Google Analytics Data API in the Google Cloud project the token "
                "bills (APIs & Services > Library), or set platforms.ga4.quota_project to a "
                "project where it is enabled"
            )
        elif "scope" in low:
            fix = f"get a token with the scope {SCOPE} and set it in {hint}"
        else:
            fix = (
                "give the Google account (or service account e-mail) behind the token at least "
                "the Viewer role on this property in GA4 Admin > Property access management, "
                f"and check that platforms.ga4.property_id is the property's number; the token "
                f"needs the scope {SCOPE}"
            )
        return PermissionDenied(f"{where}: {message}; {fix}")
    if exc.status == 404 or status == "NOT_FOUND":
        return UnknownObject(
            f"{where}: {message or 'not found'}; check platforms.ga4.property_id "
            "(GA4 Admin > Property details > Property ID, a number)"
        )
    if exc.status == 400 or status == "INVALID_ARGUMENT":
        return HttpStatusError(
            f"{where}: {message or 'invalid argument'}; the report's dimensions or metrics are "
            "not valid for this property (GA4 renames or retires fields; see "
            "developers.google.com/analytics/devguides/reporting/data/v1/api-schema)",
            status=exc.status,
            payload=exc.payload,
        )
    return exc


# -- the adapter ---------------------------------------------------------------------------------
def _property(options: Mapping[str, Any]) -> str:
    pid = str(options.get("property_id", "") or "").strip().removeprefix("properties/")
    if not pid.isdigit():
        raise ConfigError(
            "[platforms.ga4] property_id must be the GA4 property's number "
            '(Admin > Property details), e.g. property_id = "123456789"'
        )
    return pid


class GA4:
    """The GA4 adapter: one ``sessions`` stream."""

    platform = PLATFORM
    streams: tuple[Stream, ...] = (
        Stream(
            "sessions",
            ("sessions",),
            incremental=True,
            description="daily sessions by source, medium, campaign, content, term, landing page",
        ),
    )

    def __init__(self, ctx: AdapterContext) -> None:
        self.ctx = ctx
        self.options = {**DEFAULTS, **dict(ctx.options)}
        self.property_id = _property(self.options)
        self.page_size = int(self.options["page_size"])
        if not 1 <= self.page_size <= 250_000:
            raise ConfigError("[platforms.ga4] page_size must be between 1 and 250000")

    # HTTP
    def _headers(self) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.ctx.secrets.get('access_token')}"}
        if self.options.get("quota_project"):
            headers["X-Goog-User-Project"] = str(self.options["quota_project"])
        return headers

    def _path(self) -> str:
        return f"/{self.options['api_version']}/properties/{self.property_id}:runReport"

    def run_report(self, body: Mapping[str, Any]) -> dict[str, Any]:
        try:
            got = self.ctx.http.post_json(self._path(), json=dict(body), headers=self._headers())
        except HttpStatusError as exc:
            raise refusal(exc, self.property_id, self.ctx.secrets.hint()) from None
        if not isinstance(got, dict):
            raise UpstreamError("GA4: runReport did not return a JSON object")
        return got

    # protocol
    def check(self) -> str:
        report = self.run_report(
            {
                "dateRanges": [{"startDate": "7daysAgo", "endDate": "yesterday"}],
                "metrics": [{"name": "sessions"}],
                "limit": 1,
                "returnPropertyQuota": True,
            }
        )
        rows = report.get("rows") or []
        n = int(rows[0]["metricValues"][0]["value"]) if rows else 0
        zone = (report.get("metadata") or {}).get("timeZone", "time zone unknown")
        text = f"property {self.property_id} ({zone}): {n:,} sessions in the last 7 days"
        day = (report.get("propertyQuota") or {}).get("tokensPerDay") or {}
        if "remaining" in day:
            total = int(day.get("consumed", 0) or 0) + int(day["remaining"])
            text += f"; {int(day['remaining']):,} of {total:,} tokens left today"
        return text

    def window(self, since: datetime | None, state: Mapping[str, Any] | None) -> tuple[date, date]:
        """First and last day to pull: from the cursor less the settling days, else `since`,
        else the lookback; through the run's day."""
        end = self.ctx.as_of.astimezone(UTC).date()
        if state and state.get("through"):
            settle = max(int(self.options["settle_days"]), 1)
            start = date.fromisoformat(str(state["through"])) - timedelta(days=settle - 1)
        elif since is not None:
            start = since.astimezone(UTC).date() if since.tzinfo else since.date()
        else:
            start = end - timedelta(days=int(self.options["lookback_days"]))
        return min(start, end), end

    def fetch(
        self, stream: str, *, since: datetime | None, state: Mapping[str, Any] | None
    ) -> Iterator[Batch]:
        if stream != "sessions":
            raise ConfigError(f"ga4 has no stream '{stream}'; it has: sessions")
        start, end = self.window(since, state)
        offset = 0
        while True:
            report = self.run_report(
                {
                    "dateRanges": [{"startDate": start.isoformat(), "endDate": end.isoformat()}],
                    "dimensions": [{"name": d} for d in DIMENSIONS],
                    "metrics": [{"name": "sessions"}],
                    "orderBys": [{"dimension": {"dimensionName": d}} for d in DIMENSIONS],
                    "limit": self.page_size,
                    "offset": offset,
                    "returnPropertyQuota": True,
                }
            )
            df, warnings = report_rows(report, self.property_id)
            warnings += channel_warnings(df) + quota_warnings(report, self.property_id)
            offset += self.page_size
            last = not report.get("rows") or offset >= int(report.get("rowCount", 0) or 0)
            yield Batch(
                tables={"sessions": schema.conform("sessions", df, source="ga4")},
                cursor={"through": end.isoformat()} if last else None,
                warnings=tuple(warnings),
            )
            if last:
                return


def create(ctx: AdapterContext) -> Adapter:
    """The GA4 adapter for `ctx` (raises ConfigError for a missing or malformed property id)."""
    return GA4(ctx)


INIT_TEMPLATE = """\
[platforms.ga4]
# GA4 property number (Admin > Property details > Property ID). Required.
property_id = ""
# Google Cloud project billed for the API quota (sent as X-Goog-User-Project); needed with
# user credentials from `gcloud auth application-default login`.
# quota_project = "my-project"
# Days pulled on the first run without --since.
# lookback_days = 90
# Days re-pulled every run: GA4 keeps processing a day for up to 72 hours.
# settle_days = 3
# Rows per runReport page (GA4 allows up to 250000).
# page_size = 10000
# base_url = "https://analyticsdata.googleapis.com"
# api_version = "v1beta"
#
# Secret: an OAuth access token with scope analytics.readonly, in SOCIALROI_GA4_ACCESS_TOKEN
# or as access_token under [ga4] in config/secrets.toml. Tokens last one hour, e.g.:
#   export SOCIALROI_GA4_ACCESS_TOKEN="$(gcloud auth application-default print-access-token \\
#       --scopes=https://www.googleapis.com/auth/analytics.readonly)"
"""
