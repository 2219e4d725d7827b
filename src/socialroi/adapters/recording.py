"""`socialroi doctor --record DIR`: a real account's responses, scrubbed, for a bug report.

For every configured platform whose config and secrets are in order, the adapter's cheap check
and the first page of each of its streams run against the real account through the one HTTP
layer, which hands every response it receives to a `Recorder` (one of `Http.taps`). Nothing is
written to the store. Each platform's exchanges are scrubbed (`Scrubber`) and saved as
`DIR/<platform>.json`, a file in the format of the `responses` library's recorder — JSON, which
`responses`' YAML reader also reads — with a few extra keys that `responses` ignores:

    {"format": "socialroi-recording/1", "platform": "x", "as_of": "...", "base_url": "...",
     "options": {...the platform's non-secret options, scrubbed the same way...},
     "responses": [{"stream": "posts",
                    "request": {"method": "GET", "url": "...", "headers": {...}, "body": "..."},
                    "response": {"method": "GET", "url": "...", "status": 200,
                                 "headers": {...}, "content_type": "application/json",
                                 "body": "<the JSON body, as text>",
                                 "auto_calculate_content_length": false}}]}

What is scrubbed (the rule docs/adapters.md states for users):

- secrets: the platform's secret values wherever they appear; every JSON key, query parameter and
  header whose name says token, secret, password, jwt, api key, cookie, signature, credential or
  authorization (`access_token`, `appsecret_proof`, `Authorization`, `Set-Cookie`, ...) → `***`,
  except paging tokens (names with next, prev, page, cursor, pagination), which are not secrets;
- e-mail addresses anywhere → `person<N>@example.invalid`; phone numbers (under a phone key, or
  text that reads as one: `+` and 7+ digits, or 3-3-4 digits with separators) → `[phone]`;
- people's and accounts' names: values under name keys — `firstname`, `lastname`, `displayName`,
  `localizedFirstName`, `company`, ... and every key ending in `name` (`name`, `localizedName`,
  `dealname`) → `Name <N>`; handles (`username`, `screen_name`, `handle`, `acct`, `vanityName`,
  the configured `accounts`) and every `@mention` → `user<N>`. Organization and page names are
  scrubbed too: a page can be a person's, and ids (kept) are what a replay needs. A value under a
  key ending in `name` that reads as an identifier (starts lowercase, no spaces: `sessions`,
  `page_impressions`, `sessionSource`) is kept — those are metric and field names the adapters
  read. Each original gets one pseudonym per file, used wherever it appears again (URLs, text),
  so a replay with the recorded `options` asks for the same URLs.
- Only the headers that matter are kept: content type, paging (`Link`), `Location`,
  `Retry-After`, `WWW-Authenticate`, and rate-limit (limit, remaining, reset), usage, quota and
  version headers.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

import requests

from socialroi.adapters import registry
from socialroi.adapters._http import scrub
from socialroi.adapters.base import Adapter, Stream
from socialroi.adapters.checks import FAILED, INVALID, OK, Check, diagnose
from socialroi.config import Settings
from socialroi.errors import ConfigError, SocialROIError

FORMAT = "socialroi-recording/1"
MASK = "***"
#: Responses recorded per stream (and for the check) at most; the stream stops there.
PER_STREAM = 25


class Enough(Exception):
    """Raised by a Recorder once a stream has had its share of responses."""


@dataclass(frozen=True)
class Exchange:
    """One request and the response it got, as received (unscrubbed, in memory only)."""

    stream: str
    method: str
    url: str
    request_headers: Mapping[str, str]
    request_body: bytes
    status: int
    headers: Mapping[str, str]
    body: bytes


class Recorder:
    """A tap for `Http.taps`: keeps every response with its request, at most `limit` a stream."""

    def __init__(self, limit: int = PER_STREAM) -> None:
        self.limit = limit
        self.stream = "check"
        self.exchanges: list[Exchange] = []
        self._count = 0

    def start(self, stream: str) -> None:
        """Responses from now on belong to `stream`."""
        self.stream, self._count = stream, 0

    def __call__(self, response: requests.Response) -> None:
        req = response.request
        body = req.body if req is not None else None
        self.exchanges.append(
            Exchange(
                stream=self.stream,
                method=str(req.method if req is not None else "GET"),
                url=str(req.url if req is not None else response.url),
                request_headers=dict(req.headers) if req is not None else {},
                request_body=body.encode() if isinstance(body, str) else (body or b""),
                status=response.status_code,
                headers=dict(response.headers),
                body=response.content or b"",
            )
        )
        self._count += 1
        if self._count >= self.limit:
            raise Enough(f"{self.stream}: {self.limit} responses recorded")


# -- scrubbing -----------------------------------------------------------------------------------

_SECRET_WORDS = (
    "token",
    "secret",
    "password",
    "passwd",
    "jwt",
    "apikey",
    "cookie",
    "signature",
    "credential",
    "authorization",
    "appsecretproof",
)
_PAGING_WORDS = ("next", "prev", "page", "cursor", "pagination")
_EMAIL_KEYS = {"email", "emailaddress", "emails", "hsemail"}
_PHONE_KEYS = {"phone", "phonenumber", "mobilephone", "mobile", "fax", "telephone"}
_HANDLE_KEYS = {"username", "screenname", "handle", "acct", "vanityname", "login", "nickname"}
_PERSON_KEYS = {
    "firstname",
    "lastname",
    "middlename",
    "maidenname",
    "fullname",
    "displayname",
    "localizedfirstname",
    "localizedlastname",
    "localizedmiddlename",
    "company",
}
_IDENTIFIER = re.compile(r"[a-z][A-Za-z0-9]*(?:[_.:/-][A-Za-z0-9]+)*")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_PHONE = re.compile(
    r"(?<![\w+])\+\d[\d ().-]{6,}\d(?!\w)|(?<![\w(])\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4}(?!\w)"
)
_MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?)")
_URL = re.compile(r"https?://[^\s<>\"']+")
_KEEP_HEADER = re.compile(
    r"(?i)^(content-type|link|location|retry-after|www-authenticate)$"
    r"|limit|remaining|reset|usage|quota|version|restli"
)
_DROP_REQUEST_HEADERS = {"content-length", "accept-encoding", "connection"}


def _norm(key: str) -> str:
    return re.sub(r"[^a-z0-9]", "", key.lower())


def secret_key(key: str) -> bool:
    """Whether a JSON key, query parameter or header with this name holds a secret."""
    k = _norm(key)
    return any(w in k for w in _SECRET_WORDS) and not any(w in k for w in _PAGING_WORDS)


def _kind(key: str) -> str | None:
    """How a value under `key` is scrubbed: secret, email, phone, handle, person, name or None."""
    k = _norm(key)
    if secret_key(key):
        return "secret"
    for kind, keys in (
        ("email", _EMAIL_KEYS),
        ("phone", _PHONE_KEYS),
        ("handle", _HANDLE_KEYS),
        ("person", _PERSON_KEYS),
    ):
        if k in keys:
            return kind
    return "name" if k.endswith("name") else None


class Scrubber:
    """Scrubs one platform's exchanges: first `collect` every name, then `clean` (module doc)."""

    def __init__(self, secrets: Sequence[str] = ()) -> None:
        self.secrets = tuple(s for s in secrets if s)
        #: original (lowercased) → pseudonym, for names, handles and e-mail addresses.
        self.known: dict[str, str] = {}
        self._counts = {"Name": 0, "user": 0, "person": 0}
        self._pattern: re.Pattern[str] | None = None

    # -- pseudonyms -----------------------------------------------------------------------------
    def _alias(self, original: str, kind: str) -> str:
        key = original.strip().lower()
        if key in self.known:
            return self.known[key]
        prefix = {"handle": "user", "email": "person"}.get(kind, "Name")
        self._counts[prefix] += 1
        n = self._counts[prefix]
        alias = {
            "user": f"user{n}",
            "person": f"person{n}@example.invalid",
            "Name": f"Name {n}",
        }[prefix]
        self.known[key] = alias
        self._pattern = None
        return alias

    def handle(self, original: str) -> str:
        """The pseudonym of a handle (a leading @ is kept)."""
        at = "@" if original.startswith("@") else ""
        return at + self._alias(original.lstrip("@"), "handle")

    def seed_options(self, options: Mapping[str, Any]) -> None:
        """Configured handles (`accounts`, ...) get pseudonyms before any body is read."""
        for key in ("accounts", "account", "handle", "username"):
            given = options.get(key)
            for entry in given if isinstance(given, list | tuple) else [given]:
                value = entry.get("handle") if isinstance(entry, Mapping) else entry
                if isinstance(value, str) and value.strip():
                    self.handle(value.strip())

    # -- structures ---------------------------------------------------------------------------
    def collect(self, obj: Any, kind: str | None = None) -> None:
        """Give every name, handle and e-mail in `obj` its pseudonym (no output)."""
        self._walk(obj, kind, collect=True)

    def clean(self, obj: Any, kind: str | None = None) -> Any:
        """`obj` with every secret, e-mail, phone number, name and handle replaced."""
        return self._walk(obj, kind, collect=False)

    def _walk(self, obj: Any, kind: str | None, *, collect: bool) -> Any:
        if isinstance(obj, Mapping):
            return {
                str(k): self._walk(v, _kind(str(k)) or _inherit(kind), collect=collect)
                for k, v in obj.items()
            }
        if isinstance(obj, list):
            return [self._walk(v, kind, collect=collect) for v in obj]
        if obj is None or obj == "":
            return obj
        if kind in {"secret", "phone"}:
            return MASK if kind == "secret" else "[phone]"
        if not isinstance(obj, str):
            return obj
        return self._string(obj, kind, collect=collect)

    def _string(self, value: str, kind: str | None, *, collect: bool) -> str | None:
        named = kind in {"handle", "person"} or (
            kind == "name" and not _IDENTIFIER.fullmatch(value)
        )
        if named and value.strip() and not _EMAIL.fullmatch(value.strip()):
            alias = self._alias(value, "handle" if kind == "handle" else "name")
            return None if collect else alias
        if not collect:
            return self.text(value)
        for m in _EMAIL.finditer(value):
            self._alias(m.group(0), "email")
        for m in _MENTION.finditer(value):
            self.handle(m.group(1))
        return None

    # -- text ---------------------------------------------------------------------------------
    def text(self, value: str) -> str:
        """Free text (a post, a message, a header value) or a URL, scrubbed."""
        if value.startswith(("http://", "https://")) and not any(c.isspace() for c in value):
            return self.url(value)
        return _URL.sub(lambda m: self.url(m.group(0)), self._plain(value))

    def url(self, value: str) -> str:
        """A URL: host kept; path segments and query values scrubbed; secret parameters masked."""
        parts = urlsplit(value)
        path = "/".join(
            quote(self._plain(unquote(seg)), safe="@:+,;=!$&'()*") for seg in parts.path.split("/")
        )
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        query = urlencode(
            [(k, MASK if secret_key(k) else self._plain(v)) for k, v in pairs],
            quote_via=quote,
            safe="*:,/@",
        )
        return urlunsplit((parts.scheme, parts.netloc, path, query, self._plain(parts.fragment)))

    def _plain(self, value: str) -> str:
        if not value:
            return value
        value = scrub(value, self.secrets)
        value = _EMAIL.sub(lambda m: self._alias(m.group(0), "email"), value)
        value = _PHONE.sub("[phone]", value)
        pattern = self._known_pattern()
        if pattern is not None:
            value = pattern.sub(lambda m: self.known[m.group(0).lower()], value)
        return _MENTION.sub(lambda m: "@" + self._alias(m.group(1), "handle"), value)

    def _known_pattern(self) -> re.Pattern[str] | None:
        if self._pattern is None:
            names = sorted(
                (k for k, v in self.known.items() if len(k) >= 3 and k != v.lower()),
                key=len,
                reverse=True,
            )
            if not names:
                return None
            alternatives = "|".join(re.escape(n) for n in names)
            self._pattern = re.compile(rf"(?<![\w@.-])(?:{alternatives})(?![\w-])", re.IGNORECASE)
        return self._pattern

    # -- headers and bodies ---------------------------------------------------------------------
    def response_headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        return {
            k: (MASK if secret_key(k) else self._header(v))
            for k, v in headers.items()
            if _KEEP_HEADER.search(k)
        }

    def request_headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        return {
            k: (MASK if secret_key(k) else self._header(v))
            for k, v in headers.items()
            if k.lower() not in _DROP_REQUEST_HEADERS
        }

    def _header(self, value: str) -> str:
        return re.sub(r"<([^>]*)>", lambda m: f"<{self.text(m.group(1))}>", self._plain(value))

    def body(self, raw: bytes, *, collect: bool = False) -> str:
        """A body as text: JSON scrubbed structurally, form data and other text as text.

        With `collect`, only gathers the names in it (see `collect`) and returns "".
        """
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return "" if collect else f"[{len(raw)} bytes of binary data left out]"
        parsed: Any
        try:
            parsed = json.loads(text) if text.strip() else text
        except ValueError:
            parsed = text
        if collect:
            self.collect(parsed)
            return ""
        if not isinstance(parsed, str):
            return json.dumps(self.clean(parsed), ensure_ascii=False)
        if "=" in text and not any(c.isspace() for c in text.strip()):  # form data
            pairs = parse_qsl(text, keep_blank_values=True)
            return urlencode([(k, MASK if secret_key(k) else self._plain(v)) for k, v in pairs])
        return self.text(text)


