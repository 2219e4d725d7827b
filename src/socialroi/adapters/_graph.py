"""A small Meta Graph API client on the one HTTP layer, shared by Facebook Pages and Instagram.

Why not facebook-sdk: its 3.1 release accepts only Graph versions 2.8-3.1 (every current version is
refused) and never exposes response headers, so usage headers could not be read.

What it does:
- pins the API version (``/v25.0/...``) and sends ``access_token`` plus, when an app secret is
  configured, ``appsecret_proof`` (HMAC-SHA256 of the token keyed by the app secret);
- follows ``paging.next`` (re-rooted on the configured base URL, token re-added) and stops when
  it is absent, even if ``paging.cursors`` are still there;
- classifies Meta's error body ``{"error": {"code", "error_subcode", "message", ...}}`` by
  `classify`: codes 4/17/32/613/80001/80002 are rate limits (handled by `rate_limit_rule` inside
  the HTTP layer), 190 an expired or invalid token (`AuthFailed`, the subcode explained), 1/2
  transient (retried). Meta uses code 100 for several things, so the text decides: a refusal that
  names a permission or feature (``(#100) ... requires the 'pages_read_engagement' permission``,
  ``Pages Public Content Access requires ...``) and codes 3, 10 and 200-299 are
  `PermissionDenied`, naming the permission and where to grant it; ``Unsupported get request.
  Object with ID '...' does not exist`` (subcode 33) and code 803 are `UnknownObject`, naming the
  config key that holds the id; only ``(#100) The value must be a valid insights metric`` and its
  Instagram forms are a dead metric, dropped with a warning while the others load. "Not enough
  viewers" and "media posted before business account conversion" (subcode 2108006) are one
  object without data: a warning, the object's metrics unknown. Anything else fails the call;
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
from typing import Any, NoReturn
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests

from socialroi.adapters._http import Http, HttpStatusError, Signal
from socialroi.adapters._social_rows import parse_time
from socialroi.adapters.base import AdapterContext
from socialroi.errors import AuthFailed, PermissionDenied, UnknownObject, UpstreamError

#: Error codes that mean "slow down": app (4), user (17), Page (32), custom (613) and the
#: business-use-case limits for Pages (80001) and Instagram (80002).
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, 80001, 80002})
TRANSIENT_CODES = frozenset({1, 2})
TOKEN_CODE = 190
INVALID_PARAM_CODE = 100
#: 3 "application does not have the capability", 10 and 200-299 "permission" errors.
PERMISSION_CODES = frozenset({3, 10, *range(200, 300)})
#: "Unsupported get request. Object with ID '...' does not exist ..." (under code 100).
UNKNOWN_OBJECT_SUBCODE = 33
#: "(#803) Some of the aliases you requested do not exist".
UNKNOWN_ALIAS_CODE = 803
#: Instagram: the media has no insights (too few viewers; posted before the business conversion).
NO_DATA_SUBCODES = frozenset({2108006})
#: What an expired or invalid token's subcode means (Meta's error-handling guide).
TOKEN_SUBCODES = {
    458: "the app is no longer installed for the user",
    459: "the user must log in to Facebook to lift a checkpoint",
    460: "the password changed (or Meta reset the session for security)",
    463: "the token expired",
    464: "the user is not confirmed",
    467: "the token is invalid (the user logged out or it was revoked)",
}
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
    #: ``error_user_title`` and ``error_user_msg``, which sometimes say more than ``message``.
    user_text: str = ""

    @property
    def text(self) -> str:
        """The message and the user-facing text, for matching."""
        return f"{self.message} {self.user_text}".strip()


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
        user_text=" ".join(
            str(err[k]).strip() for k in ("error_user_title", "error_user_msg") if err.get(k)
        ),
    )


#: What a Graph error means for the caller (see `classify`).
RATE_LIMIT = "rate_limit"
AUTH = "auth"
TRANSIENT = "transient"
PERMISSION = "permission"
UNKNOWN_OBJECT = "unknown_object"
DEAD_METRIC = "dead_metric"
NO_DATA = "no_data"
OTHER = "other"

_PERMISSION_NAMES = (
    re.compile(r"'([a-z][a-z0-9_]+)' permission"),
    re.compile(r"\b[Rr]equires ([a-z][a-z0-9_]+) permission"),
    re.compile(r"'([A-Z][A-Za-z ]+ Access)' feature"),
    re.compile(r"\b(Pages? Public (?:Content|Metadata) Access) requires"),
)
_DEAD_METRIC = re.compile(
    r"valid insights metric|metric\[\d+\] must be one of|"
    r"does not support the \w+ metric|metric is no longer supported|"
    r"\w+ metric (?:is )?(?:not|no longer) supported",
    re.IGNORECASE,
)


def permissions_named(text: str) -> list[str]:
    """The permissions and features a refusal names, in order, without repeats."""
    found: list[str] = []
    for pattern in _PERMISSION_NAMES:
        for m in pattern.finditer(text):
            name = m.group(1).replace("Pages Public", "Page Public")
            if name not in found:
                found.append(name)
    return found


def classify(info: GraphErrorInfo) -> str:
    """What a Graph error is: one of RATE_LIMIT, AUTH, TRANSIENT, PERMISSION, UNKNOWN_OBJECT,
    DEAD_METRIC, NO_DATA or OTHER (the first rule that holds, in that order but for NO_DATA,
    which is checked before PERMISSION: "(#10) Not enough viewers" is no permission problem).

    A refusal that names a permission is PERMISSION even under code 100 and even when it also
    says "does not exist" (Meta words missing permissions and wrong ids alike).
    """
    code, text = info.code, info.text
    lowered = text.lower()
    rules = (
        (RATE_LIMIT, code in RATE_LIMIT_CODES),
        (AUTH, code == TOKEN_CODE),
        (TRANSIENT, code in TRANSIENT_CODES or info.transient),
        (NO_DATA, info.subcode in NO_DATA_SUBCODES or "not enough viewers" in lowered),
        (PERMISSION, code in PERMISSION_CODES or bool(permissions_named(text))),
        (
            UNKNOWN_OBJECT,
            info.subcode == UNKNOWN_OBJECT_SUBCODE
            or code == UNKNOWN_ALIAS_CODE
            or "unsupported get request" in lowered,
        ),
        (DEAD_METRIC, code == INVALID_PARAM_CODE and bool(_DEAD_METRIC.search(text))),
    )
    return next((kind for kind, holds in rules if holds), OTHER)


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
        token_where: str = "",
        objects: Mapping[str, str] | None = None,
    ) -> None:
        self.http = http
        self.label = label
        self.version = version if version.startswith("v") else f"v{version}"
        self._auth = {"access_token": token}
        if app_secret:
            self._auth["appsecret_proof"] = appsecret_proof(token, app_secret)
        self._hint = secrets_hint
        #: Where the token is set ("SOCIALROI_FACEBOOK_ACCESS_TOKEN or [facebook] in ...").
        self._token_where = token_where
        #: Object id -> the config key that holds it, named when Meta says the id is unknown.
        self.objects = dict(objects or {})
        #: Metrics the API rejected as invalid for an object kind: never asked for again.
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

    def get(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        needs: Sequence[str] = (),
        what: str = "",
    ) -> Any:
        """One GET; returns the JSON body or raises the refusal's error.

        `needs` are the permissions the call requires (named when Meta's refusal names none);
        `what` says what was asked for ("daily insights of Page 1111"). Raises AuthFailed (190),
        PermissionDenied, UnknownObject, or GraphCallError (a dead metric, an object without
        data, anything else) after retrying transient errors. Rate limits never reach here: the
        HTTP layer waits or raises RateLimited on them through `rate_limit_rule`.
        """
        url = self._url(path)
        query = {**(params or {}), **self._auth}
        attempt = 0
        while True:
            try:
                resp = self.http.request("GET", url, params=query)
            except HttpStatusError as exc:
                info = error_info(exc.payload) or GraphErrorInfo(None, None, str(exc), False)
                kind = classify(info)
                if kind == TRANSIENT and attempt < TRANSIENT_RETRIES:
                    attempt += 1
                    self.http.sleep(self.http.backoff * 2**attempt)
                    continue
                self._raise(kind, info, status=exc.status, url=url, needs=needs, what=what)
            body = _json_body(resp)
            if body is None:
                raise UpstreamError(
                    f"{self.label}: HTTP {resp.status_code} on {_path(url)} is not JSON"
                )
            return body

    def _raise(
        self,
        kind: str,
        info: GraphErrorInfo,
        *,
        status: int,
        url: str,
        needs: Sequence[str],
        what: str,
    ) -> NoReturn:
        code = f"error {info.code}" + (f"/{info.subcode}" if info.subcode else "")
        what = what or _path(url)
        if kind == AUTH:
            why = TOKEN_SUBCODES.get(info.subcode or 0, "the token was refused")
            raise AuthFailed(
                f"{self.label}: the access token was refused: {why} ({code}: {info.message}); "
                f"{self._hint}"
            ) from None
        if kind == PERMISSION:
            raise PermissionDenied(self._permission_message(info, code, needs, what)) from None
        if kind == UNKNOWN_OBJECT:
            raise UnknownObject(self._unknown_message(info, code, url, needs, what)) from None
        raise GraphCallError(self.label, status, info, _path(url), kind) from None

    def _permission_message(
        self, info: GraphErrorInfo, code: str, needs: Sequence[str], what: str
    ) -> str:
        names = permissions_named(info.text) or list(needs)
        perms = " or ".join(names) if names else "a permission"
        text = (
            f"{self.label}: {what} refused, the token lacks {perms} ({code}: "
            f"{_short(info.message)}). Grant it in the Meta app dashboard (App Review > "
            f"Permissions and Features: {perms}), make a new token that includes it (Graph API "
            "Explorer or /me/accounts for a Page token)"
        )
        if self._token_where:
            text += f" and set it in {self._token_where}"
        if "app secret proof" in info.text.lower() or "appsecret_proof" in info.text:
            text += "; this refusal also goes away with an app_secret, which signs every call"
        return text + "; the refused data is fetched on the next pull"

    def _unknown_message(
        self, info: GraphErrorInfo, code: str, url: str, needs: Sequence[str], what: str
    ) -> str:
        oid = _object_id(url, self.version)
        key = self.objects.get(oid)
        where = f"check {key}" if key else "it may have been deleted"
        perms = f" (or the token lacks {' or '.join(needs)})" if needs else ""
        return (
            f"{self.label}: {what}: object '{oid}' does not exist or this token cannot see it "
            f"({code}: {_short(info.text)}); {where}{perms}"
        )

    def pages(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        needs: Sequence[str] = (),
        what: str = "",
    ) -> Iterator[list[Any]]:
        """The ``data`` list of each page of an edge, following ``paging.next`` to the end."""
        body = self.get(path, params, needs=needs, what=what)
        while True:
            data = body.get("data") if isinstance(body, Mapping) else None
            yield list(data) if isinstance(data, list) else []
            nxt = (body.get("paging") or {}).get("next") if isinstance(body, Mapping) else None
            if not nxt:
                return
            body = self.get(str(nxt), needs=needs, what=what)

    # --- insights ----------------------------------------------------------------------------

    def insights(
        self,
        object_id: str,
        metrics: Sequence[str],
        *,
        kind: str,
        params: Mapping[str, Any] | None = None,
        needs: Sequence[str] = (),
        what: str = "",
    ) -> Insights:
        """Insight values for one object.

        A metric the API rejects as invalid (a dead metric) is dropped with a warning (and not
        asked for again for this `kind` of object) and the rest are fetched; a metric with no
        data is absent from the result, not 0. An object without data ("not enough viewers")
        gives a warning and `failed`. Every other refusal raises (PermissionDenied,
        UnknownObject, AuthFailed, GraphCallError): the caller must not treat the period or
        object as done.
        """
        out = Insights()
        what = what or f"insights of {object_id}"
        wanted = [m for m in metrics if (kind, m) not in self.dead_metrics]
        if not wanted:
            return out
        try:
            out.data += self._insights_call(object_id, wanted, params, needs, what)
        except GraphCallError as exc:
            if exc.kind == NO_DATA:
                self._no_data(out, object_id, exc)
                return out
            if exc.kind != DEAD_METRIC:
                raise
            if len(wanted) == 1:
                self._dead(out, kind, wanted[0], exc)
                return out
        else:
            return out
        # One metric spoils the whole call: ask for each alone and drop the ones refused.
        for metric in wanted:
            try:
                out.data += self._insights_call(object_id, [metric], params, needs, what)
            except GraphCallError as exc:
                if exc.kind == DEAD_METRIC:
                    self._dead(out, kind, metric, exc)
                elif exc.kind == NO_DATA:
                    self._no_data(out, object_id, exc)
                    return out
                else:
                    raise
        return out

    def _dead(self, out: Insights, kind: str, metric: str, exc: GraphCallError) -> None:
        self.dead_metrics.add((kind, metric))
        out.warnings.append(
            f"{self.label}: metric {metric} is not available for {kind} "
            f"(error {exc.info.code}: {exc.info.message}); dropped"
        )

    def _no_data(self, out: Insights, object_id: str, exc: GraphCallError) -> None:
        out.failed = True
        out.warnings.append(
            f"{self.label}: insights for {object_id} unavailable "
            f"(error {exc.info.code}: {exc.info.text})"
        )

    def _insights_call(
        self,
        object_id: str,
        metrics: Sequence[str],
        params: Mapping[str, Any] | None,
        needs: Sequence[str],
        what: str,
    ) -> list[Any]:
        body = self.get(
            f"{object_id}/insights",
            {"metric": ",".join(metrics), **(params or {})},
            needs=needs,
            what=what,
        )
        data = body.get("data") if isinstance(body, Mapping) else None
        return list(data) if isinstance(data, list) else []


def client(
    ctx: AdapterContext,
    version: Any,
    *,
    label: str,
    hint: str,
    objects: Mapping[str, str] | None = None,
) -> GraphClient:
    """A client on `ctx`'s access_token, signing calls when the secrets hold an app_secret.

    `hint` says what to do about a bad token ("set a new Page token"); where is added.
    `objects` maps the configured ids to their config keys, for "unknown object" messages.
    """
    secrets = ctx.secrets
    return GraphClient(
        ctx.http,
        label=label,
        version=str(version),
        token=secrets.get("access_token"),
        app_secret=secrets.get("app_secret") if secrets.has("app_secret") else None,
        secrets_hint=f"{hint} in {secrets.hint()}",
        token_where=secrets.hint(),
        objects=objects,
    )


class GraphCallError(UpstreamError):
    """A Graph call refused for a reason other than auth, permissions, an unknown object or rate
    limits; `kind` is `classify`'s verdict (DEAD_METRIC, NO_DATA, TRANSIENT or OTHER)."""

    def __init__(
        self, label: str, status: int, info: GraphErrorInfo, path: str, kind: str = OTHER
    ) -> None:
        self.status = status
        self.info = info
        self.kind = kind
        super().__init__(f"{label}: {status} on {path}: error {info.code}: {info.message}")


def _path(url: str) -> str:
    return urlsplit(url).path


def _object_id(url: str, version: str) -> str:
    """The object a call was about: the first path segment after the version."""
    parts = [p for p in _path(url).split("/") if p]
    if version in parts:
        parts = parts[parts.index(version) + 1 :]
    return parts[0] if parts else ""


def _short(text: str, limit: int = 160) -> str:
    """Meta's message without its long "Refer to https://... for details" tail."""
    text = re.sub(r"\s*Refer to https?://\S+.*$", "", text.strip(), flags=re.DOTALL)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


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


def follower_snapshots(state: Mapping[str, Any] | None) -> dict[str, int]:
    """Follower counts taken on run days whose insights were not fetched yet (ISO day -> count).

    The owner streams file the follower count under the run day, as every platform does; the
    day's insights come a day later and rewrite its row, so the count rides in the cursor until
    then and goes into that row.
    """
    raw = (state or {}).get("followers")
    if not isinstance(raw, Mapping):
        return {}
    return {str(k): v for k, v in raw.items() if isinstance(v, int) and not isinstance(v, bool)}


def owner_cursor(
    state: Mapping[str, Any] | None, day: date | None, snapshots: Mapping[str, int]
) -> dict[str, Any]:
    """An owner stream's cursor: the last complete day fetched (`day`, else the stored one)
    and the follower snapshots of later days."""
    last = day.isoformat() if day is not None else (state or {}).get("day")
    cursor: dict[str, Any] = {}
    if isinstance(last, str) and last:
        cursor["day"] = last
    kept = {k: v for k, v in sorted(snapshots.items()) if not cursor or k > cursor["day"]}
    if kept:
        cursor["followers"] = kept
    return cursor
