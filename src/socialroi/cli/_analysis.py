"""What `report`, `roi`, `export`, `policy compare` and `attribute` share: settings with a --model
override, the store path, --as-of and --period, and the line that says what date the numbers
stand at."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from pathlib import Path

import click

from socialroi.config import Settings
from socialroi.config import load as load_config
from socialroi.errors import ConfigError
from socialroi.store import resolve_path


def settings_for(config_path: Path | None, model: str | None) -> Settings:
    """The user's settings, with the attribution model replaced by `model` when given.

    An unknown model is a usage error (exit 2) naming the models there are.
    """
    settings = load_config(config_path)
    if model is None:
        return settings
    from socialroi.core.vocabulary import check_model

    try:
        check_model(model)
    except ConfigError as exc:
        raise click.BadParameter(str(exc), param_hint="'--model'") from None
    return dataclasses.replace(
        settings, attribution=dataclasses.replace(settings.attribution, model=model)
    )


def store_path_for(store_path: Path | None, settings: Settings) -> Path:
    """--store (or $SOCIALROI_STORE), else the config's [store] path, else the default."""
    return resolve_path(store_path, settings.store)


def model_option(func: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--model",
        default=None,
        metavar="MODEL",
        help="Attribution model [default: the config's, else linear].",
    )(func)


def _check_period(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A period in one of the accepted forms (its dates are checked against the data later)."""
    if value is None:
        return None
    from socialroi.core.period import check_syntax
    from socialroi.errors import ConfigError

    try:
        return check_syntax(value)
    except ConfigError as exc:
        raise click.BadParameter(str(exc)) from None


def period_option(func: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--period",
        default=None,
        metavar="PERIOD",
        callback=_check_period,
        help="Cover only this period: last-month, YYYY-MM, YYYYQN (2026Q3) or FROM..TO (dates or "
        "months, both inclusive) [default: all history].",
    )(func)


def _check_as_of(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date; use YYYY-MM-DD") from None


def as_of_option(func: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--as-of",
        "as_of",
        default=None,
        metavar="YYYY-MM-DD",
        callback=_check_as_of,
        help="Read the data as it stood at the end of this day (later rows are left out, deals "
        "closed later count as open) [default: the end of the last complete month with data].",
    )(func)


def as_of_line(when: datetime, source: str) -> str:
    """``as of 2026-09-30 (end of the last complete month with data)`` for stderr."""
    from socialroi.core.pipeline import as_of_text

    return f"as of {as_of_text(when)} ({source})"


def redact_option(func: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--redact",
        is_flag=True,
        help="Show contacts under stable pseudonyms instead of their names, emails and handles.",
    )(func)


def ensure_redaction_salt(path: Path) -> None:
    """Create the store's pseudonym salt once (opening it writable), so every later run on the
    store, read-only included, shows the same pseudonyms."""
    from socialroi.analysis import redaction_salt
    from socialroi.store import Store

    with Store.open(path, read_only=True) as store:
        if store.get_meta("redact_salt") is not None:
            return
    with Store.open(path) as store:
        redaction_salt(store)
