"""Settings from config/socialroi.toml (or SOCIALROI_CONFIG), with defaults for everything.

Secrets never live here: adapters read them from environment variables or a git-ignored secrets
file. This module only knows the non-secret settings the whole tool shares.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from socialroi.errors import ConfigError

CONFIG_ENV = "SOCIALROI_CONFIG"
DEFAULT_CONFIG = Path("config/socialroi.toml")


@dataclass(frozen=True)
class AttributionSettings:
    model: str = "linear"
    lookback_days: int = 90
    half_life_days: float = 7.0


@dataclass(frozen=True)
class Settings:
    company: str = "Our company"
    currency: str = "USD"
    store: Path | None = None
    attribution: AttributionSettings = field(default_factory=AttributionSettings)
    raw: dict[str, Any] = field(default_factory=dict)
    #: Where these settings came from (a file path, or "config" for built-in defaults).
    source: str = "config"

    def platforms(self) -> dict[str, dict[str, Any]]:
        """The `[platforms.<name>]` tables, by platform, with each platform's defaults applied.

        Unknown platforms and unknown keys are a ConfigError naming the file and the key. Secrets
        are never here: they come from environment variables or the secrets file.
        """
        from socialroi.adapters import registry

        tables = self.raw.get("platforms", {})
        if not isinstance(tables, dict):
            raise ConfigError(f"{self.source}: [platforms] must hold [platforms.<name>] tables")
        out: dict[str, dict[str, Any]] = {}
        for name, table in tables.items():
            if name not in registry.PLATFORMS:
                raise ConfigError(
                    f"{self.source}: unknown platform [platforms.{name}]; "
                    f"known: {', '.join(registry.PLATFORMS)}"
                )
            if not isinstance(table, dict):
                raise ConfigError(f"{self.source}: platforms.{name} must be a table")
            module = registry.load(name)
            out[name] = registry.resolve_options(module, table, source=self.source)
        return out


def load(path: str | Path | None = None) -> Settings:
    """Read settings from `path`, SOCIALROI_CONFIG, or config/socialroi.toml; defaults if absent."""
    explicit = path is not None or CONFIG_ENV in os.environ
    p = Path(path) if path is not None else Path(os.environ.get(CONFIG_ENV, DEFAULT_CONFIG))
    if not p.exists():
        if explicit:
            raise ConfigError(f"config file {p} does not exist")
        return Settings()
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: not valid TOML: {exc}") from None
    return from_dict(raw, source=str(p))


def from_dict(raw: dict[str, Any], *, source: str = "config") -> Settings:
    company = raw.get("company", {})
    attribution = raw.get("attribution", {})
    store = raw.get("store", {})
    if (
        not isinstance(company, dict)
        or not isinstance(attribution, dict)
        or not isinstance(store, dict)
    ):
        raise ConfigError(f"{source}: [company], [store] and [attribution] must be tables")
    try:
        att = AttributionSettings(
            model=str(attribution.get("model", "linear")),
            lookback_days=int(attribution.get("lookback_days", 90)),
            half_life_days=float(attribution.get("half_life_days", 7.0)),
        )
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{source}: [attribution]: {exc}") from None
    if att.lookback_days <= 0 or att.half_life_days <= 0:
        raise ConfigError(f"{source}: [attribution] lookback_days and half_life_days must be > 0")
    return Settings(
        company=str(company.get("name", "Our company")),
        currency=str(company.get("currency", "USD")),
        store=Path(store["path"]) if "path" in store else None,
        attribution=att,
        raw=raw,
        source=source,
    )
