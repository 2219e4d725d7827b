"""Options shared by several commands, defined once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from socialroi.store import STORE_ENV

F = TypeVar("F", bound=Callable[..., Any])


def store_option(func: F) -> F:
    """--store PATH; default $SOCIALROI_STORE, the config's [store] path, data/socialroi.duckdb."""
    return click.option(
        "--store",
        "store_path",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar=STORE_ENV,
        default=None,
        help="Store file [default: $SOCIALROI_STORE, config [store] path, data/socialroi.duckdb].",
    )(func)


def config_option(func: F) -> F:
    """--config PATH; default $SOCIALROI_CONFIG, then config/socialroi.toml when present."""
    return click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Config file (default: $SOCIALROI_CONFIG or config/socialroi.toml when present).",
    )(func)


_FORMATS = {
    "text": "text: a sentence",
    "table": "table: aligned columns",
    "csv": "csv: a header row, then one row per line",
    "json": "json: one JSON document, rows as objects (null for a missing value)",
}


def _format_help(choices: tuple[str, ...]) -> str:
    return "How data is printed on stdout; " + "; ".join(_FORMATS.get(c, c) for c in choices) + "."


#: The one default of --format for every command that prints rows: an aligned table, as read on a
#: terminal (scripts ask for csv or json). Commands whose output is one sentence about what they
#: did (import, imports undo) print that sentence (``text``) by default instead.
DEFAULT_FORMAT = "table"


def format_option(*choices: str, default: str = DEFAULT_FORMAT) -> Callable[[F], F]:
    """--format with `choices` (each explained in the help), printed through `_output.emit`;
    the default is DEFAULT_FORMAT unless the command prints a sentence (``text``)."""
    if default not in (DEFAULT_FORMAT, "text") or default not in choices:
        raise ValueError(f"--format defaults to {DEFAULT_FORMAT} (or text for a sentence)")

    def deco(func: F) -> F:
        return click.option(
            "--format",
            "fmt",
            type=click.Choice(list(choices)),
            default=default,
            show_default=True,
            help=_format_help(choices),
        )(func)

    return deco
