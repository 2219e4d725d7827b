"""Which platforms exist, where their modules are, and how an adapter's context is built.

Platform modules are imported lazily (only the ones a run uses). Each module defines `PLATFORM`,
`DEFAULTS` (non-secret options incl. `base_url`), `SECRETS` (secret names), `RATE_LIMIT` (its
rate-limit rule), `INIT_TEMPLATE` (its commented config table) and `create(ctx)`. It may also define
`OPTIONAL_SECRETS` (read and scrubbed, but not required) and `REWRITE_HOSTS` (hard-coded origins a
client library calls, sent to the configured base URL instead).
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from types import ModuleType
from typing import Any, cast

from socialroi import clock
from socialroi.adapters._http import Http, RateLimitRule
from socialroi.adapters.base import Adapter, AdapterContext
from socialroi.adapters.secrets import Secrets
from socialroi.errors import ConfigError

#: Platform name → module path, in the order `init`, `doctor` and `pull` list them.
PLATFORMS: dict[str, str] = {
    "x": "socialroi.adapters.x",
    "facebook": "socialroi.adapters.facebook",
    "instagram": "socialroi.adapters.instagram",
    "linkedin": "socialroi.adapters.linkedin",
    "mastodon": "socialroi.adapters.mastodon",
    "bluesky": "socialroi.adapters.bluesky",
    "ga4": "socialroi.adapters.ga4",
    "hubspot": "socialroi.adapters.hubspot",
}

#: Options every platform accepts on top of its own DEFAULTS (the HTTP layer's knobs).
COMMON_OPTIONS: dict[str, Any] = {
    "timeout": 30.0,  # seconds to wait for a response
    "connect_timeout": 5.0,  # seconds to wait for a connection
    "max_retries": 4,  # retries after a connection error, timeout, 5xx or bare 429
    "max_wait": 3600.0,  # longest rate-limit wait in seconds; longer ones fail instead
}

_REQUIRED = ("PLATFORM", "DEFAULTS", "SECRETS", "RATE_LIMIT", "INIT_TEMPLATE", "create")


def names() -> tuple[str, ...]:
    """Every platform socialroi knows."""
    return tuple(PLATFORMS)


def load(platform: str) -> ModuleType:
    """The platform's module; ConfigError for an unknown or unavailable platform."""
    path = PLATFORMS.get(platform)
    if path is None:
        raise ConfigError(f"unknown platform '{platform}'; known: {', '.join(PLATFORMS)}")
    try:
        module = importlib.import_module(path)
    except ModuleNotFoundError as exc:
        if exc.name != path:
            raise
        raise ConfigError(f"platform '{platform}' is not available in this version") from None
    missing = [attr for attr in _REQUIRED if not hasattr(module, attr)]
    if missing:
        raise ConfigError(f"platform module {path} lacks {', '.join(missing)}")
    return module


def available() -> tuple[str, ...]:
    """The platforms whose modules are present."""
    out = []
    for name in PLATFORMS:
        try:
            load(name)
        except ConfigError:
            continue
        out.append(name)
    return tuple(out)


def defaults(module: ModuleType) -> dict[str, Any]:
    return {**COMMON_OPTIONS, **cast("dict[str, Any]", module.DEFAULTS)}


def secret_names(module: ModuleType) -> tuple[str, ...]:
    """Required secrets first, then optional ones."""
    required = tuple(module.SECRETS)
    return required + tuple(n for n in getattr(module, "OPTIONAL_SECRETS", ()) if n not in required)


def resolve_options(
    module: ModuleType, configured: Mapping[str, Any] | None, *, source: str = "config"
) -> dict[str, Any]:
    """The module's defaults overlaid by the configured `[platforms.<name>]` table.

    Unknown keys are a ConfigError naming the file and key (a typo would otherwise be ignored).
    """
    base = defaults(module)
    configured = dict(configured or {})
    unknown = sorted(k for k in configured if k not in base)
    if unknown:
        raise ConfigError(
            f"{source}: [platforms.{module.PLATFORM}] has unknown key '{unknown[0]}'; "
            f"known keys: {', '.join(sorted(base))}"
        )
    return {**base, **configured}


def snapshot_time(as_of: datetime) -> datetime:
    """The run's day at midnight UTC: metric snapshots' `as_of` (same-day re-runs replace)."""
    return as_of.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def build_context(
    platform: str,
    *,
    options: Mapping[str, Any] | None = None,
    secrets: Secrets | None = None,
    as_of: datetime,
    wait_on_rate_limit: bool = True,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], datetime] = clock.now,
    environ: Mapping[str, str] | None = None,
    source: str = "config",
    extra: Mapping[str, Any] | None = None,
) -> AdapterContext:
    """Options, secrets and an `Http` for `platform`, wired the way every run does it."""
    module = load(platform)
    opts = resolve_options(module, options, source=source)
    if secrets is None:
        secrets = Secrets.load(platform, secret_names(module), environ=environ)
    try:
        timeout = (float(opts["connect_timeout"]), float(opts["timeout"]))
        max_retries = int(opts["max_retries"])
        max_wait = float(opts["max_wait"])
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{source}: [platforms.{platform}]: {exc}") from None
    base_url = str(opts["base_url"])
    rewrites = {str(module.DEFAULTS["base_url"]): base_url}
    rewrites.update({str(origin): base_url for origin in getattr(module, "REWRITE_HOSTS", ())})
    http = Http(
        platform,
        base_url,
        rate_limit=cast("RateLimitRule | None", module.RATE_LIMIT),
        secrets=secrets.values(),
        timeout=timeout,
        max_retries=max_retries,
        wait_on_rate_limit=wait_on_rate_limit,
        max_wait=max_wait,
        sleep=sleep,
        now=now,
        rewrite_hosts=rewrites,
        auth_hint=secrets.hint(),
    )
    return AdapterContext(
        platform=platform,
        options=opts,
        secrets=secrets,
        http=http,
        as_of=as_of,
        extra=dict(extra or {}),
    )


def create(ctx: AdapterContext) -> Adapter:
    """The adapter for `ctx.platform`, built by its module's `create`."""
    return cast("Adapter", load(ctx.platform).create(ctx))


__all__ = [
    "COMMON_OPTIONS",
    "PLATFORMS",
    "available",
    "build_context",
    "create",
    "defaults",
    "load",
    "names",
    "resolve_options",
    "secret_names",
    "snapshot_time",
]
