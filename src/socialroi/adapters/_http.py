"""The one HTTP layer every adapter fetches through.

`Http` is a `requests.Session` (so tweepy can use it as its session) that adds what every platform
needs: a base URL and host rewriting (for proxies, sandboxes and the loopback test server), a
timeout on every call, retries with exponential backoff and jitter on connection errors, timeouts
and 5xx, each platform's own rate-limit signals (read by the platform's `RateLimitRule`), and one
mapping of failures onto the error hierarchy: 401 → AuthFailed, other 4xx → UpstreamError with the
platform's own message, retries exhausted → UpstreamError, a rate limit the user does not want to
wait for → RateLimited.

Secret values (and `access_token=`-style query values) are scrubbed from every message and log
line. Each call is logged at DEBUG on `socialroi.http` with method, path (no query), status and
elapsed time; never headers or bodies.

`Http.taps` are callables handed every response the layer receives (retried ones included),
before it is judged: `pull` counts pages with one, `doctor --record` saves the exchanges with
another (`adapters/recording.py`). A tap that raises stops the call.
"""

from __future__ import annotations

import email.utils
import logging
import random
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests

from socialroi import clock
from socialroi.errors import AuthFailed, RateLimited, UpstreamError

log = logging.getLogger("socialroi.http")

#: Query/body parameter names whose values are always secret, whatever the platform.
_SECRET_PARAMS = (
    "access_token",
    "appsecret_proof",
    "client_secret",
    "refresh_token",
    "api_key",
    "apikey",
    "hapikey",
    "password",
)
_PARAM_RE = re.compile(r"(?i)\b(" + "|".join(_SECRET_PARAMS) + r")=([^&\s\"'#<>]+)")
_BEARER_RE = re.compile(r"\b([Bb]earer|Basic|OAuth)\s+[A-Za-z0-9._~+/=%-]{12,}")
_MASK = "***"
_MESSAGE_LIMIT = 300


@dataclass(frozen=True)
class Signal:
    """What a platform's response says about rate limits."""

    #: Seconds to wait: before retrying this response (retry=True) or before the next call.
    wait: float
    #: True: this response IS a rate-limit refusal → wait, then retry it.
    retry: bool
    #: One line for messages and logs, e.g. "X: 429, window resets 14:05:00Z" (no secrets).
    reason: str


#: A platform's rate-limit reader: (response, now) → Signal, or None when the response says nothing.
RateLimitRule = Callable[[requests.Response, datetime], Signal | None]

#: Sees every response the layer receives (see the module doc).
Tap = Callable[[requests.Response], None]


class HttpStatusError(UpstreamError):
    """A platform answered a 4xx that is neither an auth failure nor a rate limit.

    `status` is the HTTP status and `payload` the parsed JSON body (None when not JSON), so an
    adapter can treat e.g. a 404 for one deleted post as a warning instead of a failure.
    """

    def __init__(self, message: str, *, status: int, payload: Any = None) -> None:
        self.status = status
        self.payload = payload
        super().__init__(message)


# -- helpers for rate-limit rules ------------------------------------------------------------------


def retry_after(response: requests.Response, now: datetime) -> float | None:
    """Seconds from a `Retry-After` header (delta seconds or an HTTP date), None when absent."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def seconds_until(when: datetime, now: datetime) -> float:
    """Seconds from `now` to `when` (0 when already past)."""
    return max(0.0, (when - now).total_seconds())


def epoch_to_datetime(value: str | float | None) -> datetime | None:
    """A reset time sent as epoch seconds (X, Bluesky) as an aware datetime; None if unreadable."""
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(float(value), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def iso_to_datetime(value: str | None) -> datetime | None:
    """A reset time sent as ISO 8601 text (Mastodon) as an aware datetime; None if unreadable."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def next_midnight_utc(now: datetime) -> datetime:
    """The start of the next UTC day (LinkedIn's and HubSpot's daily quotas reset then)."""
    day = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day + timedelta(days=1)


