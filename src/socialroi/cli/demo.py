"""Placeholder: filled in by the part of the work that owns `demo`."""

from __future__ import annotations

import click


@click.command("demo")
def command() -> None:
    """Not built yet."""
    raise click.ClickException("not built yet")
