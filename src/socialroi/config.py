"""Settings from config/socialroi.toml (or SOCIALROI_CONFIG), with defaults for everything.

Secrets never live here: adapters read them from environment variables or a git-ignored secrets
file. This module only knows the non-secret settings the whole tool shares.
"""

from __future__ import annotations

import math
import os
import re
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
    #: None: the firm's own sales cycle, measured from its won deals (core.conversions.sales_cycle)
    lookback_days: int | None = None
    half_life_days: float = 7.0


@dataclass(frozen=True)
class NetworkSettings:
    """[network]: how a won deal's value flows back up referral chains (socialroi.core.network)."""

    decay: float = 0.5
    max_depth: int = 6


@dataclass(frozen=True)
class Settings:
    company: str = "Our company"
    currency: str = "USD"
    store: Path | None = None
    attribution: AttributionSettings = field(default_factory=AttributionSettings)
    network: NetworkSettings = field(default_factory=NetworkSettings)
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


#: The longest lookback or half-life accepted, in days (a hundred years).
MAX_DAYS = 36_500
_TABLES = ("company", "store", "attribution", "network")


def _table(raw: dict[str, Any], name: str, source: str) -> dict[str, Any]:
    section = raw.get(name, {})
    if not isinstance(section, dict):
        raise ConfigError(f"{source}: [{name}] must be a table, not {section!r}")
    return section


def _text(section: dict[str, Any], table: str, key: str, default: str, source: str) -> str:
    value = section.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{source}: [{table}] {key} must be text, not {value!r}")
    return value.strip()


def _number(
    section: dict[str, Any],
    table: str,
    key: str,
    default: float,
    source: str,
    *,
    whole: bool = False,
    low: float = 0.0,
    high: float = MAX_DAYS,
    low_ok: bool = False,
) -> float:
    """`section[key]` as a number in (low, high] ([low, high] with `low_ok`), else a ConfigError
    naming the file and key. TOML booleans are not numbers; with `whole` only integers (30, 30.0)
    pass."""
    value = section.get(key, default)
    where = f"{source}: [{table}] {key}"
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        kind = "a whole number" if whole else "a number"
        raise ConfigError(f"{where} must be {kind}, not {value!r}")
    if whole and not float(value).is_integer():
        raise ConfigError(f"{where} must be a whole number, not {value!r}")
    bound = "≥" if low_ok else ">"
    if (value < low if low_ok else value <= low) or value > high:
        raise ConfigError(f"{where} must be {bound} {low:g} and at most {high:g}, not {value!r}")
    return float(value)


def from_dict(raw: dict[str, Any], *, source: str = "config") -> Settings:
    """Settings from a parsed config; every value is checked, and a wrong one is a ConfigError
    naming `source` (the file) and the key: ``lookback_days = 30.9``, ``half_life_days = true``,
    ``lookback_days = 0``, an unknown model, a ``currency`` that is not a three-letter code."""
    from socialroi.core.network import DEFAULT_DECAY, DEFAULT_MAX_DEPTH
    from socialroi.core.vocabulary import check_model

    company, store, attribution, network = (_table(raw, t, source) for t in _TABLES)
    currency = _text(company, "company", "currency", "USD", source).upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise ConfigError(
            f"{source}: [company] currency must be a three-letter code such as USD, EUR or CHF, "
            f"not {company.get('currency')!r}"
        )
    model = attribution.get("model", "linear")
    att = AttributionSettings(
        model=check_model(model, source=source, key="[attribution] model"),
        lookback_days=None
        if "lookback_days" not in attribution
        else int(_number(attribution, "attribution", "lookback_days", 90, source, whole=True)),
        half_life_days=_number(attribution, "attribution", "half_life_days", 7.0, source),
    )
    net = NetworkSettings(
        decay=_number(network, "network", "decay", DEFAULT_DECAY, source, high=1.0, low_ok=True),
        max_depth=int(
            _number(
                network,
                "network",
                "max_depth",
                DEFAULT_MAX_DEPTH,
                source,
                whole=True,
                high=100,
                low_ok=True,
            )
        ),
    )
    path = store.get("path")
    if path is not None and (not isinstance(path, str) or not path.strip()):
        raise ConfigError(f"{source}: [store] path must be a file path, not {path!r}")
    return Settings(
        company=_text(company, "company", "name", "Our company", source),
        currency=currency,
        store=Path(path) if path is not None else None,
        attribution=att,
        network=net,
        raw=raw,
        source=source,
    )
