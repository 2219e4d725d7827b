"""Platform secrets: from environment variables or the git-ignored secrets file, never the config.

A secret `bearer_token` of platform `x` is read from `SOCIALROI_X_BEARER_TOKEN`, else from
`[x] bearer_token = "..."` in `config/secrets.toml` (or the file `SOCIALROI_SECRETS` names). The
environment wins. Errors name the variable and the file to fix, never a value.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path

from socialroi.errors import ConfigError

SECRETS_ENV = "SOCIALROI_SECRETS"
DEFAULT_SECRETS = Path("config/secrets.toml")


def env_var(platform: str, name: str) -> str:
    """The environment variable holding secret `name` of `platform`: SOCIALROI_X_BEARER_TOKEN."""
    return "SOCIALROI_" + re.sub(r"[^A-Za-z0-9]+", "_", f"{platform}_{name}").upper()


def secrets_path(environ: Mapping[str, str] | None = None) -> Path:
    """The secrets file: $SOCIALROI_SECRETS, else config/secrets.toml."""
    env = os.environ if environ is None else environ
    value = env.get(SECRETS_ENV)
    return Path(value) if value else DEFAULT_SECRETS


def read_secrets_file(path: Path) -> dict[str, dict[str, str]]:
    """The secrets file's tables by platform; {} when the file does not exist."""
    if not path.exists():
        return {}
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        # tomllib names the line and column, never the text there.
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the secrets file ({type(exc).__name__})") from None
    out: dict[str, dict[str, str]] = {}
    for platform, table in raw.items():
        if not isinstance(table, dict):
            raise ConfigError(f'{path}: [{platform}] must be a table of name = "value" lines')
        values: dict[str, str] = {}
        for name, value in table.items():
            if not isinstance(value, str):
                raise ConfigError(f"{path}: [{platform}] {name} must be a quoted string")
            values[name] = value
        out[platform] = values
    return out


class Secrets:
    """One platform's secrets. `get` raises ConfigError naming where to set a missing one."""

    def __init__(
        self, platform: str, values: Mapping[str, str], *, file: Path = DEFAULT_SECRETS
    ) -> None:
        self.platform = platform
        self._values = {k: v for k, v in values.items() if v}
        self.file = file

    @classmethod
    def load(
        cls,
        platform: str,
        names: Iterable[str],
        *,
        environ: Mapping[str, str] | None = None,
        path: Path | None = None,
    ) -> Secrets:
        """Read `names` for `platform` from the environment, then the secrets file."""
        env = os.environ if environ is None else environ
        file = path if path is not None else secrets_path(env)
        wanted = list(names)
        from_file: dict[str, str] = {}
        if any(not env.get(env_var(platform, n)) for n in wanted):
            from_file = read_secrets_file(file).get(platform, {})
        values: dict[str, str] = {}
        for name in wanted:
            value = env.get(env_var(platform, name)) or from_file.get(name)
            if value:
                values[name] = value
        return cls(platform, values, file=file)

    def has(self, name: str) -> bool:
        return name in self._values

    def get(self, name: str) -> str:
        try:
            return self._values[name]
        except KeyError:
            raise ConfigError(self.missing_message(name)) from None

    def missing_message(self, name: str) -> str:
        return (
            f"{self.platform}: secret '{name}' is not set: set the environment variable "
            f'{env_var(self.platform, name)} or add {name} = "..." under [{self.platform}] '
            f"in {self.file}"
        )

    def hint(self) -> str:
        """Where this platform's secrets come from, for messages after the platform refused them."""
        names = ", ".join(env_var(self.platform, n) for n in sorted(self._values)) or (
            f"SOCIALROI_{self.platform.upper()}_*"
        )
        return f"{names} (or [{self.platform}] in {self.file})"

    def values(self) -> tuple[str, ...]:
        """Every secret value, for scrubbing messages and logs."""
        return tuple(self._values.values())

    def __repr__(self) -> str:  # never show values
        return f"Secrets({self.platform!r}, names={sorted(self._values)!r})"


__all__ = ["SECRETS_ENV", "Secrets", "env_var", "read_secrets_file", "secrets_path"]
