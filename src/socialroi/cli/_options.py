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


_DELIMITERS = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}


def parse_pairs(values: tuple[str, ...], option: str, what: str) -> dict[str, str]:
    """``LEFT=RIGHT`` option values as a mapping (--map splits at the last '=', --set at the
    first, so a --set value may hold '='); a usage error naming `option` otherwise."""
    out: dict[str, str] = {}
    for value in values:
        left, sep, right = value.partition("=") if option == "--set" else value.rpartition("=")
        if not sep or not left.strip() or (option != "--set" and not right.strip()):
            raise click.BadParameter(f"'{value}' is not {what}", param_hint=option)
        out[left.strip()] = right.strip()
    return out


def parse_delimiter(value: str | None) -> str | None:
    """--delimiter: one character, or tab, comma, semicolon, pipe; None when not given."""
    if value is None:
        return None
    delim = _DELIMITERS.get(value.lower(), value)
    if len(delim) != 1 or delim in '"\r\n':
        raise click.BadParameter(
            f"'{value}' is not one character (or tab, comma, semicolon, pipe)",
            param_hint="--delimiter",
        )
    return delim
