"""`socialroi pull`: fetch the configured platforms into the store, incrementally."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from socialroi.cli._options import config_option, format_option, store_option
from socialroi.cli._progress import Bar, progress, quiet_option

if TYPE_CHECKING:
    from socialroi.adapters.sync import PullResult


class _StreamProgress:
    """The sync engine's progress(platform, stream, rows, pages) as one bar: platforms done of
    those chosen, labelled with the stream being fetched, its rows and pages so far."""

    def __init__(self, bar: Bar) -> None:
        self.bar = bar
        self.platforms: list[str] = []

    def __call__(self, platform: str, stream: str, rows: int, pages: int) -> None:
        if platform not in self.platforms:
            self.platforms.append(platform)
        note = f"{rows:,} row{'' if rows == 1 else 's'}, {pages:,} page{'' if pages == 1 else 's'}"
        self.bar.update(len(self.platforms) - 1, label=f"pull {platform}/{stream}", note=note)


def _print(result: PullResult, fmt: str) -> None:
    import polars as pl

    from socialroi.cli._output import emit

    rows = [
        {
            "platform": s.platform,
            "stream": s.stream,
            "status": s.status,
            "rows": s.rows,
            "cursor": json.dumps(s.cursor, sort_keys=True, default=str) if s.cursor else "",
            "warnings": len(s.warnings),
        }
        for s in result.streams
    ]
    if fmt == "json":
        out = [
            {**r, "cursor": s.cursor, "warnings": s.warnings, "error": s.error}
            for r, s in zip(rows, result.streams, strict=True)
        ]
        click.echo(json.dumps(out, indent=2, default=str))
    else:
        schema = {
            "platform": pl.String,
            "stream": pl.String,
            "status": pl.String,
            "rows": pl.Int64,
            "cursor": pl.String,
            "warnings": pl.Int64,
        }
        emit(pl.DataFrame(rows, schema=schema), fmt)
        for w in result.warnings:
            click.secho(f"warning: {w}", fg="yellow", err=True)


@click.command("pull")
@click.argument("platforms", nargs=-1)
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    metavar="YYYY-MM-DD",
    help="Fetch nothing older than this day [default: each platform's lookback].",
)
@click.option("--full", is_flag=True, help="Ignore stored cursors and fetch the whole window.")
@click.option(
    "--wait-on-rate-limit/--fail-on-rate-limit",
    default=True,
    show_default=True,
    help="Wait when a platform says to (up to its max_wait), or stop with exit code 3.",
)
@quiet_option
@format_option("table", "csv", "json", default="table")
@store_option
@config_option
@click.pass_context
def command(  # noqa: PLR0917 - click passes every option
    ctx: click.Context,
    platforms: tuple[str, ...],
    since: datetime | None,
    full: bool,
    wait_on_rate_limit: bool,
    quiet: bool,
    fmt: str,
    store_path: Path | None,
    config_path: Path | None,
) -> None:
    """Pull posts, metrics, followers, sessions and CRM records from each configured platform
    (or only PLATFORMS) into the store. Each stream resumes from its stored cursor; rows and
    cursor commit together, so an interrupted pull loses and doubles nothing.

    Prints one row per stream (platform, stream, status, rows, cursor, warnings); warnings go to
    stderr, except in JSON, where each stream carries its warnings and error.

    Exit 0 all pulled, 1 config problem, 3 a platform failed, 4 some platforms failed after
    others were committed."""
    from socialroi import clock
    from socialroi.adapters.sync import PullPartial, pull
    from socialroi.config import load
    from socialroi.store import Store, default_path

    if ctx.find_root().params.get("debug"):
        _debug_logging()
        quiet = True  # the log lines on stderr would break the bar's line
    settings = load(config_path)
    path = store_path or settings.store or default_path()
    partial: PullPartial | None = None
    with Store.open(path) as store, progress("pull", unit="platforms", quiet=quiet) as bar:
        if bar.enabled:
            bar.update(0, total=len(platforms) if platforms else len(settings.platforms()))
        try:
            result = pull(
                store,
                settings,
                platforms=platforms or None,
                since=since.date() if since else None,
                full=full,
                wait_on_rate_limit=wait_on_rate_limit,
                as_of=clock.now(),
                progress=_StreamProgress(bar) if bar.enabled else None,
            )
        except PullPartial as exc:
            partial, result = exc, exc.result
        if bar.enabled:
            bar.update(bar.total or 0, label="pull", note="done")
    _print(result, fmt)
    if partial is not None:
        raise partial


class _StderrHandler(logging.Handler):
    """Writes to whatever stderr is now (click's test runner swaps it)."""

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(self.format(record), err=True)


def _debug_logging() -> None:
    """--debug: each HTTP call (method, path, status, time; secrets masked) on stderr."""
    for name in ("socialroi.http", "socialroi.sync"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.DEBUG)
        if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
            handler = _StderrHandler()
            handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
            logger.addHandler(handler)
