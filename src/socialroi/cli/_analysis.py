"""What `report`, `roi` and `export` share: settings with a --model override, and the store path."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click

from socialroi.config import Settings
from socialroi.config import load as load_config
from socialroi.store import default_path


def settings_for(config_path: Path | None, model: str | None) -> Settings:
    """The user's settings, with the attribution model replaced by `model` when given.

    An unknown model is a usage error (exit 2) naming the models there are.
    """
    settings = load_config(config_path)
    if model is None:
        return settings
    from socialroi.core.attribution import model_names

    if model not in model_names():
        raise click.BadParameter(
            f"'{model}' is not a model; models are: {', '.join(model_names())}",
            param_hint="'--model'",
        )
    return dataclasses.replace(
        settings, attribution=dataclasses.replace(settings.attribution, model=model)
    )


def store_path_for(store_path: Path | None, settings: Settings) -> Path:
    """--store (or $SOCIALROI_STORE), else the config's [store] path, else the default."""
    if store_path is not None:
        return store_path
    return settings.store if settings.store is not None else default_path()


def model_option(func: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--model",
        default=None,
        metavar="MODEL",
        help="Attribution model [default: the config's, else linear].",
    )(func)
