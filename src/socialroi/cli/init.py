"""`socialroi init`: write a commented config for the chosen platforms."""

from __future__ import annotations

from pathlib import Path

import click

from socialroi.config import DEFAULT_CONFIG

BASE = """\
# socialroi configuration, written by `socialroi init`. Secrets never go in this file: set
# the environment variables `socialroi init` listed, or put them in config/secrets.toml
# (git-ignored).
# Check everything with `socialroi doctor`, then fetch with `socialroi pull`.

[company]
name = "Our company"       # shown in the report title
currency = "USD"           # the reporting currency; every amount in the store is in it

[store]
# path = "data/socialroi.duckdb"   # default; SOCIALROI_STORE or --store override it

[attribution]
model = "linear"           # the model the summary cards use: first_touch, last_touch, linear, ...
lookback_days = 90         # touches older than this before a conversion get no credit
half_life_days = 7         # time_decay: a touch this long before the conversion counts half

[network]
decay = 0.5                # referral chains: the share of a deal's value each hop up receives
max_depth = 6              # hops followed up a referral chain

# Every platform also accepts: timeout (s, 30), connect_timeout (s, 5), max_retries (4) and
# max_wait (s, 3600: a longer rate-limit wait fails the platform instead of waiting).
"""


def render(platforms: tuple[str, ...]) -> str:
    """The config text: the shared tables, then each platform's commented table."""
    from socialroi.adapters import registry

    parts = [BASE]
    for name in platforms:
        parts.append(str(registry.load(name).INIT_TEMPLATE).strip("\n") + "\n")
    return "\n".join(parts)


@click.command("init")
@click.argument("platforms", nargs=-1)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_CONFIG,
    show_default=True,
    help="Config file to write (its folder is created).",
)
@click.option("--force", is_flag=True, help="Overwrite the file if it exists (otherwise exit 1).")
def command(platforms: tuple[str, ...], out: Path, force: bool) -> None:
    """Write a commented config with a [platforms.<name>] table for each of PLATFORMS
    (x, facebook, instagram, linkedin, mastodon, bluesky, ga4, hubspot), and list the
    environment variables that hold their secrets (plain text: no --format)."""
    from socialroi.adapters import registry
    from socialroi.adapters.secrets import DEFAULT_SECRETS, env_var
    from socialroi.config import load
    from socialroi.errors import ConfigError

    unknown = [p for p in platforms if p not in registry.PLATFORMS]
    if unknown:
        raise click.BadParameter(
            f"unknown platform '{unknown[0]}'; choose from {', '.join(registry.PLATFORMS)}",
            param_hint="PLATFORMS",
        )
    chosen = tuple(dict.fromkeys(platforms))
    if out.exists() and not force:
        raise ConfigError(f"{out} exists; use --force to overwrite it")
    text = render(chosen)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    load(out).platforms()  # what was written must load
    click.echo(f"wrote {out}")
    if not chosen:
        click.echo(
            "no platforms chosen: run `socialroi init PLATFORM... --force` with any of "
            + ", ".join(registry.PLATFORMS)
        )
        return
    click.echo(
        f"\nSet these environment variables (or the same names under [platform] in "
        f"{DEFAULT_SECRETS}, which git ignores):"
    )
    for name in chosen:
        module = registry.load(name)
        required = tuple(module.SECRETS)
        optional = tuple(getattr(module, "OPTIONAL_SECRETS", ()))
        if not required and not optional:
            click.echo(f"  {name}: none needed (public API)")
        for secret in required:
            click.echo(f"  {env_var(name, secret)}")
        for secret in optional:
            click.echo(f"  {env_var(name, secret)}  (optional)")
    click.echo(f"\nThen fill in the options in {out} and run `socialroi doctor`.")