def _inherit(kind: str | None) -> str | None:
    """What the values inside a container under `kind` are (a name's parts are names)."""
    return kind if kind in {"secret", "phone", "handle", "person", "name"} else None


# -- the recording ---------------------------------------------------------------------------------


def entries(recorder: Recorder, scrubber: Scrubber) -> list[dict[str, Any]]:
    """The recorder's exchanges, scrubbed, as entries of the file's `responses` list."""
    for ex in recorder.exchanges:  # every name first, so each is replaced wherever it appears
        scrubber.body(ex.body, collect=True)
        scrubber.body(ex.request_body, collect=True)
    out = []
    for ex in recorder.exchanges:
        url = scrubber.url(ex.url)
        request: dict[str, Any] = {
            "method": ex.method,
            "url": url,
            "headers": scrubber.request_headers(ex.request_headers),
        }
        if ex.request_body:
            request["body"] = scrubber.body(ex.request_body)
        content_type = next(
            (v for k, v in ex.headers.items() if k.lower() == "content-type"), "text/plain"
        )
        out.append(
            {
                "stream": ex.stream,
                "request": request,
                "response": {
                    "method": ex.method,
                    "url": url,
                    "status": ex.status,
                    "headers": scrubber.response_headers(ex.headers),
                    "content_type": content_type,
                    "body": scrubber.body(ex.body),
                    "auto_calculate_content_length": False,
                },
            }
        )
    return out


