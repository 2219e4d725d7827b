"""A small Meta Graph API client on the one HTTP layer, shared by Facebook Pages and Instagram.

Why not facebook-sdk: its 3.1 release accepts only Graph versions 2.8-3.1 (every current version is
refused) and never exposes response headers, so usage headers could not be read.

What it does:
- pins the API version (``/v25.0/...``) and sends ``access_token`` plus, when an app secret is
  configured, ``appsecret_proof`` (HMAC-SHA256 of the token keyed by the app secret);
- follows ``paging.next`` (re-rooted on the configured base URL, token re-added) and stops when
  it is absent, even if ``paging.cursors`` are still there;
- reads Meta's error body ``{"error": {"code", "error_subcode", "message", ...}}``: codes
  4/17/32/613/80001/80002 are rate limits (handled by `rate_limit_rule` inside the HTTP layer),
  190 is an expired or invalid token (`AuthFailed`), 1/2 are transient (retried), 100 on an
  insights call is a metric this object or version does not have (dropped, the rest retried);
- `rate_limit_rule` also reads ``X-App-Usage`` / ``X-Business-Use-Case-Usage`` (JSON strings in a
  header) and slows down when any percentage reaches 90.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests

from socialroi.adapters._http import Http, HttpStatusError, Signal
from socialroi.adapters._social_rows import parse_time
from socialroi.adapters.base import AdapterContext
from socialroi.errors import AuthFailed, UpstreamError

#: Error codes that mean "slow down": app (4), user (17), Page (32), custom (613) and the
#: business-use-case limits for Pages (80001) and Instagram (80002).
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, 80001, 80002})
TRANSIENT_CODES = frozenset({1, 2})
TOKEN_CODE = 190
INVALID_PARAM_CODE = 100
#: A usage header at or above this percentage slows the next call down.
USAGE_SLOWDOWN_PCT = 90.0
#: Wait after a rate-limit error that gives no estimate (Meta's windows roll over an hour).
DEFAULT_LIMIT_WAIT = 300.0
#: Wait before the next call when usage is near the limit and Meta gives no estimate.
DEFAULT_SLOWDOWN_WAIT = 60.0
TRANSIENT_RETRIES = 2
USAGE_HEADERS = ("X-App-Usage", "X-Page-Usage", "X-Ad-Account-Usage")
BUC_HEADER = "X-Business-Use-Case-Usage"


@dataclass(frozen=True)
class GraphErrorInfo:
    """The fields of a Graph error body that decide what to do."""

    code: int | None
    subcode: int | None
    message: str
    transient: bool


def error_info(body: Any) -> GraphErrorInfo | None:
    """The error inside a Graph response body, or None when it holds none."""
    if not isinstance(body, Mapping):
        return None
    err = body.get("error")
    if not isinstance(err, Mapping):
        return None

    def _int(v: Any) -> int | None:
        try:
            return int(v)
        except (TypeError, ValueError):
            return None

    return GraphErrorInfo(
        code=_int(err.get("code")),
        subcode=_int(err.get("error_subcode")),
        message=str(err.get("message") or "").strip(),
        transient=bool(err.get("is_transient")),
    )


def _json_body(resp: requests.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        return None


def usage(headers: Mapping[str, str]) -> tuple[float, float]:
    """(highest usage percentage, longest estimated wait in seconds) from Meta's usage headers.

    ``X-App-Usage: {"call_count":28,"total_time":25,"total_cputime":25}`` and
    ``X-Business-Use-Case-Usage: {"<id>":[{"type":"pages","call_count":N,...,
    "estimated_time_to_regain_access":<minutes>}]}``. Unreadable headers count as 0.
    """
    pct = 0.0
    wait = 0.0

    def _take(d: Mapping[str, Any]) -> None:
        nonlocal pct, wait
        for key in ("call_count", "total_time", "total_cputime", "acc_id_util_pct"):
            v = d.get(key)
            if isinstance(v, int | float):
                pct = max(pct, float(v))
        minutes = d.get("estimated_time_to_regain_access")
        if isinstance(minutes, int | float):
            wait = max(wait, float(minutes) * 60.0)

    for name in USAGE_HEADERS:
        raw = headers.get(name)
        parsed = _loads(raw)
        if isinstance(parsed, Mapping):
            _take(parsed)
    buc = _loads(headers.get(BUC_HEADER))
    if isinstance(buc, Mapping):
        for entries in buc.values():
            for entry in entries if isinstance(entries, list) else [entries]:
                if isinstance(entry, Mapping):
                    _take(entry)
    return pct, wait


def _loads(raw: str | None) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def rate_limit_rule(label: str) -> Callable[[requests.Response, datetime], Signal | None]:
    """The RATE_LIMIT rule for a Graph platform; `label` names it in messages ("Facebook")."""

    def rule(resp: requests.Response, now: datetime) -> Signal | None:
        pct, est = usage(resp.headers)
        if resp.status_code >= 400:
            info = error_info(_json_body(resp))
            if info is not None and info.code in RATE_LIMIT_CODES:
                wait = est if est > 0 else DEFAULT_LIMIT_WAIT
                until = (now + timedelta(seconds=wait)).strftime("%H:%M:%SZ")
                return Signal(
                    wait=wait,
                    retry=True,
                    reason=f"{label}: rate limited (error {info.code}: {info.message}); "
                    f"retry after {until}",
                )
            return None
        if pct >= USAGE_SLOWDOWN_PCT:
            wait = est if est > 0 else DEFAULT_SLOWDOWN_WAIT
            return Signal(
                wait=wait,
                retry=False,
                reason=f"{label}: API usage at {pct:.0f}% of the limit, slowing down",
            )
        return None

    return rule


def appsecret_proof(token: str, app_secret: str) -> str:
    """HMAC-SHA256 of the access token keyed by the app secret, hex (Meta's appsecret_proof)."""
    return hmac.new(app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()


@dataclass
class Insights:
    """One object's insights: the raw ``data`` items, and what went wrong on the way."""

    data: list[Any] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: True when a call was refused for a reason other than a dead metric (permissions, too few
    #: viewers): the caller should not treat the period as done.
    failed: bool = False

    @property
    def values(self) -> dict[str, Any]:
        """metric -> lifetime/total value (metrics with no data are absent, not 0)."""
        return insight_values({"data": self.data})

    @property
    def daily(self) -> dict[date, dict[str, Any]]:
        """day -> metric -> value for ``period=day`` series."""
        return daily_values({"data": self.data})


class GraphClient:
    """GET calls against one pinned Graph version, with Meta's error handling."""

    def __init__(
        self,
        http: Http,
        *,
        label: str,
        version: str,
        token: str,
        app_secret: str | None = None,
        secrets_hint: str = "",
    ) -> None:
        self.http = http
        self.label = label
        self.version = version if version.startswith("v") else f"v{version}"
        self._auth = {"access_token": token}
        if app_secret:
            self._auth["appsecret_proof"] = appsecret_proof(token, app_secret)
        self._hint = secrets_hint
        #: Metrics the API rejected (code 100) for an object kind: never asked for again.
        self.dead_metrics: set[tuple[str, str]] = set()

    # --- raw calls ---------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            # A paging link: keep its path and query, re-root it on the configured base URL.
            parts = urlsplit(path)
            query = [
                (k, v)
                for k, v in parse_qsl(parts.query, keep_blank_values=True)
                if k not in ("access_token", "appsecret_proof")
            ]
            rel = parts.path + ("?" + urlencode(query) if query else "")
            return self.http.url(rel)
        return self.http.url(f"/{self.version}/{path.lstrip('/')}")

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """One GET; returns the JSON body or raises AuthFailed / UpstreamError / GraphCallError.

        Rate limits (codes 4/17/32/613/80001/80002) never reach here: the HTTP layer waits or
        raises RateLimited on them through `rate_limit_rule`.
        """
        url = self._url(path)
        query = {**(params or {}), **self._auth}
        attempt = 0
        while True:
            try:
                resp = self.http.request("GET", url, params=query)
            except HttpStatusError as exc:
                info = error_info(exc.payload) or GraphErrorInfo(None, None, str(exc), False)
                if info.code == TOKEN_CODE:
                    raise AuthFailed(
                        f"{self.label}: the access token was refused (error {info.code}"
                        f"{'/' + str(info.subcode) if info.subcode else ''}: {info.message}); "
                        f"{self._hint}"
                    ) from None
                transient = info.code in TRANSIENT_CODES or info.transient
                if transient and attempt < TRANSIENT_RETRIES:
                    attempt += 1
                    self.http.sleep(self.http.backoff * 2**attempt)
                    continue
                raise GraphCallError(self.label, exc.status, info, _path(url)) from None
            body = _json_body(resp)
            if body is None:
                raise UpstreamError(
                    f"{self.label}: HTTP {resp.status_code} on {_path(url)} is not JSON"
                )
            return body

    def pages(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[list[Any]]:
        """The ``data`` list of each page of an edge, following ``paging.next`` to the end."""
        body = self.get(path, params)
        while True:
            data = body.get("data") if isinstance(body, Mapping) else None
            yield list(data) if isinstance(data, list) else []
            nxt = (body.get("paging") or {}).get("next") if isinstance(body, Mapping) else None
            if not nxt:
                return
            body = self.get(str(nxt))

    # --- insights ----------------------------------------------------------------------------

    def insights(
        self,
        object_id: str,
        metrics: Sequence[str],
        *,
        kind: str,
        params: Mapping[str, Any] | None = None,
    ) -> Insights:
        """Lifetime/total insight values for one object.

        A metric the API rejects with code 100 is dropped (and not asked for again for this
        `kind` of object) and the rest are fetched; a metric with no data is absent from the
        result, not 0. Other per-object errors (permissions, "not enough viewers") become a
        warning and an empty result.
        """
        out = Insights()
        wanted = [m for m in metrics if (kind, m) not in self.dead_metrics]
        if not wanted:
            return out
        try:
            out.data += self._insights_call(object_id, wanted, params)
        except GraphCallError as exc:
            if exc.info.code != INVALID_PARAM_CODE or len(wanted) == 1:
                self._per_object_failure(out, object_id, wanted, exc, kind)
                return out
        else:
            return out
        # One metric spoils the whole call: ask for each alone and drop the ones refused.
        for metric in wanted:
            try:
                out.data += self._insights_call(object_id, [metric], params)
            except GraphCallError as exc:
                self._per_object_failure(out, object_id, [metric], exc, kind)
        return out

    def _per_object_failure(
        self, out: Insights, object_id: str, metrics: list[str], exc: GraphCallError, kind: str
    ) -> None:
        if exc.info.code == INVALID_PARAM_CODE and len(metrics) == 1:
            self.dead_metrics.add((kind, metrics[0]))
            out.warnings.append(
                f"{self.label}: metric {metrics[0]} is not available for {kind} "
                f"(error 100: {exc.info.message}); dropped"
            )
            return
        out.failed = True
        out.warnings.append(
            f"{self.label}: insights for {object_id} unavailable "
            f"(error {exc.info.code}: {exc.info.message})"
        )

    def _insights_call(
        self, object_id: str, metrics: Sequence[str], params: Mapping[str, Any] | None
    ) -> list[Any]:
        body = self.get(f"{object_id}/insights", {"metric": ",".join(metrics), **(params or {})})
        data = body.get("data") if isinstance(body, Mapping) else None
        return list(data) if isinstance(data, list) else []


def client(ctx: AdapterContext, version: Any, *, label: str, hint: str) -> GraphClient:
    """A client on `ctx`'s access_token, signing calls when the secrets hold an app_secret.

    `hint` says what to do about a bad token ("set a new Page token"); where is added.
    """
    secrets = ctx.secrets
    return GraphClient(
        ctx.http,
        label=label,
        version=str(version),
        token=secrets.get("access_token"),
        app_secret=secrets.get("app_secret") if secrets.has("app_secret") else None,
        secrets_hint=f"{hint} in {secrets.hint()}",
    )


class GraphCallError(UpstreamError):
    """A Graph call refused for a reason other than auth or rate limits (kept for inspection)."""

    def __init__(self, label: str, status: int, info: GraphErrorInfo, path: str) -> None:
        self.status = status
        self.info = info
        super().__init__(f"{label}: {status} on {path}: error {info.code}: {info.message}")


def _path(url: str) -> str:
    return urlsplit(url).path


def insight_values(body: Any) -> dict[str, Any]:
    """metric name -> value from an insights body; metrics with no value are left out.

    Handles ``values[-1].value`` (int or a breakdown dict) and ``total_value.value``.
    """
    out: dict[str, Any] = {}
    data = body.get("data") if isinstance(body, Mapping) else None
    for item in data if isinstance(data, list) else []:
        if not isinstance(item, Mapping) or not item.get("name"):
            continue
        value: Any = None
        values = item.get("values")
        if isinstance(values, list) and values and isinstance(values[-1], Mapping):
            value = values[-1].get("value")
        total = item.get("total_value")
        if value is None and isinstance(total, Mapping):
            value = total.get("value")
        if value is not None:
            out[str(item["name"])] = value
    return out


def daily_values(body: Any) -> dict[date, dict[str, Any]]:
    """day -> {metric: value} from a ``period=day`` insights body.

    Meta stamps a day's value with the end of that day (``end_time`` of the next midnight, Pacific
    time), so the value belongs to the day before ``end_time``'s date.
    """
    out: dict[date, dict[str, Any]] = {}
    data = body.get("data") if isinstance(body, Mapping) else None
    for item in data if isinstance(data, list) else []:
        if not isinstance(item, Mapping) or item.get("period") not in (None, "day"):
            continue
        for v in item.get("values") or []:
            end = parse_time(v.get("end_time")) if isinstance(v, Mapping) else None
            if end is None or v.get("value") is None:
                continue
            day = (end - timedelta(days=1)).date()
            out.setdefault(day, {})[str(item["name"])] = v["value"]
    return out


def as_int(v: Any) -> int | None:
    """A count from an insight value: an int, a numeric string, or a breakdown dict (summed)."""
    if isinstance(v, Mapping):
        nums = [n for n in (as_int(x) for x in v.values()) if n is not None]
        return sum(nums) if nums else None
    if isinstance(v, bool) or not isinstance(v, int | float | str):
        return None
    try:
        n = int(float(v))
    except ValueError:
        return None
    return n if n >= 0 else None


_URL = re.compile(r"https?://[^\s<>\"')\]]+")


def first_url(text: str | None) -> str | None:
    """The first http(s) URL written in `text` (trailing punctuation dropped), or None."""
    m = _URL.search(text or "")
    return m.group(0).rstrip(".,;:!?") if m else None


def first_day(
    state: Mapping[str, Any] | None, since: datetime | None, last: date, lookback: int
) -> date:
    """First day to fetch: after the cursor's day, else `since`, else `lookback` days back."""
    raw = (state or {}).get("day")
    if isinstance(raw, str) and raw:
        return date.fromisoformat(raw) + timedelta(days=1)
    if since is not None:
        return since.astimezone(UTC).date()
    return last - timedelta(days=lookback - 1)


def windows(start: date, last: date, size: int) -> Iterator[tuple[date, date]]:
    """[start, last] in consecutive inclusive windows of at most `size` days, oldest first."""
    while start <= last:
        end = min(last, start + timedelta(days=size - 1))
        yield start, end
        start = end + timedelta(days=1)


def days(start: date, end: date) -> Iterator[date]:
    d = start
    while d <= end:
        yield d
        d += timedelta(days=1)
