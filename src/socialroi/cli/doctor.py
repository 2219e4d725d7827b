"""`socialroi doctor`: check the platforms' config and secrets, and make one cheap call each."""

from __future__ import annotations

from pathlib import Path

import click

from socialroi.cli._options import config_option, format_option


@click.command("doctor")
@click.argument("platforms", nargs=-1)
@click.option("--no-call", is_flag=True, help="Check config and secrets only; call no platform.")
@format_option("table", "csv", "json", default="table")
@config_option
@click.pass_context
def command(
    ctx: click.Context,
    platforms: tuple[str, ...],
    no_call: bool,
    fmt: str,
    config_path: Path | None,
) -> None:
    """Check each configured platform (or PLATFORMS): unknown platforms and keys, missing
    options, missing secrets (named by environment variable, never shown), then one cheap call.

    Exit 0 when everything works, 1 for a config problem, 3 when a platform call fails."""
    import polars as pl

    from socialroi import clock
    from socialroi.adapters.checks import diagnose, exit_code
    from socialroi.cli._output import emit
    from socialroi.config import load

    settings = load(config_path)
    checks = diagnose(settings, as_of=clock.now(), platforms=platforms, call=not no_call)
    df = pl.DataFrame(
        {
            "platform": [c.platform for c in checks],
            "check": [c.item for c in checks],
            "status": [c.status for c in checks],
            "detail": [c.detail for c in checks],
        },
        schema={
            "platform": pl.String,
            "check": pl.String,
            "status": pl.String,
            "detail": pl.String,
        },
    )
    emit(df, fmt)
    code = exit_code(checks)
    if code:
        problems = sum(c.status not in {"ok", "skipped"} for c in checks)
        click.secho(f"{problems} problem(s) found in {settings.source}", fg="red", err=True)
        ctx.exit(code)