#: Characters PyYAML (the `responses` reader) refuses or reads as line breaks: escaped instead.
_NOT_YAML = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")


def dumps(document: Mapping[str, Any]) -> str:
    """JSON text that `json` and `yaml.safe_load` read alike."""
    text = json.dumps(document, ensure_ascii=False, indent=1)
    return _NOT_YAML.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text) + "\n"


def load(path: str | Path) -> dict[str, Any]:
    """A recording written by `record`; ConfigError when the file is not one."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{p}: not a socialroi recording ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ConfigError(f'{p}: not a socialroi recording (no "format": "{FORMAT}")')
    return data


def _first_page(adapter: Adapter, stream: Stream, calls: Callable[[], int]) -> str:
    """Fetch `stream` until the first batch that needed a call; what it found, as text."""
    before = calls()
    rows = batches = 0
    batches_of: Iterator[Any] = iter(adapter.fetch(stream.name, since=None, state=None))
    try:
        for batch in batches_of:
            batches += 1
            rows += sum(df.height for df in batch.tables.values())
            if calls() > before:
                break
    except Enough:
        return f"{rows:,} rows; stopped after {PER_STREAM} responses"
    finally:
        close = getattr(batches_of, "close", None)
        if close is not None:
            with suppress(Exception):
                close()
    return f"{rows:,} rows in {batches} batch{'es' if batches != 1 else ''}"


def record(
    settings: Settings,
    directory: str | Path,
    *,
    as_of: datetime,
    platforms: tuple[str, ...] = (),
    environ: Mapping[str, str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Check]:
    """Record each usable platform's check and first page of every stream into `directory`.

    Returns the config checks (as `doctor` shows them), then per platform one check for the
    call, one per stream and one naming the file written. Never opens the store.
    """
    checks = diagnose(settings, as_of=as_of, platforms=platforms, call=False, environ=environ)
    out: list[Check] = []
    folder = Path(directory)
    tables = settings.raw.get("platforms", {})
    for name in dict.fromkeys(c.platform for c in checks):
        mine = [c for c in checks if c.platform == name]
        out.extend(mine)
        if name == "-" or not all(c.status == OK for c in mine):
            continue
        out.extend(
            _record_platform(
                name,
                tables[name],
                folder,
                as_of=as_of,
                source=settings.source,
                environ=environ,
                sleep=sleep,
            )
        )
    return out


def _record_platform(
    name: str,
    table: Mapping[str, Any],
    folder: Path,
    *,
    as_of: datetime,
    source: str,
    environ: Mapping[str, str] | None,
    sleep: Callable[[float], None],
) -> list[Check]:
    try:
        options = registry.resolve_options(registry.load(name), table, source=source)
        cheap = {**options, "max_retries": min(int(options.get("max_retries", 1)), 1)}
        ctx = registry.build_context(
            name,
            options=cheap,
            as_of=as_of,
            wait_on_rate_limit=False,
            sleep=sleep,
            environ=environ,
            source=source,
        )
        adapter = registry.create(ctx)
    except (SocialROIError, TypeError, ValueError) as exc:
        return [Check(name, "config", INVALID, str(exc))]
    secrets = ctx.secrets.values()
    recorder = Recorder()
    ctx.http.taps.append(recorder)
    out = [_step(name, "call", lambda: str(adapter.check()), secrets)]
    http = ctx.http
    for stream in adapter.streams:
        recorder.start(stream.name)
        first = partial(_first_page, adapter, stream, lambda: http.calls)
        out.append(_step(name, f"stream {stream.name}", first, secrets))
    scrubber = Scrubber(secrets)
    scrubber.seed_options(options)
    exchanges = entries(recorder, scrubber)  # first: it gathers every name to replace
    kept = {k: v for k, v in options.items() if not secret_key(k)}
    document = {
        "format": FORMAT,
        "platform": name,
        "as_of": as_of.isoformat(),
        "base_url": str(options.get("base_url", "")),
        "options": scrubber.clean(kept),
        "responses": exchanges,
    }
    path = folder / f"{name}.json"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(dumps(document), encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write the recording {path}: {exc.strerror or exc}") from None
    count = len(document["responses"])
    out.append(Check(name, "recording", OK, f"{path}: {count} response{'s' * (count != 1)}"))
    return out


def _step(name: str, item: str, run: Callable[[], str], secrets: Sequence[str]) -> Check:
    try:
        found = run()
    except Enough:
        return Check(name, item, OK, f"stopped after {PER_STREAM} responses")
    except SocialROIError as exc:
        status = INVALID if exc.exit_code == 1 else FAILED
        return Check(name, item, status, scrub(str(exc), secrets))
    except Exception as exc:  # an unexpected answer: recorded all the same, which is the point
        return Check(name, item, FAILED, scrub(f"{type(exc).__name__}: {exc}", secrets))
    return Check(name, item, OK, scrub(found, secrets))


__all__ = [
    "FORMAT",
    "PER_STREAM",
    "Enough",
    "Exchange",
    "Recorder",
    "Scrubber",
    "dumps",
    "entries",
    "load",
    "record",
    "secret_key",
]