def json_body(response: requests.Response) -> Any:
    """The parsed JSON body, or None when the body is empty or not JSON."""
    try:
        return response.json()
    except ValueError:
        return None


def platform_message(payload: Any) -> str | None:
    """The error text a platform put in its JSON body, for the common shapes.

    Meta/Google `{"error": {"message"}}`, OAuth `{"error", "error_description"}`, X problems
    `{"title", "detail"}` and `{"errors": [{"message"}]}`, HubSpot/LinkedIn/Bluesky `{"message"}`.
    """
    if not isinstance(payload, dict):
        return None
    err = payload.get("error")
    if isinstance(err, dict):
        msg = err.get("message") or err.get("status")
        if msg:
            return str(msg)
    if isinstance(err, str):
        desc = payload.get("error_description") or payload.get("message")
        return f"{err}: {desc}" if desc else err
    for key in ("detail", "message", "title"):
        if payload.get(key):
            return str(payload[key])
    errors = payload.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        msg = first.get("message") or first.get("detail") or first.get("title")
        if msg:
            return str(msg)
    return None


# -- scrubbing -----------------------------------------------------------------------------------

_registered: set[str] = set()


def scrub(text: str, secrets: Sequence[str] = ()) -> str:
    """`text` with every secret value, token query value and bearer credential masked."""
    for value in sorted({*secrets, *_registered}, key=len, reverse=True):
        if value:
            text = text.replace(value, _MASK)
    text = _PARAM_RE.sub(lambda m: f"{m.group(1)}={_MASK}", text)
    return _BEARER_RE.sub(lambda m: f"{m.group(1)} {_MASK}", text)


