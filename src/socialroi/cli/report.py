"""Placeholder: filled in by the part of the work that owns `report`."""

from __future__ import annotations

import click


@click.command("report")
def command() -> None:
    """Not built yet."""
    raise click.ClickException("not built yet")
