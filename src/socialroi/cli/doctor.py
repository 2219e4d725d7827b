"""`socialroi doctor`: check the platforms' config and secrets, and make one cheap call each;
with `--record DIR`, also save each platform's responses, scrubbed, for a bug report."""

from __future__ import annotations

from pathlib import Path

import click

from socialroi.cli._options import config_option, format_option


@click.command("doctor")
@click.argument("platforms", nargs=-1)
@click.option("--no-call", is_flag=True, help="Check config and secrets only; call no platform.")
@click.option(
    "--record",
    "record_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    metavar="DIR",
    help="Also fetch the first page of every stream and save each platform's requests and "
    "responses to DIR/<platform>.json, with secrets, e-mail addresses, phone numbers and "
    "names scrubbed (to attach to a bug report). Writes nothing to the store.",
)
@format_option("table", "csv", "json", default="table")
@config_option
@click.pass_context
def command(  # noqa: PLR0917 - click passes every option
    ctx: click.Context,
    platforms: tuple[str, ...],
    no_call: bool,
    record_dir: Path | None,
    fmt: str,
    config_path: Path | None,
) -> None:
    """Check each configured platform (or PLATFORMS): unknown platforms and keys, missing
    options, missing secrets (named by environment variable, never shown), then one cheap call.

    With --record DIR, the first page of each stream is fetched too and every request and
    response is saved to DIR/<platform>.json, scrubbed (see docs/adapters.md).

    Exit 0 when everything works, 1 for a config problem, 3 when a platform call fails."""
    import polars as pl

    from socialroi import clock
    from socialroi.adapters.checks import diagnose, exit_code
    from socialroi.cli._output import emit
    from socialroi.config import load

    if record_dir is not None and no_call:
        raise click.UsageError("--record calls the platforms; it cannot be used with --no-call")
    settings = load(config_path)
    if record_dir is not None:
        from socialroi.adapters.recording import record

        checks = record(settings, record_dir, as_of=clock.now(), platforms=platforms)
    else:
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
