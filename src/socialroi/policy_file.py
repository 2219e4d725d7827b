"""Reading the policy options file (TOML): the one place policy assumptions touch the disk.

The file is `path` when given (``--policies``), else the main config's ``[policy] file``, else
``config/policies.toml`` when it exists; with none of them the built-in defaults are used. Each
top-level table is an option (see `socialroi.policy.options.parse_options`); errors name the file,
the option and the key. `load_fx` reads the config's ``[policy] fx`` exchange rates.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

from socialroi.config import Settings
from socialroi.errors import ConfigError
from socialroi.policy.options import PolicyOption, default_options, parse_options

DEFAULT_POLICIES = Path("config/policies.toml")


def policies_path(path: Path | str | None, settings: Settings) -> Path | None:
    """The file to read, or None for the built-in defaults. An explicitly named file must exist."""
    if path is not None:
        path = Path(path)
        if not path.exists():
            raise ConfigError(f"policies file {path} does not exist")
        return path
    section = settings.raw.get("policy", {})
    if not isinstance(section, dict):
        raise ConfigError("config: [policy] must be a table")
    named = section.get("file")
    if named is not None:
        if not isinstance(named, str):
            raise ConfigError("config: [policy] file must be a path (text)")
        p = Path(named)
        if not p.exists():
            raise ConfigError(f"policies file {p} (config [policy] file) does not exist")
        return p
    return DEFAULT_POLICIES if DEFAULT_POLICIES.exists() else None


def load_policies(path: Path | str | None, settings: Settings) -> dict[str, PolicyOption]:
    """The policy options: the file's (see `policies_path`) over the defaults."""
    p = policies_path(path, settings)
    if p is None:
        return default_options()
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{p}: cannot be read: {exc.strerror}") from None
    return parse_options(raw, where=str(p))


def load_fx(settings: Settings) -> dict[str, float]:
    """The config's ``[policy] fx`` table: currency code → units of the reporting currency per
    unit of it (``fx = { USD = 0.92 }`` in a EUR company: one dollar is 0.92 euro). Used to
    convert the built-in money defaults, which are in USD; {} when not set."""
    section = settings.raw.get("policy", {})
    if not isinstance(section, dict):
        raise ConfigError("config: [policy] must be a table")
    raw = section.get("fx", {})
    if not isinstance(raw, dict):
        raise ConfigError("config: [policy] fx must be a table such as { USD = 0.92 }")
    out: dict[str, float] = {}
    for code, rate in raw.items():
        ok = isinstance(rate, int | float) and not isinstance(rate, bool) and rate > 0
        if not ok or not math.isfinite(float(rate)):
            raise ConfigError(
                f"config: [policy] fx {code}: must be a positive number (units of your "
                f"currency per {code}), not {rate!r}"
            )
        out[str(code).strip().upper()] = float(rate)
    return out