class _ScrubFilter(logging.Filter):
    """Masks secrets in records of third-party loggers (urllib3 logs full URLs at DEBUG)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # pragma: no cover - a broken third-party format string
            return True
        clean = scrub(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


_FILTER = _ScrubFilter()
for _name in ("urllib3.connectionpool", "requests_oauthlib.oauth1_auth", "requests_oauthlib"):
    logging.getLogger(_name).addFilter(_FILTER)


# -- the session --------------------------------------------------------------------------------


class Http(requests.Session):
    """A `requests.Session` with a base URL, timeouts, retries and rate-limit handling."""

    def __init__(
        self,
        platform: str,
        base_url: str,
        *,
        rate_limit: RateLimitRule | None = None,
        secrets: Sequence[str] = (),
        timeout: float | tuple[float, float] = (5.0, 30.0),
        max_retries: int = 4,
        backoff: float = 0.5,
        wait_on_rate_limit: bool = True,
        max_wait: float = 3600.0,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = clock.now,
        rewrite_hosts: Mapping[str, str] | None = None,
        auth_hint: str | None = None,
    ) -> None:
        super().__init__()
        self.platform = platform
        self.base_url = base_url.rstrip("/")
        self.rate_limit = rate_limit
        self.secret_values = tuple(s for s in secrets if s)
        _registered.update(s for s in self.secret_values if len(s) >= 4)
        self.timeout = timeout
        self.max_retries = max(0, max_retries)
        self.backoff = backoff
        self.wait_on_rate_limit = wait_on_rate_limit
        self.max_wait = max_wait
        self.sleep = sleep
        self.now = now
        #: URL prefixes (an origin, or origin + path) sent to another base instead, longest first.
        self.rewrite_hosts = sorted(
            ((k.rstrip("/").lower(), v.rstrip("/")) for k, v in (rewrite_hosts or {}).items()),
            key=lambda kv: -len(kv[0]),
        )
        #: What to fix after a 401, e.g. "SOCIALROI_X_BEARER_TOKEN or [x] in config/secrets.toml".
        self.auth_hint = auth_hint
        #: Seconds the next call waits first (a platform said its quota is nearly spent).
        self.pending_wait = 0.0
        #: Calls made (attempts included), for progress and tests.
        self.calls = 0
        #: Called with every response received, in order (see the module doc).
        self.taps: list[Tap] = []
        self._jitter = random.Random()  # noqa: S311 - jitter, not cryptography

    # -- URLs ------------------------------------------------------------------------------------
    def url(self, path: str) -> str:
        """`base_url` + `path`; absolute URLs pass through (hosts in `rewrite_hosts` rewritten)."""
        if "://" in path:
            lowered = path.lower()
            for prefix, target in self.rewrite_hosts:
                rest = path[len(prefix) :]
                if lowered.startswith(prefix) and (not rest or rest[0] in "/?#"):
                    return target + rest
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    def _scrub(self, text: str) -> str:
        return scrub(text, self.secret_values)

    def _where(self, method: str, url: str) -> str:
        return f"{self.platform}: {method} {urlsplit(url).path or '/'}"

    # -- the one request loop --------------------------------------------------------------------
    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        """Send with timeout, retries and rate-limit handling; raise the hierarchy's errors."""
        verb = (method.decode() if isinstance(method, bytes) else str(method)).upper()
        full = self.url(url.decode() if isinstance(url, bytes) else str(url))
        if len(args) < 7:  # timeout is Session.request's 8th positional parameter
            kwargs.setdefault("timeout", self.timeout)
        where = self._where(verb, full)
        if self.pending_wait > 0:
            wait, self.pending_wait = min(self.pending_wait, self.max_wait), 0.0
            log.debug("%s: slowing down %.1fs before the next call", self.platform, wait)
            self.sleep(wait)
        tries = _Tries()
        while True:
            self.calls += 1
            started = time.monotonic()
            try:
                response = super().request(verb, full, *args, **kwargs)
            except requests.RequestException as exc:
                log.debug("%s -> %s after %.3fs", where, type(exc).__name__, _since(started))
                self._failed(exc, where, tries)
                continue
            log.debug("%s -> %s in %.3fs", where, response.status_code, _since(started))
            for tap in self.taps:
                tap(response)
            if self._judge(response, where, tries):
                return response

    def _failed(self, exc: requests.RequestException, where: str, tries: _Tries) -> None:
        """A call that got no response: wait and retry, or raise when retries ran out."""
        if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema):
            raise UpstreamError(self._scrub(f"{where}: invalid URL: {exc}")) from None
        if tries.failures >= self.max_retries:
            text = f"{where}: {_describe(exc)}; gave up after {tries.failures + 1} attempts"
            raise UpstreamError(self._scrub(text)) from None
        tries.failures += 1
        self.sleep(self._backoff(tries.failures))

    def _judge(self, response: requests.Response, where: str, tries: _Tries) -> bool:
        """True: return `response`. False: it was waited for, retry. Raises on failures."""
        signal = self.rate_limit(response, self.now()) if self.rate_limit else None
        if signal is not None and signal.retry:
            tries.refusals += 1
            self._refused(signal, where, tries.refusals)
            return False
        if signal is not None and signal.wait > 0:
            self.pending_wait = max(self.pending_wait, signal.wait)
            log.debug("%s: %s", self.platform, self._scrub(signal.reason))
        status = response.status_code
        if status < 400:
            return True
        if status == 401:
            raise AuthFailed(self._auth_message(where, response))
        if status != 429 and status < 500:
            payload = json_body(response)
            detail = platform_message(payload)
            text = f"{where}: HTTP {status}" + (f": {detail[:_MESSAGE_LIMIT]}" if detail else "")
            raise HttpStatusError(self._scrub(text), status=status, payload=payload)
        hinted = retry_after(response, self.now())
        if status == 429:
            reason = f"{self.platform}: HTTP 429 without rate-limit headers"
            if hinted is not None:
                reason = f"{self.platform}: HTTP 429, Retry-After {hinted:g}s"
            if not self.wait_on_rate_limit or (hinted or 0.0) > self.max_wait:
                self._raise_rate_limited(reason, hinted or 0.0, where)
        if tries.failures >= self.max_retries:
            detail = platform_message(json_body(response))
            text = f"{where}: HTTP {status}" + (f" ({detail[:_MESSAGE_LIMIT]})" if detail else "")
            text = self._scrub(f"{text}; gave up after {tries.failures + 1} attempts")
            if status == 429:
                raise RateLimited(text, reset_at=None)
            raise UpstreamError(text)
        tries.failures += 1
        delay = hinted if hinted is not None else self._backoff(tries.failures)
        self.sleep(min(delay, self.max_wait))
        return False

    def _backoff(self, attempt: int) -> float:
        base = self.backoff * (2 ** (attempt - 1))
        return float(min(60.0, base * (1.0 + self._jitter.random())))

    def _refused(self, signal: Signal, where: str, refusals: int) -> None:
        reason = self._scrub(signal.reason)
        wait = max(0.0, signal.wait)
        if not self.wait_on_rate_limit or wait > self.max_wait:
            self._raise_rate_limited(reason, wait, where)
        if refusals > max(self.max_retries, 1) * 2:
            raise RateLimited(
                f"{where}: still rate limited after {refusals} waits ({reason})",
                reset_at=self.now() + timedelta(seconds=wait),
            )
        log.debug("%s: rate limited, waiting %.1fs (%s)", self.platform, wait, reason)
        self.sleep(wait)

    def _raise_rate_limited(self, reason: str, wait: float, where: str) -> None:
        reset_at = self.now() + timedelta(seconds=wait)
        stamp = reset_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        why = "not waiting (--fail-on-rate-limit)"
        if self.wait_on_rate_limit:
            why = f"the wait ({wait:.0f}s) is longer than max_wait ({self.max_wait:.0f}s)"
        raise RateLimited(
            self._scrub(f"{where}: rate limited ({reason}); resets at {stamp}; {why}"),
            reset_at=reset_at,
        )

    def _auth_message(self, where: str, response: requests.Response) -> str:
        detail = platform_message(json_body(response))
        text = f"{where}: HTTP 401, the platform refused the credentials"
        if detail:
            text += f" ({detail[:_MESSAGE_LIMIT]})"
        hint = self.auth_hint or (
            f"the SOCIALROI_{self.platform.upper()}_* environment variables or "
            f"[{self.platform}] in config/secrets.toml"
        )
        return self._scrub(f"{text}; check {hint}")

    # -- JSON conveniences -----------------------------------------------------------------------
    def get_json(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """GET `path` and return its JSON body (None for an empty body)."""
        return self._json(self.request("GET", path, params=params, headers=headers), "GET", path)

    def post_json(
        self,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """POST a JSON body to `path` and return the JSON answer (None for an empty body)."""
        resp = self.request("POST", path, json=json, params=params, headers=headers)
        return self._json(resp, "POST", path)

    def _json(self, response: requests.Response, method: str, path: str) -> Any:
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            kind = response.headers.get("Content-Type", "no content type")
            raise UpstreamError(
                self._scrub(
                    f"{self._where(method, self.url(path))}: expected JSON, got {kind} "
                    f"(HTTP {response.status_code})"
                )
            ) from None


class _Tries:
    """Counts for one request: transient failures and recognised rate-limit refusals."""

    def __init__(self) -> None:
        self.failures = 0
        self.refusals = 0


def _since(started: float) -> float:
    return time.monotonic() - started


def _describe(exc: requests.RequestException) -> str:
    if isinstance(exc, requests.Timeout):
        return "timed out"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "connection dropped mid-response"
    detail = str(exc).split("\n", 1)[0][:_MESSAGE_LIMIT]
    if isinstance(exc, requests.ConnectionError):
        return f"connection failed ({detail})" if detail else "connection failed"
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__


__all__ = [
    "Http",
    "HttpStatusError",
    "RateLimitRule",
    "Signal",
    "Tap",
    "epoch_to_datetime",
    "iso_to_datetime",
    "json_body",
    "next_midnight_utc",
    "platform_message",
    "retry_after",
    "scrub",
    "seconds_until",
]
