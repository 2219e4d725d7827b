"""What `socialroi doctor` checks: the platforms' config, their secrets, and one cheap call each.

A check never shows a secret value: it names the environment variable or secrets file instead,
and every message from a failed call is scrubbed of the platform's secrets.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import ModuleType
from typing import Any

from socialroi.adapters import registry
from socialroi.adapters._http import scrub
from socialroi.adapters.secrets import Secrets, env_var
from socialroi.config import Settings
from socialroi.errors import ConfigError, SocialROIError

OK, MISSING, INVALID, FAILED, SKIPPED = "ok", "missing", "invalid", "failed", "skipped"
#: Statuses that are config problems (exit 1); FAILED is a platform call failing (exit 3).
CONFIG_PROBLEMS = (MISSING, INVALID)


@dataclass(frozen=True)
class Check:
    platform: str
    item: str
    status: str
    detail: str


def required_options(module: ModuleType) -> tuple[str, ...]:
    """The module's REQUIRED_OPTIONS, else the DEFAULTS whose value is empty ("", [], None)."""
    explicit = getattr(module, "REQUIRED_OPTIONS", None)
    if explicit is not None:
        return tuple(explicit)
    return tuple(k for k, v in module.DEFAULTS.items() if _empty(v))


def _empty(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, list | tuple | dict) and not value)


def check_platform_config(
    name: str, table: Any, *, source: str, environ: Mapping[str, str] | None
) -> tuple[list[Check], dict[str, Any] | None]:
    """Config and secrets of one platform: its checks, and its options when they are usable."""
    try:
        module = registry.load(name)
    except ConfigError as exc:
        return [Check(name, "config", INVALID, str(exc))], None
    if not isinstance(table, dict):
        return [Check(name, "config", INVALID, f"{source}: platforms.{name} must be a table")], None
    try:
        options = registry.resolve_options(module, table, source=source)
    except ConfigError as exc:
        return [Check(name, "config", INVALID, str(exc))], None
    checks: list[Check] = []
    for key in required_options(module):
        if _empty(options.get(key)):
            checks.append(
                Check(name, f"option {key}", MISSING, f"set {key} under [platforms.{name}]")
            )
    try:
        secrets = Secrets.load(name, registry.secret_names(module), environ=environ)
    except ConfigError as exc:
        return [*checks, Check(name, "secrets", INVALID, str(exc))], None
    for secret in module.SECRETS:
        if secrets.has(secret):
            checks.append(Check(name, f"secret {secret}", OK, f"set ({env_var(name, secret)})"))
        else:
            where = f"set {env_var(name, secret)} (or {secret} under [{name}] in {secrets.file})"
            checks.append(Check(name, f"secret {secret}", MISSING, where))
    if not checks:
        checks.append(Check(name, "config", OK, "no secrets needed"))
    usable = all(c.status == OK for c in checks)
    return checks, options if usable else None


def diagnose(
    settings: Settings,
    *,
    as_of: datetime,
    platforms: tuple[str, ...] = (),
    call: bool = True,
    environ: Mapping[str, str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Check]:
    """Every check, platform by platform; the cheap call only where config and secrets are good."""
    tables = settings.raw.get("platforms", {})
    if not isinstance(tables, dict):
        return [Check("-", "config", INVALID, f"{settings.source}: [platforms] must be tables")]
    if platforms:
        tables = {p: tables.get(p) for p in platforms}
    if not tables:
        return [
            Check(
                "-",
                "config",
                MISSING,
                f"{settings.source}: no [platforms.*] tables; `socialroi init PLATFORM...` "
                "writes them",
            )
        ]
    out: list[Check] = []
    for name, table in tables.items():
        if table is None:
            detail = f"{settings.source}: no [platforms.{name}] table"
            out.append(Check(name, "config", MISSING, detail))
            continue
        checks, options = check_platform_config(
            name, table, source=settings.source, environ=environ
        )
        out.extend(checks)
        if not call:
            continue
        if options is None:
            out.append(Check(name, "call", SKIPPED, "fix the config first"))
            continue
        out.append(_call(name, options, as_of=as_of, environ=environ, sleep=sleep))
    return out


def _call(
    name: str,
    options: Mapping[str, Any],
    *,
    as_of: datetime,
    environ: Mapping[str, str] | None,
    sleep: Callable[[float], None],
) -> Check:
    try:
        cheap = {**options, "max_retries": min(int(options.get("max_retries", 1)), 1)}
        ctx = registry.build_context(
            name, options=cheap, as_of=as_of, wait_on_rate_limit=False, sleep=sleep, environ=environ
        )
    except (SocialROIError, TypeError, ValueError) as exc:
        return Check(name, "config", INVALID, str(exc))
    values = ctx.secrets.values()
    try:
        found = registry.create(ctx).check()
    except SocialROIError as exc:
        status = INVALID if exc.exit_code == 1 else FAILED
        return Check(name, "call", status, scrub(str(exc), values))
    except Exception as exc:  # an unexpected answer: report it, check the others
        return Check(name, "call", FAILED, scrub(f"{type(exc).__name__}: {exc}", values))
    return Check(name, "call", OK, scrub(str(found), values))


def exit_code(checks: list[Check]) -> int:
    """0 all good, 1 a config problem, 3 a platform call failed."""
    if any(c.status in CONFIG_PROBLEMS for c in checks):
        return 1
    if any(c.status == FAILED for c in checks):
        return 3
    return 0


__all__ = ["Check", "check_platform_config", "diagnose", "exit_code", "required_options"]
